//! The Approvals tab: tasks waiting on me, with marks for approving several at once.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use crate::model::fmt_local;
use crate::tui::app::App;
use crate::tui::i18n::{Key, t};

/// Draws the list; returns the index of its first visible row when it shows rows.
pub fn render(app: &App, f: &mut Frame, area: Rect) -> Option<usize> {
    let lang = app.lang;
    let block = Block::default().borders(Borders::ALL).title(format!(
        " {} ({}) ",
        t(lang, Key::TabApprovals),
        app.approval_badge()
    ));
    let list = app.visible_approvals();
    if list.is_empty() {
        f.render_widget(Paragraph::new(t(lang, Key::NoApprovals)).block(block), area);
        return None;
    }
    let header = Row::new(
        [
            "",
            t(lang, Key::Id),
            t(lang, Key::Submitter),
            t(lang, Key::Module),
            t(lang, Key::Targets),
            t(lang, Key::ExecTime),
            t(lang, Key::WaitingSince),
        ]
        .map(Cell::from),
    )
    .style(Style::default().add_modifier(Modifier::BOLD));
    let rows: Vec<Row> = list
        .iter()
        .map(|task| {
            let waited = Utc::now() - task.created_at;
            let hosts = task.spec.all_hosts();
            let targets = if hosts.len() > 3 {
                format!("{} +{}", hosts[..3].join(","), hosts.len() - 3)
            } else {
                hosts.join(",")
            };
            Row::new(vec![
                Cell::from(if app.approvals.marked.contains(&task.id) {
                    "●"
                } else {
                    " "
                }),
                Cell::from(task.id.to_string()),
                Cell::from(task.spec.submitter.clone()),
                Cell::from(task.spec.module.as_str()),
                Cell::from(targets),
                Cell::from(fmt_local(task.spec.exec_time)),
                Cell::from(format!("{}m", waited.num_minutes())),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(2),
            Constraint::Length(6),
            Constraint::Length(12),
            Constraint::Length(13),
            Constraint::Min(16),
            Constraint::Length(20),
            Constraint::Length(8),
        ],
    )
    .header(header)
    .block(block)
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(app.approvals.sel));
    f.render_stateful_widget(table, area, &mut state);
    Some(state.offset())
}
