//! Runs and the fingerprints of their staged files.
//!
//! A run belongs to one staging root. Running the same staging again continues its latest run
//! (unless the operator asks for a new one); the files are compared with the fingerprints taken
//! when the run began, so a file that changed in between is reported instead of silently mixing
//! two versions of a group's history.

use std::fmt;

use crate::escape;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{LedgerError, now_ms};
use crate::exit::Exit;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// An invocation is working on it (or was killed while it did).
    Running,
    /// Every message is done.
    Done,
    /// It ended with messages failed, skipped, invalid or not yet sent.
    Incomplete,
    /// An unrecoverable service or connection error stopped it.
    Stopped,
    /// The operator interrupted it.
    Interrupted,
}

impl RunStatus {
    /// The ledger's word.
    pub fn word(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Incomplete => "incomplete",
            RunStatus::Stopped => "stopped",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

impl RunStatus {
    /// The exit code an invocation that ends in this status exits with: the one place a run's
    /// end becomes a number. (`Running` is never an end: a run recorded as running was killed.)
    pub fn exit(self) -> Exit {
        match self {
            RunStatus::Done => Exit::Done,
            RunStatus::Incomplete => Exit::Failed,
            RunStatus::Running | RunStatus::Stopped => Exit::Stopped,
            RunStatus::Interrupted => Exit::Interrupted,
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// A run as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Its id.
    pub id: i64,
    /// The staging root it imports (canonical path).
    pub staging_root: String,
    /// Its options as JSON.
    pub options: String,
    /// Unix ms.
    pub started_at: i64,
    /// Unix ms of the latest resume.
    pub resumed_at: Option<i64>,
    /// Unix ms.
    pub finished_at: Option<i64>,
    /// The status word.
    pub status: String,
    /// The exit code of the latest invocation that finished.
    pub exit_code: Option<i64>,
}

/// A staged file's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// Relative to the staging root.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Unix seconds.
    pub mtime: i64,
    /// Hex content hash.
    pub hash: String,
}

/// How the staged files differ from those a run began with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// Same path, other content.
    Changed(String),
    /// New since the run began.
    Added(String),
    /// Gone since the run began.
    Removed(String),
}

impl fmt::Display for FileChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileChange::Changed(p) => write!(f, "{} changed", escape::controls(p)),
            FileChange::Added(p) => write!(f, "{} is new", escape::controls(p)),
            FileChange::Removed(p) => write!(f, "{} is gone", escape::controls(p)),
        }
    }
}

/// Every difference between the recorded and the current fingerprints (content: size and hash;
/// a new modification time alone is not a change).
pub fn compare_files(recorded: &[FileRecord], current: &[FileRecord]) -> Vec<FileChange> {
    let mut changes = Vec::new();
    for old in recorded {
        match current.iter().find(|c| c.path == old.path) {
            None => changes.push(FileChange::Removed(old.path.clone())),
            Some(new) if new.size != old.size || new.hash != old.hash => {
                changes.push(FileChange::Changed(old.path.clone()));
            }
            Some(_) => {}
        }
    }
    for new in current {
        if !recorded.iter().any(|r| r.path == new.path) {
            changes.push(FileChange::Added(new.path.clone()));
        }
    }
    changes
}

const RUN_COLUMNS: &str =
    "id, staging_root, options, started_at, resumed_at, finished_at, status, exit_code";

fn run_from_row(r: &Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: r.get(0)?,
        staging_root: r.get(1)?,
        options: r.get(2)?,
        started_at: r.get(3)?,
        resumed_at: r.get(4)?,
        finished_at: r.get(5)?,
        status: r.get(6)?,
        exit_code: r.get(7)?,
    })
}

/// Starts a run of `staging_root` with these options and file fingerprints.
pub fn create_run(
    conn: &mut Connection,
    staging_root: &str,
    options: &str,
    files: &[FileRecord],
) -> Result<RunRecord, LedgerError> {
    let what = "a new run";
    let tx = conn.transaction().map_err(LedgerError::sql(what))?;
    tx.execute(
        "INSERT INTO runs (staging_root, options, started_at, status) VALUES (?1, ?2, ?3, ?4)",
        params![staging_root, options, now_ms(), RunStatus::Running.word()],
    )
    .map_err(LedgerError::sql(what))?;
    let id = tx.last_insert_rowid();
    insert_files(&tx, id, files)?;
    tx.commit().map_err(LedgerError::sql(what))?;
    run_by_id(conn, id)?.ok_or_else(|| LedgerError::Corrupt(format!("run {id} vanished")))
}

