//! Reading a `.jsonl` file line by line with the byte offset and number of every line, never
//! buffering more than a cap: a line longer than the cap is measured and skipped, not stored.
//! A UTF-8 byte-order mark at the start and `\r\n` endings are accepted.

use std::io::{self, BufRead, Read};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One line, without its terminator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Byte offset in the file of the line's first byte (after a byte-order mark).
    pub offset: u64,
    /// 1-based line number.
    pub number: u32,
    /// Length without the terminator.
    pub len: u64,
    /// True when the line was longer than the cap: the buffer holds only its first bytes.
    pub too_long: bool,
}

/// A line reader over any buffered reader.
pub struct LineReader<R> {
    reader: R,
    offset: u64,
    number: u32,
    cap: usize,
}

impl<R: BufRead> LineReader<R> {
    /// Reads lines of at most `cap` bytes (longer ones are reported as `too_long`).
    pub fn new(reader: R, cap: usize) -> Self {
        LineReader {
            reader,
            offset: 0,
            number: 0,
            cap,
        }
    }

    /// The next line into `buf` (cleared first), or `None` at the end of the file.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        let limit = self.cap as u64 + 1;
        let read = (&mut self.reader).take(limit).read_until(b'\n', buf)? as u64;
        if read == 0 {
            return Ok(None);
        }
        let mut total = read;
        let mut ended = buf.last() == Some(&b'\n');
        let too_long = !ended && read == limit;
        if too_long {
            // Measure the rest of the line without keeping it.
            let (skipped, found) = self.skip_line()?;
            total += skipped;
            ended = found;
            buf.truncate(self.cap);
        }
        self.number = self.number.saturating_add(1);
        let mut start = self.offset;
        self.offset += total;
        let mut len = total - u64::from(ended);
        if !too_long {
            buf.truncate(len as usize);
            if buf.last() == Some(&b'\r') {
                buf.pop();
                len -= 1;
            }
        }
        if self.number == 1 && buf.starts_with(BOM) {
            buf.drain(..BOM.len());
            start += BOM.len() as u64;
            len -= BOM.len() as u64;
        }
        Ok(Some(Line {
            offset: start,
            number: self.number,
            len,
            too_long,
        }))
    }

    /// The bytes read so far (the offset of the next line).
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Skips to just after the next newline: `(bytes skipped, newline found)`.
    fn skip_line(&mut self) -> io::Result<(u64, bool)> {
        let mut skipped = 0;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok((skipped, false));
            }
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.reader.consume(i + 1);
                    return Ok((skipped + i as u64 + 1, true));
                }
                None => {
                    let n = buf.len();
                    self.reader.consume(n);
                    skipped += n as u64;
                }
            }
        }
    }
}

/// True when the line holds only JSON whitespace (blank lines are allowed and skipped).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_lines(input: &[u8], cap: usize) -> Vec<(Line, Vec<u8>)> {
        let mut r = LineReader::new(input, cap);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = r.next_line(&mut buf).unwrap() {
            out.push((line, buf.clone()));
        }
        out
    }

    #[test]
    fn offsets_numbers_and_lengths() {
        let lines = all_lines(b"ab\ncde\n\nf", 100);
        let got: Vec<_> = lines
            .iter()
            .map(|(l, b)| (l.offset, l.number, l.len, b.as_slice()))
            .collect();
        assert_eq!(
            got,
            [
                (0, 1, 2, &b"ab"[..]),
                (3, 2, 3, b"cde"),
                (7, 3, 0, b""),
                (8, 4, 1, b"f")
            ]
        );
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let lines = all_lines(b"\xEF\xBB\xBF{}\r\n{\"a\":1}\r\n", 100);
        assert_eq!(lines[0].1, b"{}");
        assert_eq!((lines[0].0.offset, lines[0].0.len), (3, 2));
        assert_eq!(lines[1].1, b"{\"a\":1}");
        assert_eq!((lines[1].0.offset, lines[1].0.len), (7, 7));
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn long_lines_are_measured_not_buffered() {
        let mut input = vec![b'x'; 10_000];
        input.extend_from_slice(b"\nok\n");
        input.extend(vec![b'y'; 50]);
        let lines = all_lines(&input, 8);
        assert_eq!(lines.len(), 3);
        let (long, buf) = &lines[0];
        assert!(long.too_long);
        assert_eq!(long.len, 10_000);
        assert_eq!(buf.len(), 8);
        assert_eq!(lines[1].1, b"ok");
        assert_eq!(lines[1].0.offset, 10_001);
        assert_eq!(lines[1].0.number, 2);
        // A long last line without a newline.
        assert!(lines[2].0.too_long);
        assert_eq!(lines[2].0.len, 50);
        // Exactly the cap is not too long.
        let exact = all_lines(b"12345678\n", 8);
        assert!(!exact[0].0.too_long);
        assert_eq!(exact[0].1, b"12345678");
    }

    #[test]
    fn blank_lines() {
        assert!(is_blank(b""));
        assert!(is_blank(b" \t\r"));
        assert!(!is_blank(b" {}"));
    }
}
