//! Bursts (more than 7 messages in one second) against a service strict about equal times
//! (the sandbox's `--strict-time`: a request's messages must be later than the group's newest
//! before it): `--same-second spread` imports bursts of any size in order, nothing refused, each
//! move recorded in the ledger with both times; `keep` sends as before, and the overflow it
//! loses is refused with the remedy that names `spread`. Also: a run that kept a group's times
//! and a new run that spreads them do not land a message twice.

mod common;
mod engine_fakes;
mod guard_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use guard_support::{Decider, Invocation, Line, invoke, options, stage, stored};
use timport::clock::unix_now;
use timport::engine::outcome::EngineReason;
use timport::engine::{Event, MessageOutcome, OnMessageError, RunOptions};
use timport::plan::{SameSecond, Spreader};
use timport::sandbox::{SandboxHandle, StrictTime};

/// A second long ago, on a ten-second boundary.
fn t0() -> i64 {
    (unix_now() - 500_000) / 10 * 10
}

/// `n` valid lines at `time`.
fn burst(time: i64, n: usize) -> Vec<Line> {
    vec![Line::Valid(time); n]
}

async fn sandbox(strict: StrictTime) -> SandboxHandle {
    common::start(guard_support::group_config(common::config(), strict)).await
}

/// A staged group `g` in a temporary directory, its ledger there, and a sandbox reading time as
/// `strict` to import it into.
struct Staged {
    sandbox: SandboxHandle,
    dir: tempfile::TempDir,
    ledger: PathBuf,
}

impl Staged {
    async fn new(strict: StrictTime, lines: &[Line]) -> Staged {
        let dir = tempfile::tempdir().unwrap();
        stage(dir.path(), lines);
        Staged {
            sandbox: sandbox(strict).await,
            ledger: dir.path().join("ledger.sqlite3"),
            dir,
        }
    }

    /// Imports the staging (headless, parts of `part`) with `policy` and `on_error`, recorded in
    /// `ledger`.
    async fn import_into(
        &self,
        ledger: &Path,
        policy: SameSecond,
        on_error: OnMessageError,
        part: usize,
    ) -> Invocation {
        let opts = RunOptions {
            same_second: policy,
            on_message_error: on_error,
            ..options(false)
        };
        invoke(
            Arc::new(common::client(&self.sandbox)),
            self.dir.path(),
            ledger,
            opts,
            part,
            &mut Decider::new(Vec::new()),
            None,
        )
        .await
    }

    /// [`Staged::import_into`] its own ledger.
    async fn import(
        &self,
        policy: SameSecond,
        on_error: OnMessageError,
        part: usize,
    ) -> Invocation {
        self.import_into(&self.ledger, policy, on_error, part).await
    }
}

/// The times `spread` sends `lines` at.
fn spread_times(lines: &[Line]) -> Vec<i64> {
    let mut s = Spreader::new(SameSecond::Spread, 7);
    lines.iter().map(|l| s.next(l.time())).collect()
}

/// Every line in the group once, in staged order, at the time `spread` gives it; nothing
/// refused; the ledger holds each line done with its staged time and, when moved, its sent
/// time.
fn assert_spread_whole(sandbox: &SandboxHandle, ledger: &Path, lines: &[Line], ran: &Invocation) {
    assert_eq!(ran.exit, Some(0), "{:?}", ran.warnings());
    assert_eq!(ran.failed_with(10004), 0);
    let stats = sandbox.stats();
    assert!(
        !stats.message_refusals.contains_key(&10004) && stats.duplicates_dropped == 0,
        "{stats:?}"
    );
    let group = stored(sandbox);
    let texts: Vec<String> = group.iter().map(|s| s.text.clone()).collect();
    let want: Vec<String> = (1..=lines.len()).map(|l| format!("m{l}")).collect();
    assert_eq!(texts, want, "every line once, in order");
    let sent = spread_times(lines);
    let times: Vec<i64> = group.iter().map(|s| s.time).collect();
    assert_eq!(times, sent);
    let rows = guard_support::ledger_times(ledger);
    let states = guard_support::ledger_rows(ledger);
    for (i, line) in lines.iter().enumerate() {
        let n = i as u32 + 1;
        assert_eq!(states[&n].0, "done", "line {n}");
        let moved = (sent[i] != line.time()).then_some(sent[i]);
        assert_eq!(rows[&n], (Some(line.time()), moved), "line {n}");
    }
}

async fn spread_imports(lines: Vec<Line>, part: usize) {
    let s = Staged::new(StrictTime::AcrossRequests, &lines).await;
    let (sandbox, ledger) = (&s.sandbox, &s.ledger);
    let ran = s
        .import(SameSecond::Spread, OnMessageError::Pause, part)
        .await;
    assert_spread_whole(sandbox, ledger, &lines, &ran);
}

