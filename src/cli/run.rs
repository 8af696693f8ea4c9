//! `timport run STAGING [--group G]... [--rate N] [--lanes N] [--on-message-error pause|skip]
//! [--same-second keep|spread] [--ledger PATH] [--new-run] [--retry-failed] [--phases LIST]
//! [--import-missing-senders] [--wait-for-decisions] [--json] [--yes]`: the headless import.
//!
//! Order of things: settle the options (bad ones: exit 2), resolve the connection, scan and
//! select the staged targets and the phases (every phase the staging holds, or `--phases`);
//! measure the round trip (one `get_appid_group_list` call) for the messages' expected duration
//! (`engine::bound`); for a run with the accounts phase, ask the service which senders, owners
//! and members are neither in the app nor staged (listed, then imported by UserID alone with
//! `--import-missing-senders`, or the run stops with exit 2 before sending anything); ask for
//! confirmation on a terminal, saying what each phase will write and the expected duration
//! (refuse without `--yes` when stdin is not one; the summary is printed either way), open or
//! resume the run in the ledger (refusing changed staged files), serve the control socket
//! `<ledger>.sock` (`engine::attach`: `timport watch` and `timport decide` reach the run through
//! it, and its readers get what `--json` prints; `--wait-for-decisions` keeps a lane stopped at
//! a message waiting for a decision),
//! then run the engine: events as JSON lines on stdout with `--json`, lines for people and a
//! progress bar (rate, ETA) on stderr; without a terminal on stderr, a heartbeat line every
//! minute instead of the bar (`engine::heartbeat`), and with `--json` a `progress` event on the
//! same beat; every JSON line carries its `time` (RFC 3339, UTC). The run logs to the same
//! daily log files as the console (`cli::logging`), its refusals to start included. Ctrl-C,
//! SIGTERM or SIGHUP stops sending and waits (bounded) for the answers in flight; a second stops at once (the run still recorded as
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
use crate::config::{ConnectArgs, Connection, Settings};
use crate::engine::attach::Feed;
use crate::engine::bound::{Bound, Load, RoundTrip, requests_left};
use crate::engine::events::Phase;
use crate::engine::heartbeat::{BEAT, Pulse};
use crate::engine::open::{Destination, OpenRequest, open};
use crate::engine::phases::{MigrationWork, PhaseSet};
use crate::engine::printer::{Progress, human_line, stamped_line};
use crate::engine::staged::StagedWork;
use crate::engine::work::TargetInfo;
use crate::engine::work::WorkSource;
use crate::engine::{Control, Event, RunOptions};
use crate::escape;
use crate::plan::{Bursts, MAX_BATCH_SIZE, PlanOptions, SameSecond};
use crate::staging::{ScanOptions, scan};

/// Runs the command.
pub fn run(connect: &ConnectArgs, args: &RunArgs) -> Exit {
    let _log = start_log();
    headless::run(
        || prepare(connect, args),
        |mut p| async move {
            tracing::info!(
                staging = %args.staging.display(),
                ledger = %p.ledger_path.display(),
                endpoint = p.connection.endpoint.base(),
                sdkappid = p.connection.sdkappid,
                admin = %p.connection.admin,
                "timport run starting"
            );
            if let Err((message, exit)) = missing_accounts(&mut p, args).await {
                return fail(&message, exit);
            }
            // Reading the answer blocks: off the runtime's threads.
            let (summary, yes) = (p.summary(), args.yes);
            match tokio::task::spawn_blocking(move || confirm(&summary, yes)).await {
                Ok(Ok(())) => {}
                Ok(Err(message)) => return fail(&message, Exit::BadInput),
                Err(e) => return fail(&format!("cannot ask for confirmation: {e}"), Exit::Stopped),
            }
            let exit = execute(p, args.json, heartbeat_period()).await;
            tracing::info!(code = exit.code(), "timport run ended");
            exit
        },
    )
}

