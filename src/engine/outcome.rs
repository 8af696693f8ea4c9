//! Classifying an answer into what the lane does next. Pure; every explanation comes from
//! `api::catalogue` (service codes and local failures) or, for findings of the engine itself
//! that have no service code, from [`EngineReason`] here: the one place those are worded.
//!
//! Import answers ([`classify_import`]):
//! - a usable answer with one result per message sent: each message done or failed
//!   (`explain_message_result`);
//! - an answer whose result count differs from the messages sent: the outcome is **unknown**
//!   (a missing result could hide a message that landed, so it is settled by reading back
//!   rather than called failed);
//! - no usable answer after sending (timeout, dropped connection, 5xx, unreadable 200):
//!   **unknown**, settled by reading back before anything is sent again;
//! - a refusal or a failure to connect, by the catalogue's class: transient -> retry with
//!   backoff; rate limit -> tell the limiter and retry; auth -> renew the UserSig once and retry;
//!   region/configuration -> stop the run; group -> stop the lane; data/content -> every message
//!   of the request failed with that code; a code the catalogue does not know -> pause the lane.
//!
//! Read-back failures ([`classify_read`]) follow the same classes, except that a read changes
//! nothing, so an outcome the transport cannot tell is simply retried.

use super::events::Failure;
use crate::api::catalogue::{ErrorClass, explain_message_result};
use crate::api::error::ApiError;
use crate::api::types::ImportGroupMsgResponse;

/// What one message of an answered request became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageVerdict {
    /// Stored, with its sequence and time.
    Done {
        /// Group sequence.
        msg_seq: u64,
        /// Stored time.
        msg_time: i64,
    },
    /// Refused with this explanation.
    Failed(Failure),
}

/// Which retry budget a retry draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    /// Passing trouble: exponential backoff, [`super::options::RetryPolicy::transient_tries`].
    Transient,
    /// Too many requests: the limiter slows down; [`super::options::RetryPolicy::rate_tries`].
    RateLimit,
}

/// What the lane does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// One verdict per message, in request order.
    Answered(Vec<MessageVerdict>),
    /// It may or may not have landed: settle by reading back.
    Unknown(Failure),
    /// Nothing landed; send the same request again after a pause.
    Retry(RetryKind, Failure),
    /// The signature was refused: renew it once and retry; a second refusal stops the run.
    RenewAuth(Failure),
    /// Nothing can succeed with this setup (region, configuration): stop the run.
    StopRun(Failure),
    /// This group cannot take the import: stop its lane; the run goes on.
    StopLane(Failure),
    /// The request as a whole was refused for its content: each of its messages failed.
    BatchFailed(Failure),
    /// A refusal nobody knows how to handle: pause the lane at its first message.
    PauseLane(Failure),
}

/// The failure an API error stands for, in the catalogue's words.
pub fn failure_of(e: &ApiError) -> Failure {
    let detail = match e {
        ApiError::Service { info, .. } => info.clone(),
        ApiError::Http { status, detail, .. } if detail.is_empty() => format!("HTTP {status}"),
        ApiError::Http { status, detail, .. } => format!("HTTP {status}: {detail}"),
        ApiError::Transport { detail, .. }
        | ApiError::BadAnswer { detail, .. }
        | ApiError::Encode { detail, .. } => detail.clone(),
    };
    Failure {
        code: e.code(),
        meaning: e.meaning().to_owned(),
        remedy: e.remedy().to_owned(),
        detail,
    }
}

/// Classifies the answer to an import request that carried `sent` messages.
pub fn classify_import(answer: &Result<ImportGroupMsgResponse, ApiError>, sent: usize) -> Verdict {
    match answer {
        Ok(resp) if resp.import_msg_result.len() == sent => Verdict::Answered(
            resp.import_msg_result
                .iter()
                .map(|r| match r.result {
                    0 => MessageVerdict::Done {
                        msg_seq: r.msg_seq,
                        msg_time: r.msg_time,
                    },
                    code => MessageVerdict::Failed(Failure::from_explanation(
                        explain_message_result(code),
                        "",
                    )),
                })
                .collect(),
        ),
        Ok(resp) => Verdict::Unknown(EngineReason::ResultCount.failure(format!(
            "{} results for {sent} messages",
            resp.import_msg_result.len()
        ))),
        Err(e) if e.outcome_unknown() => Verdict::Unknown(failure_of(e)),
        Err(e) => by_class(e),
    }
}

