//! A verification on the Run screen (`v`: the selected lane, `V`: the whole run): its progress
//! for the header, each finding as a row of the errors pane (kept, capped, so that Enter opens
//! it staged against found), its trouble reading a group, and how it ended.

use std::collections::VecDeque;

use crate::engine::verify::printer::counts_words;
use crate::engine::verify::{Finding, TargetVerifyState, VerifyEvent, VerifyStatus};
use crate::engine::{Failure, Target};

use super::{ErrorKind, ErrorRow, MAX_ERRORS, RunState};

/// Where a verification stands, for the header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyView {
    /// True while it reads.
    pub active: bool,
    /// The lane it verifies; `None`: the whole run.
    pub scope: Option<Target>,
    /// Its id in the ledger, once it began.
    pub verification_id: Option<i64>,
    /// Messages the ledger records as imported, in scope.
    pub expected: u64,
    /// Of those, compared so far.
    pub checked: u64,
    /// Differences found so far.
    pub differences: u64,
    /// How it ended, in words.
    pub outcome: Option<String>,
    /// When this invocation began (unix ms), and how many were compared then: the pace.
    pub since: (i64, u64),
}

impl VerifyView {
    /// Whether the header has a line for it.
    pub fn shown(&self) -> bool {
        self.active || self.outcome.is_some()
    }

    /// Seconds left at the pace so far, once there is one.
    pub fn eta_secs(&self, now_ms: i64) -> Option<u64> {
        let (start, at_start) = self.since;
        let done = self.checked.saturating_sub(at_start);
        let elapsed = (now_ms - start).max(0) as f64 / 1000.0;
        if done == 0 || elapsed <= 0.0 {
            return None;
        }
        let left = self.expected.saturating_sub(self.checked) as f64;
        Some((left * elapsed / done as f64).ceil() as u64)
    }
}

impl RunState {
    /// A verification was asked for (at `now_ms`).
    pub fn verify_started(&mut self, scope: Option<Target>, now_ms: i64) {
        self.verify = VerifyView {
            active: true,
            scope,
            since: (now_ms, 0),
            ..VerifyView::default()
        };
    }

    /// A finding kept for the inspector, by the id its error row carries.
    pub fn finding(&self, id: u64) -> Option<&Finding> {
        self.findings
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, f)| f.as_ref())
    }

    /// Takes one event of the verification.
    pub fn apply_verify(&mut self, event: VerifyEvent, now_ms: i64) {
        match event {
            VerifyEvent::VerifyStarted {
                verification_id,
                expected,
                checked,
                ..
            } => {
                self.verify.verification_id = Some(verification_id);
                self.verify.expected = expected;
                self.verify.checked = checked;
                self.verify.since = (now_ms, checked);
            }
            VerifyEvent::Progress {
                checked,
                differences,
                ..
            } => {
                self.verify.checked = checked;
                self.verify.differences = differences;
            }
            VerifyEvent::Finding(f) => {
                let id = self.next_finding;
                self.next_finding += 1;
                let lane = self.lane_of(&f.target).map(|l| l as u32);
                let row = ErrorRow {
                    at_ms: now_ms,
                    lane,
                    kind: ErrorKind::Finding,
                    code: None,
                    meaning: format!("{}: {}", f.kind.label(), f.note),
                    remedy: String::new(),
                    detail: f
                        .source
                        .as_ref()
                        .map(|s| format!("{} line {}", s.file, s.line))
                        .unwrap_or_default(),
                    source: f.source.clone(),
                    finding: Some(id),
                };
                self.findings.push_back((id, f));
                if self.findings.len() > MAX_ERRORS {
                    self.findings.pop_front();
                }
                self.push_error(row);
            }
            VerifyEvent::Trouble {
                target,
                failure,
                retrying,
            } => {
                let failure = Failure {
                    detail: format!(
                        "verifying{}{}",
                        if failure.detail.is_empty() { "" } else { ": " },
                        failure.detail
                    ),
                    ..failure
                };
                let kind = if retrying {
                    ErrorKind::Retry
                } else {
                    ErrorKind::Stopped
                };
                self.error(now_ms, Some(&target), kind, &failure, None);
            }
            VerifyEvent::TargetVerified(t) => {
                if let Some(lane) = self.lane_of(&t.target).and_then(|i| self.lanes.get_mut(i)) {
                    lane.note = Some(match t.state {
                        TargetVerifyState::Failed => format!(
                            "verify: could not be read: {}",
                            t.error.as_deref().unwrap_or_default()
                        ),
                        _ => format!("verify: {}", counts_words(&t.counts)),
                    });
                }
            }
            VerifyEvent::VerifyFinished(s) => {
                self.verify.active = false;
                self.verify.checked = s.totals.checked();
                self.verify.differences = s.totals.differences();
                let how = match s.status {
                    VerifyStatus::Done => "verified",
                    VerifyStatus::Interrupted => "verification stopped",
                    VerifyStatus::Stopped => "verification incomplete (a group could not be read)",
                };
                self.verify.outcome = Some(format!("{how}: {}", counts_words(&s.totals)));
            }
        }
    }

    /// The verification could not start, or ended abnormally.
    pub fn verify_failed(&mut self, why: String) {
        self.verify.active = false;
        self.verify.outcome = Some(format!("verification failed: {why}"));
    }
}

/// Findings kept for the inspector (the oldest go first, as their rows do).
pub type Findings = VecDeque<(u64, Box<Finding>)>;
