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
    let size = batch_size.clamp(1, MAX_BATCH_SIZE);
    let mut out = Vec::new();
    let mut start = 0;
    let mut run_start = 0;
    while run_start < times.len() {
        let run_len = times[run_start..]
            .iter()
            .take_while(|&&t| t == times[run_start])
            .count();
        let run_end = run_start + run_len;
        let open = run_start - start;
        if open + run_len > size {
            if open > 0 {
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
    fn batch_size_is_clamped() {
        assert_eq!(batch_ranges(&[1, 2, 3], 0), [0..1, 1..2, 2..3]);
        assert_eq!(batch_ranges(&(0..9).collect::<Vec<_>>(), 100), [0..7, 7..9]);
    }
}
