//! Screen 2, Groups: the app's groups paged in from the service (ids first, then details as
//! they arrive), joined with what is staged for each, what the ledger (or the run going) says
//! was imported, and whether importing can work; sorted as the operator asks.

use std::collections::{BTreeSet, HashMap};

use crate::api::types::{GroupInfo, GroupType};
use crate::engine::Counts;

use super::super::msg::{ErrorView, GroupIdPage};
use super::super::theme::Symbol;
use super::list::{ListView, contains_folded};

/// What is staged for a group (all its topics together). One definition on every screen and
/// in the engine (`Counts::total`): a group's staged messages are every message its files hold,
/// valid or not; the invalid ones are part of them (they keep their place and wait for a fix or
/// a skip), counted apart in `invalid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StagedCounts {
    /// Staged messages, valid or not.
    pub messages: u64,
    /// Of those, messages with problems that keep them from being sent as written.
    pub invalid: u64,
    /// The earliest staged SendTime.
    pub first: i64,
    /// The latest staged SendTime.
    pub last: i64,
    /// Its seconds holding more messages than a request, and what `--same-second` does with
    /// them.
    pub bursts: crate::plan::Bursts,
}

impl StagedCounts {
    /// Staged messages that can be sent as written.
    pub fn valid(&self) -> u64 {
        self.messages.saturating_sub(self.invalid)
    }
}

/// What the service says about a group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupFacts {
    /// The group's type.
    pub group_type: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Creation time (unix seconds).
    pub create_time: Option<i64>,
    /// Newest message time (unix seconds; 0 when none).
    pub last_msg_time: Option<i64>,
    /// Members.
    pub members: Option<u64>,
}

/// Where a group's details stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Details {
    /// Not asked yet or on the way.
    Pending,
    /// The service's details.
    Known(GroupFacts),
    /// The service answered this code for the group (10010: it does not exist).
    Refused(i64),
    /// Only staged: not in the service's list.
    NotListed,
}

/// What was imported of a group: its lanes' counts in a run (all its topics together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// The run (the ledger's id).
    pub run_id: i64,
    /// Messages per state in that run.
    pub counts: Counts,
    /// True while that run is going in this console (the counts move).
    pub live: bool,
    /// True while a lane of the group waits for the operator's decision (in the run going).
    pub waiting: bool,
}

/// One group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// The group id.
    pub id: String,
    /// What the service says.
    pub details: Details,
    /// What is staged for it.
    pub staged: Option<StagedCounts>,
    /// What the latest run of this staging imported of it (the ledger's word, or the run's).
    pub imported: Option<Imported>,
    /// Its place in the service's listing (the order sorting by listing restores); groups only
    /// staged come after every listed one.
    seq: usize,
}

/// How the groups table is sorted (`s` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupSort {
    /// As the service lists them, staged-only groups last.
    #[default]
    Listing,
    /// Verdicts that need the operator first (cannot import, then attention, then the rest).
    Verdict,
    /// Most staged messages first.
    Staged,
    /// By group id.
    Id,
}

impl GroupSort {
    /// The next order.
    pub fn next(self) -> GroupSort {
        match self {
            GroupSort::Listing => GroupSort::Verdict,
            GroupSort::Verdict => GroupSort::Staged,
            GroupSort::Staged => GroupSort::Id,
            GroupSort::Id => GroupSort::Listing,
        }
    }

    /// How the title says it.
    pub fn word(self) -> &'static str {
        match self {
            GroupSort::Listing => "as listed",
            GroupSort::Verdict => "by verdict",
            GroupSort::Staged => "by staged messages",
            GroupSort::Id => "by group id",
        }
    }
}

/// Whether importing into a group can work, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The state as a symbol.
    pub symbol: Symbol,
    /// A short word for the table.
    pub word: &'static str,
    /// The reason in a sentence.
    pub why: String,
}

