//! Maps validation field paths (`hosts[1].name`, `tags[0].databases[0].password`) and TOML parse
//! errors back to 1-based line numbers in the TOML text they came from.
//!
//! This is a line scanner, not a full TOML parser: it understands `[table]` and `[[array]]`
//! headers, `key = value` lines (bare, quoted and dotted keys), and skips multi-line strings and
//! multi-line arrays so their contents are never mistaken for headers or keys. When a path cannot
//! be pinned to a key it falls back to the header of the nearest entry it could find.

use std::ops::Range;

/// One significant line of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `[a.b]`, normalized name.
    Table(String),
    /// `[[a.b]]`, normalized name.
    ArrayTable(String),
    /// `key = …` or `a.b = …`: the normalized first key segment and the whole dotted key.
    Key(String, String),
}

#[derive(Debug, Clone)]
struct Line {
    /// 1-based line number.
    no: usize,
    kind: Kind,
}

/// Removes quotes and surrounding spaces from each dotted key segment: `"a" . b` → `a.b`.
fn normalize_key(raw: &str) -> String {
    split_dotted(raw)
        .iter()
        .map(|s| {
            let s = s.trim();
            s.strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                .unwrap_or(s)
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Splits a dotted key at dots that are not inside quotes.
fn split_dotted(raw: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in raw.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '.' => {
                out.push(&raw[start..i]);
                start = i + 1;
            }
            None => {}
        }
    }
    out.push(&raw[start..]);
    out
}

/// Scans the value part of a key line (or a continuation line) and updates the open-bracket depth
/// and multi-line string state. Returns the new state.
fn scan_value(
    text: &str,
    mut depth: i32,
    mut ml: Option<&'static str>,
) -> (i32, Option<&'static str>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if let Some(delim) = ml {
            if b[i..].starts_with(delim.as_bytes()) {
                ml = None;
                i += 3;
                continue;
            }
            if delim == "\"\"\"" && b[i] == b'\\' {
                i += 2;
                continue;
            }
            i += 1;
            continue;
        }
        match b[i] {
            b'#' => break,
            b'"' | b'\'' => {
                let q = b[i];
                if b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
                    ml = Some(if q == b'"' { "\"\"\"" } else { "'''" });
                    i += 3;
                    continue;
                }
                // Single-line string: skip to its end.
                i += 1;
                while i < b.len() && b[i] != q {
                    if q == b'"' && b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b']' | b'}' => {
                depth -= 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    (depth.max(0), ml)
}

/// Finds the `=` that ends a key, outside quotes.
fn key_end(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '=' => return Some(i),
            None if c == '#' => return None,
            None => {}
        }
    }
    None
}

/// Strips a trailing `# comment` outside quotes from a header line.
fn strip_comment(text: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => return &text[..i],
            None => {}
        }
    }
    text
}

fn scan(src: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut ml: Option<&'static str> = None;
    for (idx, raw) in src.lines().enumerate() {
        let no = idx + 1;
        if ml.is_some() || depth > 0 {
            (depth, ml) = scan_value(raw, depth, ml);
            continue;
        }
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with('[') {
            let h = strip_comment(t).trim();
            if let Some(inner) = h.strip_prefix("[[").and_then(|s| s.strip_suffix("]]")) {
                out.push(Line {
                    no,
                    kind: Kind::ArrayTable(normalize_key(inner)),
                });
            } else if let Some(inner) = h.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                out.push(Line {
                    no,
                    kind: Kind::Table(normalize_key(inner)),
                });
            }
            continue;
        }
        if let Some(eq) = key_end(t) {
            let key = normalize_key(&t[..eq]);
            let first = key.split('.').next().unwrap_or("").to_string();
            out.push(Line {
                no,
                kind: Kind::Key(first, key),
            });
            (depth, ml) = scan_value(&t[eq + 1..], 0, None);
        }
    }
    out
}

/// A field path segment: `name` or `name[index]`.
fn parse_path(path: &str) -> Vec<(String, Option<usize>)> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .map(|seg| match seg.find('[') {
            Some(i) => {
                let idx = seg[i + 1..].trim_end_matches(']').parse::<usize>().ok();
                (seg[..i].to_string(), idx)
            }
            None => (seg.to_string(), None),
        })
        .collect()
}

