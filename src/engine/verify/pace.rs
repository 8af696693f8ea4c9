//! How a verification's reads take their turn at the service: the one place its pacing lives.
//!
//! `group_msg_get_simple` has a frequency limit of its own, and the service counts every call
//! of the app, so a verification must keep within a budget that any import running in the
//! same process also draws on. [`ReadPace`] is a thin layer over the engine's limiter (strict
//! spacing, cut on refusals): a budget of its own (`timport verify --rate`), the one a run shares
//! ([`ReadPace::shared`]: the console verifies while it imports), or none at all
//! ([`ReadPace::unpaced`]) for a client that paces every call itself.

use std::sync::Arc;

use tokio::time::Instant;

use crate::engine::limiter::{Limiter, RateChange, SharedLimiter};

/// Where a verification's reads get their slots.
#[derive(Debug, Clone)]
pub struct ReadPace {
    limiter: Option<Arc<Limiter>>,
}

impl ReadPace {
    /// A budget of its own: at most `rate` reads a second (the limiter's margin included).
    pub fn own(rate: u32) -> ReadPace {
        ReadPace {
            limiter: Some(Arc::new(Limiter::new(rate))),
        }
    }

    /// The budget an import in this process uses too (its [`crate::engine::RunOptions::budget`]).
    pub fn shared(budget: &SharedLimiter) -> ReadPace {
        ReadPace {
            limiter: Some(Arc::clone(&budget.0)),
        }
    }

    /// No pacing here: for a service that paces each call itself.
    pub fn unpaced() -> ReadPace {
        ReadPace { limiter: None }
    }

    /// Waits for the next slot; returns a change of pace, if the quiet let the rate climb.
    pub async fn turn(&self) -> Option<RateChange> {
        match &self.limiter {
            Some(l) => l.acquire().await,
            None => None,
        }
    }

    /// A frequency refusal: slows the budget down (everyone sharing it slows with it).
    pub fn refused(&self) -> Option<RateChange> {
        self.limiter
            .as_ref()
            .and_then(|l| l.refused(Instant::now()))
    }

    /// The budget's rate, requests per second (`None` when unpaced).
    pub fn budget(&self) -> Option<u32> {
        self.limiter.as_ref().map(|l| l.budget())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_shared_budget_spaces_the_reads_of_everyone_who_shares_it() {
        let shared = SharedLimiter::new(10);
        let verify = ReadPace::shared(&shared);
        let start = Instant::now();
        // The run takes a slot, then the verification takes the next one.
        shared.0.acquire().await;
        verify.turn().await;
        let gap = start.elapsed();
        assert!(gap >= Duration::from_millis(100), "{gap:?}");
        assert_eq!(verify.budget(), Some(10));
        assert!(verify.refused().is_some(), "a refusal cuts the shared pace");
        assert_eq!(shared.0.current(), 7);

        let free = ReadPace::unpaced();
        let before = Instant::now();
        free.turn().await;
        assert_eq!(before.elapsed(), Duration::ZERO);
        assert_eq!((free.budget(), free.refused()), (None, None));
    }
}
