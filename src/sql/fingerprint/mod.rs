//! Query fingerprints in the pt-fingerprint normal form (Percona toolkit's
//! `QueryRewriter::fingerprint`, quirks included) and the 16-hex-digit query id used by
//! pt-query-digest and SOAR.
//!
//! Each of Percona's regex rewrites is a hand-written byte scanner here, run in the same order
//! over two reused buffers: no regex engine, no allocation per step, linear time on any input.
//! Bytes, not characters, as Perl sees the query: `\s`, `\w` and `lc` are ASCII only, so
//! non-ASCII text passes through unchanged, as it does in pt-fingerprint.

mod passes;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
mod union;

use super::md5::md5_hex;
use passes::*;

/// Scratch buffers for [`Fingerprinter::fingerprint`]; reuse one to fingerprint many queries
/// without allocating.
#[derive(Default)]
pub struct Fingerprinter {
    a: Vec<u8>,
    b: Vec<u8>,
    out: String,
}

/// The pt-fingerprint form of one query: literals become `?`, IN/VALUES lists `(?+)`, comments
/// (not `/*! */`) go, whitespace collapses, ASCII letters are lower case.
pub fn fingerprint(query: &str) -> String {
    Fingerprinter::default().fingerprint(query).to_string()
}

impl Fingerprinter {
    /// The fingerprint of `query`, borrowed from the scratch buffers until the next call.
    pub fn fingerprint(&mut self, query: &str) -> &str {
        self.out.clear();
        let q = query.as_bytes();
        if query.starts_with("SELECT /*!40001 SQL_NO_CACHE */ * FROM `") {
            self.out.push_str("mysqldump");
            return &self.out;
        }
        if has_percona_marker(q) {
            self.out.push_str("percona-toolkit");
            return &self.out;
        }
        if query.starts_with("administrator command: ") {
            self.out.push_str(query);
            return &self.out;
        }
        if let Some(end) = call_name_end(q) {
            let start = q.len() - query.trim_start_matches(is_perl_space_char).len();
            self.out.push_str(&query[start..end]);
            self.out.make_ascii_lowercase();
            return &self.out;
        }
        let q = &q[..multi_insert_end(q).unwrap_or(q.len())];
        self.a.clear();
        // A pass whose trigger byte is absent would copy its input unchanged: skip it (the
        // `contains` checks are memchr scans).
        if q.contains(&b'*') {
            strip_block_comments(q, &mut self.a);
        } else {
            self.a.extend_from_slice(q);
        }
        if self.a.contains(&b'#') || self.a.contains(&b'-') {
            self.step(strip_line_comments);
        }
        if let Some(newline) = use_statement(&self.a) {
            self.out.push_str(if newline { "use ?\n" } else { "use ?" });
            return &self.out;
        }
        if self.a.contains(&b'\\') {
            self.step(drop_escaped_quotes);
        }
        if self.a.contains(&b'"') {
            self.step(|i, o| replace_quoted(i, o, b'"'));
        }
        if self.a.contains(&b'\'') {
            self.step(|i, o| replace_quoted(i, o, b'\''));
        }
        self.step(replace_numbers);
        if self.a.contains(&b'?') {
            self.step(drop_number_prefixes);
        }
        self.step(trim_collapse_lower);
        if find(&self.a, 0, b"null").is_some() {
            self.step(replace_nulls);
        }
        if self.a.contains(&b'(') {
            self.step(collapse_lists);
        }
        if find(&self.a, 0, b"union").is_some() {
            let collapsed = union::collapse_unions(&String::from_utf8_lossy(&self.a));
            self.a.clear();
            self.a.extend_from_slice(collapsed.as_bytes());
        }
        collapse_limit(&mut self.a);
        // The passes only remove or replace whole ASCII runs of valid UTF-8, so this borrows.
        match std::str::from_utf8(&self.a) {
            Ok(text) => drop_asc_after_order_by(text, &mut self.out),
            Err(_) => drop_asc_after_order_by(&String::from_utf8_lossy(&self.a), &mut self.out),
        }
        &self.out
    }

    /// Runs one pass from buffer `a` into buffer `b` and swaps them.
    fn step(&mut self, pass: impl FnOnce(&[u8], &mut Vec<u8>)) {
        self.b.clear();
        pass(&self.a, &mut self.b);
        std::mem::swap(&mut self.a, &mut self.b);
    }
}

fn is_perl_space_char(c: char) -> bool {
    c.is_ascii() && is_space(c as u8)
}

/// The query id of pt-query-digest (`make_checksum`) and SOAR: the last 16 hex digits of the MD5
/// of the fingerprint, upper case.
pub fn query_id(fingerprint: &str) -> String {
    let hex = md5_hex(fingerprint.as_bytes());
    hex[hex.len() - 16..].to_ascii_uppercase()
}
