//! MySQL strictness layer: finds constructs that sqlparser accepts (it is lenient across
//! dialects) but the MySQL server rejects, by inspecting the statement's tokens.
//! Quoted strings and identifiers are single tokens, so their content never triggers a rule.

use sqlparser::tokenizer::Token;

use super::messages::MessageId;
use super::tokens::{Tok, Upper, is_seq, is_word};

/// A strictness violation: the index of the offending token and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub token: usize,
    pub id: MessageId,
}

/// Words after which a word is being used as a column name or alias, not as a keyword.
fn is_identifier_context(prev: Option<&Tok>) -> bool {
    match prev {
        None => true,
        Some(t) => match &t.token {
            Token::Period | Token::Comma | Token::LParen => true,
            _ => matches!(
                Upper::of(t).as_ref().map(Upper::as_str),
                Some("SELECT" | "AS" | "BY")
            ),
        },
    }
}

/// Tokens after which a word cannot be an operator or clause keyword.
fn followed_as_identifier(next: Option<&Tok>) -> bool {
    match next {
        None => true,
        Some(t) => match &t.token {
            Token::Comma | Token::RParen | Token::Period | Token::Eq => true,
            _ => matches!(
                Upper::of(t).as_ref().map(Upper::as_str),
                Some("FROM" | "AS")
            ),
        },
    }
}

fn keyword_use(toks: &[Tok], i: usize) -> bool {
    let prev = i.checked_sub(1).and_then(|p| toks.get(p));
    !is_identifier_context(prev) && !followed_as_identifier(toks.get(i + 1))
}

fn is_number_or_paren(t: Option<&Tok>) -> bool {
    t.is_some_and(|t| {
        matches!(
            t.token,
            Token::Number(..) | Token::LParen | Token::Placeholder(_)
        )
    })
}

/// All violations in a statement's significant tokens, in order.
pub fn violations(toks: &[Tok]) -> Vec<Violation> {
    let mut out = Vec::new();
    let is_update = is_word(toks, 0, "UPDATE");
    let mut depth = 0usize;
    let mut seen_set = false;
    for i in 0..toks.len() {
        let t = &toks[i];
        let id = match &t.token {
            Token::LParen => {
                depth += 1;
                None
            }
            Token::RParen => {
                depth = depth.saturating_sub(1);
                None
            }
            Token::DoubleColon => Some(MessageId::DoubleColonCast),
            Token::Placeholder(_) => Some(MessageId::Placeholder),
            Token::LBracket => Some(MessageId::SquareBrackets),
            Token::Word(w)
                if w.quote_style.is_none()
                    && w.value.len() > 1
                    && w.value.starts_with('$')
                    && w.value[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some(MessageId::Placeholder)
            }
            Token::Word(w) if w.quote_style.is_none() => word_rule(
                toks,
                i,
                Upper::spell(&w.value).as_str(),
                is_update,
                depth,
                &mut seen_set,
            ),
            _ => None,
        };
        if let Some(id) = id {
            out.push(Violation { token: i, id });
        }
    }
    out
}

