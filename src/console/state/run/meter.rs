//! The Run screen's meter: messages settled, requests sent and refusals per second, kept for the
//! last [`HISTORY_SECONDS`]. It gives the rates of the last few seconds (what is happening
//! now), the pace over the last minutes for the ETA (a few seconds' pace jumps: 8 s to 3 m 43 s
//! was seen), and the per-second series the sparklines draw. Seconds the operator paused the
//! whole run do not count in the pace.

use std::collections::VecDeque;

/// The window of the "now" rates, seconds.
pub const METER_SECONDS: i64 = 5;
/// The window of the pace the ETA uses, seconds.
pub const ETA_WINDOW_SECONDS: i64 = 300;
/// The ETA needs this much measured time first, seconds.
pub const ETA_MIN_SECONDS: i64 = 30;
/// How long the per-second counts are kept, seconds.
pub const HISTORY_SECONDS: i64 = 600;

/// One second's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Second {
    /// Which second (unix).
    pub sec: i64,
    /// Messages settled.
    pub messages: u64,
    /// Requests sent.
    pub requests: u64,
    /// Answers that refused or turned back a request or a message (retried requests, refused
    /// messages).
    pub refusals: u64,
}

/// Per-second counts of the last [`HISTORY_SECONDS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meter {
    /// Oldest first, one entry per second that saw something.
    seconds: VecDeque<Second>,
    /// The first second anything was counted (the pace is not measured before it).
    first: Option<i64>,
    /// Spans the whole run was paused: `(from, to)` in unix seconds, `to` open while paused.
    pauses: Vec<(i64, Option<i64>)>,
}

impl Meter {
    fn add(&mut self, now_ms: i64, f: impl FnOnce(&mut Second)) {
        let sec = now_ms.div_euclid(1000);
        self.first.get_or_insert(sec);
        match self.seconds.back_mut() {
            Some(b) if b.sec == sec => f(b),
            // Time going backwards (a clock change) counts in the latest second.
            Some(b) if b.sec > sec => f(b),
            _ => {
                let mut s = Second {
                    sec,
                    ..Second::default()
                };
                f(&mut s);
                self.seconds.push_back(s);
            }
        }
        while self
            .seconds
            .front()
            .is_some_and(|b| b.sec < sec - HISTORY_SECONDS)
        {
            self.seconds.pop_front();
        }
        self.pauses
            .retain(|(_, to)| to.is_none_or(|t| t >= sec - HISTORY_SECONDS));
    }

    /// Counts a settled message.
    pub fn message(&mut self, now_ms: i64) {
        self.add(now_ms, |s| s.messages += 1);
    }

    /// Counts a request sent.
    pub fn request(&mut self, now_ms: i64) {
        self.add(now_ms, |s| s.requests += 1);
    }

    /// Counts a refusal (a request to retry, a message refused).
    pub fn refusal(&mut self, now_ms: i64) {
        self.add(now_ms, |s| s.refusals += 1);
    }

    /// The operator paused the whole run at `now_ms`.
    pub fn paused(&mut self, now_ms: i64) {
        if !self.pauses.last().is_some_and(|(_, to)| to.is_none()) {
            self.pauses.push((now_ms.div_euclid(1000), None));
        }
    }

    /// The operator resumed the run at `now_ms`.
    pub fn resumed(&mut self, now_ms: i64) {
        if let Some((_, to)) = self.pauses.last_mut()
            && to.is_none()
        {
            *to = Some(now_ms.div_euclid(1000));
        }
    }

    /// `(messages/s, requests/s)` over the last [`METER_SECONDS`] whole seconds before `now`.
    pub fn rates(&self, now_ms: i64) -> (f64, f64) {
        let sec = now_ms.div_euclid(1000);
        let (m, r) = self
            .seconds
            .iter()
            .filter(|b| b.sec < sec && b.sec >= sec - METER_SECONDS)
            .fold((0, 0), |(m, r), b| (m + b.messages, r + b.requests));
        let span = METER_SECONDS as f64;
        (m as f64 / span, r as f64 / span)
    }

