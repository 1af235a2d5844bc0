//! Form fields of the module tabs: text, select with type-to-filter, multi-select, key/value rows,
//! exec time with its resolved local time, and multi-line editors (ratatui-textarea).

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use ratatui_textarea::TextArea;

use crate::model::MASK;
use crate::model::{fmt_local, parse_exec_time};

/// One argument row of a key/value editor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KvRow {
    pub key: String,
    pub value: String,
    pub required: bool,
    pub secret: bool,
}

pub enum Value {
    Text(String),
    /// Options and the chosen index; typing filters the options.
    Select {
        options: Vec<String>,
        chosen: Option<usize>,
        filter: String,
        cursor: usize,
    },
    Multi {
        options: Vec<String>,
        chosen: Vec<bool>,
        cursor: usize,
    },
    Kv {
        rows: Vec<KvRow>,
        cursor: usize,
        on_value: bool,
    },
    Time(String),
    Editor(Box<TextArea<'static>>),
}

pub struct Field {
    /// The form field name validation errors refer to.
    pub name: &'static str,
    pub label: String,
    pub value: Value,
    pub error: Option<String>,
    /// A note shown under the field (e.g. live SQL check warnings).
    pub note: Option<String>,
    /// A position an editor highlights: 0-based line and column (a live check's error).
    pub mark: Option<(usize, usize)>,
    /// Text rows of an editor.
    pub rows: u16,
}

impl Field {
    pub fn text(name: &'static str, label: impl Into<String>, v: &str) -> Field {
        Field::new(name, label, Value::Text(v.into()))
    }

    pub fn select(name: &'static str, label: impl Into<String>, options: Vec<String>) -> Field {
        Field::new(
            name,
            label,
            Value::Select {
                options,
                chosen: None,
                filter: String::new(),
                cursor: 0,
            },
        )
    }

    pub fn multi(name: &'static str, label: impl Into<String>, options: Vec<String>) -> Field {
        let n = options.len();
        Field::new(
            name,
            label,
            Value::Multi {
                options,
                chosen: vec![false; n],
                cursor: 0,
            },
        )
    }

    pub fn kv(name: &'static str, label: impl Into<String>, rows: Vec<KvRow>) -> Field {
        Field::new(
            name,
            label,
            Value::Kv {
                rows,
                cursor: 0,
                on_value: true,
            },
        )
    }

    pub fn time(name: &'static str, label: impl Into<String>) -> Field {
        Field::new(name, label, Value::Time("now".into()))
    }

    pub fn editor(name: &'static str, label: impl Into<String>, text: &str) -> Field {
        let mut ta = TextArea::from(text.lines().map(str::to_string).collect::<Vec<_>>());
        ta.set_cursor_line_style(Style::default());
        Field::new(name, label, Value::Editor(Box::new(ta)))
    }

    fn new(name: &'static str, label: impl Into<String>, value: Value) -> Field {
        Field {
            name,
            label: label.into(),
            value,
            error: None,
            note: None,
            mark: None,
            rows: 7,
        }
    }

    /// Rows the field takes on screen.
    pub fn height(&self) -> u16 {
        let extra = self.error.as_deref().map_or(0, message_rows)
            + self.note.as_deref().map_or(0, message_rows);
        extra
            + match &self.value {
                Value::Text(_) | Value::Time(_) | Value::Select { .. } => 1,
                Value::Multi { options, .. } => (options.len() as u16).clamp(1, 6) + 1,
                Value::Kv { rows, .. } => (rows.len() as u16).max(1) + 1,
                Value::Editor(_) => self.rows + 1,
            }
    }

    /// The field's text value: the text, the chosen option, the time as typed, or the editor's lines.
    pub fn as_text(&self) -> String {
        match &self.value {
            Value::Text(s) | Value::Time(s) => s.clone(),
            Value::Select {
                options, chosen, ..
            } => chosen
                .and_then(|i| options.get(i).cloned())
                .unwrap_or_default(),
            Value::Editor(ta) => ta.lines().join("\n"),
            Value::Multi { .. } | Value::Kv { .. } => String::new(),
        }
    }

    pub fn chosen(&self) -> Vec<String> {
        match &self.value {
            Value::Multi {
                options, chosen, ..
            } => options
                .iter()
                .zip(chosen)
                .filter(|(_, c)| **c)
                .map(|(o, _)| o.clone())
                .collect(),
            _ => self
                .as_text()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        }
    }

    pub fn rows(&self) -> Vec<KvRow> {
        match &self.value {
            Value::Kv { rows, .. } => rows.clone(),
            _ => vec![],
        }
    }

