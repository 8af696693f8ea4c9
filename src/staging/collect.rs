//! What the scan accumulates while files stream past: one index entry per message in its
//! target's list, the problems with what they concern, per-target statistics and the senders.
//! Messages of a request body wait until the body ends, because its `GroupId` may come last.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::entry::{Flags, IndexEntry};
use super::json_file::{BodyFields, Element};
use super::lines::Line;
use super::message::{CheckedMessage, Framing, check_message};
use super::migration::Migration;
use super::options::ScanOptions;
use super::problem::{Finding, Place, Problem, ProblemKind};
use super::problem_log::{ProblemLog, Scope};
use super::target::Target;
use super::{StagedFile, TargetIndex};

/// A fast hasher for the scan's maps, which are hit once per message (sender, target). Keys
/// come from staged files, not from an adversary, so SipHash's protection is not needed.
#[derive(Default)]
pub(super) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

/// A message's place in its file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Loc {
    pub file: u32,
    pub offset: u64,
    pub line: u32,
    pub len: u64,
}

/// A sender seen in valid messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The UserID.
    pub name: Box<str>,
    /// File id of its first message.
    pub file: u32,
    /// Line of its first message.
    pub line: u32,
    /// Byte offset of its first message.
    pub offset: u64,
    /// How many valid messages it sent.
    pub messages: u64,
}

/// Everything the scan found, before sorting and the cross-message checks.
pub(super) struct Collected {
    pub files: Vec<StagedFile>,
    pub targets: Vec<TargetIndex>,
    pub problems: ProblemLog,
    pub senders: Vec<Sender>,
    pub items: Vec<Vec<(u64, u32)>>,
    pub migration: Migration,
}

struct Pending {
    loc: Loc,
    checked: Option<CheckedMessage>,
}

pub(super) struct Collector<'o> {
    opts: &'o ScanOptions,
    files: Vec<StagedFile>,
    problems: ProblemLog,
    target_ids: FastMap<Target, u32>,
    targets: Vec<TargetIndex>,
    target_senders: Vec<FastSet<u32>>,
    max_seen: Vec<u32>,
    sender_ids: FastMap<Box<str>, u32>,
    senders: Vec<Sender>,
    items: Vec<Vec<(u64, u32)>>,
    pending: Vec<Pending>,
    /// What `accounts.jsonl` and `groups.jsonl` stage.
    pub migration: Migration,
}

impl<'o> Collector<'o> {
    pub fn new(opts: &'o ScanOptions) -> Self {
        Collector {
            opts,
            files: Vec::new(),
            problems: ProblemLog::new(opts.max_listed_problems),
            target_ids: FastMap::default(),
            targets: Vec::new(),
            target_senders: Vec::new(),
            max_seen: Vec::new(),
            sender_ids: FastMap::default(),
            senders: Vec::new(),
            items: Vec::new(),
            pending: Vec::new(),
            migration: Migration::default(),
        }
    }

    /// Registers a file; returns its id.
    pub fn add_file(&mut self, file: StagedFile) -> u32 {
        self.files.push(file);
        self.items.push(Vec::new());
        (self.files.len() - 1) as u32
    }

    /// Messages indexed so far, in every file.
    pub fn messages(&self) -> u64 {
        self.files.iter().map(|f| f.messages).sum()
    }

    pub fn file_mut(&mut self, id: u32) -> &mut StagedFile {
        &mut self.files[id as usize]
    }

    fn place(&self, file: u32, offset: u64, line: u32) -> Place {
        Place {
            file: self.path(file),
            line,
            offset,
        }
    }

    fn path(&self, file: u32) -> Arc<str> {
        self.files
            .get(file as usize)
            .map_or_else(|| Arc::from(""), |f| f.path.clone())
    }

    /// The options of the scan.
    pub fn options(&self) -> &ScanOptions {
        self.opts
    }