/// The service does not take `RecentContactFlag` for Community groups (`@TGS#_` ids): a
/// request-level 10004 answering a request that carried it to one is that refusal, and every
/// later request of the group would meet it too. The lane stops at once with that reason
/// (nothing of the request was applied) instead of failing each batch's messages with a
/// time-related remedy.
pub fn community_flag(verdict: Verdict, carried_flag: bool, group: &str) -> Verdict {
    match verdict {
        Verdict::BatchFailed(f)
            if carried_flag && f.code == Some(10004) && group.starts_with("@TGS#_") =>
        {
            let (meaning, remedy) = EngineReason::CommunityRecentContact.explain();
            Verdict::StopLane(Failure {
                code: f.code,
                meaning: meaning.to_owned(),
                remedy: remedy.to_owned(),
                detail: f.detail,
            })
        }
        other => other,
    }
}

/// Classifies a failed read-back (`group_msg_get_simple`).
pub fn classify_read(e: &ApiError) -> Verdict {
    if e.outcome_unknown() {
        return Verdict::Retry(RetryKind::Transient, failure_of(e));
    }
    match by_class(e) {
        // A read that is refused for its content names a group or topic that cannot be read.
        Verdict::BatchFailed(f) => Verdict::StopLane(f),
        other => other,
    }
}

fn by_class(e: &ApiError) -> Verdict {
    let f = failure_of(e);
    match e.class() {
        ErrorClass::Transient => Verdict::Retry(RetryKind::Transient, f),
        ErrorClass::RateLimit => Verdict::Retry(RetryKind::RateLimit, f),
        ErrorClass::Auth => Verdict::RenewAuth(f),
        ErrorClass::Region | ErrorClass::Configuration => Verdict::StopRun(f),
        ErrorClass::Group => Verdict::StopLane(f),
        ErrorClass::Data | ErrorClass::Content => Verdict::BatchFailed(f),
        ErrorClass::Unknown => Verdict::PauseLane(f),
    }
}

/// Findings of the engine itself, with no service code behind them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineReason {
    /// The answer did not carry one result per message.
    ResultCount,
    /// A read-back found later messages of the same request but not this one.
    OvertakenInRequest,
    /// On resume, a read-back found later messages of the target in the group but not this one.
    Overtaken,
    /// The read-back could not reach back far enough to settle the request.
    SettleWindow,
    /// A transient failure lasted through every retry.
    GaveUp,
    /// The staged message breaks a rule.
    Invalid,
    /// An edited message breaks a rule, so the decision was not carried out.
    EditRefused,
    /// The service answered with a sequence number another message already holds.
    Repeat,
    /// The guard held it back: older than the newest message the lane landed in its target.
    Behind,
    /// An edit gave it a SendTime older than the newest message the lane landed.
    EditBehind,
    /// The group's newest message is newer than this one and was not sent by this lane.
    OtherWriter,
    /// Refused for its time (10004) under `--same-second keep`: it shares its second with a
    /// message an earlier request of the lane landed (a burst split across requests).
    BurstOverflow,
    /// `RecentContactFlag` went to a Community group, which does not take it.
    CommunityRecentContact,
    /// A staged group that exists already cannot take its staged history (type or creation).
    ExistingGroup,
    /// An earlier invocation of this run refused the group.
    GroupRefusedBefore,
    /// The groups phase did not make the group ready (refused, or its calls kept failing).
    GroupNotReady,
    /// A group's members wait for its messages: unread counts set before them would be reset.
    MembersWait,
    /// Messages landed after the unread counts were set, which reset them.
    UnreadReset,
}

/// What to do with a message that can no longer go in at its time (one remedy for the guard's
/// hold and for a refused edit, so the console and the headless output say the same).
const BEHIND_REMEDY: &str = "Skip it with a reason, or retry it edited with a SendTime no older than the group's newest message; that changes the history's order (it shows after messages that were sent later)";

