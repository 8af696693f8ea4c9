//! The point of no return, at the engine: the guard before every request, where a message whose
//! `SendTime` cannot be read sits, edits re-placing a message (or refused when they would go
//! behind a landed one), and another writer in the group.
//!
//! Staged runs go against the in-process sandbox with strict time (a message must be later than
//! the group's newest, not equal); the scripted service covers the paths that need a scripted
//! answer.

mod common;
mod engine_fakes;
mod guard_support;

use std::path::PathBuf;
use std::sync::Arc;

use engine_fakes::{Fake, TempLedger, decide_with, invalid, memory, run_with, series, source_of};
use guard_support::{
    Dec, Decider, Invocation, Line, assert_promise, invoke, options, stage, stored,
};
use timport::clock::unix_now;
use timport::engine::{Decision, Event, Target};
use timport::sandbox::SandboxHandle;
use timport::staging::{ProblemKind, ScanOptions, scan};

/// A staged group `g` and a sandbox with strict time to import it into.
struct Setup {
    sandbox: SandboxHandle,
    dir: tempfile::TempDir,
    ledger: PathBuf,
}

/// The time staged lines start from.
fn t0() -> i64 {
    unix_now() - 500_000
}

async fn setup(lines: &[Line]) -> Setup {
    let sandbox = common::start(guard_support::group_config(
        common::config(),
        timport::sandbox::StrictTime::AcrossRequests,
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    stage(dir.path(), lines);
    let ledger = dir.path().join("ledger.sqlite3");
    Setup {
        sandbox,
        dir,
        ledger,
    }
}

impl Setup {
    /// One invocation of the run, read in parts of `part`, pauses answered by `decider`.
    async fn run(
        &self,
        interactive: bool,
        part: usize,
        decider: &mut Decider,
        kill_after: Option<usize>,
    ) -> Invocation {
        let client = Arc::new(common::client(&self.sandbox));
        let opts = options(interactive);
        invoke(
            client,
            self.dir.path(),
            &self.ledger,
            opts,
            part,
            decider,
            kill_after,
        )
        .await
    }

    fn texts(&self) -> Vec<String> {
        stored(&self.sandbox).into_iter().map(|s| s.text).collect()
    }

    /// Nothing refused, nothing doubled, every line done in order or skipped by decision.
    fn assert_promise(&self, lines: usize, context: &str) {
        assert!(
            self.sandbox.stats().message_refusals.is_empty(),
            "{context}: {:?}",
            self.sandbox.stats()
        );
        assert_promise(&stored(&self.sandbox), lines, &self.ledger, &[], context);
    }
}

/// Lines 1..=n, ten seconds apart from `t0`.
fn valid_lines(t0: i64, n: usize) -> Vec<Line> {
    (1..=n).map(|i| Line::Valid(t0 + 10 * i as i64)).collect()
}

/// `t0` and lines 1..=n ten seconds apart, line `broken` cut short (its time unreadable).
fn with_broken(n: usize, broken: usize) -> (i64, Vec<Line>) {
    let t0 = t0();
    let mut lines = valid_lines(t0, n);
    lines[broken - 1] = Line::Broken(t0 + 10 * broken as i64);
    (t0, lines)
}

fn m(lines: impl IntoIterator<Item = usize>) -> Vec<String> {
    lines.into_iter().map(|i| format!("m{i}")).collect()
}

/// Reproduction 1 of issue 9, at the engine: a line of broken JSON in the middle, completed by
/// hand with a `SendTime` later than the lines after it. It waits at its place (after the line
/// before it), and once fixed goes where its `SendTime` puts it, across parts; nothing is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_line_goes_where_its_send_time_puts_it_and_costs_nothing() {
    let (t0, lines) = with_broken(30, 11);
    let s = setup(&lines).await;
    // The fix: line 11 completed with a SendTime between lines 20 and 21.
    let mut decider = Decider::new(vec![Dec::Edit(t0 + 205)]);
    let ran = s.run(true, 5, &mut decider, None).await;
    assert_eq!(ran.exit, Some(0), "{:#?}", ran.events.last());
    // It stopped at line 11 once lines 1-10 were in.
    let pauses = ran.pauses();
    assert_eq!(pauses.len(), 1);
    assert_eq!(pauses[0].source.line, 11);
    let newest = pauses[0].newest.as_ref().expect("lines 1-10 landed first");
    assert_eq!(newest.source.line, 10);
    let want = [m(1..=10), m(12..=20), vec!["e11-1".into()], m(21..=30)].concat();
    assert_eq!(s.texts(), want);
    s.assert_promise(30, "fixed line");
}

/// Reproduction 2 of issue 9, at the engine: headless, a truncated line in the middle of a group
/// in time order; the lane imports every line before it and stops at it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_a_lane_imports_everything_before_an_unreadable_line_and_stops_there() {
    let (_, lines) = with_broken(20, 8);
    let s = setup(&lines).await;
    let ran = s.run(false, 5, &mut Decider::new(vec![]), None).await;
    assert_eq!(ran.exit, Some(1));
    assert_eq!(s.texts(), m(1..=7));
    assert_eq!(ran.pauses()[0].source.line, 8);
    let rows = guard_support::ledger_rows(&s.ledger);
    assert_eq!(rows[&8].0, "invalid");
    assert!(rows.range(9..).all(|(_, (state, _))| state == "pending"));
}

