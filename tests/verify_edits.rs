//! A verification of a run the operator steered: a message refused, edited in the inspector
//! (another text and another `SendTime`) and retried; another skipped. The edit is what the
//! group should hold: it verifies clean, and changing the stored message back to the staged
//! text is reported as changed. The skipped message is not expected in the group.

mod common;
mod guard_support;

use std::sync::Arc;

use guard_support::{Dec, Decider, Line, invoke, options, stage};
use timport::api::types::MsgElement;
use timport::clock::unix_now;
use timport::engine::ledger::Ledger;
use timport::engine::verify::{
    FindingKind, ReadPace, VerifyEvent, VerifyOptions, VerifyRequest, VerifySummary, verify,
};
use timport::staging::{ScanOptions, scan};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Imports `staging` into `sandbox` (the run pausing at each refused message), `decider`
/// answering each pause.
async fn import(
    sandbox: &timport::sandbox::SandboxHandle,
    staging: &std::path::Path,
    ledger: &std::path::Path,
    decider: &mut Decider,
) -> guard_support::Invocation {
    invoke(
        Arc::new(common::client(sandbox)),
        staging,
        ledger,
        options(true),
        100,
        decider,
        None,
    )
    .await
}

async fn verify_now(
    sandbox: &timport::sandbox::SandboxHandle,
    staging: &std::path::Path,
    ledger: &std::path::Path,
) -> (VerifySummary, Vec<VerifyEvent>) {
    let (tx, mut rx) = mpsc::channel(64);
    let collect = tokio::spawn(async move {
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        events
    });
    let summary = verify(
        Arc::new(common::client(sandbox)),
        VerifyRequest {
            ledger: Ledger::open(ledger).expect("ledger"),
            run_id: 1,
            only: Vec::new(),
            staging: Arc::new(scan(staging, &ScanOptions::new(unix_now())).expect("scan")),
            restart: true,
            options: VerifyOptions::default(),
        },
        ReadPace::own(200),
        tx,
        CancellationToken::new(),
    )
    .await
    .expect("verified");
    (summary, collect.await.expect("events"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_message_is_compared_with_its_edit_and_a_skipped_one_is_not_expected() {
    let t0 = unix_now() - 500_000;
    let sandbox = common::start(guard_support::group_config(
        common::config(),
        timport::sandbox::StrictTime::AcrossRequests,
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let staging = dir.path().join("staging");
    // Lines 3 and 6 are too long for the sandbox (80002): 3 is edited (to the newest time:
    // the rest of its request landed), 6
    // skipped.
    let lines: Vec<Line> = (1..=8)
        .map(|i| match i {
            3 | 6 => Line::Long(t0 + 10 * i),
            _ => Line::Valid(t0 + 10 * i),
        })
        .collect();
    stage(&staging, &lines);
    let ledger = dir.path().join("ledger.sqlite3");
    let mut decider = Decider::new(vec![Dec::Edit(t0 + 95), Dec::Skip]);
    let ran = import(&sandbox, &staging, &ledger, &mut decider).await;
    assert_eq!(ran.exit, Some(1), "one skipped: {:#?}", ran.events.last());
    let stored = sandbox.messages(guard_support::GROUP);
    assert_eq!(stored.len(), 7);
    let edited = stored
        .iter()
        .find(|m| m.body[0].summary() == "e3-1")
        .expect("the edit landed")
        .clone();
    assert_eq!(edited.time, t0 + 95);

    let (summary, events) = verify_now(&sandbox, &staging, &ledger).await;
    let findings: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, VerifyEvent::Finding(_)))
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!((summary.totals.expected, summary.totals.verified), (7, 7));

    // Back to the staged text: the group no longer holds what was sent.
    sandbox.alter_message(guard_support::GROUP, None, edited.seq, |m| {
        m.body = vec![MsgElement::text("L3 as staged")];
    });
    let (summary, events) = verify_now(&sandbox, &staging, &ledger).await;
    let [VerifyEvent::Finding(f)] = events
        .iter()
        .filter(|e| matches!(e, VerifyEvent::Finding(_)))
        .collect::<Vec<_>>()[..]
    else {
        panic!("one finding: {events:#?}")
    };
    assert_eq!(f.kind, FindingKind::Changed);
    assert_eq!(f.source.as_ref().map(|s| s.line), Some(3));
    assert_eq!(f.differs, ["MsgBody"]);
    let staged = f.staged.as_ref().expect("as sent");
    assert_eq!(
        staged.send_time,
        t0 + 95,
        "the edit's time, not the staged one"
    );
    assert_eq!(staged.body[0]["MsgContent"]["Text"], "e3-1");
    assert_eq!(summary.totals.changed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_where_nothing_landed_verifies_as_done_with_nothing_expected() {
    let t0 = unix_now() - 500_000;
    let sandbox = common::start(guard_support::group_config(
        common::config(),
        timport::sandbox::StrictTime::AcrossRequests,
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let staging = dir.path().join("staging");
    stage(
        &staging,
        &[Line::EmptyBody(t0 + 10), Line::EmptyBody(t0 + 20)],
    );
    let ledger = dir.path().join("ledger.sqlite3");
    let mut decider = Decider::new(vec![Dec::Skip]);
    let ran = import(&sandbox, &staging, &ledger, &mut decider).await;
    assert_eq!(ran.exit, Some(1), "both skipped");
    assert!(sandbox.messages(guard_support::GROUP).is_empty());
    let (summary, events) = verify_now(&sandbox, &staging, &ledger).await;
    assert_eq!(summary.exit(), timport::exit::Exit::Done, "{events:#?}");
    assert_eq!((summary.totals.expected, summary.totals.reads), (0, 1));
}
