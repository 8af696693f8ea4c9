//! Messages: one row per message the run has touched (sent, refused, decided, found invalid).
//! A staged message without a row has not been sent yet.
//!
//! A row keeps the message's current state, its `MsgSeq`/`MsgTime` once done, the failure that
//! stopped it (code, meaning, remedy, detail), how many times it was sent, and its current JSON
//! while it is failed, invalid or edited (what `report --failed-out` writes and what a resumed
//! lane sends after an edit), and its fingerprint: a 64-bit hash of the message as staged when
//! the row was written, so that a resume after the staged files changed can tell whether the
//! message at that place is still the one the row is about.

use rusqlite::{Connection, OptionalExtension, params};

use super::{LedgerError, now_ms};
use crate::engine::events::{Failure, Newest, SourceRef};

/// A message's state as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoredState {
    /// Not sent (or sent and proven absent).
    Pending,
    /// Part of a request recorded before sending and not answered yet.
    InFlight,
    /// Part of a request whose answer never came, not settled yet.
    Unknown,
    /// In the group.
    Done,
    /// Refused, not decided yet.
    Failed,
    /// Skipped by decision.
    Skipped,
    /// Breaks a staging rule, not decided yet.
    Invalid,
}

impl StoredState {
    /// The ledger's word.
    pub fn word(self) -> &'static str {
        match self {
            StoredState::Pending => "pending",
            StoredState::InFlight => "in_flight",
            StoredState::Unknown => "unknown",
            StoredState::Done => "done",
            StoredState::Failed => "failed",
            StoredState::Skipped => "skipped",
            StoredState::Invalid => "invalid",
        }
    }

    /// The state a word names.
    pub fn from_word(word: &str) -> Option<StoredState> {
        [
            StoredState::Pending,
            StoredState::InFlight,
            StoredState::Unknown,
            StoredState::Done,
            StoredState::Failed,
            StoredState::Skipped,
            StoredState::Invalid,
        ]
        .into_iter()
        .find(|s| s.word() == word)
    }
}

/// What a resumed lane needs to know about a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Where it is staged.
    pub source: SourceRef,
    /// Its state.
    pub state: StoredState,
    /// Its group sequence, once done.
    pub msg_seq: Option<u64>,
    /// Its stored time, once done.
    pub msg_time: Option<i64>,
    /// Why it failed, while failed.
    pub failure: Option<Failure>,
    /// The skip reason or the invalid problem.
    pub detail: Option<String>,
    /// Times sent.
    pub attempts: u32,
    /// Its current JSON, while failed, invalid or edited.
    pub body: Option<String>,
    /// True once the operator replaced it with an edited version.
    pub edited: bool,
    /// The fingerprint of the message as staged when the row was written (`None` in rows of an
    /// older ledger).
    pub fingerprint: Option<i64>,
}

/// The identity and sendable fields of a message, for its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMeta {
    /// Where it is staged.
    pub source: SourceRef,
    /// `From_Account`, when known.
    pub from_account: Option<String>,
    /// `SendTime` as staged (or edited), when known.
    pub send_time: Option<i64>,
    /// The `SendTime` sent, when `--same-second spread` moved the message.
    pub sent_time: Option<i64>,
    /// `Random`, when known.
    pub random: Option<u32>,
    /// The message's [`fingerprint`] as staged, when known.
    pub fingerprint: Option<i64>,
}

/// The fingerprint of a message's staged text (the planned JSON of a valid message, the staged
/// text of an invalid one): the first 64 bits of its SHA-256.
pub fn fingerprint(text: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// A change to a message's row.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// Recorded as part of request `request` before it is sent (one more attempt).
    InFlight {
        /// The request.
        request: i64,
    },
    /// Its request's answer never came.
    Unknown,
    /// Not in the group: to be sent (again).
    Pending,
    /// In the group.
    Done {
        /// Group sequence.
        msg_seq: u64,
        /// Stored time.
        msg_time: i64,
    },
    /// Refused (or proven never to go in); `body` is its current JSON.
    Failed {
        /// Why.
        failure: Failure,
        /// Its JSON.
        body: String,
    },
    /// Skipped by decision.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Breaks a staging rule; recorded only if the message has no row yet (a decision about it
    /// in an earlier invocation wins).
    Invalid {
        /// Every problem.
        problem: String,
        /// Its staged text.
        raw: String,
    },
    /// Replaced by an edited version, to be sent.
    Edited {
        /// The edited JSON.
        body: String,
    },
}