/// A file out of time order around an unreadable line: its place cannot be known, so the lane
/// stops before the earliest line that follows it in the file, and the scan says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_around_an_unreadable_line_the_lane_stops_before_what_could_follow_it() {
    let t0 = t0();
    let mut lines = valid_lines(t0, 12);
    lines[6] = Line::Valid(t0 + 500); // line 7 is newer than every line after it
    lines[7] = Line::Broken(t0 + 80);
    let s = setup(&lines).await;
    let staging = scan(s.dir.path(), &ScanOptions::new(unix_now())).unwrap();
    let warned: Vec<_> = staging
        .problems()
        .iter()
        .filter(|p| p.kind == ProblemKind::OutOfOrder)
        .collect();
    assert_eq!(warned.len(), 1);
    assert_eq!(warned[0].line, 8);
    assert!(warned[0].message.contains("put before line 9"));
    let ran = s.run(false, 250, &mut Decider::new(vec![]), None).await;
    assert_eq!(ran.exit, Some(1));
    assert_eq!(s.texts(), m(1..=6));
    assert_eq!(ran.pauses()[0].source.line, 8);
}

/// An edit older than the newest landed message is refused, saying why and what can be done
/// (the lane keeps waiting); an edit no older goes in at its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_behind_the_newest_landing_is_refused_with_the_options() {
    let (t0, lines) = with_broken(10, 6);
    let s = setup(&lines).await;
    let mut decider = Decider::new(vec![Dec::Edit(t0 + 15), Dec::Edit(t0 + 55)]);
    let ran = s.run(true, 250, &mut decider, None).await;
    assert_eq!(ran.exit, Some(0));
    let warnings = ran.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    for words in [
        "the edited SendTime is older than the newest message timport has landed in this group",
        "the edit was not carried out",
        "Skip it with a reason, or retry it edited with a SendTime no older than the group's newest message",
        "that changes the history's order",
        "g.jsonl line 5",
    ] {
        assert!(w.contains(words), "{words:?} in {w}");
    }
    let want = [m(1..=5), vec!["e6-2".into()], m(7..=10)].concat();
    assert_eq!(s.texts(), want);
    s.assert_promise(10, "edit refused then fixed");
}

/// An edit made, then the process killed before it was sent: the resumed lane keeps it at its
/// edited place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_lane_keeps_an_edit_at_its_edited_place() {
    let (t0, lines) = with_broken(20, 4);
    let s = setup(&lines).await;
    // Fixed to a time between lines 15 and 16, then killed at the next request announced.
    let mut decider = Decider::new(vec![Dec::Edit(t0 + 155)]);
    let first = s.run(true, 5, &mut decider, Some(2)).await;
    assert_eq!(first.exit, None, "killed");
    let second = s.run(true, 5, &mut Decider::new(vec![]), None).await;
    assert_eq!(second.exit, Some(0), "{:#?}", second.events.last());
    assert!(second.pauses().is_empty());
    let want = [m(1..=3), m(5..=15), vec!["e4-1".into()], m(16..=20)].concat();
    assert_eq!(s.texts(), want);
    s.assert_promise(20, "edit across a kill");
}

const T0: i64 = 1_600_000_000;

fn interactive() -> timport::engine::RunOptions {
    timport::engine::RunOptions {
        wait_for_decisions: true,
        ..engine_fakes::headless()
    }
}

