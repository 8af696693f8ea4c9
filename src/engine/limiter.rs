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
//! A reserved share for the lane that sets how long the run takes ([`Limiter::take_lane`]): while
//! the lane with the most requests left is bound by its own round trips (its requests left times
//! its pace outlast the run's requests left at the rate), a second stream of slots, `k` a second
//! (1.1 / its pace, at most a quarter of the rate), is kept for it, and the shared stream goes at
//! `current - k`. Its answer then finds a slot free instead of waiting for the next shared one.
//! Why no one-second window holds more than the rate (docs/duration.md): each stream is strictly
//! spaced at its own pace, and every slot handed out while a reserved slot is less than a second
//! old is also checked against the last slots of both streams ([`window_limit`]); without a
//! critical lane the check never applies and the limiter is what it was.
//!
//! The spacing is pure (times are passed in: [`Limiter::reserve`], [`Limiter::reserve_lane`]);
//! [`Limiter::take`] adds the queue and the sleeping.

use std::collections::VecDeque;
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
/// The reserved stream runs this much faster than the critical lane's pace, so that a slot is
/// due whenever its answer comes.
pub const RESERVE_HEADROOM: f64 = 1.1;
/// The reserved stream takes at most this share of the current rate.
pub const RESERVE_SHARE: f64 = 0.25;
/// A critical lane not heard of for this long no longer holds the reservation.
pub const CRITICAL_STALE: Duration = Duration::from_secs(1);
/// Weight of a new interval in the critical lane's pace (a moving average).
const PACE_WEIGHT: f64 = 0.125;
const WINDOW: Duration = Duration::from_secs(1);

/// A lane asking for a slot: who it is and how much is left, for the reserved share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneLoad {
    /// The lane's identity within the run (its target's id).
    pub lane: u64,
    /// Its requests still to send (its priority).
    pub left: u64,
    /// The run's requests still to send, all lanes.
    pub run_left: u64,
}

/// The lane the reserved stream is for: the one with the most requests left, lately heard of.
#[derive(Debug, Clone, Copy)]
struct Critical {
    lane: u64,
    left: u64,
    /// When it last asked for a slot.
    seen: Instant,
    /// Its mean interval between asking for slots (`None` until it has asked twice).
    pace: Option<Duration>,
    /// Reserved slots per second (0: not bound by its round trips).
    reserved: u32,
}

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
    critical: Option<Critical>,
    /// The reserved stream's next slot.
    next_reserved: Option<Instant>,
    /// The last reserved slot handed out.
    last_reserved: Option<Instant>,
    /// The last slot handed out, either stream: slots are handed out in time order.
    last_slot: Option<Instant>,
    /// The latest slots of both streams, oldest first (at most `window_limit(budget)`).
    recent: VecDeque<Instant>,
}

impl State {
    /// The reserved slots per second in force at `now` (0 without a critical lane).
    fn reserved_at(&self, now: Instant) -> u32 {
        self.critical
            .filter(|c| now.saturating_duration_since(c.seen) < CRITICAL_STALE)
            .map_or(0, |c| c.reserved)
    }

    /// The earliest time a slot keeps every one-second window within `window_limit(current)`,
    /// given the latest slots (all at or before it).
    fn window_open(&self) -> Option<Instant> {
        let limit = window_limit(self.current);
        let n = self.recent.len();
        (n >= limit).then(|| self.recent[n - limit] + WINDOW)
    }

