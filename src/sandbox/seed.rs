//! The seed file: accounts, groups and existing messages a sandbox starts with.
//!
//! Format (JSON; every field but the group's `id`, `type`, `name`, `create_time` and each
//! message's `from`, `time`, `body` is optional; unknown fields are refused so typos surface):
//! ```json
//! {
//!   "sdkappid": 1400000000,
//!   "admin": "administrator",
//!   "accounts": ["alice", "bob"],
//!   "groups": [
//!     { "id": "@TGS#2C5SZEAEF", "type": "Public", "name": "Team", "create_time": 1600000000,
//!       "owner": "alice", "members": ["alice", "bob"], "max_members": 2000,
//!       "messages": [
//!         { "from": "alice", "time": 1600000100, "random": 17,
//!           "body": [{ "MsgType": "TIMTextElem", "MsgContent": { "Text": "hello" } }] } ] },
//!     { "id": "@TGS#_community", "type": "Community", "name": "Club", "create_time": 1600000000,
//!       "support_topic": true, "topics": ["@TGS#_community@TOPIC#_news"] }
//!   ]
//! }
//! ```
//! `type` is `Private` (or `Work`), `Public`, `ChatRoom` (or `Meeting`), `AVChatRoom` or
//! `Community`. `topics` (and `support_topic`) are for Community groups only; a message may name
//! one of its group's topics in `topic`. Messages of one group (or topic) go in ascending `time`,
//! later than the group's `create_time` and earlier than now; they get sequence numbers 1, 2, ...
//! in that order and make the group's "newest message" non-zero. Owners, members and senders
//! count as imported accounts. A message without `random` gets one from the sandbox's RNG.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::api::types::{GroupType, MsgElement};

use super::rules::{
    TimeBounds, check_group_id, check_group_name, check_msg_body, send_time_problem,
};

/// The whole seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// The SDKAppID to answer for (a `--sdkappid` flag wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdkappid: Option<u64>,
    /// The admin account (an `--admin` flag wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<String>,
    /// Accounts that `account_check` reports as imported.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Groups, in the order `get_appid_group_list` lists them.
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
}

/// One group of the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedGroup {
    /// Group id (1-48 bytes of printable ASCII).
    pub id: String,
    /// `Private`, `Public`, `ChatRoom`, `AVChatRoom` or `Community` (or `Work`, `Meeting`).
    #[serde(rename = "type")]
    pub group_type: String,
    /// Display name (1-30 bytes).
    pub name: String,
    /// Unix seconds.
    pub create_time: i64,
    /// Owner account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Member accounts (the owner is a member without being listed).
    #[serde(default)]
    pub members: Vec<String>,
    /// Member limit; default by type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_members: Option<u64>,
    /// Community only: topics enabled (implied by a non-empty `topics`).
    #[serde(default)]
    pub support_topic: bool,
    /// Community only: topic ids such as `@TGS#_group@TOPIC#_name`.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Existing messages, ascending by time.
    #[serde(default)]
    pub messages: Vec<SeedMsg>,
}

/// One existing message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMsg {
    /// Sender.
    pub from: String,
    /// Unix seconds.
    pub time: i64,
    /// The message's Random; one is drawn when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random: Option<u32>,
    /// A topic of the group, for topic messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// `MsgBody`, kept exactly as written.
    pub body: Vec<MsgElement>,
}

/// Why a seed cannot be used. Names the file, the line (for JSON errors) and the field.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file cannot be read.
    #[error("cannot read the seed file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not JSON of the seed's shape.
    #[error("{origin}: line {line}, column {column}: {message}")]
    Syntax {
        /// The file (or `seed` for text).
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON reader said.
        message: String,
    },
    /// Well-formed, but breaks the service's rules; every problem is listed.
    #[error("{origin}: {} problem(s):\n  {}", problems.len(), problems.join("\n  "))]
    Invalid {
        /// The file (or `seed` for text).
        origin: String,
        /// `field path: problem`, one per problem.
        problems: Vec<String>,
    },
}

/// Largest seed file read.
const MAX_SEED_BYTES: u64 = 256 << 20;