/// The log file, as the console writes it; without one the run goes on and says why.
fn start_log() -> Option<crate::cli::logging::Log> {
    let started = crate::config::Paths::from_env()
        .map_err(|e| e.to_string())
        .and_then(|paths| crate::cli::logging::to_dir(&paths.data_dir));
    match started {
        Ok(log) => Some(log),
        Err(e) => {
            eprintln!("timport: warning: no log file: {}", escape::text(&e));
            None
        }
    }
}

/// A shorter beat than [`BEAT`] for tests of the binary only (milliseconds; not documented as a
/// setting: an operator has no reason to change the minute).
const HEARTBEAT_TEST_ENV: &str = "TIMPORT_TEST_HEARTBEAT_MS";

fn heartbeat_period() -> Duration {
    std::env::var(HEARTBEAT_TEST_ENV)
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map_or(BEAT, Duration::from_millis)
}

/// For a run with the accounts phase: the senders, owners and members that are neither in the
/// app nor staged, listed before anything is sent; imported by UserID alone with
/// `--import-missing-senders`, else the run stops (exit 2) naming them.
async fn missing_accounts(p: &mut Prepared, args: &RunArgs) -> Result<(), (String, Exit)> {
    if !p.migration.phases.contains(Phase::Accounts) {
        return Ok(());
    }
    let client = p
        .connection
        .client(ClientOptions::default())
        .map_err(|e| (e.to_string(), Exit::BadInput))?;
    let missing = crate::staging::online::missing_accounts(p.work.staging(), &client)
        .await
        .map_err(|e| {
            (
                format!("cannot check the staging's accounts with the service: {e}"),
                Exit::Stopped,
            )
        })?;
    if missing.is_empty() {
        return Ok(());
    }
    let shown = list_of(&missing);
    if !args.import_missing_senders {
        return Err((
            format!(
                "{} account(s) the staging names (as senders, owners or members) are neither in the app nor in accounts.jsonl: {shown}. Nothing was sent. Stage them in accounts.jsonl, or run again with --import-missing-senders to import them by UserID alone",
                missing.len()
            ),
            Exit::BadInput,
        ));
    }
    eprintln!(
        "timport: {} account(s) neither in the app nor staged are imported by UserID alone (--import-missing-senders): {shown}",
        missing.len()
    );
    p.migration = MigrationWork::new(
        p.work.staging(),
        &args.group,
        &missing,
        p.migration.phases.clone(),
    );
    Ok(())
}

/// `a, b, c and 7 more`.
fn list_of(ids: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut text = ids
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
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
    migration: MigrationWork,
    ledger_path: std::path::PathBuf,
    opts: RunOptions,
    new_run: bool,
    /// What the messages phase will write, for the confirmation.
    messages_line: Option<String>,
    /// The messages' expected duration (`engine::bound`), for the confirmation.
    duration: Option<String>,
}

impl Prepared {
    /// What the run will write, phase by phase, and where it goes.
    fn summary(&self) -> String {
        let mut lines = Vec::new();
        if self.migration.phases.is_migration() {
            lines.push(format!("phases: {}", self.migration.phases.words()));
        }
        let mut phases = self.migration.describe().into_iter();
        // Accounts and groups go before the messages; members after.
        let (before, after): (Vec<String>, Vec<String>) = phases
            .by_ref()
            .partition(|l| l.starts_with("accounts") || l.starts_with("groups"));
        lines.extend(before);
        lines.extend(self.messages_line.clone());
        lines.extend(after);
        lines.push(format!(
            "to app {} at {} (admin {}), {} requests/s, {} lanes, on message error: {}; ledger {}",
            self.connection.sdkappid,
            self.connection.endpoint.base(),
            self.connection.admin,
            self.opts.rate,
            self.opts.lanes,
            self.opts.on_message_error.word(),
            escape::path(&self.ledger_path),
        ));
        lines.extend(self.duration.clone());
        lines.join("\n  ")
    }
}

