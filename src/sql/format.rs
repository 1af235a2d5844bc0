//! Beautifier: readable multi-line MySQL with upper-case keywords. It only changes whitespace and
//! the case of reserved words, keeps comments, and copies every other token verbatim, so the
//! statement's meaning (and its parse tree) stays the same.

use sqlparser::dialect::MySqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use super::split::split;

/// Reserved words written in upper case (reserved in MySQL, so never bare identifiers).
const UPPER: &[&str] = &[
    "ADD",
    "ALL",
    "ALTER",
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "CHANGE",
    "COLUMN",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "EXISTS",
    "FOREIGN",
    "FROM",
    "GROUP",
    "HAVING",
    "IN",
    "INDEX",
    "INNER",
    "INSERT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "KEY",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NATURAL",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "PRIMARY",
    "REFERENCES",
    "REGEXP",
    "REPLACE",
    "RIGHT",
    "SELECT",
    "SET",
    "STRAIGHT_JOIN",
    "TABLE",
    "THEN",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VALUES",
    "WHEN",
    "WHERE",
    "WITH",
    "XOR",
    "DIV",
    "MOD",
    "OFFSET",
    "UNSIGNED",
];

/// Words that start a new line (at the current parenthesis depth).
const CLAUSES: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "ORDER",
    "HAVING",
    "LIMIT",
    "UNION",
    "SET",
    "VALUES",
    "LEFT",
    "RIGHT",
    "INNER",
    "CROSS",
    "NATURAL",
    "STRAIGHT_JOIN",
    "JOIN",
    "ON",
];

/// Formats every statement of `sql`, each ending with its delimiter.
pub fn format(sql: &str) -> String {
    let mut out = String::new();
    let mut delimiter = ";".to_string();
    for st in split(sql) {
        if st.delimiter != delimiter {
            out.push_str(&format!("DELIMITER {}\n", st.delimiter));
            delimiter = st.delimiter.clone();
        }
        let formatted = format_statement(&st.text);
        out.push_str(&formatted);
        // A delimiter after a trailing `-- …` or `# …` comment would be swallowed by it: put it on
        // its own line (conservatively, whenever the last line might end in a line comment).
        let last = formatted.lines().last().unwrap_or("");
        if last.contains("--") || last.contains('#') {
            out.push('\n');
        }
        out.push_str(&delimiter);
        out.push('\n');
    }
    if delimiter != ";" {
        out.push_str("DELIMITER ;\n");
    }
    out
}

