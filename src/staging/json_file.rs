//! The layout of a `.json` staging file, walked as a stream: a request body
//! (`{"GroupId", "MsgList": [...], ...}`), an array of bodies, or an array of messages. Each
//! message element is handed over with its own offset, line and bytes as soon as it is read; a
//! body's own fields are handed over when the body ends (they may follow `MsgList`).

use std::io::BufRead;

use serde_json::Value;

use super::json_cursor::{Capture, JsonCursor, ScanStop};
use super::message::Framing;
use super::problem::{Finding, ProblemKind};
use super::rules;
use super::target::Target;

/// Largest body field (`GroupId`, `TopicId`, `RecentContactFlag`) kept for checking.
const FIELD_CAP: usize = 64 * 1024;

/// One message element.
#[derive(Debug)]
pub struct Element<'a> {
    /// Byte offset of its first byte.
    pub offset: u64,
    /// Line where it starts.
    pub line: u32,
    /// Its length in bytes.
    pub len: u64,
    /// Its bytes, unless it is longer than the read cap.
    pub bytes: Option<&'a [u8]>,
    /// How it is framed.
    pub framing: Framing,
    /// Its index within its body's `MsgList` or within the top-level array.
    pub item: u32,
}

/// A request body's own fields, reported when the body ends.
#[derive(Debug, Default)]
pub struct BodyFields {
    /// Byte offset of the body's `{`.
    pub offset: u64,
    /// Line of the body's `{`.
    pub line: u32,
    group: Option<Capture>,
    topic: Option<Capture>,
    recent_contact: Option<Capture>,
    findings: Vec<Finding>,
}

/// What a body's fields mean for its messages.
#[derive(Debug, PartialEq)]
pub struct ResolvedBody {
    /// The target of its messages.
    pub target: Target,
    /// `RecentContactFlag: 1`.
    pub recent_contact: bool,
    /// Problems with the body's own fields.
    pub findings: Vec<Finding>,
}

impl ResolvedBody {
    /// True when the body's own fields have an error: none of its messages can be sent.
    pub fn is_invalid(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }
}

impl BodyFields {
    fn new(offset: u64, line: u32) -> Self {
        BodyFields {
            offset,
            line,
            ..BodyFields::default()
        }
    }

    fn record(&mut self, key: &str, value: Capture) {
        match key {
            "GroupId" => self.group = Some(value),
            "TopicId" => self.topic = Some(value),
            "RecentContactFlag" => self.recent_contact = Some(value),
            "MsgList" => self.findings.push(Finding::error(
                ProblemKind::Shape,
                Some("MsgList"),
                "MsgList must be an array of messages",
            )),
            other => self.findings.push(rules::unknown_field(other, "")),
        }
    }

    /// Applies the body's fields to the file's target and checks them.
    pub fn resolve(self, file_target: &Target) -> ResolvedBody {
        let mut findings = self.findings;
        let group = parse_field(self.group.as_ref(), "GroupId", &mut findings);
        let topic = parse_field(self.topic.as_ref(), "TopicId", &mut findings);
        let flag = parse_field(
            self.recent_contact.as_ref(),
            "RecentContactFlag",
            &mut findings,
        );
        let mut take = |r: Result<Option<&str>, Finding>| match r {
            Ok(s) => s.map(str::to_owned),
            Err(f) => {
                findings.push(f);
                None
            }
        };
        let group = take(rules::override_id(group.as_ref(), "GroupId"));
        let topic = take(rules::override_id(topic.as_ref(), "TopicId"));
        let target = file_target.overridden(group.as_deref(), topic.as_deref());
        let recent_contact = match rules::recent_contact_flag(flag.as_ref()) {
            Ok(f) => f == Some(1),
            Err(f) => {
                findings.push(f);
                false
            }
        };
        if recent_contact && target.looks_like_community() {
            findings.push(Finding::warning(
                ProblemKind::RecentContactFlag,
                Some("RecentContactFlag"),
                format!(
                    "RecentContactFlag is not supported for Community groups, and {:?} looks like one (its id starts with {}): remove it, or check the group (online validation confirms its type)",
                    target.group(),
                    super::target::COMMUNITY_PREFIX,
                ),
            ));
        }
        ResolvedBody {
            target,
            recent_contact,
            findings,
        }
    }
}

