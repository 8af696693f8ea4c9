//! The finished index of a staging directory: its files with their fingerprints, one sorted entry
//! list per target with the target's statistics, every problem, and the senders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::collect::{Collected, Sender};
use super::cross_checks;
use super::entry::IndexEntry;
use super::entry_list::EntryList;
use super::fingerprint::Fingerprint;
use super::load::SourceRef;
use super::migration::{self, Migration};
use super::options::ScanOptions;
use super::placement;
use super::problem::{KindCounts, Problem, Severity};
use super::problem_log::{ProblemLog, Scope};
use super::target::Target;

/// The staged file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `*.jsonl`: one message per line.
    Jsonl,
    /// `*.json`: a request body, an array of bodies, or an array of messages.
    Json,
    /// `accounts.jsonl`: one account per line (never messages; see `staging::migration`).
    Accounts,
    /// `groups.jsonl`: one group per line (never messages; see `staging::migration`).
    Groups,
}

impl FileKind {
    /// True for the files that hold messages.
    pub fn holds_messages(self) -> bool {
        matches!(self, FileKind::Jsonl | FileKind::Json)
    }
}

/// One staged file.
#[derive(Debug, Clone)]
pub struct StagedFile {
    /// Path relative to the staging root, `/`-separated (the file name for a single-file scan).
    pub path: Arc<str>,
    /// Path to open.
    pub full_path: PathBuf,
    /// Its format.
    pub kind: FileKind,
    /// The target its file name names.
    pub target: Target,
    /// Size, time and content hash when it was read; `None` when it could not be read.
    pub fingerprint: Option<Fingerprint>,
    /// Messages indexed from it (valid or not).
    pub messages: u64,
}

/// One target's messages in import order, and what the scan learnt about them.
#[derive(Debug, Clone)]
pub struct TargetIndex {
    pub(super) target: Target,
    /// The entries while the scan builds them (unsorted, then sorted and cross-checked); empty
    /// once [`Staging::build`] has packed them into `entries`.
    pub(super) scanned: Vec<IndexEntry>,
    pub(super) entries: EntryList,
    pub(super) out_of_order: u64,
    pub(super) senders: Vec<u32>,
    pub(super) problems: Vec<usize>,
}

impl TargetIndex {
    pub(super) fn new(target: Target) -> Self {
        TargetIndex {
            target,
            scanned: Vec::new(),
            entries: EntryList::default(),
            out_of_order: 0,
            senders: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Every message, valid or not, sorted by `SendTime` (file order, then position, breaks
    /// ties); a message whose `SendTime` cannot be read sorts at its place in its file
    /// (`placement`).
    pub fn entries(&self) -> &EntryList {
        &self.entries
    }

    /// How many valid messages came after a later one in the files (and were moved by sorting).
    pub fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    /// How many distinct senders its valid messages have.
    pub fn sender_count(&self) -> usize {
        self.senders.len()
    }

    /// Valid messages.
    pub fn valid_count(&self) -> usize {
        self.entries.iter().filter(|e| e.is_valid()).count()
    }

    /// The `SendTime` of each valid message, in order.
    pub fn valid_times(&self) -> impl Iterator<Item = i64> + '_ {
        self.entries
            .iter()
            .filter(IndexEntry::is_valid)
            .map(|e| e.send_time())
    }

    /// Every message in order: the `SendTime` of a valid one, `None` for an invalid one.
    pub fn order_times(&self) -> impl Iterator<Item = Option<i64>> + '_ {
        self.entries
            .iter()
            .map(|e| e.is_valid().then(|| e.send_time()))
    }

    /// `SendTime` of the first and last valid message.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let mut valid = self.entries.iter().filter(IndexEntry::is_valid);
        let first = valid.next()?.send_time();
        let last = valid.last().map_or(first, |e| e.send_time());
        Some((first, last))
    }

    /// Indices (into [`Staging::problems`]) of the problems that apply to every message of the
    /// target.
    pub fn target_problems(&self) -> &[usize] {
        &self.problems
    }

    /// How many seconds hold more than `batch_size` valid messages (they must be split across
    /// requests).
    pub fn crowded_seconds(&self, batch_size: usize) -> usize {
        let mut crowded = 0;
        let mut run: Option<(i64, usize)> = None;
        for time in self.valid_times() {
            run = match run {
                Some((t, n)) if t == time => Some((t, n + 1)),
                _ => {
                    crowded += usize::from(run.is_some_and(|(_, n)| n > batch_size));
                    Some((time, 1))
                }
            };
        }
        crowded + usize::from(run.is_some_and(|(_, n)| n > batch_size))
    }
}

/// A scanned staging directory (or file).
#[derive(Debug)]
pub struct Staging {
    pub(super) root: PathBuf,
    pub(super) files: Vec<StagedFile>,
    pub(super) targets: Vec<TargetIndex>,
    /// The listed problems, in file order.
    pub(super) problems: Vec<Problem>,
    /// `(file, offset, problem index)` of every listed problem about one message, sorted.
    pub(super) message_problems: Vec<(u32, u64, usize)>,
    /// Every problem, counted per target (`None`: about no target).
    pub(super) counts: BTreeMap<Option<Target>, KindCounts>,
    /// Problems counted but not listed.
    pub(super) unlisted: usize,
    pub(super) senders: Vec<Sender>,
    pub(super) items: Vec<Vec<(u64, u32)>>,
    pub(super) options: ScanOptions,
    pub(super) migration: Migration,
}