/// Formats one statement (no delimiter). Text the tokenizer rejects, or that holds an
/// executable comment, is returned unchanged.
pub fn format_statement(sql: &str) -> String {
    // sqlparser tokenizes the inside of `/*! … */` with spans that do not map back to the text;
    // executable comments are rare in hand-written SQL, so such statements stay as written.
    if sql.contains("/*!") {
        return sql.to_string();
    }
    let dialect = MySqlDialect {};
    let Ok(toks) = Tokenizer::new(&dialect, sql)
        .with_unescape(false)
        .tokenize_with_location()
    else {
        return sql.to_string();
    };
    let offsets = LineOffsets::new(sql);
    let mut out = String::with_capacity(sql.len() + 16);
    let mut depth = 0usize;
    let mut pending_space = false;
    let mut prev: Option<&Token> = None;
    let mut prev_word = String::new();
    for (i, t) in toks.iter().enumerate() {
        let text = offsets.slice(sql, t.span.start, t.span.end);
        match &t.token {
            Token::EOF => break,
            Token::Whitespace(Whitespace::SingleLineComment { .. }) => {
                let space = pending_space || !out.is_empty();
                push_sep(&mut out, space);
                out.push_str(text.trim_end());
                out.push('\n');
                out.push_str(&indent(depth));
                pending_space = false;
                continue;
            }
            Token::Whitespace(Whitespace::MultiLineComment(_)) => {
                push_sep(&mut out, pending_space);
                out.push_str(text);
                pending_space = true;
                continue;
            }
            Token::Whitespace(_) => {
                pending_space = true;
                continue;
            }
            _ => {}
        }
        let word = match &t.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        };
        let after_dot = matches!(prev, Some(Token::Period));
        let before_dot = toks
            .get(i + 1)
            .is_some_and(|n| matches!(n.token, Token::Period));
        // `values(b)`, `replace(s, …)`, `left(s, 1)`: function names keep their spelling.
        let fn_call = toks
            .get(i + 1)
            .is_some_and(|n| matches!(n.token, Token::LParen));
        let keyword = word
            .as_deref()
            .filter(|w| !after_dot && !before_dot && !fn_call && UPPER.contains(w));
        let starts_clause = keyword.is_some_and(|w| {
            !out.is_empty()
                && !matches!(prev, Some(Token::LParen))
                && starts_clause(w, &prev_word, &toks[..i])
        });
        let bool_op = keyword.is_some_and(|w| w == "AND" || w == "OR") && !between(&toks[..i]);
        if starts_clause {
            out.push('\n');
            out.push_str(&indent(depth));
        } else if bool_op {
            out.push('\n');
            out.push_str(&indent(depth));
            out.push_str("  ");
        } else {
            push_sep(&mut out, pending_space);
        }
        match keyword {
            Some(k) => out.push_str(k),
            None => out.push_str(text),
        }
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        pending_space = false;
        prev = Some(&t.token);
        prev_word = word.unwrap_or_default();
    }
    out.trim_end().to_string()
}

/// True when keyword `w` (after the word `prev_word`) begins a clause on its own line.
fn starts_clause(w: &str, prev_word: &str, before: &[sqlparser::tokenizer::TokenWithSpan]) -> bool {
    if !CLAUSES.contains(&w) {
        return false;
    }
    match w {
        "JOIN" => !matches!(
            prev_word,
            "LEFT" | "RIGHT" | "INNER" | "CROSS" | "OUTER" | "NATURAL"
        ),
        "SET" => prev_word != "CHARACTER",
        "ON" => is_join_on(before),
        _ => true,
    }
}

/// True when the last significant word before an ON belongs to a join (not `ON DUPLICATE`, an
/// index definition, a GRANT or a trigger).
fn is_join_on(before: &[sqlparser::tokenizer::TokenWithSpan]) -> bool {
    let mut depth = 0i32;
    for t in before.iter().rev().take(LOOK_BEHIND) {
        match &t.token {
            Token::RParen => depth += 1,
            Token::LParen => depth -= 1,
            Token::Word(w) if depth == 0 && w.quote_style.is_none() => {
                let v = w.value.to_ascii_uppercase();
                if v == "JOIN" || v == "STRAIGHT_JOIN" {
                    return true;
                }
                if matches!(
                    v.as_str(),
                    "SELECT"
                        | "WHERE"
                        | "INDEX"
                        | "KEY"
                        | "UPDATE"
                        | "INSERT"
                        | "GRANT"
                        | "TRIGGER"
                ) {
                    return false;
                }
            }
            _ => {}
        }
    }
    false
}

/// True when an AND would close a `BETWEEN x AND y`.
fn between(before: &[sqlparser::tokenizer::TokenWithSpan]) -> bool {
    for t in before.iter().rev().take(LOOK_BEHIND) {
        if let Token::Word(w) = &t.token {
            let v = w.value.to_ascii_uppercase();
            if v == "BETWEEN" {
                return true;
            }
            if v == "AND" || v == "OR" || v == "WHERE" || v == "ON" || v == "HAVING" {
                return false;
            }
        }
    }
    false
}

fn push_sep(out: &mut String, space: bool) {
    if space && !out.is_empty() && !out.ends_with(['\n', ' ']) {
        out.push(' ');
    }
}

