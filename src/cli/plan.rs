//! `timport plan STAGING --group G`: the exact request bodies that would be sent for a group and
//! each of its topics: indented for people, or with `--json` one compact body per line,
//! byte-identical to what the engine sends. Remarks and invalid messages go to stderr.
//! Bursts (seconds holding more than a request) are summed up per target with what each
//! `--same-second` policy does; under `spread` every moved message shows its staged and its
//! sent time (in the `#` lines, or with `--json` on stderr, one line each).
//! Exit 0 when every staged message of the group is planned, 2 otherwise.

use std::io::{self, Write};

use super::validate::{count, same_second, scan_options, scan_or_report};
use super::{Exit, PlanArgs};
use crate::config::ConnectArgs;
use crate::engine::staged::spread_too_late;
use crate::escape;
use crate::plan::{Bursts, PlanOptions, PlannedMessage, SameSecond, TargetPlan, plan_loaded};
use crate::staging::{InvalidMessage, Staging, TargetIndex};

/// Runs the command.
pub fn run(args: &PlanArgs, connect: &ConnectArgs) -> Exit {
    let policy = match same_second(connect, &args.same_second) {
        Ok(policy) => policy,
        Err(message) => {
            eprintln!("timport: {}", escape::text(&message));
            return Exit::BadInput;
        }
    };
    let Some(staging) = scan_or_report(&args.staging, &scan_options(&args.rules)) else {
        return Exit::BadInput;
    };
    // Problems of whole files (broken JSON structure, a FIFO, a link out of the staging
    // directory) hide messages: show them, and do not call the plan complete (`run` refuses).
    let mut complete = report_file_problems(&staging);
    let targets: Vec<&TargetIndex> = staging.group_targets(&args.group).collect();
    if targets.is_empty() {
        eprintln!("{}", no_such_group(&staging, &args.group));
        return Exit::BadInput;
    }
    let opts = PlanOptions {
        batch_size: usize::from(args.batch_size),
        max_message_bytes: args.rules.max_message_bytes as usize,
        recent_contact_flag: None,
        same_second: policy,
    };
    let now = staging.options().now;
    let mut out = io::BufWriter::new(io::stdout().lock());
    for t in targets {
        let bursts = Bursts::of(t.order_times(), opts.batch_size);
        if policy == SameSecond::Spread && bursts.spread_reaches(now) {
            eprintln!(
                "timport: {}",
                escape::text(&spread_too_late(t.target(), &bursts, now))
            );
            complete = false;
            continue;
        }
        let loaded = match staging.load(t.target()) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("timport: {}", crate::escape::text(&e.to_string()));
                return Exit::BadInput;
            }
        };
        let plan = plan_loaded(t.target(), &loaded, &opts);
        report_on_stderr(&plan, &loaded.invalid);
        complete &= loaded.invalid.is_empty();
        let written = if args.json {
            for m in plan.moved() {
                eprintln!("{}: moved: {}", m.source, moved(m));
            }
            write_bodies(&mut out, &plan)
        } else {
            write_pretty(&mut out, &plan, loaded.invalid.len(), &bursts, policy)
        };
        match written.and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Exit::Done,
            Err(e) => {
                eprintln!("timport: cannot write the plan: {e}");
                return Exit::BadInput;
            }
        }
    }
    if complete { Exit::Done } else { Exit::BadInput }
}

fn no_such_group(staging: &Staging, group: &str) -> String {
    let mut groups: Vec<&str> = staging
        .targets()
        .iter()
        .map(|t| t.target().group())
        .collect();
    groups.dedup();
    let shown: Vec<&str> = groups.iter().take(20).copied().collect();
    let more = groups.len().saturating_sub(shown.len());
    format!(
        "timport: no staged messages for group {group:?}; staged groups: {}{}",
        if shown.is_empty() {
            "none".to_owned()
        } else {
            escape::controls(&shown.join(", ")).into_owned()
        },
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

/// The exact bytes, one body per line.
fn write_bodies(out: &mut impl Write, plan: &TargetPlan) -> io::Result<()> {
    for batch in &plan.batches {
        out.write_all(&batch.body)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// A moved message's two times: `SendTime 1600000000 -> 1600000001 (+1 s)`.
fn moved(m: &PlannedMessage) -> String {
    let staged = m.staged_send_time.unwrap_or(m.send_time);
    format!(
        "SendTime {staged} -> {} (+{} s, --same-second spread)",
        m.send_time,
        m.send_time - staged
    )
}

fn write_pretty(
    out: &mut impl Write,
    plan: &TargetPlan,
    invalid: usize,
    bursts: &Bursts,
    policy: SameSecond,
) -> io::Result<()> {
    writeln!(
        out,
        "{}: {} in {}{}",
        plan.target,
        count(plan.message_count(), "message"),
        count(plan.batches.len(), "request"),
        if invalid > 0 {
            format!(" ({invalid} invalid messages are not planned; see stderr)")
        } else {
            String::new()
        }
    )?;
    if bursts.seconds > 0 {
        writeln!(out, "bursts: {}", bursts.describe(policy))?;
    }
    for batch in &plan.batches {
        writeln!(
            out,
            "--- request {} of {}: {}, {} bytes ---",
            batch.index + 1,
            plan.batches.len(),
            count(batch.messages.len(), "message"),
            batch.body.len()
        )?;
        for m in &batch.messages {
            writeln!(
                out,
                "# {} {} {} Random {}{}{}",
                m.source,
                crate::clock::format_unix(m.send_time),
                escape::controls(&m.from_account),
                m.random,
                if m.random_was_staged {
                    " (staged)"
                } else {
                    " (derived)"
                },
                match m.staged_send_time {
                    Some(staged) => format!(
                        ", moved from {} (+{} s)",
                        crate::clock::format_unix(staged),
                        m.send_time - staged
                    ),
                    None => String::new(),
                }
            )?;
        }
        writeln!(out, "{}", batch.pretty())?;
    }
    Ok(())
}

/// Prints the errors about no single message on stderr; true when there are none.
fn report_file_problems(staging: &Staging) -> bool {
    let errors: usize = staging
        .problem_counts(None)
        .map_or(0, |kinds| kinds.values().map(|c| c.errors).sum());
    if errors == 0 {
        return true;
    }
    eprintln!(
        "timport: {} in the staged files not about one message (the messages there are not planned; `timport run` refuses until they are fixed):",
        count(errors, "error")
    );
    let listed = staging
        .problems()
        .iter()
        .filter(|p| p.is_error() && p.target.is_none());
    let mut shown = 0;
    for p in listed {
        eprintln!("  {p}");
        shown += 1;
    }
    if shown < errors {
        eprintln!(
            "  ... and {} more (`timport validate` lists them)",
            errors - shown
        );
    }
    false
}

fn report_on_stderr(plan: &TargetPlan, invalid: &[InvalidMessage]) {
    for w in &plan.warnings {
        match &w.source {
            Some(s) => eprintln!("{s}: warning: {}", escape::controls(&w.message)),
            None => eprintln!("{}: warning: {}", plan.target, escape::controls(&w.message)),
        }
    }
    for m in invalid {
        eprintln!("{}: not planned:", m.source);
        for p in m.problems.iter().filter(|p| p.is_error()) {
            eprintln!("  {p}");
        }
    }
}
