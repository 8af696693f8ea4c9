//! The sandbox's memory: groups, their message streams, accounts, and the recent `Random`s that
//! make repeats disappear. Plain data with small helpers; the commands hold the rules.

use std::collections::{BTreeMap, HashMap, VecDeque};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::api::types::{GroupType, MsgElement};

use super::seed::Seed;

/// How long a `Random` is remembered in a group: a repeat within this many seconds of sandbox
/// time is dropped as a duplicate.
pub const DEDUP_WINDOW_SECS: i64 = 300;

/// A stored message, as `group_msg_get_simple` gives it back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMsg {
    /// `From_Account`
    pub from: String,
    /// `SendTime` as imported.
    pub time: i64,
    /// The message's Random (drawn by the sandbox when the request had none).
    pub random: u32,
    /// The group (or topic) sequence number, from 1.
    pub seq: u64,
    /// `MsgBody`, exactly as imported.
    pub body: Vec<MsgElement>,
    /// What `group_msg_get_simple` says of it in `IsPlaceMsg`: 0 a message, 1 deleted (a hole
    /// read back without a body), 2 recalled. Only the test hooks change it.
    pub place: u8,
}

/// A group as it stands, for tests and demos.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSnapshot {
    /// The id.
    pub id: String,
    /// Its type.
    pub group_type: GroupType,
    /// Its name.
    pub name: String,
    /// Its owner, if any.
    pub owner: Option<String>,
    /// Unix seconds.
    pub create_time: i64,
    /// Time of the newest message in the group or its topics; 0 when there is none.
    pub last_msg_time: i64,
    /// The seq the next message (outside topics) gets.
    pub next_msg_seq: u64,
    /// Members, sorted.
    pub members: Vec<String>,
    /// Member limit.
    pub max_members: u64,
    /// Whether topics are enabled (Community only).
    pub support_topic: bool,
    /// Topic ids, sorted.
    pub topics: Vec<String>,
    /// Messages stored outside topics.
    pub message_count: usize,
}

/// One member of a group, as the sandbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSnapshot {
    /// The account.
    pub account: String,
    /// `Owner`, `Admin` or `Member`.
    pub role: String,
    /// Unix seconds.
    pub join_time: i64,
    /// Unread messages; always 0 in groups that keep no unread counts (ChatRoom, AVChatRoom).
    pub unread: u64,
}

/// An account, as the sandbox holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSnapshot {
    /// The account.
    pub user_id: String,
    /// Its `Nick`, when imported with one.
    pub nick: Option<String>,
    /// Its `FaceUrl`, when imported with one.
    pub face_url: Option<String>,
}

/// One member's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) join_time: i64,
    /// `Owner`, `Admin` or `Member`.
    pub(crate) role: &'static str,
    pub(crate) unread: u64,
}

impl Member {
    pub(crate) fn new(join_time: i64, role: &'static str) -> Member {
        Member {
            join_time,
            role,
            unread: 0,
        }
    }
}

/// One ordered run of messages: a group's own, or one topic's.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    messages: Vec<StoredMsg>,
}

impl Stream {
    pub(crate) fn next_seq(&self) -> u64 {
        self.messages.last().map_or(1, |m| m.seq + 1)
    }

    pub(crate) fn newest_time(&self) -> Option<i64> {
        self.messages.last().map(|m| m.time)
    }

    /// Appends a message with the next seq and returns that seq.
    pub(crate) fn push(
        &mut self,
        from: String,
        time: i64,
        random: u32,
        body: Vec<MsgElement>,
    ) -> u64 {
        let seq = self.next_seq();
        self.messages.push(StoredMsg {
            from,
            time,
            random,
            seq,
            body,
            place: 0,
        });
        seq
    }

    /// The message with sequence `seq`.
    pub(crate) fn message_mut(&mut self, seq: u64) -> Option<&mut StoredMsg> {
        let i = self.messages.binary_search_by_key(&seq, |m| m.seq).ok()?;
        self.messages.get_mut(i)
    }

    pub(crate) fn messages(&self) -> &[StoredMsg] {
        &self.messages
    }

    /// Messages with seq at most `upto` (all when `None`), newest first.
    pub(crate) fn newest_first(&self, upto: Option<u64>) -> impl Iterator<Item = &StoredMsg> {
        // Seqs ascend with the index, so everything up to `upto` is a prefix.
        let end = upto.map_or(self.messages.len(), |upto| {
            self.messages.partition_point(|m| m.seq <= upto)
        });
        self.messages[..end].iter().rev()
    }
}

