//! `timport run STAGING [--group G]... [--rate N] [--lanes N] [--on-message-error pause|skip]
//! [--same-second keep|spread] [--ledger PATH] [--new-run] [--retry-failed] [--wait-for-decisions] [--json] [--yes]`:
//! the headless import.
//!
//! Order of things: settle the options (bad ones: exit 2), resolve the connection, scan and
//! select the staged targets, measure the round trip (one `get_appid_group_list` call) for the
//! expected duration (`engine::bound`), ask for confirmation on a terminal (refuse without
//! `--yes` when stdin is not one; the summary, expected duration included, is printed either way), open or resume the run in the ledger (refusing changed staged files),
//! serve the control socket `<ledger>.sock` (`engine::attach`: `timport watch` and
//! `timport decide` reach the run through it; `--wait-for-decisions` keeps a lane stopped at a
//! message waiting for one), then run the engine: events as JSON lines on stdout with `--json`, lines for people and a
//! progress bar (rate, ETA) on stderr. Ctrl-C, SIGTERM or SIGHUP stops sending and waits
//! (bounded) for the answers in flight; a second stops at once (the run still recorded as
//! interrupted, its summary written); a third exits without waiting for anything (the ledger's
//! in-flight records make that safe).
//! Exit codes: docs/reference.md#exit-codes (0/1/2/3, and 130 when interrupted).

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::api::ClientOptions;
use crate::api::types::GetAppidGroupListRequest;
use crate::cli::headless::{self, fail};
use crate::cli::{Exit, RunArgs};
use crate::clock::unix_now;
use crate::config::{ConnectArgs, Connection, RunFlags, Settings};
use crate::engine::attach::Feed;
use crate::engine::bound::{Bound, Load, RoundTrip, requests_left};
use crate::engine::open::{Destination, OpenRequest, open};
use crate::engine::printer::{Progress, human_line, json_line};
use crate::engine::staged::StagedWork;
use crate::engine::work::TargetInfo;
use crate::engine::work::WorkSource;
use crate::engine::{Control, Event, RunOptions};
use crate::escape;
use crate::plan::{Bursts, MAX_BATCH_SIZE, PlanOptions, SameSecond};
use crate::staging::{ScanOptions, scan};

/// Runs the command.
pub fn run(connect: &ConnectArgs, args: &RunArgs) -> Exit {
    headless::run(|| prepare(connect, args), |p| execute(p, args.json))
}

/// How long the round-trip measurement may take before the run goes on without it.
const MEASURE_PATIENCE: Duration = Duration::from_secs(5);

/// The round trip, measured on a runtime of its own (the run's starts after the confirmation).
fn round_trip(connection: &Connection) -> RoundTrip {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(measure_round_trip(connection)),
        Err(_) => RoundTrip::Unmeasured,
    }
}

/// Times the smallest signed call (one group id, as the console's connection test): the round
/// trip the expected duration is worked out with. A failure is not the run's concern here (its
/// lanes meet and report it); the estimate then says the round trip is unknown.
async fn measure_round_trip(connection: &Connection) -> RoundTrip {
    let Ok(client) = connection.client(ClientOptions::default()) else {
        return RoundTrip::Unmeasured;
    };
    let req = GetAppidGroupListRequest {
        limit: Some(1),
        ..GetAppidGroupListRequest::default()
    };
    let started = tokio::time::Instant::now();
    match tokio::time::timeout(MEASURE_PATIENCE, client.get_appid_group_list(&req)).await {
        Ok(Ok(_)) => RoundTrip::Measured(started.elapsed()),
        Ok(Err(_)) | Err(_) => RoundTrip::Unmeasured,
    }
}

/// Everything settled before anything is written.
struct Prepared {
    connection: Connection,
    work: StagedWork,
    ledger_path: std::path::PathBuf,
    opts: RunOptions,
    new_run: bool,
}