fn parse_field(cap: Option<&Capture>, name: &str, findings: &mut Vec<Finding>) -> Option<Value> {
    let cap = cap?;
    match cap.bytes().map(serde_json::from_slice::<Value>) {
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            findings.push(Finding::error(
                ProblemKind::InvalidJson,
                Some(name),
                format!("{name} is not valid JSON: {e}"),
            ));
            None
        }
        None => {
            findings.push(Finding::error(
                ProblemKind::TooLong,
                Some(name),
                format!("{name} is {} bytes long; that cannot be an id", cap.len()),
            ));
            None
        }
    }
}

/// Receives what the walker finds.
pub trait JsonSink {
    /// A message element (inside a body, it comes before the body's [`JsonSink::body_end`]).
    fn message(&mut self, element: Element<'_>);
    /// A request body ended; its messages were all handed over before.
    fn body_end(&mut self, body: BodyFields);
    /// A problem with the file's layout that does not stop the reading.
    fn problem(&mut self, finding: Finding, offset: u64, line: u32);
}

/// Walks a whole `.json` file. A syntax error in the structure stops the walk (the caller reports
/// it and what it could not read); everything else is reported and the walk goes on.
pub fn walk<R: BufRead>(
    cur: &mut JsonCursor<R>,
    cap: usize,
    sink: &mut impl JsonSink,
) -> Result<(), ScanStop> {
    let mut none = Capture::none();
    cur.skip_bom()?;
    cur.skip_ws(&mut none)?;
    match cur.peek()? {
        None => {
            sink.problem(Finding::empty_file(), cur.offset(), cur.line());
            return Ok(());
        }
        Some(b'{') => object(cur, cap, 0, sink)?,
        Some(b'[') => array(cur, cap, sink)?,
        Some(_) => {
            sink.problem(
                Finding::error(
                    ProblemKind::Shape,
                    None,
                    "a .json staging file holds a request body, an array of bodies or an array of messages; this one holds something else and is not read",
                ),
                cur.offset(),
                cur.line(),
            );
            return Ok(());
        }
    }
    cur.skip_ws(&mut none)?;
    if cur.peek()?.is_some() {
        sink.problem(
            Finding::error(
                ProblemKind::Shape,
                None,
                "more data follows the top-level value; it is not read (put several bodies in an array)",
            ),
            cur.offset(),
            cur.line(),
        );
    }
    Ok(())
}

fn array<R: BufRead>(
    cur: &mut JsonCursor<R>,
    cap: usize,
    sink: &mut impl JsonSink,
) -> Result<(), ScanStop> {
    each_element(cur, "the array", |cur, item| match cur.peek()? {
        Some(b'{') => object(cur, cap, item, sink),
        _ => element(cur, cap, Framing::ArrayItem, item, sink),
    })
}

/// Walks an array: `read` consumes each element (given its index); commas and brackets are
/// checked here.
fn each_element<R: BufRead>(
    cur: &mut JsonCursor<R>,
    what: &str,
    mut read: impl FnMut(&mut JsonCursor<R>, u32) -> Result<(), ScanStop>,
) -> Result<(), ScanStop> {
    let mut none = Capture::none();
    cur.expect(b'[', &mut none)?;
    let mut item = 0u32;
    loop {
        cur.skip_ws(&mut none)?;
        if item == 0 && cur.peek()? == Some(b']') {
            return Ok(cur.bump(&mut none)?);
        }
        read(cur, item)?;
        item = item.saturating_add(1);
        cur.skip_ws(&mut none)?;
        match cur.peek()? {
            Some(b',') => cur.bump(&mut none)?,
            Some(b']') => return Ok(cur.bump(&mut none)?),
            _ => return Err(cur.syntax(format!("expected ',' or ']' in {what}"))),
        }
    }
}

/// A value handed over as a message as it is (a non-object is refused by the message rules).
fn element<R: BufRead>(
    cur: &mut JsonCursor<R>,
    cap: usize,
    framing: Framing,
    item: u32,
    sink: &mut impl JsonSink,
) -> Result<(), ScanStop> {
    let (offset, line) = (cur.offset(), cur.line());
    let mut bytes = Capture::new(cap);
    cur.value(&mut bytes)?;
    sink.message(Element {
        offset,
        line,
        len: bytes.len(),
        bytes: bytes.bytes(),
        framing,
        item,
    });
    Ok(())
}

/// An object that is a request body when it has `MsgList`, else a message.
fn object<R: BufRead>(
    cur: &mut JsonCursor<R>,
    cap: usize,
    item: u32,
    sink: &mut impl JsonSink,
) -> Result<(), ScanStop> {
    let (offset, line) = (cur.offset(), cur.line());
    let mut whole = Capture::new(cap);
    let mut body = BodyFields::new(offset, line);
    let mut is_body = false;
    cur.expect(b'{', &mut whole)?;
    loop {
        cur.skip_ws(&mut whole)?;
        if cur.peek()? == Some(b'}') {
            cur.bump(&mut whole)?;
            break;
        }
        let key = cur.key(&mut whole)?;
        cur.skip_ws(&mut whole)?;
        cur.expect(b':', &mut whole)?;
        cur.skip_ws(&mut whole)?;
        if key == "MsgList" && cur.peek()? == Some(b'[') {
            // A body: its bytes as a whole are never needed.
            is_body = true;
            whole.stop();
            msg_list(cur, cap, sink)?;
        } else {
            let mut value = Capture::new(if is_body { FIELD_CAP } else { cap });
            cur.value(&mut value)?;
            whole.absorb(&value);
            body.record(&key, value);
        }
        cur.skip_ws(&mut whole)?;
        match cur.peek()? {
            Some(b',') => cur.bump(&mut whole)?,
            Some(b'}') => {
                cur.bump(&mut whole)?;
                break;
            }
            _ => {
                return Err(cur.syntax(format!(
                    "expected ',' or '}}' in the object that starts at line {line}"
                )));
            }
        }
    }
    if is_body {
        sink.body_end(body);
    } else {
        sink.message(Element {
            offset,
            line,
            len: whole.len(),
            bytes: whole.bytes(),
            framing: Framing::ArrayItem,
            item,
        });
    }
    Ok(())
}

fn msg_list<R: BufRead>(
    cur: &mut JsonCursor<R>,
    cap: usize,
    sink: &mut impl JsonSink,
) -> Result<(), ScanStop> {
    each_element(cur, "MsgList", |cur, item| {
        element(cur, cap, Framing::BodyItem, item, sink)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::json_cursor::SyntaxError;

    #[derive(Default)]
    struct Record {
        events: Vec<String>,
        bodies: Vec<ResolvedBody>,
    }

    impl JsonSink for Record {
        fn message(&mut self, e: Element<'_>) {
            let text = e.bytes.map(|b| String::from_utf8_lossy(b).into_owned());
            self.events.push(format!(
                "msg {:?} item {} line {} off {} len {} {}",
                e.framing,
                e.item,
                e.line,
                e.offset,
                e.len,
                text.unwrap_or_else(|| "<too long>".into())
            ));
        }

        fn body_end(&mut self, body: BodyFields) {
            self.events.push(format!("body line {}", body.line));
            self.bodies.push(body.resolve(&Target::from_stem("stem")));
        }

        fn problem(&mut self, f: Finding, _offset: u64, line: u32) {
            self.events
                .push(format!("problem line {line}: {}", f.message));
        }
    }

    fn walk_str(text: &str, cap: usize) -> (Record, Result<(), SyntaxError>) {
        let mut rec = Record::default();
        let mut cur = JsonCursor::new(std::io::BufReader::with_capacity(5, text.as_bytes()));
        let res = match walk(&mut cur, cap, &mut rec) {
            Ok(()) => Ok(()),
            Err(ScanStop::Syntax(e)) => Err(e),
            Err(ScanStop::Io(e)) => panic!("{e}"),
        };
        (rec, res)
    }

    #[test]
    fn a_body_yields_its_messages_then_its_fields_even_when_they_follow() {
        let text = "{\"MsgList\": [ {\"a\":1},\n {\"b\":2} ],\n \"GroupId\": \"@TGS#_g\", \"TopicId\": \"@TGS#_g@TOPIC#_t\"}";
        let (rec, res) = walk_str(text, 1000);
        res.unwrap();
        assert_eq!(
            rec.events,
            [
                "msg BodyItem item 0 line 1 off 14 len 7 {\"a\":1}",
                "msg BodyItem item 1 line 2 off 24 len 7 {\"b\":2}",
                "body line 1"
            ]
        );
        assert_eq!(
            rec.bodies[0].target,
            Target::new("@TGS#_g", Some("@TGS#_g@TOPIC#_t"))
        );
        assert!(!rec.bodies[0].is_invalid());
    }

    #[test]
    fn arrays_of_bodies_and_of_messages() {
        let text = "\u{feff}[{\"GroupId\":\"g1\",\"RecentContactFlag\":1,\"MsgList\":[{\"m\":1}]},\n{\"From_Account\":\"a\"}, 5]";
        let (rec, res) = walk_str(text, 1000);
        res.unwrap();
        assert_eq!(rec.events.len(), 4, "{:?}", rec.events);
        assert!(rec.events[0].starts_with("msg BodyItem item 0"));
        assert_eq!(rec.events[1], "body line 1");
        assert!(rec.events[2].starts_with("msg ArrayItem item 1 line 2"));
        assert!(rec.events[2].ends_with("{\"From_Account\":\"a\"}"));
        assert!(rec.events[3].starts_with("msg ArrayItem item 2"));
        assert!(rec.bodies[0].recent_contact);
        assert_eq!(rec.bodies[0].target, Target::new("g1", None));
    }

    #[test]
    fn message_offsets_point_at_their_bytes() {
        let text = "[\n  {\"x\": \"\u{e9}\"},\n  {\"y\": [1, 2]}\n]";
        let (rec, _) = walk_str(text, 1000);
        for ev in &rec.events {
            let off: usize = ev
                .split(" off ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let len: usize = ev
                .split(" len ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(ev.ends_with(&text[off..off + len]), "{ev}");
        }
    }

    #[test]
    fn long_elements_are_measured_and_reading_goes_on() {
        let big = format!("{{\"t\":\"{}\"}}", "x".repeat(500));
        let text = format!("[{big}, {{\"ok\":1}}]");
        let (rec, res) = walk_str(&text, 100);
        res.unwrap();
        assert!(
            rec.events[0].ends_with("len 508 <too long>"),
            "{}",
            rec.events[0]
        );
        assert!(rec.events[1].ends_with("{\"ok\":1}"));
    }

    #[test]
    fn bad_body_fields_are_findings() {
        let text = r#"{"GroupId": 5, "RecentContactFlag": 3, "Extra": true, "MsgList": [{"m":1}]}"#;
        let (rec, res) = walk_str(text, 1000);
        res.unwrap();
        let body = &rec.bodies[0];
        assert!(body.is_invalid());
        let kinds: Vec<_> = body.findings.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                ProblemKind::UnknownField,
                ProblemKind::WrongType,
                ProblemKind::RecentContactFlag
            ]
        );
        assert_eq!(body.target, Target::from_stem("stem"));
        let not_array = r#"{"GroupId":"g","MsgList":{}}"#;
        let (rec, _) = walk_str(not_array, 1000);
        assert_eq!(rec.events.len(), 1, "{:?}", rec.events);
        assert!(
            rec.events[0].starts_with("msg ArrayItem"),
            "an object without a MsgList array is a message: {:?}",
            rec.events
        );
    }

    #[test]
    fn recent_contact_flag_on_a_community_looking_group_is_warned() {
        let text = r#"{"GroupId":"@TGS#_c","RecentContactFlag":1,"MsgList":[]}"#;
        let (rec, _) = walk_str(text, 1000);
        assert_eq!(
            rec.bodies[0].findings[0].kind,
            ProblemKind::RecentContactFlag
        );
        assert!(
            !rec.bodies[0].is_invalid(),
            "only the service knows the type"
        );
        assert!(rec.bodies[0].recent_contact);
    }

    #[test]
    fn layout_problems_and_syntax_errors() {
        let (rec, res) = walk_str("", 10);
        res.unwrap();
        assert!(rec.events[0].contains("empty"));
        let (rec, res) = walk_str("42", 10);
        res.unwrap();
        assert!(rec.events[0].contains("holds something else"));
        let (rec, res) = walk_str("[{\"a\":1}] [2]", 10);
        res.unwrap();
        assert!(
            rec.events[1].contains("more data follows"),
            "{:?}",
            rec.events
        );
        let (rec, res) = walk_str("[{\"a\":1},\n{\"b\":2} {\"c\":3}]", 100);
        let err = res.unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.message.contains("expected ',' or ']'"),
            "{}",
            err.message
        );
        assert_eq!(rec.events.len(), 2, "what came before the error was read");
    }
}
