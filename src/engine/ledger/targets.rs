//! Targets of a run: their staged counts, their lane state and the last error that stopped them.

use rusqlite::{Connection, params};

use super::{LedgerError, now_ms};
use crate::engine::events::LaneState;
use crate::engine::target::Target;

/// A target as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRecord {
    /// Its id.
    pub id: i64,
    /// The lane.
    pub target: Target,
    /// Staged messages.
    pub messages: u64,
    /// Planned requests.
    pub batches: u64,
    /// Lane state word.
    pub state: String,
    /// Why it stopped or paused.
    pub last_error: Option<String>,
}

/// The id of `target` in run `run_id`, recording it (waiting) if new; its counts are refreshed.
pub fn ensure_target(
    conn: &Connection,
    run_id: i64,
    target: &Target,
    messages: u64,
    batches: u64,
) -> Result<i64, LedgerError> {
    let what = "a target";
    conn.execute(
        "INSERT INTO targets (run_id, group_id, topic_id, messages, batches, state, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (run_id, group_id, topic_id)
         DO UPDATE SET messages = excluded.messages, batches = excluded.batches",
        params![
            run_id,
            target.group(),
            target.topic().unwrap_or(""),
            messages as i64,
            batches as i64,
            LaneState::Waiting.word(),
            now_ms()
        ],
    )
    .map_err(LedgerError::sql(what))?;
    conn.query_row(
        "SELECT id FROM targets WHERE run_id = ?1 AND group_id = ?2 AND topic_id = ?3",
        params![run_id, target.group(), target.topic().unwrap_or("")],
        |r| r.get(0),
    )
    .map_err(LedgerError::sql(what))
}

/// Records a lane's state and, when given, why (a `None` error clears the last one).
pub fn set_state(
    conn: &Connection,
    target_id: i64,
    state: LaneState,
    last_error: Option<&str>,
) -> Result<(), LedgerError> {
    conn.execute(
        "UPDATE targets SET state = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1",
        params![target_id, state.word(), last_error, now_ms()],
    )
    .map_err(LedgerError::sql("a lane state"))?;
    Ok(())
}

/// Every target of a run, in the order they were recorded.
pub fn targets_of(conn: &Connection, run_id: i64) -> Result<Vec<TargetRecord>, LedgerError> {
    let what = "the run's targets";
    let mut stmt = conn
        .prepare(
            "SELECT id, group_id, topic_id, messages, batches, state, last_error
             FROM targets WHERE run_id = ?1 ORDER BY id",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([run_id], |r| {
            let topic: String = r.get(2)?;
            Ok(TargetRecord {
                id: r.get(0)?,
                target: Target::new(
                    &r.get::<_, String>(1)?,
                    Some(topic.as_str()).filter(|t| !t.is_empty()),
                ),
                messages: r.get::<_, i64>(3)? as u64,
                batches: r.get::<_, i64>(4)? as u64,
                state: r.get(5)?,
                last_error: r.get(6)?,
            })
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ledger::runs::create_run;
    use crate::engine::ledger::testing::temp_ledger;

    #[tokio::test]
    async fn targets_are_recorded_once_per_run_with_their_state() {
        let (ledger, _dir) = temp_ledger();
        let (a, b, run) = ledger
            .call(|c| {
                let run = create_run(c, "/s", "{}", &[])?.id;
                let a = ensure_target(c, run, &Target::new("g1", None), 10, 2)?;
                let b = ensure_target(
                    c,
                    run,
                    &Target::new("@TGS#_c", Some("@TGS#_c@TOPIC#_t")),
                    3,
                    1,
                )?;
                let again = ensure_target(c, run, &Target::new("g1", None), 11, 2)?;
                assert_eq!(a, again);
                set_state(c, a, LaneState::Paused, Some("80002 too long"))?;
                Ok((a, b, run))
            })
            .await
            .unwrap();
        let all = ledger.call(move |c| targets_of(c, run)).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].id, a);
        assert_eq!((all[0].messages, all[0].state.as_str()), (11, "paused"));
        assert_eq!(all[0].last_error.as_deref(), Some("80002 too long"));
        assert_eq!(all[1].id, b);
        assert_eq!(all[1].target.topic(), Some("@TGS#_c@TOPIC#_t"));
        assert_eq!(all[1].state, "waiting");
    }
}
