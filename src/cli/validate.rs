//! `timport validate STAGING`: scan the staged files, check every message, print a summary per
//! target (with what `--same-second keep` and `spread` do with its bursts) and every problem.
//! Exit 0 when everything is importable, 2 otherwise (also when the chosen `spread` would send a
//! message at now or later).

use std::io::{self, IsTerminal, Write};

use super::{Exit, RuleArgs, SameSecondArg, ValidateArgs};
use crate::api::ClientOptions;
use crate::clock::{format_unix, unix_now};
use crate::config::ConnectArgs;
use crate::config::{
    ConfigError, ConfigFile, Connection, Paths, RunFlags, SECRET_KEY_ENV, Settings,
};
use crate::engine::staged::spread_too_late;
use crate::plan::{Bursts, MAX_BATCH_SIZE, SameSecond, Spreader};
use crate::staging::online::{OnlineOutcome, check_online};
use crate::staging::report::{KindCount, KindCounts};
use crate::staging::{
    Problem, ScanOptions, Staging, TargetReport, ValidationReport, scan_with_progress,
};

/// The scan options the rule flags ask for, at the current time.
pub(super) fn scan_options(rules: &RuleArgs) -> ScanOptions {
    ScanOptions {
        max_message_bytes: rules.max_message_bytes as usize,
        allow_other_elements: rules.allow_other_elements,
        ..ScanOptions::new(unix_now())
    }
}

/// `--same-second` as the one resolver settles it (flag, `TIMPORT_SAME_SECOND`, the profile's
/// `same_second`, `keep`); a config file or profile that cannot be used is an error.
pub(super) fn same_second(
    connect: &ConnectArgs,
    arg: &SameSecondArg,
) -> Result<SameSecond, String> {
    let flags = RunFlags {
        same_second: arg.same_second,
        ..RunFlags::default()
    };
    let settings = Settings::from_env(connect, &flags).map_err(|e| e.to_string())?;
    match settings.source_problem() {
        Some(problem) => Err(problem.to_string()),
        None => Ok(settings.run.same_second),
    }
}

/// Each target's bursts, in the report's order.
fn bursts_of(staging: &Staging) -> Vec<Bursts> {
    staging
        .targets()
        .iter()
        .map(|t| Bursts::of(t.order_times(), MAX_BATCH_SIZE))
        .collect()
}

/// Scans (with a progress bar when stderr is a terminal), or says why it cannot on stderr.
pub(super) fn scan_or_report(path: &std::path::Path, opts: &ScanOptions) -> Option<Staging> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "reading {bar:30} {bytes}/{total_bytes} {msg} ({eta})",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let scanned = scan_with_progress(path, opts, &mut |p| {
        if let Some(bar) = &bar {
            bar.set_length(p.bytes_total);
            bar.set_position(p.bytes_read);
            bar.set_message(format!("{}/{} files", p.files_done, p.files_total));
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    match scanned {
        Ok(staging) => Some(staging),
        Err(e) => {
            eprintln!("timport: {}", crate::escape::text(&e.to_string()));
            None
        }
    }
}

/// Runs the command.
pub fn run(args: &ValidateArgs, connect: &ConnectArgs) -> Exit {
    let chosen = match same_second(connect, &args.same_second) {
        Ok(policy) => policy,
        Err(message) => {
            eprintln!("timport: {}", crate::escape::text(&message));
            return Exit::BadInput;
        }
    };
    let opts = ScanOptions {
        max_listed_problems: args.max_problems,
        ..scan_options(&args.rules)
    };
    let Some(staging) = scan_or_report(&args.staging, &opts) else {
        return Exit::BadInput;
    };
    let online = if args.offline {
        None
    } else {
        match online_connection(connect) {
            Ok(Err(why)) => {
                eprintln!("timport: offline checks only; {why}");
                None
            }
            Ok(Ok(connection)) => match ask_the_service(&staging, &connection) {
                Ok(outcome) => Some(outcome),
                Err(message) => {
                    eprintln!("timport: {}", crate::escape::text(&message));
                    return Exit::BadInput;
                }
            },
            Err(e) => {
                eprintln!("timport: {e}");
                return Exit::BadInput;
            }
        }
    };
    let online_problems = online.as_ref().map_or(&[][..], |o| &o.problems[..]);
    let report = ValidationReport::new(&staging, online_problems, MAX_BATCH_SIZE);
    let bursts = bursts_of(&staging);
    let same = SameSecondView {
        chosen,
        now: staging.options().now,
        bursts: &bursts,
    };
    let mut problems: Vec<&Problem> = staging.problems().iter().chain(online_problems).collect();
    // Online problems sit at staged messages too: show them in file order with the rest.
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    let printed = if args.json {
        print_json(&staging, &report, &problems, online.as_ref(), &same)
    } else {
        print_human(&staging, &report, &problems, online.as_ref(), &same)
    };
    if let Err(e) = printed {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("timport: cannot write the report: {e}");
        }
    }
    if online.as_ref().is_some_and(|o| o.failure.is_some()) {
        Exit::Stopped
    } else if report.importable && !same.too_late() {
        Exit::Done
    } else {
        Exit::BadInput
    }
}

/// The connection for the online checks, or why the checks stay offline: nothing configured
/// (no connection option, no default profile), or only the secret key in the environment (a
/// key is often exported for other tools; without an app and an admin it names no service).
/// Connection options given in part are an error (they show an intent to go online).
fn online_connection(connect: &ConnectArgs) -> Result<Result<Connection, String>, ConfigError> {
    let given = connect.profile.is_some()
        || connect.region.is_some()
        || connect.endpoint.is_some()
        || connect.sdkappid.is_some()
        || connect.admin.is_some()
        || connect.key_file.is_some();
    let env_key = std::env::var(SECRET_KEY_ENV).is_ok_and(|k| !k.trim().is_empty());
    let default_profile = || {
        Paths::from_env()
            .ok()
            .and_then(|paths| ConfigFile::load(&paths.config_file()).ok())
            .is_some_and(|file| file.default_profile.is_some())
    };
    if !given && !default_profile() {
        let how = "give --region or --endpoint, --sdkappid and --admin (or a profile)";
        return Ok(Err(if env_key {
            format!(
                "{SECRET_KEY_ENV} is set, but no SDKAppID, admin or region is given, so there is no service to ask; to also check the groups and senders online, {how}"
            )
        } else {
            format!(
                "to also check the groups and senders with the service, {how} and the secret key ({SECRET_KEY_ENV} or --key-file)"
            )
        }));
    }
    Connection::resolve(connect).map(Ok)
}

fn ask_the_service(staging: &Staging, connection: &Connection) -> Result<OnlineOutcome, String> {
    for warning in &connection.warnings {
        eprintln!("timport: warning: {warning}");
    }
    let client = connection
        .client(ClientOptions::default())
        .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))?;
    eprintln!(
        "timport: checking the staged groups and senders with {}",
        connection.endpoint.base()
    );
    Ok(runtime.block_on(check_online(staging, &client)))
}

