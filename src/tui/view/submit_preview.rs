//! The submit confirmation: the spec's summary and the exact command of every step on every host.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::model::fmt_local;
use crate::modules::PlannedStep;
use crate::tui::app::{App, Preview};
use crate::tui::i18n::{Key, t};

pub fn render(app: &App, f: &mut Frame, area: Rect, p: &Preview) {
    let lang = app.lang;
    // From the form's first column: an edge inside a wide (CJK) label would split it.
    let r = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let s = &p.spec;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", s.name), bold),
            Span::raw(format!(
                "· {} · {} {} · {} {}",
                s.module.as_str(),
                t(lang, Key::FieldTemplate),
                s.template_id,
                t(lang, Key::ExecTime),
                fmt_local(s.exec_time)
            )),
        ]),
        Line::from(if s.needs_approval {
            format!(
                "{}: {}",
                t(lang, Key::FieldApprovers),
                if s.approvers.is_empty() {
                    "—".to_string()
                } else {
                    s.approvers.join(", ")
                }
            )
        } else {
            String::new()
        }),
    ];
    if p.past {
        lines.push(Line::styled(
            format!("⚠ {}", t(lang, Key::RunsNow)),
            if app.color {
                bold.fg(ratatui::style::Color::Yellow)
            } else {
                bold
            },
        ));
    }
    // The same SQL findings and score the approver will see.
    lines.extend(super::approval_detail::findings_lines(app, s));
    lines.push(Line::from(""));
    lines.extend(plan_lines(app, &p.plan));
    lines.push(Line::from(""));
    lines.push(Line::styled(
        format!(
            "y = {}   n/Esc = {}   j/k",
            t(lang, Key::Submit),
            t(lang, Key::No)
        ),
        bold,
    ));
    let scroll = p.scroll.min(lines.len().saturating_sub(3));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {} ", t(lang, Key::Preview))),
            ),
        r,
    );
}

/// Per group, per host, per step: `L1 host  step [trigger]` and `$ command` (secrets already masked).
pub fn plan_lines(app: &App, plan: &[PlannedStep]) -> Vec<Line<'static>> {
    let lang = app.lang;
    let mut out = Vec::new();
    let mut group = 0;
    for st in plan {
        if st.group != group {
            group = st.group;
            out.push(Line::styled(
                format!("{} {group}", t(lang, Key::Group)),
                Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            ));
        }
        let stdin = if st.stdin.is_empty() {
            String::new()
        } else {
            format!("  stdin: {}", st.stdin.join(", "))
        };
        out.push(Line::from(vec![
            Span::styled(
                format!("  L{} {}", st.level, st.host),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("  {} [{}]{stdin}", st.step, st.trigger)),
        ]));
        for (i, l) in st.command.lines().enumerate() {
            out.push(Line::from(format!(
                "    {} {l}",
                if i == 0 { "$" } else { " " }
            )));
        }
    }
    out
}
