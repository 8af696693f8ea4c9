//! Reports on a run from the ledger: counts per target and state, every message that needs
//! attention with its explanation, the messages `--same-second spread` sent later than staged
//! (per target: how many, the largest shift; each one with both times from [`moved`]), as text
//! for people or JSON for scripts, and the failed messages written back as a staging file
//! (`timport report --failed-out FILE`) that can be fixed and run.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;
use serde_json::Value;

use super::events::{Counts, SourceRef};
use super::ledger::LedgerError;
use super::ledger::read::{self, Attention};
use super::ledger::runs::{self, RunRecord};
use super::ledger::targets::{self, TargetRecord};
use super::target::Target;
use super::verify::VerificationLine;
use super::verify::printer::counts_words;
use crate::clock::format_unix;
use crate::escape;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// No run with that id (or no run at all).
    #[error("{0}")]
    NoRun(String),
    /// The failed messages could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// One target of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetLine {
    /// The lane.
    pub target: Target,
    /// Its lane state word.
    pub state: String,
    /// Why it stopped or paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Its messages per state.
    pub counts: Counts,
    /// Messages not sent yet (or in flight).
    pub pending: u64,
}

/// A message that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttentionLine {
    /// The lane.
    pub target: Target,
    /// `failed`, `invalid` or `skipped`.
    pub state: String,
    /// Where it is staged.
    pub source: SourceRef,
    /// The service's code, for a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// What it means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meaning: Option<String>,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// The service's words, the skip reason or the invalid problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The messages of a target that `--same-second spread` sent later than staged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MovedLine {
    /// The lane.
    pub target: Target,
    /// Messages moved (recorded with both times).
    pub messages: u64,
    /// Of those, in the group.
    pub done: u64,
    /// The largest move, in seconds.
    pub largest_shift: i64,
}

/// One message `--same-second spread` sent later than staged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MovedMessage {
    /// The lane.
    pub target: Target,
    /// Where it is staged.
    pub source: SourceRef,
    /// Its state word.
    pub state: String,
    /// The `SendTime` as staged.
    pub staged_send_time: i64,
    /// The `SendTime` sent.
    pub send_time: i64,
    /// Its group sequence, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<i64>,
}

/// Every message of run `run_id` that `--same-second spread` sent later than staged, in order
/// (for reports that list them one by one).
pub fn moved(conn: &Connection, run_id: i64) -> Result<Vec<MovedMessage>, ReportError> {
    let targets = targets::targets_of(conn, run_id)?;
    Ok(read::moved(conn, run_id)?
        .into_iter()
        .map(|m| MovedMessage {
            target: target_of(m.target_id, &targets),
            source: SourceRef {
                file: m.file.into(),
                line: m.line,
                offset: m.offset,
                item: m.item,
            },
            state: m.state,
            staged_send_time: m.staged_time,
            send_time: m.sent_time,
            msg_seq: m.msg_seq,
        })
        .collect())
}

/// Per target, the moved messages: how many, how many landed, the largest shift.
fn moved_lines(moved: &[MovedMessage]) -> Vec<MovedLine> {
    let mut lines: Vec<MovedLine> = Vec::new();
    for m in moved {
        if lines.last().is_none_or(|l| l.target != m.target) {
            lines.push(MovedLine {
                target: m.target.clone(),
                messages: 0,
                done: 0,
                largest_shift: 0,
            });
        }
        if let Some(line) = lines.last_mut() {
            line.messages += 1;
            line.done += u64::from(m.state == "done");
            line.largest_shift = line.largest_shift.max(m.send_time - m.staged_send_time);
        }
    }
    lines
}

/// A run as the ledger tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The run's id.
    pub run_id: i64,
    /// Its staging root.
    pub staging_root: String,
    /// Its status word.
    pub status: String,
    /// The latest invocation's exit code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// Unix ms.
    pub started_at: i64,
    /// Unix ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// Per target.
    pub targets: Vec<TargetLine>,
    /// The sum.
    pub totals: Counts,
    /// Failed, invalid and skipped messages.
    pub attention: Vec<AttentionLine>,
    /// Per target, the messages `--same-second spread` sent later than staged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<MovedLine>,
    /// The run's latest verification (`timport verify`), if it was verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerificationLine>,
    #[serde(skip)]
    bodies: Vec<Option<String>>,
}

