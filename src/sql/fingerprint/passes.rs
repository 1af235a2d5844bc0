//! The byte scanners of the fingerprint, one per rewrite of Percona's `fingerprint`, each named
//! after the Perl statement it stands for and matching it exactly (leftmost, non-overlapping,
//! with the same greedy/lazy choices), in linear time. Plain runs are found with `memchr` and
//! copied whole.

use memchr::{memchr, memchr2};

/// Perl's `\s` on bytes: space, tab, newline, carriage return, form feed, vertical tab.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r' | b'\x0c' | b'\x0b')
}

/// Perl's `\w` on bytes.
pub(super) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn starts_with_ci(b: &[u8], at: usize, word: &[u8]) -> bool {
    b.len() >= at + word.len() && b[at..at + word.len()].eq_ignore_ascii_case(word)
}

/// `\b` before position `i` when `b[i]` is a word byte.
fn word_start(b: &[u8], i: usize) -> bool {
    i == 0 || !is_word(b[i - 1])
}

pub(super) fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while i + needle.len() <= b.len() {
        let j = i + memchr(first, &b[i..])?;
        if b[j..].starts_with(needle) {
            return Some(j);
        }
        i = j + 1;
    }
    None
}

/// `m#/\*\w+\.\w+:[0-9]/[0-9]\*/#`: the marker pt-table-checksum and friends put in their queries.
pub(super) fn has_percona_marker(b: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = find(b, from, b"/*") {
        from = i + 1;
        let mut j = i + 2;
        let words = |j: &mut usize| {
            let s = *j;
            while *j < b.len() && is_word(b[*j]) {
                *j += 1;
            }
            *j > s
        };
        if !words(&mut j) || b.get(j) != Some(&b'.') {
            continue;
        }
        j += 1;
        if !words(&mut j) || b.get(j) != Some(&b':') {
            continue;
        }
        let rest = &b[j + 1..];
        if rest.len() >= 5
            && rest[0].is_ascii_digit()
            && rest[1] == b'/'
            && rest[2].is_ascii_digit()
            && &rest[3..5] == b"*/"
        {
            return true;
        }
    }
    false
}

/// `m/\A\s*(call\s+\S+)\(/i`: the end of `$1` (the last `(` of the name's non-space run).
pub(super) fn call_name_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    if !starts_with_ci(b, i, b"call") {
        return None;
    }
    let mut j = i + 4;
    let spaces = j;
    while j < b.len() && is_space(b[j]) {
        j += 1;
    }
    if j == spaces || j == b.len() {
        return None;
    }
    let name = j;
    while j < b.len() && !is_space(b[j]) {
        j += 1;
    }
    b[name + 1..j]
        .iter()
        .rposition(|&c| c == b'(')
        .map(|p| name + 1 + p)
}

/// `m/\A((?:INSERT|REPLACE)(?: IGNORE)?\s+INTO.+?VALUES\s*\(.*?\))\s*,\s*\(/is`: where a
/// multi-row INSERT is cut, after its first row.
pub(super) fn multi_insert_end(b: &[u8]) -> Option<usize> {
    let mut i = if starts_with_ci(b, 0, b"insert") {
        6
    } else if starts_with_ci(b, 0, b"replace") {
        7
    } else {
        return None;
    };
    if starts_with_ci(b, i, b" ignore") {
        i += 7;
    }
    let ws = i;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    if i == ws || !starts_with_ci(b, i, b"into") {
        return None;
    }
    // `.+?VALUES\s*\(`: the first VALUES at least one byte after INTO followed by a `(`. If no
    // row end follows that one, none follows a later one either (the candidates only shrink).
    let mut v = i + 5;
    let open = loop {
        let at = (v..b.len().saturating_sub(5)).find(|&p| starts_with_ci(b, p, b"values"))?;
        let mut p = at + 6;
        while p < b.len() && is_space(b[p]) {
            p += 1;
        }
        if b.get(p) == Some(&b'(') {
            break p;
        }
        v = at + 1;
    };
    // `.*?\)\s*,\s*\(`: the first `)` followed by a comma and the next row's `(`.
    let mut c = open + 1;
    loop {
        let close = c + b[c..].iter().position(|&x| x == b')')?;
        let mut p = close + 1;
        while p < b.len() && is_space(b[p]) {
            p += 1;
        }
        if b.get(p) == Some(&b',') {
            p += 1;
            while p < b.len() && is_space(b[p]) {
                p += 1;
            }
            if b.get(p) == Some(&b'(') {
                return Some(close + 1);
            }
        }
        c = close + 1;
    }
}

/// `s/\/\*[^!].*?\*\///sg`: block comments go, `/*! … */` stays.
pub(super) fn strip_block_comments(b: &[u8], o: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(s) = find(b, i, b"/*") {
        if s + 2 < b.len() && b[s + 2] != b'!' {
            match find(b, s + 3, b"*/") {
                Some(e) => {
                    o.extend_from_slice(&b[i..s]);
                    i = e + 2;
                    continue;
                }
                None => break,
            }
        }
        o.extend_from_slice(&b[i..s + 1]);
        i = s + 1;
    }
    o.extend_from_slice(&b[i..]);
}