    fn record(&mut self, slot: Instant, cap: usize) {
        self.last_slot = Some(slot);
        self.recent.push_back(slot);
        while self.recent.len() > cap {
            self.recent.pop_front();
        }
    }
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
                critical: None,
                next_reserved: None,
                last_reserved: None,
                last_slot: None,
                recent: VecDeque::new(),
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
        let change = self.climb(s, now);
        let slot = self.shared_ready(s, now).max(now);
        let shared = s.current - f64::from(s.reserved_at(slot));
        s.next_slot = Some(slot + interval(shared));
        s.record(slot, window_limit(f64::from(self.budget)));
        (slot, change)
    }

    /// After [`QUIET`] without refusals the rate climbs by [`RAISE`] of the budget.
    fn climb(&self, s: &mut State, now: Instant) -> Option<RateChange> {
        let quiet_since = *s.quiet_since.get_or_insert(now);
        let budget = f64::from(self.budget);
        if s.current < budget && now.saturating_duration_since(quiet_since) >= QUIET {
            s.current = (s.current + budget * RAISE).min(budget);
            s.quiet_since = Some(now);
            return Some(self.change(s));
        }
        None
    }

    /// When the shared stream's next slot is due (`now` if it never gave one; may be past): its
    /// own spacing, after every slot handed out, and, while a reserved slot is less than a
    /// second old, within the window.
    fn shared_ready(&self, s: &State, now: Instant) -> Instant {
        let mut slot = s.next_slot.unwrap_or(now);
        if let Some(last) = s.last_slot {
            slot = slot.max(last);
        }
        let reserving = s
            .last_reserved
            .is_some_and(|r| slot.saturating_duration_since(r) < WINDOW);
        if reserving && let Some(open) = s.window_open() {
            slot = slot.max(open);
        }
        slot
    }

    /// Hears of `load` asking at `now`: it becomes (or stays) the critical lane if it has the
    /// most requests left of the lanes lately heard of; its pace and reservation are updated.
    /// Returns whether it is the critical lane.
    fn hear(&self, s: &mut State, now: Instant, load: LaneLoad) -> bool {
        let fresh = s
            .critical
            .filter(|c| now.saturating_duration_since(c.seen) < CRITICAL_STALE);
        let mut c = match fresh {
            Some(c) if c.lane == load.lane => {
                let gap = now.saturating_duration_since(c.seen).as_secs_f64();
                let pace = c.pace.map_or(gap, |p| {
                    p.as_secs_f64() * (1.0 - PACE_WEIGHT) + gap * PACE_WEIGHT
                });
                Critical {
                    pace: Some(Duration::from_secs_f64(pace)),
                    ..c
                }
            }
            Some(c) if c.left >= load.left => return false,
            _ => Critical {
                lane: load.lane,
                left: load.left,
                seen: now,
                pace: None,
                reserved: 0,
            },
        };
        c.left = load.left;
        c.seen = now;
        c.reserved = c.pace.map_or(0, |pace| {
            reservation(load.left, pace, load.run_left, s.current)
        });
        s.critical = Some(c);
        true
    }

    /// A reserved slot for the critical lane at `now`, if one is due: its stream's spacing, the
    /// window, and after every slot handed out.
    fn reserved_in(&self, s: &mut State, now: Instant, load: LaneLoad) -> Option<Instant> {
        if !self.hear(s, now, load) {
            return None;
        }
        let k = s.reserved_at(now);
        let due = k > 0
            && s.next_reserved.is_none_or(|next| next <= now)
            && s.last_slot.is_none_or(|last| last <= now)
            && s.window_open().is_none_or(|open| open <= now);
        if !due {
            return None;
        }
        s.next_reserved = Some(now + interval(f64::from(k)));
        s.last_reserved = Some(now);
        s.record(now, window_limit(f64::from(self.budget)));
        Some(now)
    }

    /// Takes a slot for `load` at or after `now`: a reserved one at `now` if it is the critical
    /// lane and one is due, else the shared stream's next. Pure ([`Limiter::reserve`] with a
    /// lane); for tests.
    pub fn reserve_lane(&self, now: Instant, load: LaneLoad) -> (Instant, Option<RateChange>) {
        let mut s = self.lock();
        if let Some(slot) = self.reserved_in(&mut s, now, load) {
            let change = self.climb(&mut s, now);
            return (slot, change);
        }
        self.reserve_in(&mut s, now)
    }

    /// The reserved slots per second in force at `now` (0 without a critical lane).
    pub fn reserved(&self, now: Instant) -> u32 {
        self.lock().reserved_at(now)
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
            if s.queue.is_empty() && self.shared_ready(&s, now) <= now {
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
                    let due = self.shared_ready(&s, now);
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

    /// Waits for a slot for a lane of a run: a reserved one at once if it is the critical lane
    /// and one is due, else as [`Limiter::take`] with its requests left.
    pub async fn take_lane(&self, load: LaneLoad) -> Option<RateChange> {
        {
            let now = Instant::now();
            let mut s = self.lock();
            if self.reserved_in(&mut s, now, load).is_some() {
                return self.climb(&mut s, now);
            }
        }
        self.take(load.left).await
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

/// The most slots a one-second window may hold at `current` while a reserved slot is in it:
/// one more than a single stream spaced at `current` can put there, and never above `current`.
pub fn window_limit(current: f64) -> usize {
    let single = (current / (1.0 + MARGIN)).ceil() as usize + 1;
    single.min(current.floor() as usize).max(1)
}

/// Reserved slots per second for the lane with `left` requests at `pace` per request, when the
/// run has `run_left` requests at `current` per second: none unless the lane's round trips
/// outlast the rest at the rate; else [`RESERVE_HEADROOM`] over its pace, at most
/// [`RESERVE_SHARE`] of the rate.
pub fn reservation(left: u64, pace: Duration, run_left: u64, current: f64) -> u32 {
    let by_lane = left as f64 * pace.as_secs_f64();
    let by_rate = run_left as f64 / current.max(FLOOR);
    if by_lane <= by_rate || pace.is_zero() {
        return 0;
    }
    let wanted = (RESERVE_HEADROOM / pace.as_secs_f64()).ceil();
    let cap = (current * RESERVE_SHARE).floor();
    wanted.min(cap).max(0.0) as u32
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

    #[test]
    fn a_lane_bound_by_its_round_trips_gets_headroom_over_its_pace_up_to_a_quarter() {
        let ms = Duration::from_millis;
        // 220 requests at 52 ms (11.4 s) outlast 1,820 at 200/s (9.1 s): 1.1 / 52 ms = 21.2.
        assert_eq!(reservation(220, ms(52), 1_820, 200.0), 22);
        // 4 requests of 2,000: the rate sets the duration.
        assert_eq!(reservation(4, ms(52), 2_000, 200.0), 0);
        // A short round trip: at most a quarter of the rate.
        assert_eq!(reservation(1_000, ms(1), 100, 200.0), 50);
        assert_eq!(reservation(1_000, ms(1), 100, 140.0), 35);
        // Too slow a rate to share.
        assert_eq!(reservation(1_000, ms(52), 1_000, 3.0), 0);
        assert_eq!(reservation(1_000, Duration::ZERO, 1_000, 200.0), 0);
    }

    #[test]
    fn the_window_limit_is_one_over_a_single_stream_and_never_above_the_rate() {
        assert_eq!(window_limit(200.0), 196);
        assert_eq!(window_limit(140.0), 137);
        assert_eq!(window_limit(4.0), 4);
        assert_eq!(window_limit(1.0), 1);
    }

    /// A lane far longer than the rest of the run.
    fn critical(lane: u64) -> LaneLoad {
        LaneLoad {
            lane,
            left: 1_000,
            run_left: 1_100,
        }
    }

    #[test]
    fn the_critical_lane_takes_a_reserved_slot_at_once_while_the_shared_stream_is_ahead() {
        let t0 = Instant::now();
        let lim = Limiter::new(200);
        let ms = Duration::from_millis;
        // Its first two asks measure its pace (52 ms); until then it is served as any lane.
        lim.reserve_lane(t0, critical(7));
        lim.reserve_lane(t0 + ms(52), critical(7));
        assert_eq!(lim.reserved(t0 + ms(52)), 22);
        // The shared stream is taken well ahead (others queue for the rate).
        let mut now = t0 + ms(52);
        for _ in 0..20 {
            lim.reserve(now);
        }
        let (ahead, _) = lim.reserve(now);
        assert!(ahead > now + ms(90), "{ahead:?}");
        // ... yet each answer of the critical lane finds a slot at once.
        for _ in 0..5 {
            now += ms(52);
            // The shared slots handed out before are not passed: only once they are due.
            while lim.reserve(now).0 <= now {}
            let (slot, _) = lim.reserve_lane(now, critical(7));
            assert!(slot >= now);
        }
        // A lane with fewer requests left does not take the reservation.
        let (slot, _) = lim.reserve_lane(
            now,
            LaneLoad {
                lane: 8,
                left: 10,
                run_left: 1_100,
            },
        );
        assert!(slot > now);
    }

    proptest! {
        /// Any mix of shared takes, takes by lanes (one of which may become critical), and
        /// refusals: no one-second window above the budget; without refusals, none above
        /// `window_limit(rate)`.
        #[test]
        fn both_streams_together_never_put_more_than_the_rate_in_a_second(
            rate in 4u32..=200,
            ops in proptest::collection::vec((0u64..40, 0u8..5, 0u64..400, 0u64..3_000), 1..800),
            refusals in any::<bool>(),
        ) {
            let t0 = Instant::now();
            let lim = Limiter::new(rate);
            let mut now = t0;
            let mut slots = Vec::new();
            for (gap, kind, left, run_left) in ops {
                now += Duration::from_millis(gap);
                let slot = match kind {
                    0 => lim.reserve(now).0,
                    4 if refusals => {
                        lim.refused(now);
                        continue;
                    }
                    lane => {
                        let load = LaneLoad { lane: u64::from(lane), left, run_left };
                        lim.reserve_lane(now, load).0
                    }
                };
                prop_assert!(slot >= now);
                slots.push(slot);
            }
            prop_assert!(slots.windows(2).all(|w| w[0] <= w[1]), "handed out in time order");
            let busiest = busiest_second(&slots);
            prop_assert!(busiest <= rate as usize, "{busiest} > {rate}");
            if !refusals {
                prop_assert!(busiest <= window_limit(f64::from(rate)), "{busiest}");
            }
        }
    }

    /// Eight short lanes (20 ms round trips) keep a 200/s limiter busy while one long lane
    /// (53 ms round trips) asks `rounds` times; the long lane's waits for a slot, and every slot.
    async fn long_among_short(run_left: u64, rounds: usize) -> (Vec<Duration>, Vec<Instant>) {
        let lim = Arc::new(Limiter::new(200));
        let slots = Arc::new(Mutex::new(Vec::new()));
        let stop = tokio_util::sync::CancellationToken::new();
        let mut short = Vec::new();
        for lane in 0..8u64 {
            let (lim, slots, stop) = (lim.clone(), slots.clone(), stop.clone());
            short.push(tokio::spawn(async move {
                while !stop.is_cancelled() {
                    lim.take_lane(LaneLoad {
                        lane,
                        left: 5,
                        run_left,
                    })
                    .await;
                    slots.lock().unwrap().push(Instant::now());
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }));
        }
        let mut waits = Vec::new();
        for _ in 0..rounds {
            let asked = Instant::now();
            lim.take_lane(LaneLoad {
                lane: 99,
                left: 200,
                run_left,
            })
            .await;
            waits.push(asked.elapsed());
            slots.lock().unwrap().push(Instant::now());
            tokio::time::sleep(Duration::from_millis(53)).await;
        }
        stop.cancel();
        for t in short {
            t.await.unwrap();
        }
        let mut slots = slots.lock().unwrap().clone();
        slots.sort();
        (waits, slots)
    }

    #[tokio::test(start_paused = true)]
    async fn the_lane_that_sets_the_duration_is_not_delayed_by_the_others_slots() {
        // 200 requests at 53 ms outlast 1,000 at 200/s: after its first two asks (its pace),
        // never a wait.
        let (waits, slots) = long_among_short(1_000, 60).await;
        assert!(waits[2..].iter().all(Duration::is_zero), "{waits:?}");
        let busiest = busiest_second(&slots);
        assert!(busiest <= window_limit(200.0), "{busiest}");
        // The others still have most of the rate: 8 lanes at one per 20 ms want 400/s.
        assert!(busiest >= 185, "{busiest}");
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_critical_lane_the_longest_waits_in_the_queue_as_before() {
        // 200 requests are a small part of 100,000 at 200/s: no reservation, the long lane
        // waits for shared slots (first in the queue) like every lane.
        let (waits, slots) = long_among_short(100_000, 60).await;
        let waited = waits.iter().filter(|w| !w.is_zero()).count();
        assert!(waited > 30, "{waits:?}");
        assert!(waits.iter().all(|w| *w <= interval(200.0)), "{waits:?}");
        assert!(busiest_second(&slots) <= 195);
    }
}
