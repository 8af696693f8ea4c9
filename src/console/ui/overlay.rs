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
    let height = u16::try_from(lines.len() + 4)
        .unwrap_or(u16::MAX)
        .min(area.height);
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
