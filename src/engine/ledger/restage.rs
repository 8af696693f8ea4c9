//! Resuming a run after its staged files changed: the rows of messages in the changed (and
//! removed) files are tied to the places those messages have now.
//!
//! A message keeps its identity by its place: file, line and index within the line (a fix made
//! in place keeps every other message's line, and the planner derives a staged-without-`Random`
//! message's `Random` from that place). Its byte offset may move (a fixed line is longer or
//! shorter), so each row is re-keyed to the offset the message at its place has now. A row whose
//! place no longer holds a message: refused when the message landed, was skipped or may have
//! landed (the run cannot go on without mixing two histories); forgotten when it was never sent.
//! Whether the message now at a place is the same one is checked by fingerprint as lanes read
//! their parts (`engine::lane::changes`).
//!
//! The current places are streamed into a temporary table, so memory holds none of them.

use rusqlite::{Connection, params};

use super::runs::{FileRecord, insert_files};
use super::{LedgerError, now_ms};

/// A staged message's place now, in a changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Its group.
    pub group: String,
    /// Its topic (empty for none).
    pub topic: String,
    /// Its file, relative to the staging root.
    pub file: String,
    /// Its line.
    pub line: u32,
    /// Its index within the line's request body or the file's array.
    pub item: u32,
    /// Its byte offset now.
    pub offset: u64,
}

/// A settled message whose place holds no message any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gone {
    /// Its file.
    pub file: String,
    /// Its line.
    pub line: u32,
    /// Its recorded state (`done`, `skipped`, `in_flight`, `unknown`).
    pub state: String,
}

impl std::fmt::Display for Gone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let was = match self.state.as_str() {
            "done" => "landed",
            "skipped" => "skipped",
            _ => "sent, may have landed",
        };
        write!(
            f,
            "{}:{} ({was})",
            crate::escape::controls(&self.file),
            self.line
        )
    }
}

/// What re-keying did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restaged {
    /// Done: this many rows of unsent messages were forgotten (their place is gone).
    Done {
        /// Forgotten rows.
        forgotten: u64,
    },
    /// Refused (nothing changed): settled messages whose place is gone, the first few of them,
    /// and how many in all.
    Refused {
        /// The first few, in file and line order.
        gone: Vec<Gone>,
        /// How many.
        total: u64,
    },
}

const SETTLED: &str = "('done', 'skipped', 'in_flight', 'unknown')";

