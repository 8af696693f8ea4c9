//! Questions and pop-ups drawn over the screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
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

/// A pop-up showing lines, scrolled; with two messages side by side under them when it
/// compares.
pub fn popup(frame: &mut Frame<'_>, area: Rect, p: &Popup, theme: &Theme) {
    let rect = centered(
        area,
        area.width.saturating_sub(6),
        area.height.saturating_sub(4),
    );
    frame.render_widget(Clear, rect);
    let block = pane(format!(" {} ", p.title), true, theme);
    if let Some(c) = &p.compare {
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let head: Vec<Line<'_>> = p.lines.iter().map(|l| Line::raw(l.as_str())).collect();
        // Wrapped, each line takes as many rows as its width needs.
        let width = usize::from(inner.width.max(1));
        let rows: usize = p
            .lines
            .iter()
            .map(|l| {
                unicode_width::UnicodeWidthStr::width(l.as_str())
                    .div_ceil(width)
                    .max(1)
            })
            .sum();
        let head_height = u16::try_from(rows)
            .unwrap_or(u16::MAX)
            .min(inner.height / 3);
        let [top, panes] =
            Layout::vertical([Constraint::Length(head_height), Constraint::Min(3)]).areas(inner);
        frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), top);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(panes);
        side(
            frame,
            left,
            &c.left_title,
            &c.left,
            &c.differs,
            p.scroll,
            theme,
        );
        side(
            frame,
            right,
            &c.right_title,
            &c.right,
            &c.differs,
            p.scroll,
            theme,
        );
        return;
    }
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

/// One side of a comparison: pretty JSON lines, the top-level fields that differ marked.
fn side(
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    lines: &[String],
    differs: &[String],
    scroll: usize,
    theme: &Theme,
) {
    let block = pane(format!(" {title} "), false, theme);
    // A top-level field of a pretty-printed object starts two spaces in: `  "MsgBody": [`.
    let mut marked = false;
    let shown: Vec<Line<'_>> = if lines.is_empty() {
        vec![Line::styled("(nothing)", theme.muted())]
    } else {
        lines
            .iter()
            .map(|l| {
                if let Some(key) = l.strip_prefix("  \"").and_then(|r| r.split('"').next()) {
                    marked = differs.iter().any(|d| d == key);
                } else if l == "}" {
                    marked = false;
                }
                if marked {
                    Line::styled(l.as_str(), theme.warn())
                } else {
                    Line::raw(l.as_str())
                }
            })
            .skip(scroll)
            .collect()
    };
    frame.render_widget(Paragraph::new(shown).block(block), area);
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
