//! A byte-level cursor over streamed JSON that finds where each value starts and ends without
//! building it: it tracks strings, escapes and bracket nesting (on the heap, so deep nesting
//! cannot overflow the stack), counts lines, and copies the bytes it passes into a capped
//! [`Capture`]. Values are parsed later, one element at a time, by serde_json.

use std::io::{self, BufRead};

/// Bytes copied while scanning, up to a cap; beyond it only the length is counted.
#[derive(Debug)]
pub struct Capture {
    buf: Vec<u8>,
    cap: usize,
    len: u64,
}

impl Capture {
    /// Keeps at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        Capture {
            buf: Vec::new(),
            cap,
            len: 0,
        }
    }

    /// Keeps nothing (only counts).
    pub fn none() -> Self {
        Capture::new(0)
    }

    /// Appends bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        let room = self.cap.saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.len += bytes.len() as u64;
    }

    /// Appends what another capture saw.
    pub fn absorb(&mut self, other: &Capture) {
        self.push(&other.buf);
        self.len += other.len - other.buf.len() as u64;
    }

    /// Stops keeping bytes and frees them (the length is still counted).
    pub fn stop(&mut self) {
        self.cap = 0;
        self.buf = Vec::new();
    }

    /// Bytes seen.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing was seen.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes, when all of them were kept.
    pub fn bytes(&self) -> Option<&[u8]> {
        (self.len == self.buf.len() as u64).then_some(&self.buf[..])
    }
}

/// JSON whose structure is broken: the rest of the file cannot be read reliably.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where it was noticed.
    pub offset: u64,
    /// 1-based line where it was noticed.
    pub line: u32,
    /// What was expected.
    pub message: String,
}

/// Why scanning stopped.
#[derive(Debug)]
pub enum ScanStop {
    /// The file could not be read.
    Io(io::Error),
    /// Broken JSON structure.
    Syntax(SyntaxError),
}

impl From<io::Error> for ScanStop {
    fn from(e: io::Error) -> Self {
        ScanStop::Io(e)
    }
}

/// Said of a syntax error where a comment starts.
pub const COMMENT_NOTE: &str = ": a comment (// or /* */) is not JSON; remove it (the import page's examples have comments, staged files must not)";

/// The cursor.
pub struct JsonCursor<R> {
    reader: R,
    offset: u64,
    line: u32,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_scalar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')
}

fn count_newlines(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u32
}

impl<R: BufRead> JsonCursor<R> {
    /// A cursor at the start of `reader`.
    pub fn new(reader: R) -> Self {
        JsonCursor {
            reader,
            offset: 0,
            line: 1,
        }
    }

    /// Byte offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// 1-based line of the next byte.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// An error at the current position; a comment there is named as such (the import page's
    /// own examples carry `//` comments, which JSON does not allow).
    pub fn syntax(&mut self, message: impl Into<String>) -> ScanStop {
        let mut message = message.into();
        if self
            .reader
            .fill_buf()
            .is_ok_and(|b| b.starts_with(b"//") || b.starts_with(b"/*"))
        {
            message.push_str(COMMENT_NOTE);
        }
        ScanStop::Syntax(SyntaxError {
            offset: self.offset,
            line: self.line,
            message,
        })
    }

    /// Skips a UTF-8 byte-order mark at the current position.
    pub fn skip_bom(&mut self) -> io::Result<()> {
        let buf = self.reader.fill_buf()?;
        if buf.starts_with(b"\xEF\xBB\xBF") {
            self.reader.consume(3);
            self.offset += 3;
        }
        Ok(())
    }