impl Staging {
    pub(super) fn build(root: PathBuf, collected: Collected, options: ScanOptions) -> Staging {
        let Collected {
            files,
            mut targets,
            mut problems,
            senders,
            items,
            mut migration,
        } = collected;
        for t in &mut targets {
            // Still in file order here: a message whose time cannot be read takes its place's.
            for p in placement::place_unreadable(&mut t.scanned, &files, &t.target) {
                problems.add(p, Scope::Other);
            }
            t.scanned.sort_unstable_by_key(IndexEntry::order_key);
        }
        let mut staging = Staging {
            root,
            files,
            targets,
            problems: Vec::new(),
            message_problems: Vec::new(),
            counts: BTreeMap::new(),
            unlisted: 0,
            senders,
            items,
            options,
            migration: Migration::default(),
        };
        for (p, scope) in cross_checks::duplicates(&mut staging) {
            problems.add(p, scope);
        }
        for t in &mut staging.targets {
            t.entries = EntryList::pack(&std::mem::take(&mut t.scanned));
        }
        staging.targets.sort_by(|a, b| a.target.cmp(&b.target));
        migration.index();
        for p in migration::cross::check(&staging, &migration) {
            problems.add(p, Scope::Other);
        }
        staging.migration = migration;
        staging.set_problems(problems);
        staging
    }

    fn set_problems(&mut self, log: ProblemLog) {
        self.counts = log.counts;
        self.unlisted = log.unlisted;
        let mut problems = log.listed;
        let file_order = |p: &Problem| {
            self.files
                .binary_search_by(|f| f.path.as_ref().cmp(p.file.as_ref()))
                .map_or(0, |i| i + 1)
        };
        problems.sort_by_cached_key(|(p, _)| (file_order(p), p.line, p.offset));
        for t in &mut self.targets {
            t.problems.clear();
        }
        self.message_problems.clear();
        for (i, (p, scope)) in problems.iter().enumerate() {
            match *scope {
                Scope::Message(file, offset) => self.message_problems.push((file, offset, i)),
                Scope::Target => {
                    if let Some(t) = p.target.as_ref().and_then(|t| self.target_position(t)) {
                        self.targets[t].problems.push(i);
                    }
                }
                Scope::Other => {}
            }
        }
        self.message_problems.sort_unstable();
        self.problems = problems.into_iter().map(|(p, _)| p).collect();
    }

    fn target_position(&self, target: &Target) -> Option<usize> {
        self.targets.binary_search_by(|t| t.target.cmp(target)).ok()
    }

    /// False when a problem of the target itself (its group or topic id) is an error: then none
    /// of its messages can be sent.
    pub fn target_is_sendable(&self, t: &TargetIndex) -> bool {
        t.problems.iter().all(|&i| !self.problems[i].is_error())
    }

    /// The directory scanned (for a single file: the file).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The files, sorted by path; an entry's [`IndexEntry::file`] indexes this.
    pub fn files(&self) -> &[StagedFile] {
        &self.files
    }

    /// Every target, sorted by group then topic.
    pub fn targets(&self) -> &[TargetIndex] {
        &self.targets
    }

    /// One target.
    pub fn target(&self, target: &Target) -> Option<&TargetIndex> {
        self.target_position(target).map(|i| &self.targets[i])
    }

    /// The targets of one group: the group itself and each of its topics.
    pub fn group_targets(&self, group: &str) -> impl Iterator<Item = &TargetIndex> {
        self.targets
            .iter()
            .filter(move |t| t.target.group() == group)
    }

    /// The listed problems, in file order: all of them, or the first
    /// [`ScanOptions::max_listed_problems`] (see [`Staging::unlisted_problems`]).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// How many problems were counted but not listed.
    pub fn unlisted_problems(&self) -> usize {
        self.unlisted
    }

    /// Every problem (listed or not) about a target's messages, or with `None` about no target,
    /// counted by kind.
    pub fn problem_counts(&self, target: Option<&Target>) -> Option<&KindCounts> {
        self.counts.get(&target.cloned())
    }

    /// How many problems of a severity were found, listed or not.
    pub fn count(&self, severity: Severity) -> usize {
        self.counts
            .values()
            .flat_map(|kinds| kinds.values())
            .map(|c| match severity {
                Severity::Error => c.errors,
                Severity::Warning => c.warnings,
            })
            .sum()
    }

    /// True when nothing has an error (warnings allowed).
    pub fn is_importable(&self) -> bool {
        self.count(Severity::Error) == 0
    }

    /// Every distinct sender of a valid message.
    pub fn senders(&self) -> &[Sender] {
        &self.senders
    }

    /// The senders of one target.
    pub fn target_senders<'a>(&'a self, t: &'a TargetIndex) -> impl Iterator<Item = &'a Sender> {
        t.senders.iter().map(|&i| &self.senders[i as usize])
    }

    /// The accounts and groups `accounts.jsonl` and `groups.jsonl` stage.
    pub fn migration(&self) -> &Migration {
        &self.migration
    }

    /// The options of the scan.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// Where an entry's message is.
    pub fn source_of(&self, entry: &IndexEntry) -> SourceRef {
        let file = entry.file() as usize;
        let item = self.items[file]
            .binary_search_by_key(&entry.offset(), |&(offset, _)| offset)
            .map_or(0, |i| self.items[file][i].1);
        SourceRef {
            file: self.files[file].path.clone(),
            line: entry.line(),
            offset: entry.offset(),
            item,
        }
    }

    /// The problems about one message (not those of its target).
    pub fn problems_of(&self, entry: &IndexEntry) -> impl Iterator<Item = &Problem> {
        let key = entry.key();
        let start = self
            .message_problems
            .partition_point(|&(f, o, _)| (f, o) < key);
        self.message_problems[start..]
            .iter()
            .take_while(move |&&(f, o, _)| (f, o) == key)
            .map(|&(_, _, i)| &self.problems[i])
    }
}
