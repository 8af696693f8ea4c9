//! Decisions about messages: the operator's (retry, retry edited, skip, stop the group), the
//! policy's (`--on-message-error skip`), and the command line's (`--retry-failed`). Each is
//! recorded with its reason, and the edited body for an edit, when it is made.

use rusqlite::{Connection, params};

use super::messages::{Mark, MessageMeta, StoredState, ensure_row, mark};
use super::{LedgerError, now_ms};
use crate::engine::control::{BulkAction, BulkDecision};

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
    /// Who (`user@host`), for an operator's decision.
    pub operator: Option<String>,
}

impl DecisionRecord {
    /// The operator (`user@host`; empty: this process's) stopped a whole lane.
    pub fn lane_stopped_by_operator(operator: &str) -> DecisionRecord {
        DecisionRecord {
            message: None,
            decision: "stop_lane",
            by: DecidedBy::Operator,
            reason: None,
            edited_body: None,
            mark: None,
            operator: Some(if operator.is_empty() {
                crate::engine::operator::current()
            } else {
                operator.to_owned()
            }),
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
        "INSERT INTO decisions (message_id, target_id, decision, by, reason, edited_body, decided_at, operator)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            message_id,
            target_id,
            d.decision,
            d.by.word(),
            d.reason,
            d.edited_body,
            now_ms(),
            d.operator
        ],
    )
    .map_err(LedgerError::sql(what))?;
    tx.commit().map_err(LedgerError::sql(what))?;
    Ok(())
}

