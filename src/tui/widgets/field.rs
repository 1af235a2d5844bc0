//! Form fields of the module tabs: text, select with type-to-filter, multi-select, key/value rows,
//! exec time with its resolved local time, and multi-line editors (ratatui-textarea).

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use ratatui_textarea::TextArea;
use unicode_width::UnicodeWidthStr;

use super::line::LineInput;
use crate::tui::i18n::{Key, Lang, t};

use crate::model::MASK;
use crate::model::{fmt_local, parse_exec_time};

/// One argument row of a key/value editor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KvRow {
    pub key: String,
    pub value: String,
    pub required: bool,
    pub secret: bool,
    /// Declared by the template: the name cannot be edited, only the value.
    pub fixed: bool,
}

/// Why a paste was not taken (the field is unchanged).
#[derive(Debug, Clone, PartialEq)]
pub enum PasteRefused {
    /// Several lines into a one-line field: how many.
    MultiLine(usize),
    /// Larger than the field takes: its size and the limit, in bytes.
    TooLarge(usize, usize),
    /// The field takes no text (a multi-select).
    NotText,
}

/// The largest paste a multi-line editor takes, and a one-line field.
pub const EDITOR_PASTE_MAX: usize = 4 << 20;
pub const LINE_PASTE_MAX: usize = 4096;

pub enum Value {
    Text(LineInput),
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
        /// The line editor of the cell with focus (mirrors `rows[cursor]`).
        input: LineInput,
    },
    Time(LineInput),
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
    /// What a focused select with no options says: why, and what to add.
    pub empty_hint: Option<String>,
    /// The language of the field's own hints (set by the form).
    pub lang: Lang,
}

