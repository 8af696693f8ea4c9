//! Work from lists in memory ([`MemoryWork`]): messages given directly instead of read from a
//! staging directory, batched seven at a time. For tests, benchmarks and demos that drive the
//! engine without files; a real run uses the staging directory and the planner.

use bytes::Bytes;

use super::events::SourceRef;
use super::target::Target;
use super::work::{
    BatchWork, BodyHead, InvalidWork, MessageWork, TargetInfo, TargetWork, WorkItem, WorkSource,
};
use crate::api::types::ImportMsg;

/// Messages per request.
const BATCH: usize = 7;

/// One message of a list.
#[derive(Debug, Clone, PartialEq)]
pub enum MemoryEntry {
    /// A message to send; it must carry its `Random`.
    Msg(ImportMsg),
    /// A message that breaks a rule.
    Invalid {
        /// Why.
        problem: String,
        /// Its text.
        raw: String,
        /// Its place in time.
        send_time: i64,
    },
}

/// Where message `i` of `target`'s list is said to be staged: `<group>.jsonl`, line `i + 1`.
pub fn source_in_list(target: &Target, i: usize) -> SourceRef {
    SourceRef {
        file: format!("{}.jsonl", target.group()).into(),
        line: u32::try_from(i + 1).unwrap_or(u32::MAX),
        offset: i as u64 * 100,
        item: 0,
    }
}

/// Targets with their messages in order. Message `i` of target `t` is staged at
/// `<group>.jsonl`, line `i + 1`.
#[derive(Debug, Clone, Default)]
pub struct MemoryWork {
    targets: Vec<(Target, Vec<MemoryEntry>)>,
}

impl MemoryWork {
    /// Work over these targets, in this order.
    pub fn new(targets: Vec<(Target, Vec<MemoryEntry>)>) -> MemoryWork {
        MemoryWork { targets }
    }
}

impl WorkSource for MemoryWork {
    fn targets(&self) -> Vec<TargetInfo> {
        self.targets
            .iter()
            .map(|(target, entries)| TargetInfo {
                target: target.clone(),
                messages: entries.len() as u64,
                batches: entries
                    .iter()
                    .filter(|e| matches!(e, MemoryEntry::Msg(_)))
                    .count()
                    .div_ceil(BATCH) as u64,
            })
            .collect()
    }

    fn load(&self, target: &Target) -> Result<TargetWork, String> {
        let (_, entries) = self
            .targets
            .iter()
            .find(|(t, _)| t == target)
            .ok_or_else(|| format!("no messages for {target}"))?;
        let head = BodyHead::for_target(target);
        let mut items = Vec::with_capacity(entries.len());
        let mut batches: Vec<BatchWork> = Vec::new();
        let mut open: Vec<String> = Vec::new();
        let mut start = 0;
        let close = |batches: &mut Vec<BatchWork>, open: &mut Vec<String>, start, end| {
            if !open.is_empty() {
                let body: Bytes = head.body(open.iter().map(String::as_str));
                let index = batches.len() as u32;
                batches.push(BatchWork {
                    index,
                    body,
                    items: start..end,
                });
                open.clear();
            }
        };
        for (i, entry) in entries.iter().enumerate() {
            let source = source_in_list(target, i);
            match entry {
                MemoryEntry::Msg(msg) => {
                    if open.len() == BATCH {
                        close(&mut batches, &mut open, start, i);
                    }
                    if open.is_empty() {
                        start = i;
                    }
                    let json = serde_json::to_string(msg).map_err(|e| e.to_string())?;
                    let work = MessageWork::from_json(source, batches.len() as u32, &json)
                        .ok_or_else(|| format!("message {i} of {target} has no Random"))?;
                    open.push(json);
                    items.push(WorkItem::Valid(work));
                }
                MemoryEntry::Invalid {
                    problem,
                    raw,
                    send_time,
                } => items.push(WorkItem::Invalid(InvalidWork {
                    source,
                    send_time: Some(*send_time),
                    problem: problem.clone(),
                    raw: raw.clone(),
                })),
            }
        }
        close(&mut batches, &mut open, start, items.len());
        Ok(TargetWork {
            target: target.clone(),
            items,
            batches,
            head,
        })
    }

    fn prepare_edit(
        &self,
        _target: &Target,
        _source: &SourceRef,
        mut msg: ImportMsg,
    ) -> Result<ImportMsg, String> {
        if msg.from_account.is_empty() {
            return Err("From_Account is empty".into());
        }
        if msg.msg_body.is_empty() {
            return Err("MsgBody is empty".into());
        }
        if msg.random.is_none() {
            let json = serde_json::to_string(&msg).map_err(|e| e.to_string())?;
            // FNV-1a of the message: stable for the same edit.
            let hash = json.bytes().fold(0x811c_9dc5_u32, |h, b| {
                (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
            });
            msg.random = Some(hash);
        }
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::MsgElement;

    fn msg(time: i64, text: &str) -> MemoryEntry {
        MemoryEntry::Msg(ImportMsg {
            from_account: "a".into(),
            send_time: time,
            random: Some(time as u32),
            msg_body: vec![MsgElement::text(text)],
        })
    }

    #[test]
    fn lists_become_batches_of_seven_with_invalid_messages_in_place() {
        let t = Target::new("g", Some("g@TOPIC#_x"));
        let mut entries: Vec<MemoryEntry> = (0..9).map(|i| msg(i, &format!("m{i}"))).collect();
        entries.insert(
            3,
            MemoryEntry::Invalid {
                problem: "p".into(),
                raw: "{}".into(),
                send_time: 2,
            },
        );
        let work = MemoryWork::new(vec![(t.clone(), entries)]);
        assert_eq!(work.targets()[0].messages, 10);
        assert_eq!(work.targets()[0].batches, 2);
        let loaded = work.load(&t).unwrap();
        assert_eq!(loaded.items.len(), 10);
        assert!(matches!(loaded.items[3], WorkItem::Invalid(_)));
        assert_eq!(loaded.batches.len(), 2);
        let first: serde_json::Value = serde_json::from_slice(&loaded.batches[0].body).unwrap();
        assert_eq!(first["TopicId"], "g@TOPIC#_x");
        assert_eq!(first["MsgList"].as_array().unwrap().len(), 7);
        assert_eq!(loaded.items[9].source().line, 10);
        assert!(work.load(&Target::new("other", None)).is_err());

        let edit = ImportMsg {
            from_account: "a".into(),
            send_time: 1,
            random: None,
            msg_body: vec![MsgElement::text("x")],
        };
        let src = source_in_list(&t, 0);
        let prepared = work.prepare_edit(&t, &src, edit.clone()).unwrap();
        assert_eq!(
            prepared.random,
            work.prepare_edit(&t, &src, edit).unwrap().random
        );
        let empty = ImportMsg {
            msg_body: vec![],
            ..prepared
        };
        assert!(work.prepare_edit(&t, &src, empty).is_err());
    }
}