/// Where a remembered `Random` landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Landed {
    pub(crate) seq: u64,
    pub(crate) time: i64,
    /// Sandbox time of the import.
    at: i64,
}

/// The `Random`s imported into a group in the last five minutes of sandbox time.
#[derive(Debug, Default)]
pub(crate) struct RecentRandoms {
    latest: HashMap<u32, Landed>,
    order: VecDeque<(i64, u32)>,
}

impl RecentRandoms {
    /// Where `random` landed within the window before `now`, if it did.
    pub(crate) fn find(&mut self, random: u32, now: i64) -> Option<Landed> {
        self.forget_before(now);
        self.latest
            .get(&random)
            .copied()
            .filter(|l| now - l.at < DEDUP_WINDOW_SECS)
    }

    pub(crate) fn remember(&mut self, random: u32, seq: u64, time: i64, now: i64) {
        self.latest.insert(random, Landed { seq, time, at: now });
        self.order.push_back((now, random));
    }

    fn forget_before(&mut self, now: i64) {
        while let Some(&(at, random)) = self.order.front() {
            if now - at < DEDUP_WINDOW_SECS {
                break;
            }
            self.order.pop_front();
            if self.latest.get(&random).is_some_and(|l| l.at == at) {
                self.latest.remove(&random);
            }
        }
    }
}

/// One group.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) group_type: GroupType,
    pub(crate) name: String,
    pub(crate) owner: Option<String>,
    pub(crate) create_time: i64,
    pub(crate) max_members: u64,
    /// Account -> its membership.
    pub(crate) members: BTreeMap<String, Member>,
    pub(crate) support_topic: bool,
    pub(crate) main: Stream,
    pub(crate) topics: BTreeMap<String, Stream>,
    pub(crate) recent: RecentRandoms,
}

impl Group {
    /// A group with no members and no messages (the owner, if any, becomes a member).
    pub(crate) fn new(
        id: String,
        group_type: GroupType,
        name: String,
        owner: Option<String>,
        create_time: i64,
    ) -> Group {
        let mut members = BTreeMap::new();
        if let Some(owner) = &owner {
            members.insert(owner.clone(), Member::new(create_time, "Owner"));
        }
        Group {
            max_members: default_max_members(&group_type),
            id,
            group_type,
            name,
            owner,
            create_time,
            members,
            support_topic: false,
            main: Stream::default(),
            topics: BTreeMap::new(),
            recent: RecentRandoms::default(),
        }
    }

    /// The group's own stream, or one of its topics (`None` when there is no such topic).
    pub(crate) fn stream(&self, topic: Option<&str>) -> Option<&Stream> {
        match topic {
            None => Some(&self.main),
            Some(t) => self.topics.get(t),
        }
    }

    pub(crate) fn stream_mut(&mut self, topic: Option<&str>) -> Option<&mut Stream> {
        match topic {
            None => Some(&mut self.main),
            Some(t) => self.topics.get_mut(t),
        }
    }

    /// The newest message time anywhere in the group; 0 when empty.
    pub(crate) fn last_msg_time(&self) -> i64 {
        std::iter::once(&self.main)
            .chain(self.topics.values())
            .filter_map(Stream::newest_time)
            .max()
            .unwrap_or(0)
    }

    /// Messages in the group's own stream: what an unread count is clamped to.
    pub(crate) fn message_count(&self) -> u64 {
        self.main.messages().len() as u64
    }

    /// Imported messages leave every member with nothing unread.
    pub(crate) fn reset_unread(&mut self) {
        for member in self.members.values_mut() {
            member.unread = 0;
        }
    }

    /// Sets a member's unread count, clamped to the group's message count; groups that keep
    /// no unread counts keep nothing.
    pub(crate) fn set_unread(&mut self, account: &str, unread: u64) {
        let keeps = self.group_type.keeps_unread_counts();
        let most = self.message_count();
        if let Some(member) = self.members.get_mut(account) {
            member.unread = if keeps { unread.min(most) } else { 0 };
        }
    }

    pub(crate) fn member_snapshots(&self) -> Vec<MemberSnapshot> {
        self.members
            .iter()
            .map(|(account, m)| MemberSnapshot {
                account: account.clone(),
                role: m.role.to_owned(),
                join_time: m.join_time,
                unread: m.unread,
            })
            .collect()
    }

