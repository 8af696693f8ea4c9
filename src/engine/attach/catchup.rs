//! Where a run stands, for a console that attaches late: kept by the server from the events it
//! forwards, sent once to each reader right after its hello, so that a console attaching after
//! hours shows the right lanes, counts and pauses without the run replaying its history.
//!
//! What is kept is bounded by the run's shape, not its length: the run's start, its phases,
//! each group's phase, the latest pace, and per lane its counts, its state (with the pause or
//! the stop that explains it) and the messages still failed or invalid (those a later result
//! may settle; a run keeps them few, as each one stops its lane). Results and errors are not
//! replayed: they show from the moment of attaching (`timport report` has them all).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::engine::events::{Counts, Event, LaneState, MessageOutcome, SourceRef};
use crate::engine::target::Target;

/// A message a later result may settle: refused (with its code), or invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenMessage {
    /// Where it is staged.
    pub source: SourceRef,
    /// The service's code it was refused with (`None`: no code, or invalid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// True when it is invalid rather than refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub invalid: bool,
}

/// One lane as it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaneNow {
    /// The lane.
    pub target: Target,
    /// Its messages per state.
    pub counts: Counts,
    /// Its state.
    pub state: LaneState,
    /// The event that explains the state, when there is one (`lane_paused`, `lane_stopped`,
    /// `lane_done`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<Event>,
    /// Its messages still failed or invalid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open: Vec<OpenMessage>,
}

/// Where the run stands, as a reader is told after its hello.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catchup {
    /// When the run (this invocation) started, unix milliseconds; 0 before it has.
    pub started_ms: i64,
    /// Events to apply in order before the lanes: `run_started`, `phases`, the latest
    /// `phase_started` and each `phase_done`, each group's `group_phase`, the latest
    /// `rate_changed`.
    pub standing: Vec<Event>,
    /// Every lane, in the run's order.
    pub lanes: Vec<LaneNow>,
    /// Requests sent so far in this invocation.
    pub requests: u64,
    /// True while the run is paused (no new requests).
    pub paused: bool,
}

/// What the server keeps to build a [`Catchup`].
#[derive(Debug, Default)]
pub struct Tracker {
    started_ms: i64,
    run_started: Option<Event>,
    phases: Option<Event>,
    phase_started: Option<Event>,
    phases_done: Vec<Event>,
    group_phases: BTreeMap<String, Event>,
    rate: Option<Event>,
    lanes: Vec<LaneNow>,
    lane_index: HashMap<Target, usize>,
    open: HashMap<(usize, SourceRef), OpenMessage>,
    requests: u64,
    paused: bool,
}