/// `s/(?:--|#)[^'"\r\n]*([\r\n]|\Z)/$1/g`: a line comment goes up to its line end, unless a
/// quote comes first.
pub(super) fn strip_line_comments(b: &[u8], o: &mut Vec<u8>) {
    let mut i = 0;
    while i < b.len() {
        let Some(at) = memchr2(b'#', b'-', &b[i..]).map(|p| p + i) else {
            o.extend_from_slice(&b[i..]);
            return;
        };
        let body = match b[at] {
            b'#' => at + 1,
            _ if b.get(at + 1) == Some(&b'-') => at + 2,
            _ => {
                o.extend_from_slice(&b[i..=at]);
                i = at + 1;
                continue;
            }
        };
        o.extend_from_slice(&b[i..at]);
        let mut j = body;
        while j < b.len() && !matches!(b[j], b'\'' | b'"' | b'\r' | b'\n') {
            j += 1;
        }
        if j == b.len() {
            return;
        }
        if matches!(b[j], b'\r' | b'\n') {
            o.push(b[j]);
        } else {
            // A quote: no match here nor at any start before it (each would stop at it too).
            o.extend_from_slice(&b[at..=j]);
        }
        i = j + 1;
    }
}

/// `m/\Ause \S+\Z/i`: `Some(true)` when it matches before a final newline.
pub(super) fn use_statement(b: &[u8]) -> Option<bool> {
    if !starts_with_ci(b, 0, b"use ") {
        return None;
    }
    let (body, newline) = match b.strip_suffix(b"\n") {
        Some(body) => (body, true),
        None => (b, false),
    };
    let name = &body[4..];
    (!name.is_empty() && !name.iter().any(|&c| is_space(c))).then_some(newline)
}

/// `s/\\["']//g`.
pub(super) fn drop_escaped_quotes(b: &[u8], o: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(at) = memchr(b'\\', &b[i..]).map(|p| p + i) {
        if matches!(b.get(at + 1), Some(b'"' | b'\'')) {
            o.extend_from_slice(&b[i..at]);
            i = at + 2;
        } else {
            o.extend_from_slice(&b[i..=at]);
            i = at + 1;
        }
    }
    o.extend_from_slice(&b[i..]);
}

/// `s/".*?"/?/sg` (or with `'`).
pub(super) fn replace_quoted(b: &[u8], o: &mut Vec<u8>, q: u8) {
    let mut i = 0;
    while let Some(s) = memchr(q, &b[i..]).map(|p| p + i) {
        let Some(e) = memchr(q, &b[s + 1..]).map(|p| p + s + 1) else {
            break;
        };
        o.extend_from_slice(&b[i..s]);
        o.push(b'?');
        i = e + 1;
    }
    o.extend_from_slice(&b[i..]);
}

/// In one scan, as the five rewrites in a row would leave it:
/// `s/[0-9+-][0-9a-f.xb+-]*/?/g; s/[xb.+-]\?/?/g; s/\A\s+//; chomp; tr[ \n\t\r\f][ ]s; lc;
/// s/\bnull\b/?/g`. None of them makes or removes a space, so the numbers and prefixes are
/// matched on the bytes as written (before lower-casing: `0XFF` is `?XFF`, then `?xff`), and a
/// `null` is judged by the bytes the earlier rewrites leave around it.
pub(super) fn normalize(b: &[u8], o: &mut Vec<u8>) {
    let start = b.iter().position(|&c| !is_space(c)).unwrap_or(b.len());
    let b = &b[start..];
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    // The byte as written behind the last output byte: a `?` drops it when it is a prefix.
    let mut last = 0u8;
    let mut in_space = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'0'..=b'9' | b'+' | b'-' | b'?' => {
                if c != b'?' {
                    while i + 1 < b.len() && is_number_tail(b[i + 1]) {
                        i += 1;
                    }
                }
                if matches!(last, b'x' | b'b' | b'.' | b'+' | b'-') {
                    o.pop();
                }
                o.push(b'?');
                last = b'?';
                in_space = false;
                i += 1;
            }
            b' ' | b'\n' | b'\t' | b'\r' | b'\x0c' => {
                if !in_space {
                    o.push(b' ');
                }
                in_space = true;
                last = c;
                i += 1;
            }
            b'n' | b'N' if is_null(b, i, o.last().copied()) => {
                o.push(b'?');
                last = b'?';
                in_space = false;
                i += 4;
            }
            _ => {
                // The run up to the next byte any rewrite acts on, lower-cased.
                let run = b[i..]
                    .iter()
                    .position(|&x| is_normalize_stop(x))
                    .unwrap_or(b.len() - i)
                    .max(1);
                o.extend(b[i..i + run].iter().map(u8::to_ascii_lowercase));
                last = b[i + run - 1];
                in_space = false;
                i += run;
            }
        }
    }
}

