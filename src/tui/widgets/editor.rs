//! Draws a multi-line editor (a ratatui-textarea's text and cursor) with line numbers, keeping the
//! cursor in view and highlighting one position (a live check's error).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use ratatui_textarea::TextArea;

/// `mark`: 0-based (line, column in characters) to highlight.
pub fn render(
    ta: &TextArea<'_>,
    area: Rect,
    buf: &mut Buffer,
    focused: bool,
    mark: Option<(usize, usize)>,
    color: bool,
) {
    let lines = ta.lines();
    let c = ta.cursor();
    let (crow, ccol) = (c.0, c.1);
    let h = area.height as usize;
    if h == 0 {
        return;
    }
    let top = if crow >= h { crow + 1 - h } else { 0 };
    let text_w = (area.width as usize).saturating_sub(5).max(1);
    let left = if focused && ccol >= text_w {
        ccol + 1 - text_w
    } else {
        0
    };
    let mark_style = if color {
        Style::default()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
    };
    let cursor_style = Style::default().add_modifier(Modifier::REVERSED);
    let mut out = Vec::new();
    for (row, text) in lines.iter().enumerate().skip(top).take(h) {
        let gutter = if mark.is_some_and(|(l, _)| l == row) {
            Span::styled(format!("{:>3}▶", row + 1), mark_style)
        } else {
            Span::styled(
                format!("{:>3}│", row + 1),
                Style::default().add_modifier(Modifier::DIM),
            )
        };
        let mut spans = vec![gutter];
        let chars: Vec<char> = text.chars().collect();
        let mut plain = String::new();
        // One past the end lets the cursor and an end-of-line error show.
        for col in left..=chars.len() {
            let ch = chars.get(col).copied();
            let style = if focused && row == crow && col == ccol {
                Some(cursor_style)
            } else if mark == Some((row, col)) {
                Some(mark_style)
            } else {
                None
            };
            match (style, ch) {
                (Some(s), c) => {
                    if !plain.is_empty() {
                        spans.push(Span::raw(std::mem::take(&mut plain)));
                    }
                    spans.push(Span::styled(c.unwrap_or(' ').to_string(), s));
                }
                (None, Some(c)) => plain.push(c),
                (None, None) => {}
            }
        }
        if !plain.is_empty() {
            spans.push(Span::raw(plain));
        }
        out.push(Line::from(spans));
    }
    Paragraph::new(out).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_is_highlighted_and_the_cursor_kept_in_view() {
        let mut ta = TextArea::from((1..=20).map(|i| format!("select {i}")).collect::<Vec<_>>());
        ta.move_cursor(ratatui_textarea::CursorMove::Bottom);
        let area = Rect::new(0, 0, 30, 5);
        let mut buf = Buffer::empty(area);
        render(&ta, area, &mut buf, true, Some((18, 7)), false);
        let row =
            |y: u16| -> String { (0..30).map(|x| buf[(x, y)].symbol().to_string()).collect() };
        assert!(row(4).starts_with(" 20│select 20"), "{}", row(4));
        assert!(row(3).starts_with(" 19▶select 19"), "{}", row(3));
        assert!(buf[(11, 3)].modifier.contains(Modifier::UNDERLINED));
    }
}
