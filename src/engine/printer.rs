//! The headless face of a run: each event as one JSON line (`--json`), or as a line for people
//! when it is worth one (pauses, stops, failures, settlements, retries, pace changes, the
//! summary), and the progress a bar shows; how counts and durations are written for people.
//! Pure: the caller decides where the text goes.

use std::fmt::Write as _;

use super::events::{Event, MessageOutcome, RunSummary};
use crate::escape;

/// `value` (an event, a progress beat) as a JSON line (no newline) with its `"time"`: when it
/// was written, RFC 3339 in UTC (`2026-12-06T13:05:09.120Z`), appended as the object's last
/// field.
pub fn stamped_line(value: &impl serde::Serialize, time: &str) -> String {
    // Events and beats hold strings, numbers and enums only: serialising them cannot fail.
    let json = serde_json::to_string(value).unwrap_or_default();
    match json.strip_suffix('}') {
        Some(open) if open.len() > 1 => format!("{open},\"time\":\"{time}\"}}"),
        Some(_) => format!("{{\"time\":\"{time}\"}}"),
        None => json,
    }
}

/// One event for people, or `None` when it is routine (a message done, a batch sent). Control
/// characters (from file names, group ids, the service's words) are shown escaped.
pub fn human_line(event: &Event) -> Option<String> {
    match event {
        // Several lines, each already escaped: its line breaks stay line breaks.
        Event::RunFinished { summary, exit_code } => Some(summary_text(summary, *exit_code)),
        _ => human_words(event).map(|line| escape::controls(&line).into_owned()),
    }
}

fn human_words(event: &Event) -> Option<String> {
    match event {
        Event::RunStarted {
            run_id,
            resumed,
            targets,
            rate_budget,
            lanes,
            on_message_error,
        } => {
            let messages: u64 = targets.iter().map(|t| t.messages).sum();
            let done: u64 = targets.iter().map(|t| t.already_done).sum();
            let mut line = format!(
                "{} run {run_id}: {} target(s), {messages} message(s)",
                if *resumed { "resuming" } else { "starting" },
                targets.len()
            );
            if done > 0 {
                let _ = write!(line, " ({done} already done)");
            }
            let _ = write!(
                line,
                ", {rate_budget} requests/s, {lanes} lanes, on message error: {}",
                on_message_error.word()
            );
            Some(line)
        }
        Event::MessageResult {
            target,
            source,
            summary,
            outcome,
            ..
        } => {
            let what = match outcome {
                MessageOutcome::Done { .. } => return None,
                MessageOutcome::Failed(f) => format!("failed: {}", f.line()),
                MessageOutcome::Skipped { reason } => format!("skipped: {reason}"),
                MessageOutcome::Invalid { problem } => format!("invalid: {problem}"),
            };
            Some(format!(
                "{target}: {} line {} \"{summary}\" {what}",
                source.file, source.line
            ))
        }
        Event::OutcomeUnknown {
            target,
            batch,
            failure,
            ..
        } => Some(format!(
            "{target}: batch {} got no usable answer ({}); reading the group back before sending anything else",
            batch + 1,
            failure.line()
        )),
        Event::Settled {
            target,
            landed,
            missing,
            ..
        } if *landed > 0 || *missing > 0 => Some(format!(
            "{target}: read back: {landed} message(s) found in the group, {missing} to send"
        )),
        Event::Retrying {
            target,
            attempt,
            delay_ms,
            reason,
            ..
        } => Some(format!(
            "{target}: retrying (try {attempt}) in {:.1} s: {}",
            *delay_ms as f64 / 1000.0,
            reason.line()
        )),
        Event::LanePaused { target, reason } => {
            let mut line = format!(
                "{target}: stopped at {} line {} \"{}\": {}",
                reason.source.file,
                reason.source.line,
                reason.summary,
                reason.failure.line()
            );
            if !reason.landed_after.is_empty() {
                let _ = write!(
                    line,
                    " ({} later message(s) of the same request landed after it)",
                    reason.landed_after.len()
                );
            }
            Some(line)
        }
        Event::LaneResumed { target } => Some(format!("{target}: resumed")),
        Event::LaneStopped { target, reason } => Some(format!("{target}: stopped: {reason}")),
        Event::LaneDone { target, counts } => Some(format!(
            "{target}: done ({} imported{})",
            counts.done,
            if counts.skipped > 0 {
                format!(", {} skipped", counts.skipped)
            } else {
                String::new()
            }
        )),
        Event::RateChanged {
            current,
            budget,
            refusals,
        } => Some(format!(
            "pace now {current} requests/s of {budget} ({refusals} frequency refusal(s) so far)"
        )),
        Event::Warning { target, message } => Some(match target {
            Some(t) => format!("{t}: warning: {message}"),
            None => format!("warning: {message}"),
        }),
        Event::LaneState { .. }
        | Event::BatchSent { .. }
        | Event::Settled { .. }
        | Event::RunFinished { .. } => None,
    }
}

