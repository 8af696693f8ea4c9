//! Screen 4, Preview: the planned requests of the selected group (each of its topics too): per
//! request its number, messages, time span, bytes and warnings, and the exact body pretty-printed.
//! For a group `groups.jsonl` stages, the phases around its messages too, in the run's order:
//! its `import_group` (sent only if the app lacks the group), then its messages, then its members
//! (`import_group_member`) and the unread counts of members already in it (`set_unread_msg_num`).
//! The bodies are the planner's bytes, the same the ledger stores and the client sends; they
//! hold no credentials (those travel in the URL's query, which is never shown). Planning runs
//! off the UI thread ([`Previewed::build`]).

use std::collections::HashSet;

use crate::engine::events::Phase;
use crate::plan::migration::{PhaseRequest, plan_group};
use crate::plan::{PlanOptions, TargetPlan, plan_loaded};
use crate::staging::{SourceRef, Staging, Target};

use super::list::ListView;

/// One planned request, as the table shows it: a batch of messages, or a request of a phase
/// around them (`phase` is then its index in [`Previewed::phases`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// The phase request it shows, when it is not a batch of messages.
    pub phase: Option<usize>,
    /// Index into [`Previewed::targets`].
    pub target: usize,
    /// Index into that target's batches.
    pub batch: usize,
    /// Messages in it.
    pub messages: usize,
    /// First and last `SendTime`.
    pub span: (i64, i64),
    /// Body size.
    pub bytes: usize,
    /// Plan warnings about its messages.
    pub warnings: usize,
}

/// A staged message of the group that cannot be sent as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotPlanned {
    /// Where it is staged.
    pub source: String,
    /// Why, joined.
    pub problems: String,
}

/// One target's plan.
#[derive(Debug, Clone)]
pub struct TargetPreview {
    /// The plan (bodies are the exact bytes).
    pub plan: TargetPlan,
    /// Its messages that are not planned.
    pub invalid: Vec<NotPlanned>,
}

/// A request of a phase around the messages, for the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhasePreview {
    /// The phase.
    pub phase: Phase,
    /// The request (its bytes are the exact ones).
    pub request: PhaseRequest,
}

/// A group planned: every target, the phases around them, and the rows of the table.
#[derive(Debug, Clone)]
pub struct Previewed {
    /// The group.
    pub group: String,
    /// Its targets (the group, then its topics).
    pub targets: Vec<TargetPreview>,
    /// Its requests of the phases around the messages (`import_group`, members, unread counts).
    pub phases: Vec<PhasePreview>,
    /// Unread counts not sent because the group keeps none (ChatRoom).
    pub unread_not_kept: usize,
    /// Every request in order.
    pub rows: Vec<BatchRow>,
}

