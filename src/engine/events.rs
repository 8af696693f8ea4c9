//! What the engine tells the world: one [`Event`] per thing that happens, in the order it
//! happens, on a bounded channel that the console and the headless printer both consume.
//!
//! Every type here is `serde::Serialize` (and `Deserialize`: a console attached to a run in
//! another process reads them back); an event serialises as one JSON object whose `"event"`
//! field names its kind (`run_started`, `batch_sent`, ...), which is what `timport run --json`
//! prints, one per line.
//!
//! Back-pressure: the engine *awaits* room on the channel (`Sender::send`), so a slow consumer
//! slows the import down instead of losing events; nothing is ever dropped while the receiver
//! lives. A receiver that is dropped is not an error: the engine carries on silently (the ledger
//! still records everything).

use serde::{Deserialize, Serialize};

use super::options::OnMessageError;
use super::target::Target;
use crate::api::catalogue::{Explanation, LocalFailure};

/// Where a message comes from (staging's): its staged file relative to the staging root,
/// 1-based line, byte offset, and its index within that line or body. Within one target,
/// `(file, offset, item)` identifies a message; it is also the key controls use.
pub use crate::staging::SourceRef;

/// Why something failed, in the catalogue's words (or the engine's own, for failures that have
/// no service code, such as a message that a read-back shows can never go in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The service's code; `None` for local failures (no answer, engine findings).
    pub code: Option<i64>,
    /// What it means.
    pub meaning: String,
    /// What to do about it.
    pub remedy: String,
    /// Extra words: the service's `ErrorInfo`, the transport's error, the engine's specifics.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub detail: String,
}

impl Failure {
    /// A failure explained by the catalogue entry `e`.
    pub fn from_explanation(e: Explanation, detail: impl Into<String>) -> Self {
        Failure {
            code: Some(e.code),
            meaning: e.meaning.to_owned(),
            remedy: e.remedy.to_owned(),
            detail: detail.into(),
        }
    }

    /// A failure without a service code, explained by the catalogue's local failures.
    pub fn from_local(failure: LocalFailure, detail: impl Into<String>) -> Self {
        let (meaning, remedy) = failure.explain();
        Failure {
            code: None,
            meaning: meaning.to_owned(),
            remedy: remedy.to_owned(),
            detail: detail.into(),
        }
    }

    /// One line: `CODE: meaning. remedy (detail)`.
    pub fn line(&self) -> String {
        let mut out = match self.code {
            Some(code) => format!("{code}: {}. {}", self.meaning, self.remedy),
            None => format!("{}. {}", self.meaning, self.remedy),
        };
        if !self.detail.is_empty() {
            out.push_str(&format!(" ({})", self.detail));
        }
        out
    }
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MessageOutcome {
    /// It is in the group.
    Done {
        /// The group sequence number the service gave it.
        msg_seq: u64,
        /// Its time as stored.
        msg_time: i64,
    },
    /// The service refused it (or the engine proved it can never go in).
    Failed(Failure),
    /// It will not be imported, by decision (the operator's, or `--on-message-error skip`).
    Skipped {
        /// Why, as recorded in the ledger.
        reason: String,
    },
    /// The staged message breaks a rule and cannot be sent as written.
    Invalid {
        /// Every problem staging found, joined.
        problem: String,
    },
}

/// Messages per state, for a target or a whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Staged messages (valid and invalid).
    pub total: u64,
    /// In the group.
    pub done: u64,
    /// Refused and not decided yet (the lane stopped there, or the run ended).
    pub failed: u64,
    /// Skipped by decision.
    pub skipped: u64,
    /// Invalid and not decided yet.
    pub invalid: u64,
}

impl Counts {
    /// Messages not yet settled one way or the other (not sent, or in flight).
    pub fn pending(&self) -> u64 {
        self.total
            .saturating_sub(self.done + self.failed + self.skipped + self.invalid)
    }

    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Counts) {
        self.total += other.total;
        self.done += other.done;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.invalid += other.invalid;
    }
}