    /// The next byte, not consumed.
    pub fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.reader.fill_buf()?.first().copied())
    }

    fn advance(&mut self, n: usize, cap: &mut Capture) -> io::Result<()> {
        let buf = self.reader.fill_buf()?;
        let n = n.min(buf.len());
        cap.push(&buf[..n]);
        self.line += count_newlines(&buf[..n]);
        self.offset += n as u64;
        self.reader.consume(n);
        Ok(())
    }

    /// Consumes one byte.
    pub fn bump(&mut self, cap: &mut Capture) -> io::Result<()> {
        self.advance(1, cap)
    }

    /// Skips whitespace.
    pub fn skip_ws(&mut self, cap: &mut Capture) -> io::Result<()> {
        loop {
            let buf = self.reader.fill_buf()?;
            let n = buf.iter().take_while(|&&b| is_ws(b)).count();
            let whole = n == buf.len();
            if n > 0 {
                self.advance(n, cap)?;
            }
            if !whole || n == 0 {
                return Ok(());
            }
        }
    }

    /// Consumes `byte` or fails with what was expected.
    pub fn expect(&mut self, byte: u8, cap: &mut Capture) -> Result<(), ScanStop> {
        match self.peek()? {
            Some(b) if b == byte => Ok(self.bump(cap)?),
            Some(b) => Err(self.syntax(format!(
                "expected '{}' but found '{}'",
                byte as char,
                (b as char).escape_default()
            ))),
            None => Err(self.syntax(format!("expected '{}' but the file ended", byte as char))),
        }
    }

    /// Reads an object key (a JSON string) and returns it decoded.
    pub fn key(&mut self, cap: &mut Capture) -> Result<String, ScanStop> {
        if self.peek()? != Some(b'"') {
            return Err(self.syntax("expected a string (an object key)"));
        }
        let mut own = Capture::new(4096);
        self.value(&mut own)?;
        cap.absorb(&own);
        let key = own
            .bytes()
            .and_then(|b| serde_json::from_slice::<String>(b).ok());
        key.ok_or_else(|| self.syntax("an object key is not a valid JSON string"))
    }

    /// Consumes one complete JSON value (string, number, literal, object or array), copying its
    /// bytes into `cap`. Only the structure is checked here; the content is serde_json's job.
    pub fn value(&mut self, cap: &mut Capture) -> Result<(), ScanStop> {
        let (start_line, first) = (self.line, self.peek()?);
        let mut closers: Vec<u8> = Vec::new();
        let mut in_string = false;
        let mut escaped = false;
        match first {
            None => return Err(self.syntax("expected a value but the file ended")),
            Some(b'"') => in_string = true,
            Some(b'{') => closers.push(b'}'),
            Some(b'[') => closers.push(b']'),
            Some(b) if is_scalar(b) => return self.scalar(cap),
            Some(b) => {
                return Err(self.syntax(format!(
                    "expected a value but found '{}'",
                    (b as char).escape_default()
                )));
            }
        }
        self.bump(cap)?;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Err(self.syntax(format!(
                    "the file ends inside the value that starts at line {start_line}"
                )));
            }
            let mut done = None;
            let mut mismatch = None;
            for (i, &b) in buf.iter().enumerate() {
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        if closers.is_empty() {
                            done = Some(i + 1);
                            break;
                        }
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' => closers.push(b'}'),
                    b'[' => closers.push(b']'),
                    b'}' | b']' => {
                        if closers.pop() != Some(b) {
                            mismatch = Some((i, b));
                            break;
                        }
                        if closers.is_empty() {
                            done = Some(i + 1);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if let Some((i, b)) = mismatch {
                self.advance(i, cap)?;
                return Err(self.syntax(format!(
                    "unexpected '{}' in the value that starts at line {start_line}",
                    b as char
                )));
            }
            let n = done.unwrap_or(buf.len());
            self.advance(n, cap)?;
            if done.is_some() {
                return Ok(());
            }
        }
    }

    fn scalar(&mut self, cap: &mut Capture) -> Result<(), ScanStop> {
        loop {
            let buf = self.reader.fill_buf()?;
            let n = buf.iter().take_while(|&&b| is_scalar(b)).count();
            let whole = n == buf.len() && n > 0;
            self.advance(n, cap)?;
            if !whole {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(s: &str) -> JsonCursor<io::BufReader<&[u8]>> {
        // A tiny buffer so values cross buffer boundaries.
        JsonCursor::new(io::BufReader::with_capacity(3, s.as_bytes()))
    }

    fn values(s: &str) -> Vec<String> {
        let mut c = cursor(s);
        let mut out = Vec::new();
        loop {
            c.skip_ws(&mut Capture::none()).unwrap();
            if c.peek().unwrap().is_none() {
                return out;
            }
            let mut cap = Capture::new(1000);
            c.value(&mut cap).unwrap();
            out.push(String::from_utf8(cap.bytes().unwrap().to_vec()).unwrap());
        }
    }

    #[test]
    fn finds_each_value_span() {
        assert_eq!(
            values(r#" {"a":"}]\"x","b":[1,{"c":[]}]}  "s\"\\" 12.5e3 true [ ] "#),
            [
                r#"{"a":"}]\"x","b":[1,{"c":[]}]}"#,
                r#""s\"\\""#,
                "12.5e3",
                "true",
                "[ ]"
            ]
        );
    }

    #[test]
    fn tracks_offsets_and_lines() {
        let mut c = cursor("\n\n  {\"a\":\n1}\nx");
        c.skip_ws(&mut Capture::none()).unwrap();
        assert_eq!((c.offset(), c.line()), (4, 3));
        c.value(&mut Capture::none()).unwrap();
        assert_eq!((c.offset(), c.line()), (12, 4));
    }

    #[test]
    fn broken_structure_is_a_syntax_error_with_position() {
        for (text, line, words) in [
            ("{\"a\":[1}", 1, "unexpected '}'"),
            ("\n[\"abc", 2, "ends inside the value that starts at line 2"),
            ("  ,", 1, "expected a value"),
        ] {
            let mut c = cursor(text);
            c.skip_ws(&mut Capture::none()).unwrap();
            match c.value(&mut Capture::none()) {
                Err(ScanStop::Syntax(e)) => {
                    assert!(e.message.contains(words), "{text}: {}", e.message);
                    assert!(e.line >= line, "{text}: {}", e.line);
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        let mut c = JsonCursor::new(deep.as_bytes());
        c.value(&mut Capture::none()).unwrap();
        assert_eq!(c.offset(), 400_000);
    }

    #[test]
    fn capture_keeps_up_to_its_cap_and_counts_the_rest() {
        let mut cap = Capture::new(4);
        cap.push(b"abcdef");
        assert_eq!(cap.len(), 6);
        assert_eq!(cap.bytes(), None);
        let mut small = Capture::new(10);
        small.push(b"xy");
        let mut outer = Capture::new(10);
        outer.absorb(&small);
        outer.absorb(&cap);
        assert_eq!(outer.len(), 8);
        assert_eq!(outer.bytes(), None);
        let mut stopped = Capture::new(10);
        stopped.push(b"ab");
        stopped.stop();
        stopped.push(b"cd");
        assert_eq!((stopped.len(), stopped.bytes()), (4, None));
    }

    #[test]
    fn keys_are_decoded() {
        let mut c = cursor(r#""Group\u0049d""#);
        let mut cap = Capture::new(100);
        assert_eq!(c.key(&mut cap).unwrap(), "GroupId");
        assert_eq!(cap.len(), 14);
    }
}
