//! Bounds on the work one SQL text may cause: its size, the depth of the tree it would parse
//! into, sqlparser's own recursion limit, and the stack the analysis of such a tree runs on.
//! Every place opsdeck parses SQL goes through [`parse`] and every analysis through
//! [`with_stack`], so no statement can build a tree the parser, the walkers (score rules,
//! advice, checks), `Display` or the tree's own `Drop` cannot handle, whatever thread calls.

use sqlparser::ast::Statement;
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::tokens::{Tok, Upper, significant};

/// The largest SQL text (a whole script) opsdeck analyses, in bytes.
pub const MAX_SQL_BYTES: usize = 4 << 20;
/// The deepest tree one statement may build: nested parentheses plus chained operators and set
/// operations (`a + b + …` and `SELECT … UNION SELECT …` nest one level per term).
pub const MAX_DEPTH: usize = 500;
/// sqlparser's recursion limit (nested parentheses, subqueries, prefix operators).
pub const PARSER_RECURSION_LIMIT: usize = 100;

/// Stack an analysis of trees within these limits is sure to have: the deepest accepted
/// statements need between 8 and 16 MiB in a debug build (far less optimised).
pub const STACK_RED_ZONE: usize = 32 << 20;
/// Stack allocated when less than [`STACK_RED_ZONE`] is left (mapped lazily: only the pages
/// used count).
pub const STACK_SIZE: usize = 64 << 20;

/// Runs `f` with at least [`STACK_RED_ZONE`] of stack: on the current thread when it has that
/// much left, else on a fresh stack of [`STACK_SIZE`]. sqlparser is built without its per-call
/// stack probes, so each public analysis (check, score, advice) enters through here once; the
/// calls inside it then cost one comparison.
pub fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SIZE, f)
}

/// Why a text was not parsed: too large or too deep (with where), else sqlparser's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseFail {
    /// The limit was reached at this 1-based line and column of the statement.
    Limit {
        line: usize,
        column: usize,
        message: String,
    },
    Parser(String),
}

impl std::fmt::Display for ParseFail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseFail::Limit {
                line,
                column,
                message,
            } => write!(f, "{message} at Line: {line}, Column: {column}"),
            ParseFail::Parser(m) => f.write_str(m),
        }
    }
}

/// The message for a script above [`MAX_SQL_BYTES`], else None.
pub fn too_large(sql: &str) -> Option<String> {
    (sql.len() > MAX_SQL_BYTES).then(|| {
        format!(
            "the SQL is {} bytes; the limit is {MAX_SQL_BYTES} bytes: split it into several tasks",
            sql.len()
        )
    })
}

/// Words that join two expressions or queries into a node one level deeper.
const OPERATOR_WORDS: &[&str] = &[
    "AND",
    "OR",
    "XOR",
    "NOT",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "MINUS",
    "DIV",
    "MOD",
    "LIKE",
    "RLIKE",
    "REGEXP",
    "IS",
    "IN",
    "BETWEEN",
    "COLLATE",
    "SOUNDS",
];

fn is_operator(t: &Tok) -> bool {
    match &t.token {
        Token::Word(_) => Upper::of(t).is_some_and(|w| OPERATOR_WORDS.contains(&w.as_str())),
        Token::Comma
        | Token::SemiColon
        | Token::Period
        | Token::LParen
        | Token::RParen
        | Token::Number(..)
        | Token::Char(_)
        | Token::Whitespace(_)
        | Token::EOF => false,
        t => !is_literal(t),
    }
}

fn is_literal(t: &Token) -> bool {
    matches!(
        t,
        Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::NationalStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::Placeholder(_)
    )
}