fn online_summary(online: Option<&OnlineOutcome>) -> serde_json::Value {
    match online {
        None => serde_json::Value::Null,
        Some(o) => serde_json::json!({
            "groups": o.groups,
            "senders": o.senders,
            "complete": o.failure.is_none(),
        }),
    }
}

/// What the report says about bursts: the chosen policy and each target's bursts.
struct SameSecondView<'a> {
    chosen: SameSecond,
    now: i64,
    bursts: &'a [Bursts],
}

impl SameSecondView<'_> {
    /// The chosen policy is `spread` and it would send a message at now or later.
    fn too_late(&self) -> bool {
        self.chosen == SameSecond::Spread && self.bursts.iter().any(|b| b.spread_reaches(self.now))
    }
}

fn print_json(
    staging: &Staging,
    report: &ValidationReport,
    problems: &[&Problem],
    online: Option<&OnlineOutcome>,
    same: &SameSecondView<'_>,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for p in problems {
        let mut line = serde_json::json!({
            "event": "problem",
            "group": p.target.as_ref().map(|t| t.group()),
            "topic": p.target.as_ref().and_then(|t| t.topic()),
        });
        merge(&mut line, serde_json::to_value(p)?);
        writeln!(out, "{line}")?;
    }
    for (t, bursts) in report.targets.iter().zip(same.bursts) {
        let mut line = serde_json::json!({ "event": "target" });
        merge(&mut line, serde_json::to_value(t)?);
        merge(&mut line, serde_json::json!({ "bursts": bursts }));
        writeln!(out, "{line}")?;
    }
    if same.chosen == SameSecond::Spread {
        write_moves(&mut out, staging)?;
    }
    let mut summary = serde_json::json!({ "event": "summary" });
    let mut whole = serde_json::to_value(report)?;
    if let Some(obj) = whole.as_object_mut() {
        obj.remove("targets");
        obj.insert("online".into(), online_summary(online));
        obj.insert("same_second".into(), same.chosen.word().into());
        obj.insert(
            "importable".into(),
            (report.importable && !same.too_late()).into(),
        );
    }
    merge(&mut summary, whole);
    writeln!(out, "{summary}")?;
    out.flush()
}