impl GroupRow {
    /// Whether importing can work, from the service's facts and the staged time range; once a
    /// run imported some of it, what the run did (the group's newest message is then timport's
    /// own, not a reason to refuse).
    pub fn verdict(&self) -> Verdict {
        let v = |symbol, word, why: &str| Verdict {
            symbol,
            word,
            why: why.to_owned(),
        };
        if let Some(progress) = self.progress_verdict() {
            return progress;
        }
        let facts = match &self.details {
            Details::Pending => return v(Symbol::Waiting, "…", "details are on the way"),
            Details::Refused(10010) | Details::NotListed => {
                return v(
                    Symbol::Failed,
                    "missing",
                    "the group does not exist in the app: create it first (import_group)",
                );
            }
            Details::Refused(code) => {
                let x = crate::api::explain(*code);
                return Verdict {
                    symbol: Symbol::Failed,
                    word: "refused",
                    why: format!("{code}: {}. {}", x.meaning, x.remedy),
                };
            }
            Details::Known(facts) => facts,
        };
        let kind = facts.group_type.as_deref().map(GroupType::parse);
        if kind.as_ref().is_some_and(|k| !k.can_import()) {
            return v(
                Symbol::Failed,
                "no",
                "this group type cannot be imported into (AVChatRoom, 10007)",
            );
        }
        let Some(staged) = self.staged.filter(|s| s.valid() > 0) else {
            return v(Symbol::Waiting, "–", "nothing staged for this group");
        };
        if let Some(newest) = facts.last_msg_time.filter(|t| *t > 0)
            && newest > staged.first
        {
            return Verdict {
                symbol: Symbol::Warning,
                word: "newer",
                why: format!(
                    "the group already has a message from {} UTC (newer than the first staged one): older messages will be refused (10004)",
                    crate::clock::format_unix(newest)
                ),
            };
        }
        if let Some(created) = facts.create_time
            && created >= staged.first
        {
            return Verdict {
                symbol: Symbol::Warning,
                word: "created",
                why: format!(
                    "the group was created at {} UTC, after the first staged message: earlier messages will be refused (10004)",
                    crate::clock::format_unix(created)
                ),
            };
        }
        v(Symbol::Done, "ready", "ready to import")
    }

    /// The verdict of a group a run has imported (some of), from that run's counts.
    fn progress_verdict(&self) -> Option<Verdict> {
        let imported = self.imported?;
        let c = imported.counts;
        let run = imported.run_id;
        if imported.live && (imported.waiting || c.pending() > 0) {
            let (symbol, word, doing) = if imported.waiting {
                (
                    Symbol::Paused,
                    "waits",
                    "stopped at one of its messages and waits for your decision (screen 5)",
                )
            } else {
                (Symbol::Running, "importing", "is importing it")
            };
            return Some(Verdict {
                symbol,
                word,
                why: format!(
                    "run {run} {doing}: {} of {} done so far",
                    crate::console::words::count(c.done),
                    crate::console::words::count(c.total)
                ),
            });
        }
        if c.done + c.skipped == 0 {
            return None;
        }
        let count = crate::console::words::count;
        let skipped = if c.skipped > 0 {
            format!(", {} skipped by decision", count(c.skipped))
        } else {
            String::new()
        };
        Some(if c.pending() == 0 && c.failed == 0 && c.invalid == 0 {
            Verdict {
                symbol: Symbol::Done,
                word: "imported",
                why: format!(
                    "imported by run {run}: {} of {} staged messages are in the group{skipped}",
                    count(c.done),
                    count(c.total)
                ),
            }
        } else if c.pending() == 0 {
            Verdict {
                symbol: Symbol::Warning,
                word: "refused",
                why: format!(
                    "run {run} imported {} of {}{skipped}; {} refused and {} invalid wait for a decision (timport report {run})",
                    count(c.done),
                    count(c.total),
                    count(c.failed),
                    count(c.invalid)
                ),
            }
        } else {
            Verdict {
                symbol: Symbol::Paused,
                word: "partly",
                why: format!(
                    "run {run} imported {} of {}{skipped}; {} not sent yet: importing it again resumes where it stopped (nothing is sent twice)",
                    count(c.done),
                    count(c.total),
                    count(c.pending())
                ),
            }
        })
    }