/// The id of the message's row, creating it (in state `initial`, with `detail` and `body`)
/// if there is none.
pub fn ensure_row(
    conn: &Connection,
    target_id: i64,
    meta: &MessageMeta,
    initial: StoredState,
    detail: Option<&str>,
    body: Option<&str>,
) -> Result<i64, LedgerError> {
    let what = "a message";
    let s = &meta.source;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO messages
         (target_id, file, line, offset, item, from_account, send_time, random, state, detail, body, updated_at, fingerprint, sent_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )
    .and_then(|mut st| {
        st.execute(params![
            target_id,
            s.file,
            s.line as i64,
            s.offset as i64,
            s.item,
            meta.from_account,
            meta.send_time,
            meta.random,
            initial.word(),
            detail,
            body,
            now_ms(),
            meta.fingerprint,
            meta.sent_time
        ])
    })
    .map_err(LedgerError::sql(what))?;
    conn.prepare_cached(
        "SELECT id FROM messages WHERE target_id = ?1 AND file = ?2 AND offset = ?3 AND item = ?4",
    )
    .and_then(|mut st| {
        st.query_row(params![target_id, s.file, s.offset as i64, s.item], |r| {
            r.get(0)
        })
    })
    .map_err(LedgerError::sql(what))
}

/// Applies `mark` to the message's row (creating it), returning the row id.
pub fn mark(
    conn: &Connection,
    target_id: i64,
    meta: &MessageMeta,
    mark: &Mark,
) -> Result<i64, LedgerError> {
    let what = "a message";
    let now = now_ms();
    let id = match mark {
        Mark::Invalid { problem, raw } => ensure_row(
            conn,
            target_id,
            meta,
            StoredState::Invalid,
            Some(problem),
            Some(raw),
        )?,
        _ => ensure_row(conn, target_id, meta, StoredState::Pending, None, None)?,
    };
    let update = |sql: &str, extra: &[&dyn rusqlite::ToSql]| -> Result<(), LedgerError> {
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![&id, &now];
        args.extend_from_slice(extra);
        conn.prepare_cached(sql)
            .and_then(|mut st| st.execute(args.as_slice()))
            .map_err(LedgerError::sql(what))?;
        Ok(())
    };
    const CLEAR: &str = "code = NULL, meaning = NULL, remedy = NULL, detail = NULL";
    match mark {
        Mark::InFlight { request } => update(
            &format!(
                "UPDATE messages SET state = 'in_flight', request_id = ?3, attempts = attempts + 1,
                 from_account = coalesce(?4, from_account), send_time = coalesce(?5, send_time),
                 random = coalesce(?6, random), sent_time = ?7, {CLEAR}, updated_at = ?2
                 WHERE id = ?1"
            ),
            &[
                request,
                &meta.from_account,
                &meta.send_time,
                &meta.random,
                &meta.sent_time,
            ],
        )?,
        Mark::Unknown => update(
            "UPDATE messages SET state = 'unknown', updated_at = ?2 WHERE id = ?1",
            &[],
        )?,
        Mark::Pending => update(
            &format!(
                "UPDATE messages SET state = 'pending', {CLEAR}, updated_at = ?2 WHERE id = ?1"
            ),
            &[],
        )?,
        Mark::Done { msg_seq, msg_time } => update(
            &format!(
                "UPDATE messages SET state = 'done', msg_seq = ?3, msg_time = ?4, {CLEAR},
                 body = NULL, updated_at = ?2 WHERE id = ?1"
            ),
            &[&(*msg_seq as i64), msg_time],
        )?,
        Mark::Failed { failure, body } => update(
            "UPDATE messages SET state = 'failed', code = ?3, meaning = ?4, remedy = ?5,
             detail = ?6, body = ?7, updated_at = ?2 WHERE id = ?1",
            &[
                &failure.code,
                &failure.meaning,
                &failure.remedy,
                &failure.detail,
                body,
            ],
        )?,
        Mark::Skipped { reason } => update(
            &format!(
                "UPDATE messages SET state = 'skipped', {CLEAR}, detail = ?3, updated_at = ?2
                 WHERE id = ?1"
            ),
            &[reason],
        )?,
        // A new row was written invalid above; an existing one (a decision made) is kept.
        Mark::Invalid { .. } => {}
        Mark::Edited { body } => update(
            &format!(
                "UPDATE messages SET state = 'pending', body = ?3, edited = 1, {CLEAR},
                 from_account = coalesce(?4, from_account), send_time = coalesce(?5, send_time),
                 random = coalesce(?6, random), sent_time = ?7, updated_at = ?2 WHERE id = ?1"
            ),
            &[
                body,
                &meta.from_account,
                &meta.send_time,
                &meta.random,
                &meta.sent_time,
            ],
        )?,
    }
    Ok(id)
}

