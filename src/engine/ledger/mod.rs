//! The ledger: a SQLite file that records every run, target, request (the bytes as sent) and
//! message (state, `MsgSeq`, failure, attempts, decisions), so that a run can be resumed without
//! losing or doubling a message and reported on afterwards.
//!
//! One writer: [`Ledger`] owns the connection on a dedicated thread fed by a channel; async code
//! sends it a job and awaits the answer, so a lane never blocks on SQLite. Each job is one
//! transaction: a request is committed as `in_flight` (with its messages) before it is sent, and
//! its answer is committed in one transaction (an answer where every message landed goes in the
//! lane's next job, in the transaction that records its next request: one commit per request,
//! see docs/duration.md). Readers (`timport report`, the console) open their
//! own read-only connection ([`schema::open_for_reading`]); WAL lets them read while a run writes.
//!
//! Owns: the file's schema and every statement. Must not touch: the network or the terminal.
//! Never stores a secret: no column holds credentials, and the request bodies are the planned
//! bytes, which carry none (a test scans the whole file after a run).
//!
//! Files: `schema` (tables, pragmas, durability choice), `runs` (runs and file fingerprints),
//! `targets`, `requests` (the in-flight / answered / unknown life of a request), `messages`
//! (per-message states and what resume restores), `decisions`, `read` (the queries of reports),
//! `restage` (tying rows to their messages' places after the staged files changed), `lock` (one
//! writer per ledger: an `flock` on `<ledger>.lock`), `verify` (verifications: progress per
//! target, counts, findings), `signoff` (the queries of a sign-off report).

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

pub mod decisions;
pub mod lock;
pub mod messages;
pub mod phases;
pub mod read;
pub mod requests;
pub mod restage;
pub mod runs;
pub mod schema;
pub mod signoff;
pub mod targets;
pub mod verify;

pub use messages::{StoredMessage, StoredState};
pub use runs::{FileRecord, RunRecord, RunStatus};

/// Why the ledger could not do something. Never carries message bodies or secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The file could not be opened or set up.
    #[error("cannot open the ledger {}: {detail}", crate::escape::path(.path))]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// A statement failed.
    #[error("the ledger could not record {what}: {detail}")]
    Sql {
        /// What was being done.
        what: &'static str,
        /// SQLite's words.
        detail: String,
    },
    /// The writer thread is gone (the ledger was closed).
    #[error("the ledger writer has stopped")]
    Closed,
    /// Something in the file is not what this code wrote.
    #[error("the ledger holds something unexpected: {0}")]
    Corrupt(String),
}

impl LedgerError {
    fn open(path: &Path, e: rusqlite::Error) -> LedgerError {
        LedgerError::Open {
            path: path.to_owned(),
            detail: e.to_string(),
        }
    }

    /// A statement error while doing `what`.
    pub fn sql(what: &'static str) -> impl FnOnce(rusqlite::Error) -> LedgerError {
        move |e| LedgerError::Sql {
            what,
            detail: e.to_string(),
        }
    }
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The handle to the ledger's writer thread. Cheap to clone; the thread ends (closing the file)
/// when the last clone is dropped, after the jobs already sent.
#[derive(Clone, Debug)]
pub struct Ledger {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
}

impl Ledger {
    /// Opens (or creates) the ledger at `path` and starts its writer thread. Blocking (it opens
    /// the file): from async code, call it inside `spawn_blocking`.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let mut conn = schema::open_for_writing(path)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("timport-ledger".into())
            .spawn(move || {
                for job in rx {
                    job(&mut conn);
                }
            })
            .map_err(|e| LedgerError::Open {
                path: path.to_owned(),
                detail: format!("cannot start the writer thread: {e}"),
            })?;
        Ok(Ledger {
            jobs,
            path: path.to_owned(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the writer thread and waits (asynchronously) for its result.
    pub async fn call<R, F>(&self, f: F) -> Result<R, LedgerError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, LedgerError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |conn| {
                // The caller may have stopped waiting; the work is done (and committed) anyway.
                let _ = tx.send(f(conn));
            }))
            .map_err(|_| LedgerError::Closed)?;
        rx.await.map_err(|_| LedgerError::Closed)?
    }

