//! `timport verify [RUN] [--group G]... [--rate N] [--ledger PATH] [--restart] [--json]`: reads
//! every target of a run back and compares it with the ledger and the staged files.
//!
//! Order of things: settle the options and the connection (bad ones: exit 2), open the ledger
//! and find the run (the latest by default), refuse a connection to another app than the run's
//! (exit 2), scan the run's staging directory (it must be unchanged since the run began), then
//! verify: findings as JSON lines on stdout with `--json`, lines for people and a progress bar
//! (rate, ETA) on stderr. Ctrl-C (or SIGTERM, SIGHUP) stops after the window at work; the next `timport verify`
//! goes on from there. Exit codes: 0 everything matches, 1 something differs, 2 bad input,
//! 3 a group could not be read, 130 interrupted (docs/reference.md#exit-codes).

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::api::ClientOptions;
use crate::api::pacer::documented_rate;
use crate::api::types::Command;
use crate::cli::headless::{self, Refusal, fail};
use crate::cli::{Exit, VerifyArgs};
use crate::clock::unix_now;
use crate::config::{ConnectArgs, Connection, RunFlags, Settings};
use crate::engine::ledger::lock::LedgerLock;
use crate::engine::ledger::{Ledger, runs};
use crate::engine::verify::printer::{human_line, json_line};
use crate::engine::verify::{
    ReadPace, VerifyEvent, VerifyLedger, VerifyOptions, VerifyRequest, open_ledger_blocking, verify,
};
use crate::engine::{MAX_RATE, Target};
use crate::escape;
use crate::staging::{ScanOptions, scan};

/// Runs the command.
pub fn run(connect: &ConnectArgs, args: &VerifyArgs) -> Exit {
    headless::run(|| prepare(connect, args), |p| execute(p, args.json))
}

/// Everything settled before the first read.
struct Prepared {
    /// One writer per ledger: held until the verification ends.
    _lock: Option<LedgerLock>,
    connection: Connection,
    request: VerifyRequest,
    rate: u32,
}

fn prepare(connect: &ConnectArgs, args: &VerifyArgs) -> Result<Prepared, Refusal> {
    let run = headless::run_number(args.run.as_deref())?;
    let flags = RunFlags {
        rate: args.rate,
        ledger: args.ledger.clone(),
        ..RunFlags::default()
    };
    let settings = Settings::from_env(connect, &flags).map_err(|e| e.to_string())?;
    if let Some(problem) = settings.source_problem() {
        return Err(problem.to_string().into());
    }
    let rate = settings.run.rate;
    // The read call's own limit (the client's per-command pacer keeps to it too).
    let max = documented_rate(Command::GroupMsgGetSimple).unwrap_or(MAX_RATE);
    if rate == 0 || rate > max {
        return Err(format!(
            "--rate {rate} is out of range: give 1 to {max} reads per second (group_msg_get_simple allows {max}/s for the whole app)"
        )
        .into());
    }
    let path = settings.run.ledger.clone();
    let connection = settings.connection().map_err(|e| e.to_string())?;
    for warning in &connection.warnings {
        eprintln!("timport: warning: {warning}");
    }
    // The lock before anything is read: another timport writing to the ledger turns this away.
    let VerifyLedger { ledger, lock } = open_ledger_blocking(&path, Some("timport verify"))
        .map_err(|e| Refusal {
            message: e.to_string(),
            exit: e.exit(),
        })?;
    let record = ledger
        .call_blocking(move |c| match run {
            Some(id) => runs::run_by_id(c, id),
            None => runs::latest_run(c),
        })
        .map_err(|e| e.to_string())?
        .ok_or_else(|| match run {
            Some(id) => format!("the ledger has no run {id}"),
            None => "the ledger has no run yet".to_owned(),
        })?;
    same_app(&record.options, &connection, record.id)?;
    let root = std::path::PathBuf::from(&record.staging_root);
    let staging = scan(&root, &ScanOptions::new(unix_now())).map_err(|e| {
        format!(
            "cannot read run {}'s staged files at {}: {e}",
            record.id,
            escape::path(&root)
        )
    })?;
    crate::heap::release_free_memory();
    let only = args.group.iter().map(|g| Target::new(g, None)).collect();
    let only = expand_groups(&ledger, record.id, only)?;
    Ok(Prepared {
        _lock: lock,
        connection,
        request: VerifyRequest {
            ledger,
            run_id: record.id,
            only,
            staging: Arc::new(staging),
            restart: args.restart,
            options: VerifyOptions::default(),
        },
        rate,
    })
}

