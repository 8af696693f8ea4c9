//! Screen 5, Run: what the engine reports, kept for the panes. Lanes with their counts and
//! state; the per-message results (`result_log`: packed, about 85 bytes a row, the newest
//! 100,000 by default, and only the visible window is ever drawn); the errors (code, meaning,
//! remedy), capped; and the meter for throughput, rate against the budget, and ETA. Everything
//! here comes from the engine's events (`apply`); nothing is inferred that the engine did not
//! say. `filter` narrows each pane; `verify` takes a verification's events (its findings go to
//! the errors pane); `codes` counts the refused messages by code.

mod apply;
mod codes;
mod filter;
mod meter;
mod result_log;
mod rows;
mod verify;

use std::collections::{HashMap, VecDeque};

use crate::engine::{Counts, LaneState, RunSummary, SourceRef, Target};

use super::list::ListView;
pub use apply::moves_lanes;
pub use meter::{
    ETA_MIN_SECONDS, ETA_WINDOW_SECONDS, HISTORY_SECONDS, METER_SECONDS, Meter, Second,
};
pub use result_log::{MAX_RESULTS, NewResult, ResultLog, ResultRow};
pub use rows::{ErrorKind, ErrorRow, Lane, RowOutcome, SUMMARY_CHARS};
use rows::{cut, error_matches, row_matches};
pub use verify::{Findings, VerifyView};

/// Most error rows kept (the oldest go first).
pub const MAX_ERRORS: usize = 10_000;

/// How long the rest of a run should take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eta {
    /// Seconds at the pace of the last minutes, when some lane can move and a pace is known.
    pub secs: Option<u64>,
    /// True while the pace is still being measured (the first [`ETA_MIN_SECONDS`]).
    pub measuring: bool,
    /// Messages of lanes paused for a decision (not in `secs`).
    pub waiting: u64,
}

/// Which pane has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunFocus {
    /// The lanes.
    #[default]
    Lanes,
    /// The per-message results.
    Results,
    /// The errors.
    Errors,
}

/// The Run screen.
#[derive(Debug, Clone, Default)]
pub struct RunState {
    /// The ledger's run id, once the run started.
    pub run_id: Option<i64>,
    /// True when the run continues an earlier one.
    pub resumed: bool,
    /// True while the engine works (from the launch until it finished).
    pub active: bool,
    /// The operator paused the whole run.
    pub paused: bool,
    /// When the run started (unix ms).
    pub started_ms: i64,
    /// The configured rate.
    pub budget: u32,
    /// The limiter's current rate.
    pub rate_now: u32,
    /// Frequency refusals seen.
    pub refusals: u64,
    /// Requests sent.
    pub requests: u64,
    /// Lanes, in the order the run listed them.
    pub lanes: Vec<Lane>,
    lane_index: HashMap<Target, u32>,
    /// Messages now failed or invalid, by lane and source (a later result replaces them).
    open: HashMap<(u32, SourceRef), RowOutcome>,
    /// The lanes table.
    pub lane_view: ListView,
    /// Per-message results, oldest first (at most [`ResultLog::max_rows`]).
    pub results: ResultLog,
    /// Results dropped to stay under the maximum (the ledger keeps them all: `timport report`).
    pub dropped: u64,
    /// Senders, interned (rows keep an index).
    pub senders: Vec<Box<str>>,
    sender_index: HashMap<Box<str>, u32>,
    /// The results pane.
    pub result_view: ListView,
    /// Keep the newest result selected (off when the operator scrolls up).
    pub follow: bool,
    /// Errors and warnings, oldest first.
    pub errors: VecDeque<ErrorRow>,
    /// The errors pane.
    pub error_view: ListView,
    /// The code chosen in the errors pane (it filters the errors and the results, and the bulk
    /// decisions are about it).
    pub code: Option<i64>,
    /// A bulk skip waiting for its reason: the code and the lane (`None`: every lane).
    pub bulk_draft: Option<(i64, Option<Target>)>,
    /// The meter.
    pub meter: Meter,
    /// Which pane has the keys.
    pub focus: RunFocus,
    /// How the run ended.
    pub finished: Option<(RunSummary, u8)>,
    /// Why the run could not start or stopped abnormally.
    pub failure: Option<String>,
    /// The latest verification of the run (`v`, `V`).
    pub verify: VerifyView,
    /// Its findings, for the inspector (the newest [`MAX_ERRORS`]).
    pub findings: Findings,
    next_finding: u64,
}

