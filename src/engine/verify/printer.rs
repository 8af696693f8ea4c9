//! The headless face of a verification: each event as one JSON line (`--json`: every finding,
//! each target's result, the summary; progress is for the bar), or as a line for people when
//! it is worth one. Pure: the caller decides where the text goes. Control characters (from
//! file names, group ids, the service's words) are shown escaped.

use super::finding::{TargetVerifyState, VerifyCounts, VerifyEvent, VerifyStatus};
use crate::engine::printer::stamped_line;
use crate::escape;

/// One event as a JSON line (no newline) with its `"time"` (as `timport run`'s lines: when it
/// was written, RFC 3339 in UTC); `None` for progress, which only moves the bar.
pub fn json_line(event: &VerifyEvent, time: &str) -> Option<String> {
    match event {
        VerifyEvent::Progress { .. } => None,
        other => Some(stamped_line(other, time)),
    }
}

/// One event for people, or `None` when it only moves the bar.
pub fn human_line(event: &VerifyEvent) -> Option<String> {
    words(event).map(|line| escape::controls(&line).into_owned())
}

/// The counts in words: `45 of 45 as sent; 1 missing, 2 changed, ...`.
pub fn counts_words(c: &VerifyCounts) -> String {
    let mut line = format!("{} of {} as sent", c.verified, c.expected);
    let differences = [
        (c.missing, "missing"),
        (c.changed, "changed"),
        (c.extra, "extra"),
        (c.out_of_order, "out of order"),
    ];
    if c.differences() == 0 {
        line.push_str(", no difference");
    } else {
        let parts: Vec<String> = differences
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, w)| format!("{n} {w}"))
            .collect();
        line.push_str(&format!("; {}", parts.join(", ")));
    }
    if c.preexisting > 0 {
        line.push_str(&format!(
            "; {} in the group before the run (not compared)",
            c.preexisting
        ));
    }
    line
}

fn words(event: &VerifyEvent) -> Option<String> {
    match event {
        VerifyEvent::VerifyStarted {
            verification_id,
            run_id,
            resumed,
            targets,
            expected,
            checked,
        } => Some(if *resumed {
            format!(
                "resuming verification {verification_id} of run {run_id}: {} target(s), {expected} message(s) recorded as imported, {checked} already compared",
                targets.len()
            )
        } else {
            format!(
                "verifying run {run_id} (verification {verification_id}): {} target(s), {expected} message(s) recorded as imported",
                targets.len()
            )
        }),
        VerifyEvent::Progress { .. } => None,
        VerifyEvent::Finding(f) => Some(f.line()),
        VerifyEvent::Trouble {
            target,
            failure,
            retrying,
        } => Some(format!(
            "{target}: reading the group: {}{}",
            failure.line(),
            if *retrying { " (trying again)" } else { "" }
        )),
        VerifyEvent::TargetVerified(t) => Some(match t.state {
            TargetVerifyState::Failed => format!(
                "{}: could not be read: {}",
                t.target,
                t.error.as_deref().unwrap_or("")
            ),
            _ => format!("{}: {}", t.target, counts_words(&t.counts)),
        }),
        VerifyEvent::VerifyFinished(s) => {
            let how = match s.status {
                VerifyStatus::Done => "done",
                VerifyStatus::Interrupted => "stopped before the end (run it again to go on)",
                VerifyStatus::Stopped => "incomplete: a group could not be read",
            };
            Some(format!(
                "verification {} of run {}: {how}: {} (exit {})",
                s.verification_id,
                s.run_id,
                counts_words(&s.totals),
                s.exit().code()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::target::Target;
    use crate::engine::verify::{Finding, FindingKind, VerifySummary};

    const TIME: &str = "2026-12-06T13:05:09.120Z";

    #[test]
    fn findings_and_the_summary_are_lines_progress_is_not() {
        let progress = VerifyEvent::Progress {
            target: Target::new("g", None),
            checked: 1,
            differences: 0,
        };
        assert_eq!(
            (json_line(&progress, TIME), human_line(&progress)),
            (None, None)
        );
        let finding = VerifyEvent::Finding(Box::new(Finding {
            kind: FindingKind::Extra,
            target: Target::new("g\u{1b}[2J", None),
            source: None,
            msg_seq: Some(31),
            differs: Vec::new(),
            staged: None,
            found: None,
            note: "not from this run".into(),
        }));
        let json: serde_json::Value =
            serde_json::from_str(&json_line(&finding, TIME).unwrap()).unwrap();
        assert_eq!(
            (json["event"].as_str(), json["kind"].as_str()),
            (Some("finding"), Some("extra"))
        );
        assert_eq!(json["time"], TIME);
        assert_eq!(json["msg_seq"], 31);
        let line = human_line(&finding).unwrap();
        assert!(!line.contains('\u{1b}'), "{line}");
        assert!(line.starts_with("extra: g"), "{line}");
        let done = VerifyEvent::VerifyFinished(VerifySummary {
            verification_id: 2,
            run_id: 1,
            status: VerifyStatus::Done,
            targets: Vec::new(),
            totals: VerifyCounts {
                expected: 10,
                verified: 9,
                missing: 1,
                preexisting: 3,
                ..VerifyCounts::default()
            },
        });
        assert_eq!(
            human_line(&done).unwrap(),
            "verification 2 of run 1: done: 9 of 10 as sent; 1 missing; 3 in the group before the run (not compared) (exit 1)"
        );
    }
}