/// Where a lane stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneState {
    /// Waiting for a lane slot (`--lanes`).
    Waiting,
    /// Reading the group back to settle an unknown outcome (or to check on resume).
    Settling,
    /// Sending.
    Running,
    /// Stopped at a message, waiting for a decision.
    Paused,
    /// Stopped for good in this run (group error, `StopGroup`, `StopLane`, run stopped).
    Stopped,
    /// Every message is done, skipped or decided.
    Done,
}

impl LaneState {
    /// Every state.
    pub const ALL: [LaneState; 6] = [
        LaneState::Waiting,
        LaneState::Settling,
        LaneState::Running,
        LaneState::Paused,
        LaneState::Stopped,
        LaneState::Done,
    ];

    /// A short lowercase word for tables and the ledger.
    pub fn word(self) -> &'static str {
        match self {
            LaneState::Waiting => "waiting",
            LaneState::Settling => "settling",
            LaneState::Running => "running",
            LaneState::Paused => "paused",
            LaneState::Stopped => "stopped",
            LaneState::Done => "done",
        }
    }

    /// The state a word names (the ledger's `targets.state`).
    pub fn from_word(word: &str) -> Option<LaneState> {
        LaneState::ALL.into_iter().find(|s| s.word() == word)
    }
}

/// The phases of a run, in their order: accounts before anything that names them, groups (with
/// their history's creation time) before their messages, messages, then members and unread
/// counts after each group's last message (imported messages reset every unread count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `multiaccount_import` of the accounts the app lacks.
    Accounts,
    /// `import_group` of the staged groups that do not exist.
    Groups,
    /// `import_group_msg`: the lanes.
    Messages,
    /// `import_group_member` and `set_unread_msg_num`.
    Members,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 4] = [
        Phase::Accounts,
        Phase::Groups,
        Phase::Messages,
        Phase::Members,
    ];

    /// The word `--phases` takes.
    pub fn word(self) -> &'static str {
        match self {
            Phase::Accounts => "accounts",
            Phase::Groups => "groups",
            Phase::Messages => "messages",
            Phase::Members => "members",
        }
    }

    /// The phase a word names.
    pub fn from_word(word: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.word() == word)
    }
}

/// The steps of the phases around the messages, as the ledger records their items: the members
/// phase has two (members, then unread counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Accounts (`multiaccount_import`).
    Accounts,
    /// Groups (`import_group`).
    Groups,
    /// Members (`import_group_member`).
    Members,
    /// Unread counts (`import_group_member`'s `UnreadMsgNum`, or `set_unread_msg_num`).
    Unread,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 4] = [Step::Accounts, Step::Groups, Step::Members, Step::Unread];

    /// The ledger's word.
    pub fn word(self) -> &'static str {
        match self {
            Step::Accounts => "accounts",
            Step::Groups => "groups",
            Step::Members => "members",
            Step::Unread => "unread",
        }
    }

    /// The step a word names.
    pub fn from_word(word: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.word() == word)
    }

    /// The phase it belongs to.
    pub fn phase(self) -> Phase {
        match self {
            Step::Accounts => Phase::Accounts,
            Step::Groups => Phase::Groups,
            Step::Members | Step::Unread => Phase::Members,
        }
    }
}

/// Items of a step per state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseCounts {
    /// Items the run handles.
    pub total: u64,
    /// Made so by the run.
    pub done: u64,
    /// There already.
    pub existed: u64,
    /// Refused.
    pub failed: u64,
    /// Nothing to send (for example unread counts of a ChatRoom).
    pub skipped: u64,
}

impl PhaseCounts {
    /// Items not settled yet (not sent, or in flight).
    pub fn pending(&self) -> u64 {
        self.total
            .saturating_sub(self.done + self.existed + self.failed + self.skipped)
    }

