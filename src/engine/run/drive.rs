//! Driving the lanes: starting them longest first (most requests left, ties in staged order) as
//! slots free up, collecting how each ended, and bounding the wait for answers in flight once the
//! run is stopping. Longest first because a group's requests go one after another: the largest
//! group needs one round trip per request however fast the rest goes, so it must not start last
//! (`engine::bound`).

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::controls::{Routes, lock};
use super::{Cause, StopCause, set_cause};
use crate::engine::context::RunContext;
use crate::engine::empty;
use crate::engine::events::Counts;
use crate::engine::lane::{LaneEnd, LaneSetup, run_lane};
use crate::engine::service::ImportService;

/// Starts lanes longest first as slots free up, collects how each ended, and bounds the wait for
/// answers in flight once the run is stopping. `None` for a lane that never started (or was
/// aborted at the end of the grace period).
pub(super) async fn drive_lanes<S: ImportService>(
    ctx: &Arc<RunContext<S>>,
    setups: Vec<LaneSetup>,
    routes: &Routes,
    cause: &Cause,
) -> Vec<Option<(LaneEnd, Counts)>> {
    let mut ends: Vec<Option<(LaneEnd, Counts)>> = vec![None; setups.len()];
    let order = longest_first(setups);
    // Which groups hold no message, asked in the order the lanes start (a topic's lane reads
    // its topic back: not asked).
    let groups: Vec<(String, u64)> = order
        .iter()
        .filter(|(_, s)| s.target.topic().is_none())
        .map(|(_, s)| (s.target.group().to_owned(), s.requests))
        .collect();
    let (empty, asking) = empty::ask(Arc::clone(ctx), groups);
    let mut waiting = order.into_iter();
    let mut next = waiting.next();
    let mut lanes = JoinSet::new();
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        if ctx.shutdown.is_cancelled() && deadline.is_none() {
            deadline = Some(tokio::time::Instant::now() + ctx.opts.shutdown_grace);
        }
        let may_start = next.is_some() && deadline.is_none();
        if !may_start && lanes.is_empty() {
            break;
        }
        let priority = next.as_ref().map_or(0, |(_, s)| s.requests);
        tokio::select! {
            biased;
            Some(joined) = lanes.join_next() => {
                if let Ok((i, (end, counts))) = joined {
                    match &end {
                        LaneEnd::StopRun(f) => {
                            set_cause(cause, StopCause::Service(f.clone()));
                            ctx.shutdown.cancel();
                        }
                        LaneEnd::Ledger(e) => {
                            set_cause(cause, StopCause::Ledger(e.to_string()));
                            ctx.shutdown.cancel();
                        }
                        _ => {}
                    }
                    ends[i] = Some((end, counts));
                }
            }
            permit = ctx.slots.acquire(priority), if may_start => {
                if let Some((i, setup)) = next.take() {
                    let ctx = Arc::clone(ctx);
                    let (tx, decisions) = mpsc::channel(16);
                    let target = setup.target.clone();
                    if let Some(route) = lock(routes).get_mut(&target) {
                        route.decisions = Some(tx);
                    }
                    let routes = Arc::clone(routes);
                    let empty = empty.clone();
                    lanes.spawn(async move {
                        let end = run_lane(ctx, setup, decisions, permit, empty).await;
                        if let Some(route) = lock(&routes).get_mut(&target) {
                            route.decisions = None;
                        }
                        (i, end)
                    });
                    next = waiting.next();
                }
            }
            () = ctx.shutdown.cancelled(), if deadline.is_none() => {}
            () = wait_abort(ctx, deadline), if deadline.is_some() => {
                // Answers still not in after the grace period: their requests stay in flight in
                // the ledger and are settled by reading back on resume.
                lanes.abort_all();
                while lanes.join_next().await.is_some() {}
                break;
            }
        }
    }
    asking.abort();
    ends
}

/// The lanes with their places in `setups`, most requests left first (a stable sort: equals keep
/// the staged order).
fn longest_first(setups: Vec<LaneSetup>) -> Vec<(usize, LaneSetup)> {
    let mut order: Vec<(usize, LaneSetup)> = setups.into_iter().enumerate().collect();
    order.sort_by_key(|(_, s)| std::cmp::Reverse(s.requests));
    order
}

/// The end of the grace period, or an abort (which ends it at once).
async fn wait_abort<S>(ctx: &RunContext<S>, deadline: Option<tokio::time::Instant>) {
    tokio::select! {
        () = sleep_until_opt(deadline) => {}
        () = ctx.abort.cancelled() => {}
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::engine::target::Target;

    fn setup(group: &str, requests: u64) -> LaneSetup {
        LaneSetup {
            target: Target::new(group, None),
            target_id: 0,
            messages: requests * 7,
            requests,
            stop: CancellationToken::new(),
        }
    }

    #[test]
    fn lanes_start_longest_first_and_equals_keep_the_staged_order() {
        let order = longest_first(vec![
            setup("a", 3),
            setup("b", 900),
            setup("c", 40),
            setup("d", 900),
            setup("e", 0),
        ]);
        let order: Vec<(usize, String)> = order
            .iter()
            .map(|(i, s)| (*i, s.target.group().to_owned()))
            .collect();
        assert_eq!(
            order,
            [(1, "b"), (3, "d"), (2, "c"), (0, "a"), (4, "e")].map(|(i, g)| (i, g.to_owned()))
        );
    }
}
