//! The sandbox's "now": the machine's clocks plus an adjustable offset, so tests can move time
//! (the 5-minute de-duplication window, "earlier than now", UserSigs minted at a fixed past time),
//! and, for tests, a way to stop it: a frozen sandbox sees every request at the same instant
//! until it is moved, so what "within one second" and "expired" mean no longer depends on how
//! fast a loaded machine gets the requests there.
//!
//! Two readings of one clock: unix seconds for the service's rules, and a monotonic instant for
//! the frequency window. `advance` moves the unix seconds only (going back in time must not
//! refill the frequency window); freezing stops both.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::clock::unix_now;

/// The machine's clocks (or where they stood when frozen) plus an offset.
#[derive(Debug, Default)]
pub(crate) struct SandboxClock {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Seconds added to the unix time by [`SandboxClock::advance`].
    offset: i64,
    /// Where the machine's clocks stood when the clock was frozen.
    frozen: Option<(i64, Instant)>,
}

impl SandboxClock {
    fn read(&self) -> (i64, Instant) {
        // A few integer operations under the lock: a panic cannot leave it half-written.
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (unix, at) = inner.frozen.unwrap_or_else(|| (unix_now(), Instant::now()));
        (unix.saturating_add(inner.offset), at)
    }

    /// The sandbox's current unix time.
    pub(crate) fn now(&self) -> i64 {
        self.read().0
    }

    /// The instant the frequency window counts requests at.
    pub(crate) fn instant(&self) -> Instant {
        self.read().1
    }

    /// Moves the sandbox's unix time by `secs` (negative goes back).
    pub(crate) fn advance(&self, secs: i64) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.offset = inner.offset.saturating_add(secs);
    }

    /// Stops the clock where it stands (unix time and frequency window alike); `advance` still
    /// moves the unix time.
    pub(crate) fn freeze(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .frozen
            .get_or_insert_with(|| (unix_now(), Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let clock = SandboxClock::default();
        clock.freeze();
        let (before, at) = (clock.now(), clock.instant());
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.instant(), at);
        clock.advance(600);
        clock.advance(-100);
        assert_eq!(clock.now(), before + 500);
        assert_eq!(clock.instant(), at, "advancing moves the unix time only");
    }

    #[test]
    fn a_running_clock_adds_its_offset_to_the_machines() {
        let clock = SandboxClock::default();
        clock.advance(-3_600);
        let now = clock.now();
        let behind = unix_now() - now;
        // The two readings straddle at most one second boundary.
        assert!((3_600..=3_601).contains(&behind), "{behind}");
    }
}
