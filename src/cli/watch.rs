//! `timport watch [RUN] [--ledger PATH]`: the read-only view of a `timport run` going on the
//! ledger, in plain text, through the run's control socket (`engine::attach`): where it stands,
//! then the headless printer's lines as they come, until the run ends (exit with the run's own
//! exit code) or Ctrl-C (which ends the view only: the run is another process and goes on).
//! No run reachable: exit 3; RUN not the run going: exit 2.

use std::io::Write;

use crate::cli::attached::{self, Line};
use crate::cli::{Exit, WatchArgs};
use crate::config::{ConnectArgs, RunFlags, Settings};
use crate::engine::attach::Note;
use crate::escape;

/// Runs the command.
pub fn run(connect: &ConnectArgs, args: &WatchArgs) -> Exit {
    // Ctrl-C ends the view (the default action). A process started in the background by a
    // non-interactive shell inherits SIGINT ignored; the view restores the default so that
    // Ctrl-C (or `kill -INT`) always leaves it.
    // SAFETY: setting a signal's disposition to its default, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
    match watch(connect, args) {
        Ok(exit) => exit,
        Err((exit, message)) => {
            eprintln!("timport: {}", escape::text(&message));
            exit
        }
    }
}

fn watch(connect: &ConnectArgs, args: &WatchArgs) -> Result<Exit, (Exit, String)> {
    let flags = RunFlags {
        ledger: args.ledger.clone(),
        ..RunFlags::default()
    };
    let settings =
        Settings::from_env(connect, &flags).map_err(|e| (Exit::BadInput, e.to_string()))?;
    let ledger = settings.run.ledger;
    let mut run = attached::connect(&ledger).map_err(|why| (Exit::Stopped, why))?;
    let hello = run.hello.clone();
    if let Some(wanted) = args.run
        && wanted != hello.run_id
    {
        return Err((
            Exit::BadInput,
            format!(
                "the run going on {} is run {}, not run {wanted} (`timport report {wanted}` shows a run that ended)",
                escape::path(&ledger),
                hello.run_id
            ),
        ));
    }
    let mut out = std::io::stdout().lock();
    let mut say = |line: &str| {
        // A closed stdout (`| head`) ends the view, never the run.
        writeln!(out, "{}", escape::controls(line)).is_ok() && out.flush().is_ok()
    };
    let counts = if hello.total > 0 {
        format!(", {} of {} message(s) settled", hello.settled, hello.total)
    } else {
        String::new()
    };
    if !say(&format!(
        "watching run {}{}{counts} (Ctrl-C leaves the view; the run goes on)",
        hello.run_id,
        if hello.resumed { " (resumed)" } else { "" },
    )) {
        return Ok(Exit::Done);
    }
    loop {
        let line = run
            .next()
            .map_err(|e| (Exit::Stopped, format!("lost the run: {e}")))?;
        let shown = match line {
            Some(Line::Event(event)) => {
                if event["event"] == "run_finished" {
                    // The summary's line comes right after its event.
                    if let Ok(Some(Line::Note(Note::Say(text)))) = run.next() {
                        say(&text);
                    }
                    let code = event["exit_code"].as_u64().unwrap_or(3);
                    return Ok(Exit::from_code(code));
                }
                true
            }
            Some(Line::Note(Note::Say(text))) => say(&text),
            Some(Line::Note(Note::Lagged(n))) => say(&format!(
                "(this view fell behind and missed {n} line(s); `timport report` has everything)"
            )),
            Some(Line::Note(_)) => true,
            None => {
                return Err((
                    Exit::Stopped,
                    format!(
                        "run {} ended without its summary reaching this view (`timport report {}` has it)",
                        hello.run_id, hello.run_id
                    ),
                ));
            }
        };
        if !shown {
            return Ok(Exit::Done);
        }
    }
}
