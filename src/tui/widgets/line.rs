//! A single-line text input: ratatui-textarea's editing engine held to one line, with the keys of a
//! terminal line editor (←/→, Home/End, Ctrl-A/E/U/K/W, Alt-B/F/D, Delete) and a cursor drawn by the
//! terminal itself (`Frame::set_cursor_position`), wide characters counted as two cells.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea};
use unicode_width::UnicodeWidthChar;

#[derive(Clone)]
pub struct LineInput {
    ta: TextArea<'static>,
}

impl std::fmt::Debug for LineInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LineInput").field(&self.value()).finish()
    }
}

impl PartialEq for LineInput {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value() && self.cursor() == other.cursor()
    }
}

impl Default for LineInput {
    fn default() -> Self {
        LineInput::new("")
    }
}

impl LineInput {
    /// An input holding `text` (newlines become spaces), the cursor at its end.
    pub fn new(text: &str) -> LineInput {
        let mut ta = TextArea::from([one_line(text)]);
        ta.move_cursor(CursorMove::End);
        LineInput { ta }
    }

    pub fn value(&self) -> &str {
        self.ta.lines().first().map(String::as_str).unwrap_or("")
    }

    /// Replaces the text, the cursor at its end.
    pub fn set(&mut self, text: &str) {
        *self = LineInput::new(text);
    }

    /// The cursor as a character index.
    pub fn cursor(&self) -> usize {
        self.ta.cursor().1
    }

    /// Inserts `s` at the cursor as one edit (the caller has refused or joined newlines).
    pub fn insert(&mut self, s: &str) {
        self.ta.insert_str(one_line(s));
    }

    /// Handles an editing key; returns false when the key is not an editing key (Enter, ↑/↓, Tab…).
    pub fn key(&mut self, k: KeyEvent) -> bool {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let alt = k.modifiers.contains(KeyModifiers::ALT);
        let ta = &mut self.ta;
        match k.code {
            KeyCode::Char('a') if ctrl => ta.move_cursor(CursorMove::Head),
            KeyCode::Char('e') if ctrl => ta.move_cursor(CursorMove::End),
            KeyCode::Char('b') if ctrl => ta.move_cursor(CursorMove::Back),
            KeyCode::Char('f') if ctrl => ta.move_cursor(CursorMove::Forward),
            KeyCode::Char('u') if ctrl => {
                ta.delete_line_by_head();
            }
            KeyCode::Char('k') if ctrl => {
                ta.delete_line_by_end();
            }
            KeyCode::Char('w') if ctrl => {
                ta.delete_word();
            }
            KeyCode::Char('h') if ctrl => {
                ta.delete_char();
            }
            KeyCode::Char('b') if alt => ta.move_cursor(CursorMove::WordBack),
            // As readline: to the end of the next word (the textarea's own moves stop at its start).
            KeyCode::Char('f') if alt => {
                let chars: Vec<char> = self.value().chars().collect();
                let mut i = self.cursor().min(chars.len());
                while i < chars.len() && !chars[i].is_alphanumeric() {
                    i += 1;
                }
                while i < chars.len() && chars[i].is_alphanumeric() {
                    i += 1;
                }
                let col = u16::try_from(i).unwrap_or(u16::MAX);
                self.ta.move_cursor(CursorMove::Jump(0, col));
            }
            KeyCode::Char('d') if alt => {
                ta.delete_next_word();
            }
            KeyCode::Backspace if alt => {
                ta.delete_word();
            }
            KeyCode::Char(_) if ctrl || alt => return false,
            KeyCode::Char(c) if !c.is_control() => ta.insert_char(c),
            KeyCode::Backspace => {
                ta.delete_char();
            }
            KeyCode::Delete => {
                ta.delete_next_char();
            }
            KeyCode::Left => ta.move_cursor(CursorMove::Back),
            KeyCode::Right => ta.move_cursor(CursorMove::Forward),
            KeyCode::Home => ta.move_cursor(CursorMove::Head),
            KeyCode::End => ta.move_cursor(CursorMove::End),
            _ => return false,
        }
        true
    }