impl EngineReason {
    /// What it means and what to do.
    pub fn explain(self) -> (&'static str, &'static str) {
        match self {
            EngineReason::BurstOverflow => (
                "the service refused its SendTime (10004): it equals the time of a message an earlier request of this group landed. Under --same-second keep a second holding more messages than a request (a burst) is split across requests, and this service takes only times strictly later than the group's newest",
                "Skip it with a reason, or retry it edited to a later SendTime. To import bursts whole, use --same-second spread: it sends a burst's overflow one second later at a time, each move recorded. A run keeps the policy it began with, so start one with --new-run --same-second spread (each lane reads its group back first: nothing lands twice)",
            ),
            EngineReason::ResultCount => (
                "the answer did not carry one result per message sent; whether they landed is unknown",
                "timport reads the group back to settle it before sending anything again",
            ),
            EngineReason::OvertakenInRequest => (
                "the read-back shows later messages of the same request in the group but not this one: it did not go in, and a message older than the group's newest can no longer go in",
                "Skip it with a reason, or retry it if it shares its second with the messages after it",
            ),
            EngineReason::Overtaken => (
                "the read-back shows later messages of this group in the group but not this one, so it did not go in and can no longer go in before them",
                "Skip it with a reason; check the ledger's decisions for how it was handled before",
            ),
            EngineReason::SettleWindow => (
                "the group could not be read back far enough to tell whether the request landed",
                "Check the group's history in the Chat console; decide with retry (if it did not land) or skip",
            ),
            EngineReason::GaveUp => (
                "the request kept failing through every retry",
                "Check the network and the service status, then retry the lane",
            ),
            EngineReason::Invalid => (
                "the staged message breaks a rule and cannot be sent as written",
                "Fix it (retry edited) or skip it with a reason",
            ),
            EngineReason::EditRefused => (
                "the edited message breaks a rule, so it was not sent",
                "Fix the problems named and decide again",
            ),
            EngineReason::Repeat => (
                "the service took it for a repeat of an earlier message (the same Random within five minutes) and did not store it",
                "Retry it edited with another Random, or skip it if it really is a repeat",
            ),
            EngineReason::Behind => (
                "it is older than the newest message timport has landed in this group, so the service would refuse it (10004) for ever: it was not sent",
                BEHIND_REMEDY,
            ),
            EngineReason::EditBehind => (
                "the edited SendTime is older than the newest message timport has landed in this group, so the service would refuse it (10004) for ever: the edit was not carried out",
                BEHIND_REMEDY,
            ),
            EngineReason::ExistingGroup => (
                "the group exists already and cannot take the staged history",
                "Stage the history under a new GroupId (timport creates it with the staged CreateTime), or make groups.jsonl say what the group is",
            ),
            EngineReason::GroupRefusedBefore => (
                "an earlier invocation of this run refused this group",
                "See why in the detail; fix groups.jsonl and start a new run (--new-run), or run again with --retry-failed",
            ),
            EngineReason::GroupNotReady => (
                "the groups phase did not make this group ready, so its messages and members were not sent",
                "See the groups phase's words for this group; run again once it is fixed",
            ),
            EngineReason::MembersWait => (
                "the group's members and unread counts wait for its messages: every imported message resets unread counts to 0",
                "Finish the group's messages (decide about the failed ones), then run again: the members phase follows",
            ),
            EngineReason::UnreadReset => (
                "messages were imported into the group after its unread counts were set, which reset them to 0",
                "timport sets them again now",
            ),
            EngineReason::OtherWriter => (
                "someone else is writing to this group: its newest message is newer than this one and was not sent by this run, so the service refuses this one (10004); the lane stopped instead of sending messages that will be refused",
                "Find and stop the other writer (another tool, machine or timport process), then retry: messages no older than the group's newest still go in; older ones can only be skipped, or given a newer SendTime (that changes the history's order)",
            ),
            EngineReason::CommunityRecentContact => (
                "RecentContactFlag is not supported for Community groups, and this group's requests carry it (its messages were staged in request bodies with RecentContactFlag: 1); the service refused the request as an invalid parameter (10004), so nothing of it went in",
                "Remove RecentContactFlag from this group's staged request bodies and run again; the lane stopped before sending anything else",
            ),
        }
    }

