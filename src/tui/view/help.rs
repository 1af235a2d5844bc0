//! The `?` overlay: the current screen's keys, generated from the binding table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::centered;
use crate::tui::app::App;
use crate::tui::i18n::{Key, t};
use crate::tui::keys;

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let lines: Vec<Line> = keys::for_scope(app.scope())
        .map(|b| {
            Line::from(vec![
                Span::styled(
                    format!("{:>14}  ", b.keys),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(t(app.lang, b.action)),
                Span::raw(if b.dangerous { "  (!)" } else { "" }),
            ])
        })
        .collect();
    let r = centered(area, 48, lines.len() as u16 + 2);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", t(app.lang, Key::Help))),
        ),
        r,
    );
}