    /// Sets the options of a select or multi-select, keeping what was chosen when it still exists.
    pub fn set_options(&mut self, new: Vec<String>) {
        match &mut self.value {
            Value::Select {
                options, chosen, ..
            } => {
                let keep = chosen.and_then(|i| options.get(i).cloned());
                *chosen = keep.and_then(|k| new.iter().position(|o| *o == k));
                *options = new;
            }
            Value::Multi {
                options,
                chosen,
                cursor,
            } => {
                let keep: Vec<String> = options
                    .iter()
                    .zip(chosen.iter())
                    .filter(|(_, c)| **c)
                    .map(|(o, _)| o.clone())
                    .collect();
                *chosen = new.iter().map(|o| keep.contains(o)).collect();
                *options = new;
                *cursor = (*cursor).min(options.len().saturating_sub(1));
            }
            _ => {}
        }
    }

    pub fn choose(&mut self, option: &str) {
        match &mut self.value {
            Value::Select {
                options, chosen, ..
            } => *chosen = options.iter().position(|o| o == option),
            Value::Multi {
                options, chosen, ..
            } => {
                if let Some(i) = options.iter().position(|o| o == option) {
                    chosen[i] = true;
                }
            }
            Value::Text(s) | Value::Time(s) => *s = option.to_string(),
            Value::Editor(ta) => {
                **ta = TextArea::from(option.lines().map(str::to_string).collect::<Vec<_>>());
            }
            Value::Kv { .. } => {}
        }
    }

    pub fn set_rows(&mut self, new: Vec<KvRow>) {
        if let Value::Kv { rows, cursor, .. } = &mut self.value {
            *rows = new;
            *cursor = 0;
        }
    }

