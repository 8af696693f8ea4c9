//! `group_msg_get_simple`: a group's messages read back, newest first, at most 20 per answer,
//! paging backwards with `ReqMsgSeq` (messages with seq at most it). Bodies come back exactly as
//! imported (a message deleted through a test hook is a hole: `IsPlaceMsg` 1, no body). `IsFinished` is 1 when everything asked for came back, 0 when more than 20 were asked
//! for and more than 20 were there.

use serde_json::Value;

use crate::api::types::{GroupMsgGetSimpleRequest, GroupMsgGetSimpleResponse, RspMsg};

use super::{
    Outcome, Refusal, Tally, check_topic, find_group, outcome, parse_request, refuse_av_chat_room,
};
use crate::sandbox::model::State;

/// Most messages one answer carries.
pub const MAX_MESSAGES_PER_ANSWER: usize = 20;

pub(super) fn group_msg_get_simple(state: &State, body: &Value) -> Result<Outcome, Refusal> {
    let req: GroupMsgGetSimpleRequest = parse_request(body, 10004)?;
    let group = find_group(state, &req.group_id)?;
    refuse_av_chat_room(group)?;
    check_topic(group, req.topic_id.as_deref())?;
    if req.req_msg_number == 0 {
        return Err(Refusal::new(10004, "ReqMsgNumber must be at least 1"));
    }
    let Some(stream) = group.stream(req.topic_id.as_deref()) else {
        return Err(Refusal::new(10004, "TopicId is not a topic of the group"));
    };
    let asked = usize::try_from(req.req_msg_number).unwrap_or(usize::MAX);
    let mut newest_first = stream.newest_first(req.req_msg_seq);
    let rsp_msg_list: Vec<RspMsg> = newest_first
        .by_ref()
        .take(asked.min(MAX_MESSAGES_PER_ANSWER))
        .map(|m| RspMsg {
            from_account: m.from.clone(),
            is_place_msg: m.place,
            is_system_msg: 0,
            msg_random: m.random,
            msg_seq: m.seq,
            msg_time_stamp: m.time,
            // A deleted message is a hole: its sequence and time, no body.
            msg_body: if m.place == 1 {
                Vec::new()
            } else {
                m.body.clone()
            },
        })
        .collect();
    let held_back = asked > rsp_msg_list.len() && newest_first.next().is_some();
    outcome(
        &GroupMsgGetSimpleResponse {
            group_id: req.group_id.clone(),
            is_finished: u8::from(!held_back),
            rsp_msg_list,
        },
        Tally::default(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::types::Command;
    use crate::sandbox::commands::testing::{NOW, call, state};

    #[test]
    fn pages_backwards_newest_first_and_caps_at_twenty() {
        let mut s = state();
        for batch in 0..4 {
            let list: Vec<Value> = (0..7)
                .map(|i| {
                    json!({"From_Account": "alice", "SendTime": NOW - 500 + batch * 10 + i,
                "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]})
                })
                .collect();
            call(
                &mut s,
                Command::ImportGroupMsg,
                json!({"GroupId": "pub", "MsgList": list}),
            )
            .unwrap();
        }
        // 1 seeded + 28 imported = seqs 1..=29.
        let read = |s: &mut State, body| -> (Vec<u64>, u64) {
            let a = call(s, Command::GroupMsgGetSimple, body).unwrap();
            let seqs = a["RspMsgList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["MsgSeq"].as_u64().unwrap())
                .collect();
            (seqs, a["IsFinished"].as_u64().unwrap())
        };
        let (seqs, finished) = read(&mut s, json!({"GroupId": "pub", "ReqMsgNumber": 3}));
        assert_eq!((seqs, finished), (vec![29, 28, 27], 1));
        let (seqs, finished) = read(&mut s, json!({"GroupId": "pub", "ReqMsgNumber": 50}));
        assert_eq!((seqs.len(), seqs[0], seqs[19], finished), (20, 29, 10, 0));
        let (seqs, finished) = read(
            &mut s,
            json!({"GroupId": "pub", "ReqMsgNumber": 50, "ReqMsgSeq": 9}),
        );
        assert_eq!((seqs, finished), ((1..=9).rev().collect::<Vec<_>>(), 1));
        assert_eq!(
            call(
                &mut s,
                Command::GroupMsgGetSimple,
                json!({"GroupId": "pub", "ReqMsgNumber": 0})
            ),
            Err(10004)
        );
        assert_eq!(
            call(
                &mut s,
                Command::GroupMsgGetSimple,
                json!({"GroupId": "av", "ReqMsgNumber": 1})
            ),
            Err(10007)
        );
        assert_eq!(
            call(
                &mut s,
                Command::GroupMsgGetSimple,
                json!({"GroupId": "gone", "ReqMsgNumber": 1})
            ),
            Err(10010)
        );
        assert_eq!(
            call(
                &mut s,
                Command::GroupMsgGetSimple,
                json!({"GroupId": "pub"})
            ),
            Err(10004)
        );
    }
}
