//! Small pieces every screen uses: a pane block that shows focus, text that fits a width, a
//! centred rectangle for overlays, an empty-state message, and the cell helpers tables share.

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Row, Table};

use super::super::state::AppState;
use super::super::state::list::ListView;
use super::super::state::overlay::{HitTarget, ListId, TypeTarget};
use super::super::text_width::fit_line;
pub use super::super::text_width::{fit, pad, width_of};
use super::super::theme::{Symbol, Theme};
use super::super::words::count;

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

/// ` · /text▏ (12 shown)` while a list is filtered or its filter is being typed, else "".
pub fn filter_note(state: &AppState, list: ListId, view: &ListView) -> String {
    let typing = matches!(
        &state.typing,
        Some(t) if t.target == TypeTarget::Filter(list)
    );
    let filter = view.filter();
    if filter.is_empty() && !typing {
        return String::new();
    }
    format!(
        " · /{filter}{} ({} shown)",
        if typing { "▏" } else { "" },
        count(view.shown() as u64)
    )
}

/// One table row as cells, before it is cut to its columns.
pub struct Cells {
    cells: Vec<Line<'static>>,
    style: Option<Style>,
}

/// The rows of a list that are on screen (positions `window` of `view`): `make(row)` gives each
/// one's cells, given the row's index in the screen's own list; the selected one highlighted
/// when the list has the focus. Only these rows are ever built, however long the list.
pub fn visible_rows(
    view: &ListView,
    window: Range<usize>,
    focused: bool,
    theme: &Theme,
    make: impl Fn(usize) -> Option<Vec<Line<'static>>>,
) -> Vec<Cells> {
    let selected = view.selected_pos();
    window
        .filter_map(|pos| {
            let cells = make(view.row_at(pos)?)?;
            Some(Cells {
                cells,
                style: (focused && pos == selected).then(|| theme.selection()),
            })
        })
        .collect()
}

/// The widths ratatui's `Table` gives `constraints` in `width` columns (one column between
/// cells), so cells can be cut to them with `…` before drawing.
pub fn column_widths(width: u16, constraints: &[Constraint]) -> Vec<usize> {
    Layout::horizontal(constraints.iter().copied())
        .flex(Flex::Start)
        .spacing(1)
        .split(Rect::new(0, 0, width, 1))
        .iter()
        .map(|r| usize::from(r.width))
        .collect()
}

/// Draws `rows` under a `header` in `inner` (a pane's inside), every cell cut to its column
/// with `…`, and records where the rows are, so a click selects one of `list`.
pub fn table(
    frame: &mut Frame<'_>,
    inner: Rect,
    (header, widths): (Row<'static>, Vec<Constraint>),
    rows: Vec<Cells>,
    hits: &mut Vec<(Rect, HitTarget)>,
    list: ListId,
) {
    let columns = column_widths(inner.width, &widths);
    let rows: Vec<Row<'static>> = rows
        .into_iter()
        .map(|r| {
            let cells: Vec<Line<'static>> = r
                .cells
                .into_iter()
                .zip(columns.iter().chain(std::iter::repeat(&0)))
                .map(|(cell, w)| fit_line(cell, *w))
                .collect();
            let row = Row::new(cells);
            match r.style {
                Some(style) => row.style(style),
                None => row,
            }
        })
        .collect();
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        inner,
    );
    let below_header = Rect::new(
        inner.x,
        inner.y.saturating_add(1),
        inner.width,
        inner.height.saturating_sub(1),
    );
    hits.push((below_header, HitTarget::List(list)));
}

/// A pane title cut to fit on the top border of `area` (with `…`).
pub fn title_in(title: &str, area: Rect) -> String {
    fit(title, usize::from(area.width.saturating_sub(2)))
}

/// A count with its state's glyph (and a word when there is room): `✗ 3 failed`, styled with
/// `style` when there is something to count, muted otherwise.
pub fn counted(symbol: Symbol, n: u64, word: &str, style: Style, theme: &Theme) -> Span<'static> {
    Span::styled(
        format!("{} {}{word}", symbol.glyph(), count(n)),
        if n > 0 { style } else { theme.muted() },
    )
}

/// A state's glyph and word, styled: `✓ ready`.
pub fn state_span(symbol: Symbol, word: &str, theme: &Theme) -> Span<'static> {
    Span::styled(format!("{} {word}", symbol.glyph()), theme.of(symbol))
}

#[cfg(test)]
mod tests {
    use super::*;

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