const STORED_COLUMNS: &str = "file, line, offset, item, state, msg_seq, msg_time, code, meaning, \
     remedy, detail, attempts, body, edited, fingerprint";

fn stored_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(StoredMessage, String)> {
    let state: String = r.get(4)?;
    let code: Option<i64> = r.get(7)?;
    let meaning: Option<String> = r.get(8)?;
    let remedy: Option<String> = r.get(9)?;
    let detail: Option<String> = r.get(10)?;
    Ok((
        StoredMessage {
            source: SourceRef {
                file: r.get::<_, String>(0)?.into(),
                line: r.get(1)?,
                offset: r.get::<_, i64>(2)? as u64,
                item: r.get(3)?,
            },
            state: StoredState::Pending,
            msg_seq: r.get::<_, Option<i64>>(5)?.map(|s| s as u64),
            msg_time: r.get(6)?,
            failure: meaning.map(|meaning| Failure {
                code,
                meaning,
                remedy: remedy.unwrap_or_default(),
                detail: detail.clone().unwrap_or_default(),
            }),
            detail,
            attempts: r.get(11)?,
            body: r.get(12)?,
            edited: r.get::<_, i64>(13)? != 0,
            fingerprint: r.get(14)?,
        },
        state,
    ))
}

fn with_state(row: (StoredMessage, String)) -> Result<StoredMessage, LedgerError> {
    let (mut msg, word) = row;
    msg.state = StoredState::from_word(&word)
        .ok_or_else(|| LedgerError::Corrupt(format!("message state {word:?}")))?;
    Ok(msg)
}

/// Every recorded message of a target.
pub fn load(conn: &Connection, target_id: i64) -> Result<Vec<StoredMessage>, LedgerError> {
    let what = "the target's messages";
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {STORED_COLUMNS} FROM messages WHERE target_id = ?1"
        ))
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([target_id], stored_from_row)
        .map_err(LedgerError::sql(what))?;
    rows.map(|row| with_state(row.map_err(LedgerError::sql(what))?))
        .collect()
}

/// The recorded messages among `sources` (those with no row have not been sent).
pub fn load_these(
    conn: &Connection,
    target_id: i64,
    sources: &[SourceRef],
) -> Result<Vec<StoredMessage>, LedgerError> {
    let what = "messages of a part";
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {STORED_COLUMNS} FROM messages
             WHERE target_id = ?1 AND file = ?2 AND offset = ?3 AND item = ?4"
        ))
        .map_err(LedgerError::sql(what))?;
    let mut out = Vec::new();
    for s in sources {
        let row = stmt
            .query_row(
                params![target_id, s.file.as_ref(), s.offset as i64, s.item],
                stored_from_row,
            )
            .optional()
            .map_err(LedgerError::sql(what))?;
        if let Some(row) = row {
            out.push(with_state(row)?);
        }
    }
    Ok(out)
}

/// Forgets a message's row (the staged message at its place changed or went before it was
/// sent: it is planned again as staged now, like a message never touched). Decisions about it
/// stay on record, no longer tied to a row.
pub fn forget(conn: &Connection, target_id: i64, source: &SourceRef) -> Result<(), LedgerError> {
    let what = "a changed message";
    let key = params![
        target_id,
        source.file.as_ref(),
        source.offset as i64,
        source.item
    ];
    conn.prepare_cached(
        "UPDATE decisions SET message_id = NULL WHERE message_id IN
         (SELECT id FROM messages WHERE target_id = ?1 AND file = ?2 AND offset = ?3 AND item = ?4)",
    )
    .and_then(|mut st| st.execute(key))
    .map_err(LedgerError::sql(what))?;
    conn.prepare_cached(
        "DELETE FROM messages WHERE target_id = ?1 AND file = ?2 AND offset = ?3 AND item = ?4",
    )
    .and_then(|mut st| st.execute(key))
    .map_err(LedgerError::sql(what))?;
    Ok(())
}

