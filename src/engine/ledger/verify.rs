//! Verifications (`timport verify`): each reading-back of a run's groups, how far it got in each
//! target (so a stopped verification goes on where it stopped), its counts and its findings.
//! Added in schema 4 (`schema::upgrade`); the tables are new, nothing older changes.
//!
//! Also what a verification reads of the run: the messages recorded done in a range of
//! `MsgSeq`s (an index on `(target_id, msg_seq)` keeps that a lookup however big the run), with
//! the edited body for those the operator edited (an index on the decisions' message), and the
//! time each was sent (`sent_time` when `--same-second spread` moved it, else `send_time`).

use rusqlite::{Connection, OptionalExtension, params};

use super::{LedgerError, now_ms};
use crate::engine::events::SourceRef;
use crate::engine::verify::{
    Finding, FindingKind, MessageView, TargetVerifyState, VerifyCounts, VerifyStatus,
};

/// The tables (created with the others; `IF NOT EXISTS` keeps it additive).
pub(super) const SCHEMA: &str = "
CREATE INDEX IF NOT EXISTS messages_by_seq ON messages (target_id, msg_seq);
CREATE INDEX IF NOT EXISTS decisions_by_message ON decisions (message_id);
CREATE TABLE IF NOT EXISTS verifications (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    scope       TEXT    NOT NULL,    -- JSON list of the targets verified; [] = every target
    started_at  INTEGER NOT NULL,    -- unix ms
    resumed_at  INTEGER,
    finished_at INTEGER,
    status      TEXT    NOT NULL,    -- running | done | interrupted | stopped
    exit_code   INTEGER
);
CREATE TABLE IF NOT EXISTS verify_targets (
    verification_id INTEGER NOT NULL REFERENCES verifications(id),
    target_id    INTEGER NOT NULL REFERENCES targets(id),
    state        TEXT    NOT NULL,   -- reading | done | failed
    first_seq    INTEGER,            -- the run's first landing in the group
    next_seq     INTEGER,            -- the next MsgSeq to read
    end_seq      INTEGER,            -- the newest MsgSeq the walk goes to
    last_time    INTEGER,            -- newest SendTime of the run's messages read so far
    expected     INTEGER NOT NULL DEFAULT 0,
    verified     INTEGER NOT NULL DEFAULT 0,
    missing      INTEGER NOT NULL DEFAULT 0,
    changed      INTEGER NOT NULL DEFAULT 0,
    extra        INTEGER NOT NULL DEFAULT 0,
    out_of_order INTEGER NOT NULL DEFAULT 0,
    preexisting  INTEGER NOT NULL DEFAULT 0,
    ignored      INTEGER NOT NULL DEFAULT 0,
    reads        INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (verification_id, target_id)
);
CREATE TABLE IF NOT EXISTS verify_findings (
    id              INTEGER PRIMARY KEY,
    verification_id INTEGER NOT NULL REFERENCES verifications(id),
    target_id       INTEGER NOT NULL REFERENCES targets(id),
    kind            TEXT    NOT NULL, -- missing | changed | extra | out_of_order
    file            TEXT,
    line            INTEGER,
    offset          INTEGER,
    item            INTEGER,
    msg_seq         INTEGER,
    detail          TEXT    NOT NULL, -- JSON: differs, staged, found, note
    found_at        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS verify_findings_by_target ON verify_findings (verification_id, target_id);
";

/// A verification as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationRecord {
    /// Its id.
    pub id: i64,
    /// The run.
    pub run_id: i64,
    /// JSON list of its targets (`[]`: every target).
    pub scope: String,
    /// Unix ms.
    pub started_at: i64,
    /// Unix ms of the latest resume.
    pub resumed_at: Option<i64>,
    /// Unix ms.
    pub finished_at: Option<i64>,
    /// `running`, `done`, `interrupted` or `stopped`.
    pub status: String,
    /// The latest invocation's exit code.
    pub exit_code: Option<i64>,
}