    fn matches(&self, needle: &str) -> bool {
        if contains_folded(&self.id, needle) || contains_folded(self.verdict().word, needle) {
            return true;
        }
        match &self.details {
            Details::Known(f) => {
                f.name
                    .as_deref()
                    .is_some_and(|n| contains_folded(n, needle))
                    || f.group_type
                        .as_deref()
                        .is_some_and(|t| contains_folded(t, needle))
            }
            _ => false,
        }
    }
}

/// The Groups screen.
#[derive(Debug, Clone, Default)]
pub struct GroupsState {
    /// Every group: the service's, then staged-only ones.
    pub rows: Vec<GroupRow>,
    index: HashMap<String, usize>,
    /// Selection, scroll and filter.
    pub view: ListView,
    /// Which listing is current.
    pub generation: u64,
    /// Groups in the app, as the service counts them.
    pub total: Option<u64>,
    /// Whether pages are still coming.
    pub loading: bool,
    /// Why the listing failed.
    pub error: Option<ErrorView>,
    /// Staged counts per group, kept to join with groups as they arrive.
    staged: HashMap<String, StagedCounts>,
    /// Groups marked for a launch (kept across reloads).
    marks: BTreeSet<String>,
    /// What runs imported per group (kept to join with groups as they arrive).
    imported: HashMap<String, Imported>,
    /// How the table is sorted.
    pub sort: GroupSort,
    /// Ids listed so far by the listing in progress.
    listed: usize,
}

/// Where groups that are only staged start in the listing order.
const STAGED_ONLY: usize = usize::MAX / 2;

impl GroupsState {
    /// Starts a new listing; returns its generation.
    pub fn begin_listing(&mut self) -> u64 {
        self.generation += 1;
        self.loading = true;
        self.error = None;
        self.total = None;
        self.rows.clear();
        self.index.clear();
        self.listed = 0;
        self.add_staged_only();
        self.resort();
        self.generation
    }

    /// A page of ids arrived: rows for new ids, details pending.
    pub fn ids_page(&mut self, page: GroupIdPage) {
        self.total = Some(page.total);
        self.loading = !page.last;
        for id in page.ids {
            let seq = self.listed;
            self.listed += 1;
            match self.index.get(&id) {
                Some(&i) => {
                    if self.rows[i].details == Details::NotListed {
                        self.rows[i].details = Details::Pending;
                    }
                    self.rows[i].seq = seq;
                }
                None => self.push(GroupRow {
                    staged: self.staged.get(&id).copied(),
                    imported: self.imported.get(&id).copied(),
                    id,
                    details: Details::Pending,
                    seq,
                }),
            }
        }
        self.resort();
    }

    /// Details of some groups arrived.
    pub fn infos(&mut self, infos: Vec<GroupInfo>) {
        for info in infos {
            let Some(&i) = self.index.get(&info.group_id) else {
                continue;
            };
            self.rows[i].details = if info.error_code != 0 {
                Details::Refused(info.error_code)
            } else {
                Details::Known(GroupFacts {
                    group_type: info.group_type,
                    name: info.name,
                    create_time: info.create_time,
                    last_msg_time: info.last_msg_time,
                    members: info.member_num,
                })
            };
        }
        if self.sort == GroupSort::Verdict {
            self.resort();
        }
    }

    /// The listing failed.
    pub fn failed(&mut self, error: ErrorView) {
        self.loading = false;
        self.error = Some(error);
    }

    /// Sets what is staged per group; groups only staged get a row of their own.
    pub fn set_staged(&mut self, staged: HashMap<String, StagedCounts>) {
        self.staged = staged;
        for row in &mut self.rows {
            row.staged = self.staged.get(&row.id).copied();
        }
        self.add_staged_only();
        self.resort();
    }

    /// Sets what runs imported per group (the ledger's latest run of this staging, or the run
    /// going); groups it does not name keep nothing.
    pub fn set_imported(&mut self, imported: HashMap<String, Imported>) {
        self.imported = imported;
        for row in &mut self.rows {
            row.imported = self.imported.get(&row.id).copied();
        }
        self.resort();
    }

