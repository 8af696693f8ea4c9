//! Messages and requests per second over the last few whole seconds, for the Run screen's
//! header and the ETA: one bucket per second, the old ones forgotten.

use std::collections::VecDeque;

/// The window the meter averages over, seconds.
pub const METER_SECONDS: i64 = 5;

/// Messages and requests per second, over the last few seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meter {
    /// `(second, messages settled, requests sent)`, oldest first.
    buckets: VecDeque<(i64, u64, u64)>,
}

impl Meter {
    fn add(&mut self, now_ms: i64, messages: u64, requests: u64) {
        let sec = now_ms.div_euclid(1000);
        match self.buckets.back_mut() {
            Some(b) if b.0 == sec => {
                b.1 += messages;
                b.2 += requests;
            }
            _ => self.buckets.push_back((sec, messages, requests)),
        }
        while self
            .buckets
            .front()
            .is_some_and(|b| b.0 < sec - METER_SECONDS)
        {
            self.buckets.pop_front();
        }
    }

    /// Counts a settled message.
    pub fn message(&mut self, now_ms: i64) {
        self.add(now_ms, 1, 0);
    }

    /// Counts a request sent.
    pub fn request(&mut self, now_ms: i64) {
        self.add(now_ms, 0, 1);
    }

    /// `(messages/s, requests/s)` over the last [`METER_SECONDS`] whole seconds before `now`.
    pub fn rates(&self, now_ms: i64) -> (f64, f64) {
        let sec = now_ms.div_euclid(1000);
        let (m, r) = self
            .buckets
            .iter()
            .filter(|b| b.0 < sec && b.0 >= sec - METER_SECONDS)
            .fold((0, 0), |(m, r), b| (m + b.1, r + b.2));
        let span = METER_SECONDS as f64;
        (m as f64 / span, r as f64 / span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meter_averages_whole_seconds_and_forgets_old_ones() {
        let mut m = Meter::default();
        for i in 0..50 {
            m.message(10_000 + i * 100); // 10 a second for 5 s
        }
        m.request(12_500);
        let (per_sec, req_sec) = m.rates(15_000);
        assert!((per_sec - 10.0).abs() < 1e-9, "{per_sec}");
        assert!((req_sec - 0.2).abs() < 1e-9, "{req_sec}");
        assert_eq!(m.rates(60_000), (0.0, 0.0), "an old burst does not count");
        m.message(5_000); // time going backwards does not panic
        assert!(m.buckets.len() <= (METER_SECONDS as usize) + 2);
    }
}
