//! MySQL syntax check: splits a script, parses each statement with sqlparser's MySqlDialect,
//! applies the MySQL strictness layer, and turns parse failures on valid-but-unsupported MySQL
//! into "cannot be verified locally" warnings. Every diagnostic points at line:column.

use serde::Serialize;
use std::ops::Range;

use super::body::check_body;
use super::handchecked::accepted;
use super::limits::{ParseFail, check_depth, parse_checked, too_large};
use super::messages::{MessageId, render_in};
use super::split::{Position, SplitStatement, split};
use super::strict::violations;
use super::tokens::{Tok, significant, word};
use super::unverifiable::unverifiable;
use crate::model::Lang;

/// How a statement fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Error,
    Unverified,
}

/// One statement of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedStatement {
    /// 1-based statement number.
    pub number: usize,
    /// Leading keywords, e.g. `SELECT`, `CREATE TABLE`.
    pub kind: String,
    pub text: String,
    /// Byte range in the input.
    pub range: Range<usize>,
    pub start: Position,
    pub status: Status,
}

/// An error or warning about one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// 1-based statement number.
    pub statement: usize,
    /// Absolute position in the input.
    pub position: Position,
    pub id: MessageId,
    pub message: String,
    /// The input line and a caret under the column.
    pub snippet: String,
}

/// The result of [`check`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub statements: Vec<CheckedStatement>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl CheckReport {
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Checks every statement of `sql`, with messages in English.
pub fn check(sql: &str) -> CheckReport {
    check_in(sql, Lang::En)
}

/// Checks every statement of `sql`, with messages in `lang`.
pub fn check_in(sql: &str, lang: Lang) -> CheckReport {
    super::limits::with_stack(|| check_statements(sql, lang))
}

/// What the check already computed for one statement, for the score to reuse: the split
/// statement, its significant tokens and, when it parsed as one statement, the tree.
pub(crate) struct Parsed {
    pub split: SplitStatement,
    pub toks: Vec<Tok>,
    pub ast: Option<sqlparser::ast::Statement>,
}

/// One checked statement with its diagnostics and what was parsed, handed over by
/// [`check_each`] as soon as it is checked.
pub(crate) struct OneChecked {
    pub statement: CheckedStatement,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    /// `None` only for a script refused as too large that holds no statement at all.
    pub parsed: Option<Parsed>,
}

/// The check, one statement at a time: `f` gets each statement, its diagnostics, tokens and
/// tree, and nothing is kept once it returns (so a large script never holds every tree).
pub(crate) fn check_each(sql: &str, lang: Lang, mut f: impl FnMut(OneChecked)) {
    let mut lines = Lines::new(sql);
    if let Some(message) = too_large(sql) {
        let position = Position { line: 1, column: 1 };
        // The score still reports the first statement (as refused by the limit).
        let parsed = split(sql).into_iter().next().map(|split| Parsed {
            split,
            toks: Vec::new(),
            ast: None,
        });
        f(OneChecked {
            statement: CheckedStatement {
                number: 1,
                kind: String::new(),
                text: String::new(),
                range: 0..sql.len(),
                start: position,
                status: Status::Error,
            },
            errors: vec![Diagnostic {
                statement: 1,
                position,
                id: MessageId::Limit,
                message: render_in(MessageId::Limit, &message, lang),
                snippet: lines.snippet(position),
            }],
            warnings: Vec::new(),
            parsed,
        });
        return;
    }
    for (n, st) in split(sql).into_iter().enumerate() {
        let number = n + 1;
        let (status, diags, toks, ast) = check_one(&st);
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for (rel, id, detail) in diags {
            let position = absolute(&st, rel);
            let d = Diagnostic {
                statement: number,
                position,
                id,
                message: render_in(id, &detail, lang),
                snippet: lines.snippet(position),
            };
            if status == Status::Error {
                errors.push(d);
            } else {
                warnings.push(d);
            }
        }
        let statement = CheckedStatement {
            number,
            kind: kind_of(&toks),
            text: st.text.clone(),
            range: st.range.clone(),
            start: st.start,
            status,
        };
        let ast = ast.and_then(|mut v| (v.len() == 1).then(|| v.remove(0)));
        f(OneChecked {
            statement,
            errors,
            warnings,
            parsed: Some(Parsed {
                split: st,
                toks,
                ast,
            }),
        });
    }
}

/// The whole check report; trees and tokens are dropped as it goes.
fn check_statements(sql: &str, lang: Lang) -> CheckReport {
    let mut report = CheckReport::default();
    check_each(sql, lang, |one| {
        report.statements.push(one.statement);
        report.errors.extend(one.errors);
        report.warnings.extend(one.warnings);
    });
    report
}

type Found = ((usize, usize), MessageId, String);
type Checked = (
    Status,
    Vec<Found>,
    Vec<Tok>,
    Option<Vec<sqlparser::ast::Statement>>,
);

