//! Small pieces every screen uses: a pane block that shows focus, text that fits a width, a
//! centred rectangle for overlays, an empty-state message, and the cell helpers tables share.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use unicode_width::UnicodeWidthChar;

use super::super::theme::{Symbol, Theme};

/// A pane's frame: bold and coloured when focused, with a title.
pub fn pane<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let block = Block::default().borders(Borders::ALL).title(title.into());
    if focused {
        block
            .border_type(BorderType::Thick)
            .border_style(theme.focus_border())
    } else {
        block.border_style(theme.border())
    }
}

/// `text` cut to `width` display columns, ending in `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    let mut used = 0;
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// The display width of `text`.
pub fn width_of(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// `text` padded with spaces (or cut) to exactly `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let cut = fit(text, width);
    let w = width_of(&cut);
    format!("{cut}{}", " ".repeat(width.saturating_sub(w)))
}

/// `text` right-aligned in `width` columns.
pub fn pad_left(text: &str, width: usize) -> String {
    let cut = fit(text, width);
    let w = width_of(&cut);
    format!("{}{cut}", " ".repeat(width.saturating_sub(w)))
}

/// A rectangle of `width`×`height` (clamped) in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// A pane saying there is nothing to show, and why.
pub fn empty(frame: &mut Frame<'_>, area: Rect, theme: &Theme, title: &str, why: &str) {
    let block = pane(format!(" {title} "), false, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(
        Paragraph::new(Line::styled(why.to_owned(), theme.muted())).wrap(Wrap { trim: true }),
        inner,
    );
}

/// A state's glyph and word, styled: `✓ ready`.
pub fn state_span(symbol: Symbol, word: &str, theme: &Theme) -> Span<'static> {
    Span::styled(format!("{} {word}", symbol.glyph()), theme.of(symbol))
}

/// `2021-05-12` for a unix time, or `–`.
pub fn date(secs: Option<i64>) -> String {
    match secs {
        Some(s) if s > 0 => crate::clock::format_unix(s).chars().take(10).collect(),
        _ => "–".into(),
    }
}

/// `2021-05-12 08:28` for a unix time, or `–`.
pub fn minute(secs: Option<i64>) -> String {
    match secs {
        Some(s) if s > 0 => crate::clock::format_unix(s).chars().take(16).collect(),
        _ => "–".into(),
    }
}

/// A number with thousands separators: `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_by_display_width() {
        assert_eq!(fit("hello", 10), "hello");
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(fit("群聊天室", 5), "群聊…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad_left("ab", 4), "  ab");
        assert_eq!(width_of(&pad("群聊天室", 5)), 5);
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn centered_stays_inside() {
        let area = Rect::new(0, 0, 10, 5);
        let c = centered(area, 20, 20);
        assert_eq!(c, area);
        let c = centered(Rect::new(2, 2, 20, 10), 4, 2);
        assert_eq!((c.width, c.height), (4, 2));
        assert!(c.x >= 2 && c.y >= 2);
    }
}