fn is_header(k: &Kind) -> Option<&str> {
    match k {
        Kind::Table(n) | Kind::ArrayTable(n) => Some(n),
        Kind::Key(..) => None,
    }
}

/// The end (exclusive index into `lines`) of the entry whose header is at `start`: the next header
/// that is not a sub-table of `name`, or a repeat of `[[name]]`, bounded by `limit`.
fn entry_end(lines: &[Line], start: usize, name: &str, limit: usize) -> usize {
    let prefix = format!("{name}.");
    (start + 1..limit)
        .find(|&i| match &lines[i].kind {
            Kind::ArrayTable(n) => n == name || !n.starts_with(&prefix),
            Kind::Table(n) => !n.starts_with(&prefix),
            Kind::Key(..) => false,
        })
        .unwrap_or(limit)
}

/// The 1-based line in `src` that the validation field path most likely refers to.
///
/// `hosts[1].name` finds the second `[[hosts]]` header, then `name =` inside it; when the key is
/// missing it falls back to the entry's header line; `None` when nothing matches at all.
pub fn line_of(src: &str, path: &str) -> Option<usize> {
    let lines = scan(src);
    let segs = parse_path(path);
    // Current scope: `lines[range]` holds the scope's content; `prefix` is its table name.
    let mut range: Range<usize> = 0..lines.len();
    let mut prefix = String::new();
    let mut fallback: Option<usize> = None;
    for (n, (name, index)) in segs.iter().enumerate() {
        let last = n + 1 == segs.len();
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        // Keys that belong directly to this scope come before its first header.
        let own_end = (range.start..range.end)
            .find(|&i| is_header(&lines[i].kind).is_some())
            .unwrap_or(range.end);
        let own_key = (range.start..own_end).find(|&i| match &lines[i].kind {
            Kind::Key(first, _) => first == name,
            _ => false,
        });
        match index {
            Some(idx) => {
                let headers: Vec<usize> = (range.start..range.end)
                    .filter(|&i| matches!(&lines[i].kind, Kind::ArrayTable(h) if *h == full))
                    .collect();
                match headers.get(*idx) {
                    Some(&h) => {
                        fallback = Some(lines[h].no);
                        range = h + 1..entry_end(&lines, h, &full, range.end);
                        prefix = full;
                        if last {
                            return fallback;
                        }
                    }
                    // An inline array (`hosts = [{…}]`) or a missing entry.
                    None => return own_key.map(|i| lines[i].no).or(fallback),
                }
            }
            None => {
                if let Some(i) = own_key {
                    return Some(lines[i].no);
                }
                let header = (range.start..range.end)
                    .find(|&i| is_header(&lines[i].kind) == Some(full.as_str()));
                match header {
                    Some(h) => {
                        fallback = Some(lines[h].no);
                        if last {
                            return fallback;
                        }
                        let end = match &lines[h].kind {
                            Kind::Table(_) | Kind::ArrayTable(_) => {
                                entry_end(&lines, h, &full, range.end)
                            }
                            Kind::Key(..) => range.end,
                        };
                        range = h + 1..end;
                        prefix = full;
                    }
                    None => return fallback,
                }
            }
        }
    }
    fallback
}

/// 1-based (line, column) of a byte offset in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(src.len());
    while !src.is_char_boundary(off) {
        off -= 1;
    }
    let before = &src[..off];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Where a TOML parse or deserialization error happened, as 1-based (line, column), and its
