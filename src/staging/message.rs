//! One staged message, from its bytes to a checked [`ImportMsg`]: UTF-8, JSON, shape, then every
//! rule of `staging::rules`. The reader calls this while scanning and again when loading;
//! the console calls [`check_message_text`] on a message edited by hand.

use serde_json::{Map, Value};

use super::options::ScanOptions;
use super::problem::{Finding, ProblemKind};
use super::rules;
use crate::api::types::{ImportMsg, MsgElement};

/// How a message is framed in its file; this decides which extra fields it may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One line of a `.jsonl` file; `GroupId` and `TopicId` override the file's target.
    Line,
    /// An element of a top-level array of messages in a `.json` file; same overrides.
    ArrayItem,
    /// An element of a request body's `MsgList`: the body's `GroupId` and `TopicId` apply.
    BodyItem,
}

impl Framing {
    fn allows_overrides(self) -> bool {
        matches!(self, Framing::Line | Framing::ArrayItem)
    }

    fn noun(self) -> &'static str {
        match self {
            Framing::Line => "line",
            Framing::ArrayItem | Framing::BodyItem => "element",
        }
    }
}

/// The outcome of checking one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckedMessage {
    /// The message, when no rule found an error.
    pub msg: Option<ImportMsg>,
    /// Everything the rules found (errors and warnings).
    pub findings: Vec<Finding>,
    /// `SendTime` when it is an integer, even a rejected one (it still places the message).
    pub send_time: Option<i64>,
    /// The message's own `GroupId`, when its framing allows one.
    pub group: Option<String>,
    /// The message's own `TopicId`, when its framing allows one.
    pub topic: Option<String>,
    /// For text that is not JSON: the 1-based line within the message where parsing stopped.
    pub error_line: usize,
}

impl CheckedMessage {
    /// True when a rule found an error.
    pub fn has_error(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    fn fail(mut self, finding: Finding) -> Self {
        self.findings.push(finding);
        self.msg = None;
        self
    }
}

/// Checks the bytes of one staged message.
pub fn check_message(bytes: &[u8], framing: Framing, opts: &ScanOptions) -> CheckedMessage {
    let out = CheckedMessage {
        error_line: 1,
        ..CheckedMessage::default()
    };
    // serde_json checks UTF-8 as it parses; only a failed parse looks for bad bytes.
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(obj)) => check_object(obj, framing, opts, out),
        Ok(other) => out.fail(Finding::error(
            ProblemKind::Shape,
            None,
            format!(
                "a message must be a JSON object with From_Account, SendTime and MsgBody, not {}",
                rules::type_name(&other)
            ),
        )),
        Err(e) => {
            if let Err(bad) = std::str::from_utf8(bytes) {
                return out.fail(Finding::error(
                    ProblemKind::NotUtf8,
                    None,
                    format!(
                        "the {} is not UTF-8 (invalid byte at offset {} of it); re-encode the file as UTF-8",
                        framing.noun(),
                        bad.valid_up_to()
                    ),
                ));
            }
            let line = e.line();
            let note = if comment_at(bytes, e.line(), e.column()) {
                super::json_cursor::COMMENT_NOTE
            } else {
                ""
            };
            let mut out = out.fail(Finding::error(
                ProblemKind::InvalidJson,
                None,
                format!("invalid JSON: {}{note}", describe_json_error(&e, framing)),
            ));
            out.error_line = line.max(1);
            out
        }
    }
}

/// Checks a message typed or edited by hand (a JSON object in the service's shape).
pub fn check_message_text(text: &str, opts: &ScanOptions) -> Result<ImportMsg, Vec<Finding>> {
    let checked = check_message(text.as_bytes(), Framing::BodyItem, opts);
    checked.msg.ok_or(checked.findings)
}