impl Tracker {
    /// Takes one event into account (`now_ms`: when, for the run's start).
    pub fn update(&mut self, event: &Event, now_ms: i64) {
        match event {
            Event::RunStarted { targets, .. } => {
                *self = Tracker {
                    started_ms: now_ms,
                    run_started: Some(event.clone()),
                    ..Tracker::default()
                };
                for t in targets {
                    self.lane_index.insert(t.target.clone(), self.lanes.len());
                    self.lanes.push(LaneNow {
                        target: t.target.clone(),
                        counts: Counts {
                            total: t.messages,
                            done: t.already_done,
                            ..Counts::default()
                        },
                        state: LaneState::Waiting,
                        why: None,
                        open: Vec::new(),
                    });
                }
            }
            Event::Phases { .. } => self.phases = Some(event.clone()),
            Event::PhaseStarted { .. } => self.phase_started = Some(event.clone()),
            Event::PhaseDone { phase, .. } => {
                self.phases_done
                    .retain(|e| !matches!(e, Event::PhaseDone { phase: p, .. } if p == phase));
                self.phases_done.push(event.clone());
            }
            Event::GroupPhase { group, .. } => {
                self.group_phases.insert(group.clone(), event.clone());
            }
            Event::RateChanged { .. } => self.rate = Some(event.clone()),
            Event::BatchSent { .. } | Event::PhaseCall { .. } => self.requests += 1,
            Event::LaneState { target, state } => {
                if let Some(lane) = self.lane_mut(target) {
                    lane.state = *state;
                    let explained = matches!(
                        (&lane.why, state),
                        (Some(Event::LanePaused { .. }), LaneState::Paused)
                            | (Some(Event::LaneStopped { .. }), LaneState::Stopped)
                            | (Some(Event::LaneDone { .. }), LaneState::Done)
                    );
                    if !explained {
                        lane.why = None;
                    }
                }
            }
            Event::LanePaused { target, .. } => self.explain(target, LaneState::Paused, event),
            Event::LaneStopped { target, .. } => self.explain(target, LaneState::Stopped, event),
            Event::LaneDone { target, counts } => {
                self.explain(target, LaneState::Done, event);
                if let Some(lane) = self.lane_mut(target) {
                    lane.counts = *counts;
                }
            }
            Event::LaneResumed { target } => {
                if let Some(lane) = self.lane_mut(target) {
                    lane.state = LaneState::Running;
                    lane.why = None;
                }
            }
            Event::MessageResult {
                target,
                source,
                outcome,
                ..
            } => self.result(target, source, outcome),
            Event::RunFinished { summary, .. } => {
                for t in &summary.targets {
                    if let Some(lane) = self.lane_mut(&t.target) {
                        lane.state = t.state;
                        lane.counts = t.counts;
                    }
                }
            }
            _ => {}
        }
    }

    /// The run was paused or resumed by a reader's request.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// Where the run stands now.
    pub fn catchup(&self) -> Catchup {
        let mut standing: Vec<Event> = [&self.run_started, &self.phases]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        standing.extend(self.phases_done.iter().cloned());
        standing.extend(self.phase_started.iter().cloned());
        standing.extend(self.group_phases.values().cloned());
        standing.extend(self.rate.iter().cloned());
        let mut lanes = self.lanes.clone();
        let mut open: Vec<_> = self.open.iter().collect();
        open.sort_by(|a, b| a.0.cmp(b.0));
        for ((lane, _), message) in open {
            if let Some(l) = lanes.get_mut(*lane) {
                l.open.push(message.clone());
            }
        }
        Catchup {
            started_ms: self.started_ms,
            standing,
            lanes,
            requests: self.requests,
            paused: self.paused,
        }
    }

    fn lane_mut(&mut self, target: &Target) -> Option<&mut LaneNow> {
        let i = *self.lane_index.get(target)?;
        self.lanes.get_mut(i)
    }

    fn explain(&mut self, target: &Target, state: LaneState, event: &Event) {
        if let Some(lane) = self.lane_mut(target) {
            lane.state = state;
            lane.why = Some(event.clone());
        }
    }

