//! The app-wide rate limiter: every request of every lane (imports and read-backs) waits for a
//! slot here first.
//!
//! Strict spacing, no burst: slots are at least `(1 + MARGIN) / current` seconds apart, so no
//! one-second window ever holds more than `current` slots, and the margin absorbs the jitter
//! between taking a slot and the request reaching the service (a token bucket would allow a
//! burst that breaks the service's window).
//!
//! Adaptive (AIMD): a frequency refusal cuts the current rate by [`CUT`] (at most once per
//! [`CUT_COOLDOWN`], since the requests already spaced at the old pace get refused together);
//! after [`QUIET`] without refusals it climbs back by [`RAISE`] of the budget per quiet period,
//! never above the budget.
//!
//! The state machine is pure (times are passed in); [`Limiter::acquire`] adds the sleeping.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Extra spacing, as a share of the nominal interval: 3% (a 200/s budget paces at ~194/s).
pub const MARGIN: f64 = 0.03;
/// Factor applied to the current rate on a frequency refusal.
pub const CUT: f64 = 0.7;
/// At most one cut per this long.
pub const CUT_COOLDOWN: Duration = Duration::from_secs(1);
/// Time without refusals before the rate climbs, and between climbs.
pub const QUIET: Duration = Duration::from_secs(2);
/// Share of the budget added per quiet period.
pub const RAISE: f64 = 0.1;
/// The rate never drops below this, requests per second.
pub const FLOOR: f64 = 1.0;

/// A change of pace, for `Event::RateChanged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateChange {
    /// Requests per second now allowed (rounded).
    pub current: u32,
    /// The configured rate.
    pub budget: u32,
    /// Frequency refusals so far.
    pub refusals: u64,
}

#[derive(Debug)]
struct State {
    current: f64,
    next_slot: Option<Instant>,
    last_cut: Option<Instant>,
    /// Since when the rate has been quiet (the last refusal or the last climb).
    quiet_since: Option<Instant>,
    refusals: u64,
}

/// The shared limiter. Thread-safe; the lock is held for a few arithmetic steps only.
#[derive(Debug)]
pub struct Limiter {
    budget: u32,
    state: Mutex<State>,
}

impl Limiter {
    /// A limiter at full `budget` (requests per second, at least 1).
    pub fn new(budget: u32) -> Limiter {
        let budget = budget.max(1);
        Limiter {
            budget,
            state: Mutex::new(State {
                current: f64::from(budget),
                next_slot: None,
                last_cut: None,
                quiet_since: None,
                refusals: 0,
            }),
        }
    }

    /// The configured rate.
    pub fn budget(&self) -> u32 {
        self.budget
    }

    /// Requests per second now allowed, rounded.
    pub fn current(&self) -> u32 {
        self.lock().current.round() as u32
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a few numbers updated together under the lock; a panic elsewhere cannot
        // leave it half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn change(&self, s: &State) -> RateChange {
        RateChange {
            current: s.current.round() as u32,
            budget: self.budget,
            refusals: s.refusals,
        }
    }

    /// Takes the next slot at or after `now` and returns it, with a change of pace if the quiet
    /// period let the rate climb.
    pub fn reserve(&self, now: Instant) -> (Instant, Option<RateChange>) {
        let mut s = self.lock();
        let mut change = None;
        let quiet_since = *s.quiet_since.get_or_insert(now);
        let budget = f64::from(self.budget);
        if s.current < budget && now.saturating_duration_since(quiet_since) >= QUIET {
            s.current = (s.current + budget * RAISE).min(budget);
            s.quiet_since = Some(now);
            change = Some(self.change(&s));
        }
        let slot = s.next_slot.map_or(now, |next| next.max(now));
        s.next_slot = Some(slot + interval(s.current));
        (slot, change)
    }

    /// Records a frequency refusal seen at `now`; returns the change of pace if it cut the rate.
    pub fn refused(&self, now: Instant) -> Option<RateChange> {
        let mut s = self.lock();
        s.refusals += 1;
        s.quiet_since = Some(now);
        let cooled = s
            .last_cut
            .is_none_or(|at| now.saturating_duration_since(at) >= CUT_COOLDOWN);
        if !cooled || s.current <= FLOOR {
            return None;
        }
        s.current = (s.current * CUT).max(FLOOR);
        s.last_cut = Some(now);
        // Slots already handed out keep their times; the next ones follow the new pace.
        Some(self.change(&s))
    }

