//! The index entry of one staged message: 16 bytes while the scan collects and sorts a target,
//! then packed to about 5 by [`EntryList`](super::entry_list::EntryList) for the rest of its
//! life, so that a staging directory of millions of messages costs megabytes, not the size of
//! its files.
//!
//! Layout: `pos: u64` = file id (20 bits) | byte offset (40 bits) | flags (4 bits), then
//! `send_time: u32` and `line: u32`. Neither the target (entries live in their target's list) nor
//! the length (the loader finds the end of the line or JSON element) is stored. Sorting by
//! `(send_time, pos)` is sorting by time with file order, then byte order, breaking ties: a total
//! order, so an unstable sort gives the stable result.

/// Files a staging directory may hold (20 bits of file id).
pub const MAX_FILES: usize = 1 << FILE_BITS;

/// Largest byte offset within a file (40 bits: 1 TiB).
pub const MAX_OFFSET: u64 = (1 << OFFSET_BITS) - 1;

const FLAG_BITS: u32 = 4;
const OFFSET_BITS: u32 = 40;
const FILE_BITS: u32 = 20;
const FLAG_MASK: u64 = (1 << FLAG_BITS) - 1;

/// Per-message flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(u8);

impl Flags {
    /// The message has at least one error and will not be sent.
    pub const INVALID: Flags = Flags(1);
    /// Longer than the read cap: never buffered, never parsed.
    pub const TOO_LONG: Flags = Flags(2);
    /// Same sender, time and body as an earlier message of the target.
    pub const DUPLICATE: Flags = Flags(4);
    /// Staged in a request body with `RecentContactFlag: 1`.
    pub const RECENT_CONTACT: Flags = Flags(8);

    /// True when every flag of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets.
    pub fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

/// Where one staged message is and the little needed to order it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pos: u64,
    send_time: u32,
    line: u32,
}

impl IndexEntry {
    /// An entry; `None` when the file id or offset does not fit (see [`MAX_FILES`], [`MAX_OFFSET`]).
    /// A `send_time` outside `u32` is stored as 0 (only invalid messages have one).
    pub fn new(
        file: u32,
        offset: u64,
        line: u32,
        send_time: Option<i64>,
        flags: Flags,
    ) -> Option<IndexEntry> {
        if file as usize >= MAX_FILES || offset > MAX_OFFSET {
            return None;
        }
        let pos = (u64::from(file) << (OFFSET_BITS + FLAG_BITS))
            | (offset << FLAG_BITS)
            | u64::from(flags.0);
        Some(IndexEntry {
            pos,
            send_time: send_time.and_then(|t| u32::try_from(t).ok()).unwrap_or(0),
            line,
        })
    }

    /// The file's id in [`Staging::files`](super::Staging::files).
    pub fn file(&self) -> u32 {
        // The top 20 bits always fit.
        (self.pos >> (OFFSET_BITS + FLAG_BITS)) as u32
    }

    /// Byte offset of the message's first byte in its file.
    pub fn offset(&self) -> u64 {
        (self.pos >> FLAG_BITS) & MAX_OFFSET
    }

    /// 1-based line where the message starts.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// `SendTime`, or 0 when the message has none usable; for an invalid message without one,
    /// once the index is built, the time of its place in its file (`placement`).
    pub fn send_time(&self) -> i64 {
        i64::from(self.send_time)
    }

    /// The flags.
    pub fn flags(&self) -> Flags {
        Flags((self.pos & FLAG_MASK) as u8)
    }

    /// True when the message can be sent (no error).
    pub fn is_valid(&self) -> bool {
        !self.flags().contains(Flags::INVALID)
    }

    /// Adds flags.
    pub fn set(&mut self, flags: Flags) {
        self.pos |= u64::from(flags.0);
    }

    /// True when the message has no usable `SendTime` (it is invalid and its time reads as 0).
    pub fn time_unreadable(&self) -> bool {
        !self.is_valid() && self.send_time == 0
    }

    /// Orders an invalid message at `time` (see `placement`); its own `SendTime` is unusable.
    pub(super) fn place_at(&mut self, time: u32) {
        self.send_time = time;
    }

    /// The sort key: time, then file, then offset.
    pub fn order_key(&self) -> (u32, u64) {
        (self.send_time, self.pos >> FLAG_BITS)
    }

    /// `(file, offset)`: unique per message.
    pub fn key(&self) -> (u32, u64) {
        (self.file(), self.offset())
    }

    /// The three stored words, for packing ([`EntryList`](super::entry_list::EntryList)).
    pub(super) fn words(&self) -> (u64, u32, u32) {
        (self.pos, self.send_time, self.line)
    }

    /// The entry whose [`words`](Self::words) these are.
    pub(super) fn from_words((pos, send_time, line): (u64, u32, u32)) -> IndexEntry {
        IndexEntry {
            pos,
            send_time,
            line,
        }
    }
}

impl std::fmt::Debug for IndexEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexEntry")
            .field("file", &self.file())
            .field("offset", &self.offset())
            .field("line", &self.line())
            .field("send_time", &self.send_time())
            .field("flags", &self.flags())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bytes_per_message() {
        assert_eq!(std::mem::size_of::<IndexEntry>(), 16);
    }

    #[test]
    fn fields_round_trip_at_their_limits() {
        let flags = Flags::INVALID.with(Flags::RECENT_CONTACT);
        let e = IndexEntry::new(
            (MAX_FILES - 1) as u32,
            MAX_OFFSET,
            u32::MAX,
            Some(i64::from(u32::MAX)),
            flags,
        )
        .unwrap();
        assert_eq!(e.file() as usize, MAX_FILES - 1);
        assert_eq!(e.offset(), MAX_OFFSET);
        assert_eq!(e.line(), u32::MAX);
        assert_eq!(e.send_time(), i64::from(u32::MAX));
        assert_eq!(e.flags(), flags);
        assert!(!e.is_valid());
        assert!(!e.flags().contains(Flags::DUPLICATE));
        assert!(IndexEntry::new(MAX_FILES as u32, 0, 1, None, Flags::default()).is_none());
        assert!(IndexEntry::new(0, MAX_OFFSET + 1, 1, None, Flags::default()).is_none());
    }

    #[test]
    fn unusable_times_become_zero_and_flags_can_be_added() {
        let mut e = IndexEntry::new(3, 100, 4, Some(-5), Flags::default()).unwrap();
        assert_eq!(e.send_time(), 0);
        assert!(e.is_valid());
        e.set(Flags::DUPLICATE);
        assert!(e.flags().contains(Flags::DUPLICATE));
        assert_eq!((e.file(), e.offset(), e.line()), (3, 100, 4));
        let far = IndexEntry::new(0, 0, 1, Some(1 << 40), Flags::default()).unwrap();
        assert_eq!(far.send_time(), 0);
    }

    #[test]
    fn order_is_time_then_file_then_offset_regardless_of_flags() {
        let a = IndexEntry::new(1, 50, 1, Some(10), Flags::INVALID).unwrap();
        let b = IndexEntry::new(0, 99, 1, Some(11), Flags::default()).unwrap();
        let c = IndexEntry::new(2, 0, 1, Some(10), Flags::default()).unwrap();
        let d = IndexEntry::new(1, 51, 1, Some(10), Flags::default()).unwrap();
        let mut v = [b, c, d, a];
        v.sort_unstable_by_key(IndexEntry::order_key);
        assert_eq!(v.map(|e| e.key()), [(1, 50), (1, 51), (2, 0), (0, 99)]);
    }
}
