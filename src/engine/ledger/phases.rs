//! The migration's steps around the messages: accounts, groups, members and unread counts.
//!
//! Every item a run will handle (an account, a group, a member, a member's unread count) is
//! registered `pending` when the run starts, so reports know the totals. A call is recorded with
//! its exact bytes (`phase_calls`, `in_flight`) and its items marked `in_flight`, in one
//! transaction, before it is sent; its answer and its items' fates are committed in one
//! transaction. Items left `in_flight` or `unknown` by a killed process are settled by reading
//! the service back before anything is sent again.
//!
//! Item states: `pending` (nothing sent yet, or sent and shown not to have landed), `in_flight`
//! (in a call that may have been sent), `unknown` (its call got no usable answer), `done` (the
//! run made it so), `existed` (it was there already), `failed` (refused; with the code and
//! words), `skipped` (nothing to send, with why).

use rusqlite::{Connection, OptionalExtension, params};

use super::{LedgerError, now_ms};
use crate::engine::events::{PhaseCounts, Step};

/// A call's states (those of `requests`).
pub use super::requests::state as call_state;

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemState {
    /// Nothing sent yet (or sent and shown not to have landed).
    Pending,
    /// In a call that may have been sent.
    InFlight,
    /// Its call got no usable answer.
    Unknown,
    /// The run made it so.
    Done,
    /// It was there already.
    Existed,
    /// Refused.
    Failed,
    /// Nothing to send.
    Skipped,
}

impl ItemState {
    /// Every state.
    pub const ALL: [ItemState; 7] = [
        ItemState::Pending,
        ItemState::InFlight,
        ItemState::Unknown,
        ItemState::Done,
        ItemState::Existed,
        ItemState::Failed,
        ItemState::Skipped,
    ];

    /// The ledger's word.
    pub fn word(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::InFlight => "in_flight",
            ItemState::Unknown => "unknown",
            ItemState::Done => "done",
            ItemState::Existed => "existed",
            ItemState::Failed => "failed",
            ItemState::Skipped => "skipped",
        }
    }

    /// The state a word names.
    pub fn from_word(word: &str) -> Option<ItemState> {
        ItemState::ALL.into_iter().find(|s| s.word() == word)
    }

    /// True when nothing more is to be sent for it (done, existed, failed or skipped).
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            ItemState::Done | ItemState::Existed | ItemState::Failed | ItemState::Skipped
        )
    }

    /// True when a call may have carried it and nobody knows whether it landed.
    pub fn is_open(self) -> bool {
        matches!(self, ItemState::InFlight | ItemState::Unknown)
    }
}

/// An item as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    /// Its group (empty for accounts).
    pub group_id: String,
    /// The account, group or member.
    pub item: String,
    /// Where it stands.
    pub state: ItemState,
    /// The service's code, for a refusal.
    pub code: Option<i64>,
    /// The words: what went wrong, or why it was skipped.
    pub detail: Option<String>,
}

/// What becomes of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemMark {
    /// The account, group or member.
    pub item: String,
    /// Its new state.
    pub state: ItemState,
    /// The service's code, for a refusal.
    pub code: Option<i64>,
    /// The words.
    pub detail: Option<String>,
}

impl ItemMark {
    /// `item` in `state`, without words.
    pub fn new(item: impl Into<String>, state: ItemState) -> ItemMark {
        ItemMark {
            item: item.into(),
            state,
            code: None,
            detail: None,
        }
    }

    /// `item` in `state` with a code and words.
    pub fn with(
        item: impl Into<String>,
        state: ItemState,
        code: Option<i64>,
        detail: impl Into<String>,
    ) -> ItemMark {
        ItemMark {
            item: item.into(),
            state,
            code,
            detail: Some(detail.into()),
        }
    }
}

/// Registers items as `pending` (those already recorded keep their state), in one transaction.
pub fn register(
    conn: &mut Connection,
    run_id: i64,
    step: Step,
    items: &[(String, String)],
) -> Result<(), LedgerError> {
    let what = "the migration's items";
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO phase_items (run_id, step, group_id, item, state, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
            )
            .map_err(LedgerError::sql(what))?;
        let now = now_ms();
        for (group, item) in items {
            stmt.execute(params![run_id, step.word(), group, item, now])
                .map_err(LedgerError::sql(what))?;
        }
    }
    tx.commit().map_err(LedgerError::sql(what))
}

