//! The service's rules as pure functions, shared by the commands and the seed check.
//! Each returns why something is refused, in words that name the field.

use super::config::StrictTime;
use crate::api::types::{CUSTOM, MsgElement};

/// Longest group id the service accepts, in bytes.
pub const MAX_GROUP_ID_BYTES: usize = 48;
/// Longest group name, in bytes (the service's: `api::types::MAX_GROUP_NAME_BYTES`).
pub const MAX_GROUP_NAME_BYTES: usize = crate::api::types::MAX_GROUP_NAME_BYTES;

/// A group id is 1 to 48 bytes of printable ASCII (else 10015).
pub(crate) fn check_group_id(id: &str) -> Result<(), String> {
    check_length("GroupId", id, MAX_GROUP_ID_BYTES)?;
    if !id.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err("GroupId holds a character that is not printable ASCII".into());
    }
    Ok(())
}

/// A group name is 1 to 30 bytes.
pub(crate) fn check_group_name(name: &str) -> Result<(), String> {
    check_length("Name", name, MAX_GROUP_NAME_BYTES)
}

fn check_length(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{field} is empty"));
    }
    if value.len() > max {
        return Err(format!(
            "{field} is {} bytes long; at most {max}",
            value.len()
        ));
    }
    Ok(())
}

/// `MsgBody` holds at least one element; each is `{"MsgType": string, "MsgContent": object}`;
/// at most one `TIMCustomElem`.
pub(crate) fn check_msg_body(body: &[MsgElement]) -> Result<(), String> {
    if body.is_empty() {
        return Err("MsgBody is empty".into());
    }
    for (i, element) in body.iter().enumerate() {
        if element.msg_type().is_none() {
            return Err(format!("MsgBody[{i}].MsgType is missing or not a string"));
        }
        if !element.content().is_some_and(serde_json::Value::is_object) {
            return Err(format!(
                "MsgBody[{i}].MsgContent is missing or not an object"
            ));
        }
    }
    if body.iter().filter(|e| e.msg_type() == Some(CUSTOM)).count() > 1 {
        return Err("MsgBody holds more than one TIMCustomElem".into());
    }
    Ok(())
}

/// Where a message may go in time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeBounds {
    /// The group's creation time: a message must be later.
    pub(crate) create_time: i64,
    /// The newest message already there, if any: a message must not be earlier.
    pub(crate) newest: Option<i64>,
    /// The newest message before the request began (with strict time across requests, a
    /// message must be later).
    pub(crate) request_newest: Option<i64>,
    /// The service's now: a message must be earlier.
    pub(crate) now: i64,
    /// How "later than the newest" is read.
    pub(crate) strict: StrictTime,
}

/// Why `send_time` is refused (per-message 10004), or `None` when it may go in.
pub(crate) fn send_time_problem(send_time: i64, bounds: TimeBounds) -> Option<String> {
    if send_time <= bounds.create_time {
        return Some(format!(
            "SendTime {send_time} is not later than the group's CreateTime {}",
            bounds.create_time
        ));
    }
    if send_time >= bounds.now {
        return Some(format!(
            "SendTime {send_time} is not earlier than now ({})",
            bounds.now
        ));
    }
    match (bounds.newest, bounds.request_newest, bounds.strict) {
        (Some(newest), _, _) if send_time < newest => Some(format!(
            "SendTime {send_time} is earlier than the group's newest message ({newest})"
        )),
        (Some(newest), _, StrictTime::PerMessage) if send_time == newest => Some(format!(
            "SendTime {send_time} equals the group's newest message time (strict time per message)"
        )),
        (_, Some(before), StrictTime::AcrossRequests) if send_time <= before => Some(format!(
            "SendTime {send_time} is not later than the group's newest message before this request ({before}; strict time across requests)"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids() {
        assert!(check_group_id("@TGS#2C5SZEAEF").is_ok());
        assert!(check_group_id(&"a".repeat(48)).is_ok());
        assert!(check_group_id("").is_err());
        assert!(
            check_group_id(&"a".repeat(49))
                .unwrap_err()
                .contains("49 bytes")
        );
        assert!(check_group_id("tab\there").is_err());
        assert!(check_group_id("grüppe").is_err());
    }

    #[test]
    fn group_names() {
        assert!(check_group_name("Team").is_ok());
        assert!(check_group_name("").is_err());
        assert!(check_group_name(&"n".repeat(31)).is_err());
    }

    #[test]
    fn bodies() {
        let text = MsgElement::text("hi");
        let custom = MsgElement::custom("d", "", "", "");
        assert!(check_msg_body(std::slice::from_ref(&text)).is_ok());
        assert!(check_msg_body(&[text.clone(), custom.clone()]).is_ok());
        assert!(check_msg_body(&[]).is_err());
        assert!(
            check_msg_body(&[custom.clone(), custom])
                .unwrap_err()
                .contains("more than one TIMCustomElem")
        );
        let untyped = MsgElement(serde_json::json!({"MsgContent": {}}));
        assert!(
            check_msg_body(&[text.clone(), untyped])
                .unwrap_err()
                .contains("MsgBody[1].MsgType")
        );
        let no_content = MsgElement(serde_json::json!({"MsgType": "TIMTextElem"}));
        assert!(
            check_msg_body(&[no_content])
                .unwrap_err()
                .contains("MsgContent")
        );
    }

    #[test]
    fn send_times() {
        let bounds = TimeBounds {
            create_time: 100,
            newest: Some(200),
            request_newest: Some(200),
            now: 1000,
            strict: StrictTime::Off,
        };
        assert!(
            send_time_problem(100, bounds)
                .unwrap()
                .contains("CreateTime")
        );
        assert!(send_time_problem(150, bounds).unwrap().contains("newest"));
        assert_eq!(send_time_problem(200, bounds), None, "equal is allowed");
        assert_eq!(send_time_problem(999, bounds), None);
        assert!(send_time_problem(1000, bounds).unwrap().contains("now"));
        let per_message = TimeBounds {
            strict: StrictTime::PerMessage,
            ..bounds
        };
        assert!(
            send_time_problem(200, per_message)
                .unwrap()
                .contains("strict time per message")
        );
        // Across requests: equal to the newest before the request is refused, equal to one the
        // request itself stored is taken.
        let across = TimeBounds {
            strict: StrictTime::AcrossRequests,
            ..bounds
        };
        assert!(
            send_time_problem(200, across)
                .unwrap()
                .contains("before this request")
        );
        let within = TimeBounds {
            newest: Some(300),
            ..across
        };
        assert_eq!(send_time_problem(300, within), None);
        assert!(send_time_problem(299, within).unwrap().contains("earlier"));
        assert!(
            send_time_problem(
                300,
                TimeBounds {
                    strict: StrictTime::PerMessage,
                    ..within
                }
            )
            .is_some()
        );
        let empty = TimeBounds {
            newest: None,
            ..bounds
        };
        assert_eq!(send_time_problem(101, empty), None);
    }
}
