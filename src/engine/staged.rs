//! Work from a staging directory: the targets `staging` indexed, each read from disk and
//! planned by `plan` a part at a time as its lane goes (so memory holds one part per lane at
//! work and the `Random`s its group used, not the directory, nor a whole group's messages), with
//! invalid messages kept at their place in the order. Parts are cut at batch boundaries of the
//! whole target (`part_cut`) and planned with the state the earlier parts left
//! (`plan::plan_part`): the requests are exactly those `timport plan` shows.
//!
//! Under `--same-second spread` a message may be sent later than staged: its `MessageWork`
//! carries the time sent (what the guard, the read-back and the ledger's `sent_time` use) and
//! the staged one, and an invalid message ordered inside a spread burst is ordered no earlier
//! than the valid message before it, so the lane's list stays in the order it sends.
//!
//! Also the file fingerprints a run records, and the checks of an edited message (staging's
//! rules, then a `Random` derived as the planner derives one).

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::sync::Arc;

use super::events::SourceRef;
use super::ledger::restage::Place;
use super::ledger::runs::FileRecord;
use super::part_cut::{Part, PartCut};
use super::target::Target;
use super::work::{
    BatchWork, BodyHead, InvalidWork, MessageWork, PART_MESSAGES, TargetInfo, TargetWork, WorkItem,
    WorkReader, WorkSource, split_body,
};
use crate::api::types::ImportMsg;
use crate::plan::{self, Bursts, PlanOptions, PlanState, SameSecond};
use crate::staging::{Staging, check_message_text};

/// True when the problem is in `accounts.jsonl` or `groups.jsonl`.
fn is_migration_file(staging: &Staging, p: &crate::staging::Problem) -> bool {
    staging
        .files()
        .iter()
        .any(|f| f.path == p.file && !f.kind.holds_messages())
}

/// A scanned staging directory, restricted to the targets of a run.
pub struct StagedWork {
    staging: Arc<Staging>,
    targets: Vec<TargetInfo>,
    plan: PlanOptions,
    part_messages: usize,
}

impl StagedWork {
    /// The targets of `groups` (each with all its topics), or every target when `groups` is
    /// empty. An unknown group is an error naming the groups that are staged. So is an error
    /// staging could not tie to a message (an unreadable file, JSON whose structure breaks off):
    /// the messages it hides would otherwise be left out without a trace in the ledger. So is
    /// `--same-second spread` when it would send a message at the scan's "now" or later.
    pub fn new(
        staging: Staging,
        groups: &[String],
        plan: PlanOptions,
    ) -> Result<StagedWork, String> {
        StagedWork::shared(Arc::new(staging), groups, plan)
    }