/// Forgets the items of `step` that were never applied (`pending`, `failed`) and are no longer
/// in `staged`: the staged files changed since they were registered. `groups` limits it to
/// those groups' items (a run narrowed to some groups leaves the others alone); `None`: all.
/// Items that may have landed (`in_flight`, `unknown`) or settled are kept. Returns how many.
pub fn forget_unstaged(
    conn: &mut Connection,
    run_id: i64,
    step: Step,
    groups: Option<&[String]>,
    staged: &[(String, String)],
) -> Result<u64, LedgerError> {
    let what = "the migration's items";
    let staged: std::collections::HashSet<(&str, &str)> = staged
        .iter()
        .map(|(g, i)| (g.as_str(), i.as_str()))
        .collect();
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    let mut forgotten = 0;
    {
        let mut stmt = tx
            .prepare_cached(
                "SELECT id, group_id, item FROM phase_items
                 WHERE run_id = ?1 AND step = ?2 AND state IN (?3, ?4)",
            )
            .map_err(LedgerError::sql(what))?;
        let rows: Vec<(i64, String, String)> = stmt
            .query_map(
                params![
                    run_id,
                    step.word(),
                    ItemState::Pending.word(),
                    ItemState::Failed.word()
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .and_then(Iterator::collect)
            .map_err(LedgerError::sql(what))?;
        let mut delete = tx
            .prepare_cached("DELETE FROM phase_items WHERE id = ?1")
            .map_err(LedgerError::sql(what))?;
        for (id, group, item) in rows {
            let in_scope = groups.is_none_or(|gs| gs.contains(&group));
            if in_scope && !staged.contains(&(group.as_str(), item.as_str())) {
                delete.execute([id]).map_err(LedgerError::sql(what))?;
                forgotten += 1;
            }
        }
    }
    tx.commit().map_err(LedgerError::sql(what))?;
    Ok(forgotten)
}

/// The items of a step (of one group, when given), in no particular order.
pub fn items(
    conn: &Connection,
    run_id: i64,
    step: Step,
    group: Option<&str>,
) -> Result<Vec<ItemRecord>, LedgerError> {
    let what = "the migration's items";
    let mut stmt = conn
        .prepare_cached(
            "SELECT group_id, item, state, code, detail FROM phase_items
             WHERE run_id = ?1 AND step = ?2 AND (?3 IS NULL OR group_id = ?3)",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map(params![run_id, step.word(), group], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .map_err(LedgerError::sql(what))?;
    let mut out = Vec::new();
    for row in rows {
        let (group_id, item, state, code, detail) = row.map_err(LedgerError::sql(what))?;
        let state = ItemState::from_word(&state)
            .ok_or_else(|| LedgerError::Corrupt(format!("item state {state:?}")))?;
        out.push(ItemRecord {
            group_id,
            item,
            state,
            code,
            detail,
        });
    }
    Ok(out)
}

fn upsert(
    tx: &rusqlite::Transaction<'_>,
    run_id: i64,
    step: Step,
    group: &str,
    mark: &ItemMark,
    call: Option<i64>,
    attempt: bool,
) -> Result<(), LedgerError> {
    tx.prepare_cached(
        "INSERT INTO phase_items (run_id, step, group_id, item, state, code, detail, call_id, attempts, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (run_id, step, group_id, item) DO UPDATE SET
             state = excluded.state, code = excluded.code, detail = excluded.detail,
             call_id = coalesce(excluded.call_id, call_id),
             attempts = attempts + excluded.attempts, updated_at = excluded.updated_at",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            run_id,
            step.word(),
            group,
            mark.item,
            mark.state.word(),
            mark.code,
            mark.detail,
            call,
            i64::from(attempt),
            now_ms()
        ])
    })
    .map(|_| ())
    .map_err(LedgerError::sql("a migration item"))
}

/// Records a call in flight with its exact bytes and marks its items in flight, in one
/// transaction, before it is sent; returns the call's id.
pub fn begin_call(
    conn: &mut Connection,
    run_id: i64,
    step: Step,
    group: &str,
    command: &str,
    body: &[u8],
    items: &[String],
) -> Result<i64, LedgerError> {
    let what = "a migration call in flight";
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    tx.execute(
        "INSERT INTO phase_calls (run_id, step, group_id, command, items, body, state, sent_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            run_id,
            step.word(),
            group,
            command,
            items.len() as i64,
            body,
            call_state::IN_FLIGHT,
            now_ms()
        ],
    )
    .map_err(LedgerError::sql(what))?;
    let id = tx.last_insert_rowid();
    for item in items {
        upsert(
            &tx,
            run_id,
            step,
            group,
            &ItemMark::new(item.clone(), ItemState::InFlight),
            Some(id),
            true,
        )?;
    }
    tx.commit().map_err(LedgerError::sql(what))?;
    Ok(id)
}

