//! Python literals as CODO writes them in its JSON fields (`"{1: '127.0.0.1'}"`): a linear
//! recursive-descent parser of the `ast.literal_eval` subset (strings, bytes, numbers, True,
//! False, None, tuples, lists, dicts, sets) straight to JSON, with a nesting and a size limit
//! checked while parsing, so no input can take more than linear time or a deep stack.

use serde_json::{Map, Number, Value as Json};

/// Deepest nesting of brackets accepted; CODO's fields nest two levels.
pub const MAX_DEPTH: usize = 32;
/// Longest literal accepted, in bytes.
pub const MAX_BYTES: usize = 64 * 1024;

/// Parses one literal to JSON: dict keys become strings, tuples and sets arrays, bytes text.
/// The error says what is wrong and at which 1-based character column.
pub fn parse(src: &str) -> Result<Json, String> {
    if src.len() > MAX_BYTES {
        return Err(format!(
            "the literal is {} bytes; the limit is {MAX_BYTES}",
            src.len()
        ));
    }
    let mut p = P {
        s: src.as_bytes(),
        src,
        i: 0,
        depth: 0,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err("unexpected text after the literal"));
    }
    Ok(v)
}

struct P<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
}

impl P<'_> {
    fn err(&self, what: &str) -> String {
        let col = self.src.get(..self.i).map_or(self.i, |b| b.chars().count()) + 1;
        format!("{what} at column {col}")
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end of the literal")),
            Some(b'[' | b'(' | b'{') => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.err(&format!(
                        "the literal nests deeper than the limit of {MAX_DEPTH} levels"
                    )));
                }
                let v = self.container();
                self.depth -= 1;
                v
            }
            Some(b'\'' | b'"') => self.string(false, false),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.word(),
            Some(c) if c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn container(&mut self) -> Result<Json, String> {
        let open = self.s[self.i];
        self.i += 1;
        let close = match open {
            b'[' => b']',
            b'(' => b')',
            _ => b'}',
        };
        let mut items = Vec::new();
        let mut pairs = Map::new();
        let mut is_dict = None::<bool>;
        let mut commas = 0usize;
        loop {
            if self.eat(close) {
                break;
            }
            let v = self.value()?;
            if open == b'{' {
                let colon = self.eat(b':');
                let dict = *is_dict.get_or_insert(colon);
                if dict != colon {
                    return Err(self.err(if dict {
                        "expected `:` in a dict"
                    } else {
                        "unexpected `:` in a set"
                    }));
                }
                if dict {
                    let key = dict_key(&v).map_err(|e| self.err(&e))?;
                    let val = self.value()?;
                    pairs.insert(key, val);
                } else {
                    items.push(v);
                }
            } else {
                items.push(v);
            }
            if self.eat(b',') {
                commas += 1;
                continue;
            }
            if self.eat(close) {
                break;
            }
            return Err(self.err(&format!("expected `,` or `{}`", close as char)));
        }
        Ok(match (open, is_dict) {
            (b'{', None | Some(true)) => Json::Object(pairs),
            // `(x)` is x; `(x,)` and `(x, y)` are tuples.
            (b'(', _) if items.len() == 1 && commas == 0 => items.remove(0),
            _ => Json::Array(items),
        })
    }

    fn word(&mut self) -> Result<Json, String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'_' {
                self.i += 1;
            } else {
                break;
            }
        }
        let w = &self.src[start..self.i];
        if matches!(self.peek(), Some(b'\'' | b'"')) {
            let lower = w.to_ascii_lowercase();
            let (bytes, raw) = match lower.as_str() {
                "u" => (false, false),
                "r" => (false, true),
                "b" => (true, false),
                "br" | "rb" => (true, true),
                _ => {
                    self.i = start;
                    return Err(self.err(&format!("unknown string prefix `{w}`")));
                }
            };
            return self.string(bytes, raw);
        }
        match w {
            "True" => Ok(Json::Bool(true)),
            "False" => Ok(Json::Bool(false)),
            "None" => Ok(Json::Null),
            _ => {
                self.i = start;
                Err(self.err(&format!(
                    "`{w}` is not a literal (only strings, numbers, True, False, None, and tuples, lists, dicts, sets of them)"
                )))
            }
        }
    }

    fn string(&mut self, bytes: bool, raw: bool) -> Result<Json, String> {
        let q = self.s[self.i];
        let long = self.s.get(self.i..self.i + 3) == Some(&[q, q, q]);
        let start = self.i;
        self.i += if long { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.i = start;
                return Err(self.err("unterminated string"));
            };
            if c == q && (!long || self.s.get(self.i..self.i + 3) == Some(&[q, q, q])) {
                self.i += if long { 3 } else { 1 };
                break;
            }
            if c == b'\n' && !long {
                return Err(self.err("newline in a string (use \\n or a '''long''' string)"));
            }
            if c == b'\\' {
                self.escape(&mut out, bytes, raw)?;
                continue;
            }
            let ch = self.src[self.i..].chars().next().unwrap_or('\u{fffd}');
            if bytes && !ch.is_ascii() {
                return Err(self.err("bytes can only contain ASCII characters"));
            }
            out.push(ch);
            self.i += ch.len_utf8();
        }
        Ok(Json::String(out))
    }

    fn escape(&mut self, out: &mut String, bytes: bool, raw: bool) -> Result<(), String> {
        let Some(&n) = self.s.get(self.i + 1) else {
            self.i += 1;
            return Err(self.err("unterminated string"));
        };
        if raw {
            // A raw string keeps the backslash; `\'` still does not end it.
            out.push('\\');
            let ch = self.src[self.i + 1..].chars().next().unwrap_or('\\');
            out.push(ch);
            self.i += 1 + ch.len_utf8();
            return Ok(());
        }
        self.i += 2;
        let simple = match n {
            b'\n' => Some(None),
            b'\\' => Some(Some('\\')),
            b'\'' => Some(Some('\'')),
            b'"' => Some(Some('"')),
            b'a' => Some(Some('\x07')),
            b'b' => Some(Some('\x08')),
            b'f' => Some(Some('\x0c')),
            b'n' => Some(Some('\n')),
            b'r' => Some(Some('\r')),
            b't' => Some(Some('\t')),
            b'v' => Some(Some('\x0b')),
            _ => None,
        };
        if let Some(c) = simple {
            out.extend(c);
            return Ok(());
        }
        let code = match n {
            b'0'..=b'7' => {
                let mut v = u32::from(n - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.i += 1;
                        }
                        _ => break,
                    }
                }
                v
            }
            b'x' => self.hex(2)?,
            b'u' if !bytes => self.hex(4)?,
            b'U' if !bytes => self.hex(8)?,
            b'N' if !bytes => return Err(self.err("named escapes (\\N{…}) are not accepted")),
            _ => {
                // An unknown escape keeps its backslash, as Python does.
                out.push('\\');
                self.i -= 1;
                return Ok(());
            }
        };
        let c = char::from_u32(code).ok_or_else(|| self.err("escape is not a character"))?;
        out.push(c);
        Ok(())
    }

    fn hex(&mut self, n: usize) -> Result<u32, String> {
        let digits = self
            .src
            .get(self.i..self.i + n)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.err(&format!("escape needs {n} hex digits")))?;
        self.i += n;
        u32::from_str_radix(digits, 16).map_err(|e| self.err(&e.to_string()))
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.i;
        let mut negative = false;
        while let Some(c @ (b'+' | b'-')) = self.peek() {
            negative ^= c == b'-';
            self.i += 1;
            self.ws();
        }
        let digits_at = self.i;
        while let Some(c) = self.peek() {
            // An exponent's sign (`1e-3`) belongs to the number; a hex digit `e` has none.
            let exponent_sign = matches!(c, b'+' | b'-')
                && matches!(self.s.get(self.i - 1), Some(b'e' | b'E'))
                && !self.src[digits_at..self.i].starts_with("0x");
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exponent_sign {
                self.i += 1;
            } else {
                break;
            }
        }
        let text = self.src[digits_at..self.i].replace('_', "");
        let lower = text.to_ascii_lowercase();
        self.ws();
        if lower.ends_with('j') || matches!(self.peek(), Some(b'+' | b'-')) {
            return Err(self.err("complex numbers are not accepted"));
        }
        let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
            .iter()
            .find(|(p, _)| lower.starts_with(p));
        let parsed = if let Some((p, r)) = radix {
            i128::from_str_radix(&lower[p.len()..], *r)
                .ok()
                .map(|v| int(if negative { -v } else { v }))
        } else if lower.bytes().all(|b| b.is_ascii_digit()) && !lower.is_empty() {
            lower
                .parse::<i128>()
                .ok()
                .map(|v| int(if negative { -v } else { v }))
        } else {
            lower
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| {
                    let f = if negative { -f } else { f };
                    Number::from_f64(f).map_or_else(|| Json::String(f.to_string()), Json::Number)
                })
        };
        parsed.ok_or_else(|| {
            self.i = start;
            self.err(&format!("`{text}` is not a number"))
        })
    }
}

/// An integer as a JSON number when it fits in i64, else as its decimal text.
fn int(v: i128) -> Json {
    i64::try_from(v).map_or_else(|_| Json::String(v.to_string()), Json::from)
}

fn dict_key(v: &Json) -> Result<String, String> {
    match v {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        other => Err(format!("dict key `{other}` is not a string or number")),
    }
}

#[cfg(test)]
#[path = "pyliteral_tests.rs"]
mod tests;