fn check_object(
    mut obj: Map<String, Value>,
    framing: Framing,
    opts: &ScanOptions,
    mut out: CheckedMessage,
) -> CheckedMessage {
    if framing == Framing::Line && obj.contains_key("MsgList") {
        return out.fail(Finding::error(
            ProblemKind::Shape,
            Some("MsgList"),
            "this line is a request body (it has MsgList); a .jsonl file holds one message per line: put request bodies in a .json file",
        ));
    }
    for key in obj.keys() {
        let is_override = key == "GroupId" || key == "TopicId";
        if rules::MESSAGE_FIELDS.contains(&key.as_str())
            || (is_override && framing.allows_overrides())
        {
            continue;
        }
        let hint = if is_override {
            "; inside a request body the body's GroupId and TopicId apply"
        } else {
            ""
        };
        out.findings.push(rules::unknown_field(key, hint));
    }
    if framing.allows_overrides() {
        match rules::override_id(obj.get("GroupId"), "GroupId") {
            Ok(g) => out.group = g.map(str::to_owned),
            Err(f) => out.findings.push(f),
        }
        match rules::override_id(obj.get("TopicId"), "TopicId") {
            Ok(t) => out.topic = t.map(str::to_owned),
            Err(f) => out.findings.push(f),
        }
    }
    let from = rules::from_account(obj.get("From_Account")).map(str::to_owned);
    let (send_time, time_problem) = rules::send_time(obj.get("SendTime"), opts.now);
    out.send_time = send_time;
    let random = rules::random(obj.get("Random"));
    out.findings.extend(from.as_ref().err().cloned());
    out.findings.extend(time_problem);
    out.findings.extend(random.as_ref().err().cloned());
    out.findings.extend(rules::msg_body(
        obj.get("MsgBody"),
        opts.allow_other_elements,
    ));
    if out.has_error() {
        return out;
    }
    let (Ok(from_account), Some(send_time), Ok(random), Some(Value::Array(body))) =
        (from, send_time, random, obj.remove("MsgBody"))
    else {
        // The rules above report an error for every way these can be absent.
        return out;
    };
    let msg = ImportMsg {
        from_account,
        send_time,
        random,
        msg_body: body.into_iter().map(MsgElement).collect(),
    };
    match rules::message_size(&msg, opts.max_message_bytes) {
        Some(too_large) => out.fail(too_large),
        None => {
            out.msg = Some(msg);
            out
        }
    }
}

/// serde_json's words without its position suffix, with the position in the framing's terms.
/// Whether a `//` or `/*` comment starts where serde_json stopped (1-based `line`, and `column`
/// of the byte it choked on, or the one after).
fn comment_at(bytes: &[u8], line: usize, column: usize) -> bool {
    let Some(text) = bytes.split(|b| *b == b'\n').nth(line.saturating_sub(1)) else {
        return false;
    };
    let at = column.saturating_sub(1).min(text.len());
    let from = at.saturating_sub(1);
    let window = &text[from..(at + 2).min(text.len())];
    window.windows(2).any(|w| w == b"//" || w == b"/*")
}

