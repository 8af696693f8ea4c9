//! Questions and pop-ups drawn over the screen. Their text is wrapped to the box (by grapheme
//! cluster) and scrolls when it is taller than the terminal; the border says when more is above
//! or below, so the end of a long question (the ledger it writes to) can always be reached.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::super::keymap::{Action, Keymap, Place};
use super::super::state::AppState;
use super::super::state::overlay::{Compare, Overlay};
use super::super::text_width::{fit, wrap};
use super::super::theme::Theme;
use super::widgets::{centered, pane, title_in};

/// `lines` wrapped to `width` columns, one row each.
fn rows(lines: &[String], width: usize) -> Vec<String> {
    lines.iter().flat_map(|l| wrap(l, width)).collect()
}

/// Keeps `scroll` in range for `total` rows shown `room` at a time; returns the rows to show.
fn window(scroll: &mut usize, total: usize, room: usize) -> std::ops::Range<usize> {
    *scroll = (*scroll).min(total.saturating_sub(room));
    *scroll..(*scroll + room).min(total)
}

/// Marks on the border for rows above and below what is shown.
fn more_marks<'a>(
    block: Block<'a>,
    shown: &std::ops::Range<usize>,
    total: usize,
    keys: &Keymap,
    place: Place,
    theme: &Theme,
) -> Block<'a> {
    let mut block = block;
    if shown.start > 0 {
        block = block.title_top(
            Line::styled(format!(" ↑ {} more ", shown.start), theme.warn()).right_aligned(),
        );
    }
    if shown.end < total {
        block = block.title_bottom(
            Line::styled(
                format!(
                    " ↓ {} more ({} scrolls) ",
                    total - shown.end,
                    keys.name(place, Action::Down)
                ),
                theme.warn(),
            )
            .right_aligned(),
        );
    }
    block
}

/// A yes/no question: what will happen (scrolled when taller than the terminal), then
/// `y yes  n no`, always in sight.
pub fn confirm(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let keys = state.keymap.clone();
    let Some(Overlay::Confirm(c)) = &mut state.overlay else {
        return;
    };
    let width = area.width.saturating_sub(10).min(84);
    let text_width = usize::from(width.saturating_sub(2));
    let all = rows(&c.lines, text_width);
    // Borders, a blank row and the keys' row around the text.
    let height = u16::try_from(all.len() + 4)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let rect = centered(area, width, height);
    let room = usize::from(height.saturating_sub(4));
    let shown = window(&mut c.scroll, all.len(), room);
    frame.render_widget(Clear, rect);
    let title = format!(" {} ", c.title);
    let block = pane(title_in(&title, rect), true, theme);
    let block = more_marks(block, &shown, all.len(), &keys, Place::Confirm, theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [body, _, answer] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let lines: Vec<Line<'_>> = all[shown].iter().map(|l| Line::raw(l.clone())).collect();
    frame.render_widget(Paragraph::new(lines), body);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(keys.name(Place::Confirm, Action::Yes), theme.key()),
            Span::raw(" yes    "),
            Span::styled(keys.name(Place::Confirm, Action::No), theme.key()),
            Span::raw(" no"),
        ])),
        answer,
    );
}

/// A pop-up showing lines (wrapped, scrolled); with two messages side by side under them when
/// it compares (then the two panes scroll, the lines above them stay).
pub fn popup(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let keys = state.keymap.clone();
    let Some(Overlay::Popup(p)) = &mut state.overlay else {
        return;
    };
    let rect = centered(
        area,
        area.width.saturating_sub(6),
        area.height.saturating_sub(4),
    );
    let head = rows(&p.lines, usize::from(rect.width.saturating_sub(2)));
    let room = usize::from(rect.height.saturating_sub(2));
    frame.render_widget(Clear, rect);
    let title = format!(" {} ", p.title);
    let block = pane(title_in(&title, rect), true, theme);
    if let Some(c) = &p.compare {
        compare(frame, rect, block, &head, &mut p.scroll, c, (&keys, theme));
        return;
    }
    let shown = window(&mut p.scroll, head.len(), room);
    let block = more_marks(block, &shown, head.len(), &keys, Place::Popup, theme);
    let lines: Vec<Line<'_>> = head[shown].iter().map(|l| Line::raw(l.clone())).collect();
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// The lines of a comparison (wrapped, at most a third of the pop-up) over its two messages side
/// by side; the two panes scroll together, the border saying how much is above or below.
fn compare(
    frame: &mut Frame<'_>,
    rect: Rect,
    block: Block<'_>,
    head: &[String],
    scroll: &mut usize,
    c: &Compare,
    (keys, theme): (&Keymap, &Theme),
) {
    let inner = block.inner(rect);
    let head_height = u16::try_from(head.len())
        .unwrap_or(u16::MAX)
        .min(inner.height / 3);
    let [top, panes] =
        Layout::vertical([Constraint::Length(head_height), Constraint::Min(3)]).areas(inner);
    let room = usize::from(panes.height.saturating_sub(2));
    let total = c.left.len().max(c.right.len());
    let shown = window(scroll, total, room);
    let block = more_marks(block, &shown, total, keys, Place::Popup, theme);
    frame.render_widget(block, rect);
    let head: Vec<Line<'_>> = head
        .iter()
        .take(usize::from(head_height))
        .map(|l| Line::raw(l.as_str()))
        .collect();
    frame.render_widget(Paragraph::new(head), top);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(panes);
    side(
        frame,
        left,
        (&c.left_title, &c.left),
        &c.differs,
        &shown,
        theme,
    );
    side(
        frame,
        right,
        (&c.right_title, &c.right),
        &c.differs,
        &shown,
        theme,
    );
}

/// One side of a comparison: pretty JSON lines (each cut with `…` to the pane), the top-level
/// fields that differ marked.
fn side(
    frame: &mut Frame<'_>,
    area: Rect,
    (title, lines): (&str, &[String]),
    differs: &[String],
    shown: &std::ops::Range<usize>,
    theme: &Theme,
) {
    let title = format!(" {title} ");
    let block = pane(title_in(&title, area), false, theme);
    let width = usize::from(area.width.saturating_sub(2));
    // A top-level field of a pretty-printed object starts two spaces in: `  "MsgBody": [`.
    let mut marked = false;
    let rows: Vec<Line<'_>> = if lines.is_empty() {
        vec![Line::styled(fit("(nothing)", width), theme.muted())]
    } else {
        lines
            .iter()
            .map(|l| {
                if let Some(key) = l.strip_prefix("  \"").and_then(|r| r.split('"').next()) {
                    marked = differs.iter().any(|d| d == key);
                } else if l == "}" {
                    marked = false;
                }
                let l = fit(l, width);
                if marked {
                    Line::styled(l, theme.warn())
                } else {
                    Line::raw(l)
                }
            })
            .skip(shown.start)
            .take(shown.len())
            .collect()
    };
    frame.render_widget(Paragraph::new(rows).block(block), area);
}