    /// Runs `f` on the writer thread and waits for its result, blocking the calling thread (for
    /// code that is not async, such as command setup).
    pub fn call_blocking<R, F>(&self, f: F) -> Result<R, LedgerError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, LedgerError> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .send(Box::new(move |conn| {
                let _ = tx.send(f(conn));
            }))
            .map_err(|_| LedgerError::Closed)?;
        rx.recv().map_err(|_| LedgerError::Closed)?
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A message's place read from a row whose columns `at..at + 4` are `file, line, offset, item`;
/// `None` when `file` is NULL (a row tied to no message).
pub(crate) fn source_at(
    r: &rusqlite::Row<'_>,
    at: usize,
) -> rusqlite::Result<Option<crate::engine::events::SourceRef>> {
    let Some(file) = r.get::<_, Option<String>>(at)? else {
        return Ok(None);
    };
    Ok(Some(crate::engine::events::SourceRef {
        file: file.into(),
        line: r.get(at + 1)?,
        offset: r.get::<_, i64>(at + 2)? as u64,
        item: r.get(at + 3)?,
    }))
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A ledger in a fresh temporary directory (kept alive by the returned guard).
    pub fn temp_ledger() -> (Ledger, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap();
        (ledger, dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_the_writer_in_order_and_answer() {
        let (ledger, _dir) = testing::temp_ledger();
        let mode: String = ledger
            .call(|c| {
                c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                    .map_err(LedgerError::sql("a test"))
            })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = ledger
            .call_blocking(|c| {
                c.query_row("PRAGMA synchronous", [], |r| r.get(0))
                    .map_err(LedgerError::sql("a test"))
            })
            .unwrap();
        assert_eq!(sync, 1, "NORMAL");
        let err = ledger
            .call(|c| {
                c.execute("INSERT INTO nowhere VALUES (1)", [])
                    .map_err(LedgerError::sql("a row"))
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("could not record a row"), "{err}");
    }

    #[test]
    fn an_older_ledger_gets_the_columns_added_since_and_keeps_its_rows() {
        // The messages table as versions 1 and 2 wrote it (2 added fingerprint), with a row.
        for (version, fingerprint) in [(1, ""), (2, "fingerprint INTEGER,")] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("old.sqlite3");
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&format!(
                "CREATE TABLE messages (
                    id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL, file TEXT NOT NULL,
                    line INTEGER NOT NULL, offset INTEGER NOT NULL, item INTEGER NOT NULL,
                    from_account TEXT, send_time INTEGER, random INTEGER, state TEXT NOT NULL,
                    msg_seq INTEGER, msg_time INTEGER, code INTEGER, meaning TEXT, remedy TEXT,
                    detail TEXT, attempts INTEGER NOT NULL DEFAULT 0, request_id INTEGER,
                    body TEXT, edited INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL,
                    {fingerprint}
                    UNIQUE (target_id, file, offset, item));
                 INSERT INTO messages (target_id, file, line, offset, item, send_time, state, updated_at)
                 VALUES (1, 'g.jsonl', 1, 0, 0, 100, 'done', 0);
                 PRAGMA user_version = {version};"
            ))
            .unwrap();
            drop(conn);
            let conn = schema::open_for_writing(&path).unwrap();
            let row: (i64, Option<i64>, Option<i64>) = conn
                .query_row(
                    "SELECT send_time, fingerprint, sent_time FROM messages",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap();
            assert_eq!(row, (100, None, None), "version {version}");
            let now: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(now, schema::SCHEMA_VERSION);
            drop(conn);
            // Opening it again changes nothing.
            schema::open_for_writing(&path).unwrap();
        }
    }

    #[test]
    fn reading_a_missing_ledger_says_so_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.sqlite3");
        let err = schema::open_for_reading(&path).unwrap_err();
        assert!(err.to_string().contains("no run has used"), "{err}");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = schema::open_for_writing(&path).unwrap_err();
        assert!(err.to_string().contains("newer timport"), "{err}");
    }
}
