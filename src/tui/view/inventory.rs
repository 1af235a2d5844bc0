//! The Inventory tab: tags, hosts, templates and apps.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use crate::model::Connection;
use crate::tui::app::{App, InvSection};
use crate::tui::i18n::{Key, t};

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let lang = app.lang;
    let sections = [
        (InvSection::Tags, Key::Tags),
        (InvSection::Hosts, Key::Hosts),
        (InvSection::Templates, Key::Templates),
        (InvSection::Apps, Key::Apps),
    ];
    let title: Vec<String> = sections
        .iter()
        .map(|(s, k)| {
            if *s == app.inv.section {
                format!("[{}]", t(lang, *k))
            } else {
                t(lang, *k).to_string()
            }
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", title.join(" · ")));
    let Some(inv) = &app.inv.inventory else {
        f.render_widget(Paragraph::new(t(lang, Key::Loading)).block(block), area);
        return;
    };
    let (header, rows, widths): (Vec<&str>, Vec<Vec<String>>, Vec<Constraint>) =
        match app.inv.section {
            InvSection::Tags => (
                vec![t(lang, Key::Name), t(lang, Key::Hosts), t(lang, Key::Proxy)],
                inv.tags
                    .iter()
                    .map(|x| {
                        vec![
                            x.name.clone(),
                            x.hosts.join(","),
                            x.proxy.clone().unwrap_or_default(),
                        ]
                    })
                    .collect(),
                vec![
                    Constraint::Length(16),
                    Constraint::Min(20),
                    Constraint::Length(16),
                ],
            ),
            InvSection::Hosts => (
                vec![t(lang, Key::Name), t(lang, Key::Address), "Port", "Conn"],
                inv.hosts
                    .iter()
                    .map(|h| {
                        vec![
                            h.name.clone(),
                            h.address.clone(),
                            h.port.to_string(),
                            if h.connection == Connection::Local {
                                "local"
                            } else {
                                "ssh"
                            }
                            .into(),
                        ]
                    })
                    .collect(),
                vec![
                    Constraint::Length(24),
                    Constraint::Min(16),
                    Constraint::Length(6),
                    Constraint::Length(6),
                ],
            ),
            InvSection::Templates => (
                vec![t(lang, Key::Id), "v", t(lang, Key::Name)],
                app.inv
                    .templates
                    .iter()
                    .map(|s| {
                        vec![
                            s.template.id.to_string(),
                            s.version.to_string(),
                            s.template.name.clone(),
                        ]
                    })
                    .collect(),
                vec![
                    Constraint::Length(6),
                    Constraint::Length(4),
                    Constraint::Min(20),
                ],
            ),
            InvSection::Apps => (
                vec![t(lang, Key::Name), "Template", t(lang, Key::Targets)],
                inv.apps
                    .iter()
                    .map(|a| {
                        vec![
                            a.name.clone(),
                            a.template.to_string(),
                            a.tag.clone().unwrap_or_else(|| a.hosts.join(",")),
                        ]
                    })
                    .collect(),
                vec![
                    Constraint::Length(20),
                    Constraint::Length(9),
                    Constraint::Min(20),
                ],
            ),
        };
    let table = Table::new(
        rows.into_iter()
            .map(|r| Row::new(r.into_iter().map(Cell::from))),
        widths,
    )
    .header(
        Row::new(header.into_iter().map(Cell::from))
            .style(Style::default().add_modifier(Modifier::BOLD)),
    )
    .block(block)
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(app.inv.sel));
    f.render_stateful_widget(table, area, &mut state);
}