    /// Updates what runs imported for the groups `imported` names, keeping the others.
    pub fn merge_imported(&mut self, imported: HashMap<String, Imported>) {
        for (id, i) in imported {
            if let Some(&row) = self.index.get(&id) {
                self.rows[row].imported = Some(i);
            }
            self.imported.insert(id, i);
        }
        if self.sort == GroupSort::Verdict {
            self.resort();
        }
    }

    /// Sorts by the next order.
    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.resort();
    }

    /// Sorts the rows as [`GroupsState::sort`] says, keeping the selected group selected, and
    /// applies the filter again.
    fn resort(&mut self) {
        let keep = self.selected().map(|r| r.id.clone());
        match self.sort {
            GroupSort::Listing => self.rows.sort_by_key(|r| r.seq),
            GroupSort::Verdict => self.rows.sort_by_cached_key(|r| {
                (verdict_rank(r.verdict().symbol), r.verdict().word, r.seq)
            }),
            GroupSort::Staged => self
                .rows
                .sort_by_key(|r| (std::cmp::Reverse(r.staged.map_or(0, |s| s.messages)), r.seq)),
            GroupSort::Id => self.rows.sort_by(|a, b| a.id.cmp(&b.id)),
        }
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        self.refilter();
        if let Some(i) = keep.and_then(|id| self.index.get(&id).copied()) {
            self.view.select_row(i);
        }
    }

    fn add_staged_only(&mut self) {
        let mut only: Vec<(&String, &StagedCounts)> = self
            .staged
            .iter()
            .filter(|(id, _)| !self.index.contains_key(*id))
            .collect();
        only.sort_by(|a, b| a.0.cmp(b.0));
        let base = STAGED_ONLY + self.rows.len();
        let new: Vec<GroupRow> = only
            .into_iter()
            .enumerate()
            .map(|(k, (id, counts))| GroupRow {
                id: id.clone(),
                // Until the listing is done, a staged group may still turn up in it.
                details: if self.loading {
                    Details::Pending
                } else {
                    Details::NotListed
                },
                staged: Some(*counts),
                imported: self.imported.get(id.as_str()).copied(),
                seq: base + k,
            })
            .collect();
        for row in new {
            self.push(row);
        }
    }

    fn push(&mut self, row: GroupRow) {
        self.index.insert(row.id.clone(), self.rows.len());
        self.rows.push(row);
    }

    /// Marks every staged group that never turned up in the finished listing.
    pub fn finish_listing(&mut self) {
        for row in &mut self.rows {
            if row.details == Details::Pending && row.staged.is_some() && !self.loading {
                row.details = Details::NotListed;
            }
        }
        if self.sort == GroupSort::Verdict {
            self.resort();
        }
    }

    /// Ids of rows whose details are still pending, for asking the service.
    pub fn pending_ids(&self, ids: &[String]) -> Vec<String> {
        ids.iter()
            .filter(|id| {
                self.index
                    .get(*id)
                    .is_some_and(|i| self.rows[*i].details == Details::Pending)
            })
            .cloned()
            .collect()
    }

    /// Applies the filter again after rows changed.
    pub fn refilter(&mut self) {
        let needle = self.view.filter().to_lowercase();
        let rows = &self.rows;
        self.view.reset(rows.len(), |i| rows[i].matches(&needle));
    }

    /// Sets the filter text.
    pub fn set_filter(&mut self, text: &str) {
        let needle = text.to_lowercase();
        let rows = &self.rows;
        self.view.set_filter(text, |i| rows[i].matches(&needle));
    }

    /// The selected group.
    pub fn selected(&self) -> Option<&GroupRow> {
        self.view.selected().and_then(|i| self.rows.get(i))
    }

    /// The group with this id.
    pub fn get(&self, id: &str) -> Option<&GroupRow> {
        self.index.get(id).map(|i| &self.rows[*i])
    }

    /// Groups that are staged but not in the service's list.
    pub fn staged_only(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.details == Details::NotListed)
            .count()
    }

    /// Marks or unmarks the selected group.
    pub fn toggle_mark(&mut self) {
        if let Some(row) = self.selected() {
            let id = row.id.clone();
            if !self.marks.remove(&id) {
                self.marks.insert(id);
            }
        }
    }

    /// Whether a group is marked.
    pub fn is_marked(&self, id: &str) -> bool {
        self.marks.contains(id)
    }

    /// The marked groups' ids, sorted.
    pub fn marked(&self) -> Vec<String> {
        self.marks.iter().cloned().collect()
    }
}