#[tokio::test]
async fn spread_imports_a_burst_of_8_whole() {
    let t = t0();
    let mut lines = burst(t, 8);
    lines.push(Line::Valid(t + 1));
    lines.push(Line::Valid(t + 5));
    spread_imports(lines, 250).await;
}

#[tokio::test]
async fn spread_imports_a_burst_of_15_whole() {
    let t = t0();
    let mut lines = vec![Line::Valid(t - 3)];
    lines.extend(burst(t, 15));
    lines.push(Line::Valid(t + 9));
    spread_imports(lines, 250).await;
}

#[tokio::test]
async fn spread_imports_a_burst_of_50_whole_read_in_small_parts() {
    let t = t0();
    let mut lines = burst(t, 50);
    lines.extend(burst(t + 3, 4));
    spread_imports(lines, 5).await;
}

#[tokio::test]
async fn spread_cascades_through_seconds_that_are_full_already() {
    // 20 at t, then t+1, t+2 and t+3 already full (7 each), then 3 at t+4: every second's tail
    // goes on to the next, ending at t+6.
    let t = t0();
    let mut lines = burst(t, 20);
    for s in 1..=3 {
        lines.extend(burst(t + s, 7));
    }
    lines.extend(burst(t + 4, 3));
    let sent = spread_times(&lines);
    assert_eq!(sent.last(), Some(&(t + 6)));
    spread_imports(lines, 9).await;
}

#[tokio::test]
async fn keep_is_unchanged_and_the_overflow_refused_names_spread() {
    let t = t0();
    let mut lines = burst(t, 10);
    lines.push(Line::Valid(t + 1));
    // The default reading takes every message at its staged time, as before.
    {
        let s = Staged::new(StrictTime::Off, &lines).await;
        let (sandbox, ledger) = (&s.sandbox, &s.ledger);
        let ran = s.import(SameSecond::Keep, OnMessageError::Pause, 250).await;
        assert_eq!(ran.exit, Some(0));
        let times: Vec<i64> = stored(sandbox).iter().map(|s| s.time).collect();
        let staged: Vec<i64> = lines.iter().map(Line::time).collect();
        assert_eq!(times, staged);
        assert!(
            guard_support::ledger_times(ledger)
                .values()
                .all(|(_, sent)| sent.is_none()),
            "nothing moved"
        );
    }
    // Strict time refuses the burst's three last messages (sent in the second request); each
    // is told to use spread.
    let s = Staged::new(StrictTime::AcrossRequests, &lines).await;
    let ledger = &s.ledger;
    let ran = s.import(SameSecond::Keep, OnMessageError::Skip, 250).await;
    assert_eq!(ran.exit, Some(1));
    let refused: Vec<(u32, String, String)> = ran
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageResult {
                source,
                outcome: MessageOutcome::Failed(f),
                ..
            } => {
                assert_eq!(f.code, Some(10004));
                Some((source.line, f.meaning.clone(), f.remedy.clone()))
            }
            _ => None,
        })
        .collect();
    let lines_refused: Vec<u32> = refused.iter().map(|r| r.0).collect();
    assert_eq!(lines_refused, [8, 9, 10]);
    let (meaning, remedy) = EngineReason::BurstOverflow.explain();
    for (_, m, r) in &refused {
        assert_eq!((m.as_str(), r.as_str()), (meaning, remedy));
    }
    assert!(remedy.contains("--same-second spread"), "{remedy}");
    // Skipped by the policy, each with the reason in the ledger.
    let conn = rusqlite::Connection::open(ledger).unwrap();
    let skipped: Vec<(u32, String)> = conn
        .prepare("SELECT line, detail FROM messages WHERE state = 'skipped' ORDER BY line")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(skipped.len(), 3);
    assert!(
        skipped.iter().all(|(_, d)| d.contains(meaning)),
        "{skipped:?}"
    );
}

#[tokio::test]
async fn the_same_burst_paused_under_keep_names_spread_to_the_operator() {
    let t = t0();
    let mut lines = burst(t, 9);
    lines.push(Line::Valid(t + 2));
    let s = Staged::new(StrictTime::AcrossRequests, &lines).await;
    let ledger = &s.ledger;
    let ran = s.import(SameSecond::Keep, OnMessageError::Pause, 250).await;
    assert_eq!(ran.exit, Some(1));
    let pauses = ran.pauses();
    assert_eq!(pauses.len(), 1, "{pauses:?}");
    assert_eq!(pauses[0].source.line, 8);
    assert_eq!(pauses[0].failure.code, Some(10004));
    let remedy = EngineReason::BurstOverflow.explain().1;
    assert_eq!(pauses[0].failure.remedy, remedy);
    assert!(remedy.contains("--same-second spread"), "{remedy}");
    // The ledger keeps the code with the remedy (what `timport report` shows).
    let conn = rusqlite::Connection::open(ledger).unwrap();
    let recorded: Vec<(u32, i64, String)> = conn
        .prepare("SELECT line, code, remedy FROM messages WHERE state = 'failed'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        recorded,
        [(8, 10004, remedy.to_owned()), (9, 10004, remedy.to_owned())]
    );
}

