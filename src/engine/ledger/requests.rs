//! Import requests: each is recorded `in_flight` with its messages and its exact bytes, and
//! committed, before it is sent; its fate is then recorded in one transaction with its messages'
//! ([`begin_after`] records the fates a lane holds and its next request in one transaction).
//!
//! Request states: `in_flight` (recorded, maybe sent), `done` (answered), `failed` (refused as a
//! whole for its content), `not_applied` (refused before applying, or never reached the service:
//! its messages are pending again), `unknown` (no usable answer), `settled` (an unknown or
//! in-flight request resolved by a read-back).

use rusqlite::{Connection, params};

use super::messages::{Mark, MessageMeta, mark};
use super::{LedgerError, now_ms};

/// Request states.
pub mod state {
    /// Recorded, maybe sent.
    pub const IN_FLIGHT: &str = "in_flight";
    /// Answered.
    pub const DONE: &str = "done";
    /// Refused as a whole for its content.
    pub const FAILED: &str = "failed";
    /// Nothing applied; its messages are pending again.
    pub const NOT_APPLIED: &str = "not_applied";
    /// No usable answer.
    pub const UNKNOWN: &str = "unknown";
    /// Resolved by a read-back.
    pub const SETTLED: &str = "settled";
}

/// What became of request(s) and their messages, to be recorded together (see [`record`]).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The requests; each takes `state` (and `error`, when given).
    pub requests: Vec<i64>,
    /// Their new state.
    pub state: &'static str,
    /// The failure they share, if any.
    pub error: Option<String>,
    /// Each message's mark.
    pub marks: Vec<(MessageMeta, Mark)>,
}

/// Records a request in flight with its messages, in one transaction; returns its id.
pub fn begin(
    conn: &mut Connection,
    target_id: i64,
    batch: u32,
    attempt: u32,
    body: &[u8],
    messages: &[MessageMeta],
) -> Result<i64, LedgerError> {
    begin_after(conn, target_id, &[], batch, attempt, body, messages)
}

/// Records `earlier` outcomes (answers not recorded yet), then a request in flight with its
/// messages, in one transaction; returns the request's id. One commit instead of two on a
/// lane's way from an answer to its next request; both or neither are in the file.
pub fn begin_after(
    conn: &mut Connection,
    target_id: i64,
    earlier: &[Outcome],
    batch: u32,
    attempt: u32,
    body: &[u8],
    messages: &[MessageMeta],
) -> Result<i64, LedgerError> {
    in_transaction(conn, "a request in flight", |tx| {
        for outcome in earlier {
            record_in(tx, target_id, outcome)?;
        }
        tx.prepare_cached(
            "INSERT INTO requests (target_id, batch, attempt, messages, body, state, sent_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut st| {
            st.execute(params![
                target_id,
                batch,
                attempt,
                messages.len() as i64,
                body,
                state::IN_FLIGHT,
                now_ms()
            ])
        })
        .map_err(LedgerError::sql("a request in flight"))?;
        let id = tx.last_insert_rowid();
        for meta in messages {
            mark(tx, target_id, meta, &Mark::InFlight { request: id })?;
        }
        Ok(id)
    })
}

/// Records what became of request(s) and their messages, in one transaction: each request in
/// `requests` takes `state` (and `error`, when given), each message its mark.
pub fn record(
    conn: &mut Connection,
    target_id: i64,
    requests: &[i64],
    request_state: &str,
    error: Option<&str>,
    marks: &[(MessageMeta, Mark)],
) -> Result<(), LedgerError> {
    in_transaction(conn, "a request's outcome", |tx| {
        record_marks(tx, target_id, requests, request_state, error, marks)
    })
}

/// Records `outcomes`, in order, in one transaction.
pub fn record_all(
    conn: &mut Connection,
    target_id: i64,
    outcomes: &[Outcome],
) -> Result<(), LedgerError> {
    in_transaction(conn, "a request's outcome", |tx| {
        outcomes
            .iter()
            .try_for_each(|o| record_in(tx, target_id, o))
    })
}

/// Runs `f` in one transaction, committed when it succeeds (rolled back when it fails).
fn in_transaction<R>(
    conn: &mut Connection,
    what: &'static str,
    f: impl FnOnce(&Connection) -> Result<R, LedgerError>,
) -> Result<R, LedgerError> {
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    let r = f(&tx)?;
    tx.commit().map_err(LedgerError::sql(what))?;
    Ok(r)
}

fn record_in(tx: &Connection, target_id: i64, o: &Outcome) -> Result<(), LedgerError> {
    record_marks(
        tx,
        target_id,
        &o.requests,
        o.state,
        o.error.as_deref(),
        &o.marks,
    )
}

/// The statements of [`record`], inside the caller's transaction.
fn record_marks(
    tx: &Connection,
    target_id: i64,
    requests: &[i64],
    request_state: &str,
    error: Option<&str>,
    marks: &[(MessageMeta, Mark)],
) -> Result<(), LedgerError> {
    let what = "a request's outcome";
    let now = now_ms();
    for id in requests {
        tx.prepare_cached(
            "UPDATE requests SET state = ?2, error = coalesce(?3, error), answered_at = ?4
             WHERE id = ?1",
        )
        .and_then(|mut st| st.execute(params![id, request_state, error, now]))
        .map_err(LedgerError::sql(what))?;
    }
    for (meta, m) in marks {
        mark(tx, target_id, meta, m)?;
    }
    Ok(())
}

