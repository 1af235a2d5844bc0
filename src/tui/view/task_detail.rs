//! A task's detail: header, the group × level × host matrix, and the live log pane.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{pad, state_span};
use crate::model::{StepState, fmt_local};
use crate::tui::app::{App, hosts_of};
use crate::tui::i18n::{Key, t};

pub fn render(app: &mut App, f: &mut Frame, area: Rect) {
    let lang = app.lang;
    let color = app.color;
    let Some(open) = app.tasks.detail.as_ref() else {
        return;
    };
    let hosts = open.detail.as_ref().map(hosts_of).unwrap_or_default();
    // An SQL audit lists the server's check and each statement's result under the matrix.
    let sql = open
        .detail
        .as_ref()
        .map(|d| crate::model::sql_audit::detail_lines(&d.task.spec, &d.sql_results))
        .unwrap_or_default();
    let matrix_height = if sql.is_empty() {
        (hosts.len() as u16 + 3).min(area.height / 3).max(4)
    } else {
        ((hosts.len() + sql.len()) as u16 + 3)
            .min(area.height / 2)
            .max(4)
    };
    let [head, matrix, log] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(matrix_height),
        Constraint::Min(3),
    ])
    .areas(area);
    let header = match &open.detail {
        None => Line::from(t(lang, Key::Loading)),
        Some(d) => {
            let (done, total) = d.progress();
            Line::from(vec![
                Span::styled(
                    format!(
                        "#{} {} ",
                        d.task.id,
                        crate::text::display_line(&d.task.spec.name)
                    ),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                state_span(app, d.task.state),
                Span::raw(format!(
                    "  {} {}  {} {}  {} {done}/{total}",
                    t(lang, Key::Submitter),
                    d.task.spec.submitter,
                    t(lang, Key::ExecTime),
                    fmt_local(d.task.spec.exec_time),
                    t(lang, Key::Progress),
                )),
            ])
        }
    };
    let reason = open
        .detail
        .as_ref()
        .map(|d| crate::text::display_line(&d.task.reason).into_owned())
        .filter(|r| !r.is_empty())
        .map(|r| {
            Line::from(Span::styled(
                r,
                Style::default().add_modifier(Modifier::ITALIC),
            ))
        })
        .unwrap_or_default();
    f.render_widget(
        Paragraph::new(vec![header, reason]).block(Block::default().borders(Borders::BOTTOM)),
        head,
    );
    // Matrix: one row per host, one column per (group, level).
    if let Some(d) = &open.detail {
        let mut cols: Vec<(u32, u32)> = d.steps.iter().map(|s| (s.group, s.level)).collect();
        cols.sort();
        cols.dedup();
        let mut lines = vec![Line::from(
            std::iter::once(Span::styled(
                pad(t(lang, Key::Host), 14),
                Style::default().add_modifier(Modifier::BOLD),
            ))
            .chain(cols.iter().map(|(g, l)| {
                Span::styled(
                    format!(" {:<5}", format!("{g}.{l}")),
                    Style::default().add_modifier(Modifier::BOLD),
                )
            }))
            .collect::<Vec<_>>(),
        )];
        for h in &hosts {
            let mut spans = vec![Span::raw(pad(h, 14))];
            for (g, l) in &cols {
                let cell = d
                    .steps
                    .iter()
                    .find(|s| s.group == *g && s.level == *l && s.host == *h);
                let (mark, style) = match cell.map(|s| s.state) {
                    None => ("  ·   ", Style::default()),
                    Some(s) => step_cell(s, color),
                };
                spans.push(Span::styled(mark, style));
            }
            lines.push(Line::from(spans));
        }
        lines.extend(sql.iter().map(|l| Line::from(l.clone())));
        f.render_widget(
            Paragraph::new(lines).block(Block::default().borders(Borders::ALL)),
            matrix,
        );
    }
    app.log_height = log.height.saturating_sub(2) as usize;
    if let Some(open) = app.tasks.detail.as_mut() {
        open.log.rows = app.log_height;
    }
    if let Some(open) = app.tasks.detail.as_ref() {
        open.log
            .render(log, f.buffer_mut(), lang, t(lang, Key::Log), color);
    }
}

fn step_cell(s: StepState, color: bool) -> (&'static str, Style) {
    let (mark, c) = match s {
        StepState::Pending => ("  ·   ", Color::DarkGray),
        StepState::Waiting => ("  ⏲   ", Color::Blue),
        StepState::Manual => ("  ✋  ", Color::Yellow),
        StepState::Running => ("  ▶   ", Color::Cyan),
        StepState::Done => ("  ✓   ", Color::Green),
        StepState::Failed => ("  ✗   ", Color::Red),
        StepState::TimedOut => ("  ⌛  ", Color::Red),
        StepState::Skipped => ("  ↷   ", Color::DarkGray),
        StepState::Cancelled => ("  ⊘   ", Color::DarkGray),
    };
    (
        mark,
        if color {
            Style::default().fg(c)
        } else {
            Style::default()
        },
    )
}
