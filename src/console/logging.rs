//! The console's log: tracing to `<data_dir>/timport.log`, never to the terminal (the screen
//! belongs to the console). The non-blocking writer's guard must live as long as the console,
//! so the last lines are flushed on exit. Nothing logged may hold a secret: the client scrubs
//! its errors and `SecretKey`/`UserSig` print as `<redacted>`.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;

/// Starts logging to `file` (created 0600; its directory 0700 when created). `RUST_LOG` sets the level (default
/// `info`). Returns the guard to keep, or why the log could not be opened (the console still
/// runs without it). Does nothing if a global subscriber is already set (as in tests).
pub fn to_file(file: &Path) -> Result<Option<WorkerGuard>, String> {
    let dir = file
        .parent()
        .ok_or_else(|| format!("{} has no directory", file.display()))?;
    crate::files::create_dir_all_private(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = file
        .file_name()
        .ok_or_else(|| format!("{} has no file name", file.display()))?;
    // The appender opens by name (append); created here first, the log is private (0600).
    crate::files::ensure_private(file)
        .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
    let appender = tracing_appender::rolling::never(dir, name);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(writer)
        .try_init()
        .is_ok();
    Ok(installed.then_some(guard))
}
