//! The queries behind a sign-off report (`timport report --html` / `--markdown`): skipped
//! messages by reason and by who decided, every decision in order, failures by code, and the
//! import's pace over time from the requests' send times. Each is one aggregate or one ordered
//! pass, so a run of millions of messages costs a report its rows, not the run's.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use super::LedgerError;
use crate::engine::events::SourceRef;

/// Skipped messages of a target that share a reason and a decider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipGroup {
    /// The target's id.
    pub target_id: i64,
    /// `operator`, `policy` or `flag` (`unknown` when no decision is recorded).
    pub by: String,
    /// The reason given.
    pub reason: String,
    /// How many.
    pub messages: u64,
}

/// The run's skipped messages, by target, decider and reason.
pub fn skips(conn: &Connection, run_id: i64) -> Result<Vec<SkipGroup>, LedgerError> {
    let what = "the skipped messages";
    let mut stmt = conn
        .prepare(
            "SELECT m.target_id,
                    coalesce((SELECT d.by FROM decisions d
                              WHERE d.message_id = m.id AND d.decision IN ('skip', 'auto_skip')
                              ORDER BY d.id DESC LIMIT 1), 'unknown') AS decider,
                    coalesce(m.detail, ''), count(*)
             FROM messages m JOIN targets t ON t.id = m.target_id
             WHERE t.run_id = ?1 AND m.state = 'skipped'
             GROUP BY m.target_id, decider, m.detail
             ORDER BY m.target_id, count(*) DESC",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([run_id], |r| {
            Ok(SkipGroup {
                target_id: r.get(0)?,
                by: r.get(1)?,
                reason: r.get(2)?,
                messages: r.get::<_, i64>(3)?.max(0) as u64,
            })
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}

/// A decision as a report lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionLine {
    /// Unix ms.
    pub decided_at: i64,
    /// The target's id.
    pub target_id: i64,
    /// The message, when it is about one.
    pub source: Option<SourceRef>,
    /// `retry`, `retry_edited`, `skip`, `stop_group`, `stop_lane`, `auto_skip`, `retry_failed`.
    pub decision: String,
    /// `operator`, `policy` or `flag`.
    pub by: String,
    /// Why.
    pub reason: Option<String>,
}

/// The run's decisions made by `by`, in the order they were made, at most `limit`; and how
/// many there are in all.
pub fn decisions(
    conn: &Connection,
    run_id: i64,
    by: &str,
    limit: usize,
) -> Result<(Vec<DecisionLine>, u64), LedgerError> {
    let what = "the decisions";
    let total: i64 = conn
        .query_row(
            "SELECT count(*) FROM decisions d JOIN targets t ON t.id = d.target_id
             WHERE t.run_id = ?1 AND d.by = ?2",
            params![run_id, by],
            |r| r.get(0),
        )
        .map_err(LedgerError::sql(what))?;
    let mut stmt = conn
        .prepare(
            "SELECT d.decided_at, d.target_id, m.file, m.line, m.offset, m.item, d.decision,
                    d.by, d.reason
             FROM decisions d JOIN targets t ON t.id = d.target_id
             LEFT JOIN messages m ON m.id = d.message_id
             WHERE t.run_id = ?1 AND d.by = ?2 ORDER BY d.id LIMIT ?3",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map(
            params![run_id, by, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok(DecisionLine {
                    decided_at: r.get(0)?,
                    target_id: r.get(1)?,
                    source: super::source_at(r, 2)?,
                    decision: r.get(6)?,
                    by: r.get(7)?,
                    reason: r.get(8)?,
                })
            },
        )
        .map_err(LedgerError::sql(what))?;
    let lines = rows
        .collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))?;
    Ok((lines, total.max(0) as u64))
}

/// Decisions not made by an operator, counted by kind, decider and reason.
pub fn decision_counts(
    conn: &Connection,
    run_id: i64,
) -> Result<Vec<(String, String, String, u64)>, LedgerError> {
    let what = "the decisions by kind";
    let mut stmt = conn
        .prepare(
            "SELECT d.decision, d.by, coalesce(d.reason, ''), count(*)
             FROM decisions d JOIN targets t ON t.id = d.target_id
             WHERE t.run_id = ?1 AND d.by != 'operator'
             GROUP BY d.decision, d.by, d.reason ORDER BY min(d.id)",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([run_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, i64>(3)?.max(0) as u64,
            ))
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}

/// Messages now failed, by the service's code (`None`: no code).
pub fn failed_by_code(
    conn: &Connection,
    run_id: i64,
) -> Result<BTreeMap<Option<i64>, u64>, LedgerError> {
    let what = "the failures by code";
    let mut stmt = conn
        .prepare(
            "SELECT m.code, count(*) FROM messages m JOIN targets t ON t.id = m.target_id
             WHERE t.run_id = ?1 AND m.state = 'failed' GROUP BY m.code",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([run_id], |r| {
            Ok((
                r.get::<_, Option<i64>>(0)?,
                r.get::<_, i64>(1)?.max(0) as u64,
            ))
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<BTreeMap<_, _>, _>>()
        .map_err(LedgerError::sql(what))
}

/// Requests that went wrong, by the words recorded (`CODE: meaning. remedy (detail)` or
/// `meaning. remedy (detail)`), with how many carried each.
pub fn request_errors(conn: &Connection, run_id: i64) -> Result<Vec<(String, u64)>, LedgerError> {
    let what = "the requests' errors";
    let mut stmt = conn
        .prepare(
            "SELECT r.error, count(*) FROM requests r JOIN targets t ON t.id = r.target_id
             WHERE t.run_id = ?1 AND r.error IS NOT NULL GROUP BY r.error",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([run_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}

/// The run's requests: how many, and the first and last send time (unix ms).
pub fn request_span(
    conn: &Connection,
    run_id: i64,
) -> Result<(u64, Option<i64>, Option<i64>), LedgerError> {
    conn.query_row(
        "SELECT count(*), min(r.sent_at), max(r.sent_at) FROM requests r
         JOIN targets t ON t.id = r.target_id WHERE t.run_id = ?1",
        [run_id],
        |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?, r.get(2)?)),
    )
    .map_err(LedgerError::sql("the requests' times"))
}

/// Requests and messages sent per time bucket of `bucket_ms` from `start_ms`:
/// `(bucket number, requests, messages)`, buckets with nothing left out.
pub fn rate_buckets(
    conn: &Connection,
    run_id: i64,
    start_ms: i64,
    bucket_ms: i64,
) -> Result<Vec<(i64, u64, u64)>, LedgerError> {
    let what = "the import's pace";
    let mut stmt = conn
        .prepare(
            "SELECT (r.sent_at - ?2) / ?3 AS b, count(*), sum(r.messages)
             FROM requests r JOIN targets t ON t.id = r.target_id
             WHERE t.run_id = ?1 GROUP BY b ORDER BY b",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map(params![run_id, start_ms, bucket_ms.max(1)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?.max(0) as u64,
                r.get::<_, i64>(2)?.max(0) as u64,
            ))
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}