/// Refuses to verify a run against another app than the one it imported into (every message
/// would read as missing); warns when only the endpoint differs (a backup domain is fine).
fn same_app(options: &str, connection: &Connection, run_id: i64) -> Result<(), String> {
    let recorded: serde_json::Value = serde_json::from_str(options).unwrap_or_default();
    if let Some(app) = recorded["sdkappid"].as_u64()
        && app != connection.sdkappid
    {
        return Err(format!(
            "run {run_id} imported into app {app}; the connection is to app {}: verify with the run's app",
            connection.sdkappid
        ));
    }
    if let Some(endpoint) = recorded["endpoint"].as_str()
        && endpoint != connection.endpoint.base()
    {
        eprintln!(
            "timport: warning: run {run_id} imported through {}; reading back through {}",
            escape::text(endpoint),
            connection.endpoint.base()
        );
    }
    Ok(())
}

/// `--group G` means the group and all its topics, as `timport run` reads it.
fn expand_groups(ledger: &Ledger, run_id: i64, groups: Vec<Target>) -> Result<Vec<Target>, String> {
    if groups.is_empty() {
        return Ok(groups);
    }
    let all = ledger
        .call_blocking(move |c| crate::engine::ledger::targets::targets_of(c, run_id))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for g in &groups {
        let found: Vec<Target> = all
            .iter()
            .filter(|t| t.target.group() == g.group())
            .map(|t| t.target.clone())
            .collect();
        if found.is_empty() {
            return Err(format!("run {run_id} has no group {}", g.group()));
        }
        out.extend(found);
    }
    Ok(out)
}

async fn execute(p: Prepared, json: bool) -> Exit {
    let client = match p.connection.client(ClientOptions::default()) {
        Ok(client) => client,
        Err(e) => return fail(&e.to_string(), Exit::BadInput),
    };
    let (tx, rx) = mpsc::channel(1024);
    let stop = CancellationToken::new();
    tokio::spawn(interrupts(stop.clone()));
    let printer = tokio::task::spawn_blocking(move || print_events(rx, json));
    let result = verify(Arc::new(client), p.request, ReadPace::own(p.rate), tx, stop).await;
    let _ = printer.await;
    match result {
        Ok(summary) => summary.exit(),
        Err(e) => fail(&e.to_string(), e.exit()),
    }
}

/// First interrupt (Ctrl-C, SIGTERM or SIGHUP, as `timport run`): stop after the window at
/// work. Second: exit at once (a killed verification goes on from its last recorded window).
async fn interrupts(stop: CancellationToken) {
    let mut signals = headless::Interrupts::new();
    let Some(name) = signals.next().await else {
        return;
    };
    eprintln!(
        "\ntimport: {name}: stopping after the window at work (interrupt again to quit at once); `timport verify` goes on from there"
    );
    stop.cancel();
    if signals.next().await.is_some() {
        std::process::exit(i32::from(Exit::Interrupted.code()));
    }
}

/// JSON lines on stdout (with `--json`), lines for people and a progress bar on stderr.
fn print_events(mut events: mpsc::Receiver<VerifyEvent>, json: bool) {
    let bar = headless::progress_bar(
        "{bar:40} {pos}/{len} messages compared  {msg}  {per_sec}  eta {eta}",
    );
    while let Some(event) = events.blocking_recv() {
        if json && let Some(line) = json_line(&event, &headless::time_now()) {
            headless::print_json(&line);
        }
        if let Some(bar) = &bar {
            match &event {
                VerifyEvent::VerifyStarted {
                    expected, checked, ..
                } => {
                    bar.set_length(*expected);
                    bar.set_position(*checked);
                    bar.reset_eta();
                }
                VerifyEvent::Progress {
                    checked,
                    differences,
                    ..
                } => {
                    bar.set_position(*checked);
                    bar.set_message(format!("{differences} difference(s)"));
                }
                _ => {}
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
