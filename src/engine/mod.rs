//! The import engine: one ordered lane per target, an app-wide adaptive rate limiter, retries,
//! settling unknown outcomes by reading the group back, the durable ledger, resume, and the
//! stream of events that the console and the headless printer consume.
//!
//! Owns: sending planned batches and recording what happened.
//! Must not touch: the terminal (it only emits events) or staged-file parsing (it takes plans
//! through a [`work::WorkSource`]).
//!
//! # Using it
//! ```text
//! let request = OpenRequest { ledger, work, destination, options, new_run, migration, command };
//! let active = open::open(request).await?;
//! let outcome = active.run(service, events_tx, controls_rx).await?;   // outcome.status.exit()
//! ```
//! [`open::open`] is the one way commands open or resume a run (canonical staging root, recorded
//! options, staged-file fingerprints, the ledger); the [`open::ActiveRun`] it returns lives as long
//! as the run. `service` is an [`service::ImportService`] (the REST client, or a fake in tests).
//! Tests that work from lists use [`memory::MemoryWork`] with [`open::open_run`] and [`run::run`].
//! Every [`Event`] arrives on `events_tx` (the last is [`Event::RunFinished`]); [`Control`]s and
//! [`Decision`]s go in on `controls_rx`.
//!
//! # Map
//! - What it says and hears: `events` ([`Event`], serialised with an `"event"` tag),
//!   `control` ([`Control`], [`Decision`]), `target` ([`Target`]).
//! - Pure rules: `options` ([`RunOptions`]), `limiter` (strict spacing, AIMD on refusals, the
//!   next slot to the waiting lane with the most requests left, a reserved share for the lane
//!   that sets the run's duration), `bound` (how long a run must
//!   take at the least, and each target's requests left),
//!   `backoff`, `outcome` (an answer -> what the lane does next; the engine's own reasons),
//!   `settle` (read-back paging and matching).
//! - Work: `work` (what a lane works through, narrowed request bodies), `staged` (from a
//!   staging directory and the planner, cut into parts by `part_cut`), `memory` (from lists).
//! - Doing: `open` (opening or resuming a run), `lane/` (one target's state machine: `send`,
//!   `readback`, `decide`, `items`), `run/` (lanes and slots, controls, shutdown, the summary
//!   and the run's end status), `phases/` (a migration's phases around the lanes: accounts and
//!   groups before them, members and unread counts after each group's last message; every call
//!   recorded before it is sent and settled by reading back; docs/migration.md),
//!   `context` (what lanes share), `slots` (lane slots, longest lane first; both wait in a
//!   `queue`), `empty` (which groups hold no message, asked 50 at a time as lanes start, so
//!   their lanes skip the first read-back), `service` (the seam to the REST client).
//! - Reached from other processes: `attach/` (the control socket `<ledger>.sock` a run
//!   serves: its protocol and its server; `timport watch`, `timport decide`).
//! - Records and faces: `ledger/` (SQLite, one writer thread), `report` (`timport report`),
//!   `printer` (the headless lines and JSON), `heartbeat` (the headless run's beat: pace over
//!   1, 15 and 60 minutes, ETA, lanes per state), `signoff/` (the sign-off report: HTML,
//!   Markdown).
//! - Proof: `verify/` (`timport verify`: every target read back and compared with the ledger
//!   and the staged files, resumable).
//!
//! # Decisions where the service's docs are silent (docs/ARCHITECTURE.md collects them all)
//! - A request is recorded in flight, then takes its rate slot, then goes: nothing awaits
//!   between the slot and the call, so the pace holds at the service. A shutdown while waiting
//!   for the slot records the request as not applied.
//! - An answer with a result count that differs from the messages sent is an unknown outcome
//!   (settled by reading back), not a failure: a missing result could hide a landed message.
//! - Read-back matching takes an exact match (sender, time, Random, body); failing that, a
//!   unique match on sender, time and Random counts as landed with a warning (a service that
//!   re-encodes a body must not cause a resend).
//! - Invalid staged messages sit at their place in the order and are handled like refused ones
//!   under `--on-message-error` (pause: the lane stops there; skip: recorded as skipped). One
//!   whose `SendTime` cannot be read sits right after the valid message before it in its file
//!   (staging's `placement`).
//! - The point of no return (docs/ordering.md): every request passes one guard
//!   (`lane/guard.rs`) right before it is recorded and sent: nothing goes while a message that
//!   orders before it (`SendTime`, then staged position) is open, and nothing older than the
//!   newest message the lane has landed (held back, it is failed without being sent and the
//!   message policy decides). Equal times are let through (the default reading of the rule).
//!   Times are those sent: under `--same-second spread` (`plan::same_second`) a burst's
//!   overflow is sent later than staged; the guard, the read-back and the ledger's `sent_time`
//!   use that time (the ledger's `send_time` keeps the staged one), and a read-back also finds
//!   a message at its staged time (landed by an earlier run that kept it). A run keeps the
//!   policy it began with (`open`). Under `keep`, a 10004 on a burst's overflow is explained
//!   as such, with `spread` as the remedy (`EngineReason::BurstOverflow`).
//! - An edit re-places its message by its edited `SendTime`, into a later part when it orders
//!   after the part at work; an edit older than the newest landing is refused with the options.
//! - A 10004 the lane's order does not explain (newer than everything it knew the group held)
//!   makes it read the group's newest message: when that is newer and not its own, someone else
//!   is writing to the group; the refused messages go back to pending and the lane pauses (a
//!   request pause: headless, exit 3).
//! - A lane paused because a request kept failing (not because of a message) ends headless
//!   with exit 3; its messages stay pending, never "failed".
//! - Before its first send, every lane reads its group back as far as its unsent messages reach
//!   (one read for a fresh group; up to `settle::MAX_PAGES` pages, keeping only what could
//!   match; older messages it cannot reach stay unknown, never failed) and matches what the
//!   ledger does not have as done, so a resume is safe after lost commits or a lost ledger; a message
//!   the ledger never heard of that sits before one in the group is "overtaken", never resent.
//!   A group that never held a message (`empty`: `NextMsgSeq` 1) is not read: nothing is there.
//! - A lane reads its target a part at a time (whole batches, ~250 messages) and plans each part
//!   with the state the earlier parts left (`plan::plan_part`): the same bytes as planning the
//!   whole, one part in memory. Each part is checked against the group until a check shows the
//!   group holds nothing from the lane's frontier on.
//! - An answer that gives a message the `MsgSeq` of another message means the service dropped
//!   it as a repeat (same `Random` within five minutes): it is failed, never done.
//! - Headless, a failed message stays failed on later invocations (no silent retry): rerun with
//!   `--retry-failed` to send them once more, or with `--on-message-error skip` to move past.
//! - Interrupted runs exit 130.
//! - A bulk decision ([`BulkDecision`]: every message refused with one code, in a lane or in
//!   all) holds for the rest of the run: lanes apply it to what they meet, each message recorded
//!   on its own with the operator (`user@host`) and the reason. A bulk retry reaches a message
//!   once. With no run going, `timport decide` records it in the ledger for the next run.
//! - One writer per ledger: `open` takes an `flock` on `<ledger>.lock`, held by the
//!   `ActiveRun` (a second writer: exit 3, naming the holder).
//! - A resume after the staged files changed: a message's identity is its place (file, line,
//!   index); every row carries a fingerprint of the message as staged, compared as lanes read
//!   their parts. Changed unsent messages are planned again; a changed settled one stops its
//!   lane; a settled one whose place is gone refuses the run at open.