    /// Handles a key while the field has focus; returns false when the key is not the field's
    /// (Tab, Shift-Tab, Esc and Ctrl-S are always the form's).
    pub fn key(&mut self, k: KeyEvent) -> bool {
        if matches!(k.code, KeyCode::Tab | KeyCode::BackTab | KeyCode::Esc)
            || (k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('s'))
        {
            return false;
        }
        match &mut self.value {
            Value::Text(s) | Value::Time(s) => match k.code {
                KeyCode::Char(c) => s.push(c),
                KeyCode::Backspace => {
                    s.pop();
                }
                _ => return false,
            },
            Value::Select {
                options,
                chosen,
                filter,
                cursor,
            } => {
                let visible: Vec<usize> = options
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| o.to_lowercase().contains(&filter.to_lowercase()))
                    .map(|(i, _)| i)
                    .collect();
                match k.code {
                    KeyCode::Down => *cursor = (*cursor + 1).min(visible.len().saturating_sub(1)),
                    KeyCode::Up => *cursor = cursor.saturating_sub(1),
                    KeyCode::Char(c) => {
                        filter.push(c);
                        *cursor = 0;
                    }
                    KeyCode::Backspace => {
                        filter.pop();
                        *cursor = 0;
                    }
                    KeyCode::Enter => {
                        if let Some(i) = visible.get(*cursor) {
                            *chosen = Some(*i);
                            filter.clear();
                        }
                    }
                    _ => return false,
                }
                // Typing narrows to one match: take it.
                let visible: Vec<usize> = options
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| o.to_lowercase().contains(&filter.to_lowercase()))
                    .map(|(i, _)| i)
                    .collect();
                if !filter.is_empty() && visible.len() == 1 {
                    *chosen = Some(visible[0]);
                } else if let Some(i) = visible.get(*cursor)
                    && !filter.is_empty()
                {
                    *chosen = Some(*i);
                }
            }
            Value::Multi {
                options,
                chosen,
                cursor,
            } => match k.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    *cursor = (*cursor + 1).min(options.len().saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => *cursor = cursor.saturating_sub(1),
                KeyCode::Char(' ') => {
                    if let Some(c) = chosen.get_mut(*cursor) {
                        *c = !*c;
                    }
                }
                KeyCode::Char('a') => {
                    let all = chosen.iter().all(|c| *c);
                    chosen.iter_mut().for_each(|c| *c = !all);
                }
                _ => return false,
            },
            Value::Kv {
                rows,
                cursor,
                on_value,
            } => {
                let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                match k.code {
                    KeyCode::Char('n') if ctrl => {
                        rows.push(KvRow::default());
                        *cursor = rows.len() - 1;
                        *on_value = false;
                    }
                    KeyCode::Char('d') if ctrl => {
                        if *cursor < rows.len() && !rows[*cursor].required {
                            rows.remove(*cursor);
                            *cursor = (*cursor).min(rows.len().saturating_sub(1));
                        }
                    }
                    KeyCode::Down => *cursor = (*cursor + 1).min(rows.len().saturating_sub(1)),
                    KeyCode::Up => *cursor = cursor.saturating_sub(1),
                    KeyCode::Left | KeyCode::Right => *on_value = !*on_value,
                    KeyCode::Char(c) => {
                        if let Some(r) = rows.get_mut(*cursor) {
                            if *on_value {
                                r.value.push(c)
                            } else {
                                r.key.push(c)
                            }
                        }
                    }
                    KeyCode::Backspace => {
                        if let Some(r) = rows.get_mut(*cursor) {
                            if *on_value {
                                r.value.pop()
                            } else {
                                r.key.pop()
                            };
                        }
                    }
                    _ => return false,
                }
            }
            Value::Editor(ta) => {
                ta.input(k);
            }
        }
        true
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, focused: bool, color: bool) {
        let label_style = if focused {
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        };
        let label = Span::styled(pad(&self.label, 14), label_style);
        let mut lines: Vec<Line> = Vec::new();
        let mut editor_area = None;
        match &self.value {
            Value::Text(s) => lines.push(Line::from(vec![
                label,
                Span::raw(" "),
                Span::raw(s.clone()),
            ])),
            Value::Time(s) => {
                let resolved = match parse_exec_time(s, Utc::now()) {
                    Ok(t) => format!("  → {}", fmt_local(t)),
                    Err(_) => "  → ?".into(),
                };
                lines.push(Line::from(vec![
                    label,
                    Span::raw(" "),
                    Span::raw(s.clone()),
                    Span::styled(resolved, Style::default().add_modifier(Modifier::DIM)),
                ]));
            }
            Value::Select {
                options,
                chosen,
                filter,
                cursor,
            } => {
                let shown = chosen
                    .and_then(|i| options.get(i).cloned())
                    .unwrap_or_else(|| "—".into());
                let hint = if focused && !filter.is_empty() {
                    let visible: Vec<&String> = options
                        .iter()
                        .filter(|o| o.to_lowercase().contains(&filter.to_lowercase()))
                        .collect();
                    format!(
                        "  [{filter}] {} ({}/{})",
                        visible.get(*cursor).map(|s| s.as_str()).unwrap_or(""),
                        visible.len(),
                        options.len()
                    )
                } else if focused {
                    format!("  ({} ↑↓ Enter)", options.len())
                } else {
                    String::new()
                };
                lines.push(Line::from(vec![
                    label,
                    Span::raw(" "),
                    Span::raw(shown),
                    Span::styled(hint, Style::default().add_modifier(Modifier::DIM)),
                ]));
            }
            Value::Multi {
                options,
                chosen,
                cursor,
            } => {
                let n = chosen.iter().filter(|c| **c).count();
                lines.push(Line::from(vec![
                    label,
                    Span::raw(format!(" {n}/{} (Space, a)", options.len())),
                ]));
                let start = cursor.saturating_sub(5);
                for (i, o) in options.iter().enumerate().skip(start).take(6) {
                    let mark = if chosen[i] { "[x]" } else { "[ ]" };
                    let style = if focused && i == *cursor {
                        Style::default().add_modifier(Modifier::REVERSED)
                    } else {
                        Style::default()
                    };
                    lines.push(Line::from(Span::styled(
                        format!("               {mark} {o}"),
                        style,
                    )));
                }
            }
            Value::Kv {
                rows,
                cursor,
                on_value,
            } => {
                lines.push(Line::from(vec![
                    label,
                    Span::styled(
                        " (Ctrl-N add, Ctrl-D remove, ←→)",
                        Style::default().add_modifier(Modifier::DIM),
                    ),
                ]));
                for (i, r) in rows.iter().enumerate() {
                    let value = if r.secret && !r.value.is_empty() {
                        MASK.to_string()
                    } else {
                        r.value.clone()
                    };
                    let marks = format!(
                        "{}{}",
                        if r.required { "*" } else { " " },
                        if r.secret { "🔒" } else { "  " }
                    );
                    let sel = focused && i == *cursor;
                    let ks = if sel && !*on_value {
                        Style::default().add_modifier(Modifier::REVERSED)
                    } else {
                        Style::default()
                    };
                    let vs = if sel && *on_value {
                        Style::default().add_modifier(Modifier::REVERSED)
                    } else {
                        Style::default()
                    };
                    lines.push(Line::from(vec![
                        Span::raw(format!("            {marks} ")),
                        Span::styled(format!("{:<20}", r.key), ks),
                        Span::raw(" = "),
                        Span::styled(value, vs),
                    ]));
                }
            }
            Value::Editor(_) => {
                lines.push(Line::from(label));
                editor_area = Some(Rect {
                    x: area.x,
                    y: area.y + 1,
                    width: area.width,
                    height: self.rows.min(area.height.saturating_sub(1)),
                });
            }
        }
        let body_h = lines.len() as u16;
        Paragraph::new(lines).render(
            Rect {
                height: body_h.min(area.height),
                ..area
            },
            buf,
        );
        if let (Some(r), Value::Editor(ta)) = (editor_area, &self.value) {
            super::editor::render(ta, r, buf, focused, self.mark, color);
        }
        let mut y = area.y + self.height()
            - self.error.as_deref().map_or(0, message_rows)
            - self.note.as_deref().map_or(0, message_rows);
        let red = if color {
            Style::default().fg(Color::Red)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        };
        for (text, style) in [
            (self.error.as_ref(), red),
            (
                self.note.as_ref(),
                Style::default().add_modifier(Modifier::DIM),
            ),
        ] {
            if let Some(t) = text
                && y < area.y + area.height
            {
                let rows = message_rows(t).min(area.y + area.height - y);
                Paragraph::new(Span::styled(t.as_str(), style))
                    .wrap(ratatui::widgets::Wrap { trim: false })
                    .render(
                        Rect {
                            x: area.x + 15.min(area.width),
                            y,
                            width: area.width.saturating_sub(15),
                            height: rows,
                        },
                        buf,
                    );
                y += rows;
            }
        }
    }
}