    /// Counts `n` items in `state`.
    pub fn add(&mut self, state: super::ledger::phases::ItemState, n: u64) {
        use super::ledger::phases::ItemState;
        self.total += n;
        match state {
            ItemState::Done => self.done += n,
            ItemState::Existed => self.existed += n,
            ItemState::Failed => self.failed += n,
            ItemState::Skipped => self.skipped += n,
            ItemState::Pending | ItemState::InFlight | ItemState::Unknown => {}
        }
    }
}

/// A step as a run ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepSummary {
    /// The step.
    pub step: Step,
    /// Its items per state (over every invocation of the run).
    pub counts: PhaseCounts,
}

/// What became of one item of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ItemOutcome {
    /// The run made it so.
    Done,
    /// It was there already (an account, a group used as it is, a member).
    Existed {
        /// A note, when there is one (for example a creation time that is not applied).
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Refused.
    Failed(Failure),
    /// Nothing to send.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// Where a group stands in the phases, for the lanes of that group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupPhase {
    /// The groups phase is creating it (or checking it exists).
    Group,
    /// Its messages are being imported.
    Messages,
    /// Its members and unread counts are being set.
    Members,
    /// Every phase is through for it.
    Done,
    /// The groups phase refused it (its messages are not sent).
    Refused,
    /// Its members wait for its messages (a lane that did not finish).
    Waiting,
}

impl GroupPhase {
    /// A short word for tables.
    pub fn word(self) -> &'static str {
        match self {
            GroupPhase::Group => "group",
            GroupPhase::Messages => "messages",
            GroupPhase::Members => "members",
            GroupPhase::Done => "done",
            GroupPhase::Refused => "refused",
            GroupPhase::Waiting => "waiting",
        }
    }
}

/// One target as a run starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetStart {
    /// The lane.
    pub target: Target,
    /// Staged messages (valid and invalid).
    pub messages: u64,
    /// Planned requests.
    pub batches: u64,
    /// Messages already done (or skipped) by an earlier part of this run.
    pub already_done: u64,
}

/// One target as a run ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSummary {
    /// The lane.
    pub target: Target,
    /// Where it stands.
    pub state: LaneState,
    /// Its messages per state.
    pub counts: Counts,
    /// Why it stopped or paused, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The whole run as it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The ledger's run id.
    pub run_id: i64,
    /// Every target of this invocation.
    pub targets: Vec<TargetSummary>,
    /// The sum over targets.
    pub totals: Counts,
    /// Import requests sent in this invocation.
    pub requests: u64,
    /// Wall time of this invocation, milliseconds.
    pub elapsed_ms: u64,
    /// Why the run stopped early (auth, region, Ctrl-C), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The steps around the messages (accounts, groups, members, unread counts) with items.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub steps: Vec<StepSummary>,
}

/// A message of the same request that landed after the one a lane stopped at: the failed one
/// can then never go in (unless it shares their second), which the inspector shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landed {
    /// The landed message.
    pub source: SourceRef,
    /// Its group sequence number.
    pub msg_seq: u64,
}

/// The newest message a lane has landed in its target: nothing older can go in after it (the
/// service refuses it for ever), so the guard sends nothing older and an edit must not be older.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Newest {
    /// Its `SendTime` as stored.
    pub send_time: i64,
    /// Its group sequence number.
    pub msg_seq: u64,
    /// The landed message.
    pub source: SourceRef,
}

impl Newest {
    /// `2023-01-16 09:00:00 (1673859600, eng-core.jsonl line 200)`.
    pub fn describe(&self) -> String {
        format!(
            "{} ({}, {} line {})",
            crate::clock::format_unix(self.send_time),
            self.send_time,
            self.source.file,
            self.source.line
        )
    }
}

/// Why a lane paused: the message it stopped at and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseReason {
    /// The message the lane stopped at (decisions name it).
    pub source: SourceRef,
    /// Its first words.
    pub summary: String,
    /// What went wrong (a refused message, an invalid one, or a request that kept failing).
    pub failure: Failure,
    /// Messages of the same request that landed after it.
    pub landed_after: Vec<Landed>,
    /// The newest message the lane has landed in the target: a message (or an edited
    /// SendTime) older than it can no longer go in.
    pub newest: Option<Newest>,
}

