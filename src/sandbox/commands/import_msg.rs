//! `import_group_msg`: the rules that make migration hard, applied message by message.
//!
//! Request level (the whole request refused, nothing applied): GroupId malformed 10015, unknown
//! 10010, AVChatRoom 10007; `MsgList` missing, empty or over 7 messages, or a message with a
//! missing or wrongly typed field: 10004; `RecentContactFlag` present on a Community group (the
//! service says Community does not support it; the sandbox refuses rather than ignores it, so a
//! client that sends it finds out), or not 0/1: 10004; `TopicId` on a group without topics or not
//! one of its topics: 10004.
//!
//! Message level, in order, each success moving the group's newest time forward: a `Random` seen
//! in the group within five minutes drops the message as a repeat (Result 0 with the earlier
//! message's MsgSeq and MsgTime, nothing stored); a SendTime not after the group's creation, not
//! before now, or before the newest message gets 10004, and so does, with strict time across
//! requests, one not later than the newest before the request (equal times only within one
//! request), or with strict time per message one equal to the newest; a message whose compact
//! JSON is over the size limit gets 80002; otherwise it is stored with the next seq.
//! A request that stores a message leaves every member's unread count at 0.

use rand::RngExt;
use rand::rngs::StdRng;
use serde::Deserialize;
use serde_json::Value;

use crate::api::types::{GroupType, ImportGroupMsgResponse, ImportMsg, ImportMsgResult};

use super::{Ctx, Outcome, Refusal, Tally, check_topic, find_group, outcome, refuse_av_chat_room};
use crate::sandbox::model::{Group, State};
use crate::sandbox::rules::{TimeBounds, check_msg_body, send_time_problem};

/// Most messages one request may carry.
pub const MAX_MESSAGES_PER_REQUEST: usize = 7;

pub(super) fn import_group_msg(
    state: &mut State,
    body: &Value,
    ctx: &Ctx,
) -> Result<Outcome, Refusal> {
    let group_id = match body.get("GroupId") {
        Some(Value::String(id)) => id.as_str(),
        Some(_) => return Err(Refusal::new(10004, "GroupId must be a string")),
        None => return Err(Refusal::new(10004, "GroupId is missing")),
    };
    let group = find_group(state, group_id)?;
    refuse_av_chat_room(group)?;
    let messages = parse_messages(body)?;
    let topic = optional::<String>(body, "TopicId")?;
    check_topic(group, topic.as_deref())?;
    match optional::<i64>(body, "RecentContactFlag")? {
        Some(_) if group.group_type == GroupType::Community => {
            return Err(Refusal::new(
                10004,
                "RecentContactFlag is not supported for Community groups",
            ));
        }
        Some(flag) if flag != 0 && flag != 1 => {
            return Err(Refusal::new(10004, "RecentContactFlag must be 0 or 1"));
        }
        _ => {}
    }
    let Some((group, rng)) = state.group_mut(group_id) else {
        // find_group just found it and nothing ran in between.
        return Err(Refusal::new(10010, format!("no group '{group_id}'")));
    };
    let mut tally = Tally::default();
    let before = group.stream(topic.as_deref()).and_then(|s| s.newest_time());
    let results = messages
        .into_iter()
        .map(|(msg, size)| {
            let send_time = msg.send_time;
            let landing = land(group, rng, topic.as_deref(), msg, size, before, ctx);
            answer(landing, send_time, &mut tally)
        })
        .collect();
    // "After messages are imported through this API, the unread message count for all members
    // will become 0."
    if tally.imported > 0 {
        group.reset_unread();
    }
    outcome(
        &ImportGroupMsgResponse {
            import_msg_result: results,
        },
        tally,
    )
}

/// A field that may be absent or null; 10004 naming it when it has the wrong type.
fn optional<'a, T: Deserialize<'a>>(body: &'a Value, name: &str) -> Result<Option<T>, Refusal> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => T::deserialize(value)
            .map(Some)
            .map_err(|e| Refusal::new(10004, format!("{name}: {e}"))),
    }
}

