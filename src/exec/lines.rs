//! Splits a byte stream into lines: CRLF handled, invalid UTF-8 replaced, very long lines cut.

/// Longest line kept whole; longer output is cut into pieces of this size.
pub const MAX_LINE: usize = 64 * 1024;

#[derive(Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
}

impl LineSplitter {
    /// Feeds bytes; returns the complete lines they finish.
    pub fn push(&mut self, data: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &b in data {
            if b == b'\n' {
                out.push(self.take());
            } else {
                self.buf.push(b);
                if self.buf.len() >= MAX_LINE {
                    out.push(self.take());
                }
            }
        }
        out
    }

    /// The last line when the stream ended without a newline.
    pub fn finish(&mut self) -> Option<String> {
        if self.buf.is_empty() { None } else { Some(self.take()) }
    }

    fn take(&mut self) -> String {
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        let s = String::from_utf8_lossy(&self.buf).into_owned();
        self.buf.clear();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_across_chunks() {
        let mut s = LineSplitter::default();
        assert!(s.push(b"ab").is_empty());
        assert_eq!(s.push(b"c\r\nd\ne"), vec!["abc", "d"]);
        assert_eq!(s.push(&[0xff, b'\n']), vec!["e\u{fffd}"]);
        assert_eq!(s.finish(), None);
        let long = vec![b'x'; MAX_LINE + 10];
        let lines = s.push(&long);
        assert_eq!(lines.len(), 1);
        assert_eq!(s.finish().unwrap().len(), 10);
    }
}
