//! The per-message results the Run screen keeps, packed: 40 bytes a row plus its text in one
//! shared buffer (about 85 bytes a result in all, instead of a struct and an allocation each),
//! and at most [`ResultLog::max_rows`] of them (the oldest tenth goes at once past it; the
//! ledger keeps them all). Rows are read back as [`ResultRow`] views.

use crate::engine::SourceRef;

use super::rows::RowOutcome;

/// Most results kept by default (about 9 MB; 75 seconds of a run at full speed): with the
/// engine's own memory, a console importing a 1 GB staging directory stays under 100 MB.
pub const MAX_RESULTS: usize = 100_000;

/// One per-message result, as the panes read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultRow<'a> {
    /// When it arrived (unix ms).
    pub at_ms: i64,
    /// Index into the run's lanes.
    pub lane: u32,
    /// Index into the run's senders.
    pub sender: u32,
    /// Its `SendTime`.
    pub send_time: i64,
    /// What became of it.
    pub outcome: RowOutcome,
    /// Its first words.
    pub summary: &'a str,
    /// Where it is staged (kept for rows that are not done, for the inspector).
    pub source: Option<&'a SourceRef>,
}

/// A result to keep.
#[derive(Debug, Clone)]
pub struct NewResult {
    /// When it arrived (unix ms).
    pub at_ms: i64,
    /// Its lane.
    pub lane: u32,
    /// Its sender.
    pub sender: u32,
    /// Its `SendTime`.
    pub send_time: i64,
    /// What became of it.
    pub outcome: RowOutcome,
    /// Its first words (at most 255 bytes are kept).
    pub summary: String,
    /// Where it is staged, when it must be kept.
    pub source: Option<SourceRef>,
}

/// A row as stored. `at` is milliseconds after the log's first row; `text` is where its words
/// start in the shared buffer.
#[derive(Debug, Clone)]
struct Packed {
    at: u32,
    lane: u32,
    sender: u32,
    send_time: u32,
    text: u32,
    text_len: u8,
    tag: u8,
    value: u64,
    source: Option<Box<SourceRef>>,
}

const DONE: u8 = 0;
const FAILED_WITH_CODE: u8 = 1;
const FAILED: u8 = 2;
const SKIPPED: u8 = 3;
const INVALID: u8 = 4;

/// The results, oldest first.
#[derive(Debug, Clone)]
pub struct ResultLog {
    rows: Vec<Packed>,
    texts: String,
    base_ms: i64,
    /// Rows kept at most.
    pub max_rows: usize,
}

impl Default for ResultLog {
    fn default() -> Self {
        ResultLog {
            rows: Vec::new(),
            texts: String::new(),
            base_ms: 0,
            max_rows: MAX_RESULTS,
        }
    }
}