/// Records `files` as the run's file fingerprints.
pub fn insert_files(
    conn: &Connection,
    run_id: i64,
    files: &[FileRecord],
) -> Result<(), LedgerError> {
    let what = "the run's files";
    let mut insert = conn
        .prepare("INSERT INTO files (run_id, path, size, mtime, hash) VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(LedgerError::sql(what))?;
    for f in files {
        insert
            .execute(params![run_id, f.path, f.size as i64, f.mtime, f.hash])
            .map_err(LedgerError::sql(what))?;
    }
    Ok(())
}

/// Marks a run as being worked on again (resumed now).
pub fn resume_run(conn: &Connection, run_id: i64) -> Result<(), LedgerError> {
    conn.execute(
        "UPDATE runs SET status = ?2, resumed_at = ?3, finished_at = NULL WHERE id = ?1",
        params![run_id, RunStatus::Running.word(), now_ms()],
    )
    .map_err(LedgerError::sql("a resumed run"))?;
    Ok(())
}

/// Records how an invocation of the run ended (its status and the exit code that status means).
pub fn finish_run(conn: &Connection, run_id: i64, status: RunStatus) -> Result<(), LedgerError> {
    conn.execute(
        "UPDATE runs SET status = ?2, exit_code = ?3, finished_at = ?4 WHERE id = ?1",
        params![
            run_id,
            status.word(),
            i64::from(status.exit().code()),
            now_ms()
        ],
    )
    .map_err(LedgerError::sql("the end of a run"))?;
    Ok(())
}

/// A run by id.
pub fn run_by_id(conn: &Connection, id: i64) -> Result<Option<RunRecord>, LedgerError> {
    conn.query_row(
        &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
        [id],
        run_from_row,
    )
    .optional()
    .map_err(LedgerError::sql("a run lookup"))
}

/// The latest run of `staging_root`.
pub fn latest_run_for(
    conn: &Connection,
    staging_root: &str,
) -> Result<Option<RunRecord>, LedgerError> {
    conn.query_row(
        &format!("SELECT {RUN_COLUMNS} FROM runs WHERE staging_root = ?1 ORDER BY id DESC LIMIT 1"),
        [staging_root],
        run_from_row,
    )
    .optional()
    .map_err(LedgerError::sql("a run lookup"))
}

/// Every run, oldest first.
pub fn all_runs(conn: &Connection) -> Result<Vec<RunRecord>, LedgerError> {
    let what = "the runs";
    let mut stmt = conn
        .prepare(&format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id"))
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([], run_from_row)
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}

/// The latest run of any staging.
pub fn latest_run(conn: &Connection) -> Result<Option<RunRecord>, LedgerError> {
    conn.query_row(
        &format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT 1"),
        [],
        run_from_row,
    )
    .optional()
    .map_err(LedgerError::sql("a run lookup"))
}

/// The fingerprints a run began with.
pub fn files_of(conn: &Connection, run_id: i64) -> Result<Vec<FileRecord>, LedgerError> {
    let what = "the run's files";
    let mut stmt = conn
        .prepare("SELECT path, size, mtime, hash FROM files WHERE run_id = ?1 ORDER BY path")
        .map_err(LedgerError::sql(what))?;
    let rows = stmt
        .query_map([run_id], |r| {
            Ok(FileRecord {
                path: r.get(0)?,
                size: r.get::<_, i64>(1)? as u64,
                mtime: r.get(2)?,
                hash: r.get(3)?,
            })
        })
        .map_err(LedgerError::sql(what))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(LedgerError::sql(what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ledger::testing::temp_ledger;

    fn file(path: &str, size: u64, hash: &str) -> FileRecord {
        FileRecord {
            path: path.into(),
            size,
            mtime: 5,
            hash: hash.into(),
        }
    }

    #[test]
    fn file_changes_are_listed_by_kind() {
        let old = [
            file("a.jsonl", 10, "aa"),
            file("b.jsonl", 10, "bb"),
            file("c.json", 1, "cc"),
        ];
        let mut touched = file("a.jsonl", 10, "aa");
        touched.mtime = 99;
        let new = [touched, file("b.jsonl", 10, "BB"), file("d.jsonl", 1, "dd")];
        let changes = compare_files(&old, &new);
        assert_eq!(
            changes,
            [
                FileChange::Changed("b.jsonl".into()),
                FileChange::Removed("c.json".into()),
                FileChange::Added("d.jsonl".into()),
            ]
        );
        assert_eq!(changes[0].to_string(), "b.jsonl changed");
        assert!(compare_files(&old, &old).is_empty());
    }

    #[tokio::test]
    async fn runs_are_created_found_resumed_and_finished() {
        let (ledger, _dir) = temp_ledger();
        let files = vec![file("g1.jsonl", 10, "aa")];
        let run = ledger
            .call(move |c| create_run(c, "/stage", "{}", &files))
            .await
            .unwrap();
        assert_eq!((run.status.as_str(), run.finished_at), ("running", None));
        let other = ledger
            .call(|c| create_run(c, "/other", "{}", &[]))
            .await
            .unwrap();
        let found = ledger
            .call(|c| latest_run_for(c, "/stage"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, run.id);
        assert_eq!(
            ledger.call(|c| latest_run(c)).await.unwrap().unwrap().id,
            other.id
        );
        let id = run.id;
        let files = ledger.call(move |c| files_of(c, id)).await.unwrap();
        assert_eq!(files, [file("g1.jsonl", 10, "aa")]);
        ledger
            .call(move |c| finish_run(c, id, RunStatus::Incomplete))
            .await
            .unwrap();
        let done = ledger
            .call(move |c| run_by_id(c, id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (done.status.as_str(), done.exit_code),
            ("incomplete", Some(1))
        );
        assert!(done.finished_at.is_some());
        ledger.call(move |c| resume_run(c, id)).await.unwrap();
        let again = ledger
            .call(move |c| run_by_id(c, id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (again.status.as_str(), again.finished_at),
            ("running", None)
        );
        assert!(again.resumed_at.is_some());
        assert!(
            ledger
                .call(|c| latest_run_for(c, "/none"))
                .await
                .unwrap()
                .is_none()
        );
    }
}
