//! Batch boundaries: at most `batch_size` messages per request, in order, and never a boundary
//! inside a run of messages sharing one `SendTime` when the run fits in one request (the service
//! may require strictly later times across requests). Pure, over the send times alone.

use std::ops::Range;

/// The most messages `import_group_msg` takes in one request.
pub const MAX_BATCH_SIZE: usize = 7;

/// Splits messages, given their send times in import order, into consecutive batch ranges.
/// `batch_size` is clamped to `1..=7`. A run of equal times longer than a batch starts a fresh
/// batch, fills whole batches, and its remainder may share a batch with what follows.
pub fn batch_ranges(times: &[i64], batch_size: usize) -> Vec<Range<usize>> {
    let mut cutter = BatchCutter::new(batch_size);
    let mut lengths = Vec::new();
    for &time in times {
        lengths.extend(cutter.push(time));
    }
    lengths.extend(cutter.finish());
    let mut start = 0;
    lengths
        .into_iter()
        .map(|len| {
            start += len;
            start - len..start
        })
        .collect()
}

/// [`batch_ranges`] one send time at a time, for callers that never hold all the times (a
/// group of millions of messages): each push or the finish gives the lengths of the batches it
/// closed. A batch closes when the run of equal times after it is known, so at most a batch
/// and a run are pending.
#[derive(Debug, Clone)]
pub struct BatchCutter {
    size: usize,
    /// Messages in the open batch before the current run.
    open: usize,
    /// The current run of equal times: its time and length.
    run: Option<(i64, usize)>,
}

impl BatchCutter {
    /// A cutter for batches of `batch_size` (clamped to `1..=7`).
    pub fn new(batch_size: usize) -> BatchCutter {
        BatchCutter {
            size: batch_size.clamp(1, MAX_BATCH_SIZE),
            open: 0,
            run: None,
        }
    }

    /// The next message's time; the lengths of the batches that closed before it.
    pub fn push(&mut self, time: i64) -> Vec<usize> {
        match &mut self.run {
            Some((t, n)) if *t == time => {
                *n += 1;
                Vec::new()
            }
            _ => {
                let closed = self.end_run();
                self.run = Some((time, 1));
                closed
            }
        }
    }

    /// No more messages: the lengths of the last batches.
    pub fn finish(mut self) -> Vec<usize> {
        let mut closed = self.end_run();
        if self.open > 0 {
            closed.push(self.open);
        }
        closed
    }

    fn end_run(&mut self) -> Vec<usize> {
        let mut closed = Vec::new();
        let Some((_, mut run)) = self.run.take() else {
            return closed;
        };
        if self.open + run > self.size {
            if self.open > 0 {
                closed.push(self.open);
            }
            while run > self.size {
                closed.push(self.size);
                run -= self.size;
            }
            self.open = run;
        } else {
            self.open += run;
        }
        closed
    }
}

/// The runs of equal times longer than `batch_size` (they cannot stay in one request), as
/// `(time, length)`.
pub fn split_seconds(times: &[i64], batch_size: usize) -> Vec<(i64, usize)> {
    let size = batch_size.clamp(1, MAX_BATCH_SIZE);
    times
        .chunk_by(|a, b| a == b)
        .filter(|run| run.len() > size)
        .map(|run| (run[0], run.len()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_sevens() {
        let times: Vec<i64> = (0..16).collect();
        assert_eq!(batch_ranges(&times, 7), [0..7, 7..14, 14..16]);
        assert_eq!(batch_ranges(&times, 5), [0..5, 5..10, 10..15, 15..16]);
        assert!(batch_ranges(&[], 7).is_empty());
    }

    #[test]
    fn a_same_second_run_that_fits_is_never_split() {
        // 5 singles then a run of 4 at t=9: the run moves to the next batch whole.
        let times = [1, 2, 3, 4, 5, 9, 9, 9, 9, 10];
        assert_eq!(batch_ranges(&times, 7), [0..5, 5..10]);
        // A run of exactly 7 gets a batch of its own.
        let times = [1, 2, 2, 2, 2, 2, 2, 2, 3];
        assert_eq!(batch_ranges(&times, 7), [0..1, 1..8, 8..9]);
    }

    #[test]
    fn a_run_longer_than_a_batch_fills_whole_batches() {
        let times = [1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 7];
        assert_eq!(batch_ranges(&times, 7), [0..1, 1..8, 8..13]);
        assert_eq!(split_seconds(&times, 7), [(5, 10)]);
        assert!(split_seconds(&times, 7).iter().all(|&(_, n)| n > 7));
    }

    #[test]
    fn the_cutter_closes_batches_as_soon_as_they_are_known() {
        let mut cutter = BatchCutter::new(3);
        assert!(cutter.push(1).is_empty());
        assert!(cutter.push(2).is_empty());
        assert!(cutter.push(2).is_empty(), "the run of 2 may still grow");
        assert!(
            cutter.push(3).is_empty(),
            "1, 2, 2 fill the batch but 3 could join 2's run"
        );
        assert_eq!(cutter.push(4), [3]);
        assert_eq!(cutter.finish(), [2]);
        assert!(BatchCutter::new(7).finish().is_empty());
    }

    /// The cut as first written, over a slice with look-ahead: the oracle for the streaming
    /// cutter.
    fn reference(times: &[i64], batch_size: usize) -> Vec<Range<usize>> {
        let size = batch_size.clamp(1, MAX_BATCH_SIZE);
        let (mut out, mut start, mut run_start) = (Vec::new(), 0, 0);
        while run_start < times.len() {
            let run_end = run_start
                + times[run_start..]
                    .iter()
                    .take_while(|&&t| t == times[run_start])
                    .count();
            if run_end - start > size {
                if run_start > start {
                    out.push(start..run_start);
                    start = run_start;
                }
                while run_end - start > size {
                    out.push(start..start + size);
                    start += size;
                }
            }
            run_start = run_end;
        }
        if start < times.len() {
            out.push(start..times.len());
        }
        out
    }

    proptest! {
        #[test]
        fn the_cutter_cuts_like_the_ranges(
            times in prop::collection::vec(0i64..20, 0..200).prop_map(|mut t| { t.sort(); t }),
            size in 0usize..9,
        ) {
            let mut cutter = BatchCutter::new(size);
            let mut lengths: Vec<usize> = times.iter().flat_map(|&t| cutter.push(t)).collect();
            lengths.extend(cutter.finish());
            let want: Vec<usize> = reference(&times, size).iter().map(|r| r.len()).collect();
            prop_assert_eq!(lengths.iter().sum::<usize>(), times.len());
            prop_assert_eq!(&lengths, &want);
            let ranges: Vec<usize> = batch_ranges(&times, size).iter().map(|r| r.len()).collect();
            prop_assert_eq!(ranges, want);
        }
    }

    #[test]
    fn batch_size_is_clamped() {
        assert_eq!(batch_ranges(&[1, 2, 3], 0), [0..1, 1..2, 2..3]);
        assert_eq!(batch_ranges(&(0..9).collect::<Vec<_>>(), 100), [0..7, 7..9]);
    }
}
