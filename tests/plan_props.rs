//! The planner's guarantees, as properties over generated targets, plus a snapshot of the exact
//! bodies planned for a fixture.

use std::collections::HashSet;
use std::path::Path;

use proptest::prelude::*;
use timport::api::types::{ImportGroupMsgRequest, ImportMsg, MsgElement};
use timport::plan::{
    MAX_BATCH_SIZE, PlanOptions, PlanWarningKind, PlannedMessage, SameSecond, TargetPlan,
    plan_target,
};
use timport::staging::{ScanOptions, SourceRef, StagedMessage, Target, scan};

fn staged(target: &Target, line: u32, from: &str, time: i64, random: Option<u32>) -> StagedMessage {
    StagedMessage {
        source: SourceRef {
            file: "g.jsonl".into(),
            line,
            offset: u64::from(line) * 100,
            item: 0,
        },
        target: target.clone(),
        msg: ImportMsg {
            from_account: from.into(),
            send_time: time,
            random,
            msg_body: vec![MsgElement::text(&format!("message {line}"))],
        },
        recent_contact_flag: None,
        warnings: Vec::new(),
    }
}

/// Messages in ascending time with many same-second runs (deltas of 0 are common).
fn target_messages() -> impl Strategy<Value = Vec<(i64, u8, Option<u32>)>> {
    prop::collection::vec(
        (
            prop_oneof![4 => Just(0i64), 2 => Just(1i64), 1 => 2i64..100],
            0u8..5,
            prop::option::weighted(0.3, 0u32..20),
        ),
        0..80,
    )
}

fn build(spec: &[(i64, u8, Option<u32>)]) -> (Target, Vec<StagedMessage>) {
    let target = Target::new("@TGS#prop", None);
    let mut time = 1_600_000_000;
    let msgs = spec
        .iter()
        .enumerate()
        .map(|(i, &(delta, sender, random))| {
            time += delta;
            staged(&target, i as u32 + 1, &format!("u{sender}"), time, random)
        })
        .collect();
    (target, msgs)
}

