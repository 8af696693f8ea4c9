//! Waiting in priority order, for what lanes share: lane slots (`slots`) and rate slots
//! (`limiter`). The waiter with the most requests left goes first (ties: the first to come), so
//! that the longest lanes, which set how long a run takes, never wait behind short ones.
//!
//! Each waiter has its own [`Notify`]: only the one that is first is woken when the head of the
//! queue changes (a thing was given back, or the first left), and it checks again under its
//! owner's lock. A waiter that gives up (its future dropped) leaves through [`Queue::leave`], which
//! wakes the next, so nothing given back is lost with it.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Notify;

/// A place in the queue: most requests left first, then first come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ticket(Reverse<u64>, u64);

/// The waiters, in the order they are served.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    waiting: BTreeMap<Ticket, Arc<Notify>>,
    joined: u64,
}

impl Queue {
    /// Joins with `priority` (requests left); returns the place and what wakes it.
    pub(crate) fn join(&mut self, priority: u64) -> (Ticket, Arc<Notify>) {
        let ticket = Ticket(Reverse(priority), self.joined);
        self.joined += 1;
        let notify = Arc::new(Notify::new());
        self.waiting.insert(ticket, Arc::clone(&notify));
        (ticket, notify)
    }

    /// Whether `ticket` is served next.
    pub(crate) fn is_first(&self, ticket: Ticket) -> bool {
        self.waiting.keys().next() == Some(&ticket)
    }

    /// Nobody waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Takes `ticket` out (served, or given up) and wakes the waiter that is first now.
    pub(crate) fn leave(&mut self, ticket: Ticket) {
        self.waiting.remove(&ticket);
        self.wake_first();
    }

    /// Wakes the first waiter (it checks again; a wake it does not need costs one check).
    pub(crate) fn wake_first(&self) {
        if let Some(first) = self.waiting.values().next() {
            first.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_requests_left_go_first_then_first_come() {
        let mut q = Queue::default();
        let (small, _) = q.join(3);
        let (big, _) = q.join(90);
        let (big_later, _) = q.join(90);
        assert!(q.is_first(big));
        q.leave(big);
        assert!(q.is_first(big_later));
        q.leave(big_later);
        assert!(q.is_first(small));
        q.leave(small);
        assert!(q.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn leaving_wakes_the_next_even_before_it_waits() {
        let mut q = Queue::default();
        let (first, _) = q.join(5);
        let (second, wake) = q.join(1);
        q.leave(first);
        assert!(q.is_first(second));
        // The wake was stored: waiting now returns at once.
        tokio::time::timeout(std::time::Duration::from_secs(1), wake.notified())
            .await
            .expect("woken");
    }
}
