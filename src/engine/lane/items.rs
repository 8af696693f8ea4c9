//! A lane's messages with their states, restored from the ledger, and the pure questions the
//! lane asks of them: what to send next and with which bytes, what counts where, what landed
//! after a message. Also where a message sits in the order (`SendTime`, then staged position):
//! an edited one is re-placed by its edited `SendTime`, and one that orders after every message
//! of the part is handed out to be carried to a later part.

use std::collections::HashMap;

use bytes::Bytes;

use crate::engine::events::{Failure, Landed, MessageOutcome, SourceRef};
use crate::engine::ledger::messages::{MessageMeta, fingerprint};
use crate::engine::ledger::{StoredMessage, StoredState};
use crate::engine::settle::Candidate;
use crate::engine::work::{BodyHead, MessageWork, TargetWork, WorkItem, shorten};

/// Most messages in one request (the service's limit).
pub const MAX_BATCH: usize = 7;

/// Where a message stands in this lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemState {
    /// To send.
    Pending,
    /// Sent without a usable answer (or left in flight by an earlier process): settle first.
    Unknown,
    /// In the group.
    Done {
        /// Group sequence.
        msg_seq: u64,
        /// Stored time.
        msg_time: i64,
    },
    /// Refused; waits for the message policy or a decision.
    Failed(Failure),
    /// Skipped by decision, with the reason.
    Skipped(String),
    /// Breaks a staging rule; waits for the message policy or a decision.
    Invalid(String),
}

/// One message of the lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// What it is.
    pub work: WorkItem,
    /// Where it stands.
    pub state: ItemState,
    /// Times sent (over every invocation of the run).
    pub attempts: u32,
    /// True once replaced by an edited version.
    pub edited: bool,
    /// True when the ledger had a row for it when the lane started (it had been touched).
    pub recorded: bool,
    /// The fingerprint of the message as staged (before any edit), written with its row.
    pub staged: i64,
}

impl Item {
    /// The valid message, when it is one.
    pub fn valid(&self) -> Option<&MessageWork> {
        match &self.work {
            WorkItem::Valid(m) => Some(m),
            WorkItem::Invalid(_) => None,
        }
    }

    /// Done or skipped: nothing more to do.
    pub fn is_settled(&self) -> bool {
        matches!(self.state, ItemState::Done { .. } | ItemState::Skipped(_))
    }

    /// Its ledger identity and fields.
    pub fn meta(&self) -> MessageMeta {
        match &self.work {
            WorkItem::Valid(m) => MessageMeta {
                source: m.source.clone(),
                from_account: Some(m.from_account.clone()),
                send_time: Some(m.moved_from.unwrap_or(m.send_time)),
                sent_time: m.moved_from.map(|_| m.send_time),
                random: Some(m.random),
                fingerprint: Some(self.staged),
            },
            WorkItem::Invalid(i) => MessageMeta {
                source: i.source.clone(),
                from_account: None,
                send_time: i.send_time,
                sent_time: None,
                random: None,
                fingerprint: Some(self.staged),
            },
        }
    }

    /// Its current text (the message JSON, or the staged text of an invalid one).
    pub fn text(&self) -> &str {
        match &self.work {
            WorkItem::Valid(m) => &m.json,
            WorkItem::Invalid(i) => &i.raw,
        }
    }

    /// The time it is ordered at: its `SendTime` as sent (as edited), or an invalid message's
    /// place.
    pub fn order_time(&self) -> i64 {
        match &self.work {
            WorkItem::Valid(m) => m.send_time,
            WorkItem::Invalid(i) => i.order_time,
        }
    }

    /// The time the index ordered it at, before `--same-second spread` moved it.
    fn staged_order_time(&self) -> i64 {
        match &self.work {
            WorkItem::Valid(m) => m.moved_from.unwrap_or(m.send_time),
            WorkItem::Invalid(i) => i.moved_from.unwrap_or(i.order_time),
        }
    }

    /// Its place in the target's order: `SendTime` as sent, then as staged (a message spread
    /// into a later second goes before the ones staged there), then staged position (file,
    /// then offset).
    pub fn key(&self) -> (i64, i64, &SourceRef) {
        (
            self.order_time(),
            self.staged_order_time(),
            self.work.source(),
        )
    }

