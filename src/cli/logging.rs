//! The log of the console and of `timport run`: tracing to `<data_dir>/timport.YYYY-MM-DD.log`
//! (one file per UTC day, the newest [`LOG_FILES`] kept: `tracing-appender`'s rolling files),
//! never to the terminal (the screen belongs to the console; stderr to the run's lines). The
//! non-blocking writer's guard must live as long as the command, so the last lines are flushed
//! on exit. Every log file is created 0600 (its directory 0700 when created), the next day's
//! too. Nothing logged may hold a secret: the client scrubs its errors and
//! `SecretKey`/`UserSig` print as `<redacted>`.

use std::io::Write;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};

/// How many daily log files are kept (the oldest go when a new day's file starts).
pub const LOG_FILES: usize = 14;

// The parts of `config::log_file_name` around the date, as the appender names its files.
const PREFIX: &str = "timport";
const SUFFIX: &str = "log";
const DAY: i64 = 86_400;

/// The log as started.
#[derive(Debug)]
pub struct Log {
    /// Keep it while the command runs: dropping it flushes the last lines. `None` when a
    /// subscriber was already installed (as in tests).
    pub guard: Option<WorkerGuard>,
    /// Today's file.
    pub file: PathBuf,
}

/// The log file of the UTC day of unix time `secs` in `dir`: `timport.2026-12-06.log`.
pub fn file_of(dir: &Path, secs: i64) -> PathBuf {
    dir.join(crate::config::log_file_name(secs))
}

/// Starts logging into `dir` (created 0700 when missing). `RUST_LOG` sets the level (default
/// `info`). Returns the guard to keep and today's file, or why the log could not be opened (the
/// command still runs without it). Installs nothing if a global subscriber is already set.
pub fn to_dir(dir: &Path) -> Result<Log, String> {
    let writer = appender(dir)?;
    let file = file_of(dir, crate::clock::unix_now());
    let (writer, guard) = tracing_appender::non_blocking(writer);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(writer)
        .try_init()
        .is_ok();
    Ok(Log {
        guard: installed.then_some(guard),
        file,
    })
}

/// The daily rolling appender over `dir`, old files beyond [`LOG_FILES`] removed.
pub fn appender(dir: &Path) -> Result<PrivateDaily, String> {
    crate::files::create_dir_all_private(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut private = PrivateDaily {
        dir: dir.to_owned(),
        day: None,
        next_ready: None,
        inner: None,
    };
    // Today's file first, private: the appender then opens it by name (append).
    private.prepare(crate::clock::unix_now())?;
    let inner = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(PREFIX)
        .filename_suffix(SUFFIX)
        .max_log_files(LOG_FILES)
        .build(dir)
        .map_err(|e| format!("cannot open the log in {}: {e}", dir.display()))?;
    private.inner = Some(inner);
    Ok(private)
}

/// The rolling appender, with each day's file created 0600 before the appender opens it (it
/// would create it with the process's umask).
#[derive(Debug)]
pub struct PrivateDaily {
    dir: PathBuf,
    /// The UTC day whose file exists (unix days).
    day: Option<i64>,
    /// The day after, once its file was made ahead (in the last minute of a day).
    next_ready: Option<i64>,
    inner: Option<RollingFileAppender>,
}

impl PrivateDaily {
    /// Makes sure the file of the day of `now` exists (0600), and in the day's last minute the
    /// next day's too (the appender may roll over between this check and its own).
    fn prepare(&mut self, now: i64) -> Result<(), String> {
        let day = now.div_euclid(DAY);
        if self.day != Some(day) {
            ensure(&file_of(&self.dir, now))?;
            self.day = Some(day);
        }
        if now.rem_euclid(DAY) >= DAY - 60 && self.next_ready != Some(day + 1) {
            ensure(&file_of(&self.dir, now + 60))?;
            self.next_ready = Some(day + 1);
        }
        Ok(())
    }
}

fn ensure(file: &Path) -> Result<(), String> {
    crate::files::ensure_private(file).map_err(|e| format!("cannot create {}: {e}", file.display()))
}

impl Write for PrivateDaily {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.prepare(crate::clock::unix_now())
            .map_err(std::io::Error::other)?;
        match &mut self.inner {
            Some(inner) => inner.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.inner {
            Some(inner) => inner.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn a_file_per_utc_day_named_as_the_appender_names_it() {
        let name = crate::config::log_file_name(1_796_562_309);
        assert!(name.starts_with(&format!("{PREFIX}.")) && name.ends_with(&format!(".{SUFFIX}")));
        assert_eq!(
            file_of(Path::new("/d"), 1_796_562_309),
            PathBuf::from("/d/timport.2026-12-06.log")
        );
    }

    #[test]
    fn old_days_beyond_the_count_are_removed_and_today_is_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        for day in 1..=20 {
            std::fs::write(
                dir.path().join(format!("timport.2025-01-{day:02}.log")),
                "old\n",
            )
            .expect("written");
        }
        std::fs::write(dir.path().join("ledger.sqlite3"), "not a log").expect("written");
        let mut log = appender(dir.path()).expect("appender");
        log.write_all(b"a line\n").expect("written");
        log.flush().expect("flushed");
        let logs: Vec<String> = std::fs::read_dir(dir.path())
            .expect("listed")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("timport."))
            .collect();
        // Today's file was made (private) before the appender pruned: it counts among those kept.
        assert!(
            (LOG_FILES - 1..=LOG_FILES).contains(&logs.len()),
            "{} kept: {logs:?}",
            logs.len()
        );
        let today = file_of(dir.path(), crate::clock::unix_now());
        let today_name = today.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(logs.iter().any(|n| n == today_name), "{logs:?}");
        // Which old ones go is the appender's choice (the oldest by creation time; the files
        // here were all created within a few milliseconds, so that order is not tested).
        assert!(dir.path().join("ledger.sqlite3").exists());
        assert!(
            std::fs::read_to_string(&today)
                .expect("read")
                .contains("a line")
        );
        #[cfg(unix)]
        assert_eq!(mode(&today), 0o600);
    }

    #[test]
    fn the_next_days_file_is_made_private_before_midnight() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut log = PrivateDaily {
            dir: dir.path().to_owned(),
            day: None,
            next_ready: None,
            inner: None,
        };
        let evening = 1_796_515_200 + DAY - 30; // 2026-12-06 23:59:30 UTC
        log.prepare(evening - 3_600).expect("prepared");
        let next = dir.path().join("timport.2026-12-07.log");
        assert!(!next.exists(), "not an hour before");
        log.prepare(evening).expect("prepared");
        assert!(next.exists());
        #[cfg(unix)]
        {
            assert_eq!(mode(&dir.path().join("timport.2026-12-06.log")), 0o600);
            assert_eq!(mode(&next), 0o600);
        }
    }
}
