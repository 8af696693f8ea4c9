//! The validation report: per target, the counts an operator reads before importing (messages,
//! time range, reordering, senders, problems by kind), and whether everything is importable.
//! Pure: built from a [`Staging`] and any online problems.

use serde::Serialize;

use super::Staging;
use super::entry::Flags;
pub use super::problem::{KindCount, KindCounts};
use super::problem::{Problem, Severity};
use super::target::Target;

/// One target's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetReport {
    /// The group.
    pub group: String,
    /// The topic, for a topic's lane.
    pub topic: Option<String>,
    /// Messages staged (valid or not).
    pub messages: usize,
    /// Messages that can be sent.
    pub valid: usize,
    /// Messages that cannot.
    pub invalid: usize,
    /// `SendTime` of the first valid message.
    pub first_send_time: Option<i64>,
    /// `SendTime` of the last valid message.
    pub last_send_time: Option<i64>,
    /// Valid messages that came after a later one in the files and are moved by sorting.
    pub out_of_order: u64,
    /// Distinct senders of valid messages.
    pub senders: usize,
    /// Exact duplicates (flagged, still imported).
    pub duplicates: usize,
    /// Seconds holding more valid messages than fit in one request (they are split).
    pub crowded_seconds: usize,
    /// Problems about this target's messages, by kind.
    pub problems: KindCounts,
    /// True when no problem of this target is an error.
    pub importable: bool,
}

impl TargetReport {
    /// The target.
    pub fn target(&self) -> Target {
        Target::new(&self.group, self.topic.as_deref())
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// Files read.
    pub files: usize,
    /// Messages staged.
    pub messages: usize,
    /// Messages that can be sent.
    pub valid: usize,
    /// Messages that cannot.
    pub invalid: usize,
    /// Errors found.
    pub errors: usize,
    /// Warnings found.
    pub warnings: usize,
    /// Problems counted but not listed (see `--max-problems`).
    pub unlisted: usize,
    /// One summary per target.
    pub targets: Vec<TargetReport>,
    /// Problems that concern no target (files, layout, `accounts.jsonl`, `groups.jsonl`), by
    /// kind.
    pub other_problems: KindCounts,
    /// Accounts `accounts.jsonl` stages (usable lines).
    pub accounts: usize,
    /// Groups `groups.jsonl` stages (usable lines).
    pub groups: usize,
    /// Their members.
    pub members: usize,
    /// True when nothing has an error.
    pub importable: bool,
}

impl ValidationReport {
    /// The report for a scan plus problems found online; `batch_size` decides which seconds are
    /// too crowded for one request.
    pub fn new(staging: &Staging, online: &[Problem], batch_size: usize) -> Self {
        let mut targets: Vec<TargetReport> = staging
            .targets()
            .iter()
            .map(|t| {
                // A target whose own ids are refused sends nothing.
                let target_ok = staging.target_is_sendable(t);
                let valid = if target_ok { t.valid_count() } else { 0 };
                let (first, last) = t.time_range().unzip();
                TargetReport {
                    group: t.target().group().to_owned(),
                    topic: t.target().topic().map(str::to_owned),
                    messages: t.entries().len(),
                    valid,
                    invalid: t.entries().len() - valid,
                    first_send_time: first,
                    last_send_time: last,
                    out_of_order: t.out_of_order(),
                    senders: t.sender_count(),
                    duplicates: t
                        .entries()
                        .iter()
                        .filter(|e| e.flags().contains(Flags::DUPLICATE))
                        .count(),
                    crowded_seconds: t.crowded_seconds(batch_size),
                    problems: staging
                        .problem_counts(Some(t.target()))
                        .cloned()
                        .unwrap_or_default(),
                    importable: true,
                }
            })
            .collect();
        let mut other = staging.problem_counts(None).cloned().unwrap_or_default();
        for p in online {
            let slot = p
                .target
                .as_ref()
                .and_then(|t| {
                    targets
                        .binary_search_by(|r| {
                            (r.group.as_str(), r.topic.as_deref()).cmp(&(t.group(), t.topic()))
                        })
                        .ok()
                })
                .map(|i| &mut targets[i]);
            match slot {
                Some(report) => report.problems.entry(p.kind).or_default().add(p.severity),
                None => other.entry(p.kind).or_default().add(p.severity),
            }
        }
        for t in &mut targets {
            t.importable = t.problems.values().all(|c| c.errors == 0);
        }
        let online_errors = online.iter().filter(|p| p.is_error()).count();
        let errors = staging.count(Severity::Error) + online_errors;
        let warnings = staging.count(Severity::Warning) + online.len() - online_errors;
        let sum = |f: fn(&TargetReport) -> usize| targets.iter().map(f).sum::<usize>();
        let migration = staging.migration();
        ValidationReport {
            accounts: migration.accounts().len(),
            groups: migration.groups().len(),
            members: migration.member_count(),
            files: staging.files().len(),
            messages: sum(|t| t.messages),
            valid: sum(|t| t.valid),
            invalid: sum(|t| t.invalid),
            errors,
            warnings,
            unlisted: staging.unlisted_problems(),
            importable: errors == 0,
            other_problems: other,
            targets,
        }
    }
}