fn check_one(st: &SplitStatement) -> Checked {
    let toks = match significant(&st.text) {
        Ok(t) => t,
        Err(e) => {
            let at = (e.location.line as usize, e.location.column as usize);
            return (
                Status::Error,
                vec![(at, MessageId::Syntax, e.message)],
                Vec::new(),
                None,
            );
        }
    };
    let strict: Vec<Found> = violations(&toks)
        .into_iter()
        .map(|v| {
            (
                (toks[v.token].line, toks[v.token].column),
                v.id,
                String::new(),
            )
        })
        .collect();
    if !strict.is_empty() {
        return (Status::Error, strict, toks, None);
    }
    if let Err(ParseFail::Limit {
        line,
        column,
        message,
    }) = check_depth(&toks)
    {
        return (
            Status::Error,
            vec![((line, column), MessageId::Limit, message)],
            toks,
            None,
        );
    }
    match parse_checked(&st.text) {
        Ok(ast) => (Status::Ok, Vec::new(), toks, Some(ast)),
        Err(ParseFail::Limit {
            line,
            column,
            message,
        }) => (
            Status::Error,
            vec![((line, column), MessageId::Limit, message)],
            toks,
            None,
        ),
        Err(ParseFail::Parser(_)) if accepted(&toks).is_some() => {
            (Status::Ok, Vec::new(), toks, None)
        }
        Err(ParseFail::Parser(e)) => {
            let (msg, at) = split_location(&e);
            let at_valid = at.filter(|&(l, _)| l > 0);
            if let Some(what) = unverifiable(&toks, at_valid) {
                if is_stored_program(&what)
                    && let Some(issue) = check_body(&st.text, &toks)
                {
                    return (Status::Error, vec![issue], toks, None);
                }
                let pos = toks.first().map_or((1, 1), |t| (t.line, t.column));
                return (
                    Status::Unverified,
                    vec![(pos, MessageId::Unverifiable, what)],
                    toks,
                    None,
                );
            }
            let pos = at_valid.unwrap_or_else(|| end_of(&toks, &st.text));
            (
                Status::Error,
                vec![(pos, MessageId::Syntax, msg)],
                toks,
                None,
            )
        }
    }
}

fn is_stored_program(what: &str) -> bool {
    what.starts_with("BEGIN")
        || ["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "DEFINER"]
            .iter()
            .any(|k| what == format!("CREATE {k}"))
}

/// Splits sqlparser's "… at Line: L, Column: C" into the message and the location.
fn split_location(msg: &str) -> (String, Option<(usize, usize)>) {
    let msg = msg.strip_prefix("sql parser error: ").unwrap_or(msg);
    let Some(i) = msg.rfind(" at Line: ") else {
        return (msg.to_string(), None);
    };
    let loc = &msg[i + " at Line: ".len()..];
    let mut parts = loc.split(", Column: ");
    let line = parts.next().and_then(|s| s.trim().parse().ok());
    let col = parts.next().and_then(|s| s.trim().parse().ok());
    match (line, col) {
        (Some(l), Some(c)) => (msg[..i].to_string(), Some((l, c))),
        _ => (msg.to_string(), None),
    }
}

/// The position just after the last token (for "unexpected end of statement").
fn end_of(toks: &[Tok], text: &str) -> (usize, usize) {
    let Some(last) = toks.last() else {
        return (1, 1);
    };
    let len = last.token.to_string().chars().count();
    let lines = text.lines().count().max(1);
    if last.line == lines {
        (last.line, last.column + len)
    } else {
        (last.line, last.column)
    }
}

fn absolute(st: &SplitStatement, (line, col): (usize, usize)) -> Position {
    let line = line.max(1);
    let col = col.max(1);
    if line == 1 {
        Position {
            line: st.start.line,
            column: st.start.column + col - 1,
        }
    } else {
        Position {
            line: st.start.line + line - 1,
            column: col,
        }
    }
}

/// The input line at `pos` and a caret under its column (tabs kept so the caret lines up).
/// The input's lines, split once on first use (a diagnostic per statement must not rescan the
/// input from its start each time).
struct Lines<'a> {
    input: &'a str,
    lines: Option<Vec<&'a str>>,
}

impl<'a> Lines<'a> {
    fn new(input: &'a str) -> Self {
        Lines { input, lines: None }
    }
    fn snippet(&mut self, pos: Position) -> String {
        let input = self.input;
        let lines = self.lines.get_or_insert_with(|| input.lines().collect());
        snippet(lines.get(pos.line - 1).copied().unwrap_or_default(), pos)
    }
}

