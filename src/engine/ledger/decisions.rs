//! Decisions about messages: the operator's (retry, retry edited, skip, stop the group), the
//! policy's (`--on-message-error skip`), and the command line's (`--retry-failed`). Each is
//! recorded with its reason, and the edited body for an edit, when it is made.

use rusqlite::{Connection, params};

use super::messages::{Mark, MessageMeta, StoredState, ensure_row, mark};
use super::{LedgerError, now_ms};

/// Who decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecidedBy {
    /// Someone at the console.
    Operator,
    /// `--on-message-error skip`.
    Policy,
    /// A command-line flag (`--retry-failed`).
    Flag,
}

impl DecidedBy {
    /// The ledger's word.
    pub fn word(self) -> &'static str {
        match self {
            DecidedBy::Operator => "operator",
            DecidedBy::Policy => "policy",
            DecidedBy::Flag => "flag",
        }
    }
}

/// One decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRecord {
    /// The message it is about; `None` for a decision about the whole lane.
    pub message: Option<MessageMeta>,
    /// `retry`, `retry_edited`, `skip`, `stop_group`, `stop_lane`, `auto_skip`, `retry_failed`.
    pub decision: &'static str,
    /// Who.
    pub by: DecidedBy,
    /// Why (a skip's reason).
    pub reason: Option<String>,
    /// The edited message, for `retry_edited`.
    pub edited_body: Option<String>,
    /// What it does to the message's row, in the same transaction.
    pub mark: Option<Mark>,
}

impl DecisionRecord {
    /// The operator stopped a whole lane.
    pub fn lane_stopped_by_operator() -> DecisionRecord {
        DecisionRecord {
            message: None,
            decision: "stop_lane",
            by: DecidedBy::Operator,
            reason: None,
            edited_body: None,
            mark: None,
        }
    }
}

/// Records a decision and its effect on the message, in one transaction.
pub fn record(
    conn: &mut Connection,
    target_id: i64,
    d: &DecisionRecord,
) -> Result<(), LedgerError> {
    let what = "a decision";
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    let message_id = match (&d.message, &d.mark) {
        (Some(meta), Some(m)) => Some(mark(&tx, target_id, meta, m)?),
        (Some(meta), None) => Some(ensure_row(
            &tx,
            target_id,
            meta,
            StoredState::Pending,
            None,
            None,
        )?),
        (None, _) => None,
    };
    tx.execute(
        "INSERT INTO decisions (message_id, target_id, decision, by, reason, edited_body, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            message_id,
            target_id,
            d.decision,
            d.by.word(),
            d.reason,
            d.edited_body,
            now_ms()
        ],
    )
    .map_err(LedgerError::sql(what))?;
    tx.commit().map_err(LedgerError::sql(what))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::events::SourceRef;
    use crate::engine::ledger::messages::{StoredState, load};
    use crate::engine::ledger::runs::create_run;
    use crate::engine::ledger::targets::ensure_target;
    use crate::engine::ledger::testing::temp_ledger;
    use crate::engine::target::Target;

    #[tokio::test]
    async fn a_skip_is_recorded_with_its_reason_and_marks_the_message() {
        let (ledger, _dir) = temp_ledger();
        let meta = MessageMeta {
            source: SourceRef {
                file: "g.jsonl".into(),
                line: 4,
                offset: 40,
                item: 0,
            },
            from_account: None,
            send_time: None,
            sent_time: None,
            random: None,
            fingerprint: None,
        };
        let (rows, states) = ledger
            .call(move |c| {
                let run = create_run(c, "/s", "{}", &[])?.id;
                let t = ensure_target(c, run, &Target::new("g", None), 1, 1)?;
                record(
                    c,
                    t,
                    &DecisionRecord {
                        message: Some(meta),
                        decision: "skip",
                        by: DecidedBy::Operator,
                        reason: Some("duplicate of line 3".into()),
                        edited_body: None,
                        mark: Some(Mark::Skipped {
                            reason: "duplicate of line 3".into(),
                        }),
                    },
                )?;
                record(c, t, &DecisionRecord::lane_stopped_by_operator())?;
                let rows: Vec<(Option<i64>, String, String, Option<String>)> = c
                    .prepare("SELECT message_id, decision, by, reason FROM decisions ORDER BY id")
                    .and_then(|mut s| {
                        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                            .collect()
                    })
                    .map_err(LedgerError::sql("test"))?;
                Ok((rows, load(c, t)?))
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].0.is_some());
        assert_eq!(
            (rows[0].1.as_str(), rows[0].2.as_str()),
            ("skip", "operator")
        );
        assert_eq!(rows[0].3.as_deref(), Some("duplicate of line 3"));
        assert_eq!((rows[1].0, rows[1].1.as_str()), (None, "stop_lane"));
        assert_eq!(states[0].state, StoredState::Skipped);
        assert_eq!(DecidedBy::Policy.word(), "policy");
        assert_eq!(DecidedBy::Flag.word(), "flag");
    }
}