/// Everything the engine reports. Serialises with an `"event"` tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The run began (or resumed).
    RunStarted {
        /// The ledger's run id.
        run_id: i64,
        /// True when an earlier invocation of this run left work to continue.
        resumed: bool,
        /// The targets of this invocation.
        targets: Vec<TargetStart>,
        /// The configured rate, requests per second.
        rate_budget: u32,
        /// Lanes at once.
        lanes: usize,
        /// What a lane does when a message is refused.
        on_message_error: OnMessageError,
    },
    /// The phases this invocation carries out, in order (sent after `RunStarted` when the run
    /// is a migration: more than the messages).
    Phases {
        /// The phases.
        phases: Vec<Phase>,
    },
    /// A phase around the messages began (accounts, groups or members).
    PhaseStarted {
        /// The phase.
        phase: Phase,
        /// Items it handles (accounts, groups, members).
        items: u64,
    },
    /// A call of a phase went out (it is recorded in flight first).
    PhaseCall {
        /// The step.
        step: Step,
        /// The group, when the call is about one.
        #[serde(skip_serializing_if = "Option::is_none")]
        group: Option<String>,
        /// The command.
        command: String,
        /// The ledger's call id.
        call: i64,
        /// Items in it.
        items: u32,
        /// Body size.
        bytes: u64,
    },
    /// An item's fate became known.
    PhaseItem {
        /// The step.
        step: Step,
        /// The group, when the item is about one.
        #[serde(skip_serializing_if = "Option::is_none")]
        group: Option<String>,
        /// The account, group or member.
        item: String,
        /// What became of it.
        outcome: ItemOutcome,
    },
    /// A phase around the messages ended.
    PhaseDone {
        /// The phase.
        phase: Phase,
        /// Its steps' items per state.
        steps: Vec<StepSummary>,
    },
    /// A group moved on to another phase (the lanes of the group show it).
    GroupPhase {
        /// The group.
        group: String,
        /// Where it stands.
        phase: GroupPhase,
    },
    /// A lane changed state (waiting, settling, running, ...).
    LaneState {
        /// The lane.
        target: Target,
        /// Its new state.
        state: LaneState,
    },
    /// An import request went out (it is recorded in flight first).
    BatchSent {
        /// The lane.
        target: Target,
        /// The planned batch it belongs to (0-based).
        batch: u32,
        /// The ledger's request id.
        request: i64,
        /// Messages in it.
        messages: u32,
        /// 1 for the first time this batch's messages are sent, then 2, 3, ...
        attempt: u32,
        /// Body size.
        bytes: u64,
    },
    /// A message's fate became known.
    MessageResult {
        /// The lane.
        target: Target,
        /// Where it is staged.
        source: SourceRef,
        /// Its sender.
        from_account: String,
        /// Its `SendTime` as staged (or edited); `--same-second spread` may have sent it later
        /// (the ledger's `sent_time`).
        send_time: i64,
        /// Its `Random`.
        random: u32,
        /// Its first words.
        summary: String,
        /// What became of it.
        outcome: MessageOutcome,
    },
    /// No usable answer came for a request: it may or may not have landed.
    OutcomeUnknown {
        /// The lane.
        target: Target,
        /// The planned batch.
        batch: u32,
        /// The ledger's request id.
        request: i64,
        /// What happened.
        failure: Failure,
    },
    /// A read-back settled an unknown outcome (or checked the group on resume).
    Settled {
        /// The lane.
        target: Target,
        /// The planned batch settled (the first one checked, on resume).
        batch: u32,
        /// Messages found in the group.
        landed: u32,
        /// Messages not found (they will be sent).
        missing: u32,
    },
    /// A request (or a read-back) will be tried again after a pause.
    Retrying {
        /// The lane.
        target: Target,
        /// The planned batch.
        batch: u32,
        /// The attempt about to be made (2 = first retry).
        attempt: u32,
        /// How long the lane waits first.
        delay_ms: u64,
        /// What went wrong.
        reason: Failure,
    },
    /// A lane stopped at a message and waits for a decision.
    LanePaused {
        /// The lane.
        target: Target,
        /// The message and what went wrong.
        reason: PauseReason,
    },
    /// A paused lane goes on (after a decision).
    LaneResumed {
        /// The lane.
        target: Target,
    },
    /// A lane stopped for good in this run.
    LaneStopped {
        /// The lane.
        target: Target,
        /// Why, in words.
        reason: String,
    },
    /// A lane finished: every message is done, skipped or decided.
    LaneDone {
        /// The lane.
        target: Target,
        /// Its messages per state.
        counts: Counts,
    },
    /// The limiter changed its pace.
    RateChanged {
        /// Requests per second now allowed.
        current: u32,
        /// The configured rate.
        budget: u32,
        /// Frequency refusals seen so far.
        refusals: u64,
    },
    /// Something the operator should know that is not tied to one message.
    Warning {
        /// The lane, if it concerns one.
        #[serde(skip_serializing_if = "Option::is_none")]
        target: Option<Target>,
        /// What.
        message: String,
    },
    /// The run ended (the last event).
    RunFinished {
        /// Where everything stands.
        summary: RunSummary,
        /// The process exit code this outcome maps to (`RunStatus::exit`; docs/reference.md#exit-codes).
        exit_code: u8,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::explain_message_result;

    fn source() -> SourceRef {
        SourceRef {
            file: "g1.jsonl".into(),
            line: 3,
            offset: 120,
            item: 0,
        }
    }

    #[test]
    fn events_serialise_with_an_event_tag_and_snake_case_fields() {
        let event = Event::MessageResult {
            target: Target::new("g1", None),
            source: source(),
            from_account: "alice".into(),
            send_time: 1_600_000_000,
            random: 7,
            summary: "hello".into(),
            outcome: MessageOutcome::Done {
                msg_seq: 5,
                msg_time: 1_600_000_000,
            },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "message_result");
        assert_eq!(json["target"], serde_json::json!({"group": "g1"}));
        assert_eq!(json["source"]["line"], 3);
        assert_eq!(json["outcome"]["state"], "done");
        assert_eq!(json["outcome"]["msg_seq"], 5);

        let topic = serde_json::to_value(Target::new("@TGS#_c", Some("@TGS#_c@TOPIC#_t"))).unwrap();
        assert_eq!(topic["topic"], "@TGS#_c@TOPIC#_t");
    }

    #[test]
    fn failures_carry_the_catalogue_words() {
        let f = Failure::from_explanation(explain_message_result(80002), "");
        let json = serde_json::to_value(MessageOutcome::Failed(f.clone())).unwrap();
        assert_eq!(json["state"], "failed");
        assert_eq!(json["code"], 80002);
        assert_eq!(json["meaning"], explain_message_result(80002).meaning);
        assert!(json.get("detail").is_none(), "empty detail is left out");
        assert!(f.line().starts_with("80002: "), "{}", f.line());
        let local = Failure::from_local(LocalFailure::Timeout, "after 6 s");
        assert_eq!(local.code, None);
        assert!(local.line().ends_with("(after 6 s)"), "{}", local.line());
    }

    #[test]
    fn counts_know_what_is_pending() {
        let mut c = Counts {
            total: 10,
            done: 4,
            failed: 1,
            skipped: 1,
            invalid: 1,
        };
        assert_eq!(c.pending(), 3);
        c.add(&Counts {
            total: 2,
            done: 2,
            ..Counts::default()
        });
        assert_eq!((c.total, c.done, c.pending()), (12, 6, 3));
    }

    #[test]
    fn lane_states_round_trip_through_their_words() {
        for s in LaneState::ALL {
            assert_eq!(LaneState::from_word(s.word()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.word());
        }
        assert_eq!(LaneState::from_word("nope"), None);
    }
}
