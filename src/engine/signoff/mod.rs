//! The sign-off report (`timport report --html FILE` / `--markdown FILE`): one self-contained
//! file a shift lead can hand over: the run's settings (never a secret), when it ran, per group
//! staged / imported / skipped (each reason and who decided) / failed / verified, a migration's
//! phases (accounts, groups, members, unread counts: done / failed per step), every operator
//! decision in order, errors by code with their meaning (from the catalogue), the latest
//! verification's findings, and a chart of the import's pace over time from the requests' send
//! times (inline SVG, `chart`).
//!
//! Owns: what the report says (`SignOff`, read from the ledger through `ledger::signoff`; its
//! wording once, as blocks: `blocks`) and its two faces (`html`, `markdown`). Every piece of staged or recorded text (group ids, file
//! names, reasons, bodies) is escaped for its format: it may hold `<script>`. Nothing loads
//! from the network: styles are inline, the chart is SVG in the page.

mod blocks;
mod chart;
mod html;
mod markdown;

use std::path::Path;

use rusqlite::Connection;

use super::ledger::runs;
use super::ledger::signoff::{self as queries, DecisionLine, SkipGroup};
use super::ledger::targets::{self, TargetRecord};
use super::ledger::verify::{self as verify_records, StoredFinding};
use super::report::{Report, ReportError, load as load_report};
use super::target::Target;
use crate::api::catalogue::{explain, explain_message_result};

pub use chart::Pace;

/// Operator decisions listed at most (the rest are counted).
pub const MAX_DECISIONS: usize = 5_000;
/// Findings listed at most (all are counted; `timport verify --json` lists every one).
pub const MAX_FINDINGS: usize = 200;
/// Failed accounts, groups, members and unread counts listed at most (all are counted;
/// `timport report --json` lists every one).
pub const MAX_FAILED_ITEMS: usize = 200;

/// An error code (or a failure without one) and how often it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLine {
    /// The service's code; `None` for failures without one (no answer, a broken connection).
    pub code: Option<i64>,
    /// `request` (a whole request refused or lost) or `message` (a message refused, still
    /// failed).
    pub level: &'static str,
    /// How many requests or messages.
    pub count: u64,
    /// What it means (the catalogue's words).
    pub meaning: String,
    /// What to do.
    pub remedy: String,
}

/// Everything a sign-off report says.
#[derive(Debug, Clone)]
pub struct SignOff {
    /// The run's summary, as `timport report` gives it (with the latest verification).
    pub report: Report,
    /// The run's recorded settings, as `(name, value)` (never a secret).
    pub settings: Vec<(String, String)>,
    /// Unix ms of the latest resume.
    pub resumed_at: Option<i64>,
    /// Import requests sent.
    pub requests: u64,
    /// The first and the last request's send time (unix ms).
    pub request_span: Option<(i64, i64)>,
    /// Skipped messages by target, decider and reason.
    pub skips: Vec<(Target, SkipGroup)>,
    /// Operator decisions in order (at most [`MAX_DECISIONS`]).
    pub decisions: Vec<(Target, DecisionLine)>,
    /// Operator decisions in all.
    pub decisions_total: u64,
    /// Other decisions (the policy's, a flag's), counted by kind, decider and reason.
    pub automatic: Vec<(String, String, String, u64)>,
    /// Errors by code.
    pub errors: Vec<ErrorLine>,
    /// The import's pace over time.
    pub pace: Pace,
    /// The latest verification's findings (at most [`MAX_FINDINGS`]).
    pub findings: Vec<(Target, StoredFinding)>,
    /// When the report was made (unix ms).
    pub generated_at: i64,
}

fn target_of(targets: &[TargetRecord], id: i64) -> Target {
    targets
        .iter()
        .find(|t| t.id == id)
        .map(|t| t.target.clone())
        .unwrap_or_else(|| Target::new("?", None))
}

/// Settings words that could name a secret: never shown, whatever a ledger holds.
fn secret_like(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["secret", "key", "sig", "password", "token"]
        .iter()
        .any(|w| name.contains(w))
}

fn settings_of(options: &str) -> Vec<(String, String)> {
    let value: serde_json::Value = serde_json::from_str(options).unwrap_or_default();
    let Some(map) = value.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter(|(k, _)| !secret_like(k))
        .map(|(k, v)| {
            let shown = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), shown)
        })
        .collect()
}

