//! The Tasks tab: a filterable list with state colours.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::state_span;
use crate::model::fmt_local;
use crate::tui::app::App;
use crate::tui::i18n::{Key, t};

/// Draws the list; returns the index of its first visible row when it shows rows.
pub fn render(app: &App, f: &mut Frame, area: Rect) -> Option<usize> {
    let lang = app.lang;
    let title = if app.tasks.filter.is_empty() {
        format!(" {} ", t(lang, Key::TabTasks))
    } else {
        format!(
            " {} [{}: {}] ",
            t(lang, Key::TabTasks),
            t(lang, Key::Filter),
            app.tasks.filter
        )
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let tasks = app.visible_tasks();
    if tasks.is_empty() && app.tasks.filter.is_empty() && app.pending == 0 {
        // A fresh data dir: what to try first.
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let lines = vec![
            Line::styled(t(lang, Key::GettingStarted), bold),
            Line::from(""),
            Line::from(t(lang, Key::GsNoTasks)),
            Line::from(""),
            Line::from(format!("  {}", t(lang, Key::GsCustom))),
            Line::from(format!("  {}", t(lang, Key::GsModules))),
            Line::from(format!("  {}", t(lang, Key::GsInventory))),
            Line::from(format!("  {}", t(lang, Key::GsHelp))),
        ];
        f.render_widget(
            Paragraph::new(lines)
                .wrap(ratatui::widgets::Wrap { trim: false })
                .block(block),
            area,
        );
        return None;
    }
    if tasks.is_empty() {
        f.render_widget(Paragraph::new(t(lang, Key::NoTasks)).block(block), area);
        return None;
    }
    let header = Row::new(
        [
            Key::Id,
            Key::State,
            Key::Module,
            Key::Submitter,
            Key::ExecTime,
            Key::Name,
        ]
        .map(|k| Cell::from(t(lang, k))),
    )
    .style(Style::default().add_modifier(Modifier::BOLD));
    let rows: Vec<Row> = tasks
        .iter()
        .map(|task| {
            Row::new(vec![
                Cell::from(task.id.to_string()),
                Cell::from(Line::from(state_span(app, task.state))),
                Cell::from(task.spec.module.as_str()),
                Cell::from(task.spec.submitter.clone()),
                Cell::from(fmt_local(task.spec.exec_time)),
                Cell::from(crate::text::display_line(&task.spec.name).into_owned()),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(17),
            Constraint::Length(13),
            Constraint::Length(12),
            Constraint::Length(20),
            Constraint::Min(10),
        ],
    )
    .header(header)
    .block(block)
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(app.tasks.sel));
    f.render_stateful_widget(table, area, &mut state);
    Some(state.offset())
}
