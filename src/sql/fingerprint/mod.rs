//! Query fingerprints in the pt-fingerprint normal form (Percona toolkit's
//! `QueryRewriter::fingerprint`, quirks included) and the 16-hex-digit query id used by
//! pt-query-digest and SOAR.
//!
//! Each of Percona's regex rewrites is a hand-written byte scanner here, run in the same order
//! over two reused buffers (the five from the numbers to `null` fused into one scan): no regex
//! engine, no allocation per step, linear time on any input. One scan of the query first notes
//! which trigger bytes occur, and a rewrite whose trigger is absent is skipped.
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
    out: Vec<u8>,
    /// The text of `out` when it is not valid UTF-8 (never, by construction; kept to return
    /// `&str` without `unsafe`).
    lossy: String,
}

/// Trigger bytes of the optional rewrites, one bit each (see [`TRIGGERS`]).
const STAR: u16 = 1;
const COMMENT: u16 = 1 << 1;
const BACKSLASH: u16 = 1 << 2;
const DOUBLE_QUOTE: u16 = 1 << 3;
const SINGLE_QUOTE: u16 = 1 << 4;
const PAREN: u16 = 1 << 5;
const U: u16 = 1 << 6;

/// Which rewrites a byte may trigger.
static TRIGGERS: [u16; 256] = {
    let mut t = [0u16; 256];
    t[b'*' as usize] = STAR;
    t[b'#' as usize] = COMMENT;
    t[b'-' as usize] = COMMENT;
    t[b'\\' as usize] = BACKSLASH;
    t[b'"' as usize] = DOUBLE_QUOTE;
    t[b'\'' as usize] = SINGLE_QUOTE;
    t[b'(' as usize] = PAREN;
    t[b'u' as usize] = U;
    t[b'U' as usize] = U;
    t
};

/// The trigger bits of every byte of `q`; rewrites only remove bytes or add `?`, so these
/// stay a superset for every later step.
fn triggers(q: &[u8]) -> u16 {
    let mut chunks = q.chunks_exact(4);
    let (mut w, mut x, mut y, mut z) = (0u16, 0u16, 0u16, 0u16);
    for c in chunks.by_ref() {
        w |= TRIGGERS[c[0] as usize];
        x |= TRIGGERS[c[1] as usize];
        y |= TRIGGERS[c[2] as usize];
        z |= TRIGGERS[c[3] as usize];
    }
    for &c in chunks.remainder() {
        w |= TRIGGERS[c as usize];
    }
    w | x | y | z
}

/// The pt-fingerprint form of one query: literals become `?`, IN/VALUES lists `(?+)`, comments
/// (not `/*! */`) go, whitespace collapses, ASCII letters are lower case.
pub fn fingerprint(query: &str) -> String {
    Fingerprinter::default().fingerprint(query).to_string()
}

impl Fingerprinter {
    /// The fingerprint of `query`, borrowed from the scratch buffers until the next call.
    pub fn fingerprint(&mut self, query: &str) -> &str {
        self.fingerprint_bytes(query);
        // The rewrites only remove or replace runs that start and end at ASCII bytes, so the
        // result of valid UTF-8 is valid UTF-8; the lossy branch is never taken.
        match std::str::from_utf8(&self.out) {
            Ok(text) => text,
            Err(_) => {
                self.lossy = String::from_utf8_lossy(&self.out).into_owned();
                &self.lossy
            }
        }
    }

    /// [`fingerprint`](Self::fingerprint) as bytes (valid UTF-8), for writing out without
    /// checking the text again.
    pub fn fingerprint_bytes(&mut self, query: &str) -> &[u8] {
        self.out.clear();
        let q = query.as_bytes();
        if query.starts_with("SELECT /*!40001 SQL_NO_CACHE */ * FROM `") {
            self.out.extend_from_slice(b"mysqldump");
            return &self.out;
        }
        if has_percona_marker(q) {
            self.out.extend_from_slice(b"percona-toolkit");
            return &self.out;
        }
        if query.starts_with("administrator command: ") {
            self.out.extend_from_slice(q);
            return &self.out;
        }
        if let Some(end) = call_name_end(q) {
            let start = q.len() - query.trim_start_matches(is_perl_space_char).len();
            self.out.extend_from_slice(&q[start..end]);
            self.out.make_ascii_lowercase();
            return &self.out;
        }
        let q = &q[..multi_insert_end(q).unwrap_or(q.len())];
        // A rewrite whose trigger byte is absent would copy its input unchanged: skip it.
        let found = triggers(q);
        self.a.clear();
        if found & STAR != 0 {
            strip_block_comments(q, &mut self.a);
        } else {
            self.a.extend_from_slice(q);
        }
        if found & COMMENT != 0 {
            self.step(strip_line_comments);
        }
        if let Some(newline) = use_statement(&self.a) {
            self.out
                .extend_from_slice(if newline { b"use ?\n" } else { b"use ?" });
            return &self.out;
        }
        if found & BACKSLASH != 0 {
            self.step(drop_escaped_quotes);
        }
        if found & DOUBLE_QUOTE != 0 {
            self.step(|i, o| replace_quoted(i, o, b'"'));
        }
        if found & SINGLE_QUOTE != 0 {
            self.step(|i, o| replace_quoted(i, o, b'\''));
        }
        self.step(normalize);
        if found & PAREN != 0 {
            self.step(collapse_lists);
        }
        if found & U != 0 && find(&self.a, 0, b"union").is_some() {
            let collapsed = union::collapse_unions(&String::from_utf8_lossy(&self.a));
            self.a.clear();
            self.a.extend_from_slice(collapsed.as_bytes());
        }
        collapse_limit(&mut self.a);
        drop_asc_after_order_by(&self.a, &mut self.out);
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
