//! pt-fingerprint's UNION collapse, `s/\b(select\s.*?)(?:(\sunion(?:\sall)?)\s\1)+/$1 \/*repeat$2*\//g`,
//! by hand because the pattern needs a back-reference.

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r' | b'\x0c' | b'\x0b')
}

/// `s/\b(select\s.*?)(?:(\sunion(?:\sall)?)\s\1)+/$1 \/*repeat$2*\//g`, by hand because the
/// pattern needs a back-reference.
pub(super) fn collapse_unions(q: &str) -> String {
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