pub mod attach;
pub mod backoff;
pub mod bound;
mod context;
pub mod control;
pub(crate) mod empty;
pub mod events;
pub mod heartbeat;
mod lane;
pub mod ledger;
pub mod limiter;
pub mod memory;
pub mod open;
pub mod operator;
pub mod options;
pub mod outcome;
mod part_cut;
pub mod phases;
pub mod printer;
mod queue;
pub mod report;
pub mod run;
pub mod service;
pub mod settle;
pub mod signoff;
mod slots;
pub mod staged;
pub mod target;
pub mod verify;
pub mod work;

pub use control::{BulkAction, BulkDecision, Control, Decision};
pub use events::{
    Counts, Event, Failure, Landed, LaneState, MessageOutcome, Newest, PauseReason, RunSummary,
    SourceRef, TargetStart, TargetSummary,
};
pub use ledger::LedgerError;
pub use options::{
    DEFAULT_LANES, DEFAULT_RATE, MAX_RATE, OnMessageError, RetryPolicy, RunOptions, SameSecond,
};
pub use target::Target;

#[cfg(test)]
pub(crate) mod testing {
    //! Shared test helpers: a message's place and ledger identity.

    use super::SourceRef;
    use super::ledger::messages::MessageMeta;

    /// A `message_result` event: line `line` of `file` in `target`, imported as `msg_seq`.
    pub fn done_result(
        target: &super::Target,
        file: &str,
        line: u32,
        msg_seq: u64,
    ) -> super::Event {
        super::Event::MessageResult {
            target: target.clone(),
            source: source(file, line),
            from_account: "a".into(),
            send_time: 1,
            random: 1,
            summary: "hi".into(),
            outcome: super::events::MessageOutcome::Done {
                msg_seq,
                msg_time: 1,
            },
        }
    }

    /// Line `line` of `file` (byte offset `100 * line`).
    pub fn source(file: &str, line: u32) -> SourceRef {
        SourceRef {
            file: file.into(),
            line,
            offset: u64::from(line) * 100,
            item: 0,
        }
    }

    /// The message at line `line` of `file`: sent by alice at `100 + line`, `Random` `line`.
    pub fn meta(file: &str, line: u32) -> MessageMeta {
        MessageMeta {
            source: source(file, line),
            from_account: Some("alice".into()),
            send_time: Some(100 + i64::from(line)),
            sent_time: None,
            random: Some(line),
            fingerprint: None,
        }
    }
}
