//! A target's sorted index entries, packed: what a scan keeps for the rest of its life.
//!
//! Each block of [`BLOCK`] entries starts with one entry in full; every later entry of the block
//! is the difference from the one before, each of its three words as a zigzag LEB128 varint.
//! Sorted by time, a group staged in one file moves by a second or less, a line and a few
//! hundred bytes from one message to the next: about 4 bytes a message instead of 16, which is
//! what keeps a 1 GB staging directory's index (millions of messages) small for a whole run.
//! Messages far apart in their files cost more (at most 20 bytes, rarely reached).
//!
//! Reading is sequential from a block's start, so [`EntryList::range`] costs at most a block of
//! skipped entries; nothing here ever needs a message's neighbours to be close, only the size
//! does.

use std::ops::Range;

use super::entry::IndexEntry;

/// Entries per block: a random access decodes at most this many.
pub const BLOCK: usize = 64;

/// Packed, sorted entries of one target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryList {
    data: Vec<u8>,
    /// Byte offset in `data` where each block starts.
    blocks: Vec<usize>,
    len: usize,
}

impl EntryList {
    /// Packs `entries`, keeping their order.
    pub fn pack(entries: &[IndexEntry]) -> EntryList {
        let mut data = Vec::new();
        let mut blocks = Vec::with_capacity(entries.len().div_ceil(BLOCK));
        let mut prev = (0, 0, 0);
        for (i, entry) in entries.iter().enumerate() {
            let (pos, time, line) = entry.words();
            if i % BLOCK == 0 {
                blocks.push(data.len());
                put(&mut data, pos);
                put(&mut data, u64::from(time));
                put(&mut data, u64::from(line));
            } else {
                put(&mut data, zigzag(pos.wrapping_sub(prev.0) as i64));
                put(&mut data, zigzag(i64::from(time) - i64::from(prev.1)));
                put(&mut data, zigzag(i64::from(line) - i64::from(prev.2)));
            }
            prev = (pos, time, line);
        }
        data.shrink_to_fit();
        EntryList {
            data,
            blocks,
            len: entries.len(),
        }
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every entry, in order.
    pub fn iter(&self) -> Iter<'_> {
        self.range(0..self.len)
    }

    /// The entries at positions `range` (clamped to the list).
    pub fn range(&self, range: Range<usize>) -> Iter<'_> {
        let end = range.end.min(self.len);
        let start = range.start.min(end);
        let block = start / BLOCK;
        let mut iter = Iter {
            data: &self.data,
            at: self.blocks.get(block).copied().unwrap_or(self.data.len()),
            index: block * BLOCK,
            end,
            prev: (0, 0, 0),
        };
        for _ in iter.index..start {
            iter.next();
        }
        iter
    }

    /// The entry at position `i`.
    pub fn get(&self, i: usize) -> Option<IndexEntry> {
        self.range(i..i.saturating_add(1)).next()
    }

    /// The first entry.
    pub fn first(&self) -> Option<IndexEntry> {
        self.get(0)
    }

    /// Bytes held on the heap (for benchmarks and the memory tests).
    pub fn heap_bytes(&self) -> usize {
        self.data.capacity() + self.blocks.capacity() * std::mem::size_of::<usize>()
    }
}

impl<'a> IntoIterator for &'a EntryList {
    type Item = IndexEntry;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Entries of an [`EntryList`], decoded one at a time.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    data: &'a [u8],
    at: usize,
    index: usize,
    end: usize,
    prev: (u64, u32, u32),
}

impl Iter<'_> {
    fn word(&mut self) -> Option<u64> {
        let (value, used) = get(self.data.get(self.at..)?)?;
        self.at += used;
        Some(value)
    }
}

