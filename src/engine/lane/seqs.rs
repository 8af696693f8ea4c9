//! The group sequence numbers a lane has seen lately, and whose they are: an answer that gives a
//! message a sequence number another message already holds means the service took it for a
//! repeat of that one (the same `Random` within five minutes) and stored nothing.
//!
//! Bounded, in memory, small: the last [`KEPT`] landings, 24 bytes each, sorted by sequence
//! number (the service numbers a group's messages upwards, so a landing almost always goes at the
//! end). Forgetting the oldest is safe: a message new to the service always gets a number higher
//! than any before it, so only a repeat can come back with an old one, and repeats come from the
//! last five minutes (the planner already gives every message of a target its own `Random`, so a
//! repeat takes a message that someone else imported, or an edit that reuses a `Random`).

use std::collections::VecDeque;
use std::sync::Arc;

use crate::engine::events::SourceRef;

/// Landings remembered per lane (under 100 kB).
pub const KEPT: usize = 4_096;

/// One landing: the number and the message that holds it (`file` indexes the lane's files).
#[derive(Debug, Clone, Copy)]
struct Landing {
    seq: u64,
    offset: u64,
    file: u32,
    line: u32,
}

/// Recent sequence numbers and the messages that hold them.
#[derive(Debug, Default)]
pub struct RecentSeqs {
    landings: VecDeque<Landing>,
    /// The staged files named by landings (a lane's group lives in one or a few).
    files: Vec<Arc<str>>,
}

impl RecentSeqs {
    /// Gives `seq` to `source`; when another message already holds it, returns that message
    /// (its file and line).
    pub fn claim(&mut self, seq: u64, source: &SourceRef) -> Result<(), (Arc<str>, u32)> {
        if seq == 0 {
            return Ok(());
        }
        match self.landings.binary_search_by_key(&seq, |l| l.seq) {
            Ok(at) => {
                let held = self.landings[at];
                let file = self
                    .files
                    .get(held.file as usize)
                    .cloned()
                    .unwrap_or_default();
                // A message is its file and byte offset.
                if held.offset == source.offset && file == source.file {
                    Ok(())
                } else {
                    Err((file, held.line))
                }
            }
            Err(at) => {
                let landing = Landing {
                    seq,
                    offset: source.offset,
                    file: self.file_id(&source.file),
                    line: source.line,
                };
                self.landings.insert(at, landing);
                if self.landings.len() > KEPT {
                    self.landings.pop_front();
                }
                Ok(())
            }
        }
    }

    fn file_id(&mut self, file: &Arc<str>) -> u32 {
        let at = match self.files.iter().rposition(|f| f == file) {
            Some(at) => at,
            None => {
                self.files.push(Arc::clone(file));
                self.files.len() - 1
            }
        };
        u32::try_from(at).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::source;

    #[test]
    fn a_sequence_number_given_twice_reveals_a_repeat() {
        let mut seqs = RecentSeqs::default();
        let (a, b) = (source("g.jsonl", 1), source("g.jsonl", 2));
        assert_eq!(seqs.claim(7, &a), Ok(()));
        assert_eq!(seqs.claim(7, &a), Ok(()), "the same message again is fine");
        assert_eq!(seqs.claim(7, &b), Err((a.file.clone(), a.line)));
        assert_eq!(seqs.claim(0, &b), Ok(()), "0 is no sequence number");
        assert_eq!(seqs.claim(0, &a), Ok(()));
        let other_file = source("h.jsonl", 1);
        assert_eq!(other_file.offset, a.offset);
        assert_eq!(seqs.claim(7, &other_file), Err((a.file.clone(), a.line)));
    }

    #[test]
    fn numbers_out_of_order_are_found_too() {
        let mut seqs = RecentSeqs::default();
        let (a, b, c) = (
            source("g.jsonl", 1),
            source("g.jsonl", 2),
            source("g.jsonl", 3),
        );
        seqs.claim(10, &a).unwrap();
        seqs.claim(30, &c).unwrap();
        seqs.claim(20, &b).unwrap();
        assert_eq!(seqs.claim(20, &a), Err((b.file.clone(), b.line)));
        assert_eq!(seqs.claim(10, &c), Err((a.file.clone(), a.line)));
        assert_eq!(seqs.claim(30, &c), Ok(()));
    }

    #[test]
    fn only_the_latest_landings_are_kept() {
        let (a, b) = (source("g.jsonl", 1), source("g.jsonl", 2));
        let mut seqs = RecentSeqs::default();
        for seq in 1..=(KEPT as u64 + 1) {
            seqs.claim(seq, &a).unwrap();
        }
        assert_eq!(seqs.landings.len(), KEPT);
        assert_eq!(seqs.files.len(), 1, "one file, named once");
        assert_eq!(seqs.claim(1, &b), Ok(()), "seq 1 was forgotten");
        assert_eq!(
            seqs.claim(KEPT as u64 + 1, &b),
            Err((a.file.clone(), a.line))
        );
        assert!(std::mem::size_of::<Landing>() <= 24);
    }
}
