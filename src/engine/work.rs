//! What a lane works through: a target's messages in order ([`WorkItem`]), the planned batches
//! with their exact request bytes ([`BatchWork`]), and where they come from ([`WorkSource`]).
//!
//! A target is read a part at a time ([`WorkReader`]): a part is a run of whole batches (a few
//! hundred messages), so a lane holds one part in memory however big its group is.
//!
//! Each valid message keeps the exact JSON it has inside its planned body, so that a request
//! for part of a batch (the rest of a batch after a failure, the messages a read-back did not
//! find, a single retried message) is the planned body with its `MsgList` narrowed: the same
//! head fields (`GroupId`, `TopicId`, `RecentContactFlag`) and the same bytes per message. A
//! whole batch whose messages are all still to send goes out as the planned bytes themselves.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::events::SourceRef;
use super::target::Target;
use crate::api::types::ImportMsg;

/// A valid message, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageWork {
    /// Where it is staged.
    pub source: SourceRef,
    /// The planned batch it belongs to.
    pub batch: u32,
    /// `From_Account`.
    pub from_account: String,
    /// `SendTime`, as sent.
    pub send_time: i64,
    /// The `SendTime` as staged, when the plan moved the message (`--same-second spread`).
    pub moved_from: Option<i64>,
    /// `Random` (the staged one or the planned one).
    pub random: u32,
    /// Its first words.
    pub summary: String,
    /// Its exact JSON as it goes into `MsgList`.
    pub json: Arc<str>,
}

impl MessageWork {
    /// From the message's JSON as planned; `None` when it is not a message of the service's
    /// shape or has no `Random` (a plan always sets one).
    pub fn from_json(source: SourceRef, batch: u32, json: &str) -> Option<MessageWork> {
        let msg: ImportMsg = serde_json::from_str(json).ok()?;
        Some(MessageWork {
            source,
            batch,
            random: msg.random?,
            summary: shorten(&msg.summary()),
            from_account: msg.from_account,
            send_time: msg.send_time,
            moved_from: None,
            json: json.into(),
        })
    }

    /// The message's `MsgBody` as a JSON value (for read-back matching).
    pub fn body_value(&self) -> Option<Value> {
        let mut v: Value = serde_json::from_str(&self.json).ok()?;
        v.get_mut("MsgBody").map(Value::take)
    }
}

/// A staged message that breaks a rule: it sits at its place in the order and is decided on
/// (skipped, or retried edited) like a refused message.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidWork {
    /// Where it is staged.
    pub source: SourceRef,
    /// Its `SendTime`, when it has a usable one.
    pub send_time: Option<i64>,
    /// The time it is ordered at: its `SendTime`, or for one whose `SendTime` cannot be read,
    /// the time of its place in its file (after the valid message before it there); never
    /// earlier than the time the valid message before it is sent at (`--same-second spread`
    /// may send that one later than staged).
    pub order_time: i64,
    /// The time the index ordered it at, when that is earlier than `order_time`.
    pub moved_from: Option<i64>,
    /// Every problem, joined.
    pub problem: String,
    /// Its text as staged (what `report --failed-out` writes back).
    pub raw: String,
}

/// One message of a target, in the target's order.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkItem {
    /// Ready to send.
    Valid(MessageWork),
    /// Breaks a rule.
    Invalid(InvalidWork),
}

impl WorkItem {
    /// Where it is staged.
    pub fn source(&self) -> &SourceRef {
        match self {
            WorkItem::Valid(m) => &m.source,
            WorkItem::Invalid(i) => &i.source,
        }
    }
}

/// A planned request.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchWork {
    /// 0-based number within the target.
    pub index: u32,
    /// The exact planned bytes.
    pub body: Bytes,
    /// Its messages' places in [`TargetWork::items`] (invalid items may sit inside the range).
    pub items: Range<usize>,
}

/// The head fields of a target's request bodies (everything but `MsgList`), in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BodyHead(Map<String, Value>);

/// One part of a target's work: whole batches and the invalid messages among them.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetWork {
    /// The lane.
    pub target: Target,
    /// Messages in order (valid and invalid).
    pub items: Vec<WorkItem>,
    /// Planned requests in order (numbered within the whole target; their `items` ranges are
    /// places in this part's `items`).
    pub batches: Vec<BatchWork>,
    /// The head fields for partial bodies.
    pub head: BodyHead,
}

/// Messages per part, about: parts end at the first batch boundary after this many.
pub const PART_MESSAGES: usize = 250;

/// A target's work, a part at a time, in order. Reading may block (files): lanes call it in
/// `spawn_blocking`.
pub trait WorkReader: Send + Sync {
    /// The next part; `None` after the last.
    fn next_part(&mut self) -> Result<Option<TargetWork>, String>;
}

/// A target as the run starts (without loading its messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// The lane.
    pub target: Target,
    /// Staged messages (valid and invalid).
    pub messages: u64,
    /// Planned requests, when known without loading.
    pub batches: u64,
}

/// Where the work comes from: the staging directory and the planner in a real run, a list in
/// tests. `open` and `prepare_edit` may block (file reads): lanes call them in
/// `spawn_blocking`.
pub trait WorkSource: Send + Sync + 'static {
    /// The targets of the run, in the order lanes start.
    fn targets(&self) -> Vec<TargetInfo>;
    /// Starts reading a target's messages and planned batches from its beginning.
    fn open(&self, target: &Target) -> Result<Box<dyn WorkReader>, String>;
    /// Checks an edited message with staging's rules and gives it a `Random` when it has none
    /// (derived the way the planner derives one); the error lists every problem.
    fn prepare_edit(
        &self,
        target: &Target,
        source: &SourceRef,
        msg: ImportMsg,
    ) -> Result<ImportMsg, String>;
}

