//! A target's plan: its messages in batches, each with the exact request bytes, plus what the
//! operator should know (split seconds, replaced `Random`s, oversize messages).

use super::random_set::RandomSet;

use bytes::Bytes;
use serde::Serialize;

use super::batches::{MAX_BATCH_SIZE, batch_ranges, split_seconds};
use super::random::derive_random_salted;
use super::same_second::{SameSecond, Spreader};
use crate::api::types::{ImportGroupMsgRequest, ImportMsg};
use crate::staging::options::DEFAULT_MAX_MESSAGE_BYTES;
use crate::staging::{Loaded, SourceRef, StagedMessage, Target};

/// How to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// Messages per request, 1 to 7 (`--batch-size`).
    pub batch_size: usize,
    /// Largest message as sent (`--max-message-bytes`); larger ones are planned with a warning.
    pub max_message_bytes: usize,
    /// `RecentContactFlag` for every request; `None` takes it from the staged request bodies.
    pub recent_contact_flag: Option<u8>,
    /// What a second holding more messages than a request gets (`--same-second`).
    pub same_second: SameSecond,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            batch_size: MAX_BATCH_SIZE,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            recent_contact_flag: None,
            same_second: SameSecond::Keep,
        }
    }
}

/// One message as it will be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedMessage {
    /// Where it was staged.
    pub source: SourceRef,
    /// Sender.
    pub from_account: String,
    /// Unix seconds: the `SendTime` sent.
    pub send_time: i64,
    /// The `SendTime` as staged, when `--same-second spread` moved the message (to
    /// `send_time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staged_send_time: Option<i64>,
    /// The `Random` sent.
    pub random: u32,
    /// True when `random` is the staged value, false when timport derived it.
    pub random_was_staged: bool,
    /// Its size in the request (compact JSON).
    pub bytes: usize,
}

/// One request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// 0-based position in the target's plan.
    pub index: usize,
    /// Its messages, in order.
    pub messages: Vec<PlannedMessage>,
    /// The exact request body: compact JSON, produced once. The preview, the ledger and the HTTP
    /// request all use these bytes.
    pub body: Bytes,
}

impl Batch {
    /// The body for people: indented, keys in the same order (a view of [`Batch::body`]).
    pub fn pretty(&self) -> String {
        super::pretty(&self.body)
    }
}

/// What kind of remark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanWarningKind {
    /// A second holds more messages than a request: it is split across requests.
    SecondSplit,
    /// A second holds more messages than a request: its overflow is sent later (`spread`).
    SecondSpread,
    /// A staged `Random` repeats an earlier one of the target and was replaced.
    RandomReplaced,
    /// A message is larger than the size limit; the service will refuse it.
    MessageTooLarge,
    /// The messages are not in ascending `SendTime` order.
    OutOfOrder,
    /// Some staged bodies set `RecentContactFlag` and others not.
    MixedRecentContact,
}

/// A remark about a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanWarning {
    /// Which kind.
    pub kind: PlanWarningKind,
    /// The message concerned, if one.
    pub source: Option<SourceRef>,
    /// What and why.
    pub message: String,
}

/// A target's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPlan {
    /// The target.
    pub target: Target,
    /// `RecentContactFlag` of every request.
    pub recent_contact_flag: Option<u8>,
    /// The requests, in order.
    pub batches: Vec<Batch>,
    /// Remarks.
    pub warnings: Vec<PlanWarning>,
}

impl TargetPlan {
    /// Messages planned.
    pub fn message_count(&self) -> usize {
        self.batches.iter().map(|b| b.messages.len()).sum()
    }

    /// The messages `spread` moved, in order.
    pub fn moved(&self) -> impl Iterator<Item = &PlannedMessage> {
        self.batches
            .iter()
            .flat_map(|b| &b.messages)
            .filter(|m| m.staged_send_time.is_some())
    }
}

/// Plans a target's valid messages, given in import order (as [`crate::staging::Staging::load`]
/// returns them). Nothing is dropped, added or reordered.
pub fn plan_target(target: &Target, messages: &[StagedMessage], opts: &PlanOptions) -> TargetPlan {
    plan_part(target, messages, opts, &mut PlanState::default())
}

/// Plans a target's messages as [`crate::staging::Staging::load`] gave them: its valid ones,
/// with the places where an invalid one sits between them (under `--same-second spread` the
/// next second starts there).
pub fn plan_loaded(target: &Target, loaded: &Loaded, opts: &PlanOptions) -> TargetPlan {
    plan_part_after(
        target,
        &loaded.messages,
        &loaded.after_invalid,
        opts,
        &mut PlanState::default(),
    )
}

/// What planning a target part by part carries from one part to the next: the `Random`s already
/// given, the number of the next batch, and where spreading stands.
#[derive(Debug, Clone, Default)]
pub struct PlanState {
    used: RandomSet,
    next_batch: usize,
    spreader: Option<Spreader>,
}

/// Plans the next part of a target: the messages right after those already planned with
/// `state`. When every part starts and ends at a batch boundary of the whole target (see
/// [`batch_ranges`]), the parts together are exactly [`plan_target`] of the whole (same
/// `Random`s, batch numbers and bytes; pass the target's `RecentContactFlag` in `opts`), while
/// only one part's messages are in memory at a time (the engine's use).
pub fn plan_part(
    target: &Target,
    messages: &[StagedMessage],
    opts: &PlanOptions,
    state: &mut PlanState,
) -> TargetPlan {
    plan_part_after(target, messages, &[], opts, state)
}