/// `[0-9a-f.xb+-]`.
fn is_number_tail(c: u8) -> bool {
    matches!(c, b'0'..=b'9' | b'a'..=b'f' | b'.' | b'x' | b'+' | b'-')
}

/// Bytes where [`normalize`]'s plain copying stops: number starts, `?`, spaces and a possible
/// `null`.
fn is_normalize_stop(c: u8) -> bool {
    matches!(
        c,
        b'0'..=b'9' | b'+' | b'-' | b'?' | b' ' | b'\n' | b'\t' | b'\r' | b'\x0c' | b'n' | b'N'
    )
}

/// Whether `\bnull\b` matches at `b[i]` in the text the earlier rewrites make: `prev` is the
/// output byte before it; after it, a digit or sign becomes `?`, and an `x` or `b` before a `?`
/// (or a number) is dropped, which makes a boundary too.
fn is_null(b: &[u8], i: usize, prev: Option<u8>) -> bool {
    if !starts_with_ci(b, i, b"null") || prev.is_some_and(is_word) {
        return false;
    }
    match b.get(i + 4) {
        None => true,
        Some(b'0'..=b'9') => true,
        Some(b'x' | b'b') => matches!(b.get(i + 5), Some(b'0'..=b'9' | b'+' | b'-' | b'?')),
        Some(&c) => !is_word(c),
    }
}

/// `s/\b(in|values?)(?:[\s,]*\([\s?,]*\))+/$1(?+)/gx`.
pub(super) fn collapse_lists(b: &[u8], o: &mut Vec<u8>) {
    let mut i = 0;
    while i < b.len() {
        let Some(at) = memchr2(b'i', b'v', &b[i..]).map(|p| p + i) else {
            o.extend_from_slice(&b[i..]);
            return;
        };
        o.extend_from_slice(&b[i..at]);
        i = at;
        let word: &[u8] = if !word_start(b, i) {
            b""
        } else if b[i..].starts_with(b"in") {
            b"in"
        } else if b[i..].starts_with(b"values") {
            b"values"
        } else if b[i..].starts_with(b"value") {
            b"value"
        } else {
            b""
        };
        if !word.is_empty()
            && let Some(end) = lists_end(b, i + word.len())
        {
            o.extend_from_slice(word);
            o.extend_from_slice(b"(?+)");
            i = end;
            continue;
        }
        o.push(b[i]);
        i += 1;
    }
}

/// `(?:[\s,]*\([\s?,]*\))+` at `p`: the end of the repetitions, if at least one.
fn lists_end(b: &[u8], p: usize) -> Option<usize> {
    let mut end = None;
    let mut pos = p;
    loop {
        let mut q = pos;
        while q < b.len() && (is_space(b[q]) || b[q] == b',') {
            q += 1;
        }
        if b.get(q) != Some(&b'(') {
            return end;
        }
        q += 1;
        while q < b.len() && (is_space(b[q]) || matches!(b[q], b'?' | b',')) {
            q += 1;
        }
        if b.get(q) != Some(&b')') {
            return end;
        }
        pos = q + 1;
        end = Some(pos);
    }
}

/// `s/\blimit \?(?:, ?\?| offset \?)?/limit ?/` (the first one only).
pub(super) fn collapse_limit(b: &mut Vec<u8>) {
    let mut from = 0;
    while let Some(i) = find(b, from, b"limit ?") {
        from = i + 1;
        if !word_start(b, i) {
            continue;
        }
        let after = i + 7;
        let rest = &b[after..];
        let extra = if rest.starts_with(b", ?") {
            3
        } else if rest.starts_with(b",?") {
            2
        } else if rest.starts_with(b" offset ?") {
            9
        } else {
            0
        };
        b.drain(after..after + extra);
        return;
    }
}

/// `if (m/\bORDER BY /gi) { 1 while s/\G(.+?)\s+ASC/$1/gi && pos }`: after the first ORDER BY,
/// every `\s+asc` reached through consecutive lazy matches goes. Writes the result to `out`.
pub(super) fn drop_asc_after_order_by(b: &[u8], out: &mut Vec<u8>) {
    let mut from = 0;
    let start = loop {
        match find(b, from, b"order by ") {
            Some(i) if word_start(b, i) => break i + 9,
            Some(i) => from = i + 1,
            None => {
                out.extend_from_slice(b);
                return;
            }
        }
    };
    out.extend_from_slice(&b[..start]);
    let mut rest = start;
    'matches: loop {
        // `(.+?)\s+ASC` from `rest`: the first space run at least one byte in followed by "asc".
        let mut k = rest + 1;
        while k < b.len() {
            if !is_space(b[k]) {
                k += 1;
                continue;
            }
            let mut e = k;
            while e < b.len() && is_space(b[e]) {
                e += 1;
            }
            if starts_with_ci(b, e, b"asc") {
                out.extend_from_slice(&b[rest..k]);
                rest = e + 3;
                continue 'matches;
            }
            k = e;
        }
        break;
    }
    out.extend_from_slice(&b[rest..]);
}