fn prepare(connect: &ConnectArgs, args: &RunArgs) -> Result<Prepared, String> {
    let flags = args.options.flags(args.same_second.same_second, None);
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
    let phases = match &args.phases {
        Some(list) => PhaseSet::parse(list)?,
        None => PhaseSet::held_by(work.staging()),
    };
    let migration = MigrationWork::new(work.staging(), &args.group, &[], phases);
    if targets.is_empty() && !migration.phases.is_migration() {
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
    let messages_line = migration.phases.contains(Phase::Messages).then(|| {
        format!(
            "import {messages} message(s) into {} target(s){}{}",
            targets.len(),
            if invalid > 0 {
                format!(
                    "; {invalid} staged problem(s) will stop their lanes (see `timport validate`)"
                )
            } else {
                String::new()
            },
            bursts_note(&work, &targets, opts.same_second)
        )
    });
    // Measured before the run's runtime starts (`round_trip` runs one of its own).
    let duration = migration.phases.contains(Phase::Messages).then(|| {
        let loads = targets.iter().map(|t| Load {
            name: t.target.to_string(),
            messages: t.messages,
            requests: requests_left(t.batches, t.messages, 0),
        });
        Bound::new(loads, opts.rate, round_trip(&connection)).sentence()
    });
    Ok(Prepared {
        connection,
        work,
        migration,
        ledger_path,
        opts,
        new_run: args.new_run,
        messages_line,
        duration,
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

async fn execute(p: Prepared, json: bool, beat: Duration) -> Exit {
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
        migration: p.migration,
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
            tell(&format!(
                "warning: no control socket ({e}): `timport watch` and `timport decide` cannot reach this run"
            ));
        })
        .ok();
    tokio::spawn(interrupts(controls_tx));
    let engine =
        tokio::spawn(async move { active.run(Arc::new(client), events_tx, controls_rx).await });
    let (printed_tx, printed_rx) = mpsc::channel(1024);
    tokio::spawn(with_beats(events_rx, printed_tx, beat));
    let printer = tokio::task::spawn_blocking(move || print_events(printed_rx, json, feed));
    if let Ok(Some(feed)) = printer.await {
        feed.finish().await;
    }
    match engine.await {
        Ok(Ok(outcome)) => outcome.status.exit(),
        Ok(Err(e)) => fail(&e.to_string(), Exit::Stopped),
        Err(e) => fail(&format!("the run ended abnormally: {e}"), Exit::Stopped),
    }
}

/// What the printer is given: the engine's events, and the beats between them.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // events travel by value, as on the engine's own channel
enum Printed {
    Event(Event),
    /// A beat, with the time since the run started.
    Beat(Duration),
}

/// Passes the engine's events on, with a beat every `beat` (the first one `beat` after the
/// start) until the run finished (`run_finished` stays the last JSON line). Sending awaits
/// room: the engine's back-pressure holds.
async fn with_beats(mut events: mpsc::Receiver<Event>, out: mpsc::Sender<Printed>, beat: Duration) {
    let start = tokio::time::Instant::now();
    let mut ticks = tokio::time::interval_at(start + beat, beat);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut beating = true;
    loop {
        let printed = tokio::select! {
            event = events.recv() => match event {
                Some(event) => {
                    beating &= !matches!(event, Event::RunFinished { .. });
                    Printed::Event(event)
                }
                None => return,
            },
            _ = ticks.tick(), if beating => Printed::Beat(start.elapsed()),
        };
        if out.send(printed).await.is_err() {
            return;
        }
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
    eprintln!();
    tell(&format!(
        "{name}: stopping: no new requests; waiting for the answers in flight (interrupt again to stop at once; the ledger stays consistent)"
    ));
    let _ = controls.send(Control::Shutdown).await;
    if signals.next().await.is_some() {
        tell(
            "stopping at once: requests in flight are settled on resume; resume with the same command",
        );
        let _ = controls.send(Control::Abort).await;
    }
    if signals.next().await.is_some() {
        // Exits without flushing the log: this line may not reach it.
        tell("quitting now; resume with the same command");
        std::process::exit(i32::from(Exit::Interrupted.code()));
    }
}

/// A line on stderr that goes to the log too (an unattended run's interrupts).
fn tell(line: &str) {
    tracing::warn!("{line}");
    eprintln!("timport: {line}");
}

/// The progress bar: counts with thousands separators, the time elapsed and the ETA.
const PROGRESS_TEMPLATE: &str =
    "{bar:40} {human_pos}/{human_len} messages  {msg}  {per_sec}  {elapsed} elapsed, eta {eta}";

/// JSON lines on stdout (with `--json`, each with its `time`), lines for people on stderr, and
/// there a progress bar when stderr is a terminal, else a heartbeat line at each beat (a
/// `progress` JSON event too with `--json`). Lines worth one, and the heartbeats, also go to
/// the log. Runs on a blocking thread (it writes to the terminal and pipes, which may block).
fn print_events(
    mut printed: mpsc::Receiver<Printed>,
    json: bool,
    feed: Option<Feed>,
) -> Option<Feed> {
    let bar = headless::progress_bar(PROGRESS_TEMPLATE);
    let mut progress = Progress::default();
    let mut pulse = Pulse::default();
    while let Some(item) = printed.blocking_recv() {
        let event = match item {
            Printed::Event(event) => event,
            Printed::Beat(at) => {
                let beat = pulse.beat(at);
                let stamped = stamped_line(&beat, &headless::time_now());
                if json {
                    headless::print_json(&stamped);
                }
                let line = beat.line();
                if let Some(feed) = &feed {
                    feed.beat(&stamped, &line);
                }
                tracing::info!("heartbeat: {line}");
                if bar.is_none() {
                    eprintln!("timport: {line}");
                }
                continue;
            }
        };
        pulse.update(&event);
        let stamped = stamped_line(&event, &headless::time_now());
        if json {
            headless::print_json(&stamped);
        }
        if let Some(feed) = &feed {
            feed.event(&event, &stamped);
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
    feed
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

    /// A terminal that keeps what is written to it.
    #[derive(Debug, Default, Clone)]
    struct Screen(std::sync::Arc<std::sync::Mutex<String>>);

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            160
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            if let Ok(mut text) = self.0.lock() {
                text.push_str(s);
                text.push('\n');
            }
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_progress_bar_has_thousands_separators_and_the_time_elapsed() {
        let screen = Screen::default();
        let bar = ProgressBar::with_draw_target(
            Some(3_623_000),
            ProgressDrawTarget::term_like(Box::new(screen.clone())),
        );
        bar.set_style(ProgressStyle::with_template(PROGRESS_TEMPLATE).unwrap());
        bar.set_position(1_234_567);
        bar.tick();
        bar.finish();
        let text = screen.0.lock().map(|t| t.clone()).unwrap_or_default();
        assert!(text.contains("1,234,567/3,623,000 messages"), "{text}");
        assert!(text.contains("elapsed, eta"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_beat_goes_out_every_minute_between_the_events() {
        let (events_tx, events_rx) = mpsc::channel(8);
        let (out_tx, mut out_rx) = mpsc::channel(8);
        tokio::spawn(with_beats(events_rx, out_tx, BEAT));
        let warning = || Event::Warning {
            target: None,
            message: "w".into(),
        };
        events_tx.send(warning()).await.expect("sent");
        tokio::time::sleep(Duration::from_secs(150)).await;
        events_tx.send(warning()).await.expect("sent");
        tokio::time::sleep(Duration::from_secs(40)).await;
        let finished = Event::RunFinished {
            summary: crate::engine::events::RunSummary {
                run_id: 1,
                targets: Vec::new(),
                totals: Default::default(),
                requests: 0,
                elapsed_ms: 0,
                stopped: None,
                steps: Vec::new(),
            },
            exit_code: 0,
        };
        events_tx.send(finished).await.expect("sent");
        tokio::time::sleep(Duration::from_secs(300)).await;
        drop(events_tx);
        let mut seen = Vec::new();
        while let Some(printed) = out_rx.recv().await {
            seen.push(match printed {
                Printed::Event(_) => "event".to_owned(),
                Printed::Beat(at) => format!("beat {}", at.as_secs()),
            });
        }
        assert_eq!(
            seen,
            ["event", "beat 60", "beat 120", "event", "beat 180", "event"],
            "no beat after the run finished"
        );
    }

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