    /// The service's refusal `refused` (its code and words kept) explained as this reason.
    pub fn explains(self, refused: Failure) -> Failure {
        let (meaning, remedy) = self.explain();
        Failure {
            meaning: meaning.to_owned(),
            remedy: remedy.to_owned(),
            ..refused
        }
    }

    /// The failure, with `detail`.
    pub fn failure(self, detail: impl Into<String>) -> Failure {
        let (meaning, remedy) = self.explain();
        Failure {
            code: None,
            meaning: meaning.to_owned(),
            remedy: remedy.to_owned(),
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::catalogue::{LocalFailure, explain};
    use crate::api::types::{Command, ImportMsgResult};

    fn refused(code: i64) -> Result<ImportGroupMsgResponse, ApiError> {
        Err(ApiError::Service {
            command: Command::ImportGroupMsg,
            code,
            info: "words".into(),
        })
    }

    fn transport(failure: LocalFailure) -> ApiError {
        ApiError::Transport {
            command: Command::ImportGroupMsg,
            failure,
            detail: "x".into(),
        }
    }

    fn http(status: u16) -> ApiError {
        ApiError::Http {
            command: Command::ImportGroupMsg,
            status,
            detail: String::new(),
        }
    }

    fn kind(v: &Verdict) -> &'static str {
        match v {
            Verdict::Answered(_) => "answered",
            Verdict::Unknown(_) => "unknown",
            Verdict::Retry(RetryKind::Transient, _) => "retry",
            Verdict::Retry(RetryKind::RateLimit, _) => "rate",
            Verdict::RenewAuth(_) => "auth",
            Verdict::StopRun(_) => "stop run",
            Verdict::StopLane(_) => "stop lane",
            Verdict::BatchFailed(_) => "batch failed",
            Verdict::PauseLane(_) => "pause",
        }
    }

    #[test]
    fn recent_contact_flag_to_a_community_group_stops_the_lane_with_that_reason() {
        let bad = || classify_import(&refused(10004), 3);
        assert_eq!(kind(&bad()), "batch failed");
        let v = community_flag(bad(), true, "@TGS#_club");
        let Verdict::StopLane(f) = &v else {
            panic!("{v:?}");
        };
        assert_eq!(f.code, Some(10004));
        assert!(
            f.meaning
                .contains("RecentContactFlag is not supported for Community groups")
        );
        assert!(!f.remedy.contains("SendTime"), "{}", f.remedy);
        assert_eq!(f.detail, "words", "the service's ErrorInfo is kept");
        // Without the flag, or to another group, or another code: unchanged.
        assert_eq!(
            kind(&community_flag(bad(), false, "@TGS#_club")),
            "batch failed"
        );
        assert_eq!(
            kind(&community_flag(bad(), true, "@TGS#2abc")),
            "batch failed"
        );
        let other = classify_import(&refused(80001), 3);
        assert_eq!(
            kind(&community_flag(other, true, "@TGS#_club")),
            "batch failed"
        );
    }

    #[test]
    fn refusals_map_by_catalogue_class() {
        let table: &[(i64, &str)] = &[
            (10002, "retry"),
            (60008, "retry"),
            (70169, "retry"),
            (70500, "retry"),
            (60007, "rate"),
            (60011, "rate"),
            (60018, "rate"),
            (60019, "rate"),
            (10006, "rate"),
            (10023, "rate"),
            (70001, "auth"),
            (70003, "auth"),
            (60004, "auth"),
            (70052, "auth"),
            (70016, "stop run"),
            (70020, "stop run"),
            (60006, "stop run"),
            (60021, "stop run"),
            (10007, "stop lane"),
            (10010, "stop lane"),
            (10015, "stop lane"),
            (10004, "batch failed"),
            (10019, "batch failed"),
            (70107, "batch failed"),
            (10020, "batch failed"),
            (80002, "batch failed"),
            (93000, "batch failed"),
            (99999, "pause"),
        ];
        for &(code, expected) in table {
            let v = classify_import(&refused(code), 3);
            assert_eq!(kind(&v), expected, "code {code}");
        }
        // The failure carries the catalogue's words and the service's text.
        let Verdict::StopLane(f) = classify_import(&refused(10010), 1) else {
            panic!("10010 stops the lane")
        };
        assert_eq!(f.code, Some(10010));
        assert_eq!(f.meaning, explain(10010).meaning);
        assert_eq!(f.remedy, explain(10010).remedy);
        assert_eq!(f.detail, "words");
    }

    #[test]
    fn transport_outcomes_split_into_retry_and_unknown() {
        let cases: Vec<(ApiError, &str)> = vec![
            (transport(LocalFailure::Connect), "retry"),
            (transport(LocalFailure::Timeout), "unknown"),
            (transport(LocalFailure::Dropped), "unknown"),
            (http(502), "unknown"),
            (http(504), "unknown"),
            (http(429), "rate"),
            (http(404), "stop run"),
            (
                ApiError::BadAnswer {
                    command: Command::ImportGroupMsg,
                    detail: "html".into(),
                },
                "unknown",
            ),
        ];
        for (e, expected) in cases {
            assert_eq!(kind(&classify_import(&Err(e.clone()), 2)), expected, "{e}");
        }
        let Verdict::Unknown(f) = classify_import(&Err(http(502)), 1) else {
            panic!()
        };
        assert_eq!((f.code, f.detail.as_str()), (None, "HTTP 502"));
        assert_eq!(f.meaning, LocalFailure::HttpStatus.explain().0);
    }

    #[test]
    fn answers_give_one_verdict_per_message_or_are_unknown() {
        let result = |result, msg_seq| ImportMsgResult {
            result,
            msg_time: 100,
            msg_seq,
        };
        let ok = ImportGroupMsgResponse {
            import_msg_result: vec![result(0, 5), result(10004, 0), result(80002, 0)],
        };
        let Verdict::Answered(v) = classify_import(&Ok(ok.clone()), 3) else {
            panic!()
        };
        assert_eq!(
            v[0],
            MessageVerdict::Done {
                msg_seq: 5,
                msg_time: 100
            }
        );
        let MessageVerdict::Failed(f) = &v[1] else {
            panic!()
        };
        assert_eq!(f.code, Some(10004));
        assert_eq!(f.meaning, explain_message_result(10004).meaning);
        assert!(matches!(&v[2], MessageVerdict::Failed(f) if f.code == Some(80002)));
        // A short answer could hide a landed message: unknown, not failed.
        let Verdict::Unknown(f) = classify_import(&Ok(ok), 4) else {
            panic!()
        };
        assert!(
            f.detail.contains("3 results for 4 messages"),
            "{}",
            f.detail
        );
    }

    #[test]
    fn read_back_failures_are_retried_or_escalated() {
        let read = |e: ApiError| kind(&classify_read(&e));
        assert_eq!(read(transport(LocalFailure::Timeout)), "retry");
        assert_eq!(read(http(503)), "retry");
        assert_eq!(read(transport(LocalFailure::Connect)), "retry");
        let service = |code| ApiError::Service {
            command: Command::GroupMsgGetSimple,
            code,
            info: String::new(),
        };
        assert_eq!(read(service(10002)), "retry");
        assert_eq!(read(service(60007)), "rate");
        assert_eq!(read(service(70001)), "auth");
        assert_eq!(read(service(70020)), "stop run");
        assert_eq!(read(service(10010)), "stop lane");
        assert_eq!(read(service(10004)), "stop lane");
        assert_eq!(read(service(12345)), "pause");
    }

    #[test]
    fn engine_reasons_are_worded_once() {
        for r in [
            EngineReason::ResultCount,
            EngineReason::OvertakenInRequest,
            EngineReason::Overtaken,
            EngineReason::SettleWindow,
            EngineReason::GaveUp,
            EngineReason::Invalid,
            EngineReason::EditRefused,
            EngineReason::Repeat,
            EngineReason::BurstOverflow,
        ] {
            let f = r.failure("d");
            assert!(!f.meaning.is_empty() && !f.remedy.is_empty());
            assert_eq!((f.code, f.detail.as_str()), (None, "d"));
        }
    }
}