fn word_rule(
    toks: &[Tok],
    i: usize,
    w: &str,
    is_update: bool,
    depth: usize,
    seen_set: &mut bool,
) -> Option<MessageId> {
    let prev_word = i.checked_sub(1).and_then(|p| Upper::of(&toks[p]));
    let prev = prev_word.as_ref().map(Upper::as_str);
    let next = toks.get(i + 1);
    match w {
        "ILIKE" if keyword_use(toks, i) => Some(MessageId::Ilike),
        "TOP"
            if matches!(prev, Some("SELECT" | "DISTINCT" | "ALL")) && is_number_or_paren(next) =>
        {
            Some(MessageId::SelectTop)
        }
        "QUALIFY" if keyword_use(toks, i) => Some(MessageId::Qualify),
        "FETCH"
            if is_seq(toks, i + 1, &["FIRST|NEXT"])
                && (is_number_or_paren(toks.get(i + 2)) || is_seq(toks, i + 2, &["ROW|ROWS"])) =>
        {
            Some(MessageId::FetchFirst)
        }
        "ROWS" | "ROW"
            if i >= 2
                && is_word(toks, i - 2, "OFFSET")
                && matches!(toks[i - 1].token, Token::Number(..)) =>
        {
            Some(MessageId::OffsetRows)
        }
        "FULL" if is_seq(toks, i + 1, &["JOIN"]) || is_seq(toks, i + 1, &["OUTER", "JOIN"]) => {
            Some(MessageId::FullJoin)
        }
        "NULLS" if is_seq(toks, i + 1, &["FIRST|LAST"]) => Some(MessageId::NullsOrder),
        "RETURNING" if !is_identifier_context(i.checked_sub(1).and_then(|p| toks.get(p))) => {
            Some(MessageId::Returning)
        }
        "ON" if is_seq(toks, i + 1, &["CONFLICT"]) => Some(MessageId::OnConflict),
        "DISTINCT" if is_seq(toks, i + 1, &["ON"]) => Some(MessageId::DistinctOn),
        "MINUS"
            if is_seq(toks, i + 1, &["SELECT|ALL|DISTINCT"])
                || next.is_some_and(|t| t.token == Token::LParen)
                    && is_seq(toks, i + 2, &["SELECT"]) =>
        {
            Some(MessageId::Minus)
        }
        "SET" if is_update && depth == 0 => {
            *seen_set = true;
            None
        }
        "FROM" if is_update && depth == 0 && *seen_set => Some(MessageId::UpdateFrom),
        "CONCURRENTLY" | "ILIKE" | "SIMILAR" if prev == Some("INDEX") => {
            Some(MessageId::PostgresOnly)
        }
        "IDENTITY" if prev == Some("AS") => Some(MessageId::PostgresOnly),
        "TYPE" if i >= 3 && is_word(toks, i - 2, "COLUMN") && is_word(toks, i - 3, "ALTER") => {
            Some(MessageId::PostgresOnly)
        }
        "VALUES" if prev == Some("DEFAULT") => Some(MessageId::PostgresOnly),
        "TO" if prev == Some("SIMILAR") => Some(MessageId::PostgresOnly),
        "ALL" if prev == Some("LIMIT") => Some(MessageId::PostgresOnly),
        "TEMP" if prev == Some("CREATE") => Some(MessageId::PostgresOnly),
        "TRANSACTION" if i == 1 && prev == Some("BEGIN") => Some(MessageId::PostgresOnly),
        "APPLY" if matches!(prev, Some("OUTER" | "CROSS")) => Some(MessageId::PostgresOnly),
        "WITH" if i > 0 && next.is_some_and(|t| t.token == Token::LParen) => {
            Some(MessageId::PostgresOnly)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tokens::significant;

    fn ids(sql: &str) -> Vec<MessageId> {
        let toks = significant(sql).expect("tokenize");
        violations(&toks).into_iter().map(|v| v.id).collect()
    }

    #[test]
    fn flags_foreign_syntax() {
        let cases = [
            ("SELECT TOP 5 * FROM t", MessageId::SelectTop),
            ("SELECT a::int FROM t", MessageId::DoubleColonCast),
            ("SELECT * FROM t WHERE a ILIKE 'x%'", MessageId::Ilike),
            (
                "SELECT a, ROW_NUMBER() OVER (ORDER BY b) rn FROM t QUALIFY rn = 1",
                MessageId::Qualify,
            ),
            (
                "SELECT * FROM t FETCH FIRST 5 ROWS ONLY",
                MessageId::FetchFirst,
            ),
            (
                "SELECT * FROM a FULL OUTER JOIN b ON a.id = b.id",
                MessageId::FullJoin,
            ),
            (
                "SELECT * FROM a FULL JOIN b ON a.id = b.id",
                MessageId::FullJoin,
            ),
            (
                "SELECT * FROM t ORDER BY a NULLS LAST",
                MessageId::NullsOrder,
            ),
            ("SELECT * FROM t WHERE id = $1", MessageId::Placeholder),
            (
                "INSERT INTO t (a) VALUES (1) RETURNING id",
                MessageId::Returning,
            ),
            (
                "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING",
                MessageId::OnConflict,
            ),
            ("SELECT DISTINCT ON (a) a, b FROM t", MessageId::DistinctOn),
            ("SELECT a FROM t MINUS SELECT a FROM u", MessageId::Minus),
            (
                "UPDATE t SET a = u.a FROM u WHERE t.id = u.id",
                MessageId::UpdateFrom,
            ),
            ("CREATE TABLE t (a INT[])", MessageId::SquareBrackets),
        ];
        for (sql, id) in cases {
            assert_eq!(ids(sql), vec![id], "{sql}");
        }
    }

    #[test]
    fn leaves_mysql_alone() {
        for sql in [
            "SELECT 'a::b', \"ILIKE\", `top` FROM t",
            "SELECT top, qualify, returning FROM t",
            "SELECT * FROM t ORDER BY a DESC LIMIT 5 OFFSET 2",
            "UPDATE t SET a = (SELECT MAX(b) FROM u) WHERE id = 1",
            "SELECT a - b FROM t",
            "SELECT * FROM t LEFT JOIN u ON t.id = u.id",
        ] {
            assert!(ids(sql).is_empty(), "{sql}: {:?}", ids(sql));
        }
    }
}