/// The report of run `run` (the latest when `None`) from the ledger file at `path`, read without
/// writing (a run may be writing it).
pub fn read(path: &Path, run: Option<i64>) -> Result<Report, ReportError> {
    let conn = super::ledger::schema::open_for_reading(path)?;
    load(&conn, run)
}

/// The report of the latest run of the staging at `root` (named as [`super::open`] names it),
/// or `None` when the ledger does not exist yet or has no run of it.
pub fn read_latest_of(path: &Path, root: &Path) -> Result<Option<Report>, ReportError> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = super::ledger::schema::open_for_reading(path)?;
    match runs::latest_run_for(&conn, &super::open::root_name(root))? {
        Some(record) => load(&conn, Some(record.id)).map(Some),
        None => Ok(None),
    }
}

/// Every run in the ledger, oldest first: id, staging root, status and start (for saying which
/// runs there are when one that does not exist is asked for).
pub fn list(conn: &Connection) -> Result<Vec<RunRecord>, ReportError> {
    Ok(runs::all_runs(conn)?)
}

/// Builds the report of run `run` (the latest run when `None`).
pub fn load(conn: &Connection, run: Option<i64>) -> Result<Report, ReportError> {
    let record: RunRecord = match run {
        Some(id) => runs::run_by_id(conn, id)?
            .ok_or_else(|| ReportError::NoRun(format!("the ledger has no run {id}")))?,
        None => runs::latest_run(conn)?
            .ok_or_else(|| ReportError::NoRun("the ledger has no run yet".into()))?,
    };
    let target_records = targets::targets_of(conn, record.id)?;
    let mut totals = Counts::default();
    let mut lines = Vec::new();
    for t in &target_records {
        let counts = read::counts(conn, t.id, t.messages)?;
        totals.add(&counts);
        lines.push(TargetLine {
            target: t.target.clone(),
            state: t.state.clone(),
            last_error: t.last_error.clone(),
            counts,
            pending: counts.pending(),
        });
    }
    let (attention, bodies) = read::attention(conn, record.id)?
        .into_iter()
        .map(|a| attention_line(a, &target_records))
        .unzip();
    let moved = moved_lines(&moved(conn, record.id)?);
    let verification = super::verify::latest(conn, record.id, &target_records)?;
    Ok(Report {
        run_id: record.id,
        staging_root: record.staging_root,
        status: record.status,
        exit_code: record.exit_code,
        started_at: record.started_at,
        finished_at: record.finished_at,
        targets: lines,
        totals,
        attention,
        moved,
        verification,
        bodies,
    })
}

fn target_of(id: i64, targets: &[TargetRecord]) -> Target {
    targets
        .iter()
        .find(|t| t.id == id)
        .map(|t| t.target.clone())
        .unwrap_or_else(|| Target::new("?", None))
}

fn attention_line(a: Attention, targets: &[TargetRecord]) -> (AttentionLine, Option<String>) {
    let target = target_of(a.target_id, targets);
    (
        AttentionLine {
            target,
            state: a.state,
            source: SourceRef {
                file: a.file.into(),
                line: a.line,
                offset: a.offset,
                item: a.item,
            },
            code: a.code,
            meaning: a.meaning,
            remedy: a.remedy,
            detail: a.detail,
        },
        a.body,
    )
}

