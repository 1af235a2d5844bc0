//! Splits a MySQL script into statements the way the `mysql` client does: it honours quotes,
//! comments and `DELIMITER` changes, and records where each statement starts.

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One statement found by [`split`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitStatement {
    /// The statement text, without its delimiter and surrounding whitespace or leading comments.
    pub text: String,
    /// Byte range of `text` in the input.
    pub range: Range<usize>,
    /// Where `text` starts in the input.
    pub start: Position,
    /// The delimiter in force for this statement (`;` unless a `DELIMITER` command changed it).
    pub delimiter: String,
    /// False when the input ended before the delimiter.
    pub terminated: bool,
}

/// Tracks line and column while scanning forward through the input.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
    line: usize,
    col: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor {
            s,
            pos: 0,
            line: 1,
            col: 1,
        }
    }
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }
    /// Moves to byte `end`, counting lines and characters in bulk (a byte scan, no decoding).
    fn advance_to(&mut self, end: usize) {
        let end = end.min(self.s.len());
        if end <= self.pos {
            return;
        }
        if !self.s.is_char_boundary(end) {
            while self.pos < end && self.bump().is_some() {}
            return;
        }
        let span = &self.s.as_bytes()[self.pos..end];
        let chars = |b: &[u8]| b.iter().filter(|&&x| x & 0xC0 != 0x80).count();
        match span.iter().rposition(|&b| b == b'\n') {
            None => self.col += chars(span),
            Some(last) => {
                self.line += span.iter().filter(|&&b| b == b'\n').count();
                self.col = 1 + chars(&span[last + 1..]);
            }
        }
        self.pos = end;
    }
    /// Steps over the current character, then over the ASCII bytes after it that cannot start
    /// a quote, a comment, a new line or the delimiter (whose first byte is `delim`).
    fn skip_plain(&mut self, delim: u8) {
        self.bump();
        let rest = &self.s.as_bytes()[self.pos..];
        let n = rest
            .iter()
            .position(|&b| {
                !b.is_ascii()
                    || matches!(b, b'\n' | b'\'' | b'"' | b'`' | b'#' | b'-' | b'/')
                    || b.eq_ignore_ascii_case(&delim)
            })
            .unwrap_or(rest.len());
        self.pos += n;
        self.col += n;
    }
    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.col,
        }
    }
    /// True when the rest starts with `-- ` (a MySQL comment needs whitespace or the end after `--`).
    fn at_dash_comment(&self) -> bool {
        let r = self.rest().as_bytes();
        r.starts_with(b"--") && (r.len() == 2 || r[2].is_ascii_whitespace() || r[2] < 0x20)
    }
    fn skip_line(&mut self) {
        let end = self
            .rest()
            .find('\n')
            .map_or(self.s.len(), |i| self.pos + i);
        self.advance_to(end);
    }
    /// Skips a `/* … */` comment (the cursor is on `/*`); an unterminated one runs to the end.
    fn skip_block_comment(&mut self) {
        self.bump();
        self.bump();
        match self.rest().find("*/") {
            Some(i) => self.advance_to(self.pos + i + 2),
            None => self.advance_to(self.s.len()),
        }
    }
    /// Skips a quoted string or identifier (the cursor is on the quote).
    fn skip_quoted(&mut self, q: char) {
        let (b, qb) = (self.s.as_bytes(), q as u8);
        let escapes = q != '`';
        let mut i = self.pos + q.len_utf8();
        loop {
            let Some(k) = b[i..]
                .iter()
                .position(|&x| x == qb || (escapes && x == b'\\'))
            else {
                return self.advance_to(self.s.len());
            };
            i += k + 1;
            if escapes && b[i - 1] == b'\\' {
                // The escaped character, whatever its length.
                i += self
                    .s
                    .get(i..)
                    .and_then(|r| r.chars().next())
                    .map_or(0, char::len_utf8);
            } else if b.get(i) == Some(&qb) {
                i += 1;
            } else {
                return self.advance_to(i);
            }
            if i >= b.len() {
                return self.advance_to(b.len());
            }
        }
    }
}