/// Longest summary of a message, in characters.
pub const SUMMARY_CHARS: usize = 80;

/// The first [`SUMMARY_CHARS`] characters of `text`, on one line (`…` when cut).
pub fn shorten(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(SUMMARY_CHARS + 1)
        .collect();
    if flat.chars().count() > SUMMARY_CHARS {
        let mut cut: String = flat.chars().take(SUMMARY_CHARS).collect();
        cut.push('…');
        cut
    } else {
        flat
    }
}

#[derive(Deserialize)]
struct PlannedBody<'a> {
    #[serde(rename = "MsgList", borrow)]
    msg_list: Vec<&'a RawValue>,
    #[serde(flatten)]
    head: Map<String, Value>,
}

/// A planned body split into its head fields and the exact JSON of each message.
pub fn split_body(body: &[u8]) -> Result<(BodyHead, Vec<String>), String> {
    let parsed: PlannedBody<'_> = serde_json::from_slice(body)
        .map_err(|e| format!("a planned body is not a request: {e}"))?;
    let msgs = parsed.msg_list.iter().map(|m| m.get().to_owned()).collect();
    Ok((BodyHead(parsed.head), msgs))
}

impl BodyHead {
    /// Head fields given in order.
    pub fn from_map(map: Map<String, Value>) -> BodyHead {
        BodyHead(map)
    }

    /// True when the head has the field `key` (for example `RecentContactFlag`).
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The plain head for `target`: `GroupId`, and `TopicId` for a topic.
    pub fn for_target(target: &Target) -> BodyHead {
        let mut map = Map::new();
        map.insert("GroupId".into(), Value::String(target.group().into()));
        if let Some(topic) = target.topic() {
            map.insert("TopicId".into(), Value::String(topic.into()));
        }
        BodyHead(map)
    }

    /// A request body with these head fields and these messages' exact JSON.
    pub fn body<'a>(&self, msgs: impl IntoIterator<Item = &'a str>) -> Bytes {
        let mut out = Vec::with_capacity(256);
        out.push(b'{');
        for (key, value) in &self.0 {
            // A `String` key and a `Value` always serialise (writing into a Vec cannot fail, and
            // the map's keys are strings), so the fallback is never taken.
            out.extend_from_slice(serde_json::to_string(key).unwrap_or_default().as_bytes());
            out.push(b':');
            out.extend_from_slice(serde_json::to_string(value).unwrap_or_default().as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(b"\"MsgList\":[");
        for (i, msg) in msgs.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(msg.as_bytes());
        }
        out.extend_from_slice(b"]}");
        Bytes::from(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing;

    #[test]
    fn planned_bodies_split_and_narrow_without_touching_message_bytes() {
        let m1 = r#"{"From_Account":"a","SendTime":10,"Random":1,"MsgBody":[{"MsgType":"TIMLocationElem","MsgContent":{"Desc":"x","Latitude":22.50,"Longitude":1e2}}]}"#;
        let m2 = r#"{"From_Account":"b","SendTime":11,"Random":2,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}"#;
        let body = format!(r#"{{"GroupId":"g","RecentContactFlag":1,"MsgList":[{m1},{m2}]}}"#);
        let (head, msgs) = split_body(body.as_bytes()).unwrap();
        assert_eq!(msgs, [m1, m2], "message bytes kept, 22.50 and 1e2 included");
        assert_eq!(head.body(msgs.iter().map(String::as_str)), body.as_bytes());
        let narrowed = head.body([m2]);
        assert_eq!(
            std::str::from_utf8(&narrowed).unwrap(),
            format!(r#"{{"GroupId":"g","RecentContactFlag":1,"MsgList":[{m2}]}}"#)
        );
        assert!(split_body(b"{\"GroupId\":\"g\"}").is_err());
    }

    #[test]
    fn summaries_are_short_and_flat() {
        assert_eq!(shorten("a\nb"), "a b");
        let long = "x".repeat(100);
        assert_eq!(shorten(&long).chars().count(), SUMMARY_CHARS + 1);
        assert!(shorten(&long).ends_with('…'));
    }

    #[test]
    fn messages_read_their_fields_from_their_json() {
        let json = r#"{"From_Account":"a","SendTime":10,"Random":7,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"red packet"}}]}"#;
        let m = MessageWork::from_json(testing::source("g.jsonl", 1), 0, json).unwrap();
        assert_eq!(
            (m.from_account.as_str(), m.send_time, m.random),
            ("a", 10, 7)
        );
        assert_eq!(m.summary, "red packet");
        assert_eq!(
            m.body_value().unwrap(),
            serde_json::json!([{"MsgType":"TIMTextElem","MsgContent":{"Text":"red packet"}}])
        );
        let no_random = r#"{"From_Account":"a","SendTime":10,"MsgBody":[]}"#;
        assert!(MessageWork::from_json(testing::source("g.jsonl", 1), 0, no_random).is_none());
        assert_eq!(
            WorkItem::Valid(m.clone()).source(),
            &testing::source("g.jsonl", 1),
            "items know their source"
        );
    }
}
