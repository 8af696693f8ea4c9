//! Work from a staging directory: the targets `staging` indexed, each loaded from disk and
//! planned by `plan` when its lane starts (so memory holds the lanes at work, not the whole
//! directory), with invalid messages kept at their place in the order.
//!
//! Also the file fingerprints a run records, and the checks of an edited message (staging's
//! rules, then a `Random` derived as the planner derives one).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use super::events::SourceRef;
use super::ledger::runs::FileRecord;
use super::target::Target;
use super::work::{
    BatchWork, BodyHead, InvalidWork, MessageWork, TargetInfo, TargetWork, WorkItem, WorkSource,
    split_body,
};
use crate::api::types::ImportMsg;
use crate::plan::{self, PlanOptions};
use crate::staging::{Staging, check_message_text};

/// A scanned staging directory, restricted to the targets of a run.
pub struct StagedWork {
    staging: Arc<Staging>,
    targets: Vec<TargetInfo>,
    plan: PlanOptions,
}

impl StagedWork {
    /// The targets of `groups` (each with all its topics), or every target when `groups` is
    /// empty. An unknown group is an error naming the groups that are staged. So is an error
    /// staging could not tie to a message (an unreadable file, JSON whose structure breaks off):
    /// the messages it hides would otherwise be left out without a trace in the ledger.
    pub fn new(
        staging: Staging,
        groups: &[String],
        plan: PlanOptions,
    ) -> Result<StagedWork, String> {
        let stray: usize = staging
            .problem_counts(None)
            .map_or(0, |kinds| kinds.values().map(|c| c.errors).sum());
        if stray > 0 {
            let shown: Vec<String> = staging
                .problems()
                .iter()
                .filter(|p| p.is_error() && p.target.is_none())
                .take(5)
                .map(ToString::to_string)
                .collect();
            return Err(format!(
                "{stray} problem(s) in the staged files are not about one message (messages there could not be read, so they would be left out): fix them first; `timport validate` lists them:\n  {}",
                shown.join("\n  ")
            ));
        }
        let staged: Vec<&str> = {
            let mut g: Vec<&str> = staging
                .targets()
                .iter()
                .map(|t| t.target().group())
                .collect();
            g.dedup();
            g
        };
        if let Some(missing) = groups.iter().find(|g| !staged.contains(&g.as_str())) {
            return Err(format!(
                "no staged messages for group {missing}; staged groups: {}",
                if staged.is_empty() {
                    "none".to_owned()
                } else {
                    staged.join(", ")
                }
            ));
        }
        let targets = staging
            .targets()
            .iter()
            .filter(|t| groups.is_empty() || groups.iter().any(|g| g == t.target().group()))
            .map(|t| {
                let times: Vec<i64> = t
                    .entries()
                    .iter()
                    .filter(|e| e.is_valid())
                    .map(|e| e.send_time())
                    .collect();
                TargetInfo {
                    target: t.target().clone(),
                    messages: t.entries().len() as u64,
                    batches: plan::batch_ranges(&times, plan.batch_size).len() as u64,
                }
            })
            .collect();
        Ok(StagedWork {
            staging: Arc::new(staging),
            targets,
            plan,
        })
    }

    /// The staging directory (or file).
    pub fn staging(&self) -> &Staging {
        &self.staging
    }

    /// Every staged file's fingerprint, for the run's record.
    pub fn fingerprints(&self) -> Vec<FileRecord> {
        self.staging
            .files()
            .iter()
            .map(|f| {
                let (size, mtime, hash) = match &f.fingerprint {
                    Some(fp) => (
                        fp.size,
                        fp.modified
                            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                            .map_or(0, |d| d.as_secs() as i64),
                        fp.hex(),
                    ),
                    None => (0, 0, String::new()),
                };
                FileRecord {
                    path: f.path.to_string(),
                    size,
                    mtime,
                    hash,
                }
            })
            .collect()
    }
}

impl WorkSource for StagedWork {
    fn targets(&self) -> Vec<TargetInfo> {
        self.targets.clone()
    }

    fn load(&self, target: &Target) -> Result<TargetWork, String> {
        let index = self
            .staging
            .target(target)
            .ok_or_else(|| format!("no staged messages for {target}"))?;
        let loaded = self.staging.load(target).map_err(|e| e.to_string())?;
        // Every message's place in the target's order.
        let place: HashMap<(Arc<str>, u64, u32), usize> = index
            .entries()
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let s = self.staging.source_of(e);
                ((s.file, s.offset, s.item), i)
            })
            .collect();
        let at = |s: &SourceRef| place.get(&(s.file.clone(), s.offset, s.item)).copied();
        let mut slots: Vec<Option<WorkItem>> = vec![None; index.entries().len()];

        let plan = plan::plan_target(target, &loaded.messages, &self.plan);
        let mut head = None;
        let mut batches = Vec::with_capacity(plan.batches.len());
        for batch in &plan.batches {
            let (batch_head, jsons) = split_body(&batch.body)?;
            head.get_or_insert(batch_head);
            let index = batch.index as u32;
            let mut range: Option<Range<usize>> = None;
            for (planned, json) in batch.messages.iter().zip(&jsons) {
                let i = at(&planned.source)
                    .ok_or_else(|| format!("{} is not in the index", planned.source))?;
                let work = MessageWork::from_json(planned.source.clone(), index, json)
                    .ok_or_else(|| format!("the plan of {} is not a message", planned.source))?;
                slots[i] = Some(WorkItem::Valid(work));
                range = Some(match range {
                    Some(r) => r.start.min(i)..r.end.max(i + 1),
                    None => i..i + 1,
                });
            }
            batches.push(BatchWork {
                index,
                body: batch.body.clone(),
                items: range.unwrap_or(0..0),
            });
        }
        for bad in loaded.invalid {
            let i = at(&bad.source).ok_or_else(|| format!("{} is not in the index", bad.source))?;
            let problem = errors(
                bad.problems
                    .iter()
                    .filter(|p| p.is_error())
                    .map(|p| (p.field.as_deref(), p.message.as_str())),
            );
            slots[i] = Some(WorkItem::Invalid(InvalidWork {
                source: bad.source,
                send_time: bad.send_time,
                problem,
                raw: bad
                    .raw
                    .unwrap_or_else(|| "(too long to read back; see the staged file)".into()),
            }));
        }
        let items = slots
            .into_iter()
            .enumerate()
            .map(|(i, slot)| slot.ok_or_else(|| format!("message {i} of {target} was not loaded")))
            .collect::<Result<Vec<_>, _>>()?;
        let head = head.unwrap_or_else(|| BodyHead::for_target(target));
        Ok(TargetWork {
            target: target.clone(),
            items,
            batches,
            head,
        })
    }

    fn prepare_edit(
        &self,
        target: &Target,
        source: &SourceRef,
        msg: ImportMsg,
    ) -> Result<ImportMsg, String> {
        let text = serde_json::to_string(&msg).map_err(|e| e.to_string())?;
        let mut checked =
            check_message_text(&text, self.staging.options()).map_err(|findings| {
                errors(
                    findings
                        .iter()
                        .filter(|f| f.is_error())
                        .map(|f| (f.field.as_deref(), f.message.as_str())),
                )
            })?;
        if checked.random.is_none() {
            checked.random = Some(plan::derive_random(target, source, &checked));
        }
        Ok(checked)
    }
}

/// Staging's error findings in one line: `field: message; field: message`.
fn errors<'a>(found: impl Iterator<Item = (Option<&'a str>, &'a str)>) -> String {
    found
        .map(|(field, message)| match field {
            Some(field) => format!("{field}: {message}"),
            None => message.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
