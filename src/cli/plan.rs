//! `timport plan STAGING [--group G] [--phases LIST]`: the exact request bodies of every phase a
//! run would carry out, in the run's order: accounts (`multiaccount_import`), groups
//! (`import_group`), the messages of each group and topic (`import_group_msg`), members
//! (`import_group_member`) and unread counts (`set_unread_msg_num`); for one group with
//! `--group`. Indented for people, or with `--json` one compact body per line, byte-identical
//! to what the engine sends. Remarks and invalid messages go to stderr.
//! The messages' expected duration goes to stderr too (`engine::bound`: offline, at the default
//! rate, the round trip unknown).
//! Bursts (seconds holding more than a request) are summed up per target with what each
//! `--same-second` policy does; under `spread` every moved message shows its staged and its
//! sent time (in the `#` lines, or with `--json` on stderr, one line each).
//!
//! Offline, the plan takes every staged group as created by the run (its owner is in it from
//! the start, every other member is imported); the run itself routes members by what each group
//! holds then, and adds the senders, owners and members the app lacks when asked to
//! (`--import-missing-senders`). Exit 0 when everything staged is planned, 2 otherwise.

use std::io::{self, Write};

use super::validate::{count, same_second, scan_options, scan_or_report};
use super::{Exit, PlanArgs};
use crate::config::ConnectArgs;
use crate::engine::DEFAULT_RATE;
use crate::engine::bound::{Bound, Load, RoundTrip};
use crate::engine::events::Phase;
use crate::engine::phases::PhaseSet;
use crate::engine::staged::spread_too_late;
use crate::escape;
use crate::plan::migration::{MigrationPlan, PhaseRequest, plan_migration};
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
    // directory, accounts.jsonl and groups.jsonl) hide what they stage: show them, and do not
    // call the plan complete (`run` refuses).
    let mut complete = report_file_problems(&staging);
    let phases = match args.phases.as_deref().map(PhaseSet::parse) {
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            eprintln!("timport: {e}");
            return Exit::BadInput;
        }
        None => PhaseSet::held_by(&staging),
    };
    let groups: Vec<String> = args.group.iter().cloned().collect();
    let targets: Vec<&TargetIndex> = match &args.group {
        Some(g) => staging.group_targets(g).collect(),
        None => staging.targets().iter().collect(),
    };
    if let Some(g) = &args.group {
        if targets.is_empty() && staging.migration().group(g).is_none() {
            eprintln!("{}", no_such_group(&staging, g));
            return Exit::BadInput;
        }
    }
    let opts = PlanOptions {
        batch_size: usize::from(args.batch_size),
        max_message_bytes: args.rules.max_message_bytes as usize,
        recent_contact_flag: None,
        same_second: policy,
    };
    let now = staging.options().now;
    let migration = plan_migration(staging.migration(), &[], &groups);
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut loads = Vec::new();
    let written = (|| -> io::Result<bool> {
        let w = Writer { json: args.json };
        if phases.contains(Phase::Accounts) {
            w.section(&mut out, "accounts", &migration.accounts)?;
        }
        if phases.contains(Phase::Groups) {
            let creates: Vec<PhaseRequest> =
                migration.groups.iter().map(|g| g.create.clone()).collect();
            w.section(&mut out, "groups", &creates)?;
        }
        let mut planned = true;
        if phases.contains(Phase::Messages) {
            for t in &targets {
                let bursts = Bursts::of(t.order_times(), opts.batch_size);
                if policy == SameSecond::Spread && bursts.spread_reaches(now) {
                    eprintln!(
                        "timport: {}",
                        escape::text(&spread_too_late(t.target(), &bursts, now))
                    );
                    planned = false;
                    continue;
                }
                let loaded = match staging.load(t.target()) {
                    Ok(loaded) => loaded,
                    Err(e) => {
                        eprintln!("timport: {}", crate::escape::text(&e.to_string()));
                        return Ok(false);
                    }
                };
                let plan = plan_loaded(t.target(), &loaded, &opts);
                loads.push(Load {
                    name: plan.target.to_string(),
                    messages: plan.message_count() as u64,
                    requests: plan.batches.len() as u64,
                });
                report_on_stderr(&plan, &loaded.invalid);
                planned &= loaded.invalid.is_empty();
                if args.json {
                    for m in plan.moved() {
                        eprintln!("{}: moved: {}", m.source, moved(m));
                    }
                    write_bodies(&mut out, &plan)?;
                } else {
                    write_pretty(&mut out, &plan, loaded.invalid.len(), &bursts, policy)?;
                }
            }
        }
        if phases.contains(Phase::Members) {
            w.members(&mut out, &migration)?;
        }
        out.flush()?;
        Ok(planned)
    })();
    match written {
        Ok(planned) => complete &= planned,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Exit::Done,
        Err(e) => {
            eprintln!("timport: cannot write the plan: {e}");
            return Exit::BadInput;
        }
    }
    if phases.contains(Phase::Messages) {
        let bound = Bound::new(loads, DEFAULT_RATE, RoundTrip::Offline);
        eprintln!("timport: {}", escape::controls(&bound.sentence()));
    }
    if complete { Exit::Done } else { Exit::BadInput }
}

/// How the phases' requests are written.
struct Writer {
    json: bool,
}

impl Writer {
    /// One phase's requests, under a heading for people.
    fn section(
        &self,
        out: &mut impl Write,
        name: &str,
        requests: &[PhaseRequest],
    ) -> io::Result<()> {
        if requests.is_empty() {
            return Ok(());
        }
        if !self.json {
            writeln!(out, "{name}: {}", count(requests.len(), "request"))?;
        }
        self.requests(out, requests)
    }

    fn requests(&self, out: &mut impl Write, requests: &[PhaseRequest]) -> io::Result<()> {
        for (i, r) in requests.iter().enumerate() {
            if self.json {
                out.write_all(&r.body)?;
                out.write_all(b"\n")?;
                continue;
            }
            writeln!(
                out,
                "--- request {} of {}: {}{}, {}, {} bytes ---",
                i + 1,
                requests.len(),
                r.command.name(),
                r.group
                    .as_deref()
                    .map(|g| format!(" {}", escape::controls(g)))
                    .unwrap_or_default(),
                count(r.items.len(), "item"),
                r.body.len()
            )?;
            writeln!(out, "{}", crate::plan::pretty(&r.body))?;
        }
        Ok(())
    }

    /// Each group's members, then the unread counts of members already in it.
    fn members(&self, out: &mut impl Write, plan: &MigrationPlan) -> io::Result<()> {
        for g in &plan.groups {
            if g.members.is_empty() && g.unread.is_empty() && g.unread_not_kept == 0 {
                continue;
            }
            if !self.json {
                writeln!(
                    out,
                    "members of {}: {} and {} (after its last message){}",
                    escape::controls(&g.group_id),
                    count(g.members.len(), "import_group_member request"),
                    count(g.unread.len(), "set_unread_msg_num request"),
                    if g.unread_not_kept > 0 {
                        format!(
                            "; {} not sent: a ChatRoom keeps no unread counts",
                            count(g.unread_not_kept, "unread count")
                        )
                    } else {
                        String::new()
                    }
                )?;
            }
            self.requests(out, &g.members)?;
            self.requests(out, &g.unread)?;
        }
        Ok(())
    }
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
        "timport: {} in the staged files not about one message (what they stage is not planned; `timport run` refuses until they are fixed):",
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
