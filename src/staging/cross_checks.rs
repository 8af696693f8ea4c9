//! The rule that compares messages with each other, run once every file has been read: exact
//! duplicates (same sender, time and body). (Staged `Random`s that repeat in a target are the
//! planner's business: it replaces the later one and says so.)

use sha2::{Digest, Sha256};

use super::entry::{Flags, IndexEntry};
use super::message::check_message;
use super::problem::{Finding, Place, Problem, ProblemKind};
use super::problem_log::Scope;
use super::reader::SpanReader;
use super::{Staging, TargetIndex};

fn place(staging: &Staging, e: &IndexEntry) -> Place {
    Place {
        file: staging.files[e.file() as usize].path.clone(),
        line: e.line(),
        offset: e.offset(),
    }
}

/// Valid messages of a target that repeat an earlier one exactly (sender, time and body, key
/// order included). Only messages sharing a second can match, so only those are read again.
pub(super) fn duplicates(staging: &mut Staging) -> Vec<(Problem, Scope)> {
    let mut targets = std::mem::take(&mut staging.targets);
    let mut out = Vec::new();
    {
        let mut reader = SpanReader::new(&staging.files, staging.options.read_cap());
        let mut buf = Vec::new();
        for t in &mut targets {
            let mut start = 0;
            while start < t.scanned.len() {
                let time = t.scanned[start].send_time();
                let end = start
                    + t.scanned[start..]
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
        let entry = t.scanned[i];
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
        let original = place(staging, &t.scanned[same[0].1]);
        for &(_, i) in &same[1..] {
            t.scanned[i].set(Flags::DUPLICATE);
            let entry = t.scanned[i];
            let finding = duplicate(Some(&original));
            out.push((
                finding.at(&place(staging, &entry), Some(&t.target)),
                Scope::Message(entry.file(), entry.offset()),
            ));
        }
    }
    out
}

/// The warning for an exact duplicate, naming the original when known.
pub(super) fn duplicate(original: Option<&Place>) -> Finding {
    let of = original.map_or_else(
        || "an earlier message of this target".to_owned(),
        |o| format!("{}:{}", crate::escape::controls(&o.file), o.line),
    );
    Finding::warning(
        ProblemKind::Duplicate,
        None,
        format!(
            "exact duplicate of {of} (same sender, time and body); both are imported unless you remove one"
        ),
    )
}
