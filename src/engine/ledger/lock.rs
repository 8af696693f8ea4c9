//! One writer per ledger: an OS file lock on `<ledger>.lock`, held by a run for its whole life.
//!
//! `flock(2)` semantics: the lock belongs to the open file, so the kernel releases it when the
//! holder exits, however it exits (a killed process never blocks the next run). A separate file
//! keeps clear of SQLite's own locks on the ledger and its WAL (readers such as `timport report`
//! and the console's run browser never take this lock, so reading stays allowed while a run
//! writes). The holder writes who it is into the file (pid, command, since) so that a second
//! writer can say whom it waits for.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Who holds a ledger's lock, as the holder wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// What it is doing (`timport run`, `timport console`...).
    pub command: String,
    /// Unix seconds when it took the lock.
    pub since: i64,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ago = crate::clock::unix_now().saturating_sub(self.since).max(0);
        write!(
            f,
            "pid {} ({}), since {} UTC ({ago} s ago)",
            self.pid,
            crate::escape::controls(&self.command),
            crate::clock::format_unix(self.since)
        )
    }
}

/// Why the lock could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("the ledger {} is in use by another timport: {}; one run writes to a ledger at a time: wait for it to end (or stop it), or give this one another --ledger. Reading it (timport report) is allowed", crate::escape::path(.ledger), .holder.as_ref().map_or_else(|| "it has not said who it is yet".to_owned(), ToString::to_string))]
    Held {
        /// The ledger.
        ledger: PathBuf,
        /// Who holds it, when it has written that.
        holder: Option<Holder>,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock the ledger {}: {detail}", crate::escape::path(.ledger))]
    Io {
        /// The ledger.
        ledger: PathBuf,
        /// Why.
        detail: String,
    },
}

/// The lock, held until dropped (the kernel releases it with the file).
#[derive(Debug)]
pub struct LedgerLock {
    _file: File,
    path: PathBuf,
}

/// The lock file of `ledger`: the ledger's name with `.lock` added.
pub fn lock_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl LedgerLock {
    /// Takes the lock of `ledger` without waiting, recording `command` as its holder. Blocking
    /// (it opens a file): from async code, call it inside `spawn_blocking`.
    pub fn acquire(ledger: &Path, command: &str) -> Result<LedgerLock, LockError> {
        let io = |e: std::io::Error| LockError::Io {
            ledger: ledger.to_owned(),
            detail: e.to_string(),
        };
        if let Some(dir) = ledger.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::create_dir_all_private(dir).map_err(io)?;
        }
        let path = lock_path(ledger);
        crate::files::ensure_private(&path).map_err(io)?;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io)?;
        if !try_lock(&file).map_err(io)? {
            let mut text = String::new();
            // What the holder wrote; unreadable or half-written, it is not named.
            let holder = file
                .take(4096)
                .read_to_string(&mut text)
                .ok()
                .and_then(|_| serde_json::from_str(text.trim()).ok());
            return Err(LockError::Held {
                ledger: ledger.to_owned(),
                holder,
            });
        }
        let holder = Holder {
            pid: std::process::id(),
            command: command.to_owned(),
            since: crate::clock::unix_now(),
        };
        let text = serde_json::to_string(&holder).unwrap_or_default();
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(format!("{text}\n").as_bytes()))
            .and_then(|()| file.flush())
            .map_err(io)?;
        Ok(LedgerLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes an exclusive `flock` without waiting: true when taken, false when another open file
/// holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    loop {
        // SAFETY: `flock` only reads the descriptor, which `file` keeps open for the call.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(true);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => {}
            _ => return Err(err),
        }
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_named_to_the_next_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("data/ledger.sqlite3");
        let held = LedgerLock::acquire(&ledger, "timport run").unwrap();
        assert_eq!(held.path(), dir.path().join("data/ledger.sqlite3.lock"));
        let err = LedgerLock::acquire(&ledger, "timport console").unwrap_err();
        let LockError::Held { holder, .. } = &err else {
            panic!("{err}");
        };
        let holder = holder.clone().expect("the holder wrote who it is");
        assert_eq!(holder.pid, std::process::id());
        assert_eq!(holder.command, "timport run");
        let text = err.to_string();
        assert!(
            text.contains(&format!("pid {} (timport run)", std::process::id())),
            "{text}"
        );
        assert!(text.contains("timport report"), "{text}");
        drop(held);
        let again = LedgerLock::acquire(&ledger, "timport console").unwrap();
        drop(again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(lock_path(&ledger))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
