//! Resuming a run: where an earlier invocation stopped, with a ledger that may have lost its
//! last commits, with requests left in flight, with failed messages, and with staged files that
//! changed.

mod engine_fakes;

use std::time::Duration;

use engine_fakes::*;
use timport::engine::OnMessageError;
use timport::engine::ledger::runs::{FileChange, FileRecord};
use timport::engine::open::{OpenRunError, open_run};
use timport::engine::{Control, Event, MessageOutcome, Target};

const T0: i64 = 1_600_000_000;

fn g(name: &str) -> Target {
    Target::new(name, None)
}

/// Shuts the run down once batch `n` (of the only lane) is on its way.
fn shutdown_after_batch(fake: &std::sync::Arc<Fake>, n: u32) -> Driver {
    control_on(
        fake,
        move |e| matches!(e, Event::BatchSent { batch, .. } if *batch == n),
        n as usize + 1,
        Control::Shutdown,
    )
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_run_resumes_where_it_stopped() {
    let fake = Fake::with_latency(Duration::from_millis(20));
    let a = series("a", T0, 30);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    let first = run_with(
        &fake,
        &source,
        &ledger,
        headless(),
        Some(shutdown_after_batch(&fake, 1)),
    )
    .await;
    assert_eq!(first.exit(), 130);
    assert_eq!(fake.imports(), 2);

    let second = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(second.exit(), 0);
    assert_eq!(
        fake.texts("ga"),
        texts_of(&a),
        "nothing lost, nothing doubled"
    );
    assert_eq!(fake.imports(), 5, "only the rest was sent");
    let Some(Event::RunStarted {
        resumed,
        targets,
        run_id,
        ..
    }) = second.events.first()
    else {
        panic!()
    };
    assert!(*resumed);
    assert_eq!(targets[0].already_done, 14);
    assert_eq!(*run_id, first.outcome.summary.run_id);
}

#[tokio::test(start_paused = true)]
async fn a_ledger_that_lost_its_last_commits_is_corrected_by_reading_back() {
    let fake = Fake::new();
    let a = series("a", T0, 21);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    assert_eq!(
        run_headless(&fake, &source, &ledger, headless())
            .await
            .exit(),
        0
    );
    // Lose the last batch's records entirely and leave the one before it in flight, as if the
    // machine went down before those commits reached the disk.
    let sql = ledger.sql();
    sql.execute_batch(
        "DELETE FROM messages WHERE send_time >= 1600000014;
         UPDATE messages SET state = 'in_flight', msg_seq = NULL WHERE send_time >= 1600000007;
         DELETE FROM requests WHERE batch = 2;
         UPDATE requests SET state = 'in_flight', sent_at = 0 WHERE batch = 1;
         UPDATE runs SET status = 'running';",
    )
    .unwrap();
    drop(sql);
    let again = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(again.exit(), 0);
    assert_eq!(fake.imports(), 3, "nothing was sent again");
    assert_eq!(fake.texts("ga"), texts_of(&a));
    let landed: u32 = again
        .events
        .iter()
        .map(|e| match e {
            Event::Settled { landed, .. } => *landed,
            _ => 0,
        })
        .sum();
    assert_eq!(landed, 14, "found in the group by reading back");
    let seqs: Vec<i64> =
        ledger.column("SELECT msg_seq FROM messages WHERE state = 'done' ORDER BY send_time");
    assert_eq!(
        seqs,
        (1..=21).collect::<Vec<i64>>(),
        "the ledger agrees with the group"
    );
    let open = ledger.count("SELECT count(*) FROM requests WHERE state = 'in_flight'");
    assert_eq!(open, 0);
}

#[tokio::test(start_paused = true)]
async fn a_fresh_ledger_finds_messages_already_in_the_group() {
    // A previous attempt (with a ledger since deleted) imported the first 10.
    let fake = Fake::new();
    let a = series("a", T0, 12);
    for e in &a[..10] {
        let Entry::Msg(msg) = e else { unreachable!() };
        fake.seed("ga", msg);
    }
    let source = memory(vec![(g("ga"), a.clone())]);
    let out = run_headless(&fake, &source, &TempLedger::new(), headless()).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    assert_eq!(fake.imports(), 1, "only the last two were sent");
}

#[tokio::test(start_paused = true)]
async fn a_message_lost_from_the_ledger_before_landed_ones_is_never_resent() {
    // The skip of a2 was lost with a commit; a3.. landed. Resuming must not send a2 behind them.
    let fake = Fake::new();
    fake.refuse_text("a2", 80001);
    let source = memory(vec![(g("ga"), series("a", T0, 5))]);
    let ledger = TempLedger::new();
    let mut skip = headless();
    skip.on_message_error = OnMessageError::Skip;
    assert_eq!(run_headless(&fake, &source, &ledger, skip).await.exit(), 1);
    ledger
        .sql()
        .execute_batch("DELETE FROM decisions; DELETE FROM messages WHERE line = 3;")
        .unwrap();
    fake.accept_text("a2");
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.imports(), 1, "a2 was not sent behind newer messages");
    let reason = out.paused();
    assert_eq!(reason.source, source_of("ga", 2));
    assert!(
        reason.failure.meaning.contains("can no longer go in"),
        "{:?}",
        reason.failure
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_left_in_flight_is_settled_after_the_settle_delay() {
    let a = series("a", T0, 3);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    assert_eq!(
        run_headless(&Fake::new(), &source, &ledger, headless())
            .await
            .exit(),
        0
    );
    // As if an earlier process had just sent the request when it was killed, and the service
    // had not applied it (an empty group).
    let sent_at = timport::engine::ledger::now_ms();
    let real = std::time::Instant::now();
    ledger
        .sql()
        .execute_batch(&format!(
            "UPDATE requests SET state = 'in_flight', sent_at = {sent_at};
             UPDATE messages SET state = 'in_flight', msg_seq = NULL;"
        ))
        .unwrap();
    let fake = Fake::new();
    let mut opts = headless();
    opts.settle_delay = Duration::from_secs(30);
    let started = tokio::time::Instant::now();
    let out = run_headless(&fake, &source, &ledger, opts).await;
    // The engine waits until 30 s after `sent_at` by the wall clock: on the paused clock, that is
    // 30 s less the real time that passed before it looked (a busy machine may take seconds).
    let (waited, real) = (started.elapsed(), real.elapsed());
    assert!(
        waited + real + Duration::from_millis(2) >= Duration::from_secs(30),
        "waited {waited:?} on the paused clock, {real:?} of real time"
    );
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::Settled {
            landed: 0,
            missing: 3,
            ..
        }
    )));
}