#[tokio::test]
async fn a_new_run_that_spreads_what_an_earlier_run_kept_sends_nothing_twice() {
    // The default reading took every message at its staged time (keep); a new run (another
    // ledger) with spread finds them at their staged times when it reads the group back, though
    // it would send some of them later.
    let t = t0();
    let mut lines = burst(t, 12);
    lines.extend(burst(t + 1, 5));
    let s = Staged::new(StrictTime::Off, &lines).await;
    let sandbox = &s.sandbox;
    let kept = s
        .import_into(
            &s.dir.path().join("kept.sqlite3"),
            SameSecond::Keep,
            OnMessageError::Pause,
            250,
        )
        .await;
    assert_eq!(kept.exit, Some(0));
    let before = stored(sandbox);
    assert_eq!(before.len(), lines.len());
    let spread = s
        .import_into(
            &s.dir.path().join("spread.sqlite3"),
            SameSecond::Spread,
            OnMessageError::Pause,
            250,
        )
        .await;
    assert_eq!(spread.exit, Some(0), "{:?}", spread.warnings());
    assert_eq!(stored(sandbox), before, "nothing sent again");
    let sent_requests = spread
        .events
        .iter()
        .filter(|e| matches!(e, Event::BatchSent { .. }))
        .count();
    assert_eq!(sent_requests, 0);
}

#[tokio::test]
async fn an_invalid_line_inside_a_burst_does_not_cost_the_rest_of_its_second() {
    // 5 at t, an invalid one at t, 4 more at t, one at t+1. The lane stops at the invalid line
    // (skipped here by the policy); what follows it goes to a later second, so strict time
    // takes it.
    let t = t0();
    let mut lines = burst(t, 5);
    lines.push(Line::EmptyBody(t));
    lines.extend(burst(t, 4));
    lines.push(Line::Valid(t + 1));
    let s = Staged::new(StrictTime::AcrossRequests, &lines).await;
    let (sandbox, ledger) = (&s.sandbox, &s.ledger);
    let ran = s.import(SameSecond::Spread, OnMessageError::Skip, 4).await;
    assert_eq!(ran.exit, Some(1), "one line skipped");
    assert_eq!(ran.failed_with(10004), 0);
    assert!(!sandbox.stats().message_refusals.contains_key(&10004));
    let group = stored(sandbox);
    let got: Vec<(String, i64)> = group.iter().map(|s| (s.text.clone(), s.time)).collect();
    let mut want: Vec<(String, i64)> = (1..=5).map(|l| (format!("m{l}"), t)).collect();
    want.extend((7..=11).map(|l| (format!("m{l}"), t + 1)));
    assert_eq!(got, want);
    let rows = guard_support::ledger_times(ledger);
    assert_eq!(rows[&7], (Some(t), Some(t + 1)));
    assert_eq!(rows[&11], (Some(t + 1), None));
    assert_eq!(guard_support::ledger_rows(ledger)[&6].0, "skipped");
}

#[tokio::test]
async fn a_spread_run_whose_ledger_was_lost_finds_every_moved_message_and_sends_nothing_twice() {
    // A run spread a burst of 30 into a strict group; its ledger is lost; the same run on a new
    // ledger reads the group back and finds each message at the time it was sent.
    let t = t0();
    let mut lines = burst(t, 30);
    lines.extend(burst(t + 2, 3));
    let s = Staged::new(StrictTime::AcrossRequests, &lines).await;
    let sandbox = &s.sandbox;
    let first = s
        .import(SameSecond::Spread, OnMessageError::Pause, 250)
        .await;
    assert_spread_whole(sandbox, &s.ledger, &lines, &first);
    let before = stored(sandbox);
    let again = s
        .import_into(
            &s.dir.path().join("new.sqlite3"),
            SameSecond::Spread,
            OnMessageError::Pause,
            8,
        )
        .await;
    assert_eq!(again.exit, Some(0), "{:?}", again.warnings());
    assert_eq!(stored(sandbox), before, "nothing sent again");
    assert!(
        !again
            .events
            .iter()
            .any(|e| matches!(e, Event::BatchSent { .. })),
        "no request sent"
    );
    assert!(sandbox.stats().message_refusals.is_empty());
}