fn describe_json_error(e: &serde_json::Error, framing: Framing) -> String {
    let full = e.to_string();
    let words = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(words, _)| words);
    match framing {
        Framing::Line => format!("{words} (at column {})", e.column()),
        _ => format!(
            "{words} (at line {} column {} of the element)",
            e.line(),
            e.column()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn check(text: &str) -> CheckedMessage {
        check_message(text.as_bytes(), Framing::Line, &ScanOptions::new(NOW))
    }

    fn kinds(c: &CheckedMessage) -> Vec<ProblemKind> {
        c.findings.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn a_valid_line_becomes_the_message_unchanged() {
        let line = r#"{"From_Account":"leckie","SendTime":1620808101,"Random":8912345,"MsgBody":[{"MsgType":"TIMFaceElem","MsgContent":{"Index":6,"Data":"abc\u0000\u0001"}},{"MsgContent":{"Text":"red packet"},"MsgType":"TIMTextElem"}]}"#;
        let c = check(line);
        assert!(c.findings.is_empty(), "{:?}", c.findings);
        let msg = c.msg.unwrap();
        assert_eq!(msg.random, Some(8_912_345));
        // Element key order is kept exactly.
        assert_eq!(serde_json::to_string(&msg).unwrap(), line);
    }

    #[test]
    fn not_utf8_is_reported_with_its_position() {
        let c = check_message(b"{\"a\":\"\xff\"}", Framing::Line, &ScanOptions::new(NOW));
        assert_eq!(kinds(&c), [ProblemKind::NotUtf8]);
        assert!(
            c.findings[0].message.contains("offset 6"),
            "{:?}",
            c.findings
        );
    }

    #[test]
    fn invalid_json_names_the_column() {
        let c = check(r#"{"From_Account":"a" "SendTime":1}"#);
        assert_eq!(kinds(&c), [ProblemKind::InvalidJson]);
        assert!(
            c.findings[0].message.contains("column 21"),
            "{:?}",
            c.findings
        );
        assert!(!c.findings[0].message.contains("line 1 column"));
        let element = check_message(b"{\n\"a\": }", Framing::ArrayItem, &ScanOptions::new(NOW));
        assert_eq!(element.error_line, 2);
    }

    #[test]
    fn non_objects_and_bodies_on_lines_are_shape_errors() {
        assert_eq!(kinds(&check("[1,2]")), [ProblemKind::Shape]);
        assert_eq!(kinds(&check("\"hi\"")), [ProblemKind::Shape]);
        let body = check(r#"{"GroupId":"g","MsgList":[]}"#);
        assert_eq!(kinds(&body), [ProblemKind::Shape]);
        assert!(body.findings[0].message.contains(".json file"));
    }

    #[test]
    fn every_field_problem_is_reported_at_once() {
        let c = check(r#"{"From_Account":5,"SendTime":-1,"Random":-2,"MsgBody":[]}"#);
        assert_eq!(
            kinds(&c),
            [
                ProblemKind::WrongType,
                ProblemKind::SendTime,
                ProblemKind::Random,
                ProblemKind::EmptyBody
            ]
        );
        assert_eq!(c.send_time, Some(-1));
        assert!(c.msg.is_none());
        let none = check("{}");
        assert_eq!(
            kinds(&none),
            [
                ProblemKind::MissingField,
                ProblemKind::MissingField,
                ProblemKind::MissingField
            ]
        );
    }

    #[test]
    fn unknown_fields_warn_and_overrides_follow_the_framing() {
        let text = r#"{"GroupId":"g2","TopicId":"t","CloudCustomData":"x","From_Account":"a","SendTime":5,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#;
        let line = check(text);
        assert_eq!(kinds(&line), [ProblemKind::UnknownField]);
        assert_eq!(line.findings[0].field.as_deref(), Some("CloudCustomData"));
        assert_eq!(
            (line.group.as_deref(), line.topic.as_deref()),
            (Some("g2"), Some("t"))
        );
        assert!(line.msg.is_some());
        let in_body = check_message(text.as_bytes(), Framing::BodyItem, &ScanOptions::new(NOW));
        assert_eq!(in_body.findings.len(), 3);
        assert!(in_body.findings[0].message.contains("body's GroupId"));
        assert_eq!(in_body.group, None);
        let bad_group = check(
            r#"{"GroupId":7,"From_Account":"a","SendTime":5,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#,
        );
        assert_eq!(kinds(&bad_group), [ProblemKind::WrongType]);
        assert!(bad_group.msg.is_none());
    }

    #[test]
    fn too_large_messages_are_refused_by_size_as_sent() {
        let text = format!(
            r#"{{"From_Account":"a","SendTime":5,"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{}"}}}}]}}"#,
            "x".repeat(100)
        );
        let mut opts = ScanOptions::new(NOW);
        let sent = text.len() + r#""Random":4294967295,"#.len();
        opts.max_message_bytes = sent;
        assert!(
            check_message(text.as_bytes(), Framing::Line, &opts)
                .msg
                .is_some()
        );
        opts.max_message_bytes = sent - 1;
        let c = check_message(text.as_bytes(), Framing::Line, &opts);
        assert_eq!(kinds(&c), [ProblemKind::MessageTooLarge]);
        // Whitespace in the file does not count: the compact form is what is sent.
        let spaced = text.replace(',', " ,  ");
        opts.max_message_bytes = sent;
        assert!(
            check_message(spaced.as_bytes(), Framing::Line, &opts)
                .msg
                .is_some()
        );
    }

    #[test]
    fn hand_edited_text_is_checked_by_the_same_rules() {
        let opts = ScanOptions::new(NOW);
        assert!(check_message_text(
            r#"{"From_Account":"a","SendTime":5,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#,
            &opts
        )
        .is_ok());
        let errs = check_message_text(r#"{"From_Account":"a","SendTime":5}"#, &opts).unwrap_err();
        assert_eq!(errs[0].field.as_deref(), Some("MsgBody"));
    }
}