/// message without the source excerpt toml puts in its `Display`.
pub fn toml_error_position(src: &str, err: &toml::de::Error) -> (Option<(usize, usize)>, String) {
    let pos = err.span().map(|s| line_col(src, s.start));
    (pos, err.message().trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INV: &str = r#"# inventory
[[exec_users]]
alias = "deploy"
user = "deploy"

[[hosts]]
name = "web01"
address = "10.0.0.11"

[[hosts]]
name = "web02"   # second
"address" = "10.0.0.12"

[[tags]]
name = "web"
hosts = [
  "web01",
  "[[hosts]]",
]
proxy = "jump"

[[tags.databases]]
name = "a"
password = """
[[tags]]
name = "x"
"""

[[tags.databases]]
name = "b"
password_env = "B"

[[tags]]
name = "db"

[[tags.databases]]
name = "c"
user = "u"
"#;

    #[test]
    fn array_entries_and_fields() {
        assert_eq!(line_of(INV, "exec_users[0].user"), Some(4));
        assert_eq!(line_of(INV, "hosts[0].name"), Some(7));
        assert_eq!(line_of(INV, "hosts[1].name"), Some(11));
        assert_eq!(line_of(INV, "hosts[1].address"), Some(12));
        assert_eq!(line_of(INV, "hosts[1]"), Some(10));
    }

    #[test]
    fn multi_line_values_are_skipped() {
        assert_eq!(line_of(INV, "tags[0].proxy"), Some(20));
        assert_eq!(line_of(INV, "tags[0].hosts"), Some(16));
        assert_eq!(line_of(INV, "tags[1].name"), Some(34));
    }

    #[test]
    fn nested_arrays_are_counted_inside_their_parent() {
        assert_eq!(line_of(INV, "tags[0].databases[0].name"), Some(23));
        assert_eq!(line_of(INV, "tags[0].databases[1].password_env"), Some(31));
        assert_eq!(line_of(INV, "tags[1].databases[0].user"), Some(38));
        assert_eq!(line_of(INV, "tags[1].databases[0].name"), Some(37));
    }

    #[test]
    fn missing_fields_fall_back_to_the_entry_header() {
        assert_eq!(line_of(INV, "hosts[0].port"), Some(6));
        assert_eq!(line_of(INV, "tags[0].databases[1].password"), Some(29));
        assert_eq!(line_of(INV, "tags[1].databases[5].name"), Some(33));
        assert_eq!(line_of(INV, "hosts[9].name"), None);
        assert_eq!(line_of(INV, "nothing"), None);
    }

    #[test]
    fn templates_and_plain_tables() {
        let src = "id = 1\nname = \"t\"\n\n[[args]]\nname = \"A\"\n\n[[steps]]\ngroup = 1\n\n[[steps]]\ngroup = 3\ncommand = \"echo\"\n";
        assert_eq!(line_of(src, "id"), Some(1));
        assert_eq!(line_of(src, "steps"), Some(7));
        assert_eq!(line_of(src, "steps[1].command"), Some(12));
        assert_eq!(line_of(src, "args[0].name"), Some(5));
        let args = "name = \"x\"\n[args]\nV = \"1\"\nW = \"2\"\n[other]\nV = 3\n";
        assert_eq!(line_of(args, "args.W"), Some(4));
        assert_eq!(line_of(args, "args.Z"), Some(2));
        assert_eq!(line_of(args, "other.V"), Some(6));
        let dotted = "args.V = \"1\"\n";
        assert_eq!(line_of(dotted, "args.V"), Some(1));
    }

    #[test]
    fn inline_arrays_fall_back_to_the_key_line() {
        let src = "hosts = [\n  { name = \"a\", address = \"x\" },\n  { name = \"b\", address = \"y\" },\n]\n[[tags]]\nname = \"t\"\n";
        assert_eq!(line_of(src, "hosts[1].name"), Some(1));
        assert_eq!(line_of(src, "tags[0].name"), Some(6));
    }

    #[test]
    fn toml_errors_carry_line_and_column() {
        let src = "a = 1\nb = = 2\n";
        let e = toml::from_str::<toml::Table>(src).unwrap_err();
        let (pos, msg) = toml_error_position(src, &e);
        assert_eq!(pos.map(|p| p.0), Some(2));
        assert!(!msg.is_empty());
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab\ncd", 99), (2, 3));
    }
}

#[cfg(test)]
mod boundary_tests {
    use super::line_of;

    /// Found by fuzzing: a multi-byte character inside a multi-line string used to be sliced
    /// in the middle while looking for the closing delimiter.
    #[test]
    fn multi_byte_text_in_multi_line_strings_is_scanned_safely() {
        let src = "a = '''x Ռsh ' y\n Ռ '''\nb = \"\"\"Ռ\\\"Ռ\"\"\"\nc = 1\n";
        assert_eq!(line_of(src, "c"), Some(4));
    }
}
