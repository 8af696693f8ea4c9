//! The offline rules for one message, each a small pure function over the message's JSON fields.
//! Sources: docs/service.md#import_group_msg (fields, 12,000 bytes, u32 `Random`) and
//! docs/service.md#message-elements (the four element types, their contents, at most one custom
//! element).

use std::io;

use serde_json::Value;

use super::problem::{Finding, ProblemKind};
use crate::api::types::{CUSTOM, DOCUMENTED_ELEMENT_TYPES, FACE, ImportMsg, LOCATION, TEXT};

/// Longest `From_Account` (a UserID) in bytes.
pub const MAX_ACCOUNT_BYTES: usize = crate::api::types::MAX_USER_ID_BYTES;

/// The fields a staged message may carry that are sent as they are.
pub const MESSAGE_FIELDS: [&str; 4] = ["From_Account", "SendTime", "Random", "MsgBody"];

/// `a string`, `an object`...: how a JSON value's type is named in problems.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn missing(field: &str, what: &str) -> Finding {
    Finding::error(
        ProblemKind::MissingField,
        Some(field),
        format!("{field} is missing; it must be {what}"),
    )
}

pub(super) fn wrong_type(field: &str, what: &str, got: &Value) -> Finding {
    Finding::error(
        ProblemKind::WrongType,
        Some(field),
        format!("{field} must be {what}, not {}", type_name(got)),
    )
}

/// `From_Account`: present, a string, 1 to 32 bytes.
pub fn from_account(v: Option<&Value>) -> Result<&str, Finding> {
    let field = "From_Account";
    let s = match v {
        None => return Err(missing(field, "the sender's UserID (a string)")),
        Some(Value::String(s)) => s,
        Some(other) => return Err(wrong_type(field, "a string (the sender's UserID)", other)),
    };
    if s.is_empty() {
        return Err(Finding::error(
            ProblemKind::FromAccount,
            Some(field),
            "From_Account is empty; it must name the sender",
        ));
    }
    if s.len() > MAX_ACCOUNT_BYTES {
        return Err(Finding::error(
            ProblemKind::FromAccount,
            Some(field),
            format!(
                "From_Account {s:?} is {} bytes; a UserID has at most {MAX_ACCOUNT_BYTES}",
                s.len()
            ),
        ));
    }
    Ok(s)
}

/// `SendTime`: present, an integer, positive, not later than `now`.
/// Returns the integer whenever there is one (even a rejected one) so it can still be sorted.
pub fn send_time(v: Option<&Value>, now: i64) -> (Option<i64>, Option<Finding>) {
    let field = "SendTime";
    let t = match v {
        None => return (None, Some(missing(field, "unix seconds (an integer)"))),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(t) => t,
            None => {
                return (
                    None,
                    Some(Finding::error(
                        ProblemKind::WrongType,
                        Some(field),
                        format!("SendTime must be whole unix seconds, not {n}"),
                    )),
                );
            }
        },
        Some(other) => {
            return (
                None,
                Some(wrong_type(field, "unix seconds (an integer)", other)),
            );
        }
    };
    let problem = if t <= 0 {
        Some(Finding::error(
            ProblemKind::SendTime,
            Some(field),
            format!("SendTime {t} is not a positive unix time"),
        ))
    } else if t > now {
        Some(Finding::error(
            ProblemKind::SendTime,
            Some(field),
            format!(
                "SendTime {t} ({}) is in the future (now is {}); the service refuses it (10004)",
                crate::clock::format_unix(t),
                crate::clock::format_unix(now)
            ),
        ))
    } else {
        None
    };
    (Some(t), problem)
}

/// `Random`, when given: an integer from 0 to 4294967295.
pub fn random(v: Option<&Value>) -> Result<Option<u32>, Finding> {
    let field = "Random";
    match v {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|r| u32::try_from(r).ok())
            .map(Some)
            .ok_or_else(|| {
                Finding::error(
                    ProblemKind::Random,
                    Some(field),
                    format!(
                        "Random {n} is not an integer from 0 to 4294967295 (the service answers 90005); remove it and timport derives one"
                    ),
                )
            }),
        Some(other) => Err(wrong_type(field, "an integer from 0 to 4294967295", other)),
    }
}

