//! Names and paths from outside, made safe to print on a terminal. A staged file may be called
//! `x<ESC>]52;c;...<BEL>.jsonl`: printed raw, that sets the clipboard of whoever reads the
//! output. Every printer of text for people (validate, plan, run, report and their errors) shows
//! names through these functions.
//!
//! Control characters are shown the way `{:?}` shows them (`\u{1b}`, `\n`), as group ids already
//! are in problem messages; bytes that are not UTF-8 as `\xff`. Text without either is unchanged.
//! JSON output needs none of this: JSON escapes control characters itself. An HTML page
//! ([`html`]) also needs its markup characters as entities.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;

/// `text` with each control character escaped (`\u{1b}`); unchanged when it has none.
pub fn controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    push_escaped(&mut out, text);
    Cow::Owned(out)
}

/// Lines of text for people: as [`controls`], but line breaks stay line breaks.
pub fn text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        push_escaped(&mut out, body);
        out.push_str(newline);
    }
    Cow::Owned(out)
}

/// A path for people: control characters escaped, bytes that are not UTF-8 as `\xNN`.
pub fn path(path: &Path) -> String {
    os_str(path.as_os_str())
}

/// A file name (or any OS string) for people, as [`path`] shows it.
pub fn os_str(text: &OsStr) -> String {
    match text.to_str() {
        Some(text) => controls(text).into_owned(),
        None => bytes(&os_bytes(text)),
    }
}

/// Bytes that should be UTF-8 text, for people: the UTF-8 parts as [`controls`] shows them,
/// every other byte as `\xNN`.
pub fn bytes(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for chunk in raw.utf8_chunks() {
        push_escaped(&mut out, chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Text for an HTML page (an element's content or a quoted attribute): `&`, `<`, `>`, `"` and
/// `'` as entities, control characters as [`controls`] shows them. Staged names, reasons and
/// bodies may hold `<script>`: on a page they are only ever text.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in controls(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
}

#[cfg(unix)]
fn os_bytes(text: &OsStr) -> Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    Cow::Borrowed(text.as_bytes())
}

#[cfg(not(unix))]
fn os_bytes(text: &OsStr) -> Cow<'_, [u8]> {
    Cow::Owned(text.to_string_lossy().into_owned().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_never_becomes_markup() {
        assert_eq!(
            html("<script>alert('x')</script> & \"q\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\\u{1b}"
        );
        assert_eq!(html("日本 ok"), "日本 ok");
    }

    #[test]
    fn plain_text_is_unchanged_and_borrowed() {
        assert!(matches!(controls("@TGS#_g1 é.jsonl"), Cow::Borrowed(_)));
        assert_eq!(path(Path::new("dir/g 1.jsonl")), "dir/g 1.jsonl");
    }

    #[test]
    fn control_characters_are_escaped_as_debug_shows_them() {
        let name = "x\u{1b}]52;c;aGk=\u{7}\n\u{9b}.jsonl";
        let shown = controls(name);
        assert_eq!(shown, "x\\u{1b}]52;c;aGk=\\u{7}\\n\\u{9b}.jsonl");
        assert!(!shown.chars().any(char::is_control));
        // The same spelling `{:?}` gives a group id in a problem message.
        assert_eq!(
            format!("{:?}", "\u{1b}"),
            format!("\"{}\"", controls("\u{1b}"))
        );
    }

    #[test]
    fn text_keeps_its_lines() {
        assert_eq!(text("a\nb\u{1b}[2J\n"), "a\nb\\u{1b}[2J\n");
        assert!(matches!(text("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_named() {
        assert_eq!(bytes(b"g\xff.jsonl"), "g\\xff.jsonl");
        assert_eq!(bytes(b"g\xfe\x1b.jsonl"), "g\\xfe\\u{1b}.jsonl");
        assert_ne!(bytes(b"g\xff.jsonl"), bytes(b"g\xfe.jsonl"));
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let name = OsStr::from_bytes(b"d\xc3/g\xff.jsonl");
            assert_eq!(os_str(name), "d\\xc3/g\\xff.jsonl");
        }
    }
}