/// Errors by code: requests that went wrong (from the words recorded with them, which begin
/// with the code: `CODE: meaning...`) and messages still failed; explained by the catalogue.
fn errors_of(conn: &Connection, run_id: i64) -> Result<Vec<ErrorLine>, ReportError> {
    let mut by_code: std::collections::BTreeMap<(Option<i64>, String), u64> = Default::default();
    for (words, n) in queries::request_errors(conn, run_id)? {
        let code = words
            .split_once(':')
            .and_then(|(head, _)| head.trim().parse::<i64>().ok());
        let meaning = match code {
            Some(_) => String::new(),
            // No code: the words are `meaning. remedy (detail)`; the meaning names the kind.
            None => words.split(". ").next().unwrap_or(&words).to_owned(),
        };
        *by_code.entry((code, meaning)).or_default() += n;
    }
    let mut out: Vec<ErrorLine> = by_code
        .into_iter()
        .map(|((code, meaning), count)| {
            let (meaning, remedy) = match code {
                Some(c) => {
                    let e = explain(c);
                    (e.meaning.to_owned(), e.remedy.to_owned())
                }
                None => (meaning, String::new()),
            };
            ErrorLine {
                code,
                level: "request",
                count,
                meaning,
                remedy,
            }
        })
        .collect();
    for (code, count) in queries::failed_by_code(conn, run_id)? {
        let (meaning, remedy) = match code {
            Some(c) => {
                let e = explain_message_result(c);
                (e.meaning.to_owned(), e.remedy.to_owned())
            }
            None => (
                "refused by timport itself (see the report's failed messages)".to_owned(),
                String::new(),
            ),
        };
        out.push(ErrorLine {
            code,
            level: "message",
            count,
            meaning,
            remedy,
        });
    }
    Ok(out)
}

impl SignOff {
    /// The sign-off of run `run` (the latest when `None`), made at `generated_at` (unix ms).
    pub fn load(
        conn: &Connection,
        run: Option<i64>,
        generated_at: i64,
    ) -> Result<SignOff, ReportError> {
        let report = load_report(conn, run)?;
        let run_id = report.run_id;
        let record = runs::run_by_id(conn, run_id)?
            .ok_or_else(|| ReportError::NoRun(format!("the ledger has no run {run_id}")))?;
        let targets = targets::targets_of(conn, run_id)?;
        let (requests, first, last) = queries::request_span(conn, run_id)?;
        let pace = match (first, last) {
            (Some(first), Some(last)) => {
                let bucket = chart::bucket_ms(last - first);
                let buckets = queries::rate_buckets(conn, run_id, first, bucket)?;
                Pace::from_buckets(first, last, bucket, &buckets)
            }
            _ => Pace::default(),
        };
        let skips = queries::skips(conn, run_id)?
            .into_iter()
            .map(|s| (target_of(&targets, s.target_id), s))
            .collect();
        let (decisions, decisions_total) =
            queries::decisions(conn, run_id, "operator", MAX_DECISIONS)?;
        let decisions = decisions
            .into_iter()
            .map(|d| (target_of(&targets, d.target_id), d))
            .collect();
        let findings = match &report.verification {
            Some(v) => verify_records::findings(conn, v.verification_id, MAX_FINDINGS)?
                .into_iter()
                .map(|f| (target_of(&targets, f.target_id), f))
                .collect(),
            None => Vec::new(),
        };
        Ok(SignOff {
            settings: settings_of(&record.options),
            resumed_at: record.resumed_at,
            requests,
            request_span: first.zip(last),
            skips,
            decisions,
            decisions_total,
            automatic: queries::decision_counts(conn, run_id)?,
            errors: errors_of(conn, run_id)?,
            pace,
            findings,
            generated_at,
            report,
        })
    }

    /// The report as one self-contained HTML page.
    pub fn html(&self) -> String {
        html::page(self)
    }

    /// The report as Markdown.
    pub fn markdown(&self) -> String {
        markdown::document(self)
    }
}

/// Writes `text` to `path` (a new file is created 0600: it holds the run's names and messages).
pub fn write(path: &Path, text: &str) -> Result<(), ReportError> {
    use std::io::Write as _;
    let write_err = |source| ReportError::Write {
        path: crate::escape::path(path),
        source,
    };
    let mut file = crate::files::create_private(path).map_err(write_err)?;
    file.write_all(text.as_bytes()).map_err(write_err)?;
    file.flush().map_err(write_err)
}

/// The words of a time (unix ms) in a report: `2021-05-12 08:28:21 UTC`.
fn when(ms: i64) -> String {
    format!("{} UTC", crate::clock::format_unix(ms / 1000))
}

/// A target's verification line, if the run was verified and the verification reached it.
fn verified_of<'a>(s: &'a SignOff, target: &Target) -> Option<&'a super::verify::TargetVerified> {
    s.report
        .verification
        .as_ref()
        .and_then(|v| v.targets.iter().find(|t| &t.target == target))
}