/// An optional string field such as `GroupId` or `TopicId` that overrides the file's target.
pub fn override_id<'a>(v: Option<&'a Value>, field: &str) -> Result<Option<&'a str>, Finding> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(wrong_type(field, "a string", other)),
    }
}

/// `RecentContactFlag` of a request body: 0 or 1.
pub fn recent_contact_flag(v: Option<&Value>) -> Result<Option<u8>, Finding> {
    match v {
        None => Ok(None),
        Some(Value::Number(n)) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => {
            Ok(n.as_u64().map(|f| f as u8))
        }
        Some(other) => Err(Finding::error(
            ProblemKind::RecentContactFlag,
            Some("RecentContactFlag"),
            format!("RecentContactFlag must be 0 or 1, not {other}"),
        )),
    }
}

/// `MsgBody`: a non-empty array of elements, each valid, with at most one `TIMCustomElem`.
pub fn msg_body(v: Option<&Value>, allow_other_elements: bool) -> Vec<Finding> {
    let field = "MsgBody";
    let elements = match v {
        None => return vec![missing(field, "an array of message elements")],
        Some(Value::Array(a)) => a,
        Some(other) => return vec![wrong_type(field, "an array of message elements", other)],
    };
    if elements.is_empty() {
        return vec![Finding::error(
            ProblemKind::EmptyBody,
            Some(field),
            "MsgBody is empty; a message needs at least one element",
        )];
    }
    let mut out: Vec<Finding> = elements
        .iter()
        .enumerate()
        .flat_map(|(i, el)| element(i, el, allow_other_elements))
        .collect();
    let customs = elements
        .iter()
        .filter(|el| el.get("MsgType").and_then(Value::as_str) == Some(CUSTOM))
        .count();
    if customs > 1 {
        out.push(Finding::error(
            ProblemKind::TooManyCustom,
            Some(field),
            format!(
                "MsgBody has {customs} TIMCustomElem elements; a message may carry at most one"
            ),
        ));
    }
    out
}

/// One element: an object with a known `MsgType` and the `MsgContent` fields its type requires.
pub fn element(index: usize, el: &Value, allow_other_elements: bool) -> Vec<Finding> {
    // Paths are built only when a finding needs one: this runs for every element staged.
    let path = |tail: &str| format!("MsgBody[{index}]{tail}");
    let Value::Object(obj) = el else {
        return vec![wrong_type(&path(""), "an object {MsgType, MsgContent}", el)];
    };
    let msg_type = match obj.get("MsgType") {
        None => return vec![missing(&path(".MsgType"), "one of the element type names")],
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return vec![wrong_type(&path(".MsgType"), "a string", other)],
    };
    let mut out = Vec::new();
    let documented = DOCUMENTED_ELEMENT_TYPES.contains(&msg_type);
    if !documented {
        let listed = DOCUMENTED_ELEMENT_TYPES.join(", ");
        if allow_other_elements {
            out.push(Finding::warning(
                ProblemKind::ElementType,
                Some(&path(".MsgType")),
                format!(
                    "{msg_type:?} is not one of the element types import_group_msg documents ({listed}); it is sent as written because of --allow-other-elements, and the service may refuse it"
                ),
            ));
        } else {
            return vec![Finding::error(
                ProblemKind::ElementType,
                Some(&path(".MsgType")),
                format!(
                    "{msg_type:?} is not one of the element types import_group_msg documents ({listed}); convert it, or pass --allow-other-elements to send it anyway"
                ),
            )];
        }
    }
    let content = match obj.get("MsgContent") {
        None => {
            out.push(missing(&path(".MsgContent"), "an object"));
            return out;
        }
        Some(Value::Object(c)) => c,
        Some(other) => {
            out.push(wrong_type(&path(".MsgContent"), "an object", other));
            return out;
        }
    };
    if !documented {
        return out;
    }
    for (name, need, required) in content_fields(msg_type) {
        let field = || path(&format!(".MsgContent.{name}"));
        match (content.get(*name), required) {
            (None, true) => out.push(Finding::error(
                ProblemKind::ElementContent,
                Some(&field()),
                format!("{msg_type} needs {} ({})", field(), need.describe()),
            )),
            (None, false) => {}
            (Some(v), _) if !need.accepts(v) => out.push(Finding::error(
                ProblemKind::ElementContent,
                Some(&field()),
                format!("{} must be {}, not {v}", field(), need.describe()),
            )),
            (Some(_), _) => {}
        }
    }
    out
}