    /// The text to draw in `width` cells and the cursor's cell offset in it: scrolled so the
    /// cursor stays visible, wide characters never cut in half.
    pub fn view(&self, width: usize) -> (String, usize) {
        let chars: Vec<char> = self.value().chars().collect();
        let cur = self.cursor().min(chars.len());
        let w = |c: &char| c.width().unwrap_or(0);
        let width = width.max(2);
        // Start as far left as possible while the cursor (plus its cell) fits.
        let mut start = 0;
        let mut before: usize = chars[..cur].iter().map(w).sum();
        while before + 1 > width && start < cur {
            before -= w(&chars[start]);
            start += 1;
        }
        let mut out = String::new();
        let mut used = 0;
        for c in &chars[start..] {
            let cw = w(c);
            if used + cw > width {
                break;
            }
            out.push(*c);
            used += cw;
        }
        (out, before)
    }
}

/// `s` with line breaks and tabs turned into spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }
    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }
    fn alt(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)
    }
    fn typed(i: &mut LineInput, s: &str) {
        for c in s.chars() {
            assert!(i.key(k(KeyCode::Char(c))));
        }
    }

    #[test]
    fn edits_like_a_terminal_line_editor() {
        let mut i = LineInput::new("");
        typed(&mut i, "echo world");
        i.key(alt('b'));
        typed(&mut i, "big ");
        assert_eq!(i.value(), "echo big world");
        i.key(ctrl('a'));
        i.key(k(KeyCode::Delete));
        assert_eq!(i.value(), "cho big world");
        i.key(ctrl('e'));
        i.key(ctrl('w'));
        assert_eq!(i.value(), "cho big ");
        i.key(k(KeyCode::Home));
        i.key(alt('f'));
        assert_eq!(
            i.cursor(),
            3,
            "Alt-F stops at the end of the word, as readline"
        );
        i.key(alt('f'));
        assert_eq!(i.cursor(), 7);
        i.key(alt('b'));
        i.key(alt('b'));
        i.key(alt('f'));
        i.key(ctrl('k'));
        assert_eq!(i.value(), "cho");
        typed(&mut i, " ");
        assert_eq!(i.value(), "cho ");
        i.key(k(KeyCode::Left));
        i.key(k(KeyCode::Left));
        i.key(ctrl('u'));
        assert_eq!(i.value(), "o ");
        assert_eq!(i.cursor(), 0);
        i.key(k(KeyCode::End));
        i.key(k(KeyCode::Backspace));
        i.key(k(KeyCode::Backspace));
        assert_eq!(i.value(), "");
        assert!(!i.key(ctrl('s')), "Ctrl-S is the form's");
        assert!(!i.key(k(KeyCode::Enter)));
        assert!(!i.key(k(KeyCode::Up)));
    }

    #[test]
    fn wide_characters_take_two_cells_and_the_view_follows_the_cursor() {
        let mut i = LineInput::new("发布应用");
        assert_eq!(i.view(20), ("发布应用".into(), 8));
        i.key(k(KeyCode::Left));
        assert_eq!(i.view(20).1, 6);
        let long = LineInput::new(&"x".repeat(50));
        let (text, cur) = long.view(10);
        assert_eq!(cur, 9, "the cursor stays inside the view");
        assert_eq!(text, "x".repeat(9));
        let wide = LineInput::new(&"发".repeat(20));
        let (text, cur) = wide.view(9);
        assert!(cur < 9, "{cur}");
        assert!(unicode_width::UnicodeWidthStr::width(text.as_str()) <= 9);
    }

    #[test]
    fn inserted_text_stays_on_one_line() {
        let mut i = LineInput::new("a");
        i.insert("b\nc\td");
        assert_eq!(i.value(), "ab c d");
        assert_eq!(i.cursor(), 6);
    }
}
