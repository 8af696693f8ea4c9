//! What the world tells the engine: [`Control`] messages on a channel (the console's keys, the
//! headless runner's Ctrl-C), and the operator's [`Decision`] about a message a lane stopped at.
//!
//! Every decision is written to the ledger (with its reason and, for an edit, the edited body)
//! before the lane acts on it.

use super::events::SourceRef;
use super::target::Target;
use crate::api::types::ImportMsg;

/// A command to a running engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    /// Stop starting new requests in every lane (requests in flight are answered and recorded).
    PauseRun,
    /// Undo [`Control::PauseRun`].
    ResumeRun,
    /// Stop this lane after its request in flight is answered (and settled); who asks
    /// (`user@host`; empty: the operator of the process running the engine).
    StopLane(Target, String),
    /// The operator's decision about the message a paused lane stopped at.
    Decide {
        /// The lane.
        target: Target,
        /// The message (as in [`super::events::PauseReason::source`]).
        source: SourceRef,
        /// What to do.
        decision: Decision,
        /// Who decided (`user@host`); empty: the operator of the process running the engine.
        operator: String,
    },
    /// One decision about every message refused with one code, in one lane or in all
    /// ([`BulkDecision`]): it holds for the rest of the run.
    DecideCode(BulkDecision),
    /// Stop the run: no new requests; wait (bounded) for the answers in flight; finish.
    Shutdown,
    /// Stop the run at once (a second interrupt): no new requests and no wait for answers in
    /// flight (their requests stay in flight in the ledger and are settled on resume); the run
    /// is still recorded as interrupted and finishes with its summary.
    Abort,
}

/// A decision on its way to a lane: the message, what to do, who decided (empty: the
/// operator of the process running the engine).
pub type Decided = (SourceRef, Decision, String);

/// What to do with the message a lane stopped at.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Send it again as it is.
    Retry,
    /// Send this edited version instead (checked with staging's rules first; its `Random` is
    /// the original one unless the edit sets one).
    RetryEdited(ImportMsg),
    /// Do not import it; carry on with the next message.
    Skip {
        /// Why (recorded in the ledger and shown by `timport report`).
        reason: String,
    },
    /// Stop this group's lane for this run.
    StopGroup,
}

/// What a bulk decision does to each message it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    /// Do not import them, for this reason.
    Skip {
        /// Why (recorded with each message).
        reason: String,
    },
    /// Send each once more (a message refused again stops its lane as usual).
    Retry,
}

impl BulkAction {
    /// The ledger's word for a message decided by it.
    pub fn word(&self) -> &'static str {
        match self {
            BulkAction::Skip { .. } => "skip_code",
            BulkAction::Retry => "retry_code",
        }
    }
}

/// One decision about every message refused with `code`: those refused already and those refused
/// later in this run, in one lane (`target`) or in all (`None`). Each message it reaches is
/// recorded on its own in the ledger, with the operator and the reason. A retry reaches a
/// message once (so a message refused again waits for a decision instead of looping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkDecision {
    /// The service's code.
    pub code: i64,
    /// The lane, or every lane.
    pub target: Option<Target>,
    /// What to do.
    pub action: BulkAction,
    /// Who decided (`user@host`); empty: the operator of the process running the engine.
    pub operator: String,
}

impl BulkDecision {
    /// True when it covers a message of `target` refused with `code`.
    pub fn covers(&self, target: &Target, code: Option<i64>) -> bool {
        code == Some(self.code) && self.target.as_ref().is_none_or(|t| t == target)
    }
}

impl Decision {
    /// A short lowercase word for the ledger and events.
    pub fn word(&self) -> &'static str {
        match self {
            Decision::Retry => "retry",
            Decision::RetryEdited(_) => "retry_edited",
            Decision::Skip { .. } => "skip",
            Decision::StopGroup => "stop_group",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_have_ledger_words() {
        let edited = ImportMsg {
            from_account: "a".into(),
            send_time: 1,
            random: None,
            msg_body: vec![],
        };
        let words: Vec<_> = [
            Decision::Retry,
            Decision::RetryEdited(edited),
            Decision::Skip { reason: "x".into() },
            Decision::StopGroup,
        ]
        .iter()
        .map(Decision::word)
        .collect();
        assert_eq!(words, ["retry", "retry_edited", "skip", "stop_group"]);
    }

    #[test]
    fn a_bulk_decision_covers_its_code_in_its_lane_or_everywhere() {
        let (a, b) = (Target::new("a", None), Target::new("b", None));
        let mut d = BulkDecision {
            code: 80001,
            target: Some(a.clone()),
            action: BulkAction::Retry,
            operator: "ops@host".into(),
        };
        assert!(d.covers(&a, Some(80001)));
        assert!(!d.covers(&a, Some(80002)), "another code");
        assert!(!d.covers(&a, None), "a failure without a code");
        assert!(!d.covers(&b, Some(80001)), "another lane");
        d.target = None;
        assert!(d.covers(&b, Some(80001)));
        assert_eq!(d.action.word(), "retry_code");
        assert_eq!(BulkAction::Skip { reason: "x".into() }.word(), "skip_code");
    }
}