const VERIFICATION_COLUMNS: &str =
    "id, run_id, scope, started_at, resumed_at, finished_at, status, exit_code";

fn verification_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VerificationRecord> {
    Ok(VerificationRecord {
        id: r.get(0)?,
        run_id: r.get(1)?,
        scope: r.get(2)?,
        started_at: r.get(3)?,
        resumed_at: r.get(4)?,
        finished_at: r.get(5)?,
        status: r.get(6)?,
        exit_code: r.get(7)?,
    })
}

/// Goes on with the latest unfinished verification of `run_id` over the same `scope`, or starts
/// a new one (always a new one with `restart`). Returns it and whether it resumes.
pub fn start(
    conn: &Connection,
    run_id: i64,
    scope: &str,
    restart: bool,
) -> Result<(VerificationRecord, bool), LedgerError> {
    let what = "a verification";
    let open: Option<i64> = if restart {
        None
    } else {
        conn.query_row(
            "SELECT id FROM verifications WHERE run_id = ?1 AND scope = ?2 AND status != 'done'
             ORDER BY id DESC LIMIT 1",
            params![run_id, scope],
            |r| r.get(0),
        )
        .optional()
        .map_err(LedgerError::sql(what))?
    };
    let (id, resumed) = match open {
        Some(id) => {
            conn.execute(
                "UPDATE verifications SET status = 'running', resumed_at = ?2, finished_at = NULL
                 WHERE id = ?1",
                params![id, now_ms()],
            )
            .map_err(LedgerError::sql(what))?;
            (id, true)
        }
        None => {
            conn.execute(
                "INSERT INTO verifications (run_id, scope, started_at, status)
                 VALUES (?1, ?2, ?3, 'running')",
                params![run_id, scope, now_ms()],
            )
            .map_err(LedgerError::sql(what))?;
            (conn.last_insert_rowid(), false)
        }
    };
    let record = verification(conn, id)?
        .ok_or_else(|| LedgerError::Corrupt(format!("verification {id} vanished")))?;
    Ok((record, resumed))
}

/// A verification by id.
pub fn verification(conn: &Connection, id: i64) -> Result<Option<VerificationRecord>, LedgerError> {
    conn.query_row(
        &format!("SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE id = ?1"),
        [id],
        verification_from_row,
    )
    .optional()
    .map_err(LedgerError::sql("a verification lookup"))
}

/// The latest verification of a run (finished or not), if any. A ledger written before
/// schema 3 has none.
pub fn latest_of_run(
    conn: &Connection,
    run_id: i64,
) -> Result<Option<VerificationRecord>, LedgerError> {
    if !has_table(conn, "verifications")? {
        return Ok(None);
    }
    conn.query_row(
        &format!(
            "SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE run_id = ?1
             ORDER BY id DESC LIMIT 1"
        ),
        [run_id],
        verification_from_row,
    )
    .optional()
    .map_err(LedgerError::sql("a verification lookup"))
}

/// Records how an invocation of a verification ended.
pub fn finish(
    conn: &Connection,
    id: i64,
    status: VerifyStatus,
    exit_code: u8,
) -> Result<(), LedgerError> {
    conn.execute(
        "UPDATE verifications SET status = ?2, exit_code = ?3, finished_at = ?4 WHERE id = ?1",
        params![id, status.word(), i64::from(exit_code), now_ms()],
    )
    .map_err(LedgerError::sql("the end of a verification"))?;
    Ok(())
}

/// Where a target's verification stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetProgress {
    /// Reading, done or failed.
    pub state: TargetVerifyState,
    /// The run's first landing in the group.
    pub first_seq: Option<u64>,
    /// The next `MsgSeq` to read.
    pub next_seq: u64,
    /// The newest `MsgSeq` the walk goes to.
    pub end_seq: u64,
    /// Newest `SendTime` of the run's messages read so far.
    pub last_time: Option<i64>,
    /// Its numbers so far.
    pub counts: VerifyCounts,
    /// Why it failed.
    pub error: Option<String>,
}