impl Field {
    pub fn text(name: &'static str, label: impl Into<String>, v: &str) -> Field {
        Field::new(name, label, Value::Text(LineInput::new(v)))
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
                input: LineInput::default(),
            },
        )
    }

    pub fn time(name: &'static str, label: impl Into<String>) -> Field {
        Field::new(name, label, Value::Time(LineInput::new("now")))
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
            empty_hint: None,
            lang: Lang::En,
        }
    }

    /// Rows the field takes on screen.
    /// Rows the field takes on screen (a focused select lists its options under it).
    pub fn height(&self, focused: bool) -> u16 {
        let extra = self.error.as_deref().map_or(0, message_rows)
            + self.note.as_deref().map_or(0, message_rows);
        extra
            + match &self.value {
                Value::Select { options, .. } if focused && options.is_empty() => {
                    1 + self
                        .empty_hint
                        .as_deref()
                        .map_or(0, |h| wrap_cells(h, HINT_WIDTH).len() as u16)
                }
                Value::Select {
                    options, filter, ..
                } if focused => 1 + filtered(options, filter).len().min(DROPDOWN) as u16,
                Value::Text(_) | Value::Time(_) | Value::Select { .. } => 1,
                Value::Multi { options, .. } => (options.len() as u16).clamp(1, 6) + 1,
                Value::Kv { rows, .. } => (rows.len() as u16).max(1) + 1,
                Value::Editor(_) => self.rows + 1,
            }
    }

    /// The field's text value: the text, the chosen option, the time as typed, or the editor's lines.
    pub fn as_text(&self) -> String {
        match &self.value {
            Value::Text(s) | Value::Time(s) => s.value().to_string(),
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
            Value::Text(s) | Value::Time(s) => s.set(option),
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
            Value::Text(s) | Value::Time(s) => return s.key(k),
            Value::Select {
                options,
                chosen,
                filter,
                cursor,
            } => {
                let visible = filtered(options, filter);
                match k.code {
                    KeyCode::Down => *cursor = (*cursor + 1).min(visible.len().saturating_sub(1)),
                    KeyCode::Up => *cursor = cursor.saturating_sub(1),
                    KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
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
                let visible = filtered(options, filter);
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
                input,
            } => {
                let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                sync_cell(rows, *cursor, on_value, input);
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
                    // ← at the start of a value moves to the name, when the name may be edited.
                    KeyCode::Left
                        if *on_value
                            && input.cursor() == 0
                            && rows.get(*cursor).is_some_and(|r| !r.fixed) =>
                    {
                        *on_value = false;
                    }
                    KeyCode::Right
                        if !*on_value && input.cursor() == input.value().chars().count() =>
                    {
                        *on_value = true;
                        sync_cell(rows, *cursor, on_value, input);
                        input.key(KeyEvent::new(KeyCode::Home, KeyModifiers::NONE));
                        return true;
                    }
                    _ => {
                        if rows.is_empty() || !input.key(k) {
                            return false;
                        }
                        if let Some(r) = rows.get_mut(*cursor) {
                            let cell = if *on_value { &mut r.value } else { &mut r.key };
                            *cell = input.value().to_string();
                        }
                        return true;
                    }
                }
                sync_cell(rows, *cursor, on_value, input);
            }
            Value::Editor(ta) => {
                ta.input(k);
            }
        }
        true
    }

    /// A paste as one edit of this field: an editor takes it as one block; a one-line field takes
    /// one line (a multi-line paste is refused, nothing changes). `text` is already cleaned of
    /// control characters (`crate::text::clean_paste`).
    pub fn paste(&mut self, text: &str) -> Result<(), PasteRefused> {
        let lines = text.trim_end_matches('\n').split('\n').count();
        if let Value::Editor(ta) = &mut self.value {
            if text.len() > EDITOR_PASTE_MAX {
                return Err(PasteRefused::TooLarge(text.len(), EDITOR_PASTE_MAX));
            }
            ta.insert_str(text);
            return Ok(());
        }
        if lines > 1 {
            return Err(PasteRefused::MultiLine(lines));
        }
        if text.len() > LINE_PASTE_MAX {
            return Err(PasteRefused::TooLarge(text.len(), LINE_PASTE_MAX));
        }
        let line = text.trim_end_matches(['\n', '\r']);
        match &mut self.value {
            Value::Text(s) | Value::Time(s) => s.insert(line),
            Value::Select {
                options,
                chosen,
                filter,
                cursor,
            } => {
                filter.push_str(line.trim());
                *cursor = 0;
                let visible = filtered(options, filter);
                if let Some(i) = visible.first() {
                    *chosen = Some(*i);
                }
            }
            Value::Kv {
                rows,
                cursor,
                on_value,
                input,
            } => {
                sync_cell(rows, *cursor, on_value, input);
                let Some(r) = rows.get_mut(*cursor) else {
                    return Err(PasteRefused::NotText);
                };
                input.insert(line);
                let cell = if *on_value { &mut r.value } else { &mut r.key };
                *cell = input.value().to_string();
            }
            Value::Multi { .. } => return Err(PasteRefused::NotText),
            Value::Editor(_) => {}
        }
        Ok(())
    }

    /// Draws the field; returns where the terminal's cursor goes when the field has focus and
    /// takes text.
    pub fn render(
        &self,
        area: Rect,
        buf: &mut Buffer,
        focused: bool,
        color: bool,
    ) -> Option<Position> {
        // Label (14 cells) and a space: where a one-line value starts.
        let value_x = area.x + 15.min(area.width);
        let value_w = area.width.saturating_sub(15) as usize;
        let mut caret = None;
        let label_style = if focused {
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        };
        let label = Span::styled(pad(&self.label, 14), label_style);
        let mut lines: Vec<Line> = Vec::new();
        let mut editor_area = None;
        match &self.value {
            Value::Text(s) => {
                let (shown, at) = s.view(value_w);
                if focused {
                    caret = Some(Position::new(value_x + at as u16, area.y));
                }
                lines.push(Line::from(vec![label, Span::raw(" "), Span::raw(shown)]));
            }
            Value::Time(s) => {
                let resolved = match parse_exec_time(s.value(), Utc::now()) {
                    Ok(t) => format!("  → {}", fmt_local(t)),
                    Err(_) => "  → ?".into(),
                };
                let room = value_w.saturating_sub(UnicodeWidthStr::width(resolved.as_str()));
                let (shown, at) = s.view(room.max(value_w / 2));
                if focused {
                    caret = Some(Position::new(value_x + at as u16, area.y));
                }
                lines.push(Line::from(vec![
                    label,
                    Span::raw(" "),
                    Span::raw(shown),
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
                let visible = filtered(options, filter);
                let hint = if focused && !filter.is_empty() {
                    format!("  [{filter}] ({}/{})", visible.len(), options.len())
                } else if focused {
                    format!("  ({} {})", options.len(), t(self.lang, Key::HintSelect))
                } else {
                    String::new()
                };
                lines.push(Line::from(vec![
                    label,
                    Span::raw(" "),
                    Span::raw(shown),
                    Span::styled(hint, Style::default().add_modifier(Modifier::DIM)),
                ]));
                // Focused: the options as a list under the field, the one under the cursor marked;
                // no options: why, and what to add.
                if focused && options.is_empty() {
                    for l in wrap_cells(self.empty_hint.as_deref().unwrap_or(""), HINT_WIDTH) {
                        lines.push(Line::styled(
                            format!("               {l}"),
                            Style::default().add_modifier(Modifier::DIM),
                        ));
                    }
                } else if focused {
                    let start = cursor.saturating_sub(DROPDOWN - 1);
                    for (n, i) in visible.iter().enumerate().skip(start).take(DROPDOWN) {
                        let here = n == *cursor;
                        let style = if here {
                            Style::default().add_modifier(Modifier::REVERSED)
                        } else {
                            Style::default()
                        };
                        let mark = if Some(*i) == *chosen { "●" } else { " " };
                        lines.push(Line::from(Span::styled(
                            format!("               {mark} {}", options[*i]),
                            style,
                        )));
                    }
                }
            }
            Value::Multi {
                options,
                chosen,
                cursor,
            } => {
                let n = chosen.iter().filter(|c| **c).count();
                lines.push(Line::from(vec![
                    label,
                    Span::raw(format!(
                        " {n}/{} ({})",
                        options.len(),
                        t(self.lang, Key::HintMulti)
                    )),
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
                input,
            } => {
                lines.push(Line::from(vec![
                    label,
                    Span::styled(
                        format!(" ({})", t(self.lang, Key::HintRows)),
                        Style::default().add_modifier(Modifier::DIM),
                    ),
                ]));
                for (i, r) in rows.iter().enumerate() {
                    let sel = focused && i == *cursor;
                    let editing = |cell: &str| sel && input.value() == cell;
                    let secret = |t: &str| "•".repeat(t.chars().count());
                    let value_w = (area.width as usize).saturating_sub(KV_VALUE_X as usize);
                    let value = if sel && *on_value && editing(&r.value) {
                        let (t, at) = input.view(value_w);
                        caret = Some(Position::new(
                            area.x + KV_VALUE_X + at as u16,
                            area.y + 1 + i as u16,
                        ));
                        if r.secret { secret(&t) } else { t }
                    } else if r.secret && !r.value.is_empty() {
                        MASK.to_string()
                    } else {
                        r.value.clone()
                    };
                    let key = if sel && !*on_value && editing(&r.key) {
                        let (t, at) = input.view(20);
                        caret = Some(Position::new(
                            area.x + KV_KEY_X + at as u16,
                            area.y + 1 + i as u16,
                        ));
                        t
                    } else {
                        r.key.clone()
                    };
                    let marks = format!(
                        "{}{}",
                        if r.required { "*" } else { " " },
                        if r.secret { "🔒" } else { "  " }
                    );
                    let ks = if sel && !*on_value {
                        Style::default().add_modifier(Modifier::REVERSED)
                    } else if r.fixed {
                        Style::default().add_modifier(Modifier::DIM)
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
                        Span::styled(pad(&key, 20), ks),
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
        let mut y = area.y + self.height(focused)
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
                Paragraph::new(ratatui::text::Text::styled(t.as_str(), style))
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
        caret.filter(|p| area.contains(*p))
    }
}

/// Options a focused select lists under it.
const DROPDOWN: usize = 6;
/// Where the name and the value of a kv row start.
const KV_KEY_X: u16 = 16;
const KV_VALUE_X: u16 = 39;

/// Indices of the options matching `filter` (case-insensitive).
fn filtered(options: &[String], filter: &str) -> Vec<usize> {
    let f = filter.to_lowercase();
    options
        .iter()
        .enumerate()
        .filter(|(_, o)| o.to_lowercase().contains(&f))
        .map(|(i, _)| i)
        .collect()
}

/// Points a kv field's line editor at the cell with focus (the name of a declared arg is never
/// focused), reloading it when the row changed underneath.
fn sync_cell(rows: &[KvRow], cursor: usize, on_value: &mut bool, input: &mut LineInput) {
    let Some(r) = rows.get(cursor) else {
        input.set("");
        return;
    };
    if r.fixed {
        *on_value = true;
    }
    let cell = if *on_value { &r.value } else { &r.key };
    if input.value() != cell {
        input.set(cell);
    }
}

/// Rows an error or note under a field takes: its lines wrapped at about 80 cells, at most 8.
fn message_rows(s: &str) -> u16 {
    s.lines()
        .map(|l| UnicodeWidthStr::width(l) / 80 + 1)
        .sum::<usize>()
        .clamp(1, 8) as u16
}

/// Cells an empty select's hint wraps at: it starts 15 cells in, and must fit in a bordered
/// form at 80 columns.
const HINT_WIDTH: usize = 60;

/// `s` wrapped to lines of at most `width` terminal cells (CJK characters take two): each of its
/// lines is broken at the last space that fits, or between characters when there is none.
fn wrap_cells(s: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let mut out = Vec::new();
    for line in s.lines() {
        let mut cur = String::new();
        let mut used = 0;
        for c in line.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && !cur.is_empty() {
                match cur.rfind(' ').filter(|&i| i > 0) {
                    Some(i) => {
                        let rest = cur[i + 1..].to_string();
                        cur.truncate(i);
                        out.push(std::mem::take(&mut cur));
                        cur = rest;
                    }
                    None => out.push(std::mem::take(&mut cur)),
                }
                used = UnicodeWidthStr::width(cur.as_str());
            }
            cur.push(c);
            used += w;
        }
        out.push(cur);
    }
    out
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
    fn empty_hint_wraps_by_display_width() {
        let zh = "没有合适的标签：SQL 审核需要一个带 `proxy` 主机和一个 role = \"write\" 的 MySQL 数据库的标签。";
        let en =
            "no tag qualifies: SQL audit needs a tag with a `proxy` host and one MySQL database";
        for s in [zh, en] {
            let lines = wrap_cells(s, 20);
            assert!(lines.len() > 1, "{s} was not wrapped");
            for l in &lines {
                assert!(
                    UnicodeWidthStr::width(l.as_str()) <= 20,
                    "{l:?} is wider than 20"
                );
            }
            let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            let orig: String = s.chars().filter(|c| *c != ' ').collect();
            assert_eq!(joined, orig, "wrapping lost text");
        }
        assert_eq!(wrap_cells("a b\nc", 60), vec!["a b", "c"]);
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
                fixed: true,
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
