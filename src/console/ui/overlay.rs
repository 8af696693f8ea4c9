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
    // As tall as the lines once wrapped (inside the borders), so that the last of them (and the
    // keys) are not cut off.
    let inner = usize::from(width.saturating_sub(2));
    let rows: usize = c
        .lines
        .iter()
        .map(|l| wrapped_rows(l, inner))
        .sum::<usize>()
        + 2;
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX).min(area.height);
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

/// Rows `text` takes wrapped at word boundaries into `width` columns (at least one).
fn wrapped_rows(text: &str, width: usize) -> usize {
    use unicode_width::UnicodeWidthStr;
    if width == 0 {
        return 1;
    }
    let (mut rows, mut used) = (1, 0);
    for word in text.split(' ') {
        let w = word.width();
        let need = if used == 0 { w } else { used + 1 + w };
        if need <= width {
            used = need;
        } else if w <= width {
            rows += 1;
            used = w;
        } else {
            // A word longer than a row is broken across rows.
            let end = if used == 0 { w } else { used + 1 + w };
            rows += end.div_ceil(width).saturating_sub(1);
            used = end % width;
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
    fn rows_count_word_wrapping() {
        assert_eq!(wrapped_rows("", 10), 1);
        assert_eq!(wrapped_rows("one two", 10), 1);
        assert_eq!(wrapped_rows("one two three", 10), 2);
        assert_eq!(wrapped_rows("one two three four", 9), 3);
        // A word longer than a row is broken.
        assert_eq!(wrapped_rows("abcdefghijklmnopqrstuvwxy", 10), 3);
        assert_eq!(wrapped_rows("宽字符宽字符", 6), 2);
    }
}
