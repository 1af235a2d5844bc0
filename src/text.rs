//! Text that came from outside (tasks, args, host output, pastes) made safe for a terminal: control
//! and escape sequences shown escaped (`\x1b`) so they cannot drive the terminal, and pasted text
//! cleaned of control characters.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for characters a terminal may act on: C0 controls, DEL and C1 controls.
fn is_control(c: char) -> bool {
    c.is_control()
}

/// What a NUL (`\0`) in host output or stored text becomes: U+2400 `␀`, visible, and distinct from
/// U+FFFD (which already stands for bytes that were not UTF-8). PostgreSQL text cannot hold NUL.
pub const NUL_SHOWN: char = '\u{2400}';

/// `s` with every NUL replaced by [`NUL_SHOWN`], everything else kept. Text without NUL comes
/// back borrowed.
pub fn show_nul(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{2400}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` with every control character except tab shown escaped: `\x1b`, `\r`, `\n`, `\u{9b}`.
/// Plain text comes back borrowed.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_control(c) && c != '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push('\t'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && is_control(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` for a terminal that shows several lines (the CLI's output and errors): newlines and tabs
/// kept, every other control character shown escaped as [`escape_controls`] does, so a task name,
/// a host's output or a file's line cannot clear the screen, move the cursor or hide text with `\r`.
pub fn escape_for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_control(c) && c != '\t' && c != '\n') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for line in s.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(body) => {
                out.push_str(&escape_controls(body));
                out.push('\n');
            }
            None => out.push_str(&escape_controls(line)),
        }
    }
    Cow::Owned(out)
}

/// `s` for one line of the console: controls escaped and tabs as spaces (a terminal cell each).
pub fn display_line(s: &str) -> Cow<'_, str> {
    match escape_controls(s) {
        Cow::Borrowed(b) if !b.contains('\t') => Cow::Borrowed(b),
        other => Cow::Owned(other.replace('\t', "    ")),
    }
}

/// `s` as quoted back in an error message: controls escaped, and at most `max` characters with
/// `…` and the total length after a cut, so a hostile value cannot flood or drive the terminal.
pub fn quote_back(s: &str, max: usize) -> String {
    let total = s.chars().count();
    if total <= max {
        return escape_controls(s).into_owned();
    }
    let head: String = s.chars().take(max).collect();
    format!("{}… ({total} characters)", escape_controls(&head))
}

/// Pasted text cleaned for an editor: `\r\n` and lone `\r` become `\n`; other control characters
/// except tab and newline are dropped. Returns the text and how many characters were dropped.
pub fn clean_paste(s: &str) -> (String, usize) {
    let mut out = String::with_capacity(s.len());
    let mut dropped = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if is_control(c) => dropped += 1,
            c => out.push(c),
        }
    }
    (out, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_output_keeps_lines_and_tabs_and_escapes_the_rest() {
        assert!(matches!(escape_for_terminal("a\tb\nc\n"), Cow::Borrowed(_)));
        assert_eq!(
            escape_for_terminal("ok\x1b[2J\nrm -rf /\rsafe\n\u{9b}31m"),
            "ok\\x1b[2J\nrm -rf /\\rsafe\n\\u{9b}31m"
        );
    }

    #[test]
    fn quoted_back_values_are_escaped_and_cut() {
        assert_eq!(quote_back("Sat 01:00", 40), "Sat 01:00");
        assert_eq!(quote_back("a\x1b[2Jb", 40), "a\\x1b[2Jb");
        let long = "x".repeat(10_000);
        let q = quote_back(&long, 40);
        assert!(q.starts_with(&"x".repeat(40)), "{q}");
        assert!(q.ends_with("… (10000 characters)"), "{q}");
        assert!(q.chars().count() < 70, "{q}");
        // A cut never splits a character.
        assert_eq!(quote_back("窗口窗口", 2), "窗口… (4 characters)");
    }

    #[test]
    fn escape_sequences_are_shown_not_run() {
        assert!(matches!(escape_controls("plain 文本"), Cow::Borrowed(_)));
        assert_eq!(
            escape_controls("\x1b[2J\x1b]0;owned\x07ok\r\n"),
            "\\x1b[2J\\x1b]0;owned\\x07ok\\r\\n"
        );
        assert_eq!(escape_controls("a\u{9b}31m\u{7f}"), "a\\u{9b}31m\\x7f");
        assert_eq!(display_line("a\tb"), "a    b");
    }

    #[test]
    fn pastes_lose_controls_and_keep_lines() {
        let (t, n) = clean_paste("select 1;\r\nselect\t2;\rx\x1b[31m\x00");
        assert_eq!(t, "select 1;\nselect\t2;\nx[31m");
        assert_eq!(n, 2);
    }
}
