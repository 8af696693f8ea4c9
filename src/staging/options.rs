//! What the reader and the rules need to know from the operator.

/// The size limit the import page gives for one message (other pages say 8,000: configurable).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 12_000;

/// The longest line or JSON element read into memory by default. Longer ones are reported and
/// skipped without being buffered.
pub const DEFAULT_MAX_READ_BYTES: usize = 1 << 20;

/// How many problems are kept with their text by default (all are counted).
pub const DEFAULT_MAX_LISTED_PROBLEMS: usize = 10_000;

/// Options for [`scan`](super::scan) and the message rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// "Now" in unix seconds: a `SendTime` later than this is in the future.
    pub now: i64,
    /// Largest message, as the compact JSON that will be sent (`--max-message-bytes`).
    pub max_message_bytes: usize,
    /// Accept element types other than the four `import_group_msg` documents, with a warning
    /// (`--allow-other-elements`).
    pub allow_other_elements: bool,
    /// Longest line (`.jsonl`) or message element (`.json`) buffered; longer ones are reported.
    /// Never less than `max_message_bytes` plus room for whitespace.
    pub max_read_bytes: usize,
    /// Problems kept with their text (`--max-problems`; 0 keeps all). Every problem is counted;
    /// [`Staging::load`](super::Staging::load) derives the problems of an unlisted message again.
    pub max_listed_problems: usize,
}

impl ScanOptions {
    /// Defaults for a scan at time `now`.
    pub fn new(now: i64) -> Self {
        ScanOptions {
            now,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            allow_other_elements: false,
            max_read_bytes: DEFAULT_MAX_READ_BYTES,
            max_listed_problems: DEFAULT_MAX_LISTED_PROBLEMS,
        }
    }

    /// The read cap actually used: large enough that a message within the size limit, however
    /// it is spaced or escaped, is never cut.
    pub fn read_cap(&self) -> usize {
        self.max_read_bytes
            .max(self.max_message_bytes.saturating_mul(8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_cap_never_cuts_an_allowed_message() {
        let mut o = ScanOptions::new(0);
        assert_eq!(o.read_cap(), DEFAULT_MAX_READ_BYTES);
        o.max_read_bytes = 10;
        assert_eq!(o.read_cap(), 96_000);
    }
}
