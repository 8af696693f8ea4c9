//! A list the operator moves through: the selection, the scroll window, the `/` filter and an
//! optional display order, for lists of any length. Rows live with their screen; this keeps
//! only indices, so a million rows cost one `Vec<u32>` of matches while a filter is on, and
//! nothing otherwise.

use std::ops::Range;

/// Selection, scroll and filter over `len` rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListView {
    len: usize,
    /// Index into the shown rows (the matches while filtering).
    selected: usize,
    /// First shown row on screen.
    offset: usize,
    /// Rows that fit on screen at the last draw (at least 1).
    page: usize,
    filter: String,
    /// Row indices that match the filter, in display order; `None` when there is no filter.
    matches: Option<Vec<u32>>,
    /// The display order (row indices); `None`: the rows' own order.
    order: Option<Vec<u32>>,
}

impl ListView {
    /// A view over `len` rows, the first selected.
    pub fn new(len: usize) -> ListView {
        ListView {
            len,
            page: 1,
            ..ListView::default()
        }
    }

    /// How many rows are shown (all, or those matching the filter).
    pub fn shown(&self) -> usize {
        self.matches.as_ref().map_or(self.len, Vec::len)
    }

    /// All rows, filtered or not.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no rows at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The row shown at position `i`.
    pub fn row_at(&self, i: usize) -> Option<usize> {
        match (&self.matches, &self.order) {
            (Some(m), _) => m.get(i).map(|r| *r as usize),
            (None, Some(o)) => o.get(i).map(|r| *r as usize),
            (None, None) => (i < self.len).then_some(i),
        }
    }

    /// The selected row, if any row is shown.
    pub fn selected(&self) -> Option<usize> {
        self.row_at(self.selected)
    }

    /// The selected position among the shown rows.
    pub fn selected_pos(&self) -> usize {
        self.selected
    }