const PROGRESS_COLUMNS: &str = "state, first_seq, next_seq, end_seq, last_time, expected, \
     verified, missing, changed, extra, out_of_order, preexisting, ignored, reads, error";

fn progress_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, TargetProgress)> {
    let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
    Ok((
        r.get(0)?,
        TargetProgress {
            state: TargetVerifyState::Reading,
            first_seq: r.get::<_, Option<i64>>(1)?.map(|s| s.max(0) as u64),
            next_seq: r.get::<_, Option<i64>>(2)?.unwrap_or(0).max(0) as u64,
            end_seq: r.get::<_, Option<i64>>(3)?.unwrap_or(0).max(0) as u64,
            last_time: r.get(4)?,
            counts: VerifyCounts {
                expected: n(5)?,
                verified: n(6)?,
                missing: n(7)?,
                changed: n(8)?,
                extra: n(9)?,
                out_of_order: n(10)?,
                preexisting: n(11)?,
                ignored: n(12)?,
                reads: n(13)?,
            },
            error: r.get(14)?,
        },
    ))
}

fn with_state(row: (String, TargetProgress)) -> Result<TargetProgress, LedgerError> {
    let (word, mut p) = row;
    p.state = TargetVerifyState::from_word(&word)
        .ok_or_else(|| LedgerError::Corrupt(format!("verify state {word:?}")))?;
    Ok(p)
}

/// How far a verification got in a target; `None` before it began there.
pub fn progress(
    conn: &Connection,
    verification_id: i64,
    target_id: i64,
) -> Result<Option<TargetProgress>, LedgerError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {PROGRESS_COLUMNS} FROM verify_targets
             WHERE verification_id = ?1 AND target_id = ?2"
        ))
        .and_then(|mut st| {
            st.query_row(params![verification_id, target_id], progress_from_row)
                .optional()
        })
        .map_err(LedgerError::sql("a target's verification"))?;
    row.map(with_state).transpose()
}

/// Every target's progress in a verification, by target id.
pub fn progress_of(
    conn: &Connection,
    verification_id: i64,
) -> Result<Vec<(i64, TargetProgress)>, LedgerError> {
    let what = "the verification's targets";
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {PROGRESS_COLUMNS}, target_id FROM verify_targets
             WHERE verification_id = ?1 ORDER BY target_id"
        ))
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([verification_id], |r| {
            Ok((r.get::<_, i64>(15)?, progress_from_row(r)?))
        })
        .map_err(LedgerError::sql(what))?;
    rows.map(|row| {
        let (id, p) = row.map_err(LedgerError::sql(what))?;
        Ok((id, with_state(p)?))
    })
    .collect()
}

/// Records where a target's walk begins (or, on a later invocation, how far it now goes).
pub fn begin_target(
    conn: &Connection,
    verification_id: i64,
    target_id: i64,
    p: &TargetProgress,
) -> Result<(), LedgerError> {
    conn.execute(
        "INSERT INTO verify_targets (verification_id, target_id, state, first_seq, next_seq,
             end_seq, last_time, expected, preexisting, reads, error, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (verification_id, target_id) DO UPDATE SET
             state = excluded.state, end_seq = excluded.end_seq, reads = excluded.reads,
             error = excluded.error, updated_at = excluded.updated_at",
        params![
            verification_id,
            target_id,
            p.state.word(),
            p.first_seq.map(|s| s as i64),
            p.next_seq as i64,
            p.end_seq as i64,
            p.last_time,
            p.counts.expected as i64,
            p.counts.preexisting as i64,
            p.counts.reads as i64,
            p.error,
            now_ms()
        ],
    )
    .map_err(LedgerError::sql("a target's verification"))?;
    Ok(())
}