fn prepare(connect: &ConnectArgs, args: &RunArgs) -> Result<Prepared, String> {
    let flags = RunFlags {
        rate: args.rate,
        lanes: args.lanes,
        on_message_error: args.on_message_error,
        same_second: args.same_second.same_second,
        ledger: args.ledger.clone(),
    };
    let settings = Settings::from_env(connect, &flags).map_err(|e| e.to_string())?;
    if let Some(problem) = settings.source_problem() {
        return Err(problem.to_string());
    }
    let opts = RunOptions {
        rate: settings.run.rate,
        lanes: settings.run.lanes,
        on_message_error: settings.run.on_message_error,
        same_second: settings.run.same_second,
        retry_failed: args.retry_failed,
        wait_for_decisions: args.wait_for_decisions,
        settle_delay: Duration::try_from_secs_f64(args.settle_delay).map_err(|_| {
            format!(
                "--settle-delay {} is not a number of seconds",
                args.settle_delay
            )
        })?,
        ..RunOptions::default()
    };
    opts.check()?;
    let ledger_path = settings.run.ledger.clone();
    let connection: Connection = settings.connection().map_err(|e| e.to_string())?;
    for warning in &connection.warnings {
        eprintln!("timport: warning: {warning}");
    }
    let mut scan_opts = ScanOptions::new(unix_now());
    scan_opts.max_message_bytes = args.rules.max_message_bytes as usize;
    scan_opts.allow_other_elements = args.rules.allow_other_elements;
    let staging = scan(&args.staging, &scan_opts).map_err(|e| e.to_string())?;
    crate::heap::release_free_memory();
    let plan = PlanOptions {
        max_message_bytes: scan_opts.max_message_bytes,
        same_second: opts.same_second,
        ..PlanOptions::default()
    };
    let work = StagedWork::new(staging, &args.group, plan)?;
    let targets = work.targets();
    if targets.is_empty() {
        return Err(format!(
            "{} holds no staged messages",
            escape::path(&args.staging)
        ));
    }
    let invalid = work
        .staging()
        .problems()
        .iter()
        .filter(|p| p.is_error())
        .count();
    let messages: u64 = targets.iter().map(|t| t.messages).sum();
    let loads = targets.iter().map(|t| Load {
        name: t.target.to_string(),
        messages: t.messages,
        requests: requests_left(t.batches, t.messages, 0),
    });
    let bound = Bound::new(loads, opts.rate, round_trip(&connection));
    let summary = format!(
        "import {messages} message(s) into {} target(s) of app {} at {} (admin {}), {} requests/s, {} lanes, on message error: {}; ledger {}{}{}",
        targets.len(),
        connection.sdkappid,
        connection.endpoint.base(),
        connection.admin,
        opts.rate,
        opts.lanes,
        opts.on_message_error.word(),
        escape::path(&ledger_path),
        if invalid > 0 {
            format!("; {invalid} staged problem(s) will stop their lanes (see `timport validate`)")
        } else {
            String::new()
        },
        bursts_note(&work, &targets, opts.same_second)
    );
    let summary = format!("{summary}.\n{}", bound.sentence());
    confirm(&summary, args.yes)?;
    Ok(Prepared {
        connection,
        work,
        ledger_path,
        opts,
        new_run: args.new_run,
    })
}

/// What the chosen `--same-second` does with the run's bursts (empty when there are none).
fn bursts_note(work: &StagedWork, targets: &[TargetInfo], policy: SameSecond) -> String {
    let all = targets
        .iter()
        .filter_map(|t| work.staging().target(&t.target))
        .map(|t| Bursts::of(t.order_times(), MAX_BATCH_SIZE));
    let (mut messages, mut refusable, mut moved, mut shift) = (0, 0, 0, 0);
    for b in all {
        messages += b.messages;
        refusable += b.keep_refusable;
        moved += b.spread_moved;
        shift = shift.max(b.spread_largest_shift);
    }
    if messages == 0 {
        return String::new();
    }
    let what = match policy {
        SameSecond::Keep => format!(
            "kept at their SendTime: a service strict about equal times refuses {refusable} of them; --same-second spread avoids that"
        ),
        SameSecond::Spread => {
            format!("spread: {moved} message(s) sent up to {shift} s later, each move recorded")
        }
    };
    format!("; {messages} message(s) sit in seconds holding more than {MAX_BATCH_SIZE} ({what})")
}

/// Asks on the terminal unless `--yes`; refuses without `--yes` when stdin is not a terminal.
fn confirm(summary: &str, yes: bool) -> Result<(), String> {
    if yes {
        eprintln!("timport: {summary}");
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "{summary}\nRefusing to write without confirmation: stdin is not a terminal. Add --yes to run unattended."
        ));
    }
    eprint!("timport: {summary}\nGo ahead? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    match answer.trim() {
        "y" | "Y" | "yes" | "Yes" => Ok(()),
        _ => Err("not confirmed; nothing was written".into()),
    }
}