/// Checks that the tree of one statement stays within [`MAX_DEPTH`]: an upper estimate from
/// its tokens (each open parenthesis is a level, each operator since the last comma at the same
/// parenthesis level another). Returns where the limit is crossed.
pub fn check_depth(toks: &[Tok]) -> Result<(), ParseFail> {
    // Operators seen in the current comma-separated segment of each open parenthesis.
    let mut levels: Vec<usize> = vec![0];
    let mut depth = 0usize;
    for t in toks {
        match t.token {
            Token::LParen => {
                levels.push(0);
                depth += 1;
            }
            Token::RParen => {
                if levels.len() > 1
                    && let Some(ops) = levels.pop()
                {
                    depth = depth.saturating_sub(ops + 1);
                }
            }
            Token::Comma | Token::SemiColon => {
                if let Some(ops) = levels.last_mut() {
                    depth = depth.saturating_sub(*ops);
                    *ops = 0;
                }
            }
            _ if is_operator(t) => {
                if let Some(ops) = levels.last_mut() {
                    *ops += 1;
                    depth += 1;
                }
            }
            _ => {}
        }
        if depth > MAX_DEPTH {
            return Err(ParseFail::Limit {
                line: t.line,
                column: t.column,
                message: format!(
                    "the statement nests deeper than the limit of {MAX_DEPTH} levels \
                     (parentheses, chained operators or UNION terms); split it or use IN (…) lists"
                ),
            });
        }
    }
    Ok(())
}

/// Parses one statement's text with MySQL's dialect, after the size and depth checks, with
/// sqlparser's recursion limit set.
pub fn parse(text: &str) -> Result<Vec<Statement>, ParseFail> {
    if let Some(m) = too_large(text) {
        return Err(ParseFail::Limit {
            line: 1,
            column: 1,
            message: m,
        });
    }
    let toks = significant(text).map_err(|e| ParseFail::Parser(e.to_string()))?;
    check_depth(&toks)?;
    parse_checked(text)
}

/// Parses a text whose tokens already passed [`check_depth`].
pub fn parse_checked(text: &str) -> Result<Vec<Statement>, ParseFail> {
    with_stack(|| parse_on_stack(text))
}

fn parse_on_stack(text: &str) -> Result<Vec<Statement>, ParseFail> {
    let dialect = MySqlDialect {};
    Parser::new(&dialect)
        .with_recursion_limit(PARSER_RECURSION_LIMIT)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| match e {
            ParserError::RecursionLimitExceeded => ParseFail::Limit {
                line: 1,
                column: 1,
                message: format!(
                    "the statement nests deeper than the parser's limit of {PARSER_RECURSION_LIMIT} levels"
                ),
            },
            other => ParseFail::Parser(other.to_string()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(head: &str, term: &str, n: usize) -> String {
        let mut s = String::from(head);
        for i in 0..n {
            s.push_str(&term.replace("{}", &i.to_string()));
        }
        s
    }

    #[test]
    fn deep_union_and_operator_chains_are_refused_with_a_position() {
        let union = chain("SELECT 0", " UNION SELECT {}", 10_000);
        match parse(&union) {
            Err(ParseFail::Limit {
                line,
                column,
                message,
            }) => {
                assert_eq!(line, 1);
                assert!(column > 1, "{column}");
                assert!(message.contains(&MAX_DEPTH.to_string()), "{message}");
            }
            other => panic!("expected a limit, got {other:?}"),
        }
        let plus = chain("SELECT 1", " + 1", 200_000);
        assert!(matches!(parse(&plus), Err(ParseFail::Limit { .. })));
    }

    #[test]
    fn wide_but_shallow_statements_pass() {
        let values = chain("INSERT INTO t VALUES (0, 'a')", ", ({}, 'x')", 20_000);
        assert!(parse(&values).is_ok());
        let ors = chain("SELECT * FROM t WHERE a = 0", " OR a = {}", 200);
        assert!(parse(&ors).is_ok());
        let list = chain("SELECT f(0", ", {} + 1", 5_000) + ")";
        assert!(parse(&list).is_ok());
    }

    #[test]
    fn nested_parentheses_hit_a_limit_not_the_stack() {
        let deep = format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(matches!(parse(&deep), Err(ParseFail::Limit { .. })));
        let prefix = format!("SELECT {}1", "- ".repeat(5_000));
        assert!(matches!(parse(&prefix), Err(ParseFail::Limit { .. })));
        let not = format!("SELECT {}1", "NOT ".repeat(5_000));
        assert!(matches!(parse(&not), Err(ParseFail::Limit { .. })));
    }
}