impl Iterator for Iter<'_> {
    type Item = IndexEntry;

    fn next(&mut self) -> Option<IndexEntry> {
        if self.index >= self.end {
            return None;
        }
        let (a, b, c) = (self.word()?, self.word()?, self.word()?);
        let words = if self.index % BLOCK == 0 {
            (a, u32::try_from(b).ok()?, u32::try_from(c).ok()?)
        } else {
            let (pos, time, line) = self.prev;
            (
                pos.wrapping_add(unzigzag(a) as u64),
                u32::try_from(i64::from(time) + unzigzag(b)).ok()?,
                u32::try_from(i64::from(line) + unzigzag(c)).ok()?,
            )
        };
        self.prev = words;
        self.index += 1;
        Some(IndexEntry::from_words(words))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.end.saturating_sub(self.index);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends `v` as LEB128: seven bits a byte, low first, the high bit set on all but the last.
fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The LEB128 value at the start of `bytes`, and how many bytes it took.
fn get(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::entry::{Flags, MAX_FILES, MAX_OFFSET};
    use proptest::prelude::*;

    fn entry(file: u32, offset: u64, line: u32, time: i64, flags: u8) -> IndexEntry {
        let mut f = Flags::default();
        for (bit, flag) in [
            Flags::INVALID,
            Flags::TOO_LONG,
            Flags::DUPLICATE,
            Flags::RECENT_CONTACT,
        ]
        .into_iter()
        .enumerate()
        {
            if flags & (1 << bit) != 0 {
                f = f.with(flag);
            }
        }
        IndexEntry::new(file, offset, line, Some(time), f).unwrap()
    }

    /// A group staged in one file, in order: about 300 bytes and a line apart.
    fn one_file(n: usize) -> Vec<IndexEntry> {
        (0..n)
            .map(|i| {
                entry(
                    0,
                    i as u64 * 300,
                    i as u32 + 1,
                    1_600_000_000 + i as i64 / 3,
                    0,
                )
            })
            .collect()
    }

    #[test]
    fn a_group_in_order_costs_a_few_bytes_a_message() {
        let entries = one_file(100_000);
        let list = EntryList::pack(&entries);
        assert_eq!(list.len(), entries.len());
        assert!(
            list.heap_bytes() < entries.len() * 5,
            "{} bytes for {} messages",
            list.heap_bytes(),
            entries.len()
        );
        assert!(list.iter().eq(entries.iter().copied()));
    }

    #[test]
    fn ranges_and_single_entries_start_anywhere() {
        let entries = one_file(3 * BLOCK + 5);
        let list = EntryList::pack(&entries);
        for (a, b) in [(0, 0), (0, 1), (63, 65), (64, 64), (100, 197), (190, 500)] {
            let want: Vec<IndexEntry> =
                entries[a.min(entries.len())..b.min(entries.len())].to_vec();
            assert_eq!(list.range(a..b).collect::<Vec<_>>(), want, "{a}..{b}");
            assert_eq!(list.range(a..b).len(), want.len());
        }
        assert_eq!(list.get(130), Some(entries[130]));
        assert_eq!(list.get(entries.len()), None);
        assert_eq!(list.first(), Some(entries[0]));
        assert_eq!(EntryList::pack(&[]).first(), None);
        assert!(EntryList::pack(&[]).is_empty());
    }

    #[test]
    fn extremes_survive_packing() {
        let far = entry(
            (MAX_FILES - 1) as u32,
            MAX_OFFSET,
            u32::MAX,
            i64::from(u32::MAX),
            15,
        );
        let near = entry(0, 0, 1, 0, 0);
        let entries = [near, far, near, far, far, near];
        let list = EntryList::pack(&entries);
        assert!(list.iter().eq(entries.iter().copied()));
    }

    proptest! {
        #[test]
        fn packing_keeps_every_entry_in_order(
            raw in prop::collection::vec(
                (0..MAX_FILES as u32, 0..=MAX_OFFSET, any::<u32>(), 0..=i64::from(u32::MAX), 0u8..16),
                0..300,
            ),
            from in 0usize..320,
            len in 0usize..320,
        ) {
            let entries: Vec<IndexEntry> = raw
                .into_iter()
                .map(|(f, o, l, t, fl)| entry(f, o, l, t, fl))
                .collect();
            let list = EntryList::pack(&entries);
            prop_assert!(list.iter().eq(entries.iter().copied()));
            let end = (from + len).min(entries.len());
            let start = from.min(end);
            prop_assert!(list.range(from..from + len).eq(entries[start..end].iter().copied()));
        }
    }
}
