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
    /// Stop this lane after its request in flight is answered (and settled).
    StopLane(Target),
    /// The operator's decision about the message a paused lane stopped at.
    Decide {
        /// The lane.
        target: Target,
        /// The message (as in [`super::events::PauseReason::source`]).
        source: SourceRef,
        /// What to do.
        decision: Decision,
    },
    /// Stop the run: no new requests; wait (bounded) for the answers in flight; finish.
    Shutdown,
    /// Stop the run at once (a second interrupt): no new requests and no wait for answers in
    /// flight (their requests stay in flight in the ledger and are settled on resume); the run
    /// is still recorded as interrupted and finishes with its summary.
    Abort,
}

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
}
