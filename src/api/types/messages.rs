//! Messages: `import_group_msg` (a message, the request, the per-message results) and
//! `group_msg_get_simple` (reading a group's messages back).

use serde::{Deserialize, Serialize};

use super::element::MsgElement;

/// One message of `import_group_msg`'s `MsgList`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportMsg {
    /// The sender's UserID.
    #[serde(rename = "From_Account")]
    pub from_account: String,
    /// Unix seconds.
    #[serde(rename = "SendTime")]
    pub send_time: i64,
    /// De-duplication key: the same Random within 5 minutes drops the later message.
    #[serde(rename = "Random", default, skip_serializing_if = "Option::is_none")]
    pub random: Option<u32>,
    /// The elements.
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
}

impl ImportMsg {
    /// The first words of the message, for result lists.
    pub fn summary(&self) -> String {
        self.msg_body
            .iter()
            .map(MsgElement::summary)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The body of `import_group_msg`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportGroupMsgRequest {
    /// The target group.
    #[serde(rename = "GroupId")]
    pub group_id: String,
    /// 1 = update members' conversation lists; not for Community or AVChatRoom groups.
    #[serde(
        rename = "RecentContactFlag",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recent_contact_flag: Option<u8>,
    /// Topic of a topic-enabled Community group.
    #[serde(rename = "TopicId", default, skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
    /// At most 7 messages, ascending by `SendTime`.
    #[serde(rename = "MsgList")]
    pub msg_list: Vec<ImportMsg>,
}

/// One entry of `ImportMsgResult`, in request order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportMsgResult {
    /// 0 imported; 10004 bad send time; 80001 content filter; 80002 too long.
    #[serde(rename = "Result")]
    pub result: i64,
    /// The message's time as stored.
    #[serde(rename = "MsgTime", default)]
    pub msg_time: i64,
    /// The group sequence number assigned (meaningful when `result` is 0).
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: u64,
}

/// The answer of `import_group_msg` (after the envelope).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportGroupMsgResponse {
    /// One result per message, in request order.
    #[serde(rename = "ImportMsgResult", default)]
    pub import_msg_result: Vec<ImportMsgResult>,
}

/// The body of `group_msg_get_simple`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMsgGetSimpleRequest {
    /// The group.
    #[serde(rename = "GroupId")]
    pub group_id: String,
    /// How many (at most 20 come back).
    #[serde(rename = "ReqMsgNumber")]
    pub req_msg_number: u32,
    /// Only messages with seq at most this; absent = newest.
    #[serde(rename = "ReqMsgSeq", default, skip_serializing_if = "Option::is_none")]
    pub req_msg_seq: Option<u64>,
    /// 1 = include recalled messages.
    #[serde(
        rename = "WithRecalledMsg",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub with_recalled_msg: Option<u8>,
    /// Topic of a Community group.
    #[serde(rename = "TopicId", default, skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
}

/// One message read back by `group_msg_get_simple`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RspMsg {
    /// Sender.
    #[serde(rename = "From_Account", default)]
    pub from_account: String,
    /// 1 = deleted/expired hole, 2 = recalled.
    #[serde(rename = "IsPlaceMsg", default)]
    pub is_place_msg: u8,
    /// 1 = a system message (join/leave notices).
    #[serde(rename = "IsSystemMsg", default)]
    pub is_system_msg: u8,
    /// The message's Random.
    #[serde(rename = "MsgRandom", default)]
    pub msg_random: u32,
    /// Group sequence.
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: u64,
    /// Unix seconds.
    #[serde(rename = "MsgTimeStamp", default)]
    pub msg_time_stamp: i64,
    /// Elements.
    #[serde(rename = "MsgBody", default)]
    pub msg_body: Vec<MsgElement>,
}

/// The answer of `group_msg_get_simple`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupMsgGetSimpleResponse {
    /// The group.
    #[serde(rename = "GroupId", default)]
    pub group_id: String,
    /// 1 = everything asked came back.
    #[serde(rename = "IsFinished", default)]
    pub is_finished: u8,
    /// Newest first.
    #[serde(rename = "RspMsgList", default)]
    pub rsp_msg_list: Vec<RspMsg>,
}
