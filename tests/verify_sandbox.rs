//! `timport verify` in process against the sandbox: an untouched run verifies clean; a message
//! deleted, changed, added or moved in the sandbox after the run is each reported with its file
//! and line or its `MsgSeq`; messages that were in a group before the run are counted apart;
//! a verification stopped midway goes on where it stopped without reading a finished window
//! again.

mod run_support;
mod support;
mod verify_support;

use timport::api::types::MsgElement;
use timport::engine::Target;
use timport::engine::ledger::schema::open_for_reading;
use timport::engine::ledger::verify as records;
use timport::engine::verify::{FindingKind, VerifyEvent, VerifyOptions, VerifyStatus};
use timport::exit::Exit;
use verify_support::{How, findings, imported, imported_after, reads, verify_run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untouched_run_verifies_clean() {
    let imp = imported(2, 45).await;
    let before = reads(&imp.sandbox);
    let (summary, events) = verify_run(&imp, How::default()).await;
    let summary = summary.expect("verified");
    assert_eq!(findings(&events), Vec::<String>::new());
    assert_eq!(summary.status, VerifyStatus::Done);
    assert_eq!(summary.exit(), Exit::Done);
    let t = summary.totals;
    assert_eq!((t.expected, t.verified, t.differences()), (90, 90, 0));
    assert_eq!(t.preexisting, 0);
    // Per group: the newest message, then 45 messages in windows of 20 (3 reads).
    assert_eq!(t.reads, 8);
    assert_eq!(reads(&imp.sandbox) - before, 8, "no read more than needed");
    assert!(matches!(
        events.first(),
        Some(VerifyEvent::VerifyStarted {
            expected: 90,
            resumed: false,
            ..
        })
    ));
    assert!(matches!(
        events.last(),
        Some(VerifyEvent::VerifyFinished(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_changed_and_added_messages_are_each_reported() {
    let imp = imported(2, 30).await;
    let sb = &imp.sandbox;
    // g0: line 5 deleted, line 7's text changed; g1: line 9 sent by someone else, and a
    // message added after the run; g0 line 12 and 13 change places.
    assert!(sb.delete_message("g0", None, 5));
    assert!(sb.alter_message("g0", None, 7, |m| m.body =
        vec![MsgElement::text("tampered")]));
    assert!(sb.alter_message("g1", None, 9, |m| m.from = "mallory".into()));
    let added = sb
        .append_message(
            "g1",
            None,
            "bob",
            run_support::BASE_TIME + 100,
            42,
            vec![MsgElement::text("late")],
        )
        .expect("appended");
    assert_eq!(added, 31);
    let (a, b) = (sb.messages("g0")[11].clone(), sb.messages("g0")[12].clone());
    sb.alter_message("g0", None, 12, |m| {
        (m.from, m.time, m.random, m.body) = (b.from.clone(), b.time, b.random, b.body.clone())
    });
    sb.alter_message("g0", None, 13, |m| {
        (m.from, m.time, m.random, m.body) = (a.from.clone(), a.time, a.random, a.body.clone())
    });

    let (summary, events) = verify_run(&imp, How::default()).await;
    let summary = summary.expect("verified");
    // Targets are read at once: their findings interleave; each target's come in order.
    let mut found = findings(&events);
    found.sort_by_key(|f| f.split(' ').nth(1).map(str::to_owned));
    assert_eq!(
        found,
        [
            "missing g0 g0.jsonl:5 seq 5",
            "changed g0 g0.jsonl:7 seq 7",
            "out_of_order g0 g0.jsonl:13 seq 12",
            "out_of_order g0 g0.jsonl:12 seq 13",
            "changed g1 g1.jsonl:9 seq 9",
            "extra g1 seq 31",
        ]
    );
    let of = |kind, group: &str| {
        events.iter().find_map(|e| match e {
            VerifyEvent::Finding(f) if f.kind == kind && f.target.group() == group => {
                Some(f.clone())
            }
            _ => None,
        })
    };
    let changed = of(FindingKind::Changed, "g0").expect("a change");
    assert_eq!(changed.differs, ["MsgBody"]);
    assert_eq!(
        changed.found.as_ref().expect("found").body[0]["MsgContent"]["Text"],
        "tampered"
    );
    assert!(
        of(FindingKind::Missing, "g0")
            .expect("missing")
            .note
            .contains("deleted")
    );
    let extra = of(FindingKind::Extra, "g1").expect("extra");
    assert_eq!(
        of(FindingKind::Changed, "g1").expect("a change").differs,
        ["From_Account"]
    );
    assert!(extra.note.contains("bob"), "{}", extra.note);
    assert_eq!(summary.exit(), Exit::Failed);
    let t = summary.totals;
    assert_eq!(
        (t.verified, t.missing, t.changed, t.extra, t.out_of_order),
        (55, 1, 2, 1, 2)
    );

    // The ledger keeps every one, with what differs and what was found.
    let conn = open_for_reading(&imp.ledger).expect("ledger");
    let kept = records::findings(&conn, summary.verification_id, 100).expect("findings");
    assert_eq!(kept.len(), 6);
    let line7 = kept
        .iter()
        .find(|f| {
            f.source
                .as_ref()
                .is_some_and(|s| &*s.file == "g0.jsonl" && s.line == 7)
        })
        .expect("g0 line 7 kept");
    assert_eq!(
        (line7.kind, line7.differs.as_slice()),
        (FindingKind::Changed, &["MsgBody".to_owned()][..])
    );
    let extra = kept
        .iter()
        .find(|f| f.kind == FindingKind::Extra)
        .expect("extra kept");
    assert_eq!(
        (
            extra.msg_seq,
            extra.found.as_ref().map(|f| f.from_account.as_str())
        ),
        (Some(31), Some("bob"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_in_a_group_before_the_run_are_counted_apart() {
    let imp = imported_after(1, 10, |sb| {
        for i in 0..3 {
            sb.append_message(
                "g0",
                None,
                "old",
                run_support::BASE_TIME - 100 + i,
                9 + i as u32,
                vec![MsgElement::text("before")],
            )
            .expect("appended");
        }
    })
    .await;
    let (summary, events) = verify_run(&imp, How::default()).await;
    let summary = summary.expect("verified");
    assert_eq!(findings(&events), Vec::<String>::new());
    assert_eq!(
        (summary.totals.preexisting, summary.totals.verified),
        (3, 10)
    );
    assert_eq!(summary.targets[0].first_seq, Some(4));
    assert_eq!(summary.exit(), Exit::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_verification_goes_on_where_it_stopped() {
    let imp = imported(1, 200).await;
    imp.sandbox.delete_message("g0", None, 150);
    let one_at_a_time = || VerifyOptions {
        depth: 1,
        ..VerifyOptions::default()
    };
    let before = reads(&imp.sandbox);
    let (first, events) = verify_run(
        &imp,
        How {
            options: one_at_a_time(),
            stop_after: Some(3),
            ..How::default()
        },
    )
    .await;
    let first = first.expect("stopped cleanly");
    assert_eq!(first.status, VerifyStatus::Interrupted);
    assert_eq!(first.exit(), Exit::Interrupted);
    assert!(findings(&events).is_empty(), "line 150 is not reached yet");
    let first_reads = reads(&imp.sandbox) - before;
    let conn = open_for_reading(&imp.ledger).expect("ledger");
    let progress = records::progress_of(&conn, first.verification_id).expect("progress");
    let next = progress[0].1.next_seq;
    assert!(next > 1 && next <= 200, "stopped midway at {next}");
    let done_windows = (next - 1) / 20;
    // The windows compared, the newest message first, and at most the one in flight.
    assert!(
        (1 + done_windows..=2 + done_windows).contains(&first_reads),
        "{first_reads} reads for {done_windows} windows"
    );

    let before = reads(&imp.sandbox);
    let (second, events) = verify_run(
        &imp,
        How {
            options: one_at_a_time(),
            ..How::default()
        },
    )
    .await;
    let second = second.expect("verified");
    assert!(matches!(
        events.first(),
        Some(VerifyEvent::VerifyStarted { resumed: true, .. })
    ));
    assert_eq!(
        second.verification_id, first.verification_id,
        "the same verification"
    );
    assert_eq!(findings(&events), ["missing g0 g0.jsonl:150 seq 150"]);
    let t = second.totals;
    assert_eq!(
        (t.verified, t.missing),
        (199, 1),
        "every message counted once"
    );
    // Only what was left: the newest message again, then the remaining windows.
    let left = (200 - (next - 1)).div_ceil(20);
    assert_eq!(reads(&imp.sandbox) - before, 1 + left);

    // Done: a later verify starts afresh (a new verification).
    let (third, _) = verify_run(&imp, How::default()).await;
    assert_ne!(
        third.expect("verified").verification_id,
        first.verification_id
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_target_at_a_time_and_unknown_ones_refused() {
    let imp = imported(2, 5).await;
    imp.sandbox.delete_message("g0", None, 1);
    let (summary, events) = verify_run(
        &imp,
        How {
            only: vec![Target::new("g1", None)],
            ..How::default()
        },
    )
    .await;
    let summary = summary.expect("verified");
    assert_eq!(summary.targets.len(), 1);
    assert!(findings(&events).is_empty(), "g0 was not in scope");
    let (refused, _) = verify_run(
        &imp,
        How {
            only: vec![Target::new("nope", None)],
            ..How::default()
        },
    )
    .await;
    let err = refused.expect_err("no such target");
    assert_eq!(err.exit(), Exit::BadInput);
    assert!(err.to_string().contains("nope"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_staged_files_are_refused() {
    let imp = imported(1, 3).await;
    let file = imp.staging.join("g0.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("line 1", "line X")).unwrap();
    let (refused, _) = verify_run(&imp, How::default()).await;
    let err = refused.expect_err("changed files");
    assert_eq!(err.exit(), Exit::BadInput);
    assert!(err.to_string().contains("g0.jsonl"), "{err}");
}

/// A group where nothing of the run landed (its lane stopped at the first request: the group is
/// not in the app, 10010) holds nothing to compare: the verification is complete without it,
/// even though the group cannot be read (the demo's AVChatRoom is such a group).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_where_nothing_landed_is_not_needed_to_be_read() {
    let imp = verify_support::imported_into(1, 2, 10, 1, |_| {}).await;
    let (summary, events) = verify_run(&imp, How::default()).await;
    let summary = summary.expect("verified");
    assert_eq!(findings(&events), Vec::<String>::new());
    assert_eq!(summary.status, VerifyStatus::Done, "{summary:?}");
    assert_eq!(summary.exit(), Exit::Done);
    assert_eq!((summary.totals.expected, summary.totals.verified), (10, 10));
    let g1 = summary
        .targets
        .iter()
        .find(|t| t.target == Target::new("g1", None))
        .expect("g1 is in the summary");
    assert_eq!((g1.counts.expected, g1.first_seq), (0, None));
    assert!(g1.error.is_none(), "{g1:?}");
}
