//! `timport report [RUN] [--failed-out FILE] [--html FILE] [--markdown FILE] [--ledger PATH]
//! [--json]`: a run's summary from the ledger (the latest run by default), with its latest
//! verification's counts. Reads the ledger only (a run may be writing it); prints the report on
//! stdout, as text or one JSON object; `--failed-out` writes the failed and invalid messages as
//! a JSONL staging file to fix and run; `--html` and `--markdown` write the sign-off report.

use crate::cli::{Exit, ReportArgs};
use crate::config::{ConnectArgs, RunFlags, Settings};
use crate::engine::ledger::now_ms;
use crate::engine::ledger::schema::open_for_reading;
use crate::engine::report;
use crate::engine::signoff::{self, SignOff};
use crate::escape;

/// Runs the command.
pub fn run(connect: &ConnectArgs, args: &ReportArgs) -> Exit {
    match report(connect, args) {
        Ok(()) => Exit::Done,
        Err(message) => {
            eprintln!("timport: {}", escape::text(&message));
            Exit::BadInput
        }
    }
}

/// `; its runs:` and one line per run (id, start, status, staging), when there are any.
fn runs_there_are(conn: &rusqlite::Connection) -> String {
    let runs = match report::list(conn) {
        Ok(runs) if !runs.is_empty() => runs,
        _ => return String::new(),
    };
    let mut out = String::from("; the runs it has (timport report RUN):");
    for r in runs {
        out.push_str(&format!(
            "\n  {}  started {} UTC, {}, {}",
            r.id,
            crate::clock::format_unix(r.started_at / 1000),
            r.status,
            escape::text(&r.staging_root)
        ));
    }
    out
}

fn report(connect: &ConnectArgs, args: &ReportArgs) -> Result<(), String> {
    let run = crate::cli::headless::run_number(args.run.as_deref())?;
    let flags = RunFlags {
        ledger: args.ledger.clone(),
        ..RunFlags::default()
    };
    let settings = Settings::from_env(connect, &flags).map_err(|e| e.to_string())?;
    if let Some(problem) = settings.source_problem() {
        return Err(problem.to_string());
    }
    let path = settings.run.ledger;
    let conn = open_for_reading(&path).map_err(|e| e.to_string())?;
    let report = match report::load(&conn, run) {
        Ok(report) => report,
        Err(e @ report::ReportError::NoRun(_)) => {
            return Err(format!(
                "{e} ({}){}",
                escape::path(&path),
                runs_there_are(&conn)
            ));
        }
        Err(e) => return Err(format!("{} ({})", e, escape::path(&path))),
    };
    if args.json {
        let line = serde_json::to_string(&report).map_err(|e| e.to_string())?;
        println!("{line}");
    } else {
        print!("{}", report.text());
    }
    if args.html.is_some() || args.markdown.is_some() {
        let signoff = SignOff::load(&conn, Some(report.run_id), now_ms())
            .map_err(|e| format!("{} ({})", e, escape::path(&path)))?;
        for (out, text) in [
            (&args.html, args.html.as_ref().map(|_| signoff.html())),
            (
                &args.markdown,
                args.markdown.as_ref().map(|_| signoff.markdown()),
            ),
        ] {
            if let (Some(out), Some(text)) = (out, text) {
                signoff::write(out, &text).map_err(|e| e.to_string())?;
                eprintln!(
                    "timport: wrote the sign-off report of run {} to {}",
                    report.run_id,
                    escape::path(out)
                );
            }
        }
    }
    if let Some(out) = &args.failed_out {
        let (written, as_is) = report.write_failed(out).map_err(|e| e.to_string())?;
        eprintln!(
            "timport: wrote {written} failed or invalid message(s) to {} (each line names its GroupId; fix them and `timport run` that file)",
            escape::path(out)
        );
        for place in as_is {
            eprintln!(
                "timport: warning: {place} is not a JSON object; it was written as staged, fix it by hand"
            );
        }
    }
    Ok(())
}
