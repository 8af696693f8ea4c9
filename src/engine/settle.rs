//! Settling: finding out which messages are in the group by reading it back, when an answer
//! never came (or on resume, when the ledger may be behind the service).
//!
//! Two pure parts; the lane drives them with its limiter and retry handling:
//! - [`Pager`]: pages `group_msg_get_simple` backwards from the newest message until it has
//!   read every message at least as new as the oldest message in question.
//! - [`reconcile`]: matches the messages in question against what was read, by sender,
//!   `SendTime`, `Random` and body (as JSON values). A message found is landed, with its
//!   `MsgSeq`. A message not found but followed (in the lane's order) by one that was found can
//!   never go in any more: it is "overtaken". A message not found and not followed by a found
//!   one is missing: it is sent again.
//!
//! Matching prefers an exact match (body included). When no read message has the same body but
//! exactly one unclaimed read message has the same sender, time and `Random`, it is taken as the
//! landing (flagged `body_differs`, which the lane reports): a 32-bit `Random` drawn from a hash
//! of the message makes a chance coincidence negligible, whereas resending a message whose body
//! the service re-encoded would double it.

use std::collections::HashMap;

use serde_json::Value;

use crate::api::types::{GroupMsgGetSimpleRequest, GroupMsgGetSimpleResponse, RspMsg};

/// Messages asked per page (the service returns at most 20).
pub const PAGE: u32 = 20;
/// Pages read at most to settle an unknown outcome (100,000 messages).
pub const MAX_PAGES: u32 = 5_000;

/// Pages a group's messages backwards until every message at least as new as `down_to` is read.
#[derive(Debug, Clone)]
pub struct Pager {
    group: String,
    topic: Option<String>,
    down_to: i64,
    next_seq: Option<u64>,
    pages: u32,
    max_pages: u32,
    complete: bool,
    found: Vec<RspMsg>,
    /// Messages newer than this are counted (`newest`) but not kept: nothing in question is
    /// that new, and a long history read back stays small in memory.
    keep_until: Option<i64>,
    newest: Option<i64>,
    oldest: Option<i64>,
}

impl Pager {
    /// Reads `group` (or its `topic`) back to messages older than `down_to` (unix seconds),
    /// `max_pages` pages at most.
    pub fn new(group: &str, topic: Option<&str>, down_to: i64, max_pages: u32) -> Pager {
        Pager {
            group: group.to_owned(),
            topic: topic.map(str::to_owned),
            down_to,
            next_seq: None,
            pages: 0,
            max_pages,
            complete: false,
            found: Vec::new(),
            keep_until: None,
            newest: None,
            oldest: None,
        }
    }

    /// Keeps only the messages read that are no newer than `time` (the newest message in
    /// question): the rest only move [`Pager::newest`].
    pub fn keeping_until(mut self, time: i64) -> Pager {
        self.keep_until = Some(time);
        self
    }

    /// The newest time read (kept or not).
    pub fn newest(&self) -> Option<i64> {
        self.newest
    }

    /// The oldest time read.
    pub fn oldest(&self) -> Option<i64> {
        self.oldest
    }

    /// The next page to ask for; `None` when done (complete, or out of pages).
    pub fn request(&self) -> Option<GroupMsgGetSimpleRequest> {
        if self.complete || self.pages >= self.max_pages {
            return None;
        }
        Some(GroupMsgGetSimpleRequest {
            group_id: self.group.clone(),
            req_msg_number: PAGE,
            req_msg_seq: self.next_seq,
            with_recalled_msg: Some(1),
            topic_id: self.topic.clone(),
        })
    }

