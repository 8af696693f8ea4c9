//! The headless heartbeat: where a run stands, once a minute, for a `timport run` nobody
//! watches on a terminal (a log collector, `nohup`, systemd). From the run's events it keeps
//! each lane's state and counts; at each beat it tells messages settled of the total, the pace
//! over the last 1, 15 and 60 minutes, the ETA and the lanes running, paused and stopped.
//! Pure: the caller gives the time since the run started and decides where the line goes.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use super::events::{Event, LaneState};
use super::printer::Progress;
use super::target::Target;
use crate::numbers::{count as thousands, duration};

/// How often the heartbeat beats.
pub const BEAT: Duration = Duration::from_secs(60);

/// The windows of the pace, minutes.
pub const WINDOWS_MINUTES: [u64; 3] = [1, 15, 60];

/// The window the ETA's pace is taken over, minutes (long enough not to jump).
pub const ETA_WINDOW_MINUTES: u64 = 15;

/// One lane as the heartbeat follows it.
#[derive(Debug, Clone, Copy)]
struct LaneTrack {
    total: u64,
    settled: u64,
    state: LaneState,
}

/// The run so far, from its events.
#[derive(Debug, Clone, Default)]
pub struct Pulse {
    progress: Progress,
    lanes: HashMap<Target, LaneTrack>,
    /// `(ms since the start, messages settled)` at the start and at each beat of the last hour.
    samples: VecDeque<(u64, u64)>,
}

/// Messages per second over the last 1, 15 and 60 minutes (since the start while the run is
/// younger than the window); `None` before any time passed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PerSecond {
    /// Over the last minute.
    #[serde(rename = "1m")]
    pub m1: Option<f64>,
    /// Over the last 15 minutes.
    #[serde(rename = "15m")]
    pub m15: Option<f64>,
    /// Over the last hour.
    #[serde(rename = "60m")]
    pub m60: Option<f64>,
}

/// Lanes per state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LaneCounts {
    /// Sending, or reading a group back.
    pub running: u64,
    /// Stopped at a message, waiting for a decision.
    pub paused: u64,
    /// Stopped for good in this run.
    pub stopped: u64,
    /// Waiting for a lane slot.
    pub queued: u64,
    /// Finished.
    pub done: u64,
}

/// One beat: the `progress` event of `timport run --json`, and the heartbeat line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Beat {
    /// Always `"progress"` (the JSON events' tag).
    pub event: &'static str,
    /// Seconds since the run started (in this process).
    pub elapsed_secs: u64,
    /// Messages settled (done, failed, skipped or invalid).
    pub done: u64,
    /// Messages in the run.
    pub total: u64,
    /// The pace.
    pub per_sec: PerSecond,
    /// Seconds left for the lanes that can move, at the pace of the last
    /// [`ETA_WINDOW_MINUTES`]; `None` when nothing can move or no pace is known.
    pub eta_secs: Option<u64>,
    /// Messages of lanes stopped at a message for a decision (not in the ETA).
    pub waiting: u64,
    /// The lanes.
    pub lanes: LaneCounts,
}

impl Pulse {
    /// Takes an event into account.
    pub fn update(&mut self, event: &Event) {
        self.progress.update(event);
        match event {
            Event::RunStarted { targets, .. } => {
                for t in targets {
                    self.lanes.insert(
                        t.target.clone(),
                        LaneTrack {
                            total: t.messages,
                            settled: t.already_done.min(t.messages),
                            state: LaneState::Waiting,
                        },
                    );
                }
                if self.samples.is_empty() {
                    self.samples.push_back((0, self.progress.settled));
                }
            }
            Event::LaneState { target, state } => self.set(target, *state),
            Event::LanePaused { target, .. } => self.set(target, LaneState::Paused),
            Event::LaneResumed { target } => self.set(target, LaneState::Running),
            Event::LaneStopped { target, .. } => self.set(target, LaneState::Stopped),
            Event::LaneDone { target, .. } => self.set(target, LaneState::Done),
            Event::MessageResult { target, .. } => {
                if let Some(lane) = self.lanes.get_mut(target) {
                    lane.settled = (lane.settled + 1).min(lane.total);
                }
            }
            _ => {}
        }
    }