    /// Its first words.
    pub fn summary(&self) -> String {
        match &self.work {
            WorkItem::Valid(m) => m.summary.clone(),
            WorkItem::Invalid(i) => shorten(&i.raw),
        }
    }

    /// What the event stream says about it now.
    pub fn outcome(&self) -> Option<MessageOutcome> {
        match &self.state {
            ItemState::Done { msg_seq, msg_time } => Some(MessageOutcome::Done {
                msg_seq: *msg_seq,
                msg_time: *msg_time,
            }),
            ItemState::Failed(f) => Some(MessageOutcome::Failed(f.clone())),
            ItemState::Skipped(reason) => Some(MessageOutcome::Skipped {
                reason: reason.clone(),
            }),
            ItemState::Invalid(problem) => Some(MessageOutcome::Invalid {
                problem: problem.clone(),
            }),
            ItemState::Pending | ItemState::Unknown => None,
        }
    }
}

/// A planned request: its number, its exact bytes and how many messages it holds.
#[derive(Debug, Clone)]
struct Planned {
    index: u32,
    body: Bytes,
    messages: usize,
}

/// A lane's messages and batches.
#[derive(Debug, Clone)]
pub struct Items {
    /// In the target's order (SendTime, then staged position; an edited message at its edited
    /// SendTime).
    pub list: Vec<Item>,
    batches: Vec<Planned>,
    head: BodyHead,
}

impl Items {
    /// The target's work, with the states the ledger recorded (edited messages take their
    /// edited JSON back). Messages left in flight or unknown become [`ItemState::Unknown`].
    pub fn restore(work: TargetWork, stored: Vec<StoredMessage>) -> Items {
        let mut by_key: HashMap<(std::sync::Arc<str>, u64, u32), StoredMessage> = stored
            .into_iter()
            .map(|m| ((m.source.file.clone(), m.source.offset, m.source.item), m))
            .collect();
        let list = work
            .items
            .into_iter()
            .map(|work| {
                let s = work.source();
                let staged = staged_fingerprint(&work);
                let Some(stored) = by_key.remove(&(s.file.clone(), s.offset, s.item)) else {
                    let state = match &work {
                        WorkItem::Valid(_) => ItemState::Pending,
                        WorkItem::Invalid(i) => ItemState::Invalid(i.problem.clone()),
                    };
                    return Item {
                        work,
                        state,
                        attempts: 0,
                        edited: false,
                        recorded: false,
                        staged,
                    };
                };
                restore_item(work, stored, staged)
            })
            .collect::<Vec<Item>>();
        let batches = work
            .batches
            .into_iter()
            .map(|b| Planned {
                index: b.index,
                messages: b
                    .items
                    .filter(|&i| list.get(i).and_then(Item::valid).is_some())
                    .count(),
                body: b.body,
            })
            .collect();
        Items {
            list,
            batches,
            head: work.head,
        }
    }

    /// No messages (before the first part is read).
    pub fn empty() -> Items {
        Items {
            list: Vec::new(),
            batches: Vec::new(),
            head: BodyHead::default(),
        }
    }

    /// The first message at or after `from` that is not settled (`list.len()` if none).
    pub fn next_open(&self, from: usize) -> usize {
        (from..self.list.len())
            .find(|&i| !self.list[i].is_settled())
            .unwrap_or(self.list.len())
    }

    /// The messages to send together starting at `at`: it and the pending valid messages right
    /// after it in the same planned batch (at most [`MAX_BATCH`]).
    pub fn group_at(&self, at: usize) -> Vec<usize> {
        let Some(batch) = self.list.get(at).and_then(Item::valid).map(|m| m.batch) else {
            return Vec::new();
        };
        (at..self.list.len())
            .take_while(|&i| {
                let item = &self.list[i];
                item.state == ItemState::Pending && item.valid().is_some_and(|m| m.batch == batch)
            })
            .take(MAX_BATCH)
            .collect()
    }

    /// The planned batch of message `at`.
    pub fn batch_of(&self, at: usize) -> u32 {
        self.list
            .get(at)
            .and_then(Item::valid)
            .map(|m| m.batch)
            .or_else(|| {
                // An invalid message belongs to the batch of the valid one before it.
                self.list[..at.min(self.list.len())]
                    .iter()
                    .rev()
                    .find_map(|i| i.valid().map(|m| m.batch))
            })
            .unwrap_or(0)
    }