    /// A message's result: a message failed or invalid before stops counting so (a decision
    /// settled it), as the console counts it.
    fn result(&mut self, target: &Target, source: &SourceRef, outcome: &MessageOutcome) {
        let Some(&lane) = self.lane_index.get(target) else {
            return;
        };
        let key = (lane, source.clone());
        let earlier = self.open.remove(&key);
        let Some(l) = self.lanes.get_mut(lane) else {
            return;
        };
        let c = &mut l.counts;
        match earlier {
            Some(OpenMessage { invalid: true, .. }) => c.invalid = c.invalid.saturating_sub(1),
            Some(_) => c.failed = c.failed.saturating_sub(1),
            None => {}
        }
        let open = match outcome {
            MessageOutcome::Done { .. } => {
                c.done += 1;
                None
            }
            MessageOutcome::Skipped { .. } => {
                c.skipped += 1;
                None
            }
            MessageOutcome::Failed(f) => {
                c.failed += 1;
                Some((f.code, false))
            }
            MessageOutcome::Invalid { .. } => {
                c.invalid += 1;
                Some((None, true))
            }
        };
        if let Some((code, invalid)) = open {
            let message = OpenMessage {
                source: source.clone(),
                code,
                invalid,
            };
            self.open.insert(key, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::OnMessageError;
    use crate::engine::events::{Failure, PauseReason, TargetStart};
    use crate::engine::testing::source;

    fn started() -> Event {
        Event::RunStarted {
            run_id: 4,
            resumed: true,
            targets: ["a", "b"]
                .iter()
                .map(|g| TargetStart {
                    target: Target::new(g, None),
                    messages: 10,
                    batches: 2,
                    already_done: 3,
                })
                .collect(),
            rate_budget: 200,
            lanes: 2,
            on_message_error: OnMessageError::Pause,
        }
    }

    fn result(group: &str, line: u32, outcome: MessageOutcome) -> Event {
        Event::MessageResult {
            target: Target::new(group, None),
            source: source("g.jsonl", line),
            from_account: "u".into(),
            send_time: 1,
            random: 1,
            summary: "hi".into(),
            outcome,
        }
    }

    fn refused(code: i64) -> MessageOutcome {
        MessageOutcome::Failed(Failure {
            code: Some(code),
            meaning: "m".into(),
            remedy: "r".into(),
            detail: String::new(),
        })
    }

    #[test]
    fn a_late_reader_gets_the_counts_the_pauses_and_the_open_messages_without_the_history() {
        let mut t = Tracker::default();
        t.update(&started(), 1_000);
        let (a, b) = (Target::new("a", None), Target::new("b", None));
        // Thousands of results later, the catch-up is as large as the run's shape.
        for i in 0..5_000 {
            t.update(
                &result(
                    "a",
                    i % 4,
                    MessageOutcome::Done {
                        msg_seq: 1,
                        msg_time: 1,
                    },
                ),
                2_000,
            );
        }
        t.update(&result("a", 90, refused(80002)), 3_000);
        t.update(&result("b", 91, refused(80001)), 3_000);
        let pause = PauseReason {
            source: source("g.jsonl", 91),
            summary: "hi".into(),
            failure: Failure {
                code: Some(80001),
                meaning: "m".into(),
                remedy: "r".into(),
                detail: String::new(),
            },
            landed_after: vec![],
            newest: None,
        };
        t.update(
            &Event::LaneState {
                target: b.clone(),
                state: LaneState::Paused,
            },
            3_000,
        );
        t.update(
            &Event::LanePaused {
                target: b.clone(),
                reason: pause,
            },
            3_000,
        );
        // a's refused message is retried and lands: it no longer counts as failed.
        t.update(
            &result(
                "a",
                90,
                MessageOutcome::Done {
                    msg_seq: 2,
                    msg_time: 1,
                },
            ),
            4_000,
        );
        t.update(
            &Event::LaneState {
                target: a.clone(),
                state: LaneState::Running,
            },
            4_000,
        );
        t.set_paused(true);

        let c = t.catchup();
        assert_eq!(c.started_ms, 1_000);
        assert!(c.paused);
        assert!(matches!(c.standing[0], Event::RunStarted { run_id: 4, .. }));
        let (la, lb) = (&c.lanes[0], &c.lanes[1]);
        assert_eq!((la.counts.done, la.counts.failed), (3 + 5_001, 0));
        assert!(la.open.is_empty() && la.why.is_none());
        assert_eq!(la.state, LaneState::Running);
        assert_eq!((lb.counts.done, lb.counts.failed), (3, 1));
        assert_eq!(lb.state, LaneState::Paused);
        assert!(matches!(lb.why, Some(Event::LanePaused { .. })));
        assert_eq!(lb.open[0].code, Some(80001));

        // It crosses the socket and reads back the same.
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Catchup>(&json).unwrap(), c);
        assert!(json.len() < 4_000, "{} bytes", json.len());
    }
}