/// [`plan_part`] of messages with invalid ones between them: `after_invalid` are the places in
/// `messages` of those with an invalid one right before them (`Loaded::after_invalid`).
pub fn plan_part_after(
    target: &Target,
    messages: &[StagedMessage],
    after_invalid: &[usize],
    opts: &PlanOptions,
    state: &mut PlanState,
) -> TargetPlan {
    let mut warnings = Vec::new();
    let staged_times: Vec<i64> = messages.iter().map(|m| m.msg.send_time).collect();
    let spreader = state
        .spreader
        .get_or_insert_with(|| Spreader::new(opts.same_second, opts.batch_size));
    // The times sent: batches are cut over them.
    let times: Vec<i64> = staged_times
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            if after_invalid.contains(&i) {
                spreader.barrier();
            }
            spreader.next(t)
        })
        .collect();
    if let Some(i) = staged_times.windows(2).position(|w| w[1] < w[0]) {
        warnings.push(PlanWarning {
            kind: PlanWarningKind::OutOfOrder,
            source: Some(messages[i + 1].source.clone()),
            message: "the messages are not in ascending SendTime order; the service refuses a message older than one already imported (10004)".into(),
        });
    }
    for (time, count) in split_seconds(&staged_times, opts.batch_size) {
        let first = staged_times.iter().position(|&t| t == time).unwrap_or(0);
        let size = opts.batch_size.clamp(1, MAX_BATCH_SIZE);
        let (kind, what) = match opts.same_second {
            SameSecond::Keep => (
                PlanWarningKind::SecondSplit,
                "they are split across requests, which the service may refuse if it wants strictly later times (--same-second spread sends the overflow later instead)",
            ),
            SameSecond::Spread => (
                PlanWarningKind::SecondSpread,
                "the overflow is sent one second later at a time (--same-second spread), each move recorded",
            ),
        };
        warnings.push(PlanWarning {
            kind,
            source: messages.get(first).map(|m| m.source.clone()),
            message: format!(
                "{count} messages share SendTime {time} ({}), more than one request holds ({size}); {what}",
                crate::clock::format_unix(time),
            ),
        });
    }
    let staged_flags = messages
        .iter()
        .filter(|m| m.recent_contact_flag == Some(1))
        .count();
    if staged_flags > 0 && staged_flags < messages.len() && opts.recent_contact_flag.is_none() {
        warnings.push(PlanWarning {
            kind: PlanWarningKind::MixedRecentContact,
            source: None,
            message: format!(
                "{staged_flags} of {} messages were staged in bodies with RecentContactFlag 1; every request of the target carries it",
                messages.len()
            ),
        });
    }
    let recent_contact_flag = opts.recent_contact_flag.or((staged_flags > 0).then_some(1));
    let finals = assign_randoms(target, messages, &mut state.used, &mut warnings);
    let first_batch = state.next_batch;
    let batches: Vec<Batch> = batch_ranges(&times, opts.batch_size)
        .into_iter()
        .enumerate()
        .map(|(index, range)| {
            let msgs: Vec<ImportMsg> = range
                .clone()
                .map(|i| ImportMsg {
                    random: Some(finals[i].0),
                    send_time: times[i],
                    ..messages[i].msg.clone()
                })
                .collect();
            let planned = range
                .zip(&msgs)
                .map(|(i, msg)| {
                    let bytes = serde_json::to_vec(msg).map_or(0, |v| v.len());
                    if bytes > opts.max_message_bytes {
                        warnings.push(PlanWarning {
                            kind: PlanWarningKind::MessageTooLarge,
                            source: Some(messages[i].source.clone()),
                            message: format!(
                                "{bytes} bytes as sent, over the {} byte limit; the service will refuse it (80002)",
                                opts.max_message_bytes
                            ),
                        });
                    }
                    PlannedMessage {
                        source: messages[i].source.clone(),
                        from_account: msg.from_account.clone(),
                        send_time: msg.send_time,
                        staged_send_time: (msg.send_time != staged_times[i])
                            .then_some(staged_times[i]),
                        random: finals[i].0,
                        random_was_staged: finals[i].1,
                        bytes,
                    }
                })
                .collect();
            let request = ImportGroupMsgRequest {
                group_id: target.group().to_owned(),
                recent_contact_flag,
                topic_id: target.topic().map(str::to_owned),
                msg_list: msgs,
            };
            Batch {
                index: first_batch + index,
                messages: planned,
                // A request of strings, numbers and JSON values always serializes.
                body: Bytes::from(serde_json::to_vec(&request).unwrap_or_default()),
            }
        })
        .collect();
    state.next_batch += batches.len();
    TargetPlan {
        target: target.clone(),
        recent_contact_flag,
        batches,
        warnings,
    }
}

/// `(random, was staged)` per message: the staged value unless an earlier message of the target
/// (in `used`) already uses it, else the derived value, re-salted until it is unused (and not 0).
fn assign_randoms(
    target: &Target,
    messages: &[StagedMessage],
    used: &mut RandomSet,
    warnings: &mut Vec<PlanWarning>,
) -> Vec<(u32, bool)> {
    messages
        .iter()
        .map(|m| {
            if let Some(r) = m.msg.random {
                if used.insert(r) {
                    return (r, true);
                }
            }
            let mut salt = 0;
            let derived = loop {
                let r = derive_random_salted(target, &m.source, &m.msg, salt);
                if r != 0 && used.insert(r) {
                    break r;
                }
                salt += 1;
            };
            if let Some(staged) = m.msg.random {
                warnings.push(PlanWarning {
                    kind: PlanWarningKind::RandomReplaced,
                    source: Some(m.source.clone()),
                    message: format!(
                        "staged Random {staged} is already used by an earlier message of this target; the service would drop this one as a repeat, so it is sent with Random {derived}"
                    ),
                });
            }
            (derived, false)
        })
        .collect()
}