/// Records a call's fate (`state`, and `error` when given) and its items' marks, in one
/// transaction.
pub fn finish_call(
    conn: &mut Connection,
    call: i64,
    state: &str,
    error: Option<&str>,
    marks: &[ItemMark],
) -> Result<(), LedgerError> {
    let what = "a migration call's outcome";
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    let (run_id, step, group): (i64, String, String) = tx
        .query_row(
            "SELECT run_id, step, group_id FROM phase_calls WHERE id = ?1",
            [call],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(LedgerError::sql(what))?;
    let step = Step::from_word(&step)
        .ok_or_else(|| LedgerError::Corrupt(format!("migration step {step:?}")))?;
    tx.execute(
        "UPDATE phase_calls SET state = ?2, error = coalesce(?3, error), answered_at = ?4
         WHERE id = ?1",
        params![call, state, error, now_ms()],
    )
    .map_err(LedgerError::sql(what))?;
    for mark in marks {
        upsert(&tx, run_id, step, &group, mark, None, false)?;
    }
    tx.commit().map_err(LedgerError::sql(what))
}

/// Marks items without a call (what a read-back or a decision settled), in one transaction;
/// the calls of this step and group left in flight or unknown become `settled` when
/// `settle_calls` is set.
pub fn mark(
    conn: &mut Connection,
    run_id: i64,
    step: Step,
    group: &str,
    marks: &[ItemMark],
    settle_calls: bool,
) -> Result<(), LedgerError> {
    let what = "migration items";
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    for mark in marks {
        upsert(&tx, run_id, step, group, mark, None, false)?;
    }
    if settle_calls {
        tx.execute(
            "UPDATE phase_calls SET state = ?4, answered_at = coalesce(answered_at, ?5)
             WHERE run_id = ?1 AND step = ?2 AND group_id = ?3 AND state IN (?6, ?7)",
            params![
                run_id,
                step.word(),
                group,
                call_state::SETTLED,
                now_ms(),
                call_state::IN_FLIGHT,
                call_state::UNKNOWN
            ],
        )
        .map_err(LedgerError::sql(what))?;
    }
    tx.commit().map_err(LedgerError::sql(what))
}

/// True when the ledger has the migration's tables (a ledger written before schema 3, opened
/// only for reading, does not).
pub fn has_tables(conn: &Connection) -> Result<bool, LedgerError> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'phase_items'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(LedgerError::sql("the ledger's tables"))
}

/// The items of a run that failed, in the order of the steps, then group and item.
pub fn failed(conn: &Connection, run_id: i64) -> Result<Vec<(Step, ItemRecord)>, LedgerError> {
    let mut out = Vec::new();
    for step in Step::ALL {
        let mut items: Vec<ItemRecord> = items(conn, run_id, step, None)?
            .into_iter()
            .filter(|i| i.state == ItemState::Failed)
            .collect();
        items.sort_by(|a, b| (&a.group_id, &a.item).cmp(&(&b.group_id, &b.item)));
        out.extend(items.into_iter().map(|i| (step, i)));
    }
    Ok(out)
}