fn snippet(line: &str, pos: Position) -> String {
    /// Characters kept either side of the column on a long line.
    const WINDOW: usize = 60;
    let col = pos.column.saturating_sub(1);
    let skip = col.saturating_sub(WINDOW);
    let shown: String = line.chars().skip(skip).take(2 * WINDOW).collect();
    let cut_after = line.chars().nth(skip + 2 * WINDOW).is_some();
    let lead = if skip > 0 { "…" } else { "" };
    // The caret lines up under what a terminal shows: tabs kept, wide (CJK) characters two
    // cells, control characters as their escaped form (`\x1b`), never sent raw.
    let mut pad = String::from(if skip > 0 { " " } else { "" });
    for c in shown.chars().take(col - skip) {
        match c {
            '\t' => pad.push('\t'),
            c if c.is_control() => {
                let w = crate::text::escape_controls(c.encode_utf8(&mut [0; 4]))
                    .chars()
                    .count();
                pad.extend(std::iter::repeat_n(' ', w));
            }
            c => pad.extend(std::iter::repeat_n(
                ' ',
                unicode_width::UnicodeWidthChar::width(c).unwrap_or(0),
            )),
        }
    }
    let shown = crate::text::escape_controls(&shown);
    let tail = if cut_after { "…" } else { "" };
    format!("{lead}{shown}{tail}\n{pad}^")
}

/// The statement's leading keywords: `SELECT`, `INSERT`, `CREATE TABLE`, `ALTER TABLE`, ….
pub fn kind(text: &str) -> String {
    significant(text)
        .map(|toks| kind_of(&toks))
        .unwrap_or_default()
}

/// [`kind`] from the statement's tokens.
fn kind_of(toks: &[Tok]) -> String {
    let words: Vec<String> = toks
        .iter()
        .take(12)
        .filter_map(word)
        .map(String::from)
        .collect();
    let Some(first) = words.first() else {
        return String::new();
    };
    match first.as_str() {
        "CREATE" | "ALTER" | "DROP" => {
            const OBJECTS: &[&str] = &[
                "TABLE",
                "VIEW",
                "INDEX",
                "DATABASE",
                "SCHEMA",
                "PROCEDURE",
                "FUNCTION",
                "TRIGGER",
                "EVENT",
                "USER",
                "ROLE",
                "SEQUENCE",
                "SERVER",
                "TABLESPACE",
            ];
            match words.iter().skip(1).find(|w| OBJECTS.contains(&w.as_str())) {
                Some(o) => format!("{first} {o}"),
                None => first.clone(),
            }
        }
        _ => first.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_lines_up_under_wide_and_control_characters() {
        let line = "select '中文'\x1b[2J from";
        // Column of `from` (1-based, in characters).
        let col = line.chars().position(|c| c == 'f').unwrap() + 1;
        let out = snippet(
            line,
            Position {
                line: 1,
                column: col,
            },
        );
        let (shown, caret) = out.split_once('\n').unwrap();
        assert!(!shown.contains('\x1b'), "{shown:?}");
        let at = unicode_width::UnicodeWidthStr::width(&caret[..caret.len() - 1]);
        let before: String = shown.chars().take_while(|&c| c != 'f').collect();
        assert_eq!(
            at,
            unicode_width::UnicodeWidthStr::width(before.as_str()),
            "{out}"
        );
    }

    #[test]
    fn reports_position_and_caret_of_syntax_errors() {
        let r = check("SELECT 1;\nSELECT *\n  FORM t WHERE a = 1;");
        assert!(r.has_errors());
        let e = &r.errors[0];
        assert_eq!(e.statement, 2);
        assert_eq!(e.id, MessageId::Syntax);
        assert_eq!(e.position.line, 3);
        assert!(e.snippet.contains("FORM t"), "{}", e.snippet);
        assert!(e.snippet.ends_with('^'));
    }

    #[test]
    fn first_line_columns_are_offset_by_the_statement_start() {
        let r = check("SELECT 1; SELECT TOP 5 * FROM t");
        assert_eq!(r.errors.len(), 1);
        assert_eq!(
            r.errors[0].position,
            Position {
                line: 1,
                column: 18
            }
        );
        assert_eq!(
            r.errors[0].snippet,
            "SELECT 1; SELECT TOP 5 * FROM t\n                 ^"
        );
    }

    #[test]
    fn valid_mysql_passes_and_unsupported_mysql_warns() {
        let r = check(
            "SELECT a, COUNT(*) FROM t GROUP BY a;\n\
             DELIMITER //\n\
             CREATE PROCEDURE p() BEGIN SELECT 1; END //\n\
             DELIMITER ;\n\
             SELECT * FROM t WHERE id = 1 LOCK IN SHARE MODE;\n\
             CREATE USER 'u'@'%' IDENTIFIED BY 'x';",
        );
        assert!(!r.has_errors(), "{:?}", r.errors);
        assert_eq!(r.statements.len(), 4);
        assert_eq!(r.statements[0].status, Status::Ok);
        assert_eq!(r.statements[1].kind, "CREATE PROCEDURE");
        assert!(r.warnings.iter().all(|w| w.id == MessageId::Unverifiable));
    }

    #[test]
    fn truncated_statement_is_an_error() {
        let r = check("SELECT * FROM t WHERE");
        assert!(r.has_errors());
        assert_eq!(r.errors[0].position.line, 1);
    }

    #[test]
    fn serialises_to_json() {
        let r = check("SELECT a::int FROM t");
        let j = serde_json::to_value(&r).expect("json");
        assert_eq!(j["errors"][0]["id"], "double_colon_cast");
    }
}