/// The JSON type a content field needs.
#[derive(Debug, Clone, Copy)]
enum Need {
    Str,
    Int,
    Num,
}

impl Need {
    fn accepts(self, v: &Value) -> bool {
        match self {
            Need::Str => v.is_string(),
            Need::Int => v.as_i64().is_some(),
            Need::Num => v.is_number(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Need::Str => "a string",
            Need::Int => "an integer",
            Need::Num => "a number",
        }
    }
}

/// `(field, type, required)` per documented element type; the same requirements as
/// [`crate::api::types::MsgElement::typed`].
fn content_fields(msg_type: &str) -> &'static [(&'static str, Need, bool)] {
    match msg_type {
        TEXT => &[("Text", Need::Str, true)],
        FACE => &[("Index", Need::Int, true), ("Data", Need::Str, false)],
        LOCATION => &[
            ("Desc", Need::Str, false),
            ("Latitude", Need::Num, true),
            ("Longitude", Need::Num, true),
        ],
        CUSTOM => &[
            ("Data", Need::Str, false),
            ("Desc", Need::Str, false),
            ("Ext", Need::Str, false),
            ("Sound", Need::Str, false),
        ],
        _ => &[],
    }
}

/// A field that will not be sent.
pub fn unknown_field(name: &str, hint: &str) -> Finding {
    Finding::warning(
        ProblemKind::UnknownField,
        Some(name),
        format!("{name} is not a field of import_group_msg and is not sent{hint}"),
    )
}

/// The size of a message as sent: its compact JSON inside `MsgList`. A message staged without
/// `Random` is measured with the widest one (10 digits), since timport derives it later.
pub fn sent_size(msg: &ImportMsg) -> usize {
    let mut counter = ByteCounter(0);
    // Writing into a counter cannot fail, and an ImportMsg always serializes.
    let _ = serde_json::to_writer(&mut counter, msg);
    match msg.random {
        Some(_) => counter.0,
        None => counter.0 + WIDEST_RANDOM_FIELD.len(),
    }
}

/// What a derived `Random` adds at most to a message staged without one.
const WIDEST_RANDOM_FIELD: &str = "\"Random\":4294967295,";

/// The size rule (`--max-message-bytes`).
pub fn message_size(msg: &ImportMsg, max_bytes: usize) -> Option<Finding> {
    let size = sent_size(msg);
    (size > max_bytes).then(|| {
        Finding::error(
            ProblemKind::MessageTooLarge,
            None,
            format!(
                "the message is {size} bytes as sent (compact JSON{}); the limit is {max_bytes} (--max-message-bytes); the service refuses it (80002): shorten it",
                if msg.random.is_none() {
                    ", counting a 10-digit Random"
                } else {
                    ""
                }
            ),
        )
    })
}

struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::{MsgElement, TypedElement};
    use serde_json::json;

    #[test]
    fn from_account_present_string_at_most_32_bytes() {
        assert_eq!(from_account(Some(&json!("leckie"))), Ok("leckie"));
        assert_eq!(
            from_account(None).unwrap_err().kind,
            ProblemKind::MissingField
        );
        assert_eq!(
            from_account(Some(&json!(42))).unwrap_err().kind,
            ProblemKind::WrongType
        );
        assert_eq!(
            from_account(Some(&json!(""))).unwrap_err().kind,
            ProblemKind::FromAccount
        );
        assert!(from_account(Some(&json!("x".repeat(32)))).is_ok());
        let long = from_account(Some(&json!("x".repeat(33)))).unwrap_err();
        assert_eq!(long.kind, ProblemKind::FromAccount);
        assert!(long.message.contains("33 bytes"), "{}", long.message);
        // Bytes, not characters: 11 CJK characters are 33 bytes.
        assert!(from_account(Some(&json!("用".repeat(11)))).is_err());
    }

    #[test]
    fn send_time_positive_integer_not_in_the_future() {
        let now = 1_700_000_000;
        assert_eq!(send_time(Some(&json!(now)), now), (Some(now), None));
        assert_eq!(send_time(Some(&json!(1)), now), (Some(1), None));
        let (t, p) = send_time(Some(&json!(now + 1)), now);
        assert_eq!(t, Some(now + 1));
        let p = p.unwrap();
        assert_eq!(p.kind, ProblemKind::SendTime);
        assert!(p.message.contains("future"), "{}", p.message);
        assert_eq!(
            send_time(Some(&json!(0)), now).1.unwrap().kind,
            ProblemKind::SendTime
        );
        assert_eq!(
            send_time(Some(&json!(-5)), now).1.unwrap().kind,
            ProblemKind::SendTime
        );
        assert_eq!(
            send_time(Some(&json!(1.5)), now).1.unwrap().kind,
            ProblemKind::WrongType
        );
        assert_eq!(
            send_time(Some(&json!("1620808101")), now).1.unwrap().kind,
            ProblemKind::WrongType
        );
        assert_eq!(
            send_time(None, now).1.unwrap().kind,
            ProblemKind::MissingField
        );
    }

    #[test]
    fn random_within_u32_when_given() {
        assert_eq!(random(None), Ok(None));
        assert_eq!(random(Some(&json!(0))), Ok(Some(0)));
        assert_eq!(random(Some(&json!(4_294_967_295u64))), Ok(Some(u32::MAX)));
        for bad in [json!(4_294_967_296u64), json!(-1), json!(1.5)] {
            assert_eq!(random(Some(&bad)).unwrap_err().kind, ProblemKind::Random);
        }
        assert_eq!(
            random(Some(&json!("7"))).unwrap_err().kind,
            ProblemKind::WrongType
        );
    }

    #[test]
    fn msg_body_is_a_non_empty_array() {
        assert_eq!(msg_body(None, false)[0].kind, ProblemKind::MissingField);
        assert_eq!(
            msg_body(Some(&json!({})), false)[0].kind,
            ProblemKind::WrongType
        );
        assert_eq!(
            msg_body(Some(&json!([])), false)[0].kind,
            ProblemKind::EmptyBody
        );
        assert!(msg_body(Some(&json!([MsgElement::text("hi").0])), false).is_empty());
    }

    #[test]
    fn element_types_are_the_four_documented_unless_allowed() {
        let image = json!({"MsgType": "TIMImageElem", "MsgContent": {"UUID": "u"}});
        let refused = element(0, &image, false);
        assert_eq!(refused.len(), 1);
        assert!(refused[0].is_error());
        assert_eq!(refused[0].kind, ProblemKind::ElementType);
        assert_eq!(refused[0].field.as_deref(), Some("MsgBody[0].MsgType"));
        assert!(refused[0].message.contains("--allow-other-elements"));
        let allowed = element(0, &image, true);
        assert_eq!(allowed.len(), 1);
        assert!(!allowed[0].is_error());
        // Allowed other types still need the element shape.
        let shapeless = element(2, &json!({"MsgType": "TIMImageElem"}), true);
        assert!(
            shapeless
                .iter()
                .any(|f| f.is_error() && f.field.as_deref() == Some("MsgBody[2].MsgContent"))
        );
        assert_eq!(
            element(0, &json!("hi"), false)[0].kind,
            ProblemKind::WrongType
        );
        assert_eq!(
            element(0, &json!({"MsgContent": {}}), false)[0].kind,
            ProblemKind::MissingField
        );
        assert_eq!(
            element(0, &json!({"MsgType": 1, "MsgContent": {}}), false)[0].kind,
            ProblemKind::WrongType
        );
    }

    #[test]
    fn element_contents_have_the_fields_their_type_requires() {
        let cases = [
            (
                json!({"MsgType": TEXT, "MsgContent": {}}),
                "MsgBody[0].MsgContent.Text",
            ),
            (
                json!({"MsgType": TEXT, "MsgContent": {"Text": 5}}),
                "MsgBody[0].MsgContent.Text",
            ),
            (
                json!({"MsgType": FACE, "MsgContent": {"Data": "x"}}),
                "MsgBody[0].MsgContent.Index",
            ),
            (
                json!({"MsgType": FACE, "MsgContent": {"Index": 1.5}}),
                "MsgBody[0].MsgContent.Index",
            ),
            (
                json!({"MsgType": FACE, "MsgContent": {"Index": 1, "Data": 2}}),
                "MsgBody[0].MsgContent.Data",
            ),
            (
                json!({"MsgType": LOCATION, "MsgContent": {"Latitude": 1}}),
                "MsgBody[0].MsgContent.Longitude",
            ),
            (
                json!({"MsgType": LOCATION, "MsgContent": {"Latitude": "1", "Longitude": 2}}),
                "MsgBody[0].MsgContent.Latitude",
            ),
            (
                json!({"MsgType": CUSTOM, "MsgContent": {"Data": {"a": 1}}}),
                "MsgBody[0].MsgContent.Data",
            ),
            (
                json!({"MsgType": CUSTOM, "MsgContent": "x"}),
                "MsgBody[0].MsgContent",
            ),
        ];
        for (el, field) in cases {
            let found = element(0, &el, false);
            assert_eq!(found.len(), 1, "{el}");
            assert!(found[0].is_error(), "{el}");
            assert_eq!(found[0].field.as_deref(), Some(field), "{el}");
        }
    }

    #[test]
    fn accepted_elements_have_typed_views() {
        // The rules and api::types::MsgElement::typed agree on what each type needs.
        let good = [
            MsgElement::text("hi").0,
            MsgElement::face(6, "abc").0,
            json!({"MsgType": FACE, "MsgContent": {"Index": 6}}),
            MsgElement::location("Shenzhen", 22.5, 114.1).0,
            json!({"MsgType": LOCATION, "MsgContent": {"Latitude": 1, "Longitude": 2}}),
            MsgElement::custom("d", "", "", "").0,
            json!({"MsgType": CUSTOM, "MsgContent": {}}),
        ];
        for el in good {
            assert!(element(0, &el, false).is_empty(), "{el}");
            assert!(
                !matches!(MsgElement(el.clone()).typed(), TypedElement::Other { .. }),
                "{el}"
            );
        }
    }

    #[test]
    fn at_most_one_custom_element() {
        let custom = MsgElement::custom("d", "", "", "").0;
        let one = json!([custom.clone(), MsgElement::text("x").0]);
        assert!(msg_body(Some(&one), false).is_empty());
        let two = json!([custom.clone(), custom]);
        let found = msg_body(Some(&two), false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, ProblemKind::TooManyCustom);
    }

    #[test]
    fn size_is_the_compact_message_as_sent() {
        let msg = ImportMsg {
            from_account: "a".into(),
            send_time: 1,
            random: Some(7),
            msg_body: vec![MsgElement::text("hello")],
        };
        let exact = serde_json::to_vec(&msg).unwrap().len();
        assert_eq!(sent_size(&msg), exact);
        assert!(message_size(&msg, exact).is_none());
        let over = message_size(&msg, exact - 1).unwrap();
        assert_eq!(over.kind, ProblemKind::MessageTooLarge);
        assert!(over.message.contains(&format!("{exact} bytes")));
        // Without a staged Random the widest derived one is counted.
        let unstaged = ImportMsg {
            random: None,
            ..msg.clone()
        };
        assert_eq!(sent_size(&unstaged), exact - 1 + 10);
    }

    #[test]
    fn recent_contact_flag_is_0_or_1() {
        assert_eq!(recent_contact_flag(None), Ok(None));
        assert_eq!(recent_contact_flag(Some(&json!(1))), Ok(Some(1)));
        assert_eq!(recent_contact_flag(Some(&json!(0))), Ok(Some(0)));
        for bad in [json!(2), json!("1"), json!(true)] {
            assert_eq!(
                recent_contact_flag(Some(&bad)).unwrap_err().kind,
                ProblemKind::RecentContactFlag
            );
        }
    }

    #[test]
    fn overrides_are_strings() {
        assert_eq!(override_id(Some(&json!("g")), "GroupId"), Ok(Some("g")));
        assert_eq!(override_id(None, "GroupId"), Ok(None));
        let bad = override_id(Some(&json!(5)), "TopicId").unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("TopicId"));
    }
}
