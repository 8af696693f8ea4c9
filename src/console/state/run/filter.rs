//! Filtering the Run screen's lanes, results and errors (`/` on each pane).

use super::super::list::contains_folded;
use super::rows::{error_matches, row_matches};
use super::*;

impl RunState {
    /// Filters the results.
    pub fn set_result_filter(&mut self, text: &str) {
        let needle = text.to_lowercase();
        let (results, lanes, senders) = (&self.results, &self.lanes, &self.senders);
        self.result_view.set_filter(text, |i| {
            results
                .get(i)
                .is_some_and(|r| row_matches(&r, lanes, senders, &needle))
        });
    }

    pub(super) fn refilter_results(&mut self) {
        let text = self.result_view.filter().to_owned();
        let needle = text.to_lowercase();
        let (results, lanes, senders) = (&self.results, &self.lanes, &self.senders);
        self.result_view.reset(results.len(), |i| {
            results
                .get(i)
                .is_some_and(|r| row_matches(&r, lanes, senders, &needle))
        });
    }

    /// Filters the errors.
    pub fn set_error_filter(&mut self, text: &str) {
        let needle = text.to_lowercase();
        let (errors, lanes) = (&self.errors, &self.lanes);
        self.error_view
            .set_filter(text, |i| error_matches(&errors[i], lanes, &needle));
    }

    pub(super) fn refilter_errors(&mut self) {
        let needle = self.error_view.filter().to_lowercase();
        let (errors, lanes) = (&self.errors, &self.lanes);
        self.error_view
            .reset(errors.len(), |i| error_matches(&errors[i], lanes, &needle));
    }

    /// Filters the lanes.
    pub fn set_lane_filter(&mut self, text: &str) {
        let needle = text.to_lowercase();
        let lanes = &self.lanes;
        self.lane_view
            .set_filter(text, |i| lane_matches(&lanes[i], &needle));
    }
}

/// Whether a lane matches the lanes' filter (its target or its state).
pub(super) fn lane_matches(lane: &Lane, needle: &str) -> bool {
    contains_folded(&lane.target.to_string(), needle) || contains_folded(lane.state.word(), needle)
}