/// Skips whitespace and comments, except `/*! … */` (executable comments are statement text).
fn skip_blank(c: &mut Cursor) {
    loop {
        match c.peek() {
            Some(ch) if ch.is_whitespace() => {
                c.bump();
            }
            Some('#') => c.skip_line(),
            Some('-') if c.at_dash_comment() => c.skip_line(),
            // An unclosed comment is not skipped: it becomes a statement, which the check refuses.
            Some('/')
                if c.peek2() == Some('*')
                    && !c.rest().starts_with("/*!")
                    && c.rest()[2..].contains("*/") =>
            {
                c.skip_block_comment()
            }
            _ => return,
        }
    }
}

/// If a `DELIMITER xx` client command starts here, returns the new delimiter and the byte
/// offset just after the command's line.
fn delimiter_command(rest: &str) -> Option<(String, usize)> {
    let word = rest.get(..9)?;
    if !word.eq_ignore_ascii_case("delimiter") {
        return None;
    }
    let after = &rest[9..];
    if !after.starts_with([' ', '\t']) {
        return None;
    }
    let line_end = after.find('\n').map_or(rest.len(), |i| 9 + i + 1);
    let arg = rest[9..line_end].trim();
    let delim = match arg.chars().next() {
        Some(q @ ('\'' | '"' | '`')) => arg[1..].split(q).next().unwrap_or_default().to_string(),
        _ => arg
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    if delim.is_empty() {
        return None;
    }
    Some((delim, line_end))
}

/// Splits `input` into statements. Empty statements (a lone delimiter) are dropped and so are
/// `DELIMITER` commands, which only change the delimiter of the statements after them.
pub fn split(input: &str) -> Vec<SplitStatement> {
    split_from(input, ";").into_iter().map(|(s, _)| s).collect()
}

/// [`split`] starting with `delimiter` in force; each statement comes with the byte offset just
/// after its delimiter (or the end of the input), where the scan went on.
pub(crate) fn split_from(input: &str, delimiter: &str) -> Vec<(SplitStatement, usize)> {
    let mut out = Vec::new();
    let mut delimiter = delimiter.to_string();
    let mut c = Cursor::new(input);
    loop {
        skip_blank(&mut c);
        if c.pos >= input.len() {
            break;
        }
        if let Some((d, end)) = delimiter_command(c.rest()) {
            delimiter = d;
            c.advance_to(c.pos + end);
            continue;
        }
        if c.rest().starts_with(delimiter.as_str()) {
            c.advance_to(c.pos + delimiter.len());
            continue;
        }
        let start = c.position();
        let begin = c.pos;
        let mut end = input.len();
        let mut terminated = false;
        while let Some(ch) = c.peek() {
            if starts_with_ci(c.rest(), &delimiter) {
                end = c.pos;
                c.advance_to(c.pos + delimiter.len());
                terminated = true;
                break;
            }
            match ch {
                '\'' | '"' | '`' => c.skip_quoted(ch),
                '#' => c.skip_line(),
                '-' if c.at_dash_comment() => c.skip_line(),
                '/' if c.peek2() == Some('*') => c.skip_block_comment(),
                _ => c.skip_plain(delimiter.as_bytes().first().copied().unwrap_or(0)),
            }
        }
        let text = input[begin..end].trim_end();
        if !text.is_empty() {
            out.push((
                SplitStatement {
                    text: text.to_string(),
                    range: begin..begin + text.len(),
                    start,
                    delimiter: delimiter.clone(),
                    terminated,
                },
                c.pos,
            ));
        }
    }
    out
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        split(s).into_iter().map(|x| x.text).collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let s = "SELECT 'a;b'; SELECT \"c;\\\"d\";\nSELECT `e;``f`; -- x;y\nSELECT 1 # z;\n;\n/* q; */ SELECT 2";
        assert_eq!(
            texts(s),
            vec![
                "SELECT 'a;b'",
                "SELECT \"c;\\\"d\"",
                "SELECT `e;``f`",
                "SELECT 1 # z;\n",
                "SELECT 2"
            ]
            .into_iter()
            .map(|x| x.trim_end().to_string())
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn doubled_quotes_and_backslashes() {
        assert_eq!(
            texts("SELECT 'it''s;', 'a\\';b'; SELECT 3"),
            vec!["SELECT 'it''s;', 'a\\';b'", "SELECT 3"]
        );
    }

    #[test]
    fn dash_dash_needs_a_space() {
        assert_eq!(
            texts("SELECT 1--1; SELECT 2"),
            vec!["SELECT 1--1", "SELECT 2"]
        );
    }

    #[test]
    fn an_unclosed_comment_is_kept_as_a_statement() {
        let v = split("SELECT 1;\n/* never closed; SELECT 2;");
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].text, "/* never closed; SELECT 2;");
        assert_eq!(v[1].start, Position { line: 2, column: 1 });
    }

    #[test]
    fn keeps_executable_comments() {
        let v = split("/*!40101 SET NAMES utf8 */;\n/* gone */ SELECT 1;");
        assert_eq!(v[0].text, "/*!40101 SET NAMES utf8 */");
        assert_eq!(v[1].text, "SELECT 1");
        assert_eq!(
            v[1].start,
            Position {
                line: 2,
                column: 12
            }
        );
    }

    #[test]
    fn delimiter_changes() {
        let s = "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END //\nDELIMITER ;\nSELECT 3;";
        let v = split(s);
        assert_eq!(v.len(), 2);
        assert_eq!(
            v[0].text,
            "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END"
        );
        assert_eq!(v[0].delimiter, "//");
        assert_eq!(v[0].start, Position { line: 2, column: 1 });
        assert_eq!(v[1].text, "SELECT 3");
        assert_eq!(v[1].delimiter, ";");
        assert!(v[1].terminated);
    }

    #[test]
    fn positions_and_ranges() {
        let s = "SELECT 1;\n  UPDATE t SET a = 'é'\n  WHERE id = 2";
        let v = split(s);
        assert_eq!(v[1].start, Position { line: 2, column: 3 });
        assert_eq!(&s[v[1].range.clone()], v[1].text);
        assert!(!v[1].terminated);
    }

    /// The bulk steps (runs of plain bytes, quotes, comments) count lines and columns as a
    /// character-by-character walk would: each start equals a recount of the text before it.
    #[test]
    fn positions_equal_a_recount_on_the_corpus() {
        let corpus = include_str!("../../tests/fixtures/sql/corpus.sql");
        let extra = "SELECT 'é\\'; x', \"ü\"\"\";\n  /* 中\n文 */ SELECT `a``é`;\n-- ß\nSELECT 1 # ö\n;\tSELECT 'é\\é';SELECT 2";
        for s in [corpus, extra] {
            for st in split(s) {
                let before = &s[..st.range.start];
                let line = 1 + before.matches('\n').count();
                let column = 1 + before[before.rfind('\n').map_or(0, |i| i + 1)..]
                    .chars()
                    .count();
                assert_eq!(st.start, Position { line, column }, "{:?}", st.text);
                assert_eq!(&s[st.range.clone()], st.text);
            }
        }
        assert_eq!(
            texts(extra),
            vec![
                "SELECT 'é\\'; x', \"ü\"\"\"",
                "SELECT `a``é`",
                "SELECT 1 # ö\n",
                "SELECT 'é\\é'",
                "SELECT 2"
            ]
            .into_iter()
            .map(|x| x.trim_end().to_string())
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn unterminated_quote_runs_to_end() {
        let v = split("SELECT 'abc; SELECT 2");
        assert_eq!(v.len(), 1);
    }
}