/// The verification's counts under the table: the whole, then each target that is not clean.
fn verification_text(out: &mut String, v: &VerificationLine) {
    let when = v
        .finished_at
        .map(|f| format!(" at {}", format_unix(f / 1000)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\nVerification {} ({}{when}): {}",
        v.verification_id,
        v.status,
        counts_words(&v.totals)
    );
    for t in &v.targets {
        if t.counts.differences() > 0 || t.error.is_some() {
            let what = match &t.error {
                Some(e) => format!("could not be read: {e}"),
                None => counts_words(&t.counts),
            };
            let _ = writeln!(out, "  {}: {what}", t.target);
        }
    }
}

impl Report {
    /// The report for people; control characters (file names, the service's words) escaped.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Run {} of {}\n  started {} UTC, {}{}{}",
            self.run_id,
            self.staging_root,
            format_unix(self.started_at / 1000),
            self.status,
            self.finished_at
                .map(|f| format!(" since {} UTC", format_unix(f / 1000)))
                .unwrap_or_default(),
            self.exit_code
                .map(|c| format!(" (exit {c})"))
                .unwrap_or_default(),
        );
        let width = self
            .targets
            .iter()
            .map(|t| t.target.to_string().chars().count())
            .max()
            .unwrap_or(0)
            .max("Target".len());
        let _ = writeln!(
            out,
            "\n{:<width$}  {:<8}  {:>8}  {:>8}  {:>6}  {:>7}  {:>7}  {:>7}",
            "Target", "State", "Messages", "Done", "Failed", "Skipped", "Invalid", "Pending"
        );
        let row = |out: &mut String, name: &str, state: &str, c: &Counts| {
            let _ = writeln!(
                out,
                "{name:<width$}  {state:<8}  {:>8}  {:>8}  {:>6}  {:>7}  {:>7}  {:>7}",
                c.total,
                c.done,
                c.failed,
                c.skipped,
                c.invalid,
                c.pending()
            );
        };
        for t in &self.targets {
            row(&mut out, &t.target.to_string(), &t.state, &t.counts);
        }
        row(&mut out, "Total", "", &self.totals);
        if !self.moved.is_empty() {
            let _ = writeln!(
                out,
                "\nMoved by --same-second spread (sent later than staged, each recorded with both times):"
            );
            for m in &self.moved {
                let _ = writeln!(
                    out,
                    "  {}: {} message{} ({} in the group), largest shift {} s",
                    m.target,
                    m.messages,
                    if m.messages == 1 { "" } else { "s" },
                    m.done,
                    m.largest_shift
                );
            }
        }
        if let Some(v) = &self.verification {
            verification_text(&mut out, v);
        }
        for t in self.targets.iter().filter(|t| t.last_error.is_some()) {
            let _ = writeln!(
                out,
                "\n{} is {}: {}",
                t.target,
                t.state,
                t.last_error.as_deref().unwrap_or_default()
            );
        }
        for (title, state) in [
            ("Failed", "failed"),
            ("Invalid", "invalid"),
            ("Skipped", "skipped"),
        ] {
            let items: Vec<_> = self.attention.iter().filter(|a| a.state == state).collect();
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title} ({}):", items.len());
            for a in items {
                let _ = write!(
                    out,
                    "  {} {} line {}",
                    a.target, a.source.file, a.source.line
                );
                if a.source.item > 0 {
                    let _ = write!(out, " (item {})", a.source.item);
                }
                let mut words = Vec::new();
                if let Some(code) = a.code {
                    words.push(code.to_string());
                }
                if let Some(meaning) = &a.meaning {
                    words.push(format!("{meaning}."));
                }
                if let Some(remedy) = &a.remedy {
                    words.push(format!("{remedy}."));
                }
                match (&a.detail, a.meaning.is_some()) {
                    (Some(detail), true) => words.push(format!("({detail})")),
                    (Some(detail), false) => words.push(detail.clone()),
                    (None, _) => {}
                }
                let _ = write!(out, ": {}", words.join(" "));
                out.push('\n');
            }
        }
        escape::text(&out).into_owned()
    }

    /// Writes the failed and invalid messages (their current bodies) to `path` as a JSONL
    /// staging file, each line naming its `GroupId` (and `TopicId`) so that one file can hold
    /// several targets. Returns how many were written, and the places of those whose text is
    /// not a JSON object (written as they are, to be fixed by hand).
    pub fn write_failed(&self, path: &Path) -> Result<(usize, Vec<String>), ReportError> {
        let write_err = |source| ReportError::Write {
            path: escape::path(path),
            source,
        };
        // It holds message bodies: a new file is private (0600).
        let mut file =
            std::io::BufWriter::new(crate::files::create_private(path).map_err(write_err)?);
        let mut written = 0;
        let mut as_is = Vec::new();
        for (a, body) in self.attention.iter().zip(&self.bodies) {
            if a.state == "skipped" {
                continue;
            }
            let Some(body) = body else { continue };
            let line = match serde_json::from_str::<Value>(body) {
                Ok(Value::Object(mut map)) => {
                    map.insert("GroupId".into(), Value::String(a.target.group().into()));
                    if let Some(topic) = a.target.topic() {
                        map.insert("TopicId".into(), Value::String(topic.into()));
                    }
                    Value::Object(map).to_string()
                }
                _ => {
                    as_is.push(format!(
                        "{} line {} ({})",
                        escape::controls(&a.source.file),
                        a.source.line,
                        a.target
                    ));
                    body.replace(['\n', '\r'], " ")
                }
            };
            writeln!(file, "{line}").map_err(write_err)?;
            written += 1;
        }
        file.flush().map_err(write_err)?;
        Ok((written, as_is))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::catalogue::explain_message_result;
    use crate::engine::events::Failure;
    use crate::engine::ledger::messages::Mark;
    use crate::engine::ledger::requests;
    use crate::engine::ledger::testing::temp_ledger;
    use crate::engine::testing::meta;

    #[tokio::test]
    async fn moved_messages_are_counted_per_target_and_listed_with_both_times() {
        let (ledger, _dir) = temp_ledger();
        ledger
            .call(|c| {
                let run = runs::create_run(c, "/stage", "{}", &[])?.id;
                let g1 = targets::ensure_target(c, run, &Target::new("g1", None), 3, 1)?;
                let g2 = targets::ensure_target(c, run, &Target::new("g2", None), 1, 1)?;
                let moved = |file: &str, line: u32, staged: i64, sent: Option<i64>| {
                    let mut m = meta(file, line);
                    m.send_time = Some(staged);
                    m.sent_time = sent;
                    m
                };
                let done = |seq| Mark::Done {
                    msg_seq: seq,
                    msg_time: 0,
                };
                let marks = vec![
                    (moved("g1.jsonl", 1, 100, None), done(1)),
                    (moved("g1.jsonl", 2, 100, Some(101)), done(2)),
                    (moved("g1.jsonl", 3, 100, Some(103)), Mark::Pending),
                ];
                requests::record(c, g1, &[], requests::state::DONE, None, &marks)?;
                let marks = vec![(moved("g2.jsonl", 1, 50, Some(52)), done(1))];
                requests::record(c, g2, &[], requests::state::DONE, None, &marks)
            })
            .await
            .unwrap();
        let conn = crate::engine::ledger::schema::open_for_reading(ledger.path()).unwrap();
        let report = load(&conn, None).unwrap();
        let lines: Vec<(String, u64, u64, i64)> = report
            .moved
            .iter()
            .map(|m| (m.target.to_string(), m.messages, m.done, m.largest_shift))
            .collect();
        assert_eq!(
            lines,
            [("g1".to_owned(), 2, 1, 3), ("g2".to_owned(), 1, 1, 2)]
        );
        assert!(
            report
                .text()
                .contains("  g1: 2 messages (1 in the group), largest shift 3 s\n"),
            "{}",
            report.text()
        );
        let each = moved(&conn, report.run_id).unwrap();
        let times: Vec<(u32, i64, i64, &str)> = each
            .iter()
            .map(|m| {
                (
                    m.source.line,
                    m.staged_send_time,
                    m.send_time,
                    m.state.as_str(),
                )
            })
            .collect();
        assert_eq!(
            times,
            [
                (2, 100, 101, "done"),
                (3, 100, 103, "pending"),
                (1, 50, 52, "done")
            ]
        );
    }

    #[tokio::test]
    async fn a_report_counts_states_lists_failures_and_writes_them_back() {
        let (ledger, dir) = temp_ledger();
        let failure = Failure::from_explanation(explain_message_result(80002), "too big");
        ledger
            .call(move |c| {
                let run = runs::create_run(c, "/stage", "{}", &[])?.id;
                let g1 = targets::ensure_target(c, run, &Target::new("g1", None), 4, 1)?;
                let g2 = targets::ensure_target(
                    c,
                    run,
                    &Target::new("@TGS#_c", Some("@TGS#_c@TOPIC#_t")),
                    2,
                    1,
                )?;
                targets::set_state(c, g1, crate::engine::LaneState::Paused, Some("80002: ..."))?;
                let marks = vec![
                    (
                        meta("g1.jsonl", 1),
                        Mark::Done {
                            msg_seq: 1,
                            msg_time: 101,
                        },
                    ),
                    (
                        meta("g1.jsonl", 2),
                        Mark::Failed {
                            failure: failure.clone(),
                            body:
                                r#"{"From_Account":"alice","SendTime":102,"Random":2,"MsgBody":[]}"#
                                    .into(),
                        },
                    ),
                    (
                        meta("g1.jsonl", 3),
                        Mark::Skipped {
                            reason: "spam".into(),
                        },
                    ),
                ];
                requests::record(c, g1, &[], requests::state::DONE, None, &marks)?;
                let invalid = vec![
                    (
                        meta("c.jsonl", 1),
                        Mark::Invalid {
                            problem: "SendTime: missing".into(),
                            raw: "{\"From_Account\":\"bob\"}".into(),
                        },
                    ),
                    (
                        meta("c.jsonl", 2),
                        Mark::Invalid {
                            problem: "not JSON".into(),
                            raw: "{oops".into(),
                        },
                    ),
                ];
                requests::record(c, g2, &[], requests::state::DONE, None, &invalid)?;
                runs::finish_run(c, run, runs::RunStatus::Incomplete)
            })
            .await
            .unwrap();
        let conn = crate::engine::ledger::schema::open_for_reading(ledger.path()).unwrap();
        let report = load(&conn, None).unwrap();
        assert_eq!(
            (report.status.as_str(), report.exit_code),
            ("incomplete", Some(1))
        );
        assert_eq!(report.targets[0].counts.done, 1);
        assert_eq!(report.targets[0].pending, 1);
        assert_eq!(report.targets[1].counts.invalid, 2);
        assert_eq!(
            (
                report.totals.total,
                report.totals.failed,
                report.totals.skipped
            ),
            (6, 1, 1)
        );
        let text = report.text();
        assert!(text.contains("Run 1 of /stage"), "{text}");
        assert!(text.contains("g1 is paused: 80002: ..."), "{text}");
        assert!(
            text.contains(&format!(
                "g1 g1.jsonl line 2: 80002 {}.",
                explain_message_result(80002).meaning
            )),
            "{text}"
        );
        assert!(
            text.contains(explain_message_result(80002).remedy),
            "{text}"
        );
        assert!(
            text.contains("Skipped (1):\n  g1 g1.jsonl line 3: spam\n"),
            "{text}"
        );
        assert!(text.contains("Invalid (2):"), "{text}");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["attention"][0]["code"], 80002);
        assert_eq!(json["targets"][1]["target"]["topic"], "@TGS#_c@TOPIC#_t");

        let out = dir.path().join("failed.jsonl");
        let (written, as_is) = report.write_failed(&out).unwrap();
        assert_eq!(written, 3);
        assert_eq!(as_is, ["c.jsonl line 2 (@TGS#_c topic @TGS#_c@TOPIC#_t)"]);
        let lines: Vec<String> = std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let first: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(first["GroupId"], "g1");
        assert_eq!(first["Random"], 2);
        let second: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(
            (second["GroupId"].as_str(), second["TopicId"].as_str()),
            (Some("@TGS#_c"), Some("@TGS#_c@TOPIC#_t"))
        );
        assert_eq!(lines[2], "{oops");

        assert!(
            matches!(load(&conn, Some(9)), Err(ReportError::NoRun(m)) if m.contains("no run 9"))
        );
    }
}