#[tokio::test(start_paused = true)]
async fn failed_messages_stay_failed_unless_retried_or_skipped_on_a_later_invocation() {
    let fake = Fake::new();
    fake.refuse_text("a6", 70107);
    let a = series("a", T0, 9);
    let source = memory(vec![(g("ga"), a.clone())]);
    let ledger = TempLedger::new();
    assert_eq!(
        run_headless(&fake, &source, &ledger, headless())
            .await
            .exit(),
        1
    );
    assert_eq!(fake.imports(), 1);

    // Again, as is: still paused at a6, nothing sent.
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.imports(), 1);
    assert!(out.events.iter().any(
        |e| matches!(e, Event::LanePaused { reason, .. } if reason.failure.code == Some(70107))
    ));

    // The sender account was imported meanwhile: --retry-failed sends it once more.
    fake.accept_text("a6");
    let mut retry = headless();
    retry.retry_failed = true;
    let out = run_headless(&fake, &source, &ledger, retry).await;
    assert_eq!(out.exit(), 0);
    assert_eq!(fake.texts("ga"), texts_of(&a));
    let by: String = ledger
        .sql()
        .query_row(
            "SELECT by FROM decisions WHERE decision = 'retry_failed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by, "flag");
}

#[tokio::test(start_paused = true)]
async fn a_later_invocation_with_the_skip_policy_moves_past_a_failure() {
    let fake = Fake::new();
    fake.refuse_text("a6", 80002);
    let source = memory(vec![(g("ga"), series("a", T0, 9))]);
    let ledger = TempLedger::new();
    assert_eq!(
        run_headless(&fake, &source, &ledger, headless())
            .await
            .exit(),
        1
    );
    let mut skip = headless();
    skip.on_message_error = OnMessageError::Skip;
    let out = run_headless(&fake, &source, &ledger, skip).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("ga").len(), 8);
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::MessageResult {
            outcome: MessageOutcome::Skipped { .. },
            ..
        }
    )));
}

#[tokio::test]
async fn changed_staged_files_refuse_a_resume_unless_a_new_run_is_asked_for() {
    let ledger = TempLedger::new();
    let l = ledger.open();
    let file = |hash: &str| FileRecord {
        path: "g.jsonl".into(),
        size: 10,
        mtime: 1,
        hash: hash.into(),
    };
    let first = open_run(&l, "/s".into(), "{}".into(), vec![file("aa")], false)
        .await
        .unwrap();
    assert!(!first.resumed);
    let same = open_run(&l, "/s".into(), "{}".into(), vec![file("aa")], false)
        .await
        .unwrap();
    assert!(same.resumed);
    assert_eq!(same.run.id, first.run.id);
    let err = open_run(&l, "/s".into(), "{}".into(), vec![file("bb")], false)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        OpenRunError::FilesChanged {
            run_id: first.run.id,
            changes: vec![FileChange::Changed("g.jsonl".into())]
        }
    );
    let text = err.to_string();
    assert!(
        text.contains("g.jsonl changed") && text.contains("--new-run"),
        "{text}"
    );
    let fresh = open_run(&l, "/s".into(), "{}".into(), vec![file("bb")], true)
        .await
        .unwrap();
    assert!(!fresh.resumed);
    assert_ne!(fresh.run.id, first.run.id);
}