    /// [`StagedWork::new`] for a scan that is also held elsewhere (the console keeps its scan
    /// for its screens while a run works from it).
    pub fn shared(
        staging: Arc<Staging>,
        groups: &[String],
        plan: PlanOptions,
    ) -> Result<StagedWork, String> {
        let migration_errors: Vec<String> = staging
            .problems()
            .iter()
            .filter(|p| p.is_error() && p.target.is_none() && is_migration_file(&staging, p))
            .map(ToString::to_string)
            .collect();
        if !migration_errors.is_empty() {
            return Err(format!(
                "{} problem(s) in accounts.jsonl or groups.jsonl: a migration goes only when its accounts and groups are staged as they should be; fix them first (`timport validate` lists them):\n  {}",
                migration_errors.len(),
                migration_errors
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
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
                .chain(
                    staging
                        .migration()
                        .groups()
                        .iter()
                        .map(|g| g.group_id.as_str()),
                )
                .collect();
            g.sort_unstable();
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
        let chosen = staging
            .targets()
            .iter()
            .filter(|t| groups.is_empty() || groups.iter().any(|g| g == t.target().group()));
        if plan.same_second == SameSecond::Spread {
            let now = staging.options().now;
            for t in chosen.clone() {
                let bursts = Bursts::of(t.order_times(), plan.batch_size);
                if bursts.spread_reaches(now) {
                    return Err(spread_too_late(t.target(), &bursts, now));
                }
            }
        }
        let targets = chosen
            .map(|t| TargetInfo {
                target: t.target().clone(),
                messages: t.entries().len() as u64,
                batches: PartCut::of(
                    t.entries(),
                    plan.batch_size,
                    plan.same_second,
                    PART_MESSAGES,
                )
                .batches,
            })
            .collect();
        Ok(StagedWork {
            staging,
            targets,
            plan,
            part_messages: PART_MESSAGES,
        })
    }

    /// The same, read in parts of about `messages` messages (tests use small parts).
    pub fn in_parts_of(mut self, messages: usize) -> StagedWork {
        self.part_messages = messages.max(1);
        self
    }

    /// The staging directory (or file).
    pub fn staging(&self) -> &Staging {
        &self.staging
    }

    /// How its messages are planned.
    pub fn plan_options(&self) -> &PlanOptions {
        &self.plan
    }

    /// The scan, shared.
    pub fn staging_shared(&self) -> Arc<Staging> {
        Arc::clone(&self.staging)
    }

    /// Every staged file's fingerprint, for the run's record.
    pub fn fingerprints(&self) -> Vec<FileRecord> {
        fingerprints(&self.staging)
    }
}

/// Every staged file's fingerprint as a run records it (what a resume or a verification
/// compares the staged files with).
pub fn fingerprints(staging: &Staging) -> Vec<FileRecord> {
    staging
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

/// Every staged message's place in `files` (of every target, not only a run's), for re-keying a
/// resumed run's rows after those files changed (`ledger::restage`).
pub fn places_in<'a>(
    staging: &'a Staging,
    files: &'a [String],
) -> impl Iterator<Item = Place> + 'a {
    let ids: Vec<u32> = staging
        .files()
        .iter()
        .enumerate()
        .filter(|(_, f)| files.iter().any(|p| **p == *f.path))
        .map(|(i, _)| i as u32)
        .collect();
    staging.targets().iter().flat_map(move |t| {
        let ids = ids.clone();
        t.entries()
            .iter()
            .filter(move |e| ids.contains(&e.file()))
            .map(move |e| {
                let s = staging.source_of(&e);
                Place {
                    group: t.target().group().to_owned(),
                    topic: t.target().topic().unwrap_or_default().to_owned(),
                    file: s.file.to_string(),
                    line: s.line,
                    item: s.item,
                    offset: s.offset,
                }
            })
    })
}

impl WorkSource for StagedWork {
    fn targets(&self) -> Vec<TargetInfo> {
        self.targets.clone()
    }

    fn open(&self, target: &Target) -> Result<Box<dyn WorkReader>, String> {
        let index = self
            .staging
            .target(target)
            .ok_or_else(|| format!("no staged messages for {target}"))?;
        let cut = PartCut::of(
            index.entries(),
            self.plan.batch_size,
            self.plan.same_second,
            self.part_messages,
        );
        // RecentContactFlag is per target: on every request when any message was staged with
        // it, as planning the whole target decides.
        let any_flag = cut.recent_contact;
        let parts = cut.parts;
        let plan = PlanOptions {
            recent_contact_flag: self.plan.recent_contact_flag.or(any_flag.then_some(1)),
            ..self.plan.clone()
        };
        Ok(Box::new(StagedReader {
            staging: Arc::clone(&self.staging),
            target: target.clone(),
            parts,
            plan,
            state: PlanState::default(),
            last_sent: None,
        }))
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

/// Why `spread` cannot be used for `target`: it would send a message at `now` or later.
pub fn spread_too_late(target: &crate::staging::Target, bursts: &Bursts, now: i64) -> String {
    format!(
        "--same-second spread would send messages of {target} as late as {} ({}), which is not earlier than now ({}): the service refuses a message that is not in the past. Import with --same-second keep, or wait until that time has passed",
        crate::clock::format_unix(bursts.spread_latest.unwrap_or(now)),
        bursts.spread_latest.unwrap_or(now),
        crate::clock::format_unix(now)
    )
}

/// Orders each invalid message no earlier than the time the valid message before it is sent at
/// (`last`: the one before the part); returns the time the part's last valid message is sent at.
/// Under `keep` nothing changes: the index orders every message by its staged time.
fn order_after_spread(items: &mut [WorkItem], mut last: Option<i64>) -> Option<i64> {
    for item in items {
        match item {
            WorkItem::Valid(m) => last = last.max(Some(m.send_time)),
            WorkItem::Invalid(i) => {
                if let Some(sent) = last.filter(|&t| t > i.order_time) {
                    i.moved_from = Some(i.order_time);
                    i.order_time = sent;
                }
            }
        }
    }
    last
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

/// Reads one target a part at a time: loads the part's messages, plans them with the state the
/// earlier parts left (so the result is the whole target's plan, cut into parts).
struct StagedReader {
    staging: Arc<Staging>,
    target: Target,
    parts: VecDeque<Part>,
    plan: PlanOptions,
    state: PlanState,
    /// The time the last valid message of the parts read so far is sent at.
    last_sent: Option<i64>,
}

impl WorkReader for StagedReader {
    fn next_part(&mut self) -> Result<Option<TargetWork>, String> {
        let Some(part) = self.parts.pop_front() else {
            return Ok(None);
        };
        let target = &self.target;
        let index = self
            .staging
            .target(target)
            .ok_or_else(|| format!("no staged messages for {target}"))?;
        let loaded = self
            .staging
            .load_range(target, part.entries.clone())
            .map_err(|e| e.to_string())?;
        // Every message's place in the part, and the time the index orders it at.
        let place: HashMap<(Arc<str>, u64, u32), (usize, i64)> = index
            .entries()
            .range(part.entries.clone())
            .enumerate()
            .map(|(i, e)| {
                let s = self.staging.source_of(&e);
                ((s.file, s.offset, s.item), (i, e.send_time()))
            })
            .collect();
        let placed = |s: &SourceRef| {
            place
                .get(&(s.file.clone(), s.offset, s.item))
                .copied()
                .ok_or_else(|| format!("{s} is not in the index"))
        };
        let at = |s: &SourceRef| placed(s).map(|(i, _)| i);
        let mut slots: Vec<Option<WorkItem>> = vec![None; part.entries.len()];

        let plan = plan::plan_part_after(
            target,
            &loaded.messages,
            &loaded.after_invalid,
            &self.plan,
            &mut self.state,
        );
        let sizes: Vec<usize> = plan.batches.iter().map(|b| b.messages.len()).collect();
        if !sizes
            .iter()
            .copied()
            .eq(part.batch_sizes.iter().map(|&s| usize::from(s)))
        {
            return Err(format!(
                "planning {target} in parts cut its batches differently ({sizes:?} instead of {:?}); this is a timport bug",
                part.batch_sizes
            ));
        }
        let mut head = None;
        let mut batches = Vec::with_capacity(plan.batches.len());
        for batch in &plan.batches {
            let (batch_head, jsons) = split_body(&batch.body)?;
            head.get_or_insert(batch_head);
            let index = batch.index as u32;
            let mut range: Option<Range<usize>> = None;
            for (planned, json) in batch.messages.iter().zip(&jsons) {
                let i = at(&planned.source)?;
                let mut work = MessageWork::from_json(planned.source.clone(), index, json)
                    .ok_or_else(|| format!("the plan of {} is not a message", planned.source))?;
                work.moved_from = planned.staged_send_time;
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
            let (i, order_time) = placed(&bad.source)?;
            let problem = errors(
                bad.problems
                    .iter()
                    .filter(|p| p.is_error())
                    .map(|p| (p.field.as_deref(), p.message.as_str())),
            );
            slots[i] = Some(WorkItem::Invalid(InvalidWork {
                source: bad.source,
                send_time: bad.send_time,
                order_time,
                moved_from: None,
                problem,
                raw: bad
                    .raw
                    .unwrap_or_else(|| "(too long to read back; see the staged file)".into()),
            }));
        }
        let mut items = slots
            .into_iter()
            .enumerate()
            .map(|(i, slot)| {
                slot.ok_or_else(|| format!("message {i} of a part of {target} was not loaded"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.last_sent = order_after_spread(&mut items, self.last_sent);
        Ok(Some(TargetWork {
            target: target.clone(),
            items,
            batches,
            head: head.unwrap_or_else(|| BodyHead::for_target(target)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::source;

    fn valid(line: u32, time: i64) -> WorkItem {
        let json =
            format!(r#"{{"From_Account":"a","SendTime":{time},"Random":{line},"MsgBody":[]}}"#);
        WorkItem::Valid(MessageWork::from_json(source("g.jsonl", line), 0, &json).unwrap())
    }

    fn invalid(line: u32, time: i64) -> WorkItem {
        WorkItem::Invalid(InvalidWork {
            source: source("g.jsonl", line),
            send_time: Some(time),
            order_time: time,
            moved_from: None,
            problem: "MsgBody is empty".into(),
            raw: "{}".into(),
        })
    }

    fn order(items: &[WorkItem]) -> Vec<(i64, Option<i64>)> {
        items
            .iter()
            .filter_map(|i| match i {
                WorkItem::Invalid(w) => Some((w.order_time, w.moved_from)),
                WorkItem::Valid(_) => None,
            })
            .collect()
    }

    #[test]
    fn an_invalid_message_is_ordered_no_earlier_than_the_valid_one_sent_before_it() {
        // Line 2 (sent at 11, spread from 10) then an invalid line staged at 10: ordered at 11.
        let mut items = vec![valid(1, 10), valid(2, 11), invalid(3, 10), valid(4, 12)];
        assert_eq!(order_after_spread(&mut items, None), Some(12));
        assert_eq!(order(&items), [(11, Some(10))]);
        // The part before ended at 20: an invalid line first in this part goes there too.
        let mut items = vec![invalid(1, 15), valid(2, 21)];
        assert_eq!(order_after_spread(&mut items, Some(20)), Some(21));
        assert_eq!(order(&items), [(20, Some(15))]);
        // In time order already (keep): nothing changes.
        let mut items = vec![valid(1, 10), invalid(2, 10), valid(3, 12)];
        order_after_spread(&mut items, None);
        assert_eq!(order(&items), [(10, None)]);
    }
}
