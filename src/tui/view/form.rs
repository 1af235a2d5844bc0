//! A module tab: its form's fields (scrolled to keep the focused one in view), errors that belong
//! to no field, and live local results (SQL optimize).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::App;
use crate::tui::forms::Module;
use crate::tui::i18n::{Key, t};

pub fn render(app: &App, f: &mut Frame, area: Rect, m: Module) {
    let lang = app.lang;
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", m.title(lang)));
    let Some(form) = app.modules.forms.get(&m) else {
        f.render_widget(Paragraph::new(t(lang, Key::Loading)).block(block), area);
        return;
    };
    let inner = block.inner(area);
    f.render_widget(block, area);
    let red = if app.color {
        Style::default().fg(Color::Red)
    } else {
        Style::default().add_modifier(Modifier::BOLD)
    };
    let general_h = (form.general.len() as u16).min(3);
    let out_h = if form.output.is_empty() {
        0
    } else {
        (form.output.len() as u16 + 2).min(inner.height / 2)
    };
    let fields_h = inner.height.saturating_sub(general_h + out_h);
    if general_h > 0 {
        f.render_widget(
            Paragraph::new(
                form.general
                    .iter()
                    .map(|g| Line::styled(g.as_str(), red))
                    .collect::<Vec<_>>(),
            ),
            Rect {
                height: general_h,
                ..inner
            },
        );
    }
    // Scroll so the focused field is fully visible.
    let heights: Vec<u16> = form
        .fields
        .list
        .iter()
        .enumerate()
        .map(|(i, x)| x.height(form.focus == Some(i)))
        .collect();
    let focus = form.focus.unwrap_or(0).min(heights.len().saturating_sub(1));
    let mut start = 0;
    while start < focus && heights[start..=focus].iter().sum::<u16>() > fields_h {
        start += 1;
    }
    let mut y = inner.y + general_h;
    let bottom = inner.y + general_h + fields_h;
    for (i, field) in form.fields.list.iter().enumerate().skip(start) {
        if y >= bottom {
            break;
        }
        let h = heights[i].min(bottom - y);
        let cursor = field.render(
            Rect {
                x: inner.x,
                y,
                width: inner.width,
                height: h,
            },
            f.buffer_mut(),
            form.focus == Some(i),
            app.color,
        );
        // The terminal's own cursor marks where typing goes (not over an overlay).
        if let Some(p) = cursor
            && app.overlay == crate::tui::app::Overlay::None
        {
            f.set_cursor_position(p);
        }
        y += h;
    }
    if out_h > 0 {
        f.render_widget(
            Paragraph::new(
                form.output
                    .iter()
                    .map(|l| Line::from(l.as_str()))
                    .collect::<Vec<_>>(),
            )
            .block(
                Block::default()
                    .borders(Borders::TOP)
                    .title(format!(" {} ", t(lang, Key::Result))),
            ),
            Rect {
                x: inner.x,
                y: bottom,
                width: inner.width,
                height: out_h,
            },
        );
    }
}
