//! The `Random`s a target has used so far: a set of `u32` that grows by every message planned,
//! so for a group of millions it must stay near 4 bytes a value (a hash set takes 10 or more, and
//! twice that while it grows).
//!
//! Values go first into a small hash set; when that holds `RECENT` values, they are merged
//! into one sorted vector, in place from the back (the vector grows by exactly the values
//! added, never copied whole). Looking up is a binary search plus a hash probe.

use std::collections::HashSet;

/// Values held in the hash set before they are merged into the sorted vector.
const RECENT: usize = 1 << 14;

/// A set of `Random`s.
#[derive(Debug, Clone)]
pub struct RandomSet {
    sorted: Vec<u32>,
    recent: HashSet<u32>,
    recent_max: usize,
}

impl Default for RandomSet {
    fn default() -> Self {
        RandomSet {
            sorted: Vec::new(),
            recent: HashSet::new(),
            recent_max: RECENT,
        }
    }
}

impl RandomSet {
    /// Adds `r`; false when it was already there.
    pub fn insert(&mut self, r: u32) -> bool {
        if self.sorted.binary_search(&r).is_ok() || !self.recent.insert(r) {
            return false;
        }
        if self.recent.len() >= self.recent_max {
            self.merge();
        }
        true
    }

    /// How many values.
    pub fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the recent values into the sorted vector.
    fn merge(&mut self) {
        let mut new: Vec<u32> = self.recent.drain().collect();
        new.sort_unstable();
        let old_len = self.sorted.len();
        self.sorted.reserve_exact(new.len());
        self.sorted.resize(old_len + new.len(), 0);
        // Fill from the back: the largest of the two tails goes last. Every slot written is at
        // or past both tails' ends, so nothing unread is overwritten.
        let (mut a, mut b, mut out) = (old_len, new.len(), old_len + new.len());
        while b > 0 {
            out -= 1;
            if a > 0 && self.sorted[a - 1] > new[b - 1] {
                self.sorted[out] = self.sorted[a - 1];
                a -= 1;
            } else {
                self.sorted[out] = new[b - 1];
                b -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn merging_keeps_every_value_findable_once() {
        let mut set = RandomSet::default();
        // Several merges, values interleaved with earlier ones.
        let values: Vec<u32> = (0..(RECENT as u32 * 3 + 17))
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        for &v in &values {
            assert!(set.insert(v), "{v} is new");
        }
        assert_eq!(set.len(), values.len());
        assert!(set.sorted.len() >= RECENT * 3);
        assert!(set.sorted.windows(2).all(|w| w[0] < w[1]));
        for &v in &values {
            assert!(!set.insert(v), "{v} is known");
        }
        assert_eq!(set.len(), values.len());
        assert!(set.sorted.capacity() - set.sorted.len() <= RECENT);
    }

    proptest! {
        #[test]
        fn it_answers_as_a_hash_set_does(
            values in prop::collection::vec(0u32..5_000, 0..3_000),
            recent_max in 1usize..200,
        ) {
            // Small values repeat often, and a small recent set merges often.
            let mut set = RandomSet { recent_max, ..RandomSet::default() };
            let mut want = HashSet::new();
            for v in values {
                prop_assert_eq!(set.insert(v), want.insert(v));
            }
            prop_assert_eq!(set.len(), want.len());
        }
    }
}
