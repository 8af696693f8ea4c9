//! Comparing one window of a group (a range of `MsgSeq`s) with what the run recorded there.
//! Pure: the driver reads the window and the ledger, this says what differs.
//!
//! Matching is the settling's own (`settle::reconcile`: sender, time, `Random` and body, with a
//! unique match on sender, time and `Random` when the body differs), so that a verification and
//! a read-back agree on what "landed" means. Then, per message the ledger records in the window:
//! - found at the `MsgSeq` recorded, as sent: verified; with its body changed: changed;
//! - found at another `MsgSeq`: out of order;
//! - not found, but another message sits at its `MsgSeq`: changed (the fields that differ);
//! - not found, and nothing (or a hole) at its `MsgSeq`: missing.
//!
//! Every message of the window nobody claimed is extra (holes and system notices are not
//! messages: they are counted as ignored). Across windows, a message of the run older than one
//! before it in the group is out of order.

use std::collections::HashSet;

use serde_json::Value;

use super::finding::{Finding, FindingKind, MessageView};
use crate::api::types::RspMsg;
use crate::engine::events::SourceRef;
use crate::engine::settle::{Candidate, Resolution, json_eq, reconcile};
use crate::engine::target::Target;

/// A message the ledger records as landed in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// Where it is staged.
    pub source: SourceRef,
    /// As sent: sender, time sent, `Random`, the `MsgSeq` recorded, its body (`null` when the
    /// staged text could not be read).
    pub staged: MessageView,
    /// False when the body could not be read (then it is not compared).
    pub body_known: bool,
}

impl Expected {
    fn recorded_seq(&self) -> u64 {
        self.staged.msg_seq.unwrap_or(0)
    }
}

/// What one window says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowOutcome {
    /// The differences, by `MsgSeq`.
    pub findings: Vec<Finding>,
    /// The run's messages found as sent, where recorded.
    pub verified: u64,
    /// Holes and system notices that are nobody's message.
    pub ignored: u64,
    /// Newest `SendTime` of the run's messages found so far.
    pub last_time: Option<i64>,
}

/// The message a group answered with, as a finding shows it.
pub fn found_view(m: &RspMsg) -> MessageView {
    MessageView {
        from_account: m.from_account.clone(),
        send_time: m.msg_time_stamp,
        random: Some(m.msg_random),
        msg_seq: Some(m.msg_seq),
        body: Value::Array(m.msg_body.iter().map(|e| e.0.clone()).collect()),
    }
}

/// The fields in which `found` differs from `staged` (the body only when it is known).
pub fn differences(staged: &MessageView, found: &MessageView, body_known: bool) -> Vec<String> {
    let mut out = Vec::new();
    if staged.from_account != found.from_account {
        out.push("From_Account".to_owned());
    }
    if staged.send_time != found.send_time {
        out.push("SendTime".to_owned());
    }
    if staged.random.is_some() && staged.random != found.random {
        out.push("Random".to_owned());
    }
    if body_known && !json_eq(&staged.body, &found.body) {
        out.push("MsgBody".to_owned());
    }
    out
}

fn with_fields(differs: &[String]) -> String {
    match differs {
        [] => String::new(),
        [one] => format!(" with another {one}"),
        more => format!(
            " with another {} and {}",
            more[..more.len() - 1].join(", "),
            more[more.len() - 1]
        ),
    }
}