/// Rows an error or note under a field takes: wrapped at about 80 cells, at most 3.
fn message_rows(s: &str) -> u16 {
    (unicode_width::UnicodeWidthStr::width(s) / 80 + 1).min(3) as u16
}

/// `s` cut or padded to `width` terminal cells (CJK characters take two).
fn pad(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push_str(&" ".repeat(width - used));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn select_filters_as_you_type() {
        let mut f = Field::select("tag", "Tag", vec!["web".into(), "db".into(), "demo".into()]);
        f.key(k(KeyCode::Char('e')));
        f.key(k(KeyCode::Char('m')));
        assert_eq!(f.as_text(), "demo");
        f.key(k(KeyCode::Backspace));
        f.key(k(KeyCode::Backspace));
        f.key(k(KeyCode::Down));
        f.key(k(KeyCode::Enter));
        assert!(!f.as_text().is_empty());
        assert!(!f.key(k(KeyCode::Tab)), "Tab belongs to the form");
    }

    #[test]
    fn multi_toggles_and_all() {
        let mut f = Field::multi("hosts", "Hosts", vec!["a".into(), "b".into()]);
        f.key(k(KeyCode::Char(' ')));
        assert_eq!(f.chosen(), vec!["a"]);
        f.key(k(KeyCode::Char('a')));
        assert_eq!(f.chosen(), vec!["a", "b"]);
        f.set_options(vec!["b".into(), "c".into()]);
        assert_eq!(f.chosen(), vec!["b"]);
    }

    #[test]
    fn kv_rows_add_edit_remove_but_keep_required() {
        let mut f = Field::kv(
            "args",
            "Args",
            vec![KvRow {
                key: "V".into(),
                required: true,
                ..Default::default()
            }],
        );
        f.key(k(KeyCode::Char('1')));
        f.key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
        assert_eq!(f.rows().len(), 1, "a required row stays");
        f.key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL));
        f.key(k(KeyCode::Char('X')));
        f.key(k(KeyCode::Right));
        f.key(k(KeyCode::Char('y')));
        assert_eq!(f.rows()[0].value, "1");
        assert_eq!(
            (f.rows()[1].key.as_str(), f.rows()[1].value.as_str()),
            ("X", "y")
        );
        f.key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
        assert_eq!(f.rows().len(), 1);
    }

    #[test]
    fn secret_values_are_masked_on_screen() {
        let f = Field::kv(
            "args",
            "Args",
            vec![KvRow {
                key: "TOKEN".into(),
                value: "hunter2".into(),
                secret: true,
                required: false,
            }],
        );
        let mut buf = Buffer::empty(Rect::new(0, 0, 60, 3));
        f.render(Rect::new(0, 0, 60, 3), &mut buf, true, false);
        let text: String = (0..3)
            .flat_map(|y| (0..60).map(move |x| (x, y)))
            .map(|(x, y)| buf[(x, y)].symbol().to_string())
            .collect();
        assert!(!text.contains("hunter2") && text.contains(MASK), "{text}");
    }
}