impl RunState {
    /// A run was launched: clears the last one.
    pub fn launched(&mut self, now_ms: i64) {
        *self = RunState {
            active: true,
            follow: true,
            started_ms: now_ms,
            ..RunState::default()
        };
    }

    /// The lane of `target`.
    pub fn lane_of(&self, target: &Target) -> Option<usize> {
        self.lane_index.get(target).map(|i| *i as usize)
    }

    /// The selected lane.
    pub fn selected_lane(&self) -> Option<&Lane> {
        self.lane_view.selected().and_then(|i| self.lanes.get(i))
    }

    /// Messages staged over every lane.
    pub fn total(&self) -> u64 {
        self.lanes.iter().map(|l| l.total).sum()
    }

    /// Messages settled over every lane.
    pub fn settled(&self) -> u64 {
        self.lanes.iter().map(Lane::settled).sum()
    }

    /// Totals over every lane.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for lane in &self.lanes {
            c.add(&lane.counts);
        }
        c
    }

    /// How long the rest should take: the lanes that can still move, at the pace of the last
    /// minutes ([`Meter::pace`]); the messages of lanes waiting for a decision are counted
    /// apart (their time is the operator's), and stopped lanes not at all.
    pub fn eta(&self, now_ms: i64) -> Eta {
        let moving = |s: LaneState| {
            matches!(
                s,
                LaneState::Running | LaneState::Settling | LaneState::Waiting
            )
        };
        let left = |l: &Lane| l.total.saturating_sub(l.settled());
        let waiting: u64 = self
            .lanes
            .iter()
            .filter(|l| l.state == LaneState::Paused)
            .map(left)
            .sum();
        let rest: u64 = self
            .lanes
            .iter()
            .filter(|l| moving(l.state))
            .map(left)
            .sum();
        let secs = if self.paused || rest == 0 {
            None
        } else {
            match self.meter.pace(now_ms) {
                None => {
                    return Eta {
                        secs: None,
                        measuring: true,
                        waiting,
                    };
                }
                Some(pace) if pace > 0.0 => Some((rest as f64 / pace).ceil() as u64),
                Some(_) => None,
            }
        };
        Eta {
            secs,
            measuring: false,
            waiting,
        }
    }

    /// Pauses or resumes the whole run (the operator's key), as of `now_ms`.
    pub fn set_paused(&mut self, paused: bool, now_ms: i64) {
        self.paused = paused;
        if paused {
            self.meter.paused(now_ms);
        } else {
            self.meter.resumed(now_ms);
        }
    }

    /// Shows the lanes that need the operator first: paused, then stopped, then those at work,
    /// those waiting for a slot, and the finished ones last (each group in the run's order).
    pub fn order_lanes(&mut self) {
        let rank = |s: LaneState| match s {
            LaneState::Paused => 0,
            LaneState::Stopped => 1,
            LaneState::Running => 2,
            LaneState::Settling => 3,
            LaneState::Waiting => 4,
            LaneState::Done => 5,
        };
        let mut order: Vec<u32> = (0..self.lanes.len())
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        order.sort_by_key(|i| {
            self.lanes
                .get(*i as usize)
                .map_or(u8::MAX, |l| rank(l.state))
        });
        let needle = self.lane_view.filter().to_lowercase();
        let lanes = &self.lanes;
        self.lane_view
            .set_order(Some(order), |i| filter::lane_matches(&lanes[i], &needle));
    }

    /// The sender of a row.
    pub fn sender(&self, row: &ResultRow<'_>) -> &str {
        self.senders.get(row.sender as usize).map_or("", |s| s)
    }

    /// The lane name of a row.
    pub fn lane_name(&self, lane: u32) -> String {
        self.lanes
            .get(lane as usize)
            .map(|l| l.target.to_string())
            .unwrap_or_default()
    }
}