/// One `moved` line per message `spread` sends later than staged: where it is staged, and both
/// times.
fn write_moves(out: &mut impl Write, staging: &Staging) -> io::Result<()> {
    for t in staging.targets() {
        let mut spreader = Spreader::new(SameSecond::Spread, MAX_BATCH_SIZE);
        for e in t.entries().iter() {
            if !e.is_valid() {
                spreader.barrier();
                continue;
            }
            let staged = e.send_time();
            let sent = spreader.next(staged);
            if sent == staged {
                continue;
            }
            let source = staging.source_of(&e);
            let line = serde_json::json!({
                "event": "moved",
                "group": t.target().group(),
                "topic": t.target().topic(),
                "file": source.file.as_ref(),
                "line": source.line,
                "item": source.item,
                "staged_send_time": staged,
                "send_time": sent,
            });
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

fn merge(into: &mut serde_json::Value, from: serde_json::Value) {
    if let (Some(into), serde_json::Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

fn print_human(
    staging: &Staging,
    report: &ValidationReport,
    problems: &[&Problem],
    online: Option<&OnlineOutcome>,
    same: &SameSecondView<'_>,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(
        out,
        "{}: {}, {} in {} ({} valid, {} invalid); {}, {}",
        crate::escape::path(staging.root()),
        count(report.files, "file"),
        count(report.messages, "message"),
        count(report.targets.len(), "target"),
        report.valid,
        report.invalid,
        count(report.errors, "error"),
        count(report.warnings, "warning")
    )?;
    for (t, bursts) in report.targets.iter().zip(same.bursts) {
        writeln!(out)?;
        write_target(&mut out, t, bursts, same)?;
    }
    if !report.other_problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "files: {}", kinds(&report.other_problems))?;
    }
    if !problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "Problems:")?;
        for p in problems {
            writeln!(out, "{p}")?;
        }
    }
    if report.unlisted > 0 {
        writeln!(
            out,
            "... and {} not listed (the counts above include them; --max-problems 0 lists all)",
            count(report.unlisted, "more problem")
        )?;
    }
    writeln!(out)?;
    match online {
        None => writeln!(out, "Online checks: not made (offline).")?,
        Some(o) if o.failure.is_some() => writeln!(
            out,
            "Online checks: incomplete ({} and {} to check); see the online_check problem.",
            count(o.groups, "group"),
            count(o.senders, "sender")
        )?,
        Some(o) => writeln!(
            out,
            "Online checks: {} and {} checked with the service.",
            count(o.groups, "group"),
            count(o.senders, "sender")
        )?,
    }
    if same.too_late() {
        writeln!(
            out,
            "Not importable with --same-second spread: it would send messages at now or later (see above). Use --same-second keep, or validate again once that time has passed."
        )?;
    } else if report.importable {
        writeln!(out, "Everything is importable.")?;
    } else {
        writeln!(
            out,
            "Not importable: {}. Fix them (or remove those messages) and validate again.",
            count(report.errors, "error")
        )?;
    }
    out.flush()
}

fn write_target(
    out: &mut impl Write,
    t: &TargetReport,
    bursts: &Bursts,
    same: &SameSecondView<'_>,
) -> io::Result<()> {
    let range = match (t.first_send_time, t.last_send_time) {
        (Some(a), Some(b)) => format!("{} .. {} UTC", format_unix(a), format_unix(b)),
        _ => "no valid message".into(),
    };
    writeln!(
        out,
        "{}: {} ({} valid, {} invalid), {range}, {}",
        t.target(),
        count(t.messages, "message"),
        t.valid,
        t.invalid,
        count(t.senders, "sender")
    )?;
    let mut notes = Vec::new();
    if t.out_of_order > 0 {
        notes.push(format!(
            "{} out of order (sorted by SendTime)",
            t.out_of_order
        ));
    }
    if t.duplicates > 0 {
        notes.push(count(t.duplicates, "exact duplicate"));
    }
    if !notes.is_empty() {
        writeln!(out, "  {}", notes.join("; "))?;
    }
    if bursts.seconds > 0 {
        writeln!(out, "  bursts: {}", bursts.describe(same.chosen))?;
    }
    if same.chosen == SameSecond::Spread && bursts.spread_reaches(same.now) {
        writeln!(
            out,
            "  error: {}",
            spread_too_late(&t.target(), bursts, same.now)
        )?;
    }
    if !t.problems.is_empty() {
        writeln!(out, "  {}", kinds(&t.problems))?;
    }
    Ok(())
}

/// `3 messages`, `1 message`.
pub(super) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `errors: send_time 3, invalid_json 1; warnings: duplicate 2`
fn kinds(counts: &KindCounts) -> String {
    let list = |pick: fn(&KindCount) -> usize| {
        counts
            .iter()
            .filter(|(_, c)| pick(c) > 0)
            .map(|(k, c)| format!("{k} {}", pick(c)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (errors, warnings) = (list(|c| c.errors), list(|c| c.warnings));
    match (errors.is_empty(), warnings.is_empty()) {
        (false, false) => format!("errors: {errors}; warnings: {warnings}"),
        (false, true) => format!("errors: {errors}"),
        (true, _) => format!("warnings: {warnings}"),
    }
}