/// Items of a run per step and state (`total` is what was registered).
pub fn counts(conn: &Connection, run_id: i64) -> Result<Vec<(Step, PhaseCounts)>, LedgerError> {
    let what = "migration counts";
    let mut stmt = conn
        .prepare_cached(
            "SELECT step, state, count(*) FROM phase_items WHERE run_id = ?1 GROUP BY step, state",
        )
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([run_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(LedgerError::sql(what))?;
    let mut out: Vec<(Step, PhaseCounts)> = Step::ALL
        .into_iter()
        .map(|s| (s, PhaseCounts::default()))
        .collect();
    for row in rows {
        let (step, state, n) = row.map_err(LedgerError::sql(what))?;
        let (Some(step), Some(state)) = (Step::from_word(&step), ItemState::from_word(&state))
        else {
            return Err(LedgerError::Corrupt(format!(
                "migration item {step:?} {state:?}"
            )));
        };
        if let Some((_, c)) = out.iter_mut().find(|(s, _)| *s == step) {
            c.add(state, n as u64);
        }
    }
    out.retain(|(_, c)| c.total > 0);
    Ok(out)
}

/// When the group's members and unread counts were last settled (unix ms), if ever.
pub fn members_settled_at(
    conn: &Connection,
    run_id: i64,
    group: &str,
) -> Result<Option<i64>, LedgerError> {
    conn.query_row(
        "SELECT max(updated_at) FROM phase_items
         WHERE run_id = ?1 AND group_id = ?2 AND step = 'unread' AND state = 'done'",
        params![run_id, group],
        |r| r.get::<_, Option<i64>>(0),
    )
    .optional()
    .map(Option::flatten)
    .map_err(LedgerError::sql("when unread counts were set"))
}

/// Messages of the group's targets that landed (were recorded done) after `after` (unix ms):
/// an import after unread counts were set has reset them.
pub fn messages_landed_after(
    conn: &Connection,
    run_id: i64,
    group: &str,
    after: i64,
) -> Result<u64, LedgerError> {
    conn.query_row(
        "SELECT count(*) FROM messages m JOIN targets t ON m.target_id = t.id
         WHERE t.run_id = ?1 AND t.group_id = ?2 AND m.state = 'done' AND m.updated_at > ?3",
        params![run_id, group, after],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as u64)
    .map_err(LedgerError::sql("messages landed after the unread counts"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ledger::runs;
    use crate::engine::ledger::testing::temp_ledger;

    #[tokio::test]
    async fn items_are_registered_once_sent_in_calls_and_counted() {
        let (ledger, _dir) = temp_ledger();
        let counted = ledger
            .call(|c| {
                let run = runs::create_run(c, "/s", "{}", &[])?;
                let r = run.id;
                let accounts = |ids: &[&str]| {
                    ids.iter()
                        .map(|i| (String::new(), i.to_string()))
                        .collect::<Vec<_>>()
                };
                register(c, r, Step::Accounts, &accounts(&["a", "b", "c"]))?;
                let call = begin_call(
                    c,
                    r,
                    Step::Accounts,
                    "",
                    "multiaccount_import",
                    b"{}",
                    &["a".into(), "b".into()],
                )?;
                register(c, r, Step::Accounts, &accounts(&["a", "d"]))?;
                let mid = items(c, r, Step::Accounts, None)?;
                let state_of = |id: &str| mid.iter().find(|i| i.item == id).unwrap().state;
                assert_eq!(
                    state_of("a"),
                    ItemState::InFlight,
                    "registering keeps states"
                );
                assert_eq!(state_of("d"), ItemState::Pending);
                finish_call(
                    c,
                    call,
                    call_state::DONE,
                    None,
                    &[
                        ItemMark::new("a", ItemState::Done),
                        ItemMark::with("b", ItemState::Failed, None, "in FailAccounts"),
                    ],
                )?;
                mark(
                    c,
                    r,
                    Step::Accounts,
                    "",
                    &[ItemMark::new("c", ItemState::Existed)],
                    true,
                )?;
                counts(c, r)
            })
            .await
            .unwrap();
        assert_eq!(counted.len(), 1);
        let (step, c) = counted[0];
        assert_eq!(step, Step::Accounts);
        assert_eq!(
            (c.total, c.done, c.existed, c.failed, c.pending()),
            (4, 1, 1, 1, 1)
        );
    }

    #[tokio::test]
    async fn items_no_longer_staged_are_forgotten_only_when_never_applied_and_in_scope() {
        let (ledger, _dir) = temp_ledger();
        let left = ledger
            .call(|c| {
                let r = runs::create_run(c, "/s", "{}", &[])?.id;
                let m = |g: &str, i: &str| (g.to_owned(), i.to_owned());
                let all = [
                    m("g", "pending"),
                    m("g", "failed"),
                    m("g", "unknown"),
                    m("g", "done"),
                    m("g", "kept"),
                    m("h", "other"),
                ];
                register(c, r, Step::Members, &all)?;
                let marks = [
                    ItemMark::with("failed", ItemState::Failed, Some(10019), "no account"),
                    ItemMark::new("unknown", ItemState::Unknown),
                    ItemMark::new("done", ItemState::Done),
                ];
                mark(c, r, Step::Members, "g", &marks, false)?;
                // Group g's staging now holds only "kept"; the run is narrowed to g.
                let n = forget_unstaged(
                    c,
                    r,
                    Step::Members,
                    Some(&["g".to_owned()]),
                    &[m("g", "kept")],
                )?;
                assert_eq!(n, 2, "pending and failed");
                let mut left: Vec<String> = items(c, r, Step::Members, None)?
                    .into_iter()
                    .map(|i| i.item)
                    .collect();
                left.sort();
                Ok(left)
            })
            .await
            .unwrap();
        assert_eq!(left, ["done", "kept", "other", "unknown"]);
    }
}