/// Where a verdict goes when sorting by verdict: what cannot work first, then what needs a
/// look, then what is going or half done, then the rest.
fn verdict_rank(symbol: Symbol) -> u8 {
    match symbol {
        Symbol::Failed => 0,
        Symbol::Warning => 1,
        Symbol::Paused | Symbol::Stopped => 2,
        Symbol::Running | Symbol::Unknown => 3,
        Symbol::Done => 4,
        _ => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str, kind: &str, created: i64, last: i64) -> GroupInfo {
        GroupInfo {
            group_id: id.into(),
            group_type: Some(kind.into()),
            name: Some(format!("{id} name")),
            create_time: Some(created),
            last_msg_time: Some(last),
            member_num: Some(3),
            ..GroupInfo::default()
        }
    }

    fn staged(first: i64) -> StagedCounts {
        StagedCounts {
            messages: 10,
            invalid: 0,
            first,
            last: first + 100,
            ..StagedCounts::default()
        }
    }

    #[test]
    fn verdicts_say_why_importing_cannot_work() {
        let mut g = GroupsState::default();
        g.begin_listing();
        g.set_staged(HashMap::from([
            ("ok".to_string(), staged(1000)),
            ("av".to_string(), staged(1000)),
            ("newer".to_string(), staged(1000)),
            ("late".to_string(), staged(1000)),
            ("gone".to_string(), staged(1000)),
        ]));
        g.ids_page(GroupIdPage {
            ids: vec![
                "ok".into(),
                "av".into(),
                "newer".into(),
                "late".into(),
                "empty".into(),
            ],
            total: 5,
            last: true,
        });
        g.finish_listing();
        g.infos(vec![
            info("ok", "Public", 500, 0),
            info("av", "AVChatRoom", 500, 0),
            info("newer", "Private", 500, 2000),
            info("late", "Community", 1500, 0),
            info("empty", "Public", 1, 0),
        ]);
        let word = |id: &str| g.get(id).unwrap().verdict().word;
        assert_eq!(word("ok"), "ready");
        assert_eq!(word("av"), "no");
        assert_eq!(word("newer"), "newer");
        assert_eq!(word("late"), "created");
        assert_eq!(word("empty"), "–");
        assert_eq!(word("gone"), "missing");
        assert!(g.get("av").unwrap().verdict().why.contains("10007"));
        assert_eq!(g.rows.len(), 6);
    }

    #[test]
    fn refused_groups_carry_the_catalogue_words() {
        let mut g = GroupsState::default();
        g.begin_listing();
        g.ids_page(GroupIdPage {
            ids: vec!["x".into()],
            total: 1,
            last: true,
        });
        g.infos(vec![GroupInfo {
            group_id: "x".into(),
            error_code: 10015,
            ..GroupInfo::default()
        }]);
        let v = g.get("x").unwrap().verdict();
        assert_eq!(v.symbol, Symbol::Failed);
        assert!(
            v.why.contains(crate::api::explain(10015).remedy),
            "{}",
            v.why
        );
    }

    #[test]
    fn filter_and_marks_survive_a_reload() {
        let mut g = GroupsState::default();
        g.begin_listing();
        g.ids_page(GroupIdPage {
            ids: vec!["alpha".into(), "beta".into()],
            total: 2,
            last: true,
        });
        g.view.select_row(1);
        g.toggle_mark();
        g.set_filter("ALP");
        assert_eq!(g.view.shown(), 1);
        g.begin_listing();
        g.ids_page(GroupIdPage {
            ids: vec!["alpha".into(), "beta".into(), "alps".into()],
            total: 3,
            last: true,
        });
        assert_eq!(g.view.shown(), 2, "the filter applies to the new rows");
        assert_eq!(g.marked(), vec!["beta".to_string()]);
    }
}
