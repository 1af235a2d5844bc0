//! Query fingerprints in the pt-fingerprint normal form (Percona toolkit's
//! `QueryRewriter::fingerprint`, reproduced step by step, quirks included) and the 16-hex-digit
//! query id used by pt-query-digest and SOAR.

use regex::Regex;
use std::sync::LazyLock;

use super::md5::md5_hex;

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

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r' | b'\x0c' | b'\x0b')
}

/// `s/\b(select\s.*?)(?:(\sunion(?:\sall)?)\s\1)+/$1 \/*repeat$2*\//g`, by hand because the
/// pattern needs a back-reference.
fn collapse_unions(q: &str) -> String {
    let b = q.as_bytes();
    let mut out = String::with_capacity(q.len());
    let mut copied = 0;
    let mut s = 0;
    let ends = Ends::new(b);
    while s + 7 <= b.len() {
        let at_select = b[s..].starts_with(b"select")
            && (s == 0 || !is_word_byte(b[s - 1]))
            && is_space_byte(b[s + 6]);
        if at_select && let Some((end, sep)) = union_repeat(b, &ends, s) {
            out.push_str(&q[copied..s]);
            let first = repeat_first_len(b, &ends, s).unwrap_or(0);
            out.push_str(&q[s..s + first]);
            out.push_str(" /*repeat");
            out.push_str(&q[sep.0..sep.1]);
            out.push_str("*/");
            copied = end;
            s = end;
            continue;
        }
        s += 1;
    }
    out.push_str(&q[copied..]);
    out
}

/// Where `$1` may end: before a `\sunion`. `$1` cannot hold a newline (`.` does not match one),
/// so only the positions of its own line count. Looking these up instead of trying every byte
/// (each with a scan for newlines, as before) keeps long statements from squaring the time.
struct Ends {
    unions: Vec<usize>,
    newlines: Vec<usize>,
}

impl Ends {
    fn new(b: &[u8]) -> Ends {
        let unions = (0..b.len())
            .filter(|&p| is_space_byte(b[p]) && b[p + 1..].starts_with(b"union"))
            .collect();
        let newlines = (0..b.len()).filter(|&p| b[p] == b'\n').collect();
        Ends { unions, newlines }
    }

    fn after(&self, s: usize) -> impl Iterator<Item = usize> + '_ {
        let line_end = self
            .newlines
            .get(self.newlines.partition_point(|&p| p < s))
            .copied()
            .unwrap_or(usize::MAX);
        let from = self.unions.partition_point(|&p| p < s + 7);
        self.unions[from..]
            .iter()
            .copied()
            .take_while(move |&p| p < line_end)
    }
}

/// Length of the shortest `$1` starting at `s` that is followed by at least one repetition.
fn repeat_first_len(b: &[u8], ends: &Ends, s: usize) -> Option<usize> {
    ends.after(s)
        .find(|&e| repeats(b, s, e).is_some())
        .map(|e| e - s)
}

/// End of the whole match and the span of the last `\sunion(\sall)?`, if any.
fn union_repeat(b: &[u8], ends: &Ends, s: usize) -> Option<(usize, (usize, usize))> {
    ends.after(s).find_map(|e| repeats(b, s, e))
}

/// With `$1 = b[s..e]` (no newline, see [`candidate_ends`]), matches the repetitions greedily.
fn repeats(b: &[u8], s: usize, e: usize) -> Option<(usize, (usize, usize))> {
    let first = &b[s..e];
    let mut pos = e;
    let mut last = None;
    while let Some(sep_end) = union_sep(b, pos, first) {
        last = Some((pos, sep_end));
        pos = sep_end + 1 + first.len();
    }
    last.map(|sep| (pos, sep))
}

/// At `pos`: `\sunion(?:\sall)?` then `\s` then `first`; returns the end of the separator.
fn union_sep(b: &[u8], pos: usize, first: &[u8]) -> Option<usize> {
    let ok_at = |sep_end: usize| {
        b.get(sep_end).copied().is_some_and(is_space_byte)
            && b.get(sep_end + 1..sep_end + 1 + first.len()) == Some(first)
    };
    if !(b.get(pos).copied().is_some_and(is_space_byte) && b[pos + 1..].starts_with(b"union")) {
        return None;
    }
    let after_union = pos + 6;
    let with_all = after_union + 4;
    if b.get(after_union).copied().is_some_and(is_space_byte)
        && b[after_union + 1..].starts_with(b"all")
        && ok_at(with_all)
    {
        return Some(with_all);
    }
    ok_at(after_union).then_some(after_union)
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

/// The query id of pt-query-digest (`make_checksum`) and SOAR: the last 16 hex digits of the MD5
/// of the fingerprint, upper case.
pub fn query_id(fingerprint: &str) -> String {
    let hex = md5_hex(fingerprint.as_bytes());
    hex[hex.len() - 16..].to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_pt_fingerprint_examples() {
        let cases = [
            (
                "SELECT * FROM t1 WHERE a = 1",
                "select * from t? where a = ?",
            ),
            ("select\n  2", "select ?"),
            ("INSERT INTO t VALUES (1),(2)", "insert into t values(?+)"),
            (
                "SELECT * FROM t WHERE id IN (1, 2, 3) AND b = 'x'",
                "select * from t where id in(?+) and b = ?",
            ),
            (
                "SELECT a FROM t ORDER BY a ASC, b ASC LIMIT 5, 10",
                "select a from t order by a, b limit ?",
            ),
            ("USE mydb", "use ?"),
            ("CALL proc(1, 2)", "call proc"),
            ("SELECT 1 /* c */ FROM dual -- x\n", "select ? from dual "),
            (
                "SELECT a FROM t WHERE b IS NULL",
                "select a from t where b is ?",
            ),
            (
                "SELECT 1 UNION SELECT 1 UNION ALL SELECT 1",
                "select ? /*repeat union all*/",
            ),
        ];
        for (q, want) in cases {
            assert_eq!(fingerprint(q), want, "{q}");
        }
    }

    #[test]
    fn query_id_is_the_md5_tail() {
        // md5("select ?") = 4f5c5a4ee9aaa4a5ed7ae5c8e6c4bd7e? Checked against the md5 module tests.
        let id = query_id("select ?");
        assert_eq!(id.len(), 16);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
        assert_eq!(id, md5_hex(b"select ?")[16..].to_ascii_uppercase());
    }
}
