//! Lane slots (`--lanes`): at most that many lanes work at once. A free slot goes to the waiting
//! lane with the most requests left: the run starts its lanes longest first, and a lane that
//! waited for a decision (and gave its slot back meanwhile) comes back in by what it has left,
//! before shorter lanes that have not started.
//!
//! Why longest first: a group's requests go one after another, so a run cannot end before its
//! largest group has had one round trip per request; started last, it would run alone at the end.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::queue::{Queue, Ticket};

/// The run's lane slots.
#[derive(Debug)]
pub(crate) struct LaneSlots {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    free: usize,
    queue: Queue,
}

/// A slot held by a lane; dropping it gives it back to the first waiter.
#[derive(Debug)]
pub(crate) struct LaneSlot {
    slots: Arc<LaneSlots>,
}

impl Drop for LaneSlot {
    fn drop(&mut self) {
        let mut s = self.slots.lock();
        s.free += 1;
        s.queue.wake_first();
    }
}

/// Leaves the queue if the wait is given up (its future dropped before it was served).
struct Leave<'a> {
    slots: &'a LaneSlots,
    ticket: Option<Ticket>,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.slots.lock().queue.leave(ticket);
        }
    }
}

impl LaneSlots {
    /// `n` slots (at least one).
    pub(crate) fn new(n: usize) -> Arc<LaneSlots> {
        Arc::new(LaneSlots {
            state: Mutex::new(State {
                free: n.max(1),
                queue: Queue::default(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A count and a queue, changed together under the lock: a panic cannot leave them torn.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a slot for a lane with `priority` requests left. Cancel-safe: a wait given up
    /// leaves the queue and wakes the next.
    pub(crate) async fn acquire(self: &Arc<Self>, priority: u64) -> LaneSlot {
        let (ticket, wake) = {
            let mut s = self.lock();
            if s.free > 0 && s.queue.is_empty() {
                s.free -= 1;
                return LaneSlot {
                    slots: Arc::clone(self),
                };
            }
            s.queue.join(priority)
        };
        let mut leave = Leave {
            slots: self,
            ticket: Some(ticket),
        };
        loop {
            {
                let mut s = self.lock();
                if s.free > 0 && s.queue.is_first(ticket) {
                    s.free -= 1;
                    leave.ticket = None;
                    s.queue.leave(ticket);
                    return LaneSlot {
                        slots: Arc::clone(self),
                    };
                }
            }
            wake.notified().await;
        }
    }

    /// Slots free now (for tests).
    #[cfg(test)]
    fn free(&self) -> usize {
        self.lock().free
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Each waiter takes a slot, records its name, holds it for a second and gives it back.
    async fn order_served(slots: usize, waiters: &[(&'static str, u64)]) -> Vec<&'static str> {
        let lanes = LaneSlots::new(slots);
        let held: Vec<_> = {
            let mut v = Vec::new();
            for _ in 0..slots {
                v.push(lanes.acquire(0).await);
            }
            v
        };
        let served = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for &(name, priority) in waiters {
            let (lanes, served) = (Arc::clone(&lanes), Arc::clone(&served));
            tasks.push(tokio::spawn(async move {
                let slot = lanes.acquire(priority).await;
                served.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_secs(1)).await;
                drop(slot);
            }));
            // Each joins the queue before the next.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(lanes.free(), slots);
        Arc::try_unwrap(served).unwrap().into_inner().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_freed_slot_goes_to_the_lane_with_the_most_left_ties_first_come() {
        let order =
            order_served(1, &[("small", 2), ("big", 500), ("mid", 40), ("big2", 500)]).await;
        assert_eq!(order, ["big", "big2", "mid", "small"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_given_up_passes_the_slot_on() {
        let lanes = LaneSlots::new(1);
        let held = lanes.acquire(0).await;
        let gave_up = {
            let lanes = Arc::clone(&lanes);
            tokio::spawn(async move { lanes.acquire(100).await })
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        let patient = {
            let lanes = Arc::clone(&lanes);
            tokio::spawn(async move { lanes.acquire(1).await })
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        gave_up.abort();
        let _ = gave_up.await;
        drop(held);
        let slot = tokio::time::timeout(Duration::from_secs(1), patient)
            .await
            .expect("the slot went on to the next waiter")
            .unwrap();
        assert_eq!(lanes.free(), 0);
        drop(slot);
        assert_eq!(lanes.free(), 1);
    }
}