    fn set(&mut self, target: &Target, state: LaneState) {
        if let Some(lane) = self.lanes.get_mut(target) {
            lane.state = state;
        }
    }

    /// The beat at `at` since the run started; remembers it for the paces of later beats.
    pub fn beat(&mut self, at: Duration) -> Beat {
        let now = u64::try_from(at.as_millis()).unwrap_or(u64::MAX);
        let done = self.progress.settled;
        self.samples.push_back((now, done));
        let hour = 60 * 60_000;
        // Keep the newest sample that is at least an hour old: the 60-minute pace starts there.
        while self.samples.len() > 2 && self.samples[1].0 + hour <= now {
            self.samples.pop_front();
        }
        let pace = |minutes: u64| self.pace(now, done, minutes * 60_000);
        let per_sec = PerSecond {
            m1: pace(WINDOWS_MINUTES[0]),
            m15: pace(WINDOWS_MINUTES[1]),
            m60: pace(WINDOWS_MINUTES[2]),
        };
        let mut lanes = LaneCounts::default();
        let (mut rest, mut waiting) = (0, 0);
        for lane in self.lanes.values() {
            let left = lane.total.saturating_sub(lane.settled);
            match lane.state {
                LaneState::Running | LaneState::Settling => {
                    lanes.running += 1;
                    rest += left;
                }
                LaneState::Waiting => {
                    lanes.queued += 1;
                    rest += left;
                }
                LaneState::Paused => {
                    lanes.paused += 1;
                    waiting += left;
                }
                LaneState::Stopped => lanes.stopped += 1,
                LaneState::Done => lanes.done += 1,
            }
        }
        let eta_secs = match pace(ETA_WINDOW_MINUTES) {
            Some(p) if p > 0.0 && rest > 0 => Some((rest as f64 / p).ceil() as u64),
            _ => None,
        };
        Beat {
            event: "progress",
            elapsed_secs: now / 1000,
            done,
            total: self.progress.total,
            per_sec,
            eta_secs,
            waiting,
            lanes,
        }
    }

    /// Messages per second from the oldest sample within `window` ms of `now`.
    fn pace(&self, now: u64, done: u64, window: u64) -> Option<f64> {
        let (at, then) = self
            .samples
            .iter()
            .find(|(at, _)| at + window >= now)
            .copied()?;
        let span = now.checked_sub(at).filter(|s| *s > 0)?;
        Some(done.saturating_sub(then) as f64 * 1000.0 / span as f64)
    }
}