    /// Messages per second over the last [`ETA_WINDOW_SECONDS`] whole seconds before `now`
    /// (or since the first count, if later), paused seconds left out; `None` until
    /// [`ETA_MIN_SECONDS`] of unpaused time were measured.
    pub fn pace(&self, now_ms: i64) -> Option<f64> {
        let now = now_ms.div_euclid(1000);
        let from = (now - ETA_WINDOW_SECONDS).max(self.first?);
        let paused: i64 = self
            .pauses
            .iter()
            .map(|(a, b)| {
                let (a, b) = ((*a).max(from), b.unwrap_or(now).min(now));
                (b - a).max(0)
            })
            .sum();
        let span = now - from - paused;
        if span < ETA_MIN_SECONDS {
            return None;
        }
        let messages: u64 = self
            .seconds
            .iter()
            .filter(|b| b.sec >= from && b.sec < now)
            .map(|b| b.messages)
            .sum();
        Some(messages as f64 / span as f64)
    }

    /// The last `n` whole seconds before `now`, oldest first (seconds without counts are zero).
    pub fn series(&self, now_ms: i64, n: usize) -> Vec<Second> {
        let now = now_ms.div_euclid(1000);
        let n = i64::try_from(n).unwrap_or(i64::MAX).min(HISTORY_SECONDS);
        let mut out: Vec<Second> = (now - n..now)
            .map(|sec| Second {
                sec,
                ..Second::default()
            })
            .collect();
        for b in self
            .seconds
            .iter()
            .filter(|b| b.sec >= now - n && b.sec < now)
        {
            if let Some(slot) = usize::try_from(b.sec - (now - n))
                .ok()
                .and_then(|i| out.get_mut(i))
            {
                *slot = *b;
            }
        }
        out
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
        m.message(2_000_000);
        assert!(m.seconds.len() <= HISTORY_SECONDS as usize + 2);
    }

    #[test]
    fn the_pace_is_measured_over_minutes_not_seconds() {
        let mut m = Meter::default();
        let start = 1_000_000_i64;
        // 10 messages a second for four minutes, then a burst of 200 in one second.
        for s in 0..240 {
            for k in 0..10 {
                m.message(start + s * 1000 + k * 10);
            }
        }
        assert_eq!(
            m.pace(start + 20_000),
            None,
            "not before 30 s were measured"
        );
        let steady = m.pace(start + 240_000).expect("measured");
        assert!((steady - 10.0).abs() < 1e-9, "{steady}");
        for k in 0..200 {
            m.message(start + 240_000 + k);
        }
        let after = m.pace(start + 241_000).expect("measured");
        assert!(
            after < 11.0,
            "one busy second moves the pace a little: {after}"
        );
        let (now, _) = m.rates(start + 241_000);
        assert!(now > 40.0, "while the 5-second rate jumps: {now}");
        // Eight quiet minutes later the old pace has left the window.
        assert_eq!(m.pace(start + 241_000 + 480_000), Some(0.0));
    }

    #[test]
    fn seconds_the_run_was_paused_do_not_slow_the_pace() {
        let mut m = Meter::default();
        let start = 5_000_000_i64;
        for s in 0..60 {
            for _ in 0..4 {
                m.message(start + s * 1000);
            }
        }
        m.paused(start + 60_000);
        m.resumed(start + 180_000);
        for s in 180..240 {
            for _ in 0..4 {
                m.message(start + s * 1000);
            }
        }
        let pace = m.pace(start + 240_000).expect("measured");
        assert!(
            (pace - 4.0).abs() < 1e-9,
            "two minutes paused are left out: {pace}"
        );
        m.paused(start + 240_000);
        let pace = m.pace(start + 299_000).expect("measured");
        assert!((pace - 4.0).abs() < 1e-9, "an open pause too: {pace}");
    }

    #[test]
    fn the_series_has_one_entry_per_second_oldest_first() {
        let mut m = Meter::default();
        m.request(10_100);
        m.request(10_900);
        m.refusal(12_000);
        let s = m.series(13_000, 4);
        let requests: Vec<u64> = s.iter().map(|b| b.requests).collect();
        let refusals: Vec<u64> = s.iter().map(|b| b.refusals).collect();
        assert_eq!(requests, [0, 2, 0, 0]);
        assert_eq!(refusals, [0, 0, 0, 1]);
        assert_eq!(s[0].sec, 9);
    }
}