async fn execute(p: Prepared, json: bool) -> Exit {
    let destination = Destination {
        endpoint: p.connection.endpoint.base().to_owned(),
        sdkappid: p.connection.sdkappid,
        admin: p.connection.admin.clone(),
    };
    let request = OpenRequest {
        ledger: p.ledger_path,
        work: p.work,
        destination,
        options: p.opts,
        new_run: p.new_run,
        command: "timport run".into(),
    };
    let mut active = match open(request).await {
        Ok(active) => active,
        Err(e) => return fail(&e.to_string(), e.exit()),
    };
    let client = match p.connection.client(ClientOptions::default()) {
        Ok(client) => client,
        Err(e) => return fail(&e.to_string(), Exit::BadInput),
    };
    let (events_tx, events_rx) = mpsc::channel(1024);
    let (controls_tx, controls_rx) = mpsc::channel(8);
    // The socket is a window on the run, not a condition for it.
    let feed = active
        .serve(controls_tx.clone())
        .await
        .map_err(|e| {
            eprintln!(
                "timport: warning: no control socket ({e}): `timport watch` and `timport decide` cannot reach this run"
            );
        })
        .ok();
    tokio::spawn(interrupts(controls_tx));
    let engine =
        tokio::spawn(async move { active.run(Arc::new(client), events_tx, controls_rx).await });
    let (print_tx, print_rx) = mpsc::channel(1024);
    let forward = tokio::spawn(forward(events_rx, print_tx, feed));
    let printer = tokio::task::spawn_blocking(move || print_events(print_rx, json));
    let _ = printer.await;
    let _ = forward.await;
    match engine.await {
        Ok(Ok(outcome)) => outcome.status.exit(),
        Ok(Err(e)) => fail(&e.to_string(), Exit::Stopped),
        Err(e) => fail(&format!("the run ended abnormally: {e}"), Exit::Stopped),
    }
}

/// Each event to the printer (which may slow the run down, as it always did) and to the control
/// socket's readers (who never do).
async fn forward(
    mut events: mpsc::Receiver<Event>,
    printer: mpsc::Sender<Event>,
    feed: Option<Feed>,
) {
    while let Some(event) = events.recv().await {
        if let Some(feed) = &feed {
            feed.send(&event);
        }
        let _ = printer.send(event).await;
    }
    drop(printer);
    if let Some(feed) = feed {
        feed.finish().await;
    }
}

/// First interrupt (Ctrl-C, SIGTERM or SIGHUP: `timeout`, systemd, `docker stop` and Kubernetes
/// stop with SIGTERM): stop cleanly. Second: stop at once, still recording the run as
/// interrupted. Third: exit without waiting for anything (the ledger's in-flight records make
/// that safe too).
async fn interrupts(controls: mpsc::Sender<Control>) {
    let mut signals = headless::Interrupts::new();
    let Some(name) = signals.next().await else {
        return;
    };
    eprintln!(
        "\ntimport: {name}: stopping: no new requests; waiting for the answers in flight (interrupt again to stop at once; the ledger stays consistent)"
    );
    let _ = controls.send(Control::Shutdown).await;
    if signals.next().await.is_some() {
        eprintln!(
            "timport: stopping at once: requests in flight are settled on resume; resume with the same command"
        );
        let _ = controls.send(Control::Abort).await;
    }
    if signals.next().await.is_some() {
        eprintln!("timport: quitting now; resume with the same command");
        std::process::exit(i32::from(Exit::Interrupted.code()));
    }
}

/// JSON lines on stdout (with `--json`), lines for people and a progress bar on stderr.
/// Runs on a blocking thread (it writes to the terminal and pipes, which may block).
fn print_events(mut events: mpsc::Receiver<Event>, json: bool) {
    let bar = headless::progress_bar("{bar:40} {pos}/{len} messages  {msg}  {per_sec}  eta {eta}");
    let mut progress = Progress::default();
    while let Some(event) = events.blocking_recv() {
        if json {
            headless::print_json(&json_line(&event));
        }
        if progress.update(&event) {
            if let Some(bar) = &bar {
                bar.set_length(progress.total);
                bar.set_position(progress.settled);
                bar.set_message(format!(
                    "rate {}/{} req/s",
                    progress.rate.0, progress.rate.1
                ));
            }
        }
        if let Some(line) = human_line(&event) {
            headless::say(bar.as_ref(), &line);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_is_required_without_a_terminal() {
        // Test processes have no terminal on stdin.
        if std::io::stdin().is_terminal() {
            return;
        }
        let err = confirm("import 3 message(s)", false).unwrap_err();
        assert!(err.contains("Add --yes"), "{err}");
        assert!(confirm("import", true).is_ok());
    }
}
