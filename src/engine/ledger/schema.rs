//! The ledger's tables, and opening a ledger file with the pragmas every connection needs.
//!
//! Durability choice: WAL journal with `synchronous = NORMAL`. Every commit survives the process
//! being killed (the WAL is written before the commit returns); a power cut or OS crash can lose
//! the last commits. That is safe here because a resumed run first reads every group with work
//! left back from the service and matches the messages the ledger does not have as done, so a
//! lost commit never leads to a resend of a message that landed. `FULL` would cost an fsync per
//! batch for no gain in correctness.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::LedgerError;

/// The schema version this code writes (`PRAGMA user_version`). 2 added each message's
/// fingerprint; 3 added the migration's tables (`phase_calls`, `phase_items`), which an older
/// ledger gains when opened for writing.
pub const SCHEMA_VERSION: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id           INTEGER PRIMARY KEY,
    staging_root TEXT    NOT NULL,
    options      TEXT    NOT NULL,   -- JSON of the run options and connection (never a secret)
    started_at   INTEGER NOT NULL,   -- unix ms
    resumed_at   INTEGER,            -- unix ms of the latest resume
    finished_at  INTEGER,
    status       TEXT    NOT NULL,   -- running | done | incomplete | stopped | interrupted
    exit_code    INTEGER
);
CREATE TABLE IF NOT EXISTS files (
    run_id  INTEGER NOT NULL REFERENCES runs(id),
    path    TEXT    NOT NULL,        -- relative to the staging root
    size    INTEGER NOT NULL,
    mtime   INTEGER NOT NULL,        -- unix seconds
    hash    TEXT    NOT NULL,        -- hex content hash
    PRIMARY KEY (run_id, path)
);
CREATE TABLE IF NOT EXISTS targets (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    group_id    TEXT    NOT NULL,
    topic_id    TEXT    NOT NULL DEFAULT '',
    messages    INTEGER NOT NULL,    -- staged messages, valid and invalid
    batches     INTEGER NOT NULL,
    state       TEXT    NOT NULL,    -- waiting | settling | running | paused | stopped | done
    last_error  TEXT,
    updated_at  INTEGER NOT NULL,
    UNIQUE (run_id, group_id, topic_id)
);
CREATE TABLE IF NOT EXISTS requests (
    id          INTEGER PRIMARY KEY,
    target_id   INTEGER NOT NULL REFERENCES targets(id),
    batch       INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    messages    INTEGER NOT NULL,
    body        BLOB    NOT NULL,    -- the bytes as sent
    state       TEXT    NOT NULL,    -- in_flight | done | failed | unknown | settled | not_applied
    error       TEXT,
    sent_at     INTEGER NOT NULL,
    answered_at INTEGER
);
CREATE INDEX IF NOT EXISTS requests_by_target ON requests (target_id, state);
CREATE TABLE IF NOT EXISTS messages (
    id           INTEGER PRIMARY KEY,
    target_id    INTEGER NOT NULL REFERENCES targets(id),
    file         TEXT    NOT NULL,
    line         INTEGER NOT NULL,
    offset       INTEGER NOT NULL,
    item         INTEGER NOT NULL,
    from_account TEXT,
    send_time    INTEGER,
    random       INTEGER,
    state        TEXT    NOT NULL,   -- in_flight | unknown | done | failed | skipped | invalid | pending
    msg_seq      INTEGER,
    msg_time     INTEGER,
    code         INTEGER,            -- the service's code for a failure
    meaning      TEXT,
    remedy       TEXT,
    detail       TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    request_id   INTEGER REFERENCES requests(id),
    body         TEXT,               -- the message's current JSON while failed, invalid or edited
    edited       INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL,
    fingerprint  INTEGER,            -- 64-bit hash of the message as staged when its row was written
    UNIQUE (target_id, file, offset, item)
);
CREATE INDEX IF NOT EXISTS messages_by_state ON messages (target_id, state);
CREATE TABLE IF NOT EXISTS decisions (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER REFERENCES messages(id),
    target_id   INTEGER NOT NULL REFERENCES targets(id),
    decision    TEXT    NOT NULL,    -- retry | retry_edited | skip | stop_group | stop_lane | auto_skip | retry_failed
    by          TEXT    NOT NULL,    -- operator | policy | flag
    reason      TEXT,
    edited_body TEXT,
    decided_at  INTEGER NOT NULL
);
";