fn check_plan(plan: &TargetPlan, msgs: &[StagedMessage], batch_size: usize) {
    // Nothing lost, added or reordered.
    let planned: Vec<&SourceRef> = plan
        .batches
        .iter()
        .flat_map(|b| &b.messages)
        .map(|m| &m.source)
        .collect();
    let given: Vec<&SourceRef> = msgs.iter().map(|m| &m.source).collect();
    assert_eq!(planned, given);
    let mut randoms = HashSet::new();
    for (i, batch) in plan.batches.iter().enumerate() {
        assert_eq!(batch.index, i);
        assert!(!batch.messages.is_empty());
        assert!(batch.messages.len() <= batch_size.min(MAX_BATCH_SIZE));
        // The body is exactly these messages, each with its planned Random.
        let request: ImportGroupMsgRequest = serde_json::from_slice(&batch.body).unwrap();
        assert_eq!(request.group_id, plan.target.group());
        assert_eq!(request.msg_list.len(), batch.messages.len());
        for (sent, planned) in request.msg_list.iter().zip(&batch.messages) {
            assert_eq!(sent.random, Some(planned.random));
            assert_eq!(sent.send_time, planned.send_time);
            assert_eq!(sent.from_account, planned.from_account);
            assert_eq!(serde_json::to_vec(sent).unwrap().len(), planned.bytes);
            assert!(
                randoms.insert(planned.random),
                "Random {} used twice",
                planned.random
            );
            if !planned.random_was_staged {
                assert_ne!(planned.random, 0, "a derived Random is never 0");
            }
        }
    }
    // Same-second runs that fit in a batch are never split.
    let batch_of: Vec<usize> = plan
        .batches
        .iter()
        .flat_map(|b| b.messages.iter().map(move |_| b.index))
        .collect();
    let times: Vec<i64> = msgs.iter().map(|m| m.msg.send_time).collect();
    let mut start = 0;
    for run in times.chunk_by(|a, b| a == b) {
        if run.len() <= batch_size.min(MAX_BATCH_SIZE) {
            let batches: HashSet<usize> =
                batch_of[start..start + run.len()].iter().copied().collect();
            assert_eq!(batches.len(), 1, "second {} split", run[0]);
        }
        start += run.len();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn plans_keep_order_lose_nothing_and_respect_sizes_and_seconds(
        spec in target_messages(),
        batch_size in 1usize..=7,
    ) {
        let (target, msgs) = build(&spec);
        let opts = PlanOptions { batch_size, ..PlanOptions::default() };
        let plan = plan_target(&target, &msgs, &opts);
        check_plan(&plan, &msgs, batch_size);
        // The same input plans to the same bytes.
        prop_assert_eq!(plan_target(&target, &msgs, &opts), plan);
    }

    /// `spread`: the same messages in the same order, none earlier than staged (a moved one
    /// says where from), no second split across requests, so no request starts at or below the
    /// previous one's newest time; `Random`s as under `keep` (derived from the staged message).
    #[test]
    fn spread_plans_free_every_request_boundary(
        spec in target_messages(),
        batch_size in 1usize..=7,
    ) {
        let (target, msgs) = build(&spec);
        let opts = PlanOptions { batch_size, same_second: SameSecond::Spread, ..PlanOptions::default() };
        let plan = plan_target(&target, &msgs, &opts);
        let kept = plan_target(&target, &msgs, &PlanOptions { batch_size, ..PlanOptions::default() });
        let planned: Vec<&PlannedMessage> = plan.batches.iter().flat_map(|b| &b.messages).collect();
        let sources: Vec<&SourceRef> = planned.iter().map(|m| &m.source).collect();
        let given: Vec<&SourceRef> = msgs.iter().map(|m| &m.source).collect();
        prop_assert_eq!(sources, given);
        for (p, m) in planned.iter().zip(&msgs) {
            prop_assert!(p.send_time >= m.msg.send_time);
            let moved = (p.send_time != m.msg.send_time).then_some(m.msg.send_time);
            prop_assert_eq!(p.staged_send_time, moved);
        }
        for pair in plan.batches.windows(2) {
            let newest = pair[0].messages.last().map(|m| m.send_time);
            let first = pair[1].messages.first().map(|m| m.send_time);
            prop_assert!(first > newest, "a request starts at {:?} after one ending at {:?}", first, newest);
        }
        for batch in &plan.batches {
            let request: ImportGroupMsgRequest = serde_json::from_slice(&batch.body).unwrap();
            let sent: Vec<i64> = request.msg_list.iter().map(|m| m.send_time).collect();
            let planned: Vec<i64> = batch.messages.iter().map(|m| m.send_time).collect();
            prop_assert_eq!(sent, planned, "the body carries the times sent");
        }
        let randoms = |p: &TargetPlan| -> Vec<u32> {
            p.batches.iter().flat_map(|b| b.messages.iter().map(|m| m.random)).collect()
        };
        prop_assert_eq!(randoms(&plan), randoms(&kept));
    }

    #[test]
    fn staged_randoms_are_kept_unless_already_used(spec in target_messages()) {
        let (target, msgs) = build(&spec);
        let plan = plan_target(&target, &msgs, &PlanOptions::default());
        let mut seen = HashSet::new();
        for (planned, m) in plan.batches.iter().flat_map(|b| &b.messages).zip(&msgs) {
            match m.msg.random {
                Some(r) if !seen.contains(&r) => {
                    prop_assert!(planned.random_was_staged);
                    prop_assert_eq!(planned.random, r);
                }
                _ => prop_assert!(!planned.random_was_staged),
            }
            seen.insert(planned.random);
        }
    }
}

#[test]
fn repeated_staged_randoms_are_replaced_with_a_warning() {
    let t = Target::new("g", None);
    let msgs = [
        staged(&t, 1, "a", 10, Some(5)),
        staged(&t, 2, "b", 11, Some(5)),
    ];
    let plan = plan_target(&t, &msgs, &PlanOptions::default());
    let sent: Vec<(u32, bool)> = plan.batches[0]
        .messages
        .iter()
        .map(|m| (m.random, m.random_was_staged))
        .collect();
    assert_eq!(sent[0], (5, true));
    assert!(!sent[1].1 && sent[1].0 != 5);
    assert_eq!(plan.warnings[0].kind, PlanWarningKind::RandomReplaced);
    assert_eq!(plan.warnings[0].source.as_ref().unwrap().line, 2);
}

#[test]
fn split_seconds_oversize_and_disorder_are_warned() {
    let t = Target::new("g", None);
    let mut msgs: Vec<StagedMessage> = (0..9).map(|i| staged(&t, i + 1, "a", 50, None)).collect();
    msgs.push(staged(&t, 10, "a", 40, None));
    let plan = plan_target(
        &t,
        &msgs,
        &PlanOptions {
            max_message_bytes: 50,
            ..PlanOptions::default()
        },
    );
    let kinds: Vec<PlanWarningKind> = plan.warnings.iter().map(|w| w.kind).collect();
    assert!(kinds.contains(&PlanWarningKind::OutOfOrder));
    assert!(kinds.contains(&PlanWarningKind::SecondSplit));
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == PlanWarningKind::MessageTooLarge)
            .count(),
        10
    );
    assert_eq!(plan.message_count(), 10, "warned, not dropped");
}

