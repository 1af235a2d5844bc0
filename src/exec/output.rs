//! Output of a running step: complete lines per stream, and how the step ended.

/// A line longer than this many bytes is delivered in pieces of at most this size.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Which stream of the remote process a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputStream {
    Stdout,
    Stderr,
    /// Not output: the step's remote process group as `PGID TAG` ([`super::RemoteGroup`]), sent
    /// once by an SSH step when its wrapper reported it.
    Group,
}

/// One complete line of output (without its line terminator), decoded as UTF-8 lossily.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputChunk {
    pub stream: OutputStream,
    pub line: String,
}

/// How a command ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOutcome {
    /// The exit status, when the process exited normally and the server reported it.
    pub exit_code: Option<i32>,
    /// The signal name (e.g. `TERM`, `KILL`) when the server reported death by signal.
    pub signal: Option<String>,
    /// The per-step timeout elapsed and the remote process group was killed.
    pub timed_out: bool,
    /// The run was cancelled and the remote process group was killed.
    pub cancelled: bool,
}

impl RunOutcome {
    /// True when the command exited with status 0 and was neither cancelled nor timed out.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && !self.cancelled
    }
}

/// Turns a byte stream arriving in arbitrary packets into complete lines.
///
/// Lines end at `\n`; a `\r` before it is dropped (CRLF). Bytes that are not UTF-8 are replaced
/// with U+FFFD, NUL with U+2400 `␀`. A line longer than [`MAX_LINE_BYTES`] is split into pieces of at most that many
/// bytes, cut on a character boundary when possible, so memory stays bounded.
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
}

impl LineSplitter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes and returns every line they complete.
    pub fn push(&mut self, data: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        let mut rest = data;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            self.buf.extend_from_slice(&rest[..pos]);
            rest = &rest[pos + 1..];
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            self.take_long_pieces(&mut lines);
            lines.push(decode(&self.buf));
            self.buf.clear();
        }
        self.buf.extend_from_slice(rest);
        self.take_long_pieces(&mut lines);
        lines
    }

    /// Returns the last, unterminated line, if any (call when the stream ends).
    pub fn finish(&mut self) -> Option<String> {
        if self.buf.is_empty() {
            return None;
        }
        let line = decode(&self.buf);
        self.buf.clear();
        Some(line)
    }

    /// Moves full-size pieces off the front of an over-long buffer, leaving at most
    /// `MAX_LINE_BYTES` bytes behind.
    fn take_long_pieces(&mut self, lines: &mut Vec<String>) {
        let mut start = 0;
        while self.buf.len() - start > MAX_LINE_BYTES {
            let cut = char_boundary_before(&self.buf[start..], MAX_LINE_BYTES);
            lines.push(decode(&self.buf[start..start + cut]));
            start += cut;
        }
        if start > 0 {
            self.buf.drain(..start);
        }
    }
}

/// A line's bytes as text: not UTF-8 → U+FFFD, NUL → U+2400 `␀` (what the store keeps too;
/// PostgreSQL cannot hold NUL), so the live view and the stored log show the same line.
fn decode(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match crate::text::show_nul(&text) {
        std::borrow::Cow::Owned(o) => o,
        std::borrow::Cow::Borrowed(_) => text.into_owned(),
    }
}

/// The largest cut `<= max` that does not fall inside a UTF-8 sequence (or `max` when the
/// bytes are not UTF-8 there anyway).
fn char_boundary_before(bytes: &[u8], max: usize) -> usize {
    let is_continuation = |b: u8| b & 0xC0 == 0x80;
    let mut cut = max;
    while cut > 0 && max - cut < 4 && cut < bytes.len() && is_continuation(bytes[cut]) {
        cut -= 1;
    }
    if cut == 0 || max - cut >= 4 { max } else { cut }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &mut LineSplitter, parts: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        for p in parts {
            out.extend(s.push(p));
        }
        out.extend(s.finish());
        out
    }

    #[test]
    fn joins_lines_split_across_packets_and_strips_crlf() {
        let mut s = LineSplitter::new();
        let got = all(&mut s, &[b"hel", b"lo\r", b"\nwor", b"ld\n\nlast"]);
        assert_eq!(got, vec!["hello", "world", "", "last"]);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_split_chars_survive_packets() {
        let mut s = LineSplitter::new();
        let snow = "é".as_bytes();
        let got = all(&mut s, &[b"a\xffb\n", &snow[..1], &snow[1..], b"\n"]);
        assert_eq!(got, vec!["a\u{fffd}b", "é"]);
    }

    #[test]
    fn nul_in_output_is_shown_as_the_nul_symbol() {
        let mut s = LineSplitter::new();
        let got = all(&mut s, &[b"a\0b\n\0", b"\xff\0"]);
        assert_eq!(got, vec!["a\u{2400}b", "\u{2400}\u{fffd}\u{2400}"]);
    }

    #[test]
    fn very_long_lines_are_split_at_64k() {
        let mut s = LineSplitter::new();
        let long = vec![b'x'; MAX_LINE_BYTES * 2 + 10];
        let mut got = Vec::new();
        for piece in long.chunks(1000) {
            got.extend(s.push(piece));
        }
        got.extend(s.push(b"\nnext\n"));
        let lens: Vec<usize> = got.iter().map(|l| l.len()).collect();
        assert_eq!(lens, vec![MAX_LINE_BYTES, MAX_LINE_BYTES, 10, 4]);
    }

    #[test]
    fn long_lines_are_cut_on_char_boundaries() {
        let mut s = LineSplitter::new();
        let mut data = vec![b'x'; MAX_LINE_BYTES - 1];
        data.extend_from_slice("é".as_bytes());
        data.extend_from_slice(b"\n");
        let got = s.push(&data);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].len(), MAX_LINE_BYTES - 1);
        assert_eq!(got[1], "é");
    }
}