/// Step 3, the migration's phases around the messages: every call of the accounts, groups,
/// members and unread steps with its exact bytes, recorded before it is sent, and every item
/// (account, group, member) with where it stands.
const PHASES_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS phase_calls (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    step        TEXT    NOT NULL,    -- accounts | groups | members | unread
    group_id    TEXT    NOT NULL DEFAULT '',
    command     TEXT    NOT NULL,    -- multiaccount_import | import_group | import_group_member | set_unread_msg_num
    items       INTEGER NOT NULL,
    body        BLOB    NOT NULL,    -- the bytes as sent
    state       TEXT    NOT NULL,    -- in_flight | done | failed | unknown | settled | not_applied
    error       TEXT,
    sent_at     INTEGER NOT NULL,
    answered_at INTEGER
);
CREATE INDEX IF NOT EXISTS phase_calls_by_run ON phase_calls (run_id, step, state);
CREATE TABLE IF NOT EXISTS phase_items (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    step       TEXT    NOT NULL,     -- accounts | groups | members | unread
    group_id   TEXT    NOT NULL DEFAULT '',
    item       TEXT    NOT NULL,     -- the account, the group or the member
    state      TEXT    NOT NULL,     -- pending | in_flight | unknown | done | existed | failed | skipped
    code       INTEGER,
    detail     TEXT,
    call_id    INTEGER REFERENCES phase_calls(id),
    attempts   INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    UNIQUE (run_id, step, group_id, item)
);
";

/// Opens (creating if needed) a ledger for writing, with WAL, `synchronous = NORMAL`, foreign
/// keys on and the schema in place. A new ledger (a whole chat history) is created 0600 in
/// directories created 0700; SQLite gives its `-wal` and `-shm` files the ledger's mode.
pub fn open_for_writing(path: &Path) -> Result<Connection, LedgerError> {
    let open_err = |e: std::io::Error| LedgerError::Open {
        path: path.to_owned(),
        detail: e.to_string(),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::create_dir_all_private(dir).map_err(open_err)?;
    }
    // SQLite takes an empty file as a new database; created here, it is created private.
    crate::files::ensure_private(path).map_err(open_err)?;
    let conn = Connection::open(path).map_err(|e| LedgerError::open(path, e))?;
    configure(&conn).map_err(|e| LedgerError::open(path, e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| LedgerError::open(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(LedgerError::Open {
            path: path.to_owned(),
            detail: format!(
                "it was written by a newer timport (schema {version}; this one knows {SCHEMA_VERSION})"
            ),
        });
    }
    conn.execute_batch(SCHEMA)
        .and_then(|()| upgrade(&conn, version))
        .and_then(|()| conn.pragma_update(None, "user_version", SCHEMA_VERSION))
        .map_err(|e| LedgerError::open(path, e))?;
    Ok(conn)
}

/// Opens an existing ledger for reading only (reports), alongside a writer if one is running.
pub fn open_for_reading(path: &Path) -> Result<Connection, LedgerError> {
    if !path.exists() {
        return Err(LedgerError::Open {
            path: path.to_owned(),
            detail: "no such file (no run has used this ledger yet)".into(),
        });
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| LedgerError::open(path, e))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| LedgerError::open(path, e))?;
    Ok(conn)
}

/// Brings a ledger written by an older timport (or a new, empty one: version 0) up to this
/// schema, one step per version. `SCHEMA` holds the tables as of step 2; each later step is its
/// own function so that steps stay independent.
fn upgrade(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    if (1..2).contains(&version) {
        // Rows written before have no fingerprint: they are taken as unchanged.
        conn.execute_batch("ALTER TABLE messages ADD COLUMN fingerprint INTEGER")?;
    }
    if version < 3 {
        add_phase_tables(conn)?;
    }
    Ok(())
}

/// Step 3 (issue 11): the tables of the migration's phases (`phase_calls`, `phase_items`).
fn add_phase_tables(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(PHASES_SCHEMA)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(conn: &Connection, table: &str) -> Vec<String> {
        let mut stmt = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// A ledger as an older timport left it: the base tables, minus what later steps add.
    fn old_ledger(path: &Path, version: i64) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        if version < 2 {
            conn.execute_batch(
                "DROP TABLE messages;
                 CREATE TABLE messages (id INTEGER PRIMARY KEY, target_id INTEGER, state TEXT);",
            )
            .unwrap();
        }
        conn.pragma_update(None, "user_version", version).unwrap();
    }

    #[test]
    fn each_older_schema_is_brought_up_step_by_step() {
        for version in [1, 2] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("ledger.sqlite3");
            old_ledger(&path, version);
            let before = Connection::open(&path).unwrap();
            assert!(columns(&before, "phase_calls").is_empty(), "v{version}");
            drop(before);

            let conn = open_for_writing(&path).unwrap();
            let got: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(got, SCHEMA_VERSION);
            assert!(columns(&conn, "messages").contains(&"fingerprint".to_owned()));
            for (table, column) in [("phase_calls", "body"), ("phase_items", "call_id")] {
                assert!(
                    columns(&conn, table).contains(&column.to_owned()),
                    "v{version}: {table}.{column}"
                );
            }
            drop(conn);
            // Opening again changes nothing and does not fail.
            open_for_writing(&path).unwrap();
        }
    }
}