/// Each message, typed, with the size of its compact JSON.
fn parse_messages(body: &Value) -> Result<Vec<(ImportMsg, usize)>, Refusal> {
    let list = match body.get("MsgList") {
        Some(Value::Array(list)) => list,
        Some(_) => return Err(Refusal::new(10004, "MsgList must be an array")),
        None => return Err(Refusal::new(10004, "MsgList is missing")),
    };
    if list.is_empty() {
        return Err(Refusal::new(10004, "MsgList is empty"));
    }
    if list.len() > MAX_MESSAGES_PER_REQUEST {
        return Err(Refusal::new(
            10004,
            format!(
                "MsgList holds {} messages; at most {MAX_MESSAGES_PER_REQUEST} per request",
                list.len()
            ),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, raw)| {
            let msg = ImportMsg::deserialize(raw)
                .map_err(|e| Refusal::new(10004, format!("MsgList[{i}]: {e}")))?;
            if msg.from_account.is_empty() {
                return Err(Refusal::new(
                    10004,
                    format!("MsgList[{i}].From_Account is empty"),
                ));
            }
            check_msg_body(&msg.msg_body)
                .map_err(|why| Refusal::new(10004, format!("MsgList[{i}].{why}")))?;
            Ok((msg, raw.to_string().len()))
        })
        .collect()
}

/// What became of one message.
enum Landing {
    Stored { seq: u64 },
    Repeat { seq: u64, time: i64 },
    Refused { code: i64 },
}

/// The message's `ImportMsgResult`, counted in the tally.
fn answer(landing: Landing, send_time: i64, tally: &mut Tally) -> ImportMsgResult {
    let (result, msg_seq, msg_time) = match landing {
        Landing::Stored { seq } => {
            tally.imported += 1;
            (0, seq, send_time)
        }
        Landing::Repeat { seq, time } => {
            tally.duplicates += 1;
            (0, seq, time)
        }
        Landing::Refused { code } => {
            tally.message_refusals.push(code);
            (code, 0, send_time)
        }
    };
    ImportMsgResult {
        result,
        msg_time,
        msg_seq,
    }
}

/// Lands one message of a request; `before` is the group's (topic's) newest time before the
/// request began.
fn land(
    group: &mut Group,
    rng: &mut StdRng,
    topic: Option<&str>,
    msg: ImportMsg,
    size: usize,
    before: Option<i64>,
    ctx: &Ctx,
) -> Landing {
    if let Some(landed) = msg.random.and_then(|r| group.recent.find(r, ctx.now)) {
        return Landing::Repeat {
            seq: landed.seq,
            time: landed.time,
        };
    }
    let Some(newest) = group.stream(topic).map(|s| s.newest_time()) else {
        // check_topic already refused unknown topics.
        return Landing::Refused { code: 10004 };
    };
    let bounds = TimeBounds {
        create_time: group.create_time,
        newest,
        request_newest: before,
        now: ctx.now,
        strict: ctx.strict_time,
    };
    if let Some(why) = send_time_problem(msg.send_time, bounds) {
        tracing::debug!(group = %group.id, %why, "message refused");
        return Landing::Refused { code: 10004 };
    }
    if size > ctx.max_message_bytes {
        tracing::debug!(group = %group.id, size, "message too long");
        return Landing::Refused { code: 80002 };
    }
    let random = msg.random.unwrap_or_else(|| rng.random());
    let time = msg.send_time;
    let Some(stream) = group.stream_mut(topic) else {
        return Landing::Refused { code: 10004 };
    };
    let seq = stream.push(msg.from_account, time, random, msg.msg_body);
    group.recent.remember(random, seq, time, ctx.now);
    Landing::Stored { seq }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::types::Command;
    use crate::sandbox::commands::testing::{NOW, call, call_with, ctx, state};
    use crate::sandbox::config::StrictTime;

    fn msg(time: i64, random: Option<u32>) -> Value {
        let mut m = json!({"From_Account": "alice", "SendTime": time,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("t{time}")}}]});
        if let Some(r) = random {
            m["Random"] = json!(r);
        }
        m
    }

    fn results(answer: &Value) -> Vec<(i64, u64)> {
        answer["ImportMsgResult"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["Result"].as_i64().unwrap(), r["MsgSeq"].as_u64().unwrap()))
            .collect()
    }

    #[test]
    fn messages_apply_in_order_and_each_moves_newest_forward() {
        let mut s = state();
        let body = json!({"GroupId": "pub", "MsgList": [
            msg(NOW - 800, Some(10)), msg(NOW - 850, Some(11)), msg(NOW - 800, Some(12)),
            msg(NOW - 700, None)]});
        let answer = call(&mut s, Command::ImportGroupMsg, body).unwrap();
        assert_eq!(results(&answer), [(0, 2), (10004, 0), (0, 3), (0, 4)]);
        let group = s.group("pub").unwrap();
        assert_eq!(group.main.newest_time(), Some(NOW - 700));
        assert_ne!(group.main.messages()[3].random, 0, "a Random was drawn");
    }

    #[test]
    fn strict_time_refuses_equal_times_across_requests_only() {
        let mut s = state();
        let strict = Ctx {
            strict_time: StrictTime::AcrossRequests,
            ..ctx()
        };
        // The group's newest is NOW - 900 (seeded): equal is refused, then a second shared
        // within the request is taken, and so is a later one.
        let body = json!({"GroupId": "pub", "MsgList": [msg(NOW - 900, Some(20)),
            msg(NOW - 899, Some(21)), msg(NOW - 899, Some(22)), msg(NOW - 898, Some(23))]});
        let answer = call_with(&mut s, Command::ImportGroupMsg, body, &strict).unwrap();
        assert_eq!(results(&answer), [(10004, 0), (0, 2), (0, 3), (0, 4)]);
        // The next request may not start at the newest second.
        let body = json!({"GroupId": "pub", "MsgList": [msg(NOW - 898, Some(24)), msg(NOW - 897, Some(25))]});
        let answer = call_with(&mut s, Command::ImportGroupMsg, body, &strict).unwrap();
        assert_eq!(results(&answer), [(10004, 0), (0, 5)]);
    }

    #[test]
    fn strict_time_per_message_refuses_equal_times_even_within_a_request() {
        let mut s = state();
        let strict = Ctx {
            strict_time: StrictTime::PerMessage,
            ..ctx()
        };
        let body = json!({"GroupId": "pub", "MsgList": [msg(NOW - 900, Some(20)),
            msg(NOW - 899, Some(21)), msg(NOW - 899, Some(22))]});
        let answer = call_with(&mut s, Command::ImportGroupMsg, body, &strict).unwrap();
        assert_eq!(results(&answer), [(10004, 0), (0, 2), (10004, 0)]);
    }

    #[test]
    fn repeats_within_five_minutes_are_answered_but_not_stored() {
        let mut s = state();
        let first = json!({"GroupId": "pub", "MsgList": [msg(NOW - 500, Some(77))]});
        call(&mut s, Command::ImportGroupMsg, first.clone()).unwrap();
        // The same Random again, even with an older time: a repeat, not an ordering error.
        let again = json!({"GroupId": "pub", "MsgList": [msg(NOW - 600, Some(77))]});
        let answer = call(&mut s, Command::ImportGroupMsg, again).unwrap();
        assert_eq!(results(&answer), [(0, 2)]);
        assert_eq!(answer["ImportMsgResult"][0]["MsgTime"], json!(NOW - 500));
        assert_eq!(s.group("pub").unwrap().main.messages().len(), 2);
        // Five minutes on, the same Random is a new message.
        let later = Ctx {
            now: NOW + 300,
            ..ctx()
        };
        let answer = call_with(&mut s, Command::ImportGroupMsg, first, &later).unwrap();
        assert_eq!(results(&answer), [(0, 3)]);
    }

    #[test]
    fn oversized_messages_get_80002_and_the_limit_itself_fits() {
        let mut s = state();
        let fits = msg(NOW - 5, Some(1001));
        let mut big = msg(NOW - 10, Some(1000));
        big["MsgBody"][0]["MsgContent"]["Text"] = json!(format!("t{}x", NOW - 10));
        let limit = fits.to_string().len();
        assert_eq!(big.to_string().len(), limit + 1);
        let small = Ctx {
            max_message_bytes: limit,
            ..ctx()
        };
        let body = json!({"GroupId": "pub", "MsgList": [big, fits]});
        let answer = call_with(&mut s, Command::ImportGroupMsg, body, &small).unwrap();
        assert_eq!(results(&answer), [(80002, 0), (0, 2)]);
    }

    #[test]
    fn request_level_refusals() {
        let mut s = state();
        let one = || json!([msg(NOW - 10, None)]);
        let code = |s: &mut State, body| call(s, Command::ImportGroupMsg, body).unwrap_err();
        assert_eq!(code(&mut s, json!({"MsgList": one()})), 10004);
        assert_eq!(
            code(&mut s, json!({"GroupId": "", "MsgList": one()})),
            10015
        );
        assert_eq!(
            code(&mut s, json!({"GroupId": "nope", "MsgList": one()})),
            10010
        );
        assert_eq!(
            code(&mut s, json!({"GroupId": "av", "MsgList": one()})),
            10007
        );
        assert_eq!(
            code(&mut s, json!({"GroupId": "pub", "MsgList": []})),
            10004
        );
        let eight: Vec<Value> = (0..8).map(|i| msg(NOW - 100 + i, None)).collect();
        assert_eq!(
            code(&mut s, json!({"GroupId": "pub", "MsgList": eight})),
            10004
        );
        let no_sender = json!([{"SendTime": NOW - 5, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}]);
        assert_eq!(
            code(&mut s, json!({"GroupId": "pub", "MsgList": no_sender})),
            10004
        );
        let big_random = json!([{"From_Account": "a", "SendTime": NOW - 5, "Random": 4_294_967_296_u64,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}]);
        assert_eq!(
            code(&mut s, json!({"GroupId": "pub", "MsgList": big_random})),
            10004
        );
        assert_eq!(
            code(
                &mut s,
                json!({"GroupId": "club", "RecentContactFlag": 1, "MsgList": one()})
            ),
            10004
        );
        assert_eq!(
            code(
                &mut s,
                json!({"GroupId": "pub", "RecentContactFlag": 2, "MsgList": one()})
            ),
            10004
        );
        assert_eq!(
            code(
                &mut s,
                json!({"GroupId": "plain", "TopicId": "x", "MsgList": one()})
            ),
            10004
        );
        assert_eq!(
            code(
                &mut s,
                json!({"GroupId": "club", "TopicId": "club@TOPIC#_other", "MsgList": one()})
            ),
            10004
        );
        // Nothing of the refused requests landed.
        assert_eq!(s.group("pub").unwrap().main.messages().len(), 1);
    }

    #[test]
    fn topic_messages_have_their_own_sequence() {
        let mut s = state();
        let body = json!({"GroupId": "club", "TopicId": "club@TOPIC#_t", "MsgList": [msg(NOW - 10, None)]});
        let answer = call(&mut s, Command::ImportGroupMsg, body).unwrap();
        assert_eq!(results(&answer), [(0, 1)]);
        let group = s.group("club").unwrap();
        assert!(group.main.messages().is_empty());
        assert_eq!(group.last_msg_time(), NOW - 10);
    }
}