/// Compares the window `lo..=hi`: `expected` are the run's messages the ledger records there,
/// `read` what the group answered (anything outside the window is left alone), `last_time` the
/// newest `SendTime` of the run's messages in the windows before.
pub fn compare_window(
    target: &Target,
    lo: u64,
    hi: u64,
    expected: &[Expected],
    read: &[RspMsg],
    last_time: Option<i64>,
) -> WindowOutcome {
    let in_window: Vec<&RspMsg> = read
        .iter()
        .filter(|m| (lo..=hi).contains(&m.msg_seq))
        .collect();
    let (messages, holes): (Vec<RspMsg>, Vec<&RspMsg>) = {
        let mut messages = Vec::new();
        let mut holes = Vec::new();
        for m in in_window {
            if m.is_place_msg != 0 || m.is_system_msg != 0 {
                holes.push(m);
            } else {
                messages.push(m.clone());
            }
        }
        (messages, holes)
    };
    let candidates: Vec<Candidate> = expected
        .iter()
        .enumerate()
        .map(|(index, e)| Candidate {
            index,
            from_account: e.staged.from_account.clone(),
            send_time: e.staged.send_time,
            // The ledger's row already gives the time sent (`sent_time` under spread).
            staged_time: None,
            random: e.staged.random.unwrap_or(0),
            body: e.staged.body.clone(),
            may_be_overtaken: false,
        })
        .collect();
    let mut out = WindowOutcome {
        last_time,
        ..WindowOutcome::default()
    };
    let mut claimed: HashSet<u64> = HashSet::new();
    // (found seq, found time, index in findings or None when verified) of the run's messages.
    let mut placed: Vec<(u64, i64, Option<usize>)> = Vec::new();
    let mut not_found = Vec::new();
    let finding = |kind, e: &Expected, found: Option<MessageView>, differs, note| Finding {
        kind,
        target: target.clone(),
        source: Some(e.source.clone()),
        msg_seq: found
            .as_ref()
            .and_then(|f: &MessageView| f.msg_seq)
            .or(Some(e.recorded_seq())),
        differs,
        staged: Some(e.staged.clone()),
        found,
        note,
    };
    for (index, resolution) in reconcile(&candidates, &messages) {
        let e = &expected[index];
        match resolution {
            Resolution::Landed { msg_seq, .. } => {
                claimed.insert(msg_seq);
                let Some(m) = messages.iter().find(|m| m.msg_seq == msg_seq) else {
                    continue;
                };
                let view = found_view(m);
                let mut differs = differences(&e.staged, &view, e.body_known);
                if msg_seq == e.recorded_seq() && differs.is_empty() {
                    out.verified += 1;
                    placed.push((msg_seq, m.msg_time_stamp, None));
                } else if msg_seq == e.recorded_seq() {
                    let note = format!("found at MsgSeq {msg_seq}{}", with_fields(&differs));
                    out.findings
                        .push(finding(FindingKind::Changed, e, Some(view), differs, note));
                } else {
                    let note = format!(
                        "found at MsgSeq {msg_seq}{}; the ledger recorded MsgSeq {}",
                        with_fields(&differs),
                        e.recorded_seq()
                    );
                    differs.insert(0, "MsgSeq".to_owned());
                    placed.push((msg_seq, m.msg_time_stamp, Some(out.findings.len())));
                    out.findings.push(finding(
                        FindingKind::OutOfOrder,
                        e,
                        Some(view),
                        differs,
                        note,
                    ));
                }
            }
            Resolution::Missing | Resolution::Overtaken => not_found.push(index),
        }
    }
    for index in not_found {
        let e = &expected[index];
        let seq = e.recorded_seq();
        let other = messages
            .iter()
            .find(|m| m.msg_seq == seq && !claimed.contains(&m.msg_seq));
        if let Some(m) = other {
            claimed.insert(seq);
            let view = found_view(m);
            let differs = differences(&e.staged, &view, e.body_known);
            let note = format!("MsgSeq {seq} holds it{}", with_fields(&differs));
            out.findings
                .push(finding(FindingKind::Changed, e, Some(view), differs, note));
            continue;
        }
        let note = match holes.iter().find(|h| h.msg_seq == seq) {
            Some(h) if h.is_place_msg == 2 => {
                format!("recalled: MsgSeq {seq} is a recalled message")
            }
            Some(h) if h.is_place_msg != 0 => format!("deleted: MsgSeq {seq} is a hole"),
            Some(_) => format!("MsgSeq {seq} holds a system notice"),
            None => "not in the group".to_owned(),
        };
        if let Some(h) = holes.iter().find(|h| h.msg_seq == seq) {
            claimed.insert(h.msg_seq);
        }
        out.findings
            .push(finding(FindingKind::Missing, e, None, Vec::new(), note));
    }
    for m in &messages {
        if claimed.contains(&m.msg_seq) {
            continue;
        }
        let view = found_view(m);
        out.findings.push(Finding {
            kind: FindingKind::Extra,
            target: target.clone(),
            source: None,
            msg_seq: Some(m.msg_seq),
            differs: Vec::new(),
            note: format!(
                "not from this run: sent by {} at {} UTC (SendTime {})",
                m.from_account,
                crate::clock::format_unix(m.msg_time_stamp),
                m.msg_time_stamp
            ),
            staged: None,
            found: Some(view),
        });
    }
    out.ignored = holes
        .iter()
        .filter(|h| !claimed.contains(&h.msg_seq))
        .count() as u64;
    // Order: along the group, the run's messages never go back in time.
    placed.sort_by_key(|&(seq, ..)| seq);
    let mut late = Vec::new();
    for (seq, time, at) in placed {
        match out.last_time {
            Some(newest) if time < newest => {
                if at.is_none() {
                    late.push((seq, time, newest));
                }
            }
            _ => out.last_time = Some(time),
        }
    }
    for (seq, time, newest) in late {
        let Some(e) = expected.iter().find(|e| e.recorded_seq() == seq) else {
            continue;
        };
        let found = messages.iter().find(|m| m.msg_seq == seq).map(found_view);
        out.verified -= 1;
        out.findings.push(finding(
            FindingKind::OutOfOrder,
            e,
            found,
            Vec::new(),
            format!(
                "older (SendTime {time}) than a message of the run before it in the group (SendTime {newest})"
            ),
        ));
    }
    out.findings.sort_by_key(|f| f.msg_seq);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::api::types::MsgElement;

    fn target() -> Target {
        Target::new("g", None)
    }

    fn body(t: &str) -> Value {
        json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
    }

    fn expected(line: u32, seq: u64, time: i64, text: &str) -> Expected {
        Expected {
            source: SourceRef {
                file: Arc::from("g.jsonl"),
                line,
                offset: u64::from(line) * 100,
                item: 0,
            },
            staged: MessageView {
                from_account: "alice".into(),
                send_time: time,
                random: Some(line),
                msg_seq: Some(seq),
                body: body(text),
            },
            body_known: true,
        }
    }

    fn stored(e: &Expected) -> RspMsg {
        RspMsg {
            from_account: e.staged.from_account.clone(),
            is_place_msg: 0,
            is_system_msg: 0,
            msg_random: e.staged.random.unwrap(),
            msg_seq: e.staged.msg_seq.unwrap(),
            msg_time_stamp: e.staged.send_time,
            msg_body: vec![MsgElement::text(
                e.staged.body[0]["MsgContent"]["Text"].as_str().unwrap(),
            )],
        }
    }

    fn kinds(out: &WindowOutcome) -> Vec<(FindingKind, Option<u64>, Option<u32>)> {
        out.findings
            .iter()
            .map(|f| (f.kind, f.msg_seq, f.source.as_ref().map(|s| s.line)))
            .collect()
    }

    #[test]
    fn an_untouched_window_verifies_every_message() {
        let exp: Vec<Expected> = (1..=5)
            .map(|i| expected(i, u64::from(i), 100 + i64::from(i), "x"))
            .collect();
        let read: Vec<RspMsg> = exp.iter().rev().map(stored).collect();
        let out = compare_window(&target(), 1, 20, &exp, &read, None);
        assert_eq!(kinds(&out), []);
        assert_eq!(
            (out.verified, out.ignored, out.last_time),
            (5, 0, Some(105))
        );
    }

    #[test]
    fn deleted_changed_and_added_messages_are_each_named() {
        let exp: Vec<Expected> = (1..=4)
            .map(|i| expected(i, u64::from(i), 100 + i64::from(i), "x"))
            .collect();
        let mut read: Vec<RspMsg> = exp.iter().map(stored).collect();
        // Line 2 deleted (a hole), line 3's text and sender altered, a stranger added at 5.
        read[1].is_place_msg = 1;
        read[1].msg_body.clear();
        read[2].msg_body = vec![MsgElement::text("edited")];
        read[2].from_account = "mallory".into();
        read.push(RspMsg {
            from_account: "bob".into(),
            is_place_msg: 0,
            is_system_msg: 0,
            msg_random: 77,
            msg_seq: 5,
            msg_time_stamp: 200,
            msg_body: vec![MsgElement::text("hello")],
        });
        let out = compare_window(&target(), 1, 20, &exp, &read, None);
        assert_eq!(
            kinds(&out),
            [
                (FindingKind::Missing, Some(2), Some(2)),
                (FindingKind::Changed, Some(3), Some(3)),
                (FindingKind::Extra, Some(5), None),
            ]
        );
        assert!(
            out.findings[0].note.contains("deleted"),
            "{:?}",
            out.findings[0]
        );
        assert_eq!(out.findings[1].differs, ["From_Account", "MsgBody"]);
        assert_eq!(
            out.findings[1].found.as_ref().unwrap().from_account,
            "mallory"
        );
        assert_eq!(
            out.findings[2].note,
            "not from this run: sent by bob at 1970-01-01 00:03:20 UTC (SendTime 200)"
        );
        assert_eq!(out.verified, 2);
    }

    #[test]
    fn a_message_found_elsewhere_or_going_back_in_time_is_out_of_order() {
        let exp = vec![
            expected(1, 1, 101, "a"),
            expected(2, 2, 102, "b"),
            expected(3, 3, 103, "c"),
        ];
        // 1 and 2 swapped places.
        let mut read: Vec<RspMsg> = exp.iter().map(stored).collect();
        read[0].msg_seq = 2;
        read[1].msg_seq = 1;
        let out = compare_window(&target(), 1, 20, &exp, &read, None);
        assert_eq!(
            kinds(&out),
            [
                (FindingKind::OutOfOrder, Some(1), Some(2)),
                (FindingKind::OutOfOrder, Some(2), Some(1)),
            ]
        );
        assert_eq!(out.findings[0].differs, ["MsgSeq"]);
        assert_eq!(out.verified, 1);

        // An intact message older than the newest of an earlier window.
        let out = compare_window(&target(), 1, 20, &exp[..1], &[stored(&exp[0])], Some(150));
        assert_eq!(kinds(&out), [(FindingKind::OutOfOrder, Some(1), Some(1))]);
        assert_eq!((out.verified, out.last_time), (0, Some(150)));
    }

    #[test]
    fn messages_outside_the_window_and_unread_bodies_are_left_alone() {
        let mut e = expected(1, 21, 101, "a");
        let mut found = stored(&e);
        found.msg_body = vec![MsgElement::text("whatever")];
        e.body_known = false;
        e.staged.body = Value::Null;
        let older = RspMsg {
            msg_seq: 20,
            ..found.clone()
        };
        let out = compare_window(&target(), 21, 40, &[e], &[found, older], None);
        assert_eq!(kinds(&out), []);
        assert_eq!(out.verified, 1);
        // A system notice nobody expected is ignored, not extra.
        let notice = RspMsg {
            is_system_msg: 1,
            msg_seq: 41,
            ..stored(&expected(9, 41, 1, "joined"))
        };
        let out = compare_window(&target(), 41, 60, &[], &[notice], None);
        assert_eq!((kinds(&out), out.ignored), (vec![], 1));
    }
}