impl ResultLog {
    /// Keeps `new`; returns how many of the oldest rows were dropped to make room (0 or a tenth
    /// of the maximum).
    pub fn push(&mut self, new: NewResult) -> usize {
        if self.rows.is_empty() {
            self.base_ms = new.at_ms;
        }
        let mut words = new.summary.as_str();
        if words.len() > usize::from(u8::MAX) {
            let mut end = usize::from(u8::MAX);
            while !words.is_char_boundary(end) {
                end -= 1;
            }
            words = &words[..end];
        }
        let (tag, value) = match new.outcome {
            RowOutcome::Done(seq) => (DONE, seq),
            RowOutcome::Failed(Some(code)) => (FAILED_WITH_CODE, code as u64),
            RowOutcome::Failed(None) => (FAILED, 0),
            RowOutcome::Skipped => (SKIPPED, 0),
            RowOutcome::Invalid => (INVALID, 0),
        };
        self.rows.push(Packed {
            at: u32::try_from((new.at_ms - self.base_ms).max(0)).unwrap_or(u32::MAX),
            lane: new.lane,
            sender: new.sender,
            send_time: u32::try_from(new.send_time).unwrap_or(0),
            text: u32::try_from(self.texts.len()).unwrap_or(u32::MAX),
            text_len: words.len() as u8,
            tag,
            value,
            source: new.source.map(Box::new),
        });
        self.texts.push_str(words);
        if self.rows.len() > self.max_rows {
            let drop = (self.max_rows / 10).max(1);
            self.drop_oldest(drop);
            drop
        } else {
            0
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i` (0 is the oldest kept).
    pub fn get(&self, i: usize) -> Option<ResultRow<'_>> {
        let r = self.rows.get(i)?;
        let start = r.text as usize;
        let outcome = match r.tag {
            DONE => RowOutcome::Done(r.value),
            FAILED_WITH_CODE => RowOutcome::Failed(Some(r.value as i64)),
            FAILED => RowOutcome::Failed(None),
            SKIPPED => RowOutcome::Skipped,
            _ => RowOutcome::Invalid,
        };
        Some(ResultRow {
            at_ms: self.base_ms + i64::from(r.at),
            lane: r.lane,
            sender: r.sender,
            send_time: i64::from(r.send_time),
            outcome,
            summary: self
                .texts
                .get(start..start + usize::from(r.text_len))
                .unwrap_or(""),
            source: r.source.as_deref(),
        })
    }

    /// Drops the `n` oldest rows and their words.
    fn drop_oldest(&mut self, n: usize) {
        self.rows.drain(..n.min(self.rows.len()));
        let cut = self
            .rows
            .first()
            .map_or(self.texts.len(), |r| r.text as usize);
        self.texts.drain(..cut);
        for r in &mut self.rows {
            r.text -= cut as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(i: u64, outcome: RowOutcome, summary: &str) -> NewResult {
        NewResult {
            at_ms: 1_700_000_000_000 + i as i64,
            lane: i as u32 % 3,
            sender: 7,
            send_time: 1_600_000_000 + i as i64,
            outcome,
            summary: summary.to_owned(),
            source: matches!(outcome, RowOutcome::Failed(_)).then(|| SourceRef {
                file: "g.jsonl".into(),
                line: i as u32,
                offset: i * 10,
                item: 0,
            }),
        }
    }

    #[test]
    fn rows_read_back_as_written() {
        let mut log = ResultLog::default();
        let outcomes = [
            RowOutcome::Done(u64::MAX),
            RowOutcome::Failed(Some(-1)),
            RowOutcome::Failed(Some(80001)),
            RowOutcome::Failed(None),
            RowOutcome::Skipped,
            RowOutcome::Invalid,
        ];
        for (i, o) in outcomes.into_iter().enumerate() {
            assert_eq!(log.push(new(i as u64, o, &format!("text {i} 你好"))), 0);
        }
        for (i, o) in outcomes.into_iter().enumerate() {
            let row = log.get(i).expect("row");
            let want = new(i as u64, o, "");
            assert_eq!(row.outcome, o);
            assert_eq!(row.summary, format!("text {i} 你好"));
            assert_eq!(
                (row.at_ms, row.lane, row.send_time),
                (want.at_ms, want.lane, want.send_time)
            );
            assert_eq!(row.source, want.source.as_ref());
        }
        assert!(log.get(outcomes.len()).is_none());
        assert!(std::mem::size_of::<Packed>() <= 40);
    }

    #[test]
    fn past_the_maximum_the_oldest_tenth_goes() {
        let mut log = ResultLog {
            max_rows: 20,
            ..ResultLog::default()
        };
        let mut dropped = 0;
        for i in 0..45 {
            dropped += log.push(new(i, RowOutcome::Done(i), &format!("m{i}")));
        }
        assert_eq!(dropped, 26, "two at a time, past 20");
        assert_eq!(log.len(), 45 - 26);
        assert_eq!(log.get(0).map(|r| r.summary), Some("m26"));
        assert_eq!(log.get(log.len() - 1).map(|r| r.summary), Some("m44"));
        assert_eq!(
            log.texts.len(),
            (26..45).map(|i| format!("m{i}").len()).sum::<usize>()
        );
    }

    #[test]
    fn long_words_are_cut_on_a_character() {
        let mut log = ResultLog::default();
        log.push(new(0, RowOutcome::Skipped, &"é".repeat(200)));
        let kept = log.get(0).expect("row").summary;
        assert_eq!(kept, "é".repeat(127));
    }
}
