//! The former fingerprint: Percona's `QueryRewriter::fingerprint` as a chain of regex rewrites,
//! kept for the tests only, as an oracle the single-pass scanner is compared against on ASCII
//! input (on non-ASCII input this one used Unicode `\s`/`\w`/lower case where Perl uses bytes).

use regex::Regex;
use std::sync::LazyLock;

use super::union::collapse_unions;

fn re(pattern: &str) -> Regex {
    // The patterns are constants checked by the tests; an invalid one is a programming error.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad fingerprint pattern {pattern}: {e}"))
}

static PERCONA: LazyLock<Regex> = LazyLock::new(|| re(r"/\*\w+\.\w+:[0-9]/[0-9]\*/"));
static CALL: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\A\s*(call\s+\S+)\("));
static MULTI_INSERT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?is)\A((?:INSERT|REPLACE)(?: IGNORE)?\s+INTO.+?VALUES\s*\(.*?\))\s*,\s*\(")
});
static MLC: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)/\*[^!].*?\*/"));
static OLC: LazyLock<Regex> = LazyLock::new(|| re(r#"(?:--|#)[^'"\r\n]*([\r\n]|\z)"#));
static USE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\Ause \S+(\n?)\z"));
static ESCAPED_QUOTE: LazyLock<Regex> = LazyLock::new(|| re(r#"\\["']"#));
static DQ: LazyLock<Regex> = LazyLock::new(|| re(r#"(?s)".*?""#));
static SQ: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)'.*?'"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"[0-9+-][0-9a-f.xb+-]*"));
static NUMBER_PREFIX: LazyLock<Regex> = LazyLock::new(|| re(r"[xb.+-]\?"));
static NULL: LazyLock<Regex> = LazyLock::new(|| re(r"\bnull\b"));
static LISTS: LazyLock<Regex> = LazyLock::new(|| re(r"\b(in|values?)(?:[\s,]*\([\s?,]*\))+"));
static LIMIT: LazyLock<Regex> = LazyLock::new(|| re(r"\blimit \?(?:, ?\?| offset \?)?"));
static ORDER_BY: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bORDER BY "));
static ASC: LazyLock<Regex> = LazyLock::new(|| re(r"(?is)\A(.+?)\s+ASC"));

/// The pt-fingerprint form of one query: literals become `?`, IN/VALUES lists `(?+)`, comments
/// (not `/*! */`) go, whitespace collapses, everything is lower case.
pub fn fingerprint(query: &str) -> String {
    if query.starts_with("SELECT /*!40001 SQL_NO_CACHE */ * FROM `") {
        return "mysqldump".into();
    }
    if PERCONA.is_match(query) {
        return "percona-toolkit".into();
    }
    if query.starts_with("administrator command: ") {
        return query.into();
    }
    if let Some(c) = CALL.captures(query) {
        return c[1].to_lowercase();
    }
    let mut q: String = match MULTI_INSERT.captures(query) {
        Some(c) => c[1].to_string(),
        None => query.to_string(),
    };
    q = MLC.replace_all(&q, "").into_owned();
    q = OLC.replace_all(&q, "$1").into_owned();
    if USE.is_match(&q) {
        return USE.replace(&q, "use ?$1").into_owned();
    }
    q = ESCAPED_QUOTE.replace_all(&q, "").into_owned();
    q = DQ.replace_all(&q, "?").into_owned();
    q = SQ.replace_all(&q, "?").into_owned();
    q = NUMBER.replace_all(&q, "?").into_owned();
    q = NUMBER_PREFIX.replace_all(&q, "?").into_owned();
    let q = q.trim_start_matches(perl_space);
    let q = q.strip_suffix('\n').unwrap_or(q);
    let mut collapsed = String::with_capacity(q.len());
    let mut in_space = false;
    for ch in q.chars() {
        if matches!(ch, ' ' | '\n' | '\t' | '\r' | '\x0c') {
            if !in_space {
                collapsed.push(' ');
            }
            in_space = true;
        } else {
            collapsed.push(ch);
            in_space = false;
        }
    }
    let q = collapsed.to_lowercase();
    let q = NULL.replace_all(&q, "?");
    let q = LISTS.replace_all(&q, "$1(?+)");
    let q = collapse_unions(&q);
    let q = LIMIT.replace(&q, "limit ?").into_owned();
    drop_asc_after_order_by(q)
}

fn perl_space(c: char) -> bool {
    matches!(c, ' ' | '\n' | '\t' | '\r' | '\x0c' | '\x0b')
}

/// `if (m/\bORDER BY /gi) { 1 while s/\G(.+?)\s+ASC/$1/gi && pos }`: after the first ORDER BY,
/// every `\s+asc` reachable through consecutive lazy matches is removed.
fn drop_asc_after_order_by(q: String) -> String {
    let Some(m) = ORDER_BY.find(&q) else {
        return q;
    };
    let mut out = q[..m.end()].to_string();
    let mut rest = &q[m.end()..];
    while let Some(c) = ASC.captures(rest) {
        let whole = c.get(0).map_or(0, |w| w.end());
        out.push_str(&c[1]);
        rest = &rest[whole..];
    }
    out.push_str(rest);
    out
}
