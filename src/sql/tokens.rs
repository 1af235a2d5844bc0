//! Significant tokens of one statement (sqlparser's MySQL tokenizer, whitespace and comments
//! dropped) with small helpers to match keyword sequences by their unquoted spelling.

use sqlparser::dialect::MySqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer, TokenizerError};

/// A token and its 1-based line and column within the statement.
#[derive(Debug, Clone)]
pub struct Tok {
    pub token: Token,
    pub line: usize,
    pub column: usize,
}

/// Tokenizes a statement, keeping only significant tokens.
pub fn significant(sql: &str) -> Result<Vec<Tok>, TokenizerError> {
    let dialect = MySqlDialect {};
    let toks = Tokenizer::new(&dialect, sql).tokenize_with_location()?;
    Ok(toks
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .map(|t| Tok {
            line: t.span.start.line as usize,
            column: t.span.start.column as usize,
            token: t.token,
        })
        .collect())
}

/// The upper-case spelling of an unquoted word, else None.
pub fn word(t: &Tok) -> Option<String> {
    match &t.token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

/// True when the token is an unquoted word whose upper-case spelling is `kw` (without
/// allocating, as [`word`] does: the score asks this of every token many times).
fn spelled(t: &Tok, kw: &str) -> bool {
    match &t.token {
        Token::Word(w) if w.quote_style.is_none() => {
            w.value.len() == kw.len()
                && w.value
                    .bytes()
                    .zip(kw.bytes())
                    .all(|(a, b)| a.to_ascii_uppercase() == b)
        }
        _ => false,
    }
}

/// True when the token at `i` is the unquoted word `kw` (upper case).
pub fn is_word(toks: &[Tok], i: usize, kw: &str) -> bool {
    toks.get(i).is_some_and(|t| spelled(t, kw))
}

/// True when the words `seq` appear at `i`, `i+1`, … (each entry may list alternatives with `|`).
pub fn is_seq(toks: &[Tok], i: usize, seq: &[&str]) -> bool {
    seq.iter().enumerate().all(|(k, alts)| {
        toks.get(i + k)
            .is_some_and(|t| alts.split('|').any(|a| spelled(t, a)))
    })
}
