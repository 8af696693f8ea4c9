//! The rules that compare messages with each other, run once every file has been read:
//! exact duplicates (same sender, time and body) and staged `Random`s that repeat in a group.

use sha2::{Digest, Sha256};

use super::collect::{Scope, StagedRandom};
use super::entry::{Flags, IndexEntry};
use super::message::check_message;
use super::problem::{Finding, Place, Problem, ProblemKind};
use super::reader::SpanReader;
use super::rules::RANDOM_REPEAT_WINDOW_SECS;
use super::{Staging, TargetIndex};

fn place(staging: &Staging, e: &IndexEntry) -> Place {
    Place {
        file: staging.files[e.file() as usize].path.clone(),
        line: e.line(),
        offset: e.offset(),
    }
}

fn find<'t>(t: &'t TargetIndex, r: &StagedRandom) -> Option<&'t IndexEntry> {
    let key = (r.send_time, r.pos);
    t.entries
        .binary_search_by_key(&key, IndexEntry::order_key)
        .ok()
        .map(|i| &t.entries[i])
}

/// A staged `Random` used again in the same group: the service drops a message whose `Random`
/// it saw in the last 5 minutes, and an import sends messages much faster than that, so any
/// repeat in a group is a risk. The planner derives a new `Random` for the later one; this warns.
pub(super) fn random_repeats(
    staging: &Staging,
    mut randoms: Vec<StagedRandom>,
) -> Vec<(Problem, Scope)> {
    let mut groups: Vec<&str> = staging.targets.iter().map(|t| t.target.group()).collect();
    groups.sort_unstable();
    groups.dedup();
    let rank = |target: u32| {
        let group = staging.targets[target as usize].target.group();
        groups.binary_search(&group).unwrap_or(0)
    };
    randoms.sort_by_cached_key(|r| (rank(r.target), r.random, r.send_time, r.pos));
    let mut out = Vec::new();
    for run in randoms.chunk_by(|a, b| rank(a.target) == rank(b.target) && a.random == b.random) {
        let first = &run[0];
        let first_target = &staging.targets[first.target as usize];
        let Some(first_entry) = find(first_target, first) else {
            continue;
        };
        let first_place = place(staging, first_entry);
        for later in &run[1..] {
            let t = &staging.targets[later.target as usize];
            let Some(entry) = find(t, later) else {
                continue;
            };
            let finding = Finding::warning(
                ProblemKind::RandomRepeat,
                Some("Random"),
                format!(
                    "Random {} is also staged at {}:{} in group {:?}; the service drops a message whose Random it saw in the last {} minutes, and an import is faster than that, so timport derives a new Random for this message (remove the field to silence this)",
                    later.random,
                    first_place.file,
                    first_place.line,
                    t.target.group(),
                    RANDOM_REPEAT_WINDOW_SECS / 60
                ),
            );
            out.push((
                finding.at(&place(staging, entry), Some(&t.target)),
                Scope::Message(entry.file(), entry.offset()),
            ));
        }
    }
    out
}

/// Valid messages of a target that repeat an earlier one exactly (sender, time and body, key
/// order included). Only messages sharing a second can match, so only those are read again.
pub(super) fn duplicates(staging: &mut Staging) -> Vec<(Problem, Scope)> {
    let mut targets = std::mem::take(&mut staging.targets);
    let mut out = Vec::new();
    {
        let mut reader = SpanReader::new(&staging.files);
        let mut buf = Vec::new();
        for t in &mut targets {
            let mut start = 0;
            while start < t.entries.len() {
                let time = t.entries[start].send_time();
                let end = start
                    + t.entries[start..]
                        .iter()
                        .take_while(|e| e.send_time() == time)
                        .count();
                if end - start > 1 && time > 0 {
                    out.extend(mark_run(staging, &mut reader, &mut buf, t, start..end));
                }
                start = end;
            }
        }
    }
    staging.targets = targets;
    out
}

fn mark_run(
    staging: &Staging,
    reader: &mut SpanReader<'_>,
    buf: &mut Vec<u8>,
    t: &mut TargetIndex,
    run: std::ops::Range<usize>,
) -> Vec<(Problem, Scope)> {
    let mut out = Vec::new();
    let mut digests: Vec<([u8; 32], usize)> = Vec::new();
    for i in run {
        let entry = t.entries[i];
        if !entry.is_valid() {
            continue;
        }
        if let Err(e) = reader.read(&entry, buf) {
            let finding = Finding::warning(
                ProblemKind::Io,
                None,
                format!("could not read this message again to look for duplicates: {e}"),
            );
            out.push((
                finding.at(&place(staging, &entry), Some(&t.target)),
                Scope::Other,
            ));
            continue;
        }
        let Some(msg) = check_message(buf, staging.framing(&entry), &staging.options).msg else {
            continue;
        };
        // Compact JSON of sender and body; the time is the run's.
        let key = serde_json::to_vec(&(&msg.from_account, &msg.msg_body)).unwrap_or_default();
        digests.push((Sha256::digest(&key).into(), i));
    }
    digests.sort_unstable();
    for same in digests.chunk_by(|a, b| a.0 == b.0) {
        let original = place(staging, &t.entries[same[0].1]);
        for &(_, i) in &same[1..] {
            t.entries[i].set(Flags::DUPLICATE);
            let entry = t.entries[i];
            let finding = Finding::warning(
                ProblemKind::Duplicate,
                None,
                format!(
                    "exact duplicate of {}:{} (same sender, time and body); both are imported unless you remove one",
                    original.file, original.line
                ),
            );
            out.push((
                finding.at(&place(staging, &entry), Some(&t.target)),
                Scope::Message(entry.file(), entry.offset()),
            ));
        }
    }
    out
}