    /// The filter text ("" when none).
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Moves the selection by `delta` shown rows, staying in range.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.shown().saturating_sub(1);
        let target = self.selected.saturating_add_signed(delta);
        self.selected = target.min(last);
    }

    /// Up one row.
    pub fn up(&mut self) {
        self.move_by(-1);
    }

    /// Down one row.
    pub fn down(&mut self) {
        self.move_by(1);
    }

    /// Up one screenful.
    pub fn page_up(&mut self) {
        self.move_by(-(self.page.max(1) as isize));
    }

    /// Down one screenful.
    pub fn page_down(&mut self) {
        self.move_by(self.page.max(1) as isize);
    }

    /// To the first row.
    pub fn top(&mut self) {
        self.selected = 0;
    }

    /// To the last row.
    pub fn bottom(&mut self) {
        self.selected = self.shown().saturating_sub(1);
    }

    /// True when the last shown row is selected (or nothing is shown).
    pub fn at_bottom(&self) -> bool {
        self.selected + 1 >= self.shown()
    }

    /// Selects the shown row at position `pos` (clamped).
    pub fn select_pos(&mut self, pos: usize) {
        self.selected = pos.min(self.shown().saturating_sub(1));
    }

    /// Selects row `row` if it is shown.
    pub fn select_row(&mut self, row: usize) {
        let pos = match (&self.matches, &self.order) {
            (Some(m), _) => m.iter().position(|r| *r as usize == row),
            (None, Some(o)) => o.iter().position(|r| *r as usize == row),
            (None, None) => (row < self.len).then_some(row),
        };
        if let Some(pos) = pos {
            self.selected = pos;
        }
    }

    /// Sets a new row count (rows were replaced), keeping the filter.
    pub fn reset(&mut self, len: usize, matches: impl Fn(usize) -> bool) {
        self.len = len;
        self.refilter(matches);
    }

    /// Rows `old_len..new_len` were appended; the filter is applied to them only.
    pub fn grow(&mut self, new_len: usize, matches: impl Fn(usize) -> bool) {
        let old = self.len;
        self.len = new_len;
        if let Some(o) = &mut self.order {
            o.extend((old..new_len).map(to_u32));
        }
        if let Some(m) = &mut self.matches {
            m.extend((old..new_len).filter(|i| matches(*i)).map(to_u32));
        }
    }

    /// Sets the filter text and recomputes the matches with `matches(row)`.
    pub fn set_filter(&mut self, text: &str, matches: impl Fn(usize) -> bool) {
        self.filter = text.to_owned();
        self.refilter(matches);
    }

    /// Shows the rows in `order` (row indices, each once; `None`: their own order), keeping the
    /// selected row selected; `matches` is the filter's test, applied again in the new order.
    pub fn set_order(&mut self, order: Option<Vec<u32>>, matches: impl Fn(usize) -> bool) {
        self.order = order.filter(|o| o.len() == self.len);
        self.refilter(matches);
    }

    fn refilter(&mut self, matches: impl Fn(usize) -> bool) {
        let keep = self.selected();
        if self.order.as_ref().is_some_and(|o| o.len() != self.len) {
            self.order = None;
        }
        self.matches = if self.filter.is_empty() {
            None
        } else {
            Some(match &self.order {
                Some(o) => o.iter().copied().filter(|i| matches(*i as usize)).collect(),
                None => (0..self.len).filter(|i| matches(*i)).map(to_u32).collect(),
            })
        };
        self.selected = 0;
        self.offset = 0;
        if let Some(row) = keep {
            self.select_row(row);
        }
        self.move_by(0);
    }

    /// The shown positions that fit in `height` rows, scrolling so the selection stays visible;
    /// remembers `height` as the page size.
    pub fn window(&mut self, height: usize) -> Range<usize> {
        self.page = height.max(1);
        let shown = self.shown();
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + self.page {
            self.offset = self.selected + 1 - self.page;
        }
        // Never leave empty space below when rows could fill it.
        self.offset = self.offset.min(shown.saturating_sub(self.page));
        self.offset..(self.offset + self.page).min(shown)
    }

    /// The first shown position on screen (as of the last draw).
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// Row indices are kept as u32 to halve the filter's memory; more than 4 billion rows do not fit
/// in memory anyway, so saturating is unreachable in practice.
fn to_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Case-insensitive "contains" used by every list filter; `needle` must already be lower case.
pub fn contains_folded(haystack: &str, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if haystack.is_ascii() && needle_lower.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle_lower.as_bytes());
        return h
            .windows(n.len())
            .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b));
    }
    haystack.to_lowercase().contains(needle_lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_in_range() {
        let mut v = ListView::new(3);
        v.up();
        assert_eq!(v.selected(), Some(0));
        v.down();
        v.down();
        v.down();
        assert_eq!(v.selected(), Some(2));
        v.top();
        v.page_down();
        assert_eq!(v.selected(), Some(1), "page of 1 before any draw");
        let mut empty = ListView::new(0);
        empty.down();
        empty.bottom();
        assert_eq!(empty.selected(), None);
    }

    #[test]
    fn the_window_follows_the_selection() {
        let mut v = ListView::new(100);
        assert_eq!(v.window(10), 0..10);
        v.page_down();
        v.page_down();
        assert_eq!(v.selected(), Some(20));
        assert_eq!(v.window(10), 11..21);
        v.bottom();
        assert_eq!(v.window(10), 90..100);
        v.up();
        assert_eq!(v.window(10), 90..100, "no scroll while visible");
        v.top();
        assert_eq!(v.window(10), 0..10);
        let mut short = ListView::new(3);
        assert_eq!(short.window(10), 0..3);
    }

    #[test]
    fn filtering_keeps_the_selected_row_when_it_still_matches() {
        let names = ["alpha", "beta", "gamma", "delta"];
        let mut v = ListView::new(names.len());
        v.select_row(3);
        v.set_filter("ta", |i| contains_folded(names[i], "ta"));
        assert_eq!(v.shown(), 2);
        assert_eq!(v.selected(), Some(3), "delta still matches");
        v.set_filter("zzz", |i| contains_folded(names[i], "zzz"));
        assert_eq!((v.shown(), v.selected()), (0, None));
        v.set_filter("", |_| true);
        assert_eq!(v.shown(), 4);
    }

    #[test]
    fn growing_filters_only_the_new_rows() {
        let rows: Vec<String> = (0..10).map(|i| format!("row{i}")).collect();
        let mut v = ListView::new(5);
        v.set_filter("row7", |i| rows[i].contains("row7"));
        assert_eq!(v.shown(), 0);
        v.grow(10, |i| {
            assert!(i >= 5, "old rows are not filtered again");
            rows[i].contains("row7")
        });
        assert_eq!((v.shown(), v.row_at(0)), (1, Some(7)));
    }

    #[test]
    fn an_order_shows_rows_in_it_and_keeps_the_selection_and_the_filter() {
        let names = ["alpha", "beta", "gamma", "delta"];
        let mut v = ListView::new(4);
        v.select_row(1);
        v.set_order(Some(vec![3, 1, 0, 2]), |_| true);
        assert_eq!(
            (v.row_at(0), v.selected(), v.selected_pos()),
            (Some(3), Some(1), 1)
        );
        v.set_filter("a", |i| contains_folded(names[i], "a"));
        let shown: Vec<_> = (0..v.shown()).filter_map(|p| v.row_at(p)).collect();
        assert_eq!(shown, [3, 1, 0, 2], "the filter keeps the order");
        v.set_filter("l", |i| contains_folded(names[i], "l"));
        let shown: Vec<_> = (0..v.shown()).filter_map(|p| v.row_at(p)).collect();
        assert_eq!(shown, [3, 0]);
        v.set_filter("", |_| true);
        v.grow(5, |_| true);
        assert_eq!(v.row_at(4), Some(4), "new rows go last");
        v.set_order(Some(vec![0]), |_| true);
        assert_eq!(
            v.row_at(1),
            Some(1),
            "an order of the wrong length is ignored"
        );
    }

    #[test]
    fn folded_contains_ignores_case() {
        assert!(contains_folded("Hello World", "world"));
        assert!(contains_folded("ÄBC", "äb"));
        assert!(!contains_folded("abc", "abd"));
        assert!(contains_folded("x", ""));
    }
}