impl Previewed {
    /// Loads and plans every target of `group` (reads files: call off the UI thread).
    pub fn build(staging: &Staging, group: &str, opts: &PlanOptions) -> Result<Previewed, String> {
        let targets: Vec<Target> = staging
            .group_targets(group)
            .map(|t| t.target().clone())
            .collect();
        let migration = staging.migration().group(group).map(plan_group);
        if targets.is_empty() && migration.is_none() {
            return Err(format!("nothing is staged for group {group}"));
        }
        let mut out = Previewed {
            group: group.to_owned(),
            targets: Vec::new(),
            phases: Vec::new(),
            unread_not_kept: migration.as_ref().map_or(0, |m| m.unread_not_kept),
            rows: Vec::new(),
        };
        if let Some(m) = &migration {
            out.push_phase(Phase::Groups, m.create.clone());
        }
        for target in targets {
            let loaded = staging.load(&target).map_err(|e| e.to_string())?;
            let plan = plan_loaded(&target, &loaded, opts);
            let invalid = loaded
                .invalid
                .iter()
                .map(|m| NotPlanned {
                    source: m.source.to_string(),
                    problems: m
                        .problems
                        .iter()
                        .map(|p| p.message.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                })
                .collect();
            let warned: HashSet<&SourceRef> = plan
                .warnings
                .iter()
                .filter_map(|w| w.source.as_ref())
                .collect();
            let t = out.targets.len();
            for (b, batch) in plan.batches.iter().enumerate() {
                let first = batch.messages.first().map_or(0, |m| m.send_time);
                let last = batch.messages.last().map_or(first, |m| m.send_time);
                out.rows.push(BatchRow {
                    phase: None,
                    target: t,
                    batch: b,
                    messages: batch.messages.len(),
                    span: (first, last),
                    bytes: batch.body.len(),
                    warnings: batch
                        .messages
                        .iter()
                        .filter(|m| warned.contains(&m.source))
                        .count(),
                });
            }
            out.targets.push(TargetPreview { plan, invalid });
        }
        if let Some(m) = migration {
            for r in m.members.into_iter().chain(m.unread) {
                out.push_phase(Phase::Members, r);
            }
        }
        Ok(out)
    }

    fn push_phase(&mut self, phase: Phase, request: PhaseRequest) {
        self.rows.push(BatchRow {
            phase: Some(self.phases.len()),
            target: 0,
            batch: 0,
            messages: request.items.len(),
            span: (0, 0),
            bytes: request.body.len(),
            warnings: 0,
        });
        self.phases.push(PhasePreview { phase, request });
    }

    /// The message requests (not the phases').
    pub fn batches(&self) -> usize {
        self.rows.iter().filter(|r| r.phase.is_none()).count()
    }

    /// Messages planned, over every target.
    pub fn messages(&self) -> usize {
        self.targets.iter().map(|t| t.plan.message_count()).sum()
    }

    /// Messages not planned, over every target.
    pub fn not_planned(&self) -> usize {
        self.targets.iter().map(|t| t.invalid.len()).sum()
    }
}

/// Which pane has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PreviewFocus {
    /// The requests table.
    #[default]
    Batches,
    /// The selected body.
    Body,
}

/// The Preview screen.
#[derive(Debug, Clone, Default)]
pub struct PreviewState {
    /// The group asked for.
    pub group: Option<String>,
    /// Which planning is current.
    pub generation: u64,
    /// Planning is running.
    pub building: bool,
    /// Why planning failed.
    pub error: Option<String>,
    /// The plan.
    pub previewed: Option<Previewed>,
    /// The requests table.
    pub view: ListView,
    /// The selected body, pretty-printed (cached when the selection changes).
    pub body: String,
    /// First body line shown.
    pub body_scroll: usize,
    /// Which pane has the keys.
    pub focus: PreviewFocus,
}

impl PreviewState {
    /// Starts planning `group`; returns the planning's generation.
    pub fn begin(&mut self, group: &str) -> u64 {
        self.group = Some(group.to_owned());
        self.generation += 1;
        self.building = true;
        self.error = None;
        self.previewed = None;
        self.view = ListView::new(0);
        self.body.clear();
        self.body_scroll = 0;
        self.generation
    }

    /// The plan arrived.
    pub fn built(&mut self, previewed: Previewed) {
        self.building = false;
        self.view = ListView::new(previewed.rows.len());
        self.previewed = Some(previewed);
        self.sync_body();
    }

    /// Planning failed.
    pub fn failed(&mut self, error: String) {
        self.building = false;
        self.error = Some(error);
    }

    /// The selected request: its row and its exact bytes.
    pub fn selected(&self) -> Option<(&BatchRow, &[u8])> {
        let p = self.previewed.as_ref()?;
        let row = p.rows.get(self.view.selected()?)?;
        let body = match row.phase {
            Some(i) => &p.phases.get(i)?.request.body,
            None => &p.targets.get(row.target)?.plan.batches.get(row.batch)?.body,
        };
        Some((row, body.as_ref()))
    }

    /// Caches the selected body, pretty-printed, and scrolls it to the top.
    pub fn sync_body(&mut self) {
        self.body = self
            .selected()
            .map(|(_, b)| crate::plan::pretty(b))
            .unwrap_or_default();
        self.body_scroll = 0;
    }

    /// The selected body exactly as it will be sent (what copy puts on the clipboard).
    pub fn selected_body(&self) -> Option<String> {
        self.selected()
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
    }
}
