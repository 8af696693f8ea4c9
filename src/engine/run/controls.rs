//! Routing the operator's controls to a run's lanes: pause and resume all, stop a lane, a
//! decision for a paused message, a bulk decision (added to the rules every lane applies),
//! shut down.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::{Cause, StopCause, set_cause};
use crate::engine::context::Rules;
use crate::engine::control::{Control, Decided};
use crate::engine::events::Event;
use crate::engine::ledger::Ledger;
use crate::engine::ledger::decisions::{self, DecisionRecord};
use crate::engine::target::Target;

/// Where a lane's controls go. The decisions channel exists only while the lane runs (made
/// when it starts, dropped when it ends), so a run of many thousands of targets does not hold
/// a channel for each.
pub(super) struct Route {
    pub(super) target_id: i64,
    pub(super) decisions: Option<mpsc::Sender<Decided>>,
    pub(super) stop: CancellationToken,
}

/// Every target's route, shared by the lanes (which open and close their channel) and the
/// router. Locked briefly, never across an await.
pub(super) type Routes = Arc<Mutex<HashMap<Target, Route>>>;

pub(super) fn lock(routes: &Routes) -> std::sync::MutexGuard<'_, HashMap<Target, Route>> {
    routes.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Routes controls until the run ends.
pub(super) async fn route_controls(
    mut controls: mpsc::Receiver<Control>,
    routes: Routes,
    (pause, rules): (watch::Sender<bool>, watch::Sender<Rules>),
    (shutdown, abort): (CancellationToken, CancellationToken),
    cause: Cause,
    ledger: Ledger,
    events: mpsc::Sender<Event>,
) {
    while let Some(control) = controls.recv().await {
        match control {
            Control::PauseRun => {
                pause.send_replace(true);
            }
            Control::ResumeRun => {
                pause.send_replace(false);
            }
            Control::DecideCode(bulk) => {
                if let Some(target) = &bulk.target
                    && !lock(&routes).contains_key(target)
                {
                    unknown_target(&events, target).await;
                    continue;
                }
                rules.send_modify(|r| Arc::make_mut(r).push(bulk));
            }
            Control::Shutdown => {
                set_cause(&cause, StopCause::Interrupted);
                shutdown.cancel();
            }
            Control::Abort => {
                set_cause(&cause, StopCause::Interrupted);
                shutdown.cancel();
                abort.cancel();
            }
            Control::StopLane(target, operator) => {
                let route = lock(&routes)
                    .get(&target)
                    .map(|r| (r.stop.clone(), r.target_id));
                match route {
                    Some((stop, id)) => {
                        // Stop first, record second: the lane must not start another request
                        // while the decision is being written.
                        stop.cancel();
                        let record = DecisionRecord::lane_stopped_by_operator(&operator);
                        let _ = ledger
                            .call(move |c| decisions::record(c, id, &record))
                            .await;
                        stop.cancel();
                    }
                    None => unknown_target(&events, &target).await,
                }
            }
            Control::Decide {
                target,
                source,
                decision,
                operator,
            } => {
                let lane = lock(&routes).get(&target).map(|r| r.decisions.clone());
                match lane {
                    Some(Some(lane)) => {
                        let _ = lane.send((source, decision, operator)).await;
                    }
                    // A lane that has not started or has ended does not listen; the decision has
                    // nothing to apply to, and the operator is told so.
                    Some(None) => {
                        let _ = events
                            .send(Event::Warning {
                                target: Some(target.clone()),
                                message: format!(
                                    "decision for {target} ignored: its lane is not running"
                                ),
                            })
                            .await;
                    }
                    None => unknown_target(&events, &target).await,
                }
            }
        }
    }
}

async fn unknown_target(events: &mpsc::Sender<Event>, target: &Target) {
    let _ = events
        .send(Event::Warning {
            target: None,
            message: format!("control for {target} ignored: it is not a target of this run"),
        })
        .await;
}