    /// A file's place `(offset, line)`, for migration lines.
    pub fn place_in(&self, file: u32, offset: u64, line: u32) -> Place {
        self.place(file, offset, line)
    }

    /// A problem about something other than one message.
    pub fn problem(&mut self, place: Place, finding: Finding, target: Option<&Target>) {
        self.problems.add(finding.at(&place, target), Scope::Other);
    }

    /// A problem about a file as a whole (line 0) or a place in it.
    pub fn file_problem(&mut self, file: u32, finding: Finding, offset: u64, line: u32) {
        let place = self.place(file, offset, line);
        self.problem(place, finding, None);
    }

    /// One `.jsonl` line (its bytes, unless it was too long).
    pub fn line(&mut self, file: u32, line: &Line, bytes: Option<&[u8]>) {
        let loc = Loc {
            file,
            offset: line.offset,
            line: line.number,
            len: line.len,
        };
        let checked = bytes.map(|b| check_message(b, Framing::Line, self.opts));
        self.add(loc, checked, None);
    }

    /// One message element of a `.json` file.
    pub fn element(&mut self, file: u32, el: &Element<'_>) {
        let loc = Loc {
            file,
            offset: el.offset,
            line: el.line,
            len: el.len,
        };
        self.items[file as usize].push((el.offset, el.item));
        let checked = el.bytes.map(|b| check_message(b, el.framing, self.opts));
        if el.framing == Framing::BodyItem {
            self.pending.push(Pending { loc, checked });
        } else {
            self.add(loc, checked, None);
        }
    }

    /// A request body ended: its fields decide the target of the messages waiting for it.
    pub fn body_end(&mut self, file: u32, body: BodyFields) {
        let place = self.place(file, body.offset, body.line);
        let stem = self.files[file as usize].target.clone();
        let resolved = body.resolve(&stem);
        let invalid = resolved.is_invalid();
        for f in resolved.findings {
            self.problem(place.clone(), f, Some(&resolved.target));
        }
        let because = invalid.then(|| {
            body_invalid(&format!(
                "the request body at line {} has errors in its own fields (see there)",
                place.line
            ))
        });
        let flags = if resolved.recent_contact {
            Flags::RECENT_CONTACT
        } else {
            Flags::default()
        };
        for p in std::mem::take(&mut self.pending) {
            self.add(
                p.loc,
                p.checked,
                Some((&resolved.target, flags, because.clone())),
            );
        }
    }

    /// The file broke off inside a body: its messages cannot be placed.
    pub fn abort_body(&mut self, file: u32, at_line: u32) {
        if self.pending.is_empty() {
            return;
        }
        let stem = self.files[file as usize].target.clone();
        let because = body_invalid(&format!(
            "the request body holding this message is cut short by broken JSON at line {at_line}, so its GroupId is unknown"
        ));
        for p in std::mem::take(&mut self.pending) {
            self.add(
                p.loc,
                p.checked,
                Some((&stem, Flags::default(), Some(because.clone()))),
            );
        }
    }

    fn target_id(&mut self, target: &Target, loc: Loc) -> u32 {
        if let Some(&id) = self.target_ids.get(target) {
            return id;
        }
        let place = &self.place(loc.file, loc.offset, loc.line);
        let id = self.targets.len() as u32;
        self.target_ids.insert(target.clone(), id);
        self.targets.push(TargetIndex::new(target.clone()));
        self.target_senders.push(FastSet::default());
        self.max_seen.push(0);
        for f in target.check() {
            self.problems.add(f.at(place, Some(target)), Scope::Target);
        }
        id
    }

    fn sender_id(&mut self, name: &str, loc: &Loc) -> u32 {
        if let Some(&id) = self.sender_ids.get(name) {
            self.senders[id as usize].messages += 1;
            return id;
        }
        let id = self.senders.len() as u32;
        self.sender_ids.insert(name.into(), id);
        self.senders.push(Sender {
            name: name.into(),
            file: loc.file,
            line: loc.line,
            offset: loc.offset,
            messages: 1,
        });
        id
    }

