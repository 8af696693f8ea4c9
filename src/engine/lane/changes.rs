//! Resuming after the staged files changed: each part's recorded messages are checked against
//! what is staged at their places now, the row's fingerprint against the message's. A message
//! that landed, was skipped, or may have landed (sent without an answer) must be unchanged; an
//! unsent one that changed (pending, refused, invalid, or edited and not sent yet) is forgotten
//! and planned again as staged now.
//!
//! The check runs as the lane reads each part, so it costs one hash per recorded message and
//! holds one part's rows. A lane sends nothing older than its newest landing, so the parts
//! holding its landed messages are checked before it sends anything that orders after them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::events::SourceRef;
use crate::engine::ledger::messages::fingerprint;
use crate::engine::ledger::{StoredMessage, StoredState};
use crate::engine::work::TargetWork;

use super::items::staged_fingerprint;

/// A part's recorded messages, checked against the staged ones.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Checked {
    /// Rows that still describe the message staged at their place.
    pub keep: Vec<StoredMessage>,
    /// Rows of unsent messages whose staged message changed: forgotten and planned again
    /// (with the state they had).
    pub replan: Vec<(SourceRef, StoredState)>,
    /// The first row of a settled (or possibly landed) message whose staged message changed.
    pub refuse: Option<(SourceRef, StoredState)>,
}

/// Sorts `stored` (the rows of `work`'s messages) by whether the message staged at their place
/// is still the one they were written for.
pub(crate) fn check(work: &TargetWork, stored: Vec<StoredMessage>) -> Checked {
    let staged: HashMap<(Arc<str>, u64, u32), i64> = work
        .items
        .iter()
        .map(|w| {
            let s = w.source();
            ((s.file.clone(), s.offset, s.item), staged_fingerprint(w))
        })
        .collect();
    let mut out = Checked::default();
    for row in stored {
        let s = &row.source;
        let now = staged.get(&(s.file.clone(), s.offset, s.item)).copied();
        let same = match (row.fingerprint, now) {
            // A row written by an older timport has no fingerprint: taken as unchanged.
            (None, _) | (_, None) => true,
            (Some(then), Some(now)) => {
                then == now || (row.edited && row.body.as_deref().map(fingerprint) == Some(now))
            }
        };
        if same {
            out.keep.push(row);
            continue;
        }
        match row.state {
            StoredState::Done
            | StoredState::Skipped
            | StoredState::InFlight
            | StoredState::Unknown => {
                if out.refuse.as_ref().is_none_or(|(first, _)| s < first) {
                    out.refuse = Some((s.clone(), row.state));
                }
            }
            StoredState::Pending | StoredState::Failed | StoredState::Invalid => {
                out.replan.push((row.source, row.state));
            }
        }
    }
    out
}

/// Why a lane cannot go on: the message at `source`, recorded `state`, changed.
pub(crate) fn refusal(source: &SourceRef, state: StoredState) -> String {
    let was = match state {
        StoredState::Done => "it landed",
        StoredState::Skipped => "it was skipped",
        _ => "it was sent (it may have landed)",
    };
    format!(
        "{source} changed in the staged files after {was}: resuming would mix two versions of this group's history. Restore that message as it was, or start a new run with --new-run"
    )
}

/// What the operator is told about an unsent message planned again.
pub(crate) fn replanned(source: &SourceRef, state: StoredState) -> String {
    let was = match state {
        StoredState::Failed => "refused",
        StoredState::Invalid => "invalid",
        _ => "not sent yet",
    };
    format!("{source} changed in the staged files (it was {was}): planned again as staged now")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::target::Target;
    use crate::engine::testing::source;
    use crate::engine::work::{BodyHead, InvalidWork, MessageWork, WorkItem};

    fn json(line: u32, text: &str) -> String {
        format!(
            r#"{{"From_Account":"a","SendTime":{},"Random":{line},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{text}"}}}}]}}"#,
            100 + line
        )
    }

    fn work(texts: &[&str]) -> TargetWork {
        let items = texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let line = i as u32 + 1;
                if text.starts_with('{') {
                    WorkItem::Invalid(InvalidWork {
                        source: source("g.jsonl", line),
                        send_time: None,
                        order_time: 100,
                        problem: "broken".into(),
                        moved_from: None,
                        raw: (*text).to_owned(),
                    })
                } else {
                    WorkItem::Valid(
                        MessageWork::from_json(source("g.jsonl", line), 0, &json(line, text))
                            .unwrap(),
                    )
                }
            })
            .collect();
        TargetWork {
            target: Target::new("g", None),
            items,
            batches: vec![],
            head: BodyHead::default(),
        }
    }

    fn row(line: u32, state: StoredState, staged_as: &str) -> StoredMessage {
        let fp = if staged_as.starts_with('{') {
            fingerprint(staged_as)
        } else {
            fingerprint(&json(line, staged_as))
        };
        StoredMessage {
            source: source("g.jsonl", line),
            state,
            msg_seq: None,
            msg_time: None,
            failure: None,
            detail: None,
            attempts: 1,
            body: None,
            edited: false,
            fingerprint: Some(fp),
        }
    }

    #[test]
    fn unchanged_rows_are_kept_changed_unsent_ones_planned_again() {
        let now = work(&["one", "two", "three", "four"]);
        let checked = check(
            &now,
            vec![
                row(1, StoredState::Done, "one"),
                row(2, StoredState::Invalid, "{\"From_Account\":\"a\",\"SendTi"),
                row(3, StoredState::Failed, "three but far too long"),
                row(4, StoredState::Skipped, "four"),
            ],
        );
        assert_eq!(checked.refuse, None);
        let kept: Vec<u32> = checked.keep.iter().map(|r| r.source.line).collect();
        assert_eq!(kept, [1, 4]);
        assert_eq!(
            checked.replan,
            [
                (source("g.jsonl", 2), StoredState::Invalid),
                (source("g.jsonl", 3), StoredState::Failed)
            ]
        );
        assert!(replanned(&source("g.jsonl", 2), StoredState::Invalid).contains("g.jsonl:2"));
    }

    #[test]
    fn a_changed_landed_skipped_or_sent_message_is_refused_with_its_place() {
        for state in [
            StoredState::Done,
            StoredState::Skipped,
            StoredState::InFlight,
            StoredState::Unknown,
        ] {
            let now = work(&["one", "TWO", "three"]);
            let checked = check(
                &now,
                vec![row(1, StoredState::Done, "one"), row(2, state, "two")],
            );
            assert_eq!(checked.refuse, Some((source("g.jsonl", 2), state)));
            let why = refusal(&source("g.jsonl", 2), state);
            assert!(why.contains("g.jsonl:2 changed"), "{why}");
            assert!(why.contains("--new-run"), "{why}");
        }
    }

    #[test]
    fn rows_without_a_fingerprint_and_edits_the_file_now_holds_are_unchanged() {
        let now = work(&["fixed"]);
        let mut old = row(1, StoredState::Done, "whatever");
        old.fingerprint = None;
        assert_eq!(check(&now, vec![old]).keep.len(), 1);
        // Edited in the console to what the file now says, and landed: the same message.
        let mut edited = row(1, StoredState::Done, "broken");
        edited.edited = true;
        edited.body = Some(json(1, "fixed"));
        let checked = check(&now, vec![edited]);
        assert_eq!((checked.keep.len(), checked.refuse), (1, None));
    }
}
