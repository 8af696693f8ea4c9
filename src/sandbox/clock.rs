//! The sandbox's "now": the wall clock plus an adjustable offset, so tests can move time (the
//! 5-minute de-duplication window, "earlier than now", UserSigs minted at a fixed past time).

use std::sync::atomic::{AtomicI64, Ordering};

use crate::clock::unix_now;

/// Wall clock + offset, in unix seconds.
#[derive(Debug, Default)]
pub(crate) struct SandboxClock {
    offset: AtomicI64,
}

impl SandboxClock {
    /// The sandbox's current unix time.
    pub(crate) fn now(&self) -> i64 {
        unix_now().saturating_add(self.offset.load(Ordering::Relaxed))
    }

    /// Moves the sandbox's time by `secs` (negative goes back).
    pub(crate) fn advance(&self, secs: i64) {
        // fetch_update with a closure that always returns Some cannot fail.
        let _ = self
            .offset
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| {
                Some(o.saturating_add(secs))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_add_up() {
        let clock = SandboxClock::default();
        let before = clock.now();
        clock.advance(600);
        clock.advance(-100);
        let moved = clock.now() - before;
        assert!((500..=501).contains(&moved), "{moved}");
    }
}