/// Requests of a target still in flight or unknown: `(id, sent_at unix ms)`.
pub fn open_requests(conn: &Connection, target_id: i64) -> Result<Vec<(i64, i64)>, LedgerError> {
    let what = "the target's open requests";
    let mut stmt = conn
        .prepare(
            "SELECT id, sent_at FROM requests WHERE target_id = ?1 AND state IN (?2, ?3) ORDER BY id",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map(params![target_id, state::IN_FLIGHT, state::UNKNOWN], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}

/// Import requests sent for the targets of a run.
pub fn count_for_run(conn: &Connection, run_id: i64) -> Result<u64, LedgerError> {
    conn.query_row(
        "SELECT count(*) FROM requests r JOIN targets t ON t.id = r.target_id WHERE t.run_id = ?1",
        [run_id],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as u64)
    .map_err(LedgerError::sql("a request count"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ledger::messages::{StoredState, load};
    use crate::engine::ledger::runs::create_run;
    use crate::engine::ledger::targets::ensure_target;
    use crate::engine::ledger::testing::temp_ledger;
    use crate::engine::target::Target;
    use crate::engine::testing::meta;

    #[tokio::test]
    async fn a_request_is_in_flight_with_its_messages_then_answered() {
        let (ledger, _dir) = temp_ledger();
        let (t, id, run) = ledger
            .call(|c| {
                let run = create_run(c, "/s", "{}", &[])?.id;
                let t = ensure_target(c, run, &Target::new("g", None), 2, 1)?;
                let id = begin(
                    c,
                    t,
                    0,
                    1,
                    b"{\"MsgList\":[]}",
                    &[meta("g.jsonl", 1), meta("g.jsonl", 2)],
                )?;
                Ok((t, id, run))
            })
            .await
            .unwrap();
        let (open, states, body) = ledger
            .call(move |c| {
                let body: Vec<u8> = c
                    .query_row("SELECT body FROM requests WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .map_err(LedgerError::sql("test"))?;
                Ok((open_requests(c, t)?, load(c, t)?, body))
            })
            .await
            .unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(body, b"{\"MsgList\":[]}");
        assert!(
            states
                .iter()
                .all(|m| m.state == StoredState::InFlight && m.attempts == 1)
        );

        ledger
            .call(move |c| {
                record(
                    c,
                    t,
                    &[id],
                    state::DONE,
                    None,
                    &[
                        (
                            meta("g.jsonl", 1),
                            Mark::Done {
                                msg_seq: 1,
                                msg_time: 10,
                            },
                        ),
                        (
                            meta("g.jsonl", 2),
                            Mark::Done {
                                msg_seq: 2,
                                msg_time: 10,
                            },
                        ),
                    ],
                )
            })
            .await
            .unwrap();
        let (open, states, count) = ledger
            .call(move |c| Ok((open_requests(c, t)?, load(c, t)?, count_for_run(c, run)?)))
            .await
            .unwrap();
        assert!(open.is_empty());
        assert!(states.iter().all(|m| m.state == StoredState::Done));
        assert_eq!(count, 1);
    }

    #[tokio::test]
    async fn an_answer_recorded_with_the_next_request_goes_in_with_it_or_not_at_all() {
        let (ledger, _dir) = temp_ledger();
        let (t, first) = ledger
            .call(|c| {
                let run = create_run(c, "/s", "{}", &[])?.id;
                let t = ensure_target(c, run, &Target::new("g", None), 2, 2)?;
                Ok((t, begin(c, t, 0, 1, b"{}", &[meta("g.jsonl", 1)])?))
            })
            .await
            .unwrap();
        let answer = Outcome {
            requests: vec![first],
            state: state::DONE,
            error: None,
            marks: vec![(
                meta("g.jsonl", 1),
                Mark::Done {
                    msg_seq: 1,
                    msg_time: 10,
                },
            )],
        };
        // The next request cannot be recorded (a target that does not exist): the answer
        // before it is not recorded either.
        let earlier = [answer.clone()];
        let err = ledger
            .call(move |c| begin_after(c, 999, &earlier, 1, 1, b"{}", &[meta("g.jsonl", 2)]))
            .await;
        assert!(err.is_err());
        let states = ledger.call(move |c| load(c, t)).await.unwrap();
        assert_eq!(states.len(), 1);
        assert_eq!(
            states[0].state,
            StoredState::InFlight,
            "rolled back together"
        );
        // Both in one go.
        let earlier = [answer];
        let second = ledger
            .call(move |c| begin_after(c, t, &earlier, 1, 1, b"{}", &[meta("g.jsonl", 2)]))
            .await
            .unwrap();
        let (open, states) = ledger
            .call(move |c| Ok((open_requests(c, t)?, load(c, t)?)))
            .await
            .unwrap();
        assert_eq!(open.iter().map(|o| o.0).collect::<Vec<_>>(), [second]);
        let mut by_line: Vec<_> = states.iter().map(|m| (m.source.line, m.state)).collect();
        by_line.sort_by_key(|(line, _)| *line);
        assert_eq!(
            by_line,
            [(1, StoredState::Done), (2, StoredState::InFlight)]
        );
    }
}