/// Records `bulk` about every message of run `run_id` that the ledger holds as refused with its
/// code (in its group, with the group's topics unless it names one; or in all): one decision row per message, with the operator and the
/// reason, and the message skipped or made pending again, all in one transaction. This is
/// `timport decide` with no run going: the next run finds the messages decided. Returns how
/// many messages it decided.
pub fn record_bulk(
    conn: &mut Connection,
    run_id: i64,
    bulk: &BulkDecision,
) -> Result<u64, LedgerError> {
    let what = "a bulk decision";
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    let (group, topic) = bulk
        .target
        .as_ref()
        .map(|t| (t.group().to_owned(), t.topic().map(str::to_owned)))
        .unzip();
    let topic = topic.flatten();
    let rows: Vec<(i64, i64)> = tx
        .prepare(
            "SELECT m.id, m.target_id FROM messages m JOIN targets t ON t.id = m.target_id
             WHERE t.run_id = ?1 AND m.state = 'failed' AND m.code = ?2
               AND (?3 IS NULL OR (t.group_id = ?3 AND (?4 IS NULL OR t.topic_id = ?4)))
             ORDER BY m.id",
        )
        .and_then(|mut st| {
            st.query_map(params![run_id, bulk.code, group, topic], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect()
        })
        .map_err(LedgerError::sql(what))?;
    let reason = match &bulk.action {
        BulkAction::Skip { reason } => Some(reason.as_str()),
        BulkAction::Retry => None,
    };
    let now = now_ms();
    for (message_id, target_id) in &rows {
        let update = match reason {
            Some(_) => {
                "UPDATE messages SET state = 'skipped', code = NULL, meaning = NULL, remedy = NULL,
                 detail = ?2, updated_at = ?3 WHERE id = ?1"
            }
            None => {
                "UPDATE messages SET state = 'pending', code = NULL, meaning = NULL, remedy = NULL,
                 detail = ?2, updated_at = ?3 WHERE id = ?1"
            }
        };
        tx.execute(update, params![message_id, reason, now])
            .map_err(LedgerError::sql(what))?;
        tx.execute(
            "INSERT INTO decisions (message_id, target_id, decision, by, reason, edited_body, decided_at, operator)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7)",
            params![
                message_id,
                target_id,
                bulk.action.word(),
                DecidedBy::Operator.word(),
                reason,
                now,
                bulk.operator
            ],
        )
        .map_err(LedgerError::sql(what))?;
    }
    tx.commit().map_err(LedgerError::sql(what))?;
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_lane_stop_names_who_asked_or_this_process() {
        let named = DecisionRecord::lane_stopped_by_operator("ops@box");
        assert_eq!(named.operator.as_deref(), Some("ops@box"));
        let here = DecisionRecord::lane_stopped_by_operator("");
        assert_eq!(here.operator, Some(crate::engine::operator::current()));
    }

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
                        operator: Some("ops@desk".into()),
                    },
                )?;
                record(c, t, &DecisionRecord::lane_stopped_by_operator(""))?;
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

    #[tokio::test]
    async fn a_bulk_decision_records_one_row_per_refused_message_of_its_code_and_scope() {
        use crate::engine::events::Failure;
        use crate::engine::testing::meta;
        let (ledger, _dir) = temp_ledger();
        let (counts, rows, states) = ledger
            .call(move |c| {
                let run = create_run(c, "/s", "{}", &[])?.id;
                let other_run = create_run(c, "/other", "{}", &[])?.id;
                let ga = ensure_target(c, run, &Target::new("ga", None), 9, 2)?;
                let gb = ensure_target(c, run, &Target::new("gb", None), 9, 2)?;
                let elsewhere = ensure_target(c, other_run, &Target::new("ga", None), 9, 2)?;
                let fail = |code| Mark::Failed {
                    failure: Failure {
                        code: Some(code),
                        meaning: "refused".into(),
                        remedy: String::new(),
                        detail: String::new(),
                    },
                    body: "{}".into(),
                };
                for (t, file, line, code) in [
                    (ga, "ga.jsonl", 1, 80001),
                    (ga, "ga.jsonl", 2, 80001),
                    (ga, "ga.jsonl", 3, 80002),
                    (gb, "gb.jsonl", 1, 80001),
                    (elsewhere, "ga.jsonl", 1, 80001),
                ] {
                    mark(c, t, &meta(file, line), &fail(code))?;
                }
                mark(
                    c,
                    gb,
                    &meta("gb.jsonl", 2),
                    &Mark::Done {
                        msg_seq: 1,
                        msg_time: 1,
                    },
                )?;
                let retry_ga = BulkDecision {
                    code: 80001,
                    target: Some(Target::new("ga", None)),
                    action: BulkAction::Retry,
                    operator: "ops@desk".into(),
                };
                let skip_all = BulkDecision {
                    code: 80001,
                    target: None,
                    action: BulkAction::Skip {
                        reason: "spam".into(),
                    },
                    operator: "night@desk".into(),
                };
                let counts = [
                    record_bulk(c, run, &retry_ga)?,
                    // ga's are pending now: only gb's is left refused with 80001.
                    record_bulk(c, run, &skip_all)?,
                    record_bulk(c, run, &skip_all)?,
                ];
                let rows: Vec<(String, String, Option<String>, String)> = c
                    .prepare(
                        "SELECT m.file || ':' || m.line, d.decision, d.reason, d.operator
                         FROM decisions d JOIN messages m ON m.id = d.message_id ORDER BY d.id",
                    )
                    .and_then(|mut s| {
                        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                            .collect()
                    })
                    .map_err(LedgerError::sql("test"))?;
                let mut states: Vec<(i64, u32, StoredState)> = Vec::new();
                for t in [ga, gb, elsewhere] {
                    states.extend(load(c, t)?.into_iter().map(|m| (t, m.source.line, m.state)));
                }
                states.sort_by_key(|(t, line, _)| (*t, *line));
                let states: Vec<StoredState> = states.into_iter().map(|s| s.2).collect();
                Ok((counts, rows, states))
            })
            .await
            .unwrap();
        assert_eq!(counts, [2, 1, 0]);
        let ops = |s: &str| s.to_owned();
        assert_eq!(
            rows,
            [
                (ops("ga.jsonl:1"), ops("retry_code"), None, ops("ops@desk")),
                (ops("ga.jsonl:2"), ops("retry_code"), None, ops("ops@desk")),
                (
                    ops("gb.jsonl:1"),
                    ops("skip_code"),
                    Some(ops("spam")),
                    ops("night@desk")
                ),
            ]
        );
        use StoredState as S;
        assert_eq!(
            states,
            [
                S::Pending,
                S::Pending,
                S::Failed,
                S::Skipped,
                S::Done,
                S::Failed
            ],
            "another code, a landed message and another run are left alone"
        );
    }
}