/// Records one window read: the cursor moves to `p.next_seq`, the counts become `p.counts`, and
/// the findings are added, in one transaction (a verification stopped after it goes on from
/// `p.next_seq`, never losing or repeating a finding).
pub fn record_window(
    conn: &mut Connection,
    verification_id: i64,
    target_id: i64,
    p: &TargetProgress,
    findings: &[Finding],
) -> Result<(), LedgerError> {
    let what = "a verified window";
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO verify_findings (verification_id, target_id, kind, file, line, offset,
                     item, msg_seq, detail, found_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(LedgerError::sql(what))?;
        let now = now_ms();
        for f in findings {
            let detail = serde_json::to_string(&Detail {
                differs: f.differs.clone(),
                staged: f.staged.clone(),
                found: f.found.clone(),
                note: f.note.clone(),
            })
            .map_err(|e| LedgerError::Corrupt(format!("a finding's detail: {e}")))?;
            let s = f.source.as_ref();
            insert
                .execute(params![
                    verification_id,
                    target_id,
                    f.kind.word(),
                    s.map(|s| s.file.as_ref()),
                    s.map(|s| s.line),
                    s.map(|s| s.offset as i64),
                    s.map(|s| s.item),
                    f.msg_seq.map(|q| q as i64),
                    detail,
                    now
                ])
                .map_err(LedgerError::sql(what))?;
        }
    }
    let c = &p.counts;
    tx.execute(
        "UPDATE verify_targets SET state = ?3, next_seq = ?4, last_time = ?5, verified = ?6,
             missing = ?7, changed = ?8, extra = ?9, out_of_order = ?10, ignored = ?11,
             reads = ?12, error = ?13, updated_at = ?14
         WHERE verification_id = ?1 AND target_id = ?2",
        params![
            verification_id,
            target_id,
            p.state.word(),
            p.next_seq as i64,
            p.last_time,
            c.verified as i64,
            c.missing as i64,
            c.changed as i64,
            c.extra as i64,
            c.out_of_order as i64,
            c.ignored as i64,
            c.reads as i64,
            p.error,
            now_ms()
        ],
    )
    .map_err(LedgerError::sql(what))?;
    tx.commit().map_err(LedgerError::sql(what))
}

/// What a finding row keeps besides its columns.
#[derive(serde::Serialize, serde::Deserialize)]
struct Detail {
    #[serde(default)]
    differs: Vec<String>,
    #[serde(default)]
    staged: Option<MessageView>,
    #[serde(default)]
    found: Option<MessageView>,
    #[serde(default)]
    note: String,
}

/// A recorded finding, with its target's id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    /// The target's id.
    pub target_id: i64,
    /// The finding (its target is filled in by the caller, who knows the targets).
    pub kind: FindingKind,
    /// Where it is staged.
    pub source: Option<SourceRef>,
    /// Its `MsgSeq`.
    pub msg_seq: Option<u64>,
    /// Fields that differ.
    pub differs: Vec<String>,
    /// As sent.
    pub staged: Option<MessageView>,
    /// As found.
    pub found: Option<MessageView>,
    /// What is wrong.
    pub note: String,
}