/// The closing summary for people (control characters escaped, as in [`human_line`]).
pub fn summary_text(s: &RunSummary, exit_code: u8) -> String {
    let t = &s.totals;
    let mut out = format!(
        "run {}: {} of {} message(s) imported, {} failed, {} skipped, {} invalid, {} not sent; {} request(s) in {:.1} s",
        s.run_id,
        t.done,
        t.total,
        t.failed,
        t.skipped,
        t.invalid,
        t.pending(),
        s.requests,
        s.elapsed_ms as f64 / 1000.0
    );
    if let Some(why) = &s.stopped {
        let _ = write!(out, "\nstopped: {why}");
    }
    for target in s.targets.iter().filter(|t| t.reason.is_some()) {
        let _ = write!(
            out,
            "\n  {} {}: {}",
            target.target,
            target.state.word(),
            target.reason.as_deref().unwrap_or_default()
        );
    }
    let _ = write!(
        out,
        "\nexit {exit_code}; `timport report {}` lists every failure",
        s.run_id
    );
    escape::text(&out).into_owned()
}

/// Progress as a bar shows it: messages settled (done, failed, skipped or invalid) of the total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Messages in the run.
    pub total: u64,
    /// Messages settled one way or another.
    pub settled: u64,
    /// Requests per second allowed now, and the budget.
    pub rate: (u32, u32),
}

impl Progress {
    /// Takes an event into account; true when the bar should be redrawn.
    pub fn update(&mut self, event: &Event) -> bool {
        match event {
            Event::RunStarted {
                targets,
                rate_budget,
                ..
            } => {
                self.total = targets.iter().map(|t| t.messages).sum();
                self.settled = targets.iter().map(|t| t.already_done).sum();
                self.rate = (*rate_budget, *rate_budget);
                true
            }
            Event::MessageResult { .. } => {
                self.settled = (self.settled + 1).min(self.total);
                true
            }
            Event::RateChanged {
                current, budget, ..
            } => {
                self.rate = (*current, *budget);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::catalogue::explain_message_result;
    use crate::engine::OnMessageError;
    use crate::engine::events::{
        Counts, Failure, Landed, LaneState, PauseReason, TargetStart, TargetSummary,
    };
    use crate::engine::target::Target;
    use crate::engine::testing::source;

    #[test]
    fn routine_events_are_quiet_and_trouble_is_spelled_out() {
        let t = Target::new("g", None);
        let done = crate::engine::testing::done_result(&t, "g.jsonl", 1, 1);
        assert_eq!(human_line(&done), None);
        let line = stamped_line(&done, "2026-12-06T13:05:09.120Z");
        assert!(line.starts_with(r#"{"event":"message_result""#), "{line}");
        assert!(
            line.ends_with(r#","time":"2026-12-06T13:05:09.120Z"}"#),
            "{line}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(parsed["outcome"]["state"], "done");
        let failure = Failure::from_explanation(explain_message_result(80002), "");
        let paused = Event::LanePaused {
            target: t.clone(),
            reason: PauseReason {
                source: source("g.jsonl", 4),
                summary: "long text".into(),
                failure: failure.clone(),
                landed_after: vec![Landed {
                    source: source("g.jsonl", 5),
                    msg_seq: 9,
                }],
                newest: None,
            },
        };
        let line = human_line(&paused).unwrap();
        assert!(
            line.starts_with("g: stopped at g.jsonl line 4 \"long text\": 80002: "),
            "{line}"
        );
        assert!(
            line.contains(explain_message_result(80002).remedy),
            "{line}"
        );
        assert!(
            line.ends_with("(1 later message(s) of the same request landed after it)"),
            "{line}"
        );
        let started = Event::RunStarted {
            run_id: 3,
            resumed: true,
            targets: vec![TargetStart {
                target: t.clone(),
                messages: 10,
                batches: 2,
                already_done: 4,
            }],
            rate_budget: 180,
            lanes: 32,
            on_message_error: OnMessageError::Skip,
        };
        assert_eq!(
            human_line(&started).unwrap(),
            "resuming run 3: 1 target(s), 10 message(s) (4 already done), 180 requests/s, 32 lanes, on message error: skip"
        );
        let mut p = Progress::default();
        assert!(p.update(&started));
        assert!(p.update(&done));
        assert_eq!((p.total, p.settled, p.rate), (10, 5, (180, 180)));
        assert!(!p.update(&paused));
    }

    #[test]
    fn the_summary_names_what_is_left_and_why() {
        let summary = RunSummary {
            run_id: 2,
            targets: vec![TargetSummary {
                target: Target::new("g", None),
                state: LaneState::Paused,
                counts: Counts::default(),
                reason: Some("80002: too long".into()),
            }],
            totals: Counts {
                total: 10,
                done: 8,
                failed: 1,
                ..Counts::default()
            },
            requests: 3,
            elapsed_ms: 1500,
            stopped: None,
        };
        let text = summary_text(&summary, 1);
        // As printed: its lines stay lines (not an escaped `\n`).
        let finished = Event::RunFinished {
            summary: summary.clone(),
            exit_code: 1,
        };
        assert_eq!(human_line(&finished).as_deref(), Some(text.as_str()));
        assert!(!text.contains("\\n"), "{text}");
        assert!(text.starts_with("run 2: 8 of 10 message(s) imported, 1 failed, 0 skipped, 0 invalid, 1 not sent; 3 request(s) in 1.5 s"), "{text}");
        assert!(text.contains("\n  g paused: 80002: too long"), "{text}");
        assert!(
            text.ends_with("exit 1; `timport report 2` lists every failure"),
            "{text}"
        );
    }
}
