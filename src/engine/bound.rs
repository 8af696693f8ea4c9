//! How long a run must take at the least, said before it starts: a group's requests go one after
//! another (one round trip each), and the whole app takes at most `--rate` requests a second, so
//! a run needs `max(requests / rate, largest group's requests × round trip)`. The group that sets
//! it is named, with the round trip measured now (or said to be unknown).
//!
//! Requests left per target ([`requests_left`]) also order the run's lanes: the longest first.
//! They come from the planned batch count, which the index gives without planning a message
//! (`part_cut`: one pass over the packed index), scaled by the share of messages not yet landed
//! or skipped on a resume. Where no batch count is at hand (the console's scan summary), a
//! target's messages / 7 stands in: same-second clusters make the real count a little higher.

use std::time::Duration;

use crate::numbers::{about, count, millis};

/// One target's work, as the estimate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    /// The target's name as shown (`group` or `group/topic`).
    pub name: String,
    /// Its messages still to send.
    pub messages: u64,
    /// Its requests still to send.
    pub requests: u64,
}

/// What is known of the round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundTrip {
    /// Measured by a call just made.
    Measured(Duration),
    /// Nothing was called (an offline command).
    Offline,
    /// The call made to measure it failed.
    Unmeasured,
}

impl RoundTrip {
    /// The measured round trip, if any.
    pub fn measured(self) -> Option<Duration> {
        match self {
            RoundTrip::Measured(d) => Some(d),
            RoundTrip::Offline | RoundTrip::Unmeasured => None,
        }
    }
}

/// The bound of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// Requests in all.
    pub requests: u64,
    /// Requests per second allowed (`--rate`).
    pub rate: u32,
    /// The target with the most requests (the first of equals).
    pub largest: Option<Load>,
    /// The round trip.
    pub round_trip: RoundTrip,
}

impl Bound {
    /// The bound of `loads` at `rate` requests a second.
    pub fn new(loads: impl IntoIterator<Item = Load>, rate: u32, round_trip: RoundTrip) -> Bound {
        let mut requests = 0u64;
        let mut largest: Option<Load> = None;
        for load in loads {
            requests = requests.saturating_add(load.requests);
            if largest.as_ref().is_none_or(|l| load.requests > l.requests) {
                largest = Some(load);
            }
        }
        Bound {
            requests,
            rate: rate.max(1),
            largest,
            round_trip,
        }
    }

    /// All requests at the rate.
    pub fn by_rate(&self) -> Duration {
        Duration::from_secs_f64(self.requests as f64 / f64::from(self.rate))
    }

    /// The largest target's requests, one round trip each (when the round trip is known).
    pub fn by_largest(&self) -> Option<Duration> {
        let rtt = self.round_trip.measured()?;
        let largest = self.largest.as_ref()?;
        Some(rtt.saturating_mul(u32::try_from(largest.requests).unwrap_or(u32::MAX)))
    }

    /// The expected duration: the larger of the two (at least the rate's when the round trip
    /// is unknown).
    pub fn duration(&self) -> Duration {
        self.by_rate().max(self.by_largest().unwrap_or_default())
    }

    /// Whether the largest target, not the rate, sets the duration.
    pub fn set_by_largest(&self) -> bool {
        self.by_largest().is_some_and(|d| d > self.by_rate())
    }

    /// One sentence for people: the expected duration, what sets it, and the other bound.
    pub fn sentence(&self) -> String {
        let by_rate = format!(
            "{} requests at {}/s",
            count(self.requests),
            count(u64::from(self.rate))
        );
        let Some(largest) = &self.largest else {
            return "Expected duration: nothing to send.".into();
        };
        let group = format!(
            "the largest group, {}, {} messages",
            largest.name,
            count(largest.messages)
        );
        match (self.round_trip, self.by_largest()) {
            (RoundTrip::Measured(rtt), Some(need)) => {
                let at = format!("at the {} round trip measured now", millis(rtt));
                if self.set_by_largest() {
                    format!(
                        "Expected duration: {}. {}, needs {} {at} ({} requests one after another); {by_rate} alone would take {}.",
                        about(need),
                        capitalised(&group),
                        about(need),
                        count(largest.requests),
                        about(self.by_rate())
                    )
                } else {
                    format!(
                        "Expected duration: {} ({by_rate}); {group}, needs {} {at}.",
                        about(self.by_rate()),
                        about(need)
                    )
                }
            }
            (unknown, _) => format!(
                "Expected duration: {} or more ({by_rate}); {group}, needs {} round trips one after another ({}).",
                about(self.by_rate()),
                count(largest.requests),
                if unknown == RoundTrip::Offline {
                    "the round trip is unknown offline"
                } else {
                    "the round trip could not be measured"
                }
            ),
        }
    }
}