    /// The request bytes for `group`: the planned bytes when it is exactly a planned batch
    /// (every message of it, none edited, in planned order: an unedited message keeps its place
    /// relative to the others of its batch), else the planned head with these messages.
    pub fn body_for(&self, group: &[usize]) -> Bytes {
        if let Some(first) = group.first().and_then(|&i| self.list[i].valid()) {
            if let Some(b) = self.batches.iter().find(|b| b.index == first.batch) {
                let whole = group.len() == b.messages
                    && group.iter().all(|&i| {
                        let item = &self.list[i];
                        !item.edited && item.valid().is_some_and(|m| m.batch == b.index)
                    });
                if whole {
                    return b.body.clone();
                }
            }
        }
        self.head.body(group.iter().map(|&i| self.list[i].text()))
    }

    /// Moves the message at `at` to its place in the order (after every message whose key is
    /// smaller) and returns where it is now. An edited SendTime re-places a message this way.
    pub fn replace(&mut self, at: usize) -> usize {
        let item = self.list.remove(at);
        let to = {
            let key = item.key();
            self.list
                .iter()
                .position(|other| other.key() > key)
                .unwrap_or(self.list.len())
        };
        self.list.insert(to, item);
        to
    }

    /// Re-places every edited message (a resumed part holds them at their staged places), then
    /// takes out those not settled that now come after every other message of the part: a
    /// later part may hold messages that order before them ([`Items::adopt`] puts them there).
    pub fn replace_edited(&mut self) -> Vec<Item> {
        let edited: Vec<usize> = (0..self.list.len())
            .filter(|&i| self.list[i].edited)
            .rev()
            .collect();
        let mut moved: Vec<Item> = edited.into_iter().map(|i| self.list.remove(i)).collect();
        moved.reverse();
        for item in moved {
            self.list.push(item);
            let last = self.list.len() - 1;
            self.replace(last);
        }
        self.take_trailing_edited()
    }

    /// Takes out the edited, unsettled messages at the end of the part (see
    /// [`Items::replace_edited`]).
    pub fn take_trailing_edited(&mut self) -> Vec<Item> {
        let keep = self
            .list
            .iter()
            .rposition(|i| !i.edited || i.is_settled())
            .map_or(0, |p| p + 1);
        self.list.split_off(keep)
    }

    /// Puts messages carried from an earlier part at their places in this one.
    pub fn adopt(&mut self, carried: Vec<Item>) {
        for item in carried {
            self.list.push(item);
            let last = self.list.len() - 1;
            self.replace(last);
        }
    }

    /// A part of only `carried` messages (after the last part), with `head` for their bodies.
    pub fn of_carried(carried: Vec<Item>, head: BodyHead) -> Items {
        let mut items = Items {
            list: Vec::new(),
            batches: Vec::new(),
            head,
        };
        items.adopt(carried);
        items
    }

    /// The head fields of the part's bodies.
    pub fn head(&self) -> &BodyHead {
        &self.head
    }

    /// Done messages right after `at` in the same planned batch: they landed after it.
    pub fn landed_after(&self, at: usize) -> Vec<Landed> {
        let batch = self.batch_of(at);
        self.list
            .iter()
            .enumerate()
            .skip(at + 1)
            .take_while(|(_, item)| item.valid().is_none_or(|m| m.batch == batch))
            .filter_map(|(_, item)| match item.state {
                ItemState::Done { msg_seq, .. } => Some(Landed {
                    source: item.work.source().clone(),
                    msg_seq,
                }),
                _ => None,
            })
            .collect()
    }

    /// Read-back candidates for the messages at `indices` that are valid and not settled; a
    /// refused one is matched but never called overtaken.
    pub fn candidates(&self, indices: impl IntoIterator<Item = usize>) -> Vec<Candidate> {
        indices
            .into_iter()
            .filter_map(|i| {
                let item = &self.list[i];
                let m = item.valid()?;
                if item.is_settled() || matches!(item.state, ItemState::Invalid(_)) {
                    return None;
                }
                Some(Candidate {
                    index: i,
                    from_account: m.from_account.clone(),
                    send_time: m.send_time,
                    staged_time: m.moved_from,
                    random: m.random,
                    body: m.body_value()?,
                    may_be_overtaken: !matches!(item.state, ItemState::Failed(_)),
                })
            })
            .collect()
    }