/// Ties the run's rows in `files` (changed or removed) to the places in `places` (every staged
/// message of those files now), and records `current` as the run's file fingerprints. In one
/// transaction: refused, nothing is written.
pub fn restage(
    conn: &mut Connection,
    run_id: i64,
    files: &[String],
    places: impl Iterator<Item = Place>,
    current: &[FileRecord],
) -> Result<Restaged, LedgerError> {
    let what = "the changed staged files";
    let sql = LedgerError::sql(what);
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS restage_files (file TEXT PRIMARY KEY);
         CREATE TEMP TABLE IF NOT EXISTS restage_now
             (group_id TEXT, topic_id TEXT, file TEXT, line INTEGER, item INTEGER, offset INTEGER);
         CREATE TEMP TABLE IF NOT EXISTS restage_map (id INTEGER PRIMARY KEY, new_offset INTEGER);
         DELETE FROM restage_files; DELETE FROM restage_now; DELETE FROM restage_map;",
    )
    .map_err(LedgerError::sql(what))?;
    {
        let mut insert = tx
            .prepare("INSERT OR IGNORE INTO restage_files (file) VALUES (?1)")
            .map_err(LedgerError::sql(what))?;
        for f in files {
            insert.execute([f]).map_err(LedgerError::sql(what))?;
        }
        let mut insert = tx
            .prepare("INSERT INTO restage_now VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .map_err(LedgerError::sql(what))?;
        for p in places {
            insert
                .execute(params![
                    p.group,
                    p.topic,
                    p.file,
                    p.line,
                    p.item,
                    p.offset as i64
                ])
                .map_err(LedgerError::sql(what))?;
        }
    }
    // Each row of the run in those files, with the offset of the one message now at its place
    // (none when the place is empty or, in a minified file, ambiguous).
    tx.execute(
        "INSERT INTO restage_map (id, new_offset)
         SELECT m.id, (SELECT CASE WHEN count(*) = 1 THEN min(n.offset) END FROM restage_now n
                       WHERE n.group_id = t.group_id AND n.topic_id = t.topic_id
                         AND n.file = m.file AND n.line = m.line AND n.item = m.item)
         FROM messages m JOIN targets t ON t.id = m.target_id
         WHERE t.run_id = ?1 AND m.file IN (SELECT file FROM restage_files)",
        [run_id],
    )
    .map_err(LedgerError::sql(what))?;
    let total: u64 = tx
        .query_row(
            &format!(
                "SELECT count(*) FROM restage_map r JOIN messages m ON m.id = r.id
                 WHERE r.new_offset IS NULL AND m.state IN {SETTLED}"
            ),
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(LedgerError::sql(what))? as u64;
    if total > 0 {
        let mut stmt = tx
            .prepare(&format!(
                "SELECT m.file, m.line, m.state FROM restage_map r JOIN messages m ON m.id = r.id
                 WHERE r.new_offset IS NULL AND m.state IN {SETTLED}
                 ORDER BY m.file, m.line, m.item LIMIT 5"
            ))
            .map_err(LedgerError::sql(what))?;
        let gone = stmt
            .query_map([], |r| {
                Ok(Gone {
                    file: r.get(0)?,
                    line: r.get(1)?,
                    state: r.get(2)?,
                })
            })
            .map_err(LedgerError::sql(what))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(LedgerError::sql(what))?;
        return Ok(Restaged::Refused { gone, total });
    }
    tx.execute_batch(
        "UPDATE decisions SET message_id = NULL
             WHERE message_id IN (SELECT id FROM restage_map WHERE new_offset IS NULL);
         DELETE FROM messages WHERE id IN (SELECT id FROM restage_map WHERE new_offset IS NULL);",
    )
    .map_err(LedgerError::sql(what))?;
    let forgotten = tx.changes();
    // Two steps, so that no row takes an offset another still holds.
    tx.execute_batch(
        "UPDATE messages SET offset = -1 - offset WHERE id IN
             (SELECT r.id FROM restage_map r JOIN messages m ON m.id = r.id
              WHERE r.new_offset <> m.offset);
         UPDATE messages SET offset = (SELECT new_offset FROM restage_map r WHERE r.id = messages.id)
             WHERE offset < 0 AND id IN (SELECT id FROM restage_map);
         DELETE FROM restage_files; DELETE FROM restage_now; DELETE FROM restage_map;",
    )
    .map_err(LedgerError::sql(what))?;
    tx.execute("DELETE FROM files WHERE run_id = ?1", [run_id])
        .map_err(LedgerError::sql(what))?;
    insert_files(&tx, run_id, current)?;
    tx.execute(
        "UPDATE runs SET resumed_at = ?2 WHERE id = ?1",
        params![run_id, now_ms()],
    )
    .map_err(sql)?;
    tx.commit().map_err(LedgerError::sql(what))?;
    Ok(Restaged::Done { forgotten })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ledger::messages::{Mark, load, mark};
    use crate::engine::ledger::runs::{create_run, files_of};
    use crate::engine::ledger::targets::ensure_target;
    use crate::engine::ledger::testing::temp_ledger;
    use crate::engine::target::Target;
    use crate::engine::testing::meta;

    fn place(line: u32, offset: u64) -> Place {
        Place {
            group: "g".into(),
            topic: String::new(),
            file: "g.jsonl".into(),
            line,
            item: 0,
            offset,
        }
    }

    fn record(path: &str, hash: &str) -> FileRecord {
        FileRecord {
            path: path.into(),
            size: 1,
            mtime: 0,
            hash: hash.into(),
        }
    }

    #[tokio::test]
    async fn rows_follow_their_lines_unsent_gone_ones_are_forgotten_settled_gone_ones_refuse() {
        let (ledger, _dir) = temp_ledger();
        let (run, t) = ledger
            .call(|c| {
                let run = create_run(c, "/s", "{}", &[record("g.jsonl", "old")])?.id;
                let t = ensure_target(c, run, &Target::new("g", None), 4, 1)?;
                // Lines 1-2 landed, line 3 invalid (a truncated line), line 4 refused.
                mark(
                    c,
                    t,
                    &meta("g.jsonl", 1),
                    &Mark::Done {
                        msg_seq: 1,
                        msg_time: 101,
                    },
                )?;
                mark(
                    c,
                    t,
                    &meta("g.jsonl", 2),
                    &Mark::Done {
                        msg_seq: 2,
                        msg_time: 102,
                    },
                )?;
                mark(
                    c,
                    t,
                    &meta("g.jsonl", 3),
                    &Mark::Invalid {
                        problem: "cut".into(),
                        raw: "{".into(),
                    },
                )?;
                mark(
                    c,
                    t,
                    &meta("g.jsonl", 4),
                    &Mark::Skipped {
                        reason: "no".into(),
                    },
                )?;
                Ok((run, t))
            })
            .await
            .unwrap();
        // Line 3 fixed (longer): line 4 moves from offset 400 to 450; line 4 skipped must stay.
        let refused = ledger
            .call(move |c| {
                restage(
                    c,
                    run,
                    &["g.jsonl".into()],
                    [place(1, 100), place(2, 200), place(3, 300)].into_iter(),
                    &[record("g.jsonl", "new")],
                )
            })
            .await
            .unwrap();
        let Restaged::Refused { gone, total } = refused else {
            panic!("{refused:?}");
        };
        assert_eq!(total, 1);
        assert_eq!(gone[0].to_string(), "g.jsonl:4 (skipped)");
        let files = ledger.call(move |c| files_of(c, run)).await.unwrap();
        assert_eq!(files[0].hash, "old", "a refusal writes nothing");

        let done = ledger
            .call(move |c| {
                restage(
                    c,
                    run,
                    &["g.jsonl".into()],
                    [place(1, 100), place(2, 200), place(4, 450)].into_iter(),
                    &[record("g.jsonl", "new")],
                )
            })
            .await
            .unwrap();
        assert_eq!(
            done,
            Restaged::Done { forgotten: 1 },
            "line 3 was never sent"
        );
        let rows = ledger.call(move |c| load(c, t)).await.unwrap();
        let mut places: Vec<(u32, u64)> = rows
            .iter()
            .map(|r| (r.source.line, r.source.offset))
            .collect();
        places.sort_unstable();
        assert_eq!(places, [(1, 100), (2, 200), (4, 450)]);
        let files = ledger.call(move |c| files_of(c, run)).await.unwrap();
        assert_eq!(files[0].hash, "new");
    }
}