#[test]
fn a_spread_burst_is_remarked_on_as_spread_not_split() {
    let t = Target::new("g", None);
    let msgs: Vec<StagedMessage> = (0..9).map(|i| staged(&t, i + 1, "a", 50, None)).collect();
    let kinds = |same_second| -> Vec<PlanWarningKind> {
        let opts = PlanOptions {
            same_second,
            ..PlanOptions::default()
        };
        plan_target(&t, &msgs, &opts)
            .warnings
            .iter()
            .map(|w| w.kind)
            .collect()
    };
    assert_eq!(kinds(SameSecond::Keep), [PlanWarningKind::SecondSplit]);
    assert_eq!(kinds(SameSecond::Spread), [PlanWarningKind::SecondSpread]);
    let plan = plan_target(
        &t,
        &msgs,
        &PlanOptions {
            same_second: SameSecond::Spread,
            ..PlanOptions::default()
        },
    );
    let moved: Vec<(u32, Option<i64>, i64)> = plan
        .moved()
        .map(|m| (m.source.line, m.staged_send_time, m.send_time))
        .collect();
    assert_eq!(moved, [(8, Some(50), 51), (9, Some(50), 51)]);
}

#[test]
fn recent_contact_flag_and_topic_reach_the_body() {
    let t = Target::new("@TGS#_c", Some("@TGS#_c@TOPIC#_t"));
    let mut m = staged(&t, 1, "a", 10, Some(3));
    m.recent_contact_flag = Some(1);
    let plan = plan_target(&t, &[m], &PlanOptions::default());
    assert_eq!(
        std::str::from_utf8(&plan.batches[0].body).unwrap(),
        r#"{"GroupId":"@TGS#_c","RecentContactFlag":1,"TopicId":"@TGS#_c@TOPIC#_t","MsgList":[{"From_Account":"a","SendTime":10,"Random":3,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"message 1"}}]}]}"#
    );
    assert!(
        plan.batches[0]
            .pretty()
            .contains("\n  \"GroupId\": \"@TGS#_c\"")
    );
}

#[test]
fn snapshot_of_the_clean_fixture_plans() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/staging/clean");
    let s = scan(&dir, &ScanOptions::new(1_700_000_000)).unwrap();
    let mut lines = Vec::new();
    for t in s.targets() {
        let loaded = s.load(t.target()).unwrap();
        let plan = plan_target(t.target(), &loaded.messages, &PlanOptions::default());
        for b in &plan.batches {
            lines.push(String::from_utf8(b.body.to_vec()).unwrap());
        }
    }
    insta::assert_snapshot!(lines.join("\n"));
}
