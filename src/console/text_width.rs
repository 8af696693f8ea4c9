//! How wide text is on a terminal, and cutting, padding and wrapping it to a width: by grapheme
//! cluster (what a person sees as one character: `❤️`, `👍🏽`, `👨‍👩‍👧`, `é` written as `e` and a
//! combining accent), measured exactly as ratatui measures what it draws, so a cut never splits
//! a character and a column never ends off by one. Every cut says so with `…`.

use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// The mark of text that was cut.
pub const ELLIPSIS: &str = "…";

/// The columns one grapheme cluster takes, as ratatui draws it: clusters holding a control
/// character are not drawn (0), a single byte takes 1, others their Unicode width (emoji
/// sequences 2), plus 1 for each halfwidth sound mark (ﾞ ﾟ) terminals draw apart.
pub fn grapheme_width(g: &str) -> usize {
    if g.contains(char::is_control) {
        return 0;
    }
    if g.len() == 1 {
        return 1;
    }
    g.width()
        + g.chars()
            .filter(|c| matches!(c, '\u{FF9E}' | '\u{FF9F}'))
            .count()
}

/// The display width of `text`, in columns.
pub fn width_of(text: &str) -> usize {
    text.graphemes(true).map(grapheme_width).sum()
}

/// The longest start of `text` that fits in `width` columns, and its width.
fn head(text: &str, width: usize) -> (&str, usize) {
    let mut used = 0;
    for (at, g) in text.grapheme_indices(true) {
        let w = grapheme_width(g);
        if used + w > width {
            return (&text[..at], used);
        }
        used += w;
    }
    (text, used)
}

/// `text` cut to `width` display columns, ending in `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let (kept, _) = head(text, width - 1);
    format!("{kept}{ELLIPSIS}")
}

/// `text` cut to `width` columns from the start, keeping its end (for paths, whose end says
/// most): `…ing/eng-core.jsonl`.
pub fn fit_end(text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut used = 0;
    let mut start = text.len();
    for (at, g) in text.grapheme_indices(true).rev() {
        let w = grapheme_width(g);
        if used + w > width - 1 {
            break;
        }
        used += w;
        start = at;
    }
    format!("{ELLIPSIS}{}", &text[start..])
}

/// `text` padded with spaces (or cut, with `…`) to exactly `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let cut = fit(text, width);
    let w = width_of(&cut);
    format!("{cut}{}", " ".repeat(width.saturating_sub(w)))
}

/// `text` broken into lines of at most `width` columns: at spaces when it can, inside a word
/// (between grapheme clusters) when a word is longer than a line. Line breaks in `text` are
/// kept; an empty text is one empty line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for word in paragraph.split_word_bounds() {
            let w = width_of(word);
            if used + w <= width {
                line.push_str(word);
                used += w;
                continue;
            }
            if word.trim().is_empty() {
                // A space at the end of a line is where it breaks.
                out.push(std::mem::take(&mut line));
                used = 0;
                continue;
            }
            if used > 0 && w <= width {
                out.push(std::mem::take(&mut line).trim_end().to_owned());
                line.push_str(word);
                used = w;
                continue;
            }
            for g in word.graphemes(true) {
                let gw = grapheme_width(g);
                if used + gw > width && used > 0 {
                    out.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push_str(g);
                used += gw;
            }
        }
        out.push(line);
    }
    out
}

/// The display column where grapheme cluster number `index` of `text` starts (the end of the
/// text for an index past it): where a cursor before it goes.
pub fn column_of(text: &str, index: usize) -> usize {
    text.graphemes(true).take(index).map(grapheme_width).sum()
}