/// The findings of a verification in the order they were found, at most `limit`.
pub fn findings(
    conn: &Connection,
    verification_id: i64,
    limit: usize,
) -> Result<Vec<StoredFinding>, LedgerError> {
    let what = "the verification's findings";
    let mut stmt = conn
        .prepare(
            "SELECT target_id, kind, file, line, offset, item, msg_seq, detail
             FROM verify_findings WHERE verification_id = ?1 ORDER BY id LIMIT ?2",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map(
            params![verification_id, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                let source = super::source_at(r, 2)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    source,
                    r.get::<_, Option<i64>>(6)?.map(|s| s as u64),
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .map_err(LedgerError::sql(what))?;
    rows.map(|row| {
        let (target_id, kind, source, msg_seq, detail) = row.map_err(LedgerError::sql(what))?;
        let kind = FindingKind::from_word(&kind)
            .ok_or_else(|| LedgerError::Corrupt(format!("finding kind {kind:?}")))?;
        let d: Detail = serde_json::from_str(&detail)
            .map_err(|e| LedgerError::Corrupt(format!("a finding's detail: {e}")))?;
        Ok(StoredFinding {
            target_id,
            kind,
            source,
            msg_seq,
            differs: d.differs,
            staged: d.staged,
            found: d.found,
            note: d.note,
        })
    })
    .collect()
}

/// What the ledger knows of a target's landings: how many, the first and the last `MsgSeq`.
pub fn landed_span(
    conn: &Connection,
    target_id: i64,
) -> Result<(u64, Option<u64>, Option<u64>), LedgerError> {
    conn.prepare_cached(
        "SELECT count(*), min(msg_seq), max(msg_seq) FROM messages
         WHERE target_id = ?1 AND state = 'done' AND msg_seq IS NOT NULL",
    )
    .and_then(|mut st| {
        st.query_row([target_id], |r| {
            Ok((
                r.get::<_, i64>(0)?.max(0) as u64,
                r.get::<_, Option<i64>>(1)?.map(|s| s.max(0) as u64),
                r.get::<_, Option<i64>>(2)?.map(|s| s.max(0) as u64),
            ))
        })
    })
    .map_err(LedgerError::sql("the target's landings"))
}

/// A message the ledger records as landed, as a verification compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandedRow {
    /// Where it is staged.
    pub source: SourceRef,
    /// The `MsgSeq` recorded.
    pub msg_seq: u64,
    /// The sender sent.
    pub from_account: Option<String>,
    /// The `SendTime` sent (the spread one when the run spread a crowded second).
    pub sent_time: Option<i64>,
    /// The `SendTime` as staged.
    pub staged_time: Option<i64>,
    /// The `Random` sent.
    pub random: Option<u32>,
    /// The edited message's JSON, when the operator edited it.
    pub edited: Option<String>,
}

/// The messages recorded landed in a target with `MsgSeq` in `lo..=hi`, by `MsgSeq`.
pub fn landed_in(
    conn: &Connection,
    target_id: i64,
    lo: u64,
    hi: u64,
) -> Result<Vec<LandedRow>, LedgerError> {
    let what = "the landed messages of a window";
    let sql = "SELECT m.file, m.line, m.offset, m.item, m.msg_seq, m.from_account,
                coalesce(m.sent_time, m.send_time), m.send_time,
                m.random,
                CASE WHEN m.edited = 1 THEN
                    (SELECT d.edited_body FROM decisions d
                     WHERE d.message_id = m.id AND d.edited_body IS NOT NULL
                     ORDER BY d.id DESC LIMIT 1)
                END
         FROM messages m
         WHERE m.target_id = ?1 AND m.state = 'done' AND m.msg_seq BETWEEN ?2 AND ?3
         ORDER BY m.msg_seq";
    let mut stmt = conn.prepare_cached(sql).map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map(params![target_id, lo as i64, hi as i64], |r| {
            Ok(LandedRow {
                source: SourceRef {
                    file: r.get::<_, String>(0)?.into(),
                    line: r.get(1)?,
                    offset: r.get::<_, i64>(2)? as u64,
                    item: r.get(3)?,
                },
                msg_seq: r.get::<_, i64>(4)?.max(0) as u64,
                from_account: r.get(5)?,
                sent_time: r.get(6)?,
                staged_time: r.get(7)?,
                random: r.get::<_, Option<i64>>(8)?.map(|v| v as u32),
                edited: r.get(9)?,
            })
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}

fn has_table(conn: &Connection, table: &str) -> Result<bool, LedgerError> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(LedgerError::sql("the ledger's tables"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::events::Failure;
    use crate::engine::ledger::decisions::{self, DecidedBy, DecisionRecord};
    use crate::engine::ledger::messages::{Mark, mark};
    use crate::engine::ledger::runs::create_run;
    use crate::engine::ledger::targets::ensure_target;
    use crate::engine::ledger::testing::temp_ledger;
    use crate::engine::target::Target;
    use crate::engine::testing::meta;

    #[tokio::test]
    async fn a_window_reads_the_time_sent_and_the_edited_body() {
        let (ledger, _dir) = temp_ledger();
        let (plain, spread) = ledger
            .call(|c| {
                let run = create_run(c, "/s", "{}", &[])?.id;
                let t = ensure_target(c, run, &Target::new("g", None), 3, 1)?;
                for line in 1..=3 {
                    mark(c, t, &meta("g.jsonl", line), &Mark::Done { msg_seq: u64::from(line) + 10, msg_time: 0 })?;
                }
                // Line 2 was edited before it landed: the edit is what the group should hold.
                let edited = r#"{"From_Account":"alice","SendTime":102,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"fixed"}}]}"#;
                decisions::record(
                    c,
                    t,
                    &DecisionRecord {
                        message: Some(meta("g.jsonl", 2)),
                        decision: "retry_edited",
                        by: DecidedBy::Operator,
                        reason: None,
                        edited_body: Some(edited.into()),
                        mark: Some(Mark::Edited { body: edited.into() }),
                        operator: None,
                    },
                )?;
                mark(c, t, &meta("g.jsonl", 2), &Mark::Done { msg_seq: 12, msg_time: 0 })?;
                // Line 4 failed: not expected in the group.
                let failure = Failure::from_explanation(crate::api::catalogue::explain_message_result(80002), "");
                mark(c, t, &meta("g.jsonl", 4), &Mark::Failed { failure, body: "{}".into() })?;
                assert_eq!(landed_span(c, t)?, (3, Some(11), Some(13)));
                let plain = landed_in(c, t, 11, 12)?;
                // A message spread to a later second records the time sent apart.
                c.execute("UPDATE messages SET sent_time = 500 WHERE line = 3", [])
                    .map_err(LedgerError::sql("a test"))?;
                let spread = landed_in(c, t, 11, 20)?;
                Ok((plain, spread))
            })
            .await
            .unwrap();
        assert_eq!(plain.len(), 2, "only 11..=12");
        assert_eq!(plain[0].edited, None);
        assert!(plain[1].edited.as_deref().unwrap().contains("fixed"));
        assert_eq!(
            (plain[1].sent_time, plain[1].staged_time),
            (Some(102), Some(102))
        );
        assert_eq!(spread.len(), 3);
        assert_eq!(
            (spread[2].sent_time, spread[2].staged_time),
            (Some(500), Some(103))
        );
        assert_eq!(
            spread[0].sent_time,
            Some(101),
            "no sent_time: the staged time"
        );
    }

    #[tokio::test]
    async fn an_unfinished_verification_of_the_same_scope_is_resumed() {
        let (ledger, _dir) = temp_ledger();
        ledger
            .call(|c| {
                let run = create_run(c, "/s", "{}", &[])?.id;
                let (a, resumed) = start(c, run, "[]", false)?;
                assert!(!resumed);
                let (b, resumed) = start(c, run, "[]", false)?;
                assert!(resumed && a.id == b.id);
                let (other, resumed) = start(c, run, r#"[{"group":"g"}]"#, false)?;
                assert!(!resumed && other.id != a.id, "another scope");
                let (fresh, _) = start(c, run, "[]", true)?;
                assert_ne!(fresh.id, a.id, "restart");
                finish(c, fresh.id, VerifyStatus::Done, 0)?;
                assert_eq!(
                    latest_of_run(c, run)?.map(|v| v.id),
                    Some(fresh.id),
                    "the newest"
                );
                let (after, resumed) = start(c, run, "[]", false)?;
                assert!(resumed, "the first one is still unfinished");
                assert_eq!(after.id, a.id);
                Ok(())
            })
            .await
            .unwrap();
    }
}