    /// Takes the answer to [`Pager::request`].
    pub fn take(&mut self, page: GroupMsgGetSimpleResponse) {
        self.pages += 1;
        let oldest_seq = page.rsp_msg_list.iter().map(|m| m.msg_seq).min();
        let oldest_time = page.rsp_msg_list.iter().map(|m| m.msg_time_stamp).min();
        let newest_time = page.rsp_msg_list.iter().map(|m| m.msg_time_stamp).max();
        self.newest = self.newest.max(newest_time);
        self.oldest = match (self.oldest, oldest_time) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let keep = self.keep_until;
        self.found.extend(
            page.rsp_msg_list
                .into_iter()
                .filter(|m| keep.is_none_or(|k| m.msg_time_stamp <= k)),
        );
        match (oldest_seq, oldest_time) {
            (Some(seq), Some(time)) if seq > 1 && time >= self.down_to => {
                self.next_seq = Some(seq - 1);
            }
            // An empty page, the group's first message, or a message older than needed.
            _ => self.complete = true,
        }
    }

    /// True when everything needed was read.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Pages read so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// What was read, newest first.
    pub fn found(&self) -> &[RspMsg] {
        &self.found
    }

    /// Everything read, newest first.
    pub fn into_found(self) -> Vec<RspMsg> {
        self.found
    }
}

/// A message whose presence is in question.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Its place in the lane (returned with its resolution).
    pub index: usize,
    /// `From_Account`.
    pub from_account: String,
    /// `SendTime`, as it is sent.
    pub send_time: i64,
    /// The staged `SendTime`, when `--same-second spread` sends it later: found at that time
    /// (landed by an earlier run that kept it), it counts as landed all the same.
    pub staged_time: Option<i64>,
    /// `Random`.
    pub random: u32,
    /// `MsgBody` as a JSON value.
    pub body: Value,
    /// True when not being found before a found one makes it overtaken (a message that was
    /// sent, or is still to send); false for one already known to be refused.
    pub may_be_overtaken: bool,
}

/// What the read-back says about a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// In the group.
    Landed {
        /// Its group sequence.
        msg_seq: u64,
        /// Its stored time.
        msg_time: i64,
        /// Found by sender, time and Random only: the body read back differs.
        body_differs: bool,
    },
    /// Not in the group; nothing later is: send it (again).
    Missing,
    /// Not in the group, but a later message is: it can never go in.
    Overtaken,
}

/// Resolves each candidate (given in lane order) against the messages read back.
pub fn reconcile(candidates: &[Candidate], found: &[RspMsg]) -> Vec<(usize, Resolution)> {
    let mut by_key: HashMap<(&str, i64, u32), Vec<usize>> = HashMap::new();
    for (i, m) in found.iter().enumerate() {
        by_key
            .entry((m.from_account.as_str(), m.msg_time_stamp, m.msg_random))
            .or_default()
            .push(i);
    }
    let mut claimed = vec![false; found.len()];
    let mut out: Vec<(usize, Resolution)> = candidates
        .iter()
        .map(|c| {
            let open_at = |time: i64| -> Vec<usize> {
                by_key
                    .get(&(c.from_account.as_str(), time, c.random))
                    .map(|v| v.iter().copied().filter(|&i| !claimed[i]).collect())
                    .unwrap_or_default()
            };
            let mut open = open_at(c.send_time);
            if let (true, Some(staged)) = (open.is_empty(), c.staged_time) {
                open = open_at(staged);
            }
            let exact = open
                .iter()
                .copied()
                .find(|&i| json_eq(&c.body, &body_value(&found[i])));
            let pick = match (exact, open.as_slice()) {
                (Some(i), _) => Some((i, false)),
                (None, [only]) => Some((*only, true)),
                _ => None,
            };
            let resolution = match pick {
                Some((i, body_differs)) => {
                    claimed[i] = true;
                    Resolution::Landed {
                        msg_seq: found[i].msg_seq,
                        msg_time: found[i].msg_time_stamp,
                        body_differs,
                    }
                }
                None => Resolution::Missing,
            };
            (c.index, resolution)
        })
        .collect();
    if let Some(last_landed) = out
        .iter()
        .rposition(|(_, r)| matches!(r, Resolution::Landed { .. }))
    {
        for (pos, (_, r)) in out.iter_mut().enumerate().take(last_landed) {
            if *r == Resolution::Missing && candidates[pos].may_be_overtaken {
                *r = Resolution::Overtaken;
            }
        }
    }
    out
}

