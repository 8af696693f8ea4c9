//! Pretty JSON, coloured: keys, strings, numbers, literals and punctuation each in their role's
//! style. Works line by line on the pretty-printer's output (where a string never spans lines),
//! so only the lines on screen are ever coloured.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::super::theme::Theme;

/// One line of pretty JSON as styled spans.
pub fn line<'a>(text: &'a str, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut plain_from = 0;
    let flush = |spans: &mut Vec<Span<'a>>, from: usize, to: usize, style: Style| {
        if to > from {
            spans.push(Span::styled(&text[from..to], style));
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        let (end, style) = match b {
            b'"' => {
                let end = string_end(bytes, i);
                let is_key = bytes[end..]
                    .iter()
                    .find(|c| !c.is_ascii_whitespace())
                    .is_some_and(|c| *c == b':');
                (
                    end,
                    if is_key {
                        theme.json_key()
                    } else {
                        theme.json_string()
                    },
                )
            }
            b'-' | b'0'..=b'9' => {
                let end = bytes[i..]
                    .iter()
                    .position(|c| !matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .map_or(bytes.len(), |p| i + p);
                (end, theme.json_number())
            }
            b't' | b'f' | b'n' => {
                let end = bytes[i..]
                    .iter()
                    .position(|c| !c.is_ascii_alphabetic())
                    .map_or(bytes.len(), |p| i + p);
                (end, theme.json_literal())
            }
            b'{' | b'}' | b'[' | b']' | b':' | b',' => (i + 1, theme.json_punct()),
            _ => {
                i += 1;
                continue;
            }
        };
        flush(&mut spans, plain_from, i, Style::new());
        // `end` is always past `i` and on a char boundary: every arm stops at an ASCII byte.
        flush(&mut spans, i, end, style);
        i = end;
        plain_from = end;
    }
    flush(&mut spans, plain_from, bytes.len(), Style::new());
    Line::from(spans)
}

/// The index just past the string starting at `start` (a `"`), honouring escapes.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    fn styled(text: &str) -> Vec<(String, Option<Color>)> {
        line(text, &Theme::default())
            .spans
            .into_iter()
            .map(|s| (s.content.into_owned(), s.style.fg))
            .collect()
    }

    #[test]
    fn keys_strings_numbers_and_literals_get_their_roles() {
        let spans = styled(r#"  "Text": "a \"quoted\" 群", "n": -1.5e3, "ok": true,"#);
        let theme = Theme::default();
        assert!(spans.contains(&("\"Text\"".into(), theme.json_key().fg)));
        assert!(spans.contains(&("\"a \\\"quoted\\\" 群\"".into(), theme.json_string().fg)));
        assert!(spans.contains(&("-1.5e3".into(), theme.json_number().fg)));
        assert!(spans.contains(&("true".into(), theme.json_literal().fg)));
        let joined: String = spans.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            joined,
            r#"  "Text": "a \"quoted\" 群", "n": -1.5e3, "ok": true,"#
        );
    }

    #[test]
    fn broken_text_never_panics() {
        for text in ["\"unterminated", "\\", "{\"a\":", "", "  ", "ñ\"\\"] {
            let joined: String = styled(text).iter().map(|(t, _)| t.clone()).collect();
            assert_eq!(joined, text);
        }
    }
}
