//! What a score rule is: its SOAR id, level, texts in both languages, and the function that finds it.

use std::collections::BTreeSet;

use sqlparser::ast::Statement;
use sqlparser::tokenizer::Span;

use super::ScoreOptions;
use crate::model::Lang;
use crate::sql::tokens::Tok;

/// A text in English and Simplified Chinese.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    pub en: &'static str,
    pub zh: &'static str,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

/// A rule's finder: every place in the statement where the rule applies.
pub type Check = fn(&Ctx) -> Vec<Hit>;

/// One SOAR rule.
pub struct Rule {
    /// SOAR identifier, e.g. `CLA.001`.
    pub id: &'static str,
    /// Severity level 0..=9 (`L0`..`L9`).
    pub level: u8,
    /// One line: what is wrong.
    pub summary: Text,
    /// Why it matters and what to do instead.
    pub explain: Text,
    /// `None` when the rule needs live database metadata (table definitions, EXPLAIN) and is
    /// skipped offline.
    pub check: Option<Check>,
}

/// Where a rule applies in one statement, and an optional detail (the column, the value, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hit {
    /// 1-based line and column within the statement.
    pub at: Option<(usize, usize)>,
    pub detail: Option<String>,
}

impl Hit {
    /// A finding about the whole statement.
    pub fn whole() -> Hit {
        Hit::default()
    }

    /// A finding at a token.
    pub fn tok(t: &Tok) -> Hit {
        Hit {
            at: Some((t.line, t.column)),
            detail: None,
        }
    }

    /// A finding at an AST node's span (none when the parser recorded no location).
    pub fn span(s: Span) -> Hit {
        let at = (s.start.line > 0).then_some((s.start.line as usize, s.start.column as usize));
        Hit { at, detail: None }
    }

    pub fn with(mut self, detail: impl Into<String>) -> Hit {
        self.detail = Some(detail.into());
        self
    }
}

/// Everything a rule may look at for one statement.
pub struct Ctx<'a> {
    /// The statement text, without its delimiter.
    pub text: &'a str,
    /// Significant tokens (no whitespace or comments), positions relative to `text`.
    pub toks: &'a [Tok],
    /// The parse tree, when sqlparser could parse the statement (`None` for valid MySQL the
    /// offline parser does not understand: stored programs, triggers, …).
    pub ast: Option<&'a Statement>,
    /// False when the input ended before the statement's delimiter.
    pub terminated: bool,
    /// The delimiter in force (`;` unless a `DELIMITER` command changed it).
    pub delimiter: &'a str,
    pub opts: &'a ScoreOptions,
    /// The tables the earlier statements of the script ALTER (lower case), for rules about
    /// the script as a whole.
    pub altered: &'a BTreeSet<String>,
}

impl Ctx<'_> {
    /// The first token that is the unquoted word `kw` (upper case), with its index.
    pub fn find_word(&self, kw: &str) -> Option<(usize, &Tok)> {
        self.toks
            .iter()
            .enumerate()
            .find(|(i, _)| crate::sql::tokens::is_word(self.toks, *i, kw))
    }

    /// The upper-case words of the statement's first `n` significant tokens.
    pub fn leading_words(&self, n: usize) -> Vec<String> {
        self.toks
            .iter()
            .take(n)
            .map(|t| {
                crate::sql::tokens::word(t)
                    .map(String::from)
                    .unwrap_or_default()
            })
            .collect()
    }
}
