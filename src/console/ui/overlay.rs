//! Questions and pop-ups drawn over the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::super::state::overlay::{Confirm, Popup};
use super::super::theme::Theme;
use super::widgets::{centered, pane};

/// A yes/no question: what will happen, then `y yes  n no`.
pub fn confirm(frame: &mut Frame<'_>, area: Rect, c: &Confirm, theme: &Theme) {
    let mut lines: Vec<Line<'_>> = c.lines.iter().map(|l| Line::raw(l.as_str())).collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("y", theme.key()),
        Span::raw(" yes    "),
        Span::styled("n", theme.key()),
        Span::raw(" no"),
    ]));
    let width = area.width.saturating_sub(10).min(84);
    // Every line as wrapped (the answers last), the borders, and a spare row.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| wrapped_rows(&l.to_string(), inner))
        .sum();
    let height = u16::try_from(rows + 3).unwrap_or(u16::MAX).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = pane(format!(" {} ", c.title), true, theme);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

/// The rows `text` takes wrapped at word boundaries to `width` columns (at least one).
fn wrapped_rows(text: &str, width: usize) -> usize {
    let (mut rows, mut used) = (1, 0);
    for word in text.split(' ') {
        let w = unicode_width::UnicodeWidthStr::width(word);
        let need = if used == 0 { w } else { used + 1 + w };
        if need <= width {
            used = need;
        } else if w <= width {
            rows += 1;
            used = w;
        } else {
            // A word longer than the line is broken across rows.
            rows += usize::from(used > 0) + (w - 1) / width;
            used = (w - 1) % width + 1;
        }
    }
    rows
}

/// A pop-up showing lines, scrolled.
pub fn popup(frame: &mut Frame<'_>, area: Rect, p: &Popup, theme: &Theme) {
    let rect = centered(
        area,
        area.width.saturating_sub(6),
        area.height.saturating_sub(4),
    );
    frame.render_widget(Clear, rect);
    let block = pane(format!(" {} ", p.title), true, theme);
    let lines: Vec<Line<'_>> = p
        .lines
        .iter()
        .skip(p.scroll)
        .map(|l| Line::raw(l.as_str()))
        .collect();
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::wrapped_rows;

    #[test]
    fn rows_count_wrapped_words() {
        assert_eq!(wrapped_rows("", 10), 1);
        assert_eq!(wrapped_rows("one two", 10), 1);
        assert_eq!(wrapped_rows("one two three", 10), 2);
        assert_eq!(wrapped_rows("abcdefghijklmnopqrstuvwxy", 10), 3);
        assert_eq!(wrapped_rows("ab abcdefghijklmnopqrstuvwxy", 10), 4);
    }
}
