//! `timport decide RUN --code N [--group G] (--skip --reason TEXT | --retry) [--ledger PATH]`:
//! one decision about every message of a run refused with one code, headless. With no run
//! holding the ledger it records the decisions there (one row per message, with the operator
//! and the reason), so the next `timport run` resumes with them. While a `timport run` holds the
//! ledger, the decision goes to that run through its control socket (`engine::attach`), which
//! applies it and records it per message as its console's; a run that serves no socket (a
//! console's) is not reached: exit 3.

use std::path::Path;
use std::time::Duration;

use crate::cli::attached::{self, Line};
use crate::cli::{DecideArgs, Exit};
use crate::config::{ConnectArgs, RunFlags, Settings};
use crate::engine::attach::{DecideCode, Note, Request};
use crate::engine::ledger::lock::{LedgerLock, LockError};
use crate::engine::ledger::{Ledger, decisions, runs};
use crate::engine::{BulkAction, BulkDecision, Target, operator};
use crate::escape;

/// Runs the command.
pub fn run(connect: &ConnectArgs, args: &DecideArgs) -> Exit {
    match decide(connect, args) {
        Ok(said) => {
            eprintln!("timport: {}", escape::text(&said));
            Exit::Done
        }
        Err((exit, message)) => {
            eprintln!("timport: {}", escape::text(&message));
            exit
        }
    }
}

type Failed = (Exit, String);

fn bad(message: impl Into<String>) -> Failed {
    (Exit::BadInput, message.into())
}

/// The decision the flags ask for.
fn bulk_of(args: &DecideArgs) -> Result<BulkDecision, Failed> {
    let action = match (args.skip, args.retry, &args.reason) {
        (true, false, Some(reason)) if !reason.trim().is_empty() => BulkAction::Skip {
            reason: reason.trim().to_owned(),
        },
        (true, false, _) => {
            return Err(bad(
                "--skip needs --reason TEXT (recorded with each message)",
            ));
        }
        (false, true, None) => BulkAction::Retry,
        (false, true, Some(_)) => return Err(bad("--reason goes with --skip, not --retry")),
        _ => return Err(bad("say what to do: --skip --reason TEXT, or --retry")),
    };
    Ok(BulkDecision {
        code: args.code,
        target: args.group.as_ref().map(|g| Target::new(g, None)),
        action,
        operator: operator::current(),
    })
}

/// How long a live run may take to answer.
const ANSWER_PATIENCE: Duration = Duration::from_secs(30);

/// Hands the decision to the run holding the ledger, through its control socket.
fn to_the_run(
    ledger: &Path,
    args: &DecideArgs,
    bulk: BulkDecision,
    held: &LockError,
) -> Result<String, Failed> {
    let run_id = args.run;
    let mut run = attached::connect(ledger).map_err(|why| {
        (
            Exit::Stopped,
            format!("{held}. It cannot be reached: {why}; a console's run takes its decisions from its console"),
        )
    })?;
    if run.hello.run_id != run_id {
        return Err(bad(format!(
            "the run going on {} is run {}, not run {run_id}; decide about it while it goes, or about run {run_id} once it ended",
            escape::path(ledger),
            run.hello.run_id
        )));
    }
    let (skip, retry) = match bulk.action {
        BulkAction::Skip { reason } => (Some(reason), false),
        BulkAction::Retry => (None, true),
    };
    let request = Request {
        decide: Some(DecideCode {
            code: bulk.code,
            group: args.group.clone(),
            skip,
            retry,
        }),
        operator: bulk.operator,
        ..Request::default()
    };
    let lost = |e: std::io::Error| (Exit::Stopped, format!("the run did not answer: {e}"));
    run.patience(Some(ANSWER_PATIENCE)).map_err(lost)?;
    run.send(&request).map_err(lost)?;
    loop {
        match run.next().map_err(lost)? {
            Some(Line::Note(Note::Answer(answer))) if answer.ok => {
                return Ok(format!("run {run_id} (going): {}", answer.said));
            }
            Some(Line::Note(Note::Answer(answer))) => {
                return Err((
                    Exit::Stopped,
                    format!("run {run_id} refused: {}", answer.said),
                ));
            }
            Some(_) => {}
            None => {
                return Err((
                    Exit::Stopped,
                    format!(
                        "run {run_id} ended before it answered; decide again (with no run going it is recorded in the ledger)"
                    ),
                ));
            }
        }
    }
}

fn decide(connect: &ConnectArgs, args: &DecideArgs) -> Result<String, Failed> {
    let bulk = bulk_of(args)?;
    let flags = RunFlags {
        ledger: args.ledger.clone(),
        ..RunFlags::default()
    };
    let settings = Settings::from_env(connect, &flags).map_err(|e| bad(e.to_string()))?;
    if let Some(problem) = settings.source_problem() {
        return Err(bad(problem.to_string()));
    }
    let path = settings.run.ledger;
    if !path.exists() {
        return Err(bad(format!(
            "no ledger at {} (no run has used it yet)",
            escape::path(&path)
        )));
    }
    // Decisions are written only by the one writer of the ledger: the run holding it, if any.
    let _lock = match LedgerLock::acquire(&path, "timport decide") {
        Ok(lock) => lock,
        Err(e @ LockError::Held { .. }) => return to_the_run(&path, args, bulk, &e),
        Err(e @ LockError::Io { .. }) => return Err((Exit::Stopped, e.to_string())),
    };
    let ledger = Ledger::open(&path).map_err(|e| (Exit::Stopped, e.to_string()))?;
    let run_id = args.run;
    let scope = match &bulk.target {
        Some(t) => format!("in group {t} (and its topics)"),
        None => "in every group".to_owned(),
    };
    let (what, code) = (bulk.action.clone(), bulk.code);
    let decided = ledger
        .call_blocking(move |c| {
            if runs::run_by_id(c, run_id)?.is_none() {
                return Ok(None);
            }
            decisions::record_bulk(c, run_id, &bulk).map(Some)
        })
        .map_err(|e| (Exit::Stopped, e.to_string()))?;
    let Some(n) = decided else {
        return Err(bad(format!(
            "the ledger {} has no run {run_id} (`timport report` shows the latest)",
            escape::path(&path)
        )));
    };
    let did = match what {
        BulkAction::Skip { reason } => format!("skipped (reason: {reason})"),
        BulkAction::Retry => "made pending, to be sent once more".to_owned(),
    };
    Ok(if n == 0 {
        format!(
            "run {run_id}: no message is recorded as refused with code {code} {scope}; nothing decided"
        )
    } else {
        format!(
            "run {run_id}: {n} message(s) refused with code {code} {scope} {did}, each recorded in the ledger; the next `timport run` of this staging resumes with them"
        )
    })
}