impl Seed {
    /// Reads and checks a seed file; `now` is the time messages must be earlier than.
    pub fn load(path: &Path, now: i64) -> Result<Seed, SeedError> {
        // A regular file only (a FIFO would hang the start), and not unbounded.
        let read_err = |source| SeedError::Read {
            path: path.display().to_string(),
            source,
        };
        let bytes = crate::files::read_capped(path, MAX_SEED_BYTES, true)
            .map_err(|e| read_err(e.into()))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            read_err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "it is not UTF-8 text",
            ))
        })?;
        Seed::parse_from(&text, &path.display().to_string(), now)
    }

    /// Parses and checks seed text.
    pub fn parse(text: &str, now: i64) -> Result<Seed, SeedError> {
        Seed::parse_from(text, "seed", now)
    }

    fn parse_from(text: &str, origin: &str, now: i64) -> Result<Seed, SeedError> {
        let seed: Seed = serde_json::from_str(text).map_err(|e| SeedError::Syntax {
            origin: origin.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        seed.check(now).map_err(|problems| SeedError::Invalid {
            origin: origin.to_owned(),
            problems,
        })?;
        Ok(seed)
    }

    /// Every rule the seed breaks, as `field path: problem`; empty = usable.
    pub fn check(&self, now: i64) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.admin.as_deref() == Some("") {
            problems.push("admin: is empty".to_owned());
        }
        for (i, account) in self.accounts.iter().enumerate() {
            if account.is_empty() {
                problems.push(format!("accounts[{i}]: is empty"));
            }
        }
        let mut ids = HashSet::new();
        for (i, group) in self.groups.iter().enumerate() {
            let at = format!("groups[{i}]");
            if !ids.insert(group.id.as_str()) {
                problems.push(format!("{at}.id: '{}' appears twice", group.id));
            }
            check_group(group, &at, now, &mut problems);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

fn check_group(group: &SeedGroup, at: &str, now: i64, problems: &mut Vec<String>) {
    let mut problem = |field: &str, text: String| problems.push(format!("{at}.{field}: {text}"));
    if let Err(why) = check_group_id(&group.id) {
        problem("id", why);
    }
    let group_type = GroupType::parse(&group.group_type);
    if matches!(group_type, GroupType::Other(_)) {
        problem(
            "type",
            format!(
                "'{}' is not Private, Public, ChatRoom, AVChatRoom or Community",
                group.group_type
            ),
        );
    }
    if let Err(why) = check_group_name(&group.name) {
        problem("name", why);
    }
    if group.create_time <= 0 || group.create_time > now {
        problem(
            "create_time",
            format!("{} is not between 1970 and now ({now})", group.create_time),
        );
    }
    if group.owner.as_deref() == Some("") {
        problem("owner", "is empty".into());
    }
    for (j, member) in group.members.iter().enumerate() {
        if member.is_empty() {
            problem(&format!("members[{j}]"), "is empty".into());
        }
    }
    let community = group_type == GroupType::Community;
    if !community && (group.support_topic || !group.topics.is_empty()) {
        problem(
            "topics",
            "only Community groups have topics (support_topic, topics)".into(),
        );
    }
    let mut topics = HashSet::new();
    for (j, topic) in group.topics.iter().enumerate() {
        if topic.is_empty() || !topics.insert(topic.as_str()) {
            problem(&format!("topics[{j}]"), "is empty or repeated".into());
        }
    }
    if group_type == GroupType::AVChatRoom && !group.messages.is_empty() {
        problem("messages", "an AVChatRoom keeps no history".into());
    }
    // The newest time per stream (the group itself, or one topic).
    let mut newest: std::collections::HashMap<Option<&str>, i64> = Default::default();
    for (j, msg) in group.messages.iter().enumerate() {
        let field = |name: &str| format!("messages[{j}].{name}");
        if msg.from.is_empty() {
            problem(&field("from"), "is empty".into());
        }
        if let Some(topic) = msg.topic.as_deref().filter(|t| !topics.contains(t)) {
            problem(
                &field("topic"),
                format!("'{topic}' is not one of the group's topics"),
            );
        }
        if let Err(why) = check_msg_body(&msg.body) {
            problem(&field("body"), why);
        }
        let stream = msg.topic.as_deref();
        let bounds = TimeBounds {
            create_time: group.create_time,
            newest: newest.get(&stream).copied(),
            request_newest: None,
            now,
            strict: crate::sandbox::StrictTime::Off,
        };
        match send_time_problem(msg.time, bounds) {
            Some(why) => problem(&field("time"), why.replace("SendTime", "time")),
            None => {
                newest.insert(stream, msg.time);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn the_example_seed_parses() {
        let text = include_str!("../../assets/sandbox-seed.example.json");
        let seed = Seed::parse(text, NOW).unwrap();
        assert!(!seed.groups.is_empty());
        assert!(seed.groups.iter().any(|g| !g.messages.is_empty()));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = Seed::parse("{\n  \"groups\": [\n    {\"id\": 5}\n  ]\n}", NOW).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("seed: line 3"), "{text}");
        let typo = Seed::parse(r#"{"acounts": []}"#, NOW).unwrap_err();
        assert!(typo.to_string().contains("acounts"), "{typo}");
    }

    #[test]
    fn every_rule_breach_is_listed_with_its_field() {
        let text = r#"{"groups": [
          {"id": "", "type": "Square", "name": "", "create_time": 1800000000},
          {"id": "g", "type": "Public", "name": "ok", "create_time": 100, "topics": ["t"],
           "messages": [
             {"from": "a", "time": 300, "body": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]},
             {"from": "", "time": 200, "body": []},
             {"from": "a", "time": 1800000000, "topic": "nope", "body": [{"MsgType": "TIMTextElem", "MsgContent": {}}]}
           ]},
          {"id": "g", "type": "AVChatRoom", "name": "av", "create_time": 100,
           "messages": [{"from": "a", "time": 200, "body": [{"MsgType": "TIMTextElem", "MsgContent": {}}]}]}
        ]}"#;
        let SeedError::Invalid { problems, .. } = Seed::parse(text, NOW).unwrap_err() else {
            panic!("expected rule breaches");
        };
        let expect = [
            "groups[0].id: GroupId is empty",
            "groups[0].type: 'Square'",
            "groups[0].name: Name is empty",
            "groups[0].create_time: 1800000000",
            "groups[1].topics: only Community",
            "groups[1].messages[1].from: is empty",
            "groups[1].messages[1].body: MsgBody is empty",
            "groups[1].messages[1].time: time 200 is earlier than the group's newest message (300)",
            "groups[1].messages[2].topic: 'nope'",
            "groups[1].messages[2].time: time 1800000000 is not earlier than now",
            "groups[2].id: 'g' appears twice",
            "groups[2].messages: an AVChatRoom keeps no history",
        ];
        for needle in expect {
            assert!(
                problems.iter().any(|p| p.starts_with(needle)),
                "missing {needle:?} in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), expect.len(), "{problems:#?}");
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let err = Seed::load(Path::new("/nonexistent/seed.json"), NOW).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/seed.json"));
    }
}