fn body_value(m: &RspMsg) -> Value {
    Value::Array(m.msg_body.iter().map(|e| e.0.clone()).collect())
}

/// JSON equality where numbers compare by value (`100` equals `1e2` and `100.0`), objects by
/// their keys whatever the order, arrays element by element.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || matches!((x.as_f64(), y.as_f64()), (Some(p), Some(q)) if p == q)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::types::MsgElement;

    fn text(t: &str) -> Value {
        json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
    }

    fn cand(index: usize, time: i64, random: u32, t: &str) -> Candidate {
        Candidate {
            index,
            from_account: "alice".into(),
            send_time: time,
            staged_time: None,
            random,
            body: text(t),
            may_be_overtaken: true,
        }
    }

    fn stored(seq: u64, time: i64, random: u32, t: &str) -> RspMsg {
        RspMsg {
            from_account: "alice".into(),
            is_place_msg: 0,
            is_system_msg: 0,
            msg_random: random,
            msg_seq: seq,
            msg_time_stamp: time,
            msg_body: vec![MsgElement::text(t)],
        }
    }

    fn landed(seq: u64, time: i64) -> Resolution {
        Resolution::Landed {
            msg_seq: seq,
            msg_time: time,
            body_differs: false,
        }
    }

    #[test]
    fn a_landed_prefix_and_a_missing_suffix() {
        let cands = [
            cand(0, 10, 1, "a"),
            cand(1, 11, 2, "b"),
            cand(2, 12, 3, "c"),
        ];
        let found = [
            stored(8, 11, 2, "b"),
            stored(7, 10, 1, "a"),
            stored(6, 9, 99, "old"),
        ];
        assert_eq!(
            reconcile(&cands, &found),
            [
                (0, landed(7, 10)),
                (1, landed(8, 11)),
                (2, Resolution::Missing)
            ]
        );
    }

    #[test]
    fn a_spread_message_is_found_at_its_sent_time_or_else_at_its_staged_time() {
        // Sent at 11 (spread from 10): found at 11; one found only at its staged 10 (an earlier
        // run kept it there) counts as landed too.
        let mut at_sent = cand(0, 11, 1, "a");
        at_sent.staged_time = Some(10);
        let mut at_staged = cand(1, 12, 2, "b");
        at_staged.staged_time = Some(10);
        let found = [stored(5, 10, 2, "b"), stored(4, 11, 1, "a")];
        assert_eq!(
            reconcile(&[at_sent, at_staged], &found),
            [(0, landed(4, 11)), (1, landed(5, 10))]
        );
    }

    #[test]
    fn a_gap_before_a_landed_message_is_overtaken_unless_already_refused() {
        let mut cands = vec![
            cand(0, 10, 1, "a"),
            cand(1, 11, 2, "b"),
            cand(2, 12, 3, "c"),
        ];
        let found = [stored(9, 12, 3, "c"), stored(8, 10, 1, "a")];
        assert_eq!(
            reconcile(&cands, &found),
            [
                (0, landed(8, 10)),
                (1, Resolution::Overtaken),
                (2, landed(9, 12))
            ]
        );
        cands[1].may_be_overtaken = false;
        assert_eq!(reconcile(&cands, &found)[1], (1, Resolution::Missing));
    }

    #[test]
    fn nothing_found_means_everything_is_missing() {
        let cands = [cand(4, 10, 1, "a"), cand(5, 11, 2, "b")];
        assert_eq!(
            reconcile(&cands, &[stored(1, 5, 7, "x")]),
            [(4, Resolution::Missing), (5, Resolution::Missing)]
        );
    }

    #[test]
    fn every_field_must_match_and_each_landing_is_claimed_once() {
        // Same sender, time and Random but two bodies: each claims its own.
        let cands = [cand(0, 10, 5, "x"), cand(1, 10, 5, "y")];
        let found = [stored(3, 10, 5, "y"), stored(2, 10, 5, "x")];
        assert_eq!(
            reconcile(&cands, &found),
            [(0, landed(2, 10)), (1, landed(3, 10))]
        );
        // Another sender, time or Random is not a match.
        let mut other = stored(2, 10, 5, "x");
        other.from_account = "bob".into();
        assert_eq!(reconcile(&cands[..1], &[other])[0].1, Resolution::Missing);
        assert_eq!(
            reconcile(&cands[..1], &[stored(2, 11, 5, "x")])[0].1,
            Resolution::Missing
        );
        assert_eq!(
            reconcile(&cands[..1], &[stored(2, 10, 6, "x")])[0].1,
            Resolution::Missing
        );
        // One read message cannot settle two candidates.
        let twins = [cand(0, 10, 5, "x"), cand(1, 10, 5, "x")];
        assert_eq!(
            reconcile(&twins, &[stored(2, 10, 5, "x")]),
            [(0, landed(2, 10)), (1, Resolution::Missing)]
        );
    }

    #[test]
    fn a_reencoded_body_still_settles_by_sender_time_and_random() {
        let cands = [cand(0, 10, 5, "x")];
        let got = reconcile(&cands, &[stored(2, 10, 5, "x (edited by a filter)")]);
        assert_eq!(
            got[0].1,
            Resolution::Landed {
                msg_seq: 2,
                msg_time: 10,
                body_differs: true
            }
        );
    }

    #[test]
    fn json_equality_ignores_key_order_and_number_spelling() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":[1e2,22.50]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b":[100,22.5],"a":1.0}"#).unwrap();
        assert!(json_eq(&a, &b));
        assert!(!json_eq(&a, &json!({"a": 1, "b": [100, 22.6]})));
        assert!(!json_eq(&a, &json!({"a": 1})));
        assert!(!json_eq(&json!([1, 2]), &json!([1])));
        assert!(json_eq(&json!("x"), &json!("x")));
    }

    #[test]
    fn the_pager_reads_back_until_older_than_needed() {
        let page = |msgs: Vec<RspMsg>| GroupMsgGetSimpleResponse {
            group_id: "g".into(),
            is_finished: 1,
            rsp_msg_list: msgs,
        };
        let mut p = Pager::new("g", Some("t"), 100, MAX_PAGES);
        let first = p.request().unwrap();
        assert_eq!(
            (
                first.req_msg_seq,
                first.req_msg_number,
                first.topic_id.as_deref()
            ),
            (None, PAGE, Some("t"))
        );
        p.take(page(vec![stored(50, 120, 1, "a"), stored(49, 100, 2, "b")]));
        assert!(!p.is_complete(), "100 is not older than 100");
        assert_eq!(p.request().unwrap().req_msg_seq, Some(48));
        p.take(page(vec![stored(48, 99, 3, "c")]));
        assert!(p.is_complete());
        assert_eq!(p.request(), None);
        assert_eq!((p.found().len(), p.pages()), (3, 2));

        // The group's first message or an empty page ends it too.
        let mut p = Pager::new("g", None, 0, MAX_PAGES);
        p.take(page(vec![stored(1, 5, 1, "a")]));
        assert!(p.is_complete());
        let mut p = Pager::new("g", None, 0, MAX_PAGES);
        p.take(page(vec![]));
        assert!(p.is_complete());
        // Out of pages: no more requests, and not complete.
        let mut p = Pager::new("g", None, 0, 1);
        p.take(page(vec![stored(9, 5, 1, "a")]));
        assert!(!p.is_complete());
        assert_eq!(p.request(), None);

        // A long history read back keeps only what is no newer than the messages in question,
        // and still knows the newest and oldest times it saw.
        let mut p = Pager::new("g", None, 100, MAX_PAGES).keeping_until(110);
        p.take(page(vec![stored(50, 130, 1, "a"), stored(49, 110, 2, "b")]));
        p.take(page(vec![stored(48, 105, 3, "c"), stored(47, 90, 4, "d")]));
        assert!(p.is_complete());
        assert_eq!((p.newest(), p.oldest()), (Some(130), Some(90)));
        let kept: Vec<u64> = p.found().iter().map(|m| m.msg_seq).collect();
        assert_eq!(kept, [49, 48, 47]);
    }
}
