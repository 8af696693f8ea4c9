//! What a verification says: each difference between the group and what the run recorded
//! ([`Finding`]), the counts per target ([`VerifyCounts`]), and the events a verification emits
//! ([`VerifyEvent`], serialised with an `"event"` tag: what `timport verify --json` prints).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::events::{Failure, SourceRef};
use crate::engine::target::Target;
use crate::exit::Exit;

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The ledger says the message landed; the group does not hold it (or holds a hole).
    Missing,
    /// The group holds the message where the ledger says, but a field differs.
    Changed,
    /// The group holds a message this run did not import (after the run's first landing).
    Extra,
    /// The message is in the group, but not where it belongs: another `MsgSeq` than the ledger
    /// recorded, or older than a message before it.
    OutOfOrder,
}

impl FindingKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [FindingKind; 4] = [
        FindingKind::Missing,
        FindingKind::Changed,
        FindingKind::Extra,
        FindingKind::OutOfOrder,
    ];

    /// The ledger's and the JSON's word.
    pub fn word(self) -> &'static str {
        match self {
            FindingKind::Missing => "missing",
            FindingKind::Changed => "changed",
            FindingKind::Extra => "extra",
            FindingKind::OutOfOrder => "out_of_order",
        }
    }

    /// The kind a word names.
    pub fn from_word(word: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.word() == word)
    }

    /// For people: `missing`, `changed`, `extra`, `out of order`.
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::OutOfOrder => "out of order",
            other => other.word(),
        }
    }
}

/// A message as staged (what the run sent) or as found in the group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    /// The sender.
    #[serde(rename = "From_Account")]
    pub from_account: String,
    /// Unix seconds.
    #[serde(rename = "SendTime")]
    pub send_time: i64,
    /// The `Random`.
    #[serde(rename = "Random", default, skip_serializing_if = "Option::is_none")]
    pub random: Option<u32>,
    /// Its group sequence (found), or the one the ledger recorded (staged).
    #[serde(rename = "MsgSeq", default, skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<u64>,
    /// `MsgBody`; `null` when the staged text could not be read.
    #[serde(rename = "MsgBody")]
    pub body: Value,
}

/// One difference between the group and the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
    /// The lane.
    pub target: Target,
    /// Where the message is staged (every kind but `extra`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    /// Where it was found (`changed`, `extra`, `out_of_order`), or where the ledger recorded it
    /// (`missing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<u64>,
    /// The fields that differ (`From_Account`, `SendTime`, `Random`, `MsgBody`, `MsgSeq`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differs: Vec<String>,
    /// The message as the run sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staged: Option<MessageView>,
    /// The message as the group holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<MessageView>,
    /// One sentence saying what is wrong.
    pub note: String,
}

impl Finding {
    /// One line for people: `missing: g g.jsonl line 3 (MsgSeq 7): not in the group`.
    pub fn line(&self) -> String {
        let place = match &self.source {
            Some(s) => format!(" {} line {}", s.file, s.line),
            None => String::new(),
        };
        let seq = self
            .msg_seq
            .map(|s| format!(" (MsgSeq {s})"))
            .unwrap_or_default();
        format!(
            "{}: {}{place}{seq}: {}",
            self.kind.label(),
            self.target,
            self.note
        )
    }
}

/// A target's verification in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VerifyCounts {
    /// Messages the ledger records as landed in the group (the ones to find).
    pub expected: u64,
    /// Found as sent, where the ledger says.
    pub verified: u64,
    /// Not in the group.
    pub missing: u64,
    /// In the group with a field changed.
    pub changed: u64,
    /// In the group, not from this run.
    pub extra: u64,
    /// In the group, out of place.
    pub out_of_order: u64,
    /// In the group before the run's first landing (not part of the run; not read).
    pub preexisting: u64,
    /// Holes and system notices among the run's messages that stand for no message (not a
    /// difference).
    pub ignored: u64,
    /// `group_msg_get_simple` calls made.
    pub reads: u64,
}

impl VerifyCounts {
    /// Adds `other`.
    pub fn add(&mut self, other: &VerifyCounts) {
        self.expected += other.expected;
        self.verified += other.verified;
        self.missing += other.missing;
        self.changed += other.changed;
        self.extra += other.extra;
        self.out_of_order += other.out_of_order;
        self.preexisting += other.preexisting;
        self.ignored += other.ignored;
        self.reads += other.reads;
    }

    /// Counts one finding.
    pub fn count(&mut self, kind: FindingKind) {
        match kind {
            FindingKind::Missing => self.missing += 1,
            FindingKind::Changed => self.changed += 1,
            FindingKind::Extra => self.extra += 1,
            FindingKind::OutOfOrder => self.out_of_order += 1,
        }
    }