/// A line cut to `width` columns, styles kept, ending in `…` (in the style of the span it cut)
/// when cut; its alignment kept.
pub fn fit_line(line: Line<'static>, width: usize) -> Line<'static> {
    let total: usize = line.spans.iter().map(|s| width_of(&s.content)).sum();
    if total <= width {
        return line;
    }
    let Line {
        spans,
        style,
        alignment,
    } = line;
    let mut out = Vec::new();
    let mut room = width.saturating_sub(1);
    let mut last_style = style;
    for span in spans {
        let w = width_of(&span.content);
        last_style = span.style;
        if w <= room {
            room -= w;
            out.push(span);
            continue;
        }
        let (kept, _) = head(&span.content, room);
        if !kept.is_empty() {
            out.push(Span::styled(kept.to_owned(), span.style));
        }
        break;
    }
    if width > 0 {
        out.push(Span::styled(ELLIPSIS, last_style));
    }
    Line {
        spans: out,
        style,
        alignment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEART: &str = "❤️"; // U+2764 U+FE0F: one cluster, 2 columns
    const THUMB: &str = "👍🏽"; // with a skin-tone modifier: one cluster, 2 columns
    const FAMILY: &str = "👨‍👩‍👧"; // a ZWJ sequence: one cluster, 2 columns

    #[test]
    fn emoji_sequences_and_cjk_are_measured_as_drawn() {
        assert_eq!(width_of(HEART), 2);
        assert_eq!(width_of(THUMB), 2);
        assert_eq!(width_of(FAMILY), 2);
        assert_eq!(width_of("管理员"), 6);
        assert_eq!(width_of("e\u{301}"), 1, "a combining accent adds nothing");
        assert_eq!(width_of("a\tb"), 2, "control characters are not drawn");
    }

    #[test]
    fn the_measure_is_ratatuis() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        for text in [HEART, THUMB, FAMILY, "管理员", "e\u{301}x", "ｶﾞ", "ab👨‍👩‍👧cd"]
        {
            let mut buffer = Buffer::empty(Rect::new(0, 0, 20, 1));
            let (x, _) = buffer.set_stringn(0, 0, text, 20, ratatui::style::Style::new());
            assert_eq!(usize::from(x), width_of(text), "{text:?}");
        }
    }

    #[test]
    fn fit_never_splits_a_cluster_and_marks_the_cut() {
        assert_eq!(fit("hello", 10), "hello");
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(fit("群聊天室", 5), "群聊…");
        assert_eq!(fit("群聊天室", 4), "群…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("abc", 1), "…");
        let family = format!("{FAMILY}{FAMILY}{FAMILY}");
        assert_eq!(fit(&family, 5), format!("{FAMILY}{FAMILY}…"));
        assert_eq!(fit(&family, 4), format!("{FAMILY}…"));
        let hearts = format!("{HEART}{THUMB}{HEART}");
        assert_eq!(fit(&hearts, 4), format!("{HEART}…"));
        assert_eq!(fit(&hearts, 6), hearts, "exactly its width is not cut");
        for w in 0..8 {
            assert!(width_of(&fit(&family, w)) <= w, "{w}");
        }
    }

    #[test]
    fn pad_gives_exactly_the_width() {
        assert_eq!(pad("ab", 4), "ab  ");
        for text in [HEART, THUMB, FAMILY, "群聊天室", "管理员x"] {
            for w in 0..9 {
                let padded = pad(text, w);
                // A wide cluster that does not fit leaves a space rather than half of it.
                assert_eq!(width_of(&padded), w, "{text:?} {w}: {padded:?}");
            }
        }
    }

    #[test]
    fn fit_end_keeps_the_end() {
        assert_eq!(fit_end("/srv/staging/eng-core.jsonl", 12), "…-core.jsonl");
        assert_eq!(fit_end("short", 12), "short");
        assert_eq!(fit_end("管理员管理员", 5), "…理员");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), ["a", "b"]);
        assert_eq!(wrap("", 5), [""]);
        let family = format!("{FAMILY}{FAMILY}{FAMILY}");
        assert_eq!(
            wrap(&family, 5),
            [format!("{FAMILY}{FAMILY}"), FAMILY.to_owned()]
        );
        for line in wrap("管理员 管理员管理员 ❤️👍🏽 text", 5) {
            assert!(width_of(&line) <= 5, "{line:?}");
        }
    }

    #[test]
    fn cursor_columns_count_display_columns() {
        assert_eq!(column_of("管理员", 3), 6);
        assert_eq!(column_of("管理员", 1), 2);
        assert_eq!(column_of(&format!("a{FAMILY}b"), 2), 3);
        assert_eq!(column_of("ab", 10), 2);
    }

    #[test]
    fn fit_line_keeps_styles_and_marks_the_cut() {
        use ratatui::style::{Color, Style};
        let line = Line::from(vec![
            Span::raw("管理"),
            Span::styled("员abc", Style::new().fg(Color::Red)),
        ])
        .right_aligned();
        let cut = fit_line(line.clone(), 5);
        let text: String = cut.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "管理…");
        assert_eq!(cut.alignment, line.alignment);
        assert_eq!(
            cut.spans.last().map(|s| s.style),
            Some(Style::new().fg(Color::Red))
        );
        assert_eq!(fit_line(line.clone(), 9), line);
    }
}
