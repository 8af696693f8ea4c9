//! The group sequence numbers a lane has seen lately, and whose they are: an answer that gives a
//! message a sequence number another message already holds means the service took it for a
//! repeat of that one (the same `Random` within five minutes) and stored nothing.
//!
//! Bounded: the service only de-duplicates within five minutes, so only recent landings matter;
//! the oldest are forgotten past [`KEPT`].

use std::collections::{HashMap, VecDeque};

use crate::engine::events::SourceRef;

/// Sequence numbers remembered per lane (a lane lands at most about 140 messages a second, so
/// this covers well over five minutes).
pub const KEPT: usize = 60_000;

/// Recent sequence numbers and the messages that hold them.
#[derive(Debug, Default)]
pub struct RecentSeqs {
    owners: HashMap<u64, SourceRef>,
    order: VecDeque<u64>,
}

impl RecentSeqs {
    /// Gives `seq` to `source`; when another message already holds it, returns that message.
    pub fn claim(&mut self, seq: u64, source: &SourceRef) -> Result<(), SourceRef> {
        if seq == 0 {
            return Ok(());
        }
        match self.owners.get(&seq) {
            Some(owner) if owner != source => Err(owner.clone()),
            Some(_) => Ok(()),
            None => {
                self.owners.insert(seq, source.clone());
                self.order.push_back(seq);
                if self.order.len() > KEPT {
                    if let Some(old) = self.order.pop_front() {
                        self.owners.remove(&old);
                    }
                }
                Ok(())
            }
        }
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
        assert_eq!(seqs.claim(7, &b), Err(a.clone()));
        assert_eq!(seqs.claim(0, &b), Ok(()), "0 is no sequence number");
        assert_eq!(seqs.claim(0, &a), Ok(()));
    }

    #[test]
    fn only_the_latest_are_kept() {
        let mut seqs = RecentSeqs::default();
        let a = source("g.jsonl", 1);
        for seq in 1..=(KEPT as u64 + 1) {
            seqs.claim(seq, &a).unwrap();
        }
        assert_eq!(seqs.owners.len(), KEPT);
        assert_eq!(
            seqs.claim(1, &source("g.jsonl", 2)),
            Ok(()),
            "seq 1 was forgotten"
        );
    }
}