    pub(crate) fn snapshot(&self) -> GroupSnapshot {
        GroupSnapshot {
            id: self.id.clone(),
            group_type: self.group_type.clone(),
            name: self.name.clone(),
            owner: self.owner.clone(),
            create_time: self.create_time,
            last_msg_time: self.last_msg_time(),
            next_msg_seq: self.main.next_seq(),
            members: self.members.keys().cloned().collect(),
            max_members: self.max_members,
            support_topic: self.support_topic,
            topics: self.topics.keys().cloned().collect(),
            message_count: self.main.messages().len(),
        }
    }
}

/// Member limits by type when nothing says otherwise (sandbox defaults, not the service's).
fn default_max_members(group_type: &GroupType) -> u64 {
    match group_type {
        GroupType::Private => 200,
        GroupType::Public => 2_000,
        GroupType::ChatRoom => 10_000,
        GroupType::Community => 100_000,
        GroupType::AVChatRoom | GroupType::Other(_) => 1_000_000,
    }
}

/// Everything the sandbox holds.
#[derive(Debug)]
pub(crate) struct State {
    groups: Vec<Group>,
    index: HashMap<String, usize>,
    accounts: BTreeMap<String, AccountSnapshot>,
    rng: StdRng,
}

impl State {
    /// An empty app. `rng_seed` fixes assigned ids and Randoms.
    pub(crate) fn new(rng_seed: Option<u64>) -> State {
        State {
            groups: Vec::new(),
            index: HashMap::new(),
            accounts: BTreeMap::new(),
            rng: match rng_seed {
                Some(seed) => StdRng::seed_from_u64(seed),
                None => rand::make_rng(),
            },
        }
    }

    /// An app holding what `seed` lists; the seed's own problems when it breaks a rule.
    pub(crate) fn from_seed(
        seed: &Seed,
        now: i64,
        rng_seed: Option<u64>,
    ) -> Result<State, Vec<String>> {
        seed.check(now)?;
        let mut state = State::new(rng_seed);
        for account in &seed.accounts {
            state.add_account(account);
        }
        for g in &seed.groups {
            let mut group = Group::new(
                g.id.clone(),
                GroupType::parse(&g.group_type),
                g.name.clone(),
                g.owner.clone(),
                g.create_time,
            );
            if let Some(max) = g.max_members {
                group.max_members = max;
            }
            group.support_topic = g.support_topic || !g.topics.is_empty();
            for topic in &g.topics {
                group.topics.insert(topic.clone(), Stream::default());
            }
            for member in &g.members {
                group
                    .members
                    .entry(member.clone())
                    .or_insert_with(|| Member::new(g.create_time, "Member"));
            }
            for msg in &g.messages {
                let random = msg.random.unwrap_or_else(|| state.rng.random());
                // `check` made sure every topic named exists.
                if let Some(stream) = group.stream_mut(msg.topic.as_deref()) {
                    stream.push(msg.from.clone(), msg.time, random, msg.body.clone());
                }
                state.add_account(&msg.from);
            }
            state.add_group(group);
        }
        Ok(state)
    }

    /// Adds a group (its owner and members count as accounts). Ids are checked by the caller.
    pub(crate) fn add_group(&mut self, group: Group) {
        for member in group.members.keys() {
            self.add_account(member);
        }
        self.index.insert(group.id.clone(), self.groups.len());
        self.groups.push(group);
    }

    pub(crate) fn groups(&self) -> &[Group] {
        &self.groups
    }

    pub(crate) fn group(&self, id: &str) -> Option<&Group> {
        self.index.get(id).and_then(|&i| self.groups.get(i))
    }

    /// The group and the RNG together (a message without Random needs one drawn).
    pub(crate) fn group_mut(&mut self, id: &str) -> Option<(&mut Group, &mut StdRng)> {
        let i = *self.index.get(id)?;
        let group = self.groups.get_mut(i)?;
        Some((group, &mut self.rng))
    }

    /// Makes `account` exist (an owner, a member or a sender of a seeded message), keeping its
    /// profile when it has one.
    pub(crate) fn add_account(&mut self, account: &str) {
        if !self.accounts.contains_key(account) {
            self.accounts.insert(
                account.to_owned(),
                AccountSnapshot {
                    user_id: account.to_owned(),
                    ..AccountSnapshot::default()
                },
            );
        }
    }

