//! The queries behind reports: counts per target and state, and the messages that need
//! attention (failed, invalid, skipped) with their explanations and current bodies.

use rusqlite::Connection;

use super::LedgerError;
use crate::engine::events::Counts;

/// Messages per state for a target (`total` from its staged count).
pub fn counts(conn: &Connection, target_id: i64, total: u64) -> Result<Counts, LedgerError> {
    let what = "message counts";
    let mut stmt = conn
        .prepare_cached("SELECT state, count(*) FROM messages WHERE target_id = ?1 GROUP BY state")
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([target_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(LedgerError::sql(what))?;
    let mut c = Counts {
        total,
        ..Counts::default()
    };
    for row in rows {
        let (state, n) = row.map_err(LedgerError::sql(what))?;
        let n = n as u64;
        match state.as_str() {
            "done" => c.done += n,
            "failed" => c.failed += n,
            "skipped" => c.skipped += n,
            "invalid" => c.invalid += n,
            _ => {}
        }
    }
    Ok(c)
}

/// A message that needs attention, as a report lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    /// Its target's id.
    pub target_id: i64,
    /// `failed`, `invalid` or `skipped`.
    pub state: String,
    /// Staged file.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Byte offset.
    pub offset: u64,
    /// Index within the line.
    pub item: u32,
    /// The service's code, for a refusal.
    pub code: Option<i64>,
    /// What it means (failures).
    pub meaning: Option<String>,
    /// What to do (failures).
    pub remedy: Option<String>,
    /// The service's words, the skip reason or the invalid problem.
    pub detail: Option<String>,
    /// The current JSON (failed, invalid).
    pub body: Option<String>,
}

/// Failed, invalid and skipped messages of a run, by target then staged position.
pub fn attention(conn: &Connection, run_id: i64) -> Result<Vec<Attention>, LedgerError> {
    let what = "the messages that need attention";
    let mut stmt = conn
        .prepare(
            "SELECT m.target_id, m.state, m.file, m.line, m.offset, m.item, m.code, m.meaning,
                    m.remedy, m.detail, m.body
             FROM messages m JOIN targets t ON t.id = m.target_id
             WHERE t.run_id = ?1 AND m.state IN ('failed', 'invalid', 'skipped')
             ORDER BY m.target_id, m.file, m.offset, m.item",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([run_id], |r| {
            Ok(Attention {
                target_id: r.get(0)?,
                state: r.get(1)?,
                file: r.get(2)?,
                line: r.get(3)?,
                offset: r.get::<_, i64>(4)? as u64,
                item: r.get(5)?,
                code: r.get(6)?,
                meaning: r.get(7)?,
                remedy: r.get(8)?,
                detail: r.get(9)?,
                body: r.get(10)?,
            })
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}

/// A message `--same-second spread` sent later than staged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// Its target's id.
    pub target_id: i64,
    /// Staged file.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Byte offset.
    pub offset: u64,
    /// Index within the line.
    pub item: u32,
    /// Its state word.
    pub state: String,
    /// The `SendTime` as staged.
    pub staged_time: i64,
    /// The `SendTime` sent.
    pub sent_time: i64,
    /// Its group sequence, once done.
    pub msg_seq: Option<i64>,
}

/// Every moved message of a run, by target then staged position.
pub fn moved(conn: &Connection, run_id: i64) -> Result<Vec<Moved>, LedgerError> {
    let what = "the moved messages";
    let mut stmt = conn
        .prepare(
            "SELECT m.target_id, m.file, m.line, m.offset, m.item, m.state, m.send_time, m.sent_time,
                    m.msg_seq
             FROM messages m JOIN targets t ON t.id = m.target_id
             WHERE t.run_id = ?1 AND m.sent_time IS NOT NULL AND m.send_time IS NOT NULL
             ORDER BY m.target_id, m.file, m.offset, m.item",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([run_id], |r| {
            Ok(Moved {
                target_id: r.get(0)?,
                file: r.get(1)?,
                line: r.get(2)?,
                offset: r.get::<_, i64>(3)? as u64,
                item: r.get(4)?,
                state: r.get(5)?,
                staged_time: r.get(6)?,
                sent_time: r.get(7)?,
                msg_seq: r.get(8)?,
            })
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}