    /// Waits for a slot; returns a change of pace to report, if any.
    pub async fn acquire(&self) -> Option<RateChange> {
        let (slot, change) = self.reserve(Instant::now());
        tokio::time::sleep_until(slot).await;
        change
    }
}

/// A limiter that several callers in the process take their slots from (a run and a
/// verification in the console share the app's budget through one), compared by identity.
#[derive(Debug, Clone)]
pub struct SharedLimiter(pub Arc<Limiter>);

impl SharedLimiter {
    /// A new shared limiter at `budget` requests per second.
    pub fn new(budget: u32) -> SharedLimiter {
        SharedLimiter(Arc::new(Limiter::new(budget)))
    }
}

impl PartialEq for SharedLimiter {
    fn eq(&self, other: &SharedLimiter) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The spacing between slots at `rate` requests per second.
fn interval(rate: f64) -> Duration {
    Duration::from_secs_f64((1.0 + MARGIN) / rate.max(FLOOR))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The most slots in any half-open one-second window.
    fn busiest_second(slots: &[Instant]) -> usize {
        let mut best = 0;
        let mut start = 0;
        for end in 0..slots.len() {
            while slots[end] - slots[start] >= Duration::from_secs(1) {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    #[test]
    fn slots_are_spaced_and_never_burst_after_idle() {
        let t0 = Instant::now();
        let lim = Limiter::new(100);
        let (a, _) = lim.reserve(t0);
        let (b, _) = lim.reserve(t0);
        assert_eq!(a, t0);
        assert_eq!(b - a, interval(100.0));
        // After a long idle the next slot is "now", and the one after is spaced again.
        let later = t0 + Duration::from_secs(10);
        let (c, _) = lim.reserve(later);
        let (d, _) = lim.reserve(later);
        assert_eq!(c, later);
        assert_eq!(d - c, interval(100.0));
    }

    proptest! {
        #[test]
        fn no_one_second_window_holds_more_than_the_rate(
            rate in 1u32..=200,
            gaps in proptest::collection::vec(0u64..30, 1..600),
        ) {
            let t0 = Instant::now();
            let lim = Limiter::new(rate);
            let mut now = t0;
            let mut slots = Vec::new();
            for gap in gaps {
                now += Duration::from_millis(gap);
                let (slot, _) = lim.reserve(now);
                prop_assert!(slot >= now);
                slots.push(slot);
            }
            prop_assert!(busiest_second(&slots) <= rate as usize);
        }
    }

    #[test]
    fn refusals_cut_once_per_cooldown_and_quiet_restores_the_budget() {
        let t0 = Instant::now();
        let lim = Limiter::new(200);
        let cut = lim.refused(t0).expect("first refusal cuts");
        assert_eq!((cut.current, cut.budget, cut.refusals), (140, 200, 1));
        // The rest of a burst of refusals within the cooldown does not cut again.
        assert_eq!(lim.refused(t0 + Duration::from_millis(10)), None);
        assert_eq!(lim.current(), 140);
        let second = lim.refused(t0 + CUT_COOLDOWN).expect("after the cooldown");
        assert_eq!((second.current, second.refusals), (98, 3));

        // Quiet: climbs by 10% of the budget per quiet period, up to the budget.
        let mut now = t0 + CUT_COOLDOWN;
        let mut seen = Vec::new();
        for _ in 0..20 {
            now += QUIET;
            if let (_, Some(change)) = lim.reserve(now) {
                seen.push(change.current);
            }
        }
        assert_eq!(seen, [118, 138, 158, 178, 198, 200]);
        assert_eq!(lim.current(), 200);
    }

    #[test]
    fn the_rate_never_drops_below_the_floor() {
        let lim = Limiter::new(2);
        let mut now = Instant::now();
        for _ in 0..20 {
            lim.refused(now);
            now += CUT_COOLDOWN;
        }
        assert_eq!(lim.current(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_waits_for_the_slot() {
        let lim = Limiter::new(10);
        let start = Instant::now();
        for _ in 0..11 {
            lim.acquire().await;
        }
        // 10 intervals of 103 ms after the first, immediate, slot.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(1029), "{took:?}");
        assert!(took < Duration::from_millis(1040), "{took:?}");
    }
}