    /// The message at `at`'s source.
    pub fn source(&self, at: usize) -> &SourceRef {
        self.list[at].work.source()
    }
}

/// The fingerprint of a message as staged: of its planned JSON when valid, of its staged text
/// when not.
pub fn staged_fingerprint(work: &WorkItem) -> i64 {
    match work {
        WorkItem::Valid(m) => fingerprint(&m.json),
        WorkItem::Invalid(i) => fingerprint(&i.raw),
    }
}

fn restore_item(mut work: WorkItem, stored: StoredMessage, staged: i64) -> Item {
    // An edited message goes on with its edited JSON (which parses: it was checked when made).
    if stored.edited {
        if let Some(body) = &stored.body {
            let batch = match &work {
                WorkItem::Valid(m) => m.batch,
                WorkItem::Invalid(_) => 0,
            };
            if let Some(m) = MessageWork::from_json(work.source().clone(), batch, body) {
                work = WorkItem::Valid(m);
            }
        }
    }
    let state = match stored.state {
        StoredState::Done => ItemState::Done {
            msg_seq: stored.msg_seq.unwrap_or(0),
            msg_time: stored.msg_time.unwrap_or(0),
        },
        StoredState::Skipped => ItemState::Skipped(stored.detail.unwrap_or_default()),
        StoredState::Failed => ItemState::Failed(stored.failure.unwrap_or_else(|| Failure {
            code: None,
            meaning: "refused".into(),
            remedy: String::new(),
            detail: String::new(),
        })),
        StoredState::Invalid => ItemState::Invalid(stored.detail.unwrap_or_default()),
        StoredState::InFlight | StoredState::Unknown => ItemState::Unknown,
        StoredState::Pending => match &work {
            WorkItem::Valid(_) => ItemState::Pending,
            WorkItem::Invalid(i) => ItemState::Invalid(i.problem.clone()),
        },
    };
    Item {
        work,
        state,
        attempts: stored.attempts,
        edited: stored.edited,
        recorded: true,
        staged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::target::Target;
    use crate::engine::testing::source;
    use crate::engine::work::{BatchWork, InvalidWork, split_body};

    fn msg_json(line: u32) -> String {
        format!(
            r#"{{"From_Account":"a","SendTime":{},"Random":{line},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"m{line}"}}}}]}}"#,
            100 + line
        )
    }

    /// Lines 1-3 in batch 0, an invalid line 4, lines 5-6 in batch 1.
    fn work() -> TargetWork {
        let body = |lines: &[u32]| {
            let msgs: Vec<String> = lines.iter().map(|&l| msg_json(l)).collect();
            bytes::Bytes::from(format!(
                r#"{{"GroupId":"g","MsgList":[{}]}}"#,
                msgs.join(",")
            ))
        };
        let b0 = body(&[1, 2, 3]);
        let b1 = body(&[5, 6]);
        let (head, _) = split_body(&b0).unwrap();
        let valid = |line, batch| {
            WorkItem::Valid(
                MessageWork::from_json(source("g.jsonl", line), batch, &msg_json(line)).unwrap(),
            )
        };
        TargetWork {
            target: Target::new("g", None),
            items: vec![
                valid(1, 0),
                valid(2, 0),
                valid(3, 0),
                WorkItem::Invalid(InvalidWork {
                    source: source("g.jsonl", 4),
                    send_time: Some(104),
                    order_time: 104,
                    moved_from: None,
                    problem: "MsgBody is empty".into(),
                    raw: "{\"MsgBody\":[]}".into(),
                }),
                valid(5, 1),
                valid(6, 1),
            ],
            batches: vec![
                BatchWork {
                    index: 0,
                    body: b0,
                    items: 0..3,
                },
                BatchWork {
                    index: 1,
                    body: b1,
                    items: 3..6,
                },
            ],
            head,
        }
    }

    #[test]
    fn whole_batches_go_as_planned_and_parts_are_narrowed() {
        let mut items = Items::restore(work(), vec![]);
        assert_eq!(items.group_at(0), [0, 1, 2]);
        assert_eq!(items.body_for(&[0, 1, 2]), items.batches[0].body);
        // Batch 1 holds the invalid line 4 inside its range: its valid messages are still the
        // planned batch.
        assert_eq!(items.group_at(4), [4, 5]);
        assert_eq!(items.body_for(&[4, 5]), items.batches[1].body);
        items.list[0].state = ItemState::Done {
            msg_seq: 1,
            msg_time: 101,
        };
        assert_eq!(items.group_at(1), [1, 2]);
        let narrowed = items.body_for(&[1, 2]);
        assert_eq!(
            std::str::from_utf8(&narrowed).unwrap(),
            format!(
                r#"{{"GroupId":"g","MsgList":[{},{}]}}"#,
                msg_json(2),
                msg_json(3)
            )
        );
        // A failed message in the middle ends the group.
        items.list[2].state = ItemState::Failed(Failure {
            code: Some(80002),
            meaning: "m".into(),
            remedy: "r".into(),
            detail: String::new(),
        });
        assert_eq!(items.group_at(1), [1]);
        // An edited message never goes as the planned bytes.
        let edited = msg_json(5).replace("m5", "m5 fixed");
        items.list[4].work =
            WorkItem::Valid(MessageWork::from_json(source("g.jsonl", 5), 1, &edited).unwrap());
        items.list[4].edited = true;
        let body = items.body_for(&[4, 5]);
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            format!(r#"{{"GroupId":"g","MsgList":[{edited},{}]}}"#, msg_json(6))
        );
        assert!(
            items.group_at(3).is_empty(),
            "an invalid message is not sent"
        );
    }

    #[test]
    fn ledger_states_are_restored_and_counted() {
        let stored = |line, state| StoredMessage {
            source: source("g.jsonl", line),
            state,
            msg_seq: Some(u64::from(line)),
            msg_time: Some(100 + line as i64),
            failure: None,
            detail: Some("why".into()),
            attempts: 1,
            body: None,
            edited: false,
            fingerprint: None,
        };
        let mut edited = stored(6, StoredState::Pending);
        edited.edited = true;
        edited.body = Some(msg_json(6).replace("m6", "m6 fixed"));
        let items = Items::restore(
            work(),
            vec![
                stored(1, StoredState::Done),
                stored(2, StoredState::InFlight),
                stored(3, StoredState::Skipped),
                edited,
            ],
        );
        let states: Vec<_> = items.list.iter().map(|i| i.state.clone()).collect();
        assert_eq!(
            states[..4],
            [
                ItemState::Done {
                    msg_seq: 1,
                    msg_time: 101
                },
                ItemState::Unknown,
                ItemState::Skipped("why".into()),
                ItemState::Invalid("MsgBody is empty".into()),
            ]
        );
        assert!(items.list[5].edited);
        assert_eq!(items.list[5].summary(), "m6 fixed");
        assert!(items.list[..3].iter().all(|i| i.recorded));
        assert!(!items.list[3].recorded, "no row for the invalid one yet");
        assert_eq!(items.next_open(0), 1);
        assert_eq!(items.next_open(2), 3);
        // Candidates: the unknown one and the pending ones; not settled or invalid ones.
        let cands: Vec<usize> = items.candidates(0..6).iter().map(|c| c.index).collect();
        assert_eq!(cands, [1, 4, 5]);
    }

    /// Message `line` of the test's work, edited to SendTime `time`.
    fn edit(items: &mut Items, at: usize, time: i64) {
        let line = items.list[at].work.source().line;
        let json = msg_json(line).replace(
            &format!("\"SendTime\":{}", 100 + line),
            &format!("\"SendTime\":{time}"),
        );
        let work = MessageWork::from_json(source("g.jsonl", line), 0, &json).unwrap();
        items.list[at].work = WorkItem::Valid(work);
        items.list[at].edited = true;
        items.list[at].state = ItemState::Pending;
    }

    fn lines(items: &Items) -> Vec<u32> {
        items.list.iter().map(|i| i.work.source().line).collect()
    }

    #[test]
    fn an_edit_re_places_the_message_by_its_send_time_then_position() {
        let mut items = Items::restore(work(), vec![]);
        assert_eq!(lines(&items), [1, 2, 3, 4, 5, 6]);
        // Line 4 (invalid, ordered at 104) edited to 105 stays: line 5 (105) is staged after it.
        edit(&mut items, 3, 105);
        assert_eq!(items.replace(3), 3);
        assert_eq!(lines(&items), [1, 2, 3, 4, 5, 6]);
        // Line 2 edited to 103 goes after line 3 (103), which is staged after it? No: equal
        // times go in staged order, so line 2 stays before line 3.
        edit(&mut items, 1, 103);
        assert_eq!(items.replace(1), 1);
        // Edited to 104 it goes after line 3.
        edit(&mut items, 1, 104);
        assert_eq!(items.replace(1), 2);
        assert_eq!(lines(&items), [1, 3, 2, 4, 5, 6]);
        // Line 1 edited past every message of the part is taken out, to be carried.
        edit(&mut items, 0, 200);
        assert_eq!(items.replace(0), 5);
        assert_eq!(lines(&items), [3, 2, 4, 5, 6, 1]);
        let carried = items.take_trailing_edited();
        assert_eq!(lines(&items), [3, 2, 4, 5, 6]);
        assert_eq!(carried.len(), 1);

        // A later part adopts carried messages at their places.
        let mut next = Items::restore(work(), vec![]);
        let mut early = next.list.remove(0);
        next.list.drain(0..3);
        assert_eq!(lines(&next), [5, 6]);
        let json = msg_json(1).replace("\"SendTime\":101", "\"SendTime\":105");
        early.work =
            WorkItem::Valid(MessageWork::from_json(source("g.jsonl", 1), 0, &json).unwrap());
        early.edited = true;
        next.adopt(vec![early]);
        next.adopt(carried);
        assert_eq!(lines(&next), [1, 5, 6, 1]);

        // A resumed part re-places its own edits and gives out those past its end.
        let mut resumed = Items::restore(work(), vec![]);
        edit(&mut resumed, 0, 104);
        edit(&mut resumed, 4, 300);
        let out = resumed.replace_edited();
        assert_eq!(lines(&resumed), [2, 3, 1, 4, 6]);
        assert_eq!(
            lines(&Items {
                list: out,
                ..Items::empty()
            }),
            [5]
        );
        // A planned batch with an edited message, or with one moved out of it, is narrowed.
        assert_ne!(resumed.body_for(&[0, 1]), resumed.batches[0].body);
        assert_ne!(resumed.body_for(&[4]), resumed.batches[1].body);
    }

    #[test]
    fn a_spread_message_orders_by_its_sent_time_then_its_staged_time() {
        // Line 9 of z.jsonl staged at 100, sent at 101; line 1 of a.jsonl staged at 101: the
        // moved one goes first (as the plan sends them), though its file sorts later.
        let moved = {
            let json = r#"{"From_Account":"a","SendTime":101,"Random":9,"MsgBody":[]}"#;
            let mut m = MessageWork::from_json(source("z.jsonl", 9), 0, json).unwrap();
            m.moved_from = Some(100);
            WorkItem::Valid(m)
        };
        let staged = {
            let json = r#"{"From_Account":"a","SendTime":101,"Random":1,"MsgBody":[]}"#;
            WorkItem::Valid(MessageWork::from_json(source("a.jsonl", 1), 0, json).unwrap())
        };
        let item = |work| Item {
            staged: staged_fingerprint(&work),
            work,
            state: ItemState::Pending,
            attempts: 0,
            edited: false,
            recorded: false,
        };
        let (moved, staged) = (item(moved), item(staged));
        assert!(moved.key() < staged.key());
        assert_eq!(moved.order_time(), 101);
        // The ledger gets both times of the moved one, the staged time alone of the other.
        let meta = moved.meta();
        assert_eq!((meta.send_time, meta.sent_time), (Some(100), Some(101)));
        assert_eq!(
            (staged.meta().send_time, staged.meta().sent_time),
            (Some(101), None)
        );
        // Read back, it is looked for at 101, and at 100 failing that.
        let items = Items {
            list: vec![moved],
            ..Items::empty()
        };
        let c = &items.candidates([0])[0];
        assert_eq!((c.send_time, c.staged_time), (101, Some(100)));
    }

    #[test]
    fn what_landed_after_a_message_in_its_batch() {
        let mut items = Items::restore(work(), vec![]);
        for (i, seq) in [(1, 7), (2, 8)] {
            items.list[i].state = ItemState::Done {
                msg_seq: seq,
                msg_time: 0,
            };
        }
        let after: Vec<u64> = items.landed_after(0).iter().map(|l| l.msg_seq).collect();
        assert_eq!(after, [7, 8]);
        assert!(items.landed_after(2).is_empty());
        assert_eq!(
            items.batch_of(3),
            0,
            "an invalid message goes with the batch before it"
        );
    }
}
