//! Work from lists in memory ([`MemoryWork`]): messages given directly instead of read from a
//! staging directory, batched seven at a time. For tests, benchmarks and demos that drive the
//! engine without files; a real run uses the staging directory and the planner.

use std::sync::Arc;

use bytes::Bytes;

use super::events::SourceRef;
use super::target::Target;
use super::work::{
    BatchWork, BodyHead, InvalidWork, MessageWork, PART_MESSAGES, TargetInfo, TargetWork, WorkItem,
    WorkReader, WorkSource,
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
#[derive(Debug, Clone)]
pub struct MemoryWork {
    targets: Vec<(Target, Arc<Vec<MemoryEntry>>)>,
    part_batches: usize,
}

impl MemoryWork {
    /// Work over these targets, in this order, in parts of about [`PART_MESSAGES`].
    pub fn new(targets: Vec<(Target, Vec<MemoryEntry>)>) -> MemoryWork {
        MemoryWork {
            targets: targets
                .into_iter()
                .map(|(t, entries)| (t, Arc::new(entries)))
                .collect(),
            part_batches: PART_MESSAGES.div_ceil(BATCH),
        }
    }

    /// The same, read `batches` batches at a time (tests use small parts to cross many).
    pub fn in_parts_of(mut self, batches: usize) -> MemoryWork {
        self.part_batches = batches.max(1);
        self
    }
}

/// Reads one target's list a part at a time.
struct MemoryReader {
    target: Target,
    entries: Arc<Vec<MemoryEntry>>,
    head: BodyHead,
    part_batches: usize,
    /// The next entry to read.
    next: usize,
    /// The number of the next batch.
    next_batch: u32,
}

impl WorkReader for MemoryReader {
    fn next_part(&mut self) -> Result<Option<TargetWork>, String> {
        if self.next >= self.entries.len() {
            return Ok(None);
        }
        let mut items = Vec::new();
        let mut batches: Vec<BatchWork> = Vec::new();
        let mut open: Vec<String> = Vec::new();
        let mut start = 0;
        let first_batch = self.next_batch;
        let head = self.head.clone();
        let close = |batches: &mut Vec<BatchWork>, open: &mut Vec<String>, start, end| {
            if !open.is_empty() {
                let body: Bytes = head.body(open.iter().map(String::as_str));
                batches.push(BatchWork {
                    index: first_batch + batches.len() as u32,
                    body,
                    items: start..end,
                });
                open.clear();
            }
        };
        while let Some(entry) = self.entries.get(self.next) {
            let source = source_in_list(&self.target, self.next);
            match entry {
                MemoryEntry::Msg(msg) => {
                    if open.len() == BATCH {
                        close(&mut batches, &mut open, start, items.len());
                        if batches.len() == self.part_batches {
                            break;
                        }
                    }
                    if open.is_empty() {
                        start = items.len();
                    }
                    let json = serde_json::to_string(msg).map_err(|e| e.to_string())?;
                    let batch = first_batch + batches.len() as u32;
                    let work = MessageWork::from_json(source, batch, &json).ok_or_else(|| {
                        format!("message {} of {} has no Random", self.next, self.target)
                    })?;
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
                    order_time: *send_time,
                    moved_from: None,
                    problem: problem.clone(),
                    raw: raw.clone(),
                })),
            }
            self.next += 1;
        }
        close(&mut batches, &mut open, start, items.len());
        self.next_batch = first_batch + batches.len() as u32;
        Ok(Some(TargetWork {
            target: self.target.clone(),
            items,
            batches,
            head: self.head.clone(),
        }))
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

    fn open(&self, target: &Target) -> Result<Box<dyn WorkReader>, String> {
        let (_, entries) = self
            .targets
            .iter()
            .find(|(t, _)| t == target)
            .ok_or_else(|| format!("no messages for {target}"))?;
        Ok(Box::new(MemoryReader {
            target: target.clone(),
            entries: Arc::clone(entries),
            head: BodyHead::for_target(target),
            part_batches: self.part_batches,
            next: 0,
            next_batch: 0,
        }))
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
    fn lists_become_parts_of_whole_batches_with_invalid_messages_in_place() {
        let t = Target::new("g", Some("g@TOPIC#_x"));
        let mut entries: Vec<MemoryEntry> = (0..16).map(|i| msg(i, &format!("m{i}"))).collect();
        entries.insert(
            3,
            MemoryEntry::Invalid {
                problem: "p".into(),
                raw: "{}".into(),
                send_time: 2,
            },
        );
        let whole = MemoryWork::new(vec![(t.clone(), entries.clone())]);
        assert_eq!(whole.targets()[0].messages, 17);
        assert_eq!(whole.targets()[0].batches, 3);
        let mut reader = whole.open(&t).unwrap();
        let part = reader.next_part().unwrap().unwrap();
        assert_eq!(part.items.len(), 17);
        assert!(matches!(part.items[3], WorkItem::Invalid(_)));
        assert_eq!(part.batches.len(), 3);
        assert_eq!(part.batches[1].items, 8..15);
        let first: serde_json::Value = serde_json::from_slice(&part.batches[0].body).unwrap();
        assert_eq!(first["TopicId"], "g@TOPIC#_x");
        assert_eq!(first["MsgList"].as_array().unwrap().len(), 7);
        assert!(reader.next_part().unwrap().is_none());

        // In parts of one batch: the same batches, numbered on, each in its own part.
        let mut reader = MemoryWork::new(vec![(t.clone(), entries)])
            .in_parts_of(1)
            .open(&t)
            .unwrap();
        let mut parts = Vec::new();
        while let Some(part) = reader.next_part().unwrap() {
            parts.push(part);
        }
        let shape: Vec<(usize, u32, usize)> = parts
            .iter()
            .map(|p| (p.items.len(), p.batches[0].index, p.batches[0].items.len()))
            .collect();
        assert_eq!(shape, [(8, 0, 8), (7, 1, 7), (2, 2, 2)]);
        assert_eq!(parts[0].batches[0].body, part.batches[0].body);
        assert_eq!(parts[1].items[0].source().line, 9);
        assert!(MemoryWork::new(vec![]).open(&t).is_err());

        let edit = ImportMsg {
            from_account: "a".into(),
            send_time: 1,
            random: None,
            msg_body: vec![MsgElement::text("x")],
        };
        let work = MemoryWork::new(vec![]);
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
