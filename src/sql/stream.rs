//! Statements of a script read as a stream: the same statements as [`split`](super::split) on the
//! whole text, with memory bounded by the longest statement instead of the input's size.

use std::collections::VecDeque;
use std::io::BufRead;

use super::split::split_from;

/// Statements longer than this stop the reading with [`StreamError::TooLong`].
pub const DEFAULT_MAX_STATEMENT: usize = 64 << 20;

/// Why reading statements stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("read error after {bytes} bytes: {source}")]
    Read {
        bytes: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("a statement starting near line {line} is longer than {max} bytes; stopped there")]
    TooLong { line: u64, max: usize },
}

/// Reads statements from `R` one by one. The input is read in whole lines (so `DELIMITER`
/// commands and comment ends are never cut), rescanned from the start of the first unfinished
/// statement only, and each read is at least as large as the pending text (so a long statement
/// costs linear time). Invalid UTF-8 becomes U+FFFD.
pub struct StatementReader<R> {
    input: R,
    pending: String,
    delimiter: String,
    ready: VecDeque<String>,
    eof: bool,
    failed: bool,
    max: usize,
    bytes: u64,
    /// Lines before `pending`, for error messages.
    line: u64,
    raw: Vec<u8>,
}

impl<R: BufRead> StatementReader<R> {
    pub fn new(input: R) -> Self {
        Self::with_max(input, DEFAULT_MAX_STATEMENT)
    }

    /// With a statement size limit of `max` bytes.
    pub fn with_max(input: R, max: usize) -> Self {
        StatementReader {
            input,
            pending: String::new(),
            delimiter: ";".into(),
            ready: VecDeque::new(),
            eof: false,
            failed: false,
            max: max.max(1),
            bytes: 0,
            line: 1,
            raw: Vec::new(),
        }
    }

    /// Reads whole lines until at least `want` more bytes, more than the limit pending, or the
    /// end of the input: as many whole lines at a time as the reader's buffer holds.
    fn fill(&mut self, want: usize) -> Result<(), StreamError> {
        let mut added = 0;
        while added < want && self.pending.len() <= self.max {
            self.raw.clear();
            self.read_lines()?;
            if self.raw.is_empty() {
                self.eof = true;
                break;
            }
            self.bytes += self.raw.len() as u64;
            added += self.raw.len();
            // `from_utf8` is the fast check; only invalid input pays for the lossy copy.
            match std::str::from_utf8(&self.raw) {
                Ok(lines) => self.pending.push_str(lines),
                Err(_) => self.pending.push_str(&String::from_utf8_lossy(&self.raw)),
            }
        }
        Ok(())
    }

    /// Appends to `raw` the whole lines in the reader's buffer, reading on until at least one
    /// line ends (or the input does). A line longer than the limit is cut off at the limit; the
    /// caller then stops.
    fn read_lines(&mut self) -> Result<(), StreamError> {
        loop {
            let room = (self.max + 1)
                .saturating_sub(self.pending.len() + self.raw.len())
                .max(1);
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(StreamError::Read {
                        bytes: self.bytes + self.raw.len() as u64,
                        source,
                    });
                }
            };
            if buf.is_empty() {
                return Ok(());
            }
            let avail = &buf[..buf.len().min(room)];
            let (take, done) = match memchr::memrchr(b'\n', avail) {
                Some(last) => (last + 1, true),
                None => (avail.len(), avail.len() == room),
            };
            self.raw.extend_from_slice(&avail[..take]);
            self.input.consume(take);
            if done {
                return Ok(());
            }
        }
    }

    /// Splits what is pending: finished statements go to `ready`; at the end of the input, all.
    fn scan(&mut self) {
        let found = split_from(&self.pending, &self.delimiter);
        let mut consumed = 0;
        for (st, end) in found {
            if st.terminated || self.eof {
                consumed = end;
                self.delimiter = st.delimiter;
                self.ready.push_back(st.text);
            } else {
                break;
            }
        }
        if self.eof {
            consumed = self.pending.len();
        }
        self.line +=
            memchr::memchr_iter(b'\n', &self.pending.as_bytes()[..consumed]).count() as u64;
        self.pending.drain(..consumed);
    }
}

impl<R: BufRead> Iterator for StatementReader<R> {
    type Item = Result<String, StreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(s) = self.ready.pop_front() {
                return Some(Ok(s));
            }
            if self.failed || (self.eof && self.pending.is_empty()) {
                return None;
            }
            let want = self.pending.len().max(64 << 10);
            if let Err(e) = self.fill(want) {
                self.failed = true;
                return Some(Err(e));
            }
            self.scan();
            if !self.eof && self.pending.len() > self.max {
                self.failed = true;
                let blank = self.pending.len() - self.pending.trim_start().len();
                return Some(Err(StreamError::TooLong {
                    line: self.line + self.pending[..blank].matches('\n').count() as u64,
                    max: self.max,
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::split;

    fn streamed(s: &str, max: usize) -> Vec<String> {
        StatementReader::with_max(std::io::BufReader::with_capacity(7, s.as_bytes()), max)
            .map(|r| r.expect("statement"))
            .collect()
    }

    fn whole(s: &str) -> Vec<String> {
        split(s).into_iter().map(|x| x.text).collect()
    }

    #[test]
    fn same_statements_as_split_whatever_the_chunk_size() {
        let corpus = include_str!("../../tests/fixtures/sql/corpus.sql");
        let scripts = [
            corpus,
            "SELECT 'a;b'; SELECT \"c;\\\"d\";\nSELECT `e;``f`; -- x;y\nSELECT 1 # z;\n;\n/* q; */ SELECT 2",
            "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END //\nDELIMITER ;\nSELECT 3;",
            "SELECT 1;\n/* never closed; SELECT 2;",
            "SELECT 'multi\nline; string';\nSELECT 2;\n/* a\ncomment; */ SELECT 3\n;",
            "SELECT 'abc; SELECT 2",
            "",
            "\n\n;\n",
        ];
        for s in scripts {
            for max in [1 << 20, 1 << 30] {
                assert_eq!(streamed(s, max), whole(s), "{:?}", &s[..s.len().min(60)]);
            }
        }
    }

    #[test]
    fn a_statement_over_the_limit_stops_with_an_error() {
        let s = format!("SELECT 1;\nSELECT '{}';\nSELECT 3;\n", "x".repeat(5000));
        let mut r = StatementReader::with_max(s.as_bytes(), 1000);
        assert_eq!(r.next().unwrap().unwrap(), "SELECT 1");
        let err = r.next().unwrap().unwrap_err();
        assert!(
            matches!(err, StreamError::TooLong { line: 2, max: 1000 }),
            "{err}"
        );
        assert!(r.next().is_none());
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let bytes = b"SELECT '\xff\xfe';\nSELECT 2;\n";
        let got: Vec<_> = StatementReader::new(&bytes[..])
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(got, vec!["SELECT '\u{fffd}\u{fffd}'", "SELECT 2"]);
    }
}
