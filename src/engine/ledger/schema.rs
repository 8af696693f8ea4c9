//! The ledger's tables, and opening a ledger file with the pragmas every connection needs.
//!
//! Durability choice: WAL journal with `synchronous = NORMAL`. Every commit survives the process
//! being killed (the WAL is written before the commit returns); a power cut or OS crash can lose
//! the last commits. That is safe here because a resumed run first reads every group with work
//! left back from the service (unless the service says the group never held a message) and
//! matches the messages the ledger does not have as done, so a lost commit never leads to a
//! resend of a message that landed. `FULL` would cost an fsync per
//! batch for no gain in correctness.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::LedgerError;

/// The schema version this code writes (`PRAGMA user_version`). 2 added the per-message
/// fingerprint; 3 `messages.sent_time` (`--same-second spread`); 4 the verification tables and
/// two indexes (`verify`); 5 `decisions.operator` (bulk decisions); 6 the migration's tables
/// (`phase_calls`, `phase_items`). Each step is one function in [`upgrade`].
pub const SCHEMA_VERSION: i64 = 6;

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
    sent_time    INTEGER,            -- the SendTime sent, when --same-second spread moved it
    UNIQUE (target_id, file, offset, item)
);
CREATE INDEX IF NOT EXISTS messages_by_state ON messages (target_id, state);
CREATE TABLE IF NOT EXISTS decisions (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER REFERENCES messages(id),
    target_id   INTEGER NOT NULL REFERENCES targets(id),
    decision    TEXT    NOT NULL,    -- retry | retry_edited | skip | stop_group | stop_lane | auto_skip | retry_failed | skip_code | retry_code
    by          TEXT    NOT NULL,    -- operator | policy | flag
    reason      TEXT,
    edited_body TEXT,
    decided_at  INTEGER NOT NULL,
    operator    TEXT                 -- user@host of an operator's decision (schema 5)
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
/// schema, one step per version, each its own function. `SCHEMA` holds the tables and columns
/// of version 3; later steps add theirs.
fn upgrade(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    if (1..2).contains(&version) {
        // Rows written before have no fingerprint: they are taken as unchanged.
        conn.execute_batch("ALTER TABLE messages ADD COLUMN fingerprint INTEGER")?;
    }
    if (1..3).contains(&version) {
        add_sent_time(conn)?;
    }
    if version < 4 {
        add_verifications(conn)?;
    }
    if (1..5).contains(&version) {
        add_decision_operator(conn)?;
    }
    if version < 6 {
        add_phase_tables(conn)?;
    }
    Ok(())
}

/// Version 3 (`--same-second spread`): `messages.sent_time`, the `SendTime` sent when the
/// policy moved a message. Rows written before were sent at their staged time (null).
fn add_sent_time(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("ALTER TABLE messages ADD COLUMN sent_time INTEGER")
}

/// Step 4: the verification tables (`verifications`, `verify_targets`, `verify_findings`) and
/// the indexes a verification reads by (`messages_by_seq`, `decisions_by_message`). Purely
/// additive: an older ledger gains them empty.
fn add_verifications(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(super::verify::SCHEMA)
}

/// Step 5: who made an operator's decision (`user@host`); older rows have none.
/// A ledger that had no `decisions` table yet got it, with the column, from [`SCHEMA`].
fn add_decision_operator(conn: &Connection) -> rusqlite::Result<()> {
    let has: bool = conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('decisions') WHERE name = 'operator'",
        [],
        |r| r.get(0),
    )?;
    if has {
        return Ok(());
    }
    conn.execute_batch("ALTER TABLE decisions ADD COLUMN operator TEXT")
}

/// Step 6 (issue 11, the migration): the tables of the migration's phases (`phase_calls`,
/// `phase_items`). Purely additive: an older ledger gains them empty.
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

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// A ledger as timport wrote it at `version` (1: before the fingerprint; 2: before
    /// `sent_time`; 3: before the verification tables; 4: before `decisions.operator`; 5: before
    /// the migration's phase tables), with one run in it.
    fn older(path: &Path, version: i64) {
        let conn = Connection::open(path).unwrap();
        let mut schema = SCHEMA.to_owned();
        if version < 5 {
            schema = schema.replace(
                ",\n    operator    TEXT                 -- user@host of an operator's decision (schema 5)",
                "",
            );
        }
        if version < 3 {
            schema = schema.replace(
                "sent_time    INTEGER,            -- the SendTime sent, when --same-second spread moved it\n",
                "",
            );
        }
        if version < 2 {
            schema = schema.replace(
                "fingerprint  INTEGER,            -- 64-bit hash of the message as staged when its row was written\n",
                "",
            );
        }
        conn.execute_batch(&schema).unwrap();
        if version >= 4 {
            conn.execute_batch(super::super::verify::SCHEMA).unwrap();
        }
        conn.execute(
            "INSERT INTO runs (staging_root, options, started_at, status) VALUES ('/s', '{}', 1, 'done')",
            [],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", version).unwrap();
    }

    #[test]
    fn each_older_ledger_is_brought_up_step_by_step_keeping_its_rows() {
        for version in [1, 2, 3, 4, 5] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("ledger.sqlite3");
            older(&path, version);
            let before = tables(&Connection::open(&path).unwrap());
            assert!(!before.contains(&"phase_calls".into()), "v{version}");
            assert_eq!(before.contains(&"verifications".into()), version >= 4);

            let conn = open_for_writing(&path).unwrap();
            let now: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(now, SCHEMA_VERSION);
            let names = tables(&conn);
            for name in [
                "verifications",
                "verify_targets",
                "verify_findings",
                "messages_by_seq",
                "decisions_by_message",
                "phase_calls",
                "phase_items",
            ] {
                assert!(names.contains(&name.into()), "v{version}: no {name}");
            }
            conn.execute("UPDATE messages SET fingerprint = 1, sent_time = 2", [])
                .unwrap();
            for (table, column) in [
                ("decisions", "operator"),
                ("phase_calls", "body"),
                ("phase_items", "call_id"),
            ] {
                assert!(
                    columns(&conn, table).contains(&column.to_owned()),
                    "v{version}: {table}.{column}"
                );
            }
            let runs: i64 = conn
                .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
                .unwrap();
            assert_eq!(runs, 1, "v{version}: the run stays");
            drop(conn);
            // Opening again (already at this version) changes nothing.
            let again = open_for_writing(&path).unwrap();
            assert_eq!(tables(&again), names);
        }
    }

    #[test]
    fn a_new_ledger_has_every_step() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_for_writing(&dir.path().join("new.sqlite3")).unwrap();
        let names = tables(&conn);
        assert!(names.contains(&"verify_findings".into()));
        assert!(names.contains(&"phase_items".into()));
    }

    #[test]
    fn a_schema_4_ledger_gets_the_decision_operator_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let conn = Connection::open(&path).unwrap();
        // Schema 4's decisions table, as main wrote it (the verification tables left to step 4).
        let old = SCHEMA.replace(
            ",\n    operator    TEXT                 -- user@host of an operator's decision (schema 5)",
            "",
        );
        assert_ne!(old, SCHEMA);
        conn.execute_batch(&old).unwrap();
        conn.pragma_update(None, "user_version", 4).unwrap();
        drop(conn);
        let conn = open_for_writing(&path).unwrap();
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('decisions')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(columns.last().map(String::as_str), Some("operator"));
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }
}
