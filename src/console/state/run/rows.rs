//! The rows the Run screen keeps: lanes and explained errors (per-message results are in
//! `result_log`); with how a list filter matches them.

use crate::engine::{Counts, LaneState, PauseReason, SourceRef, Target};

use super::super::list::contains_folded;
use super::result_log::ResultRow;

/// Display columns of a message's text kept for its result row.
pub const SUMMARY_CHARS: usize = 48;

/// One lane (a group, or a topic of one).
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// The lane's target.
    pub target: Target,
    /// Where it stands.
    pub state: LaneState,
    /// Staged messages.
    pub total: u64,
    /// Planned requests.
    pub batches: u64,
    /// Messages per state (done includes those an earlier part of the run did).
    pub counts: Counts,
    /// Why it paused (the message and what went wrong), while paused.
    pub pause: Option<PauseReason>,
    /// Why it stopped, or the latest trouble it is working through.
    pub note: Option<String>,
}

impl Lane {
    /// Messages settled one way or the other.
    pub fn settled(&self) -> u64 {
        self.counts.done + self.counts.failed + self.counts.skipped + self.counts.invalid
    }

    /// Done share, 0..=1.
    pub fn ratio(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            (self.settled() as f64 / self.total as f64).clamp(0.0, 1.0)
        }
    }
}

/// What became of a message, compactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    /// In the group with this sequence number.
    Done(u64),
    /// Refused with this code (`None`: no service code).
    Failed(Option<i64>),
    /// Skipped by decision.
    Skipped,
    /// Cannot be sent as written.
    Invalid,
}

/// What an error row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A message was refused or is invalid.
    Message,
    /// A request will be tried again.
    Retry,
    /// An answer never came: it is being settled.
    Unknown,
    /// A lane stopped.
    Stopped,
    /// Something the engine wants known.
    Warning,
    /// A verification found a difference.
    Finding,
}

/// One error or warning, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRow {
    /// When (unix ms).
    pub at_ms: i64,
    /// The lane, if it concerns one.
    pub lane: Option<u32>,
    /// What it is about.
    pub kind: ErrorKind,
    /// The service's code.
    pub code: Option<i64>,
    /// What it means.
    pub meaning: String,
    /// What to do.
    pub remedy: String,
    /// More words (the service's, the transport's, the engine's).
    pub detail: String,
    /// The message concerned.
    pub source: Option<SourceRef>,
    /// The verification finding it shows (its id in [`super::RunState::finding`]).
    pub finding: Option<u64>,
}

impl ErrorRow {
    /// `CODE meaning. remedy (detail)` on one line.
    pub fn line(&self) -> String {
        let code = self.code.map(|c| format!("{c} ")).unwrap_or_default();
        let remedy = if self.remedy.is_empty() {
            String::new()
        } else {
            format!(". {}", self.remedy)
        };
        let detail = if self.detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.detail)
        };
        format!("{code}{}{remedy}{detail}", self.meaning)
    }
}

pub(super) fn row_matches(
    row: &ResultRow<'_>,
    lanes: &[Lane],
    senders: &[Box<str>],
    needle: &str,
) -> bool {
    if needle.is_empty() {
        return true;
    }
    let word = match row.outcome {
        RowOutcome::Done(_) => "done",
        RowOutcome::Failed(_) => "failed",
        RowOutcome::Skipped => "skipped",
        RowOutcome::Invalid => "invalid",
    };
    contains_folded(row.summary, needle)
        || contains_folded(word, needle)
        || senders
            .get(row.sender as usize)
            .is_some_and(|s| contains_folded(s, needle))
        || lanes
            .get(row.lane as usize)
            .is_some_and(|l| contains_folded(l.target.group(), needle))
        || matches!(row.outcome, RowOutcome::Failed(Some(c)) if c.to_string().contains(needle))
}

pub(super) fn error_matches(row: &ErrorRow, lanes: &[Lane], needle: &str) -> bool {
    needle.is_empty()
        || contains_folded(&row.line(), needle)
        || row
            .lane
            .and_then(|l| lanes.get(l as usize))
            .is_some_and(|l| contains_folded(l.target.group(), needle))
}

/// `text` on one line, cut to `columns` display columns (by grapheme cluster, `…` when cut).
pub(super) fn cut(text: &str, columns: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    super::super::super::text_width::fit(&one_line, columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lines_carry_code_meaning_remedy_and_detail() {
        let row = ErrorRow {
            at_ms: 0,
            lane: None,
            kind: ErrorKind::Message,
            code: Some(80002),
            meaning: "too long".into(),
            remedy: "Shorten it".into(),
            detail: "14000 bytes".into(),
            source: None,
            finding: None,
        };
        assert_eq!(row.line(), "80002 too long. Shorten it (14000 bytes)");
    }

    #[test]
    fn summaries_are_cut_by_grapheme_on_one_line() {
        let family = "👨‍👩‍👧";
        let text = format!("a\n{}", family.repeat(30));
        let kept = cut(&text, 7);
        assert_eq!(kept, format!("a {family}{family}…"));
    }
}
