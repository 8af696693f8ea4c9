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
//! In priority order: when lanes wait for slots, the next slot goes to the lane with the most
//! requests left (ties: first come; `queue`), so that the longest lanes, which set how long a
//! run takes, go at one request per round trip while shorter ones fill the rest of the rate.
//!
//! The spacing is pure (times are passed in: [`Limiter::reserve`]); [`Limiter::take`] adds the
//! queue and the sleeping.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::queue::{Queue, Ticket};

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
    /// Lanes waiting for a slot, most requests left first.
    queue: Queue,
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
                queue: Queue::default(),
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
        self.reserve_in(&mut s, now)
    }

    fn reserve_in(&self, s: &mut State, now: Instant) -> (Instant, Option<RateChange>) {
        let mut change = None;
        let quiet_since = *s.quiet_since.get_or_insert(now);
        let budget = f64::from(self.budget);
        if s.current < budget && now.saturating_duration_since(quiet_since) >= QUIET {
            s.current = (s.current + budget * RAISE).min(budget);
            s.quiet_since = Some(now);
            change = Some(self.change(s));
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

    /// Waits for a slot for a lane with `priority` requests left, and takes it: the call it
    /// paces goes now. Returns a change of pace to report, if any. Cancel-safe: a wait given up
    /// leaves the queue (and wakes the next).
    pub async fn take(&self, priority: u64) -> Option<RateChange> {
        let (ticket, wake) = {
            let now = Instant::now();
            let mut s = self.lock();
            if s.queue.is_empty() && s.next_slot.is_none_or(|next| next <= now) {
                return self.reserve_in(&mut s, now).1;
            }
            s.queue.join(priority)
        };
        let mut leave = Leave {
            limiter: self,
            ticket: Some(ticket),
        };
        // The slot this waiter slept for: taken at its own time, so that a late wake-up does
        // not push every later slot back.
        let mut slept_for = None;
        loop {
            let due = {
                let now = Instant::now();
                let mut s = self.lock();
                if !s.queue.is_first(ticket) {
                    None
                } else {
                    let due = s.next_slot.unwrap_or(now);
                    if due <= now {
                        let at = if slept_for == Some(due) { due } else { now };
                        let (_, change) = self.reserve_in(&mut s, at);
                        leave.ticket = None;
                        s.queue.leave(ticket);
                        return change;
                    }
                    Some(due)
                }
            };
            match due {
                Some(due) => {
                    slept_for = Some(due);
                    tokio::select! {
                        () = tokio::time::sleep_until(due) => {}
                        () = wake.notified() => {}
                    }
                }
                None => wake.notified().await,
            }
        }
    }

    /// Waits for a slot with no priority of its own; returns a change of pace to report.
    pub async fn acquire(&self) -> Option<RateChange> {
        self.take(0).await
    }
}

/// Leaves the queue if the wait is given up (its future dropped before it was served).
struct Leave<'a> {
    limiter: &'a Limiter,
    ticket: Option<Ticket>,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.limiter.lock().queue.leave(ticket);
        }
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

    /// Lanes with these requests left wait for slots of a 10/s limiter, joining in this order
    /// while the first slot is taken; the order they are served in.
    async fn served(priorities: &[u64]) -> Vec<u64> {
        let lim = std::sync::Arc::new(Limiter::new(10));
        lim.take(0).await;
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for &p in priorities {
            let (lim, order) = (lim.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                lim.take(p).await;
                order.lock().unwrap().push(p);
            }));
            // Joined before the next one comes (the clock does not move: no slot is due).
            tokio::task::yield_now().await;
        }
        for t in tasks {
            t.await.unwrap();
        }
        order.lock().unwrap().clone()
    }

    #[tokio::test(start_paused = true)]
    async fn when_lanes_wait_for_the_rate_the_one_with_most_requests_left_goes_first() {
        assert_eq!(served(&[3, 500, 40, 500, 1]).await, [500, 500, 40, 3, 1]);
    }

    #[tokio::test(start_paused = true)]
    async fn priority_keeps_the_spacing_and_a_late_longer_lane_jumps_the_queue() {
        let lim = std::sync::Arc::new(Limiter::new(10));
        let start = Instant::now();
        lim.take(0).await;
        let at = std::sync::Arc::new(Mutex::new(Vec::new()));
        let spawn = |p: u64| {
            let (lim, at) = (lim.clone(), at.clone());
            tokio::spawn(async move {
                lim.take(p).await;
                at.lock().unwrap().push((p, start.elapsed()));
            })
        };
        let short = [spawn(1), spawn(2)];
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Comes while the short ones wait for the second slot: served before both.
        let long = spawn(90);
        long.await.unwrap();
        for t in short {
            t.await.unwrap();
        }
        let gap = interval(10.0);
        assert_eq!(
            *at.lock().unwrap(),
            [(90, gap), (2, gap * 2), (1, gap * 3)],
            "one slot per interval, longest first"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_given_up_leaves_the_queue_and_the_next_gets_the_slot() {
        let lim = std::sync::Arc::new(Limiter::new(10));
        lim.take(0).await;
        let first = {
            let lim = lim.clone();
            tokio::spawn(async move { lim.take(100).await })
        };
        tokio::task::yield_now().await;
        let second = {
            let lim = lim.clone();
            tokio::spawn(async move { lim.take(1).await })
        };
        tokio::task::yield_now().await;
        first.abort();
        let _ = first.await;
        tokio::time::timeout(Duration::from_secs(1), second)
            .await
            .expect("served after the first gave up")
            .unwrap();
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