    fn add(
        &mut self,
        loc: Loc,
        checked: Option<CheckedMessage>,
        body: Option<(&Target, Flags, Option<Finding>)>,
    ) {
        let (target, mut flags, extra) = match body {
            Some((target, flags, extra)) => (target.clone(), flags, extra),
            None => {
                let stem = &self.files[loc.file as usize].target;
                let c = checked.as_ref();
                let target = stem.overridden(
                    c.and_then(|c| c.group.as_deref()),
                    c.and_then(|c| c.topic.as_deref()),
                );
                (target, Flags::default(), None)
            }
        };
        let tid = self.target_id(&target, loc);
        let (mut findings, send_time, msg, error_line) = match checked {
            Some(c) => (c.findings, c.send_time, c.msg, c.error_line),
            None => {
                flags = flags.with(Flags::TOO_LONG);
                (vec![too_long(Some(loc.len), self.opts)], None, None, 1)
            }
        };
        findings.extend(extra);
        let msg = msg.filter(|_| !findings.iter().any(Finding::is_error));
        if msg.is_none() {
            flags = flags.with(Flags::INVALID);
        }
        if !findings.is_empty() {
            let place = self.place(loc.file, loc.offset, loc.line);
            let problems = message_problems(&place, &target, findings, error_line);
            self.problems
                .add_together(problems, Scope::Message(loc.file, loc.offset));
        }
        let Some(entry) = IndexEntry::new(loc.file, loc.offset, loc.line, send_time, flags) else {
            // The scan refuses files past the index's limits before reading them.
            return;
        };
        self.files[loc.file as usize].messages += 1;
        let t = tid as usize;
        if let Some(msg) = msg {
            let time = u32::try_from(msg.send_time).unwrap_or(0);
            if time < self.max_seen[t] {
                self.targets[t].out_of_order += 1;
            } else {
                self.max_seen[t] = time;
            }
            let sender = self.sender_id(&msg.from_account, &loc);
            self.target_senders[t].insert(sender);
        }
        self.targets[t].scanned.push(entry);
    }

    pub fn finish(mut self) -> Collected {
        for (t, senders) in self.targets.iter_mut().zip(self.target_senders) {
            let mut ids: Vec<u32> = senders.into_iter().collect();
            ids.sort_unstable();
            t.senders = ids;
        }
        Collected {
            files: self.files,
            targets: self.targets,
            problems: self.problems,
            senders: self.senders,
            items: self.items,
            migration: self.migration,
        }
    }
}

/// A message's findings as problems at its place; a JSON error sits at the line inside the
/// message where parsing stopped.
pub(super) fn message_problems(
    place: &Place,
    target: &Target,
    findings: Vec<Finding>,
    error_line: usize,
) -> Vec<Problem> {
    findings
        .into_iter()
        .map(|f| {
            let mut at = place.clone();
            if f.kind == ProblemKind::InvalidJson {
                at.line = place
                    .line
                    .saturating_add(error_line.saturating_sub(1) as u32);
            }
            f.at(&at, Some(target))
        })
        .collect()
}

/// A message too long to read (`len` when known).
pub(super) fn too_long(len: Option<u64>, opts: &ScanOptions) -> Finding {
    let size = len.map_or_else(
        || "longer than that".to_owned(),
        |n| format!("{n} bytes long"),
    );
    Finding::error(
        ProblemKind::TooLong,
        None,
        format!(
            "this message is {size} in the file; timport reads at most {} bytes of one message (messages may be at most {} bytes as sent): it is not read",
            opts.read_cap(),
            opts.max_message_bytes
        ),
    )
}

/// A message that cannot be sent because of its request body.
pub(super) fn body_invalid(why: &str) -> Finding {
    Finding::error(
        ProblemKind::BodyInvalid,
        None,
        format!("{why}, so this message cannot be sent"),
    )
}