impl Bound {
    /// The same, short, for a place that has already said the requests and the rate (the
    /// console's question): `about 5 s, set by sales-emea (72 requests one after another at a
    /// 70 ms round trip)`.
    pub fn clause(&self) -> String {
        let Some(largest) = &self.largest else {
            return "nothing to send".into();
        };
        match (self.round_trip.measured(), self.by_largest()) {
            (Some(rtt), Some(need)) if self.set_by_largest() => format!(
                "{}, set by {} ({} requests one after another at a {} round trip)",
                about(need),
                largest.name,
                count(largest.requests),
                millis(rtt)
            ),
            (Some(_), Some(need)) => format!(
                "{}, set by the rate (the largest group, {}, needs {})",
                about(self.by_rate()),
                largest.name,
                about(need)
            ),
            _ => format!(
                "{} or more, and {} needs {} round trips one after another",
                about(self.by_rate()),
                largest.name,
                count(largest.requests)
            ),
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// Requests a target still has to send: its planned batches, scaled by the share of its
/// messages not yet landed or skipped (at least one while any is left); with no batch count,
/// [`requests_for`] the messages left.
pub fn requests_left(batches: u64, messages: u64, settled: u64) -> u64 {
    let left = messages.saturating_sub(settled);
    if left == 0 || messages == 0 {
        return 0;
    }
    if batches == 0 {
        return requests_for(left);
    }
    let scaled = (u128::from(batches) * u128::from(left)).div_ceil(u128::from(messages));
    u64::try_from(scaled).unwrap_or(u64::MAX).max(1)
}

/// Requests for `messages` when no batch count is at hand: full requests of 7.
pub fn requests_for(messages: u64) -> u64 {
    messages.div_ceil(crate::plan::MAX_BATCH_SIZE as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, messages: u64, requests: u64) -> Load {
        Load {
            name: name.into(),
            messages,
            requests,
        }
    }

    fn ms(n: u64) -> RoundTrip {
        RoundTrip::Measured(Duration::from_millis(n))
    }

    #[test]
    fn the_largest_group_sets_the_bound_when_its_round_trips_outlast_the_rate() {
        // 418,000 messages in 59,715 requests at 70 ms: 4,180 s; all 100,000 requests at
        // 200/s: 500 s.
        let loads = [
            load("small", 100, 15),
            load("big", 418_000, 59_715),
            load("mid", 280_000, 40_270),
        ];
        let b = Bound::new(loads, 200, ms(70));
        assert_eq!(b.requests, 100_000);
        assert_eq!(b.largest.as_ref().unwrap().name, "big");
        assert_eq!(b.by_rate(), Duration::from_secs(500));
        assert_eq!(b.by_largest(), Some(Duration::from_millis(59_715 * 70)));
        assert!(b.set_by_largest());
        assert_eq!(b.duration(), Duration::from_millis(4_180_050));
        assert_eq!(
            b.sentence(),
            "Expected duration: about 1 h 10 min. The largest group, big, 418,000 messages, needs about 1 h 10 min at the 70 ms round trip measured now (59,715 requests one after another); 100,000 requests at 200/s alone would take about 8 min."
        );
    }

    #[test]
    fn the_rate_sets_the_bound_when_the_work_is_spread() {
        let loads = (0..500).map(|i| load(&format!("g{i}"), 700, 100));
        let b = Bound::new(loads, 200, ms(50));
        assert_eq!(b.by_rate(), Duration::from_secs(250));
        assert_eq!(b.by_largest(), Some(Duration::from_secs(5)));
        assert!(!b.set_by_largest());
        assert_eq!(b.duration(), Duration::from_secs(250));
        // The first of equals is named.
        assert_eq!(
            b.sentence(),
            "Expected duration: about 4 min (50,000 requests at 200/s); the largest group, g0, 700 messages, needs about 5 s at the 50 ms round trip measured now."
        );
    }

    #[test]
    fn an_unknown_round_trip_gives_the_rate_as_a_floor_and_says_why() {
        let b = Bound::new(
            [load("g", 70_000, 10_000), load("h", 420, 60)],
            180,
            RoundTrip::Offline,
        );
        assert_eq!(b.duration(), b.by_rate());
        assert_eq!(
            b.sentence(),
            "Expected duration: about 56 s or more (10,060 requests at 180/s); the largest group, g, 70,000 messages, needs 10,000 round trips one after another (the round trip is unknown offline)."
        );
        let failed = Bound::new([load("g", 70, 10)], 180, RoundTrip::Unmeasured);
        assert!(
            failed
                .sentence()
                .ends_with("(the round trip could not be measured).")
        );
        assert_eq!(
            Bound::new([], 200, ms(50)).sentence(),
            "Expected duration: nothing to send."
        );
    }

    #[test]
    fn the_short_form_names_what_sets_the_duration() {
        let big = Bound::new([load("small", 100, 15), load("big", 500, 72)], 180, ms(70));
        assert_eq!(
            big.clause(),
            "about 5 s, set by big (72 requests one after another at a 70 ms round trip)"
        );
        let spread = Bound::new(
            (0..500).map(|i| load(&format!("g{i}"), 700, 100)),
            200,
            ms(50),
        );
        assert_eq!(
            spread.clause(),
            "about 4 min, set by the rate (the largest group, g0, needs about 5 s)"
        );
        let offline = Bound::new([load("g", 70, 10)], 180, RoundTrip::Offline);
        assert_eq!(
            offline.clause(),
            "under a second or more, and g needs 10 round trips one after another"
        );
    }

    #[test]
    fn requests_left_scale_the_planned_batches_by_what_is_left() {
        assert_eq!(requests_left(100, 700, 0), 100);
        assert_eq!(requests_left(100, 700, 350), 50);
        assert_eq!(requests_left(100, 700, 699), 1);
        assert_eq!(requests_left(100, 700, 700), 0);
        assert_eq!(requests_left(0, 0, 0), 0);
        assert_eq!(requests_left(0, 15, 0), 3);
        assert_eq!(requests_for(418_000), 59_715);
        assert_eq!(requests_for(1), 1);
    }
}
