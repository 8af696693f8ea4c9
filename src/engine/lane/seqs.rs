//! The group sequence numbers a lane has seen lately, and whose they are: an answer that gives a
//! message a sequence number another message already holds means the service took it for a
//! repeat of that one (the same `Random` within five minutes) and stored nothing.
//!
//! Bounded, in memory: the service only de-duplicates within five minutes, so landings older
//! than [`WINDOW`] are forgotten, and so are the oldest past [`KEPT`] (a safety net: the planner
//! already gives every message of a target its own `Random`, so a repeat takes a message that
//! someone else imported, or an edit that reuses a `Random`).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::events::SourceRef;

/// How long a landing is remembered: the service's five minutes, and a margin.
pub const WINDOW: Duration = Duration::from_secs(330);

/// Landings remembered per lane at most (about 2 MB per lane).
pub const KEPT: usize = 5_000;

/// Recent sequence numbers and the messages that hold them.
#[derive(Debug, Default)]
pub struct RecentSeqs {
    owners: HashMap<u64, SourceRef>,
    order: VecDeque<(Instant, u64)>,
}

impl RecentSeqs {
    /// Gives `seq` to `source` at `now`; when another message already holds it, returns that
    /// message.
    pub fn claim(&mut self, seq: u64, source: &SourceRef, now: Instant) -> Result<(), SourceRef> {
        if seq == 0 {
            return Ok(());
        }
        while let Some(&(at, old)) = self.order.front() {
            if now.saturating_duration_since(at) < WINDOW && self.order.len() < KEPT {
                break;
            }
            self.order.pop_front();
            self.owners.remove(&old);
        }
        match self.owners.get(&seq) {
            Some(owner) if owner != source => Err(owner.clone()),
            Some(_) => Ok(()),
            None => {
                self.owners.insert(seq, source.clone());
                self.order.push_back((now, seq));
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
        let now = Instant::now();
        let mut seqs = RecentSeqs::default();
        let (a, b) = (source("g.jsonl", 1), source("g.jsonl", 2));
        assert_eq!(seqs.claim(7, &a, now), Ok(()));
        assert_eq!(
            seqs.claim(7, &a, now),
            Ok(()),
            "the same message again is fine"
        );
        assert_eq!(seqs.claim(7, &b, now), Err(a.clone()));
        assert_eq!(seqs.claim(0, &b, now), Ok(()), "0 is no sequence number");
        assert_eq!(seqs.claim(0, &a, now), Ok(()));
    }

    #[test]
    fn only_recent_landings_are_kept() {
        let now = Instant::now();
        let (a, b) = (source("g.jsonl", 1), source("g.jsonl", 2));
        let mut seqs = RecentSeqs::default();
        for seq in 1..=(KEPT as u64 + 1) {
            seqs.claim(seq, &a, now).unwrap();
        }
        assert_eq!(seqs.owners.len(), KEPT);
        assert_eq!(seqs.claim(1, &b, now), Ok(()), "seq 1 was forgotten");
        let mut seqs = RecentSeqs::default();
        seqs.claim(5, &a, now).unwrap();
        assert_eq!(seqs.claim(5, &b, now + WINDOW / 2), Err(a.clone()));
        assert_eq!(
            seqs.claim(5, &b, now + WINDOW),
            Ok(()),
            "older than the window"
        );
    }
}
