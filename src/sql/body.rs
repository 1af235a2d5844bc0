//! Checks inside stored-program bodies (`CREATE PROCEDURE … BEGIN … END` and friends), which
//! sqlparser cannot parse as a whole: each plain SQL statement of the body is parsed on its own,
//! and a body statement starting with an unknown word (a typo such as `SELEC`) is an error.

use sqlparser::tokenizer::Token;

use super::limits::{ParseFail, parse};
use super::messages::MessageId;
use super::strict::violations;
use super::tokens::{Tok, significant, word};
use super::unverifiable::unverifiable;

/// Words that may start a statement inside a compound statement.
const KNOWN: &[&str] = &[
    "DECLARE",
    "SET",
    "IF",
    "ELSE",
    "ELSEIF",
    "END",
    "WHILE",
    "REPEAT",
    "UNTIL",
    "LOOP",
    "LEAVE",
    "ITERATE",
    "RETURN",
    "OPEN",
    "CLOSE",
    "FETCH",
    "CALL",
    "BEGIN",
    "CASE",
    "WHEN",
    "THEN",
    "SIGNAL",
    "RESIGNAL",
    "GET",
    "START",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "PREPARE",
    "EXECUTE",
    "DEALLOCATE",
    "DO",
    "TRUNCATE",
    "CREATE",
    "DROP",
    "ALTER",
    "LOCK",
    "UNLOCK",
    "INSERT",
    "SELECT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "WITH",
    "SHOW",
    "EXPLAIN",
    "ANALYZE",
    "OPTIMIZE",
    "FLUSH",
    "KILL",
    "GRANT",
    "REVOKE",
    "RENAME",
    "LOAD",
    "HANDLER",
    "XA",
    "USE",
    "CHECK",
    "RESET",
    "PURGE",
    "CHANGE",
    "STOP",
    "INSTALL",
    "UNINSTALL",
    "VALUES",
    "TABLE",
];

const DML: &[&str] = &["SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE"];

/// A problem found in a body: (line, column) within the statement, the message and its detail.
pub type BodyIssue = ((usize, usize), MessageId, String);

/// Checks the body of a stored program whose text is `text` (tokens `toks`). Returns the first
/// problem found, if any.
pub fn check_body(text: &str, toks: &[Tok]) -> Option<BodyIssue> {
    let begin = toks
        .iter()
        .position(|t| word(t).as_deref() == Some("BEGIN"))?;
    let mut start = begin + 1;
    if super::tokens::is_seq(toks, start, &["NOT", "ATOMIC"]) {
        start += 2;
    }
    while start < toks.len() {
        let end = toks[start..]
            .iter()
            .position(|t| t.token == Token::SemiColon)
            .map_or(toks.len(), |k| start + k);
        if let Some(issue) = check_piece(text, &toks[start..end]) {
            return Some(issue);
        }
        start = end + 1;
    }
    None
}

fn check_piece(text: &str, piece: &[Tok]) -> Option<BodyIssue> {
    let first = piece.first()?;
    let at = (first.line, first.column);
    let w = word(first)?;
    let labelled = piece.get(1).is_some_and(|t| t.token == Token::Colon);
    if labelled {
        return None;
    }
    if !KNOWN.contains(&w.as_str()) {
        return Some((
            at,
            MessageId::Syntax,
            format!("unknown statement `{w}` in the body"),
        ));
    }
    if !DML.contains(&w.as_str()) {
        return None;
    }
    let last = piece.last()?;
    let from = byte_at(text, first.line, first.column)?;
    let to = byte_at(text, last.line, last.column)? + last.token.to_string().len();
    let sql = text.get(from..to.min(text.len()))?;
    let inner = significant(sql).ok()?;
    if let Some(v) = violations(&inner).first() {
        return Some((shift(at, &inner[v.token]), v.id, String::new()));
    }
    let err = match parse(sql).err()? {
        ParseFail::Limit {
            line,
            column,
            message,
        } => return Some((shift_lc(at, line, column), MessageId::Limit, message)),
        ParseFail::Parser(e) => e,
    };
    let loc = location(&err);
    if unverifiable(&inner, loc).is_some() {
        return None;
    }
    let msg = err
        .strip_prefix("sql parser error: ")
        .unwrap_or(&err)
        .split(" at Line: ")
        .next()
        .unwrap_or_default()
        .to_string();
    let pos = match loc {
        Some((l, c)) => shift_lc(at, l, c),
        None => at,
    };
    Some((pos, MessageId::Syntax, msg))
}

fn location(err: &str) -> Option<(usize, usize)> {
    let rest = &err[err.rfind(" at Line: ")? + " at Line: ".len()..];
    let mut p = rest.split(", Column: ");
    let l = p.next()?.trim().parse().ok()?;
    let c = p.next()?.trim().parse().ok()?;
    (l > 0).then_some((l, c))
}

fn shift(at: (usize, usize), t: &Tok) -> (usize, usize) {
    shift_lc(at, t.line, t.column)
}

/// Converts a line:column inside a piece that starts at `at` to one inside the statement.
fn shift_lc(at: (usize, usize), line: usize, col: usize) -> (usize, usize) {
    if line <= 1 {
        (at.0, at.1 + col.max(1) - 1)
    } else {
        (at.0 + line - 1, col)
    }
}

/// Byte offset of a 1-based line and character column.
fn byte_at(text: &str, line: usize, col: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = text.get(start..)?;
    let off = rest
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    Some(start + off)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(sql: &str) -> Option<BodyIssue> {
        check_body(sql, &significant(sql).expect("tokens"))
    }

    #[test]
    fn finds_typos_and_broken_dml_in_bodies() {
        let (at, _, msg) = body("CREATE PROCEDURE p()\nBEGIN\n  SELEC 1;\nEND").expect("issue");
        assert_eq!(at, (3, 3));
        assert!(msg.contains("SELEC"));
        let (at, _, _) =
            body("CREATE PROCEDURE p() BEGIN\n  UPDATE t SET WHERE id = 1;\nEND").expect("issue");
        assert_eq!(at.0, 2);
    }

    #[test]
    fn accepts_procedural_code() {
        let sql = "CREATE PROCEDURE p2()\nBEGIN\n  DECLARE done INT DEFAULT 0;\n  DECLARE cur CURSOR FOR SELECT id FROM t;\n  OPEN cur;\n  read_loop: LOOP\n    FETCH cur INTO v;\n    IF done THEN LEAVE read_loop; END IF;\n    UPDATE t SET a = a + 1 WHERE id = v;\n  END LOOP;\n  CLOSE cur;\nEND";
        assert_eq!(body(sql), None);
    }
}