/// A message the read-back found overtaken (later messages of its request landed, it did not)
/// and that the operator retries anyway is held by the guard, never sent: the service would
/// refuse it for ever.
#[tokio::test(start_paused = true)]
async fn a_retried_message_older_than_the_newest_landing_is_held_not_sent() {
    let fake = Fake::new();
    fake.refuse_text("a1", 10004);
    fake.script(&[engine_fakes::Act::LostAfterCommit]);
    let source = memory(vec![(Target::new("ga", None), series("a", T0, 3))]);
    let ledger = TempLedger::new();
    let driver = decide_with(
        vec![
            Decision::Retry,
            Decision::Skip {
                reason: "older than what landed".into(),
            },
        ],
        |_| {},
    );
    let out = run_with(&fake, &source, &ledger, interactive(), Some(driver)).await;
    assert_eq!(out.exit(), 1);
    assert_eq!(fake.texts("ga"), ["a0", "a2"]);
    assert_eq!(fake.imports(), 1, "the retried message was never sent");
    let pauses: Vec<_> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::LanePaused { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(pauses.len(), 2);
    let held = &pauses[1];
    assert_eq!(held.source, source_of("ga", 1));
    assert!(
        held.failure
            .meaning
            .contains("older than the newest message timport has landed"),
        "{:?}",
        held.failure
    );
    assert!(
        held.failure.detail.contains("ga.jsonl line 3"),
        "{:?}",
        held.failure
    );
    assert_eq!(held.newest.as_ref().map(|n| n.source.line), Some(3));
}

/// Another writer puts a newer message into the group while the lane waits: the next request is
/// refused, the lane reads the group's newest message, finds it is not its own and pauses with
/// "someone else is writing to this group"; the refused messages stay to send, nothing more goes.
#[tokio::test(start_paused = true)]
async fn another_writer_in_the_group_pauses_the_lane() {
    let fake = Fake::new();
    let mut a = series("a", T0, 10);
    a[4] = invalid(T0 + 4, "MsgBody is empty");
    let source = memory(vec![(Target::new("ga", None), a)]);
    let ledger = TempLedger::new();
    let f = Arc::clone(&fake);
    let driver = decide_with(
        vec![
            Decision::Skip {
                reason: "empty".into(),
            },
            Decision::StopGroup,
        ],
        move |n| {
            if n == 0 {
                f.seed(
                    "ga",
                    &engine_fakes::msg("mallory", T0 + 100, "from elsewhere"),
                );
            }
        },
    );
    let out = run_with(&fake, &source, &ledger, interactive(), Some(driver)).await;
    let reasons: Vec<_> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::LanePaused { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(reasons.len(), 2);
    let other = &reasons[1].failure;
    assert!(
        other
            .meaning
            .starts_with("someone else is writing to this group"),
        "{other:?}"
    );
    assert!(other.detail.contains("mallory"), "{other:?}");
    assert_eq!(reasons[1].source, source_of("ga", 5));
    assert_eq!(fake.imports(), 2, "one refused request, then nothing more");
    assert_eq!(fake.texts("ga"), ["a0", "a1", "a2", "a3", "from elsewhere"]);
    let pending =
        ledger.column::<u32>("SELECT line FROM messages WHERE state = 'pending' ORDER BY line");
    assert_eq!(pending, [6, 7, 8]);
    assert_eq!(
        ledger.count("SELECT count(*) FROM messages WHERE state = 'failed'"),
        0
    );
}

/// A group that already held a newer message when the lane started (the console's Groups
/// screen warns of it) refuses older messages: that is the data, explained by the catalogue,
/// not another writer; the lane does not read the group again to find out.
#[tokio::test(start_paused = true)]
async fn a_newer_message_there_before_the_run_is_not_another_writer() {
    let fake = Fake::new();
    fake.seed(
        "ga",
        &engine_fakes::msg("mallory", T0 + 100, "there before"),
    );
    let source = memory(vec![(Target::new("ga", None), series("a", T0, 3))]);
    let out =
        engine_fakes::run_headless(&fake, &source, &TempLedger::new(), engine_fakes::headless())
            .await;
    assert_eq!(out.exit(), 1);
    let reason = out.paused();
    assert_eq!(reason.failure.code, Some(10004));
    assert!(!reason.failure.meaning.contains("someone else"));
    assert_eq!(fake.read_calls(), 1, "only the check before the first send");
}

/// Headless, another writer stops the lane as blocked (exit 3): nothing more is sent, and the
/// refused messages stay to send on a later run.
#[tokio::test(start_paused = true)]
async fn headless_another_writer_blocks_the_lane_with_exit_3() {
    let fake = Fake::with_latency(std::time::Duration::from_millis(100));
    let source = memory(vec![(Target::new("ga", None), series("a", T0, 20))]);
    let ledger = TempLedger::new();
    // Someone writes a newer message while the second request is on its way.
    let f = Arc::clone(&fake);
    tokio::spawn(async move {
        f.entered(2).await;
        f.seed(
            "ga",
            &engine_fakes::msg("mallory", T0 + 100, "from elsewhere"),
        );
    });
    let out = engine_fakes::run_headless(&fake, &source, &ledger, engine_fakes::headless()).await;
    assert_eq!(out.exit(), 3, "{:#?}", out.outcome.summary);
    let reason = out.paused();
    assert!(
        reason
            .failure
            .meaning
            .starts_with("someone else is writing to this group"),
        "{:?}",
        reason.failure
    );
    assert_eq!(reason.source, source_of("ga", 7));
    assert_eq!(fake.imports(), 2);
    assert_eq!(
        ledger.count("SELECT count(*) FROM messages WHERE state = 'pending'"),
        7
    );
    assert_eq!(
        ledger.count("SELECT count(*) FROM messages WHERE state = 'done'"),
        7
    );
}