/// The newest message of a target recorded done (by stored time, then sequence number).
pub fn newest_done(conn: &Connection, target_id: i64) -> Result<Option<Newest>, LedgerError> {
    let what = "the newest landed message";
    conn.prepare_cached(
        "SELECT msg_time, msg_seq, file, line, offset, item FROM messages
         WHERE target_id = ?1 AND state = 'done' AND msg_time IS NOT NULL
         ORDER BY msg_time DESC, msg_seq DESC LIMIT 1",
    )
    .and_then(|mut st| {
        st.query_row([target_id], |r| {
            Ok(Newest {
                send_time: r.get(0)?,
                msg_seq: r.get::<_, Option<i64>>(1)?.unwrap_or(0) as u64,
                source: SourceRef {
                    file: r.get::<_, String>(2)?.into(),
                    line: r.get(3)?,
                    offset: r.get::<_, i64>(4)? as u64,
                    item: r.get(5)?,
                },
            })
        })
        .optional()
    })
    .map_err(LedgerError::sql(what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::catalogue::explain_message_result;
    use crate::engine::ledger::runs::create_run;
    use crate::engine::ledger::targets::ensure_target;
    use crate::engine::ledger::testing::temp_ledger;
    use crate::engine::target::Target;
    use crate::engine::testing::meta;

    #[tokio::test]
    async fn marks_move_a_message_through_its_states() {
        let (ledger, _dir) = temp_ledger();
        let stored = ledger
            .call(|c| {
                let run = create_run(c, "/s", "{}", &[])?.id;
                let t = ensure_target(c, run, &Target::new("g", None), 4, 1)?;
                let failure = Failure::from_explanation(explain_message_result(80002), "");
                // Message 1: sent twice, unknown, then done.
                c.execute("INSERT INTO requests (id, target_id, batch, attempt, messages, body, state, sent_at) VALUES (7, ?1, 0, 1, 1, x'00', 'in_flight', 0)", [t]).unwrap();
                mark(c, t, &meta("g.jsonl", 1), &Mark::InFlight { request: 7 })?;
                mark(c, t, &meta("g.jsonl", 1), &Mark::Unknown)?;
                mark(c, t, &meta("g.jsonl", 1), &Mark::InFlight { request: 7 })?;
                mark(c, t, &meta("g.jsonl", 1), &Mark::Done { msg_seq: 9, msg_time: 101 })?;
                // Message 2: failed, then skipped.
                mark(c, t, &meta("g.jsonl", 2), &Mark::Failed { failure: failure.clone(), body: "{\"m\":2}".into() })?;
                // Message 3: invalid twice (the second keeps the first), message 4 edited.
                mark(c, t, &meta("g.jsonl", 3), &Mark::Invalid { problem: "no SendTime".into(), raw: "{bad".into() })?;
                mark(c, t, &meta("g.jsonl", 3), &Mark::Invalid { problem: "other".into(), raw: "x".into() })?;
                mark(c, t, &meta("g.jsonl", 4), &Mark::Edited { body: "{\"m\":4}".into() })?;
                assert_eq!(newest_done(c, t)?.map(|n| (n.send_time, n.msg_seq)), Some((101, 9)));
                let two = load(c, t)?;
                mark(c, t, &meta("g.jsonl", 2), &Mark::Skipped { reason: "spam".into() })?;
                let some = load_these(c, t, &[meta("g.jsonl", 2).source, meta("g.jsonl", 9).source])?;
                assert_eq!(some.len(), 1, "only the recorded one");
                assert_eq!(some[0].state, StoredState::Skipped);
                Ok((two, load(c, t)?))
            })
            .await
            .unwrap();
        let (before, after) = stored;
        let by_line =
            |v: &[StoredMessage], line| v.iter().find(|m| m.source.line == line).cloned().unwrap();
        let one = by_line(&after, 1);
        assert_eq!(
            (one.state, one.msg_seq, one.msg_time, one.attempts),
            (StoredState::Done, Some(9), Some(101), 2)
        );
        let failed = by_line(&before, 2);
        assert_eq!(failed.state, StoredState::Failed);
        let f = failed.failure.unwrap();
        assert_eq!(
            (f.code, f.meaning.as_str()),
            (Some(80002), explain_message_result(80002).meaning)
        );
        assert_eq!(failed.body.as_deref(), Some("{\"m\":2}"));
        let skipped = by_line(&after, 2);
        assert_eq!(
            (skipped.state, skipped.detail.as_deref(), skipped.failure),
            (StoredState::Skipped, Some("spam"), None)
        );
        let invalid = by_line(&after, 3);
        assert_eq!(
            (
                invalid.state,
                invalid.detail.as_deref(),
                invalid.body.as_deref()
            ),
            (StoredState::Invalid, Some("no SendTime"), Some("{bad"))
        );
        let edited = by_line(&after, 4);
        assert_eq!(
            (edited.state, edited.edited, edited.body.as_deref()),
            (StoredState::Pending, true, Some("{\"m\":4}"))
        );
        for s in [
            "pending",
            "in_flight",
            "unknown",
            "done",
            "failed",
            "skipped",
            "invalid",
        ] {
            assert_eq!(StoredState::from_word(s).unwrap().word(), s);
        }
    }
}
