//! Where a staged target is cut into the parts its lane reads one at a time: whole batches of
//! the whole target's plan, at least a part's worth of valid messages each but the last, with an
//! invalid message going with the part it falls in.
//!
//! One pass over the packed index and nothing per message kept: a group of millions of messages
//! costs its parts' list (a byte per batch), not a copy of its times.

use std::collections::VecDeque;
use std::ops::Range;

use crate::plan::{BatchCutter, SameSecond, Spreader};
use crate::staging::{EntryList, Flags};

/// One part: positions in the target's index, and the sizes of the batches it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Positions in the target's entries (valid and invalid).
    pub entries: Range<usize>,
    /// Messages in each of its batches, in order (each at most 7).
    pub batch_sizes: Vec<u8>,
}

/// A target cut into parts.
#[derive(Debug, Default)]
pub struct PartCut {
    /// The parts, in order.
    pub parts: VecDeque<Part>,
    /// Batches in all.
    pub batches: u64,
    /// Whether any valid message was staged with `RecentContactFlag`.
    pub recent_contact: bool,
}

impl PartCut {
    /// Cuts `entries` into parts of at least `part_messages` valid messages, in batches of
    /// `batch_size` as the planner makes them (over the times `same_second` sends them at).
    pub fn of(
        entries: &EntryList,
        batch_size: usize,
        same_second: SameSecond,
        part_messages: usize,
    ) -> PartCut {
        let mut open = OpenPart {
            part_messages: part_messages.max(1),
            ..OpenPart::default()
        };
        let mut cutter = BatchCutter::new(batch_size);
        let mut spreader = Spreader::new(same_second, batch_size);
        for (i, e) in entries.iter().enumerate() {
            if !e.is_valid() {
                spreader.barrier();
                continue;
            }
            open.cut.recent_contact |= e.flags().contains(Flags::RECENT_CONTACT);
            // The batches it closes are all before this message.
            for len in cutter.push(spreader.next(e.send_time())) {
                open.close_batch(len);
            }
            open.pending.push_back(i);
        }
        for len in cutter.finish() {
            open.close_batch(len);
        }
        let mut cut = open.cut;
        // The last part runs to the end of the list, trailing invalid messages included.
        if !open.sizes.is_empty() {
            cut.parts.push_back(Part {
                entries: open.start..entries.len(),
                batch_sizes: open.sizes,
            });
        } else if let Some(last) = cut.parts.back_mut() {
            last.entries.end = entries.len();
        } else if !entries.is_empty() {
            // Only invalid messages.
            cut.parts.push_back(Part {
                entries: 0..entries.len(),
                batch_sizes: Vec::new(),
            });
        }
        cut
    }
}

/// The cut in progress.
#[derive(Default)]
struct OpenPart {
    cut: PartCut,
    part_messages: usize,
    /// First position of the open part.
    start: usize,
    /// Its closed batches, and the messages they hold.
    sizes: Vec<u8>,
    messages: usize,
    /// Positions of the valid messages not yet in a closed batch.
    pending: VecDeque<usize>,
}

impl OpenPart {
    fn close_batch(&mut self, len: usize) {
        self.cut.batches += 1;
        let mut last = self.start;
        for _ in 0..len {
            last = self.pending.pop_front().unwrap_or(last);
        }
        // A batch holds at most 7 messages (`BatchCutter` clamps).
        self.sizes.push(u8::try_from(len).unwrap_or(u8::MAX));
        self.messages += len;
        if self.messages >= self.part_messages {
            let end = last + 1;
            self.cut.parts.push_back(Part {
                entries: self.start..end,
                batch_sizes: std::mem::take(&mut self.sizes),
            });
            self.start = end;
            self.messages = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::batch_ranges;
    use crate::staging::IndexEntry;
    use proptest::prelude::*;

    fn list(staged: &[(i64, bool)]) -> EntryList {
        let entries: Vec<IndexEntry> = staged
            .iter()
            .enumerate()
            .map(|(i, &(time, valid))| {
                let flags = if valid {
                    Flags::default()
                } else {
                    Flags::INVALID
                };
                IndexEntry::new(0, i as u64 * 10, i as u32 + 1, Some(time), flags).unwrap()
            })
            .collect();
        EntryList::pack(&entries)
    }

    #[test]
    fn parts_hold_whole_batches_and_the_last_takes_the_tail() {
        // 10 valid messages, one second each, batches of 3, parts of at least 4: batches
        // 3+3 | 3+1, and the trailing invalid message goes with the last part.
        let mut staged: Vec<(i64, bool)> = (0..10).map(|t| (t + 1, true)).collect();
        staged.insert(2, (0, false));
        staged.push((0, false));
        let cut = PartCut::of(&list(&staged), 3, SameSecond::Keep, 4);
        assert_eq!(cut.batches, 4);
        assert_eq!(
            Vec::from(cut.parts),
            [
                Part {
                    entries: 0..7,
                    batch_sizes: vec![3, 3]
                },
                Part {
                    entries: 7..12,
                    batch_sizes: vec![3, 1]
                },
            ]
        );
        assert!(!cut.recent_contact);
    }

    #[test]
    fn only_invalid_messages_make_one_part_without_batches() {
        let cut = PartCut::of(&list(&[(0, false), (0, false)]), 7, SameSecond::Keep, 250);
        assert_eq!(cut.batches, 0);
        assert_eq!(
            Vec::from(cut.parts),
            [Part {
                entries: 0..2,
                batch_sizes: vec![]
            }]
        );
        assert!(
            PartCut::of(&EntryList::default(), 7, SameSecond::Keep, 250)
                .parts
                .is_empty()
        );
    }

    proptest! {
        #[test]
        fn parts_cover_the_list_and_follow_the_plan(
            staged in prop::collection::vec((0i64..30, prop::bool::weighted(0.9)), 0..300)
                .prop_map(|mut v| { v.sort_by_key(|&(t, _)| t); v }),
            batch_size in 1usize..8,
            part_messages in 1usize..40,
            spread in any::<bool>(),
        ) {
            let entries = list(&staged);
            let policy = if spread { SameSecond::Spread } else { SameSecond::Keep };
            let cut = PartCut::of(&entries, batch_size, policy, part_messages);
            let mut spreader = Spreader::new(policy, batch_size);
            let times: Vec<i64> = staged
                .iter()
                .filter_map(|&(t, valid)| {
                    if valid {
                        Some(spreader.next(t))
                    } else {
                        spreader.barrier();
                        None
                    }
                })
                .collect();
            let want: Vec<usize> = batch_ranges(&times, batch_size).iter().map(|r| r.len()).collect();
            let got: Vec<usize> = cut.parts.iter().flat_map(|p| p.batch_sizes.iter().map(|&s| usize::from(s))).collect();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(cut.batches as usize, want.len());
            // Consecutive, from 0 to the end.
            let mut at = 0;
            for (k, part) in cut.parts.iter().enumerate() {
                prop_assert_eq!(part.entries.start, at);
                at = part.entries.end;
                let valid = staged[part.entries.clone()].iter().filter(|s| s.1).count();
                prop_assert_eq!(valid, part.batch_sizes.iter().map(|&s| usize::from(s)).sum::<usize>());
                if k + 1 < cut.parts.len() {
                    prop_assert!(valid >= part_messages);
                }
            }
            prop_assert_eq!(at, staged.len());
        }
    }
}
