//! Work from a staging directory read in parts: the parts' requests are byte for byte the
//! whole target's plan (what `timport plan` shows), every staged message appears once at its
//! place in the order, invalid ones included, and a run refuses staging errors that hide
//! messages.

use std::path::Path;

use serde_json::json;
use timport::engine::staged::StagedWork;
use timport::engine::work::{WorkItem, WorkSource};
use timport::plan::{PlanOptions, plan_target};
use timport::staging::{ScanOptions, Target, scan};

const T0: i64 = 1_600_000_000;

fn line(from: &str, time: i64, text: &str, random: Option<u32>) -> String {
    let mut m = json!({"From_Account": from, "SendTime": time,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]});
    if let Some(r) = random {
        m["Random"] = json!(r);
    }
    m.to_string()
}

/// A group with same-second runs, repeated staged Randoms, lines out of order, invalid lines,
/// and a second file (a request body with RecentContactFlag) for the same group.
fn stage(dir: &Path) {
    let mut lines = Vec::new();
    for i in 0..60 {
        let time = T0 + (i / 4) as i64; // runs of four in a second
        let random = (i % 9 == 0).then_some(42); // a repeated staged Random
        lines.push(line(&format!("u{}", i % 3), time, &format!("m{i}"), random));
    }
    lines.insert(
        10,
        r#"{"From_Account":"u1","SendTime":1600000002,"MsgBody":[]}"#.into(),
    );
    lines.insert(30, "{not json".into());
    lines.swap(40, 45);
    std::fs::write(dir.join("g1.jsonl"), lines.join("\n") + "\n").unwrap();
    let body = json!({"GroupId": "g1", "RecentContactFlag": 1, "MsgList": [
        json!({"From_Account": "u9", "SendTime": T0 + 7, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "from the body"}}]}),
    ]});
    std::fs::write(dir.join("g1-more.json"), body.to_string()).unwrap();
}

#[test]
fn parts_are_the_whole_plan_and_every_message_has_its_place() {
    let dir = tempfile::tempdir().unwrap();
    stage(dir.path());
    let opts = ScanOptions::new(T0 + 1_000_000);
    let target = Target::new("g1", None);

    // The whole plan, as `timport plan` makes it.
    let whole_staging = scan(dir.path(), &opts).unwrap();
    let loaded = whole_staging.load(&target).unwrap();
    let whole = plan_target(&target, &loaded.messages, &PlanOptions::default());
    assert_eq!(whole.recent_contact_flag, Some(1));
    let entries = whole_staging.target(&target).unwrap().entries().len();
    assert_eq!(entries, 63);

    for part_messages in [1, 5, 13, 1_000] {
        let work = StagedWork::new(
            scan(dir.path(), &opts).unwrap(),
            &[],
            PlanOptions::default(),
        )
        .unwrap()
        .in_parts_of(part_messages);
        assert_eq!(work.targets()[0].messages, 63);
        assert_eq!(work.targets()[0].batches as usize, whole.batches.len());
        let mut reader = work.open(&target).unwrap();
        let (mut bodies, mut items, mut parts) = (Vec::new(), Vec::new(), 0);
        while let Some(part) = reader.next_part().unwrap() {
            parts += 1;
            for b in &part.batches {
                // Each batch's items range covers its messages within the part.
                let valid = part.items[b.items.clone()]
                    .iter()
                    .filter(|i| matches!(i, WorkItem::Valid(m) if m.batch == b.index))
                    .count();
                let sent: serde_json::Value = serde_json::from_slice(&b.body).unwrap();
                assert_eq!(valid, sent["MsgList"].as_array().unwrap().len());
                bodies.push((b.index as usize, b.body.clone()));
            }
            items.extend(part.items);
        }
        let expected: Vec<_> = whole
            .batches
            .iter()
            .map(|b| (b.index, b.body.clone()))
            .collect();
        assert_eq!(
            bodies, expected,
            "parts of {part_messages}: the same requests, byte for byte"
        );
        assert_eq!(
            items.len(),
            63,
            "parts of {part_messages}: every message once"
        );
        let invalid: Vec<u32> = items
            .iter()
            .filter_map(|i| match i {
                WorkItem::Invalid(w) => Some(w.source.line),
                WorkItem::Valid(_) => None,
            })
            .collect();
        assert_eq!(invalid.len(), 2, "{invalid:?}");
        if part_messages == 1 {
            assert!(parts > 10, "{parts} parts");
        }
        if part_messages == 1_000 {
            assert_eq!(parts, 1);
        }
    }
}

#[test]
fn a_group_of_only_invalid_messages_is_one_part_with_nothing_to_send() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g2.jsonl"), "{broken\n{\"also\": 1}\n").unwrap();
    let opts = ScanOptions::new(T0);
    let work = StagedWork::new(
        scan(dir.path(), &opts).unwrap(),
        &[],
        PlanOptions::default(),
    )
    .unwrap();
    let mut reader = work.open(&Target::new("g2", None)).unwrap();
    let part = reader.next_part().unwrap().unwrap();
    assert_eq!(part.items.len(), 2);
    assert!(part.batches.is_empty());
    assert!(part.items.iter().all(|i| matches!(i, WorkItem::Invalid(_))));
    assert!(reader.next_part().unwrap().is_none());
}

#[test]
fn unknown_groups_are_named_with_those_that_are_staged() {
    let dir = tempfile::tempdir().unwrap();
    stage(dir.path());
    let staging = scan(dir.path(), &ScanOptions::new(T0 + 1_000_000)).unwrap();
    let err = StagedWork::new(staging, &["nope".into()], PlanOptions::default())
        .err()
        .unwrap();
    assert!(
        err.contains("no staged messages for group nope; staged groups: g1"),
        "{err}"
    );
}