    /// Differences found.
    pub fn differences(&self) -> u64 {
        self.missing + self.changed + self.extra + self.out_of_order
    }

    /// The run's messages looked at so far (found as sent, changed, missing or out of place).
    pub fn checked(&self) -> u64 {
        self.verified + self.changed + self.missing + self.out_of_order
    }
}

/// How a target's verification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetVerifyState {
    /// Being read.
    Reading,
    /// Read to the group's newest message.
    Done,
    /// The group could not be read (the failure says why).
    Failed,
}

impl TargetVerifyState {
    /// The ledger's word.
    pub fn word(self) -> &'static str {
        match self {
            TargetVerifyState::Reading => "reading",
            TargetVerifyState::Done => "done",
            TargetVerifyState::Failed => "failed",
        }
    }

    /// The state a word names.
    pub fn from_word(word: &str) -> Option<TargetVerifyState> {
        [
            TargetVerifyState::Reading,
            TargetVerifyState::Done,
            TargetVerifyState::Failed,
        ]
        .into_iter()
        .find(|s| s.word() == word)
    }
}

/// One target's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetVerified {
    /// The lane.
    pub target: Target,
    /// Where it stands.
    pub state: TargetVerifyState,
    /// Its numbers.
    pub counts: VerifyCounts,
    /// The run's first landing in the group (the walk starts there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seq: Option<u64>,
    /// The group's newest `MsgSeq` the walk reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_seq: Option<u64>,
    /// Why it could not be read, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a verification ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyStatus {
    /// Every target read: the findings are complete.
    Done,
    /// Stopped before the end (Ctrl-C, the console); a later verify goes on from there.
    Interrupted,
    /// A target could not be read, or the service refused everything.
    Stopped,
}

impl VerifyStatus {
    /// The ledger's word.
    pub fn word(self) -> &'static str {
        match self {
            VerifyStatus::Done => "done",
            VerifyStatus::Interrupted => "interrupted",
            VerifyStatus::Stopped => "stopped",
        }
    }
}

/// A verification, summed up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifySummary {
    /// The verification's id in the ledger.
    pub verification_id: i64,
    /// The run verified.
    pub run_id: i64,
    /// How it ended.
    pub status: VerifyStatus,
    /// Per target.
    pub targets: Vec<TargetVerified>,
    /// The sum.
    pub totals: VerifyCounts,
}

impl VerifySummary {
    /// The exit code: 3 when a target could not be read or the verification stopped, 130 when
    /// interrupted, 1 when anything differs, 0 when everything matches.
    pub fn exit(&self) -> Exit {
        match self.status {
            VerifyStatus::Interrupted => Exit::Interrupted,
            VerifyStatus::Stopped => Exit::Stopped,
            VerifyStatus::Done if self.totals.differences() > 0 => Exit::Failed,
            VerifyStatus::Done => Exit::Done,
        }
    }
}

/// The latest verification of a run, as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerificationLine {
    /// Its id.
    pub verification_id: i64,
    /// `running` (or killed while running), `done`, `interrupted` or `stopped`.
    pub status: String,
    /// Unix ms.
    pub started_at: i64,
    /// Unix ms of the latest invocation's end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// Per target it reached.
    pub targets: Vec<TargetVerified>,
    /// The sum.
    pub totals: VerifyCounts,
}

/// What a verification tells as it goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum VerifyEvent {
    /// It began (or resumed).
    VerifyStarted {
        /// Its id.
        verification_id: i64,
        /// The run.
        run_id: i64,
        /// True when it goes on from an earlier invocation.
        resumed: bool,
        /// The targets in scope.
        targets: Vec<Target>,
        /// Messages the ledger records as landed, over every target in scope.
        expected: u64,
        /// Of those, already looked at by an earlier invocation.
        checked: u64,
    },
    /// More of the run's messages were looked at.
    Progress {
        /// The lane.
        target: Target,
        /// Looked at over every target.
        checked: u64,
        /// Differences over every target.
        differences: u64,
    },
    /// A difference.
    Finding(Box<Finding>),
    /// Reading a group ran into trouble (retried, or the target failed).
    Trouble {
        /// The lane.
        target: Target,
        /// What went wrong.
        failure: Failure,
        /// True when it is tried again.
        retrying: bool,
    },
    /// A target is read to its end (or failed).
    TargetVerified(TargetVerified),
    /// The end (the last event).
    VerifyFinished(VerifySummary),
}
