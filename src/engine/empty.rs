//! Which groups hold no message at all, asked with `get_group_info` (50 groups a call) while the
//! lanes start, so that a lane whose group is empty can skip the read-back before its first send.
//!
//! Why it is exact: the read-back before a lane's first send (`lane/readback.rs`) looks for the
//! lane's messages in the group (landed by an earlier process whose ledger lost them) and for
//! newer messages. A group whose `NextMsgSeq` is 1 has never held a message (the service numbers
//! every message of a group from 1, system messages included), so that read would find nothing;
//! the lane goes on exactly as if it had read an empty group. Anything else (a higher or missing
//! `NextMsgSeq`, an error for that group, a failed call, a topic of a Community group) means
//! "not known to be empty", and the lane reads back as before. A failed call ends the asking
//! (the lanes' own reads then meet the trouble and handle it: retries, a renewed UserSig).
//!
//! One call for 50 groups instead of one read per group: with many small groups those reads
//! were a fifth of the rate slots (every call of a run shares `--rate`, docs/duration.md).
//! The calls go through the run's limiter, longest lanes' groups first (the order lanes start
//! in).
//!
//! Owns: the asking and the answers. Must not touch: the ledger, the lanes' state.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::context::RunContext;
use super::outcome::{RetryKind, Verdict, classify_read};
use super::service::ImportService;
use crate::api::client::GROUP_INFO_CHUNK;
use crate::api::types::GroupInfo;

/// What is known so far: group -> empty or not; `finished` once every group was asked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    groups: HashMap<String, bool>,
    finished: bool,
}

/// The answers, shared by the lanes of a run.
#[derive(Debug, Clone)]
pub(crate) struct EmptyGroups {
    known: watch::Receiver<Known>,
}

impl EmptyGroups {
    /// Whether `group` is known to hold no message, once it was asked about (or everything was);
    /// false when the asking ended without an answer for it (the channel closed, or `stop`).
    pub(crate) async fn is_empty(&self, group: &str, stop: &CancellationToken) -> bool {
        let mut known = self.known.clone();
        let answered = tokio::select! {
            k = known.wait_for(|k| k.finished || k.groups.contains_key(group)) => {
                k.map(|k| k.groups.get(group).copied().unwrap_or(false)).ok()
            }
            () = stop.cancelled() => None,
        };
        answered.unwrap_or(false)
    }
}

/// Whether an answer says the group never held a message.
fn never_held_a_message(info: &GroupInfo) -> bool {
    info.error_code == 0 && info.next_msg_seq == Some(1)
}

/// Starts asking about `groups` (in the order given: the order lanes start in, each with its
/// lane's requests left as the priority of its call's rate slot); returns the answers and the
/// task (abort it when the lanes are done).
pub(crate) fn ask<S: ImportService>(
    ctx: Arc<RunContext<S>>,
    groups: Vec<(String, u64)>,
) -> (EmptyGroups, tokio::task::JoinHandle<()>) {
    let (tx, known) = watch::channel(Known::default());
    let task = tokio::spawn(async move {
        let mut pending_change = None;
        for chunk in groups.chunks(GROUP_INFO_CHUNK) {
            let priority = chunk.iter().map(|(_, p)| *p).max().unwrap_or(0);
            let ids: Vec<String> = chunk.iter().map(|(g, _)| g.clone()).collect();
            let change = tokio::select! {
                change = ctx.limiter.take(priority) => change,
                () = ctx.shutdown.cancelled() => break,
            };
            let answered = ctx.service.group_info(ids.clone()).await;
            ctx.rate_changed(change).await;
            let Ok(answers) = answered.inspect_err(|e| {
                if let Verdict::Retry(RetryKind::RateLimit, _) = classify_read(e) {
                    // The limiter hears of it as of any refusal (the lanes' reads follow).
                    let change = ctx.limiter.refused(tokio::time::Instant::now());
                    pending_change = pending_change.or(change);
                }
            }) else {
                // The lanes read back; asking on would likely be refused the same way.
                break;
            };
            let by_id: HashMap<&str, bool> = answers
                .iter()
                .map(|i| (i.group_id.as_str(), never_held_a_message(i)))
                .collect();
            tx.send_modify(|k| {
                for id in &ids {
                    let empty = by_id.get(id.as_str()).copied().unwrap_or(false);
                    k.groups.insert(id.clone(), empty);
                }
            });
        }
        tx.send_modify(|k| k.finished = true);
        ctx.rate_changed(pending_change).await;
    });
    (EmptyGroups { known }, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str, code: i64, next: Option<u64>) -> GroupInfo {
        GroupInfo {
            error_code: code,
            group_id: id.into(),
            next_msg_seq: next,
            ..GroupInfo::default()
        }
    }

    #[test]
    fn only_a_group_numbered_from_one_with_no_error_is_empty() {
        assert!(never_held_a_message(&info("a", 0, Some(1))));
        assert!(!never_held_a_message(&info("b", 0, Some(2))), "one message");
        assert!(!never_held_a_message(&info("c", 0, None)), "not said");
        assert!(!never_held_a_message(&info("d", 10010, Some(1))), "refused");
    }
}
