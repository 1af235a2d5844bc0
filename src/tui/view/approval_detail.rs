//! An approval's detail: who asks for what and when, the SQL with its check findings (and score
//! findings when the task carries them), and the commands that will run on each host.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::submit_preview::plan_lines;
use crate::model::{Task, TaskSpec, fmt_local};
use crate::tui::app::App;
use crate::tui::i18n::{Key, t};

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let lang = app.lang;
    let Some(task) = app.open_approval() else {
        f.render_widget(
            Paragraph::new(t(lang, Key::NoApprovals)).block(Block::default().borders(Borders::ALL)),
            area,
        );
        return;
    };
    let lines = lines(app, task);
    let h = area.height.saturating_sub(2) as usize;
    let scroll = app
        .approvals
        .scroll
        .min(lines.len().saturating_sub(h.min(lines.len()) / 2));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0))
            .block(Block::default().borders(Borders::ALL).title(format!(
                " {} #{} {} ",
                t(lang, Key::TabApprovals),
                task.id,
                crate::text::display_line(&task.spec.name)
            ))),
        area,
    );
}

fn heading(s: String) -> Line<'static> {
    Line::styled(
        s,
        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    )
}

/// The SQL a task carries: the `SQL` arg (template 9001) or `extra.sql`.
pub fn sql_of(spec: &TaskSpec) -> Option<String> {
    spec.args
        .get("SQL")
        .cloned()
        .or_else(|| {
            spec.extra
                .get("sql")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .filter(|s| !s.trim().is_empty())
}

fn lines(app: &App, task: &Task) -> Vec<Line<'static>> {
    let lang = app.lang;
    let s = &task.spec;
    let red = if app.color {
        Style::default().fg(Color::Red)
    } else {
        Style::default().add_modifier(Modifier::BOLD)
    };
    let waited = (Utc::now() - task.created_at).num_minutes();
    let mut out = vec![
        Line::from(format!(
            "{}: {}   {}: {}   {}: {} v{}",
            t(lang, Key::Submitter),
            s.submitter,
            t(lang, Key::Module),
            s.module.as_str(),
            t(lang, Key::FieldTemplate),
            s.template_id,
            task.template_version
        )),
        Line::from(format!(
            "{}: {}   {}: {}m   {}: {}",
            t(lang, Key::ExecTime),
            fmt_local(s.exec_time),
            t(lang, Key::WaitingSince),
            waited,
            t(lang, Key::FieldApprovers),
            s.approvers.join(", ")
        )),
    ];
    for (g, hosts) in &s.hosts {
        out.push(Line::from(format!(
            "{} {g}: {}",
            t(lang, Key::Group),
            hosts.join(", ")
        )));
    }
    if !s.details.is_empty() {
        out.push(Line::from(format!(
            "{}: {}",
            t(lang, Key::FieldDetails),
            crate::text::display_line(&s.details)
        )));
    }
    out.extend(findings_lines(app, s));
    out.push(Line::from(""));
    out.push(heading(t(lang, Key::Commands).to_string()));
    match &app.modules.ctx {
        None => out.push(Line::from(t(lang, Key::Loading))),
        Some(ctx) => match ctx.template(s.template_id) {
            None => out.push(Line::styled(
                format!("template {} not found", s.template_id),
                red,
            )),
            Some(tpl) => out.extend(plan_lines(
                app,
                &crate::modules::plan(s, tpl, &ctx.inventory),
            )),
        },
    }
    out
}

/// The SQL a spec carries with its check findings and, when the spec has one, its score with each
/// finding: what the approver sees, and what the submitter's preview shows before sending.
pub fn findings_lines(app: &App, s: &TaskSpec) -> Vec<Line<'static>> {
    let lang = app.lang;
    let red = if app.color {
        Style::default().fg(Color::Red)
    } else {
        Style::default().add_modifier(Modifier::BOLD)
    };
    let mut out = Vec::new();
    if let Some(sql) = sql_of(s) {
        out.push(Line::from(""));
        out.push(heading("SQL".into()));
        let report = crate::sql::check_in(&sql, lang);
        let marks: Vec<(usize, usize)> = report
            .errors
            .iter()
            .map(|d| (d.position.line, d.position.column))
            .collect();
        for (i, l) in sql.lines().enumerate() {
            let style = if marks.iter().any(|(line, _)| *line == i + 1) {
                red
            } else {
                Style::default()
            };
            out.push(Line::from(vec![
                Span::styled(
                    format!("{:>4}│ ", i + 1),
                    Style::default().add_modifier(Modifier::DIM),
                ),
                Span::styled(l.to_string(), style),
            ]));
        }
        out.push(heading(t(lang, Key::Findings).to_string()));
        if report.errors.is_empty() && report.warnings.is_empty() {
            out.push(Line::from(format!("  {} ✓", report.statements.len())));
        }
        for d in &report.errors {
            out.push(Line::styled(
                format!(
                    "  ✗ {}:{} {}",
                    d.position.line, d.position.column, d.message
                ),
                red,
            ));
        }
        for d in &report.warnings {
            out.push(Line::from(format!(
                "  ! {}:{} {}",
                d.position.line, d.position.column, d.message
            )));
        }
    }
    // A tunnel SQL audit carries the real server's verdict per statement.
    if s.extra.get("online").is_some() {
        let server = crate::model::sql_audit::detail_lines(s, &[]);
        out.push(Line::from(""));
        out.extend(server.into_iter().map(Line::from));
    }
    // The SQL audit form stores its `sql::score` report: score, stars, then each finding.
    if let Some(score) = s.extra.get("score") {
        out.push(heading(t(lang, Key::Score).to_string()));
        match serde_json::from_value::<crate::sql::score::ScoreReport>(score.clone()) {
            Ok(r) => {
                out.push(Line::from(format!(
                    "  {} {}/100",
                    crate::sql::score::star_string(r.stars),
                    r.score
                )));
                for st in &r.statements {
                    for f in st.findings.iter().filter(|f| f.id != "OK") {
                        let at = f
                            .position
                            .map(|p| format!(" {}:{}", p.line, p.column))
                            .unwrap_or_default();
                        out.push(Line::from(format!(
                            "  #{} {} {}{at} {}",
                            st.number, f.id, f.severity, f.summary
                        )));
                    }
                }
            }
            Err(_) => {
                let text = serde_json::to_string_pretty(score).unwrap_or_default();
                out.extend(text.lines().map(|l| Line::from(format!("  {l}"))));
            }
        }
    }
    out
}