    /// Imports an account: a new one is created; an existing one takes the given profile
    /// fields (the service updates them).
    pub(crate) fn import_account(&mut self, account: AccountSnapshot) {
        let entry = self
            .accounts
            .entry(account.user_id.clone())
            .or_insert_with(|| AccountSnapshot {
                user_id: account.user_id.clone(),
                ..AccountSnapshot::default()
            });
        if account.nick.is_some() {
            entry.nick = account.nick;
        }
        if account.face_url.is_some() {
            entry.face_url = account.face_url;
        }
    }

    pub(crate) fn is_account(&self, account: &str) -> bool {
        self.accounts.contains_key(account)
    }

    pub(crate) fn account(&self, account: &str) -> Option<&AccountSnapshot> {
        self.accounts.get(account)
    }

    /// Every account, sorted.
    pub(crate) fn accounts(&self) -> impl Iterator<Item = &AccountSnapshot> {
        self.accounts.values()
    }

    /// A fresh id the service would assign: `@TGS#` and ten letters or digits; Community ids
    /// start with `@TGS#_`, as the service's do.
    pub(crate) fn new_group_id(&mut self, community: bool) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        loop {
            let tail: String = (0..10)
                .map(|_| char::from(ALPHABET[self.rng.random_range(0..ALPHABET.len())]))
                .collect();
            let id = if community {
                format!("@TGS#_{tail}")
            } else {
                format!("@TGS#{tail}")
            };
            if !self.index.contains_key(&id) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_number_from_one_and_page_backwards() {
        let mut s = Stream::default();
        assert_eq!((s.next_seq(), s.newest_time()), (1, None));
        for t in [10, 20, 30] {
            s.push("a".into(), t, 0, vec![]);
        }
        assert_eq!(s.next_seq(), 4);
        let seqs = |upto| s.newest_first(upto).map(|m| m.seq).collect::<Vec<_>>();
        assert_eq!(seqs(None), [3, 2, 1]);
        assert_eq!(seqs(Some(2)), [2, 1]);
        assert_eq!(seqs(Some(0)), Vec::<u64>::new());
        assert_eq!(seqs(Some(99)), [3, 2, 1]);
    }

    #[test]
    fn randoms_are_remembered_for_five_minutes() {
        let mut r = RecentRandoms::default();
        r.remember(7, 1, 100, 1_000);
        r.remember(8, 2, 101, 1_100);
        assert_eq!(r.find(7, 1_299).map(|l| l.seq), Some(1));
        assert_eq!(r.find(7, 1_300), None, "300 s later it is forgotten");
        assert_eq!(r.find(8, 1_300).map(|l| l.seq), Some(2));
        // A later landing of the same Random restarts its window.
        r.remember(8, 5, 200, 1_350);
        assert_eq!(r.find(8, 1_600).map(|l| l.seq), Some(5));
        assert_eq!(r.find(8, 1_650), None);
    }

    #[test]
    fn assigned_ids_are_unique_and_community_ids_are_marked() {
        let mut state = State::new(Some(1));
        let id = state.new_group_id(false);
        assert!(
            id.starts_with("@TGS#") && !id.starts_with("@TGS#_") && id.len() == 15,
            "{id}"
        );
        assert!(state.new_group_id(true).starts_with("@TGS#_"));
        state.add_group(Group::new(
            id.clone(),
            GroupType::Public,
            "n".into(),
            None,
            1,
        ));
        assert_ne!(state.new_group_id(false), id);
    }

    #[test]
    fn seeding_makes_members_owners_and_senders_accounts() {
        let seed = Seed::parse(
            r#"{"accounts": ["zed"], "groups": [{"id": "g", "type": "Community", "name": "n",
                "create_time": 10, "owner": "o", "members": ["m"], "topics": ["t"],
                "messages": [
                  {"from": "s", "time": 20, "random": 5, "body": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "a"}}]},
                  {"from": "s", "time": 15, "topic": "t", "body": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "b"}}]}
                ]}]}"#,
            1_000,
        )
        .unwrap();
        let state = State::from_seed(&seed, 1_000, Some(1)).unwrap();
        for account in ["zed", "o", "m", "s"] {
            assert!(state.is_account(account), "{account}");
        }
        let group = state.group("g").unwrap().snapshot();
        assert_eq!(group.members, ["m", "o"]);
        assert_eq!(group.last_msg_time, 20);
        assert_eq!(group.next_msg_seq, 2);
        assert!(group.support_topic);
        let topic = state.group("g").unwrap().stream(Some("t")).unwrap();
        assert_eq!(topic.messages()[0].seq, 1);
    }
}