impl Beat {
    /// The heartbeat line for people (counts with thousands separators).
    pub fn line(&self) -> String {
        let rate = |r: Option<f64>| r.map_or_else(|| "–".to_owned(), |r| format!("{r:.1}"));
        let mut line = format!(
            "{}/{} messages ({}%); msg/s {} (1 min), {} (15 min), {} (60 min); eta {}",
            thousands(self.done),
            thousands(self.total),
            (self.done * 100).checked_div(self.total).unwrap_or(100),
            rate(self.per_sec.m1),
            rate(self.per_sec.m15),
            rate(self.per_sec.m60),
            self.eta_secs.map_or_else(|| "–".to_owned(), duration),
        );
        if self.waiting > 0 {
            let _ = write!(line, " ({} wait for a decision)", thousands(self.waiting));
        }
        let l = self.lanes;
        let _ = write!(
            line,
            "; lanes {} running, {} paused, {} stopped, {} queued, {} done; {} elapsed",
            l.running,
            l.paused,
            l.stopped,
            l.queued,
            l.done,
            duration(self.elapsed_secs)
        );
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::OnMessageError;
    use crate::engine::events::TargetStart;
    use crate::engine::testing::done_result;

    fn target(id: &str) -> Target {
        Target::new(id, None)
    }

    fn started(lanes: &[(&str, u64, u64)]) -> Event {
        Event::RunStarted {
            run_id: 1,
            resumed: false,
            targets: lanes
                .iter()
                .map(|(id, messages, already_done)| TargetStart {
                    target: target(id),
                    messages: *messages,
                    batches: 1,
                    already_done: *already_done,
                })
                .collect(),
            rate_budget: 20,
            lanes: 2,
            on_message_error: OnMessageError::Pause,
        }
    }

    fn state(id: &str, state: LaneState) -> Event {
        Event::LaneState {
            target: target(id),
            state,
        }
    }

    fn results(pulse: &mut Pulse, id: &str, n: u64) {
        for i in 0..n {
            pulse.update(&done_result(&target(id), "g.jsonl", 1, i));
        }
    }

    fn minutes(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    #[test]
    fn a_beat_tells_counts_paces_eta_and_lanes() {
        let mut pulse = Pulse::default();
        pulse.update(&started(&[("a", 1_000, 0), ("b", 50, 0), ("c", 10, 10)]));
        pulse.update(&state("a", LaneState::Running));
        pulse.update(&state("b", LaneState::Paused));
        pulse.update(&state("c", LaneState::Done));
        results(&mut pulse, "a", 120);
        let beat = pulse.beat(minutes(1));
        assert_eq!((beat.done, beat.total), (130, 1_060));
        assert_eq!(beat.per_sec.m1, Some(2.0));
        assert_eq!(beat.per_sec.m15, Some(2.0), "since the start while younger");
        assert_eq!(beat.waiting, 50, "the paused lane's messages are apart");
        assert_eq!(beat.eta_secs, Some(440), "880 left in lane a at 2 a second");
        assert_eq!(
            beat.lanes,
            LaneCounts {
                running: 1,
                paused: 1,
                stopped: 0,
                queued: 0,
                done: 1
            }
        );
        let line = beat.line();
        assert!(
            line.starts_with("130/1,060 messages (12%); msg/s 2.0 (1 min), 2.0 (15 min), 2.0 (60 min); eta 7m20s (50 wait for a decision); lanes 1 running, 1 paused, 0 stopped, 0 queued, 1 done; 1m00s elapsed"),
            "{line}"
        );
    }

    #[test]
    fn each_pace_is_over_its_own_window() {
        let mut pulse = Pulse::default();
        pulse.update(&started(&[("a", 1_000_000, 0)]));
        pulse.update(&state("a", LaneState::Running));
        // 10 a second for 20 minutes, then 1 a second for the next minute.
        for m in 1..=20 {
            results(&mut pulse, "a", 600);
            pulse.beat(minutes(m));
        }
        results(&mut pulse, "a", 60);
        let beat = pulse.beat(minutes(21));
        assert_eq!(beat.per_sec.m1, Some(1.0));
        assert_eq!(beat.per_sec.m15, Some((14.0 * 600.0 + 60.0) / 900.0));
        assert_eq!(beat.per_sec.m60, Some((20.0 * 600.0 + 60.0) / 1260.0));
        // Two hours in: the hour's pace no longer reaches back to the start.
        for m in 22..=120 {
            results(&mut pulse, "a", 60);
            pulse.beat(minutes(m));
        }
        let beat = pulse.beat(minutes(121));
        assert_eq!(beat.per_sec.m60, Some(0.0 + 59.0 * 60.0 / 3600.0));
        assert!(pulse.samples.len() <= 62, "{} samples", pulse.samples.len());
    }

    #[test]
    fn nothing_to_move_is_no_eta() {
        let mut pulse = Pulse::default();
        pulse.update(&started(&[("a", 10, 0)]));
        pulse.update(&Event::LaneStopped {
            target: target("a"),
            reason: "stopped".into(),
        });
        let beat = pulse.beat(minutes(1));
        assert_eq!(beat.eta_secs, None);
        assert_eq!(beat.lanes.stopped, 1);
        assert_eq!(beat.per_sec.m1, Some(0.0));
        assert!(beat.line().contains("eta –"), "{}", beat.line());
        let json = serde_json::to_value(&beat).expect("JSON");
        assert_eq!(json["event"], "progress");
        assert_eq!(json["per_sec"]["15m"], 0.0);
        assert_eq!(json["lanes"]["stopped"], 1);
    }
}
