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
pub fn word(t: &Tok) -> Option<Upper> {
    Upper::of(t)
}

/// True when the token is an unquoted word whose upper-case spelling is `kw` (without
/// allocating, as [`word`] does: the score asks this of every token many times).
fn spelled(t: &Tok, kw: &str) -> bool {
    match &t.token {
        Token::Word(w) if w.quote_style.is_none() => upper_eq(&w.value, kw.as_bytes()),
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
        toks.get(i + k).is_some_and(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => alts
                .as_bytes()
                .split(|&b| b == b'|')
                .any(|a| upper_eq(&w.value, a)),
            _ => false,
        })
    })
}

/// True when `value` upper-cased is `kw` (upper case).
fn upper_eq(value: &str, kw: &[u8]) -> bool {
    value.len() == kw.len()
        && value
            .bytes()
            .zip(kw.iter())
            .all(|(a, &b)| a.to_ascii_uppercase() == b)
}

/// Words up to this many bytes are spelled in [`Upper`]'s inline buffer; every keyword is.
const UPPER_INLINE: usize = 32;

/// The upper-case spelling of an unquoted word (ASCII letters upper-cased), on the stack when
/// it is short: the score and the strictness layer ask it of every token several times.
#[derive(Clone)]
pub struct Upper {
    buf: [u8; UPPER_INLINE],
    len: usize,
    long: Option<String>,
}

impl Upper {
    /// The spelling of `t` when it is an unquoted word.
    pub fn of(t: &Tok) -> Option<Upper> {
        match &t.token {
            Token::Word(w) if w.quote_style.is_none() => Some(Upper::spell(&w.value)),
            _ => None,
        }
    }

    /// `value` with its ASCII letters upper-cased.
    pub fn spell(value: &str) -> Upper {
        let mut u = Upper {
            buf: [0; UPPER_INLINE],
            len: 0,
            long: None,
        };
        if value.len() <= UPPER_INLINE {
            u.buf[..value.len()].copy_from_slice(value.as_bytes());
            u.buf[..value.len()].make_ascii_uppercase();
            u.len = value.len();
        } else {
            u.long = Some(value.to_ascii_uppercase());
        }
        u
    }

    pub fn as_str(&self) -> &str {
        match &self.long {
            Some(s) => s,
            // A whole valid string with ASCII letters changed stays valid.
            None => std::str::from_utf8(&self.buf[..self.len]).unwrap_or(""),
        }
    }
}

impl Default for Upper {
    fn default() -> Self {
        Upper::spell("")
    }
}

impl std::ops::Deref for Upper {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<&str> for Upper {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Upper {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl std::fmt::Display for Upper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Upper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<Upper> for String {
    fn from(u: Upper) -> String {
        match u.long {
            Some(s) => s,
            None => u.as_str().to_string(),
        }
    }
}