/// Indentation stops growing past this depth, so deeply nested input cannot square the output.
const MAX_INDENT: usize = 32;
/// How far back the join / BETWEEN look-behinds search, so many ONs cannot square the time.
const LOOK_BEHIND: usize = 256;

fn indent(depth: usize) -> String {
    "  ".repeat(depth.min(MAX_INDENT))
}

/// Maps sqlparser's 1-based line/column (in characters) to byte offsets.
struct LineOffsets {
    starts: Vec<usize>,
    /// The last position converted: (line, column, byte). Tokens come in order, so each
    /// conversion walks on from the previous one instead of from the line start (which squared
    /// the time of a long one-line statement).
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl LineOffsets {
    fn new(s: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(s.match_indices('\n').map(|(i, _)| i + 1));
        LineOffsets {
            starts,
            last: std::cell::Cell::new((1, 1, 0)),
        }
    }
    fn byte(&self, s: &str, loc: sqlparser::tokenizer::Location) -> usize {
        let line = (loc.line as usize).max(1);
        let column = (loc.column as usize).max(1);
        let Some(&start) = self.starts.get(line - 1) else {
            return s.len();
        };
        let (l, c, b) = self.last.get();
        let (from_col, from_byte) = if l == line && c <= column {
            (c, b)
        } else {
            (1, start)
        };
        let byte = s[from_byte..]
            .char_indices()
            .nth(column - from_col)
            .map_or(s.len(), |(i, _)| from_byte + i);
        if byte < s.len() {
            self.last.set((line, column, byte));
        }
        byte
    }
    fn slice<'a>(
        &self,
        s: &'a str,
        a: sqlparser::tokenizer::Location,
        b: sqlparser::tokenizer::Location,
    ) -> &'a str {
        let (x, y) = (self.byte(s, a), self.byte(s, b));
        s.get(x..y.max(x)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::parser::Parser;

    fn same_tree(sql: &str) {
        let d = MySqlDialect {};
        let before = Parser::parse_sql(&d, sql).expect("parses before");
        let formatted = format_statement(sql);
        let after = Parser::parse_sql(&d, &formatted)
            .unwrap_or_else(|e| panic!("formatted text does not parse: {e}\n{formatted}"));
        assert_eq!(before, after, "tree changed:\n{formatted}");
    }

    #[test]
    fn keeps_the_tree() {
        for sql in [
            "select a, count(*) c from t left join u on u.t_id = t.id where a = 1 and (b = 'x' or c between 1 and 2) group by a order by c desc limit 10",
            "insert into t (a, b) values (1, 'it''s'), (2, 'b\\'c') on duplicate key update b = values(b)",
            "update t set a = a + 1, `select` = 2 where id in (select t_id from u where x = -1)",
            "delete from t where name like 'a%' order by id limit 5",
            "select * from t where a = 1 -- trailing\n and b = 2 /* block */ and c = 3",
            "select t.`order`, u.key_name from t join u using (id) union all select 1, 2",
        ] {
            same_tree(sql);
        }
    }

    #[test]
    fn upper_cases_keywords_and_breaks_clauses() {
        let f = format_statement("select a from t where a = 1 and b = 2 order by a");
        assert_eq!(f, "SELECT a\nFROM t\nWHERE a = 1\n  AND b = 2\nORDER BY a");
    }

    #[test]
    fn keeps_comments() {
        let f = format("select 1 -- one\n, 2 /* two */;");
        assert!(f.contains("-- one") && f.contains("/* two */"), "{f}");
    }
}

#[cfg(test)]
mod trailing_comment_tests {
    use super::*;

    #[test]
    fn a_trailing_line_comment_does_not_swallow_the_delimiter() {
        let out = format("select a from t where x=1 -- note\n;\nselect 2 # other\n;");
        for st in split(&out) {
            assert!(st.terminated, "{out}");
        }
        assert_eq!(split(&out).len(), 2, "{out}");
    }
}
