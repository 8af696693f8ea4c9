//! A run the console launches to outlive it: `timport run` started as a process of its own (a
//! new session, so a hangup of the console's terminal never reaches it; stdin closed; stdout and
//! stderr to a file of its own in the data directory), which the console then attaches to.
//!
//! The secret key goes to the child in its environment (`TIMPORT_SECRET_KEY`), never on its
//! command line (which `ps` shows to everyone).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::api::SecretKey;
use crate::config::SECRET_KEY_ENV;

use super::super::effect::Launch;

/// How long the console waits for the run it started to serve its socket.
pub const STARTUP_PATIENCE: Duration = Duration::from_secs(60);

/// The `timport run` command line (without the program) that carries out `launch` as
/// `timport run` would: its groups, its options, its ledger and the connection, and
/// `--wait-for-decisions` (a console attaches to decide). No secret in it.
pub fn arguments(launch: &Launch) -> Vec<String> {
    let o = &launch.options;
    let mut args: Vec<String> = vec![
        "run".into(),
        launch.staging.root().display().to_string(),
        "--yes".into(),
        "--wait-for-decisions".into(),
        "--ledger".into(),
        launch.ledger.display().to_string(),
        "--rate".into(),
        o.rate.to_string(),
        "--lanes".into(),
        o.lanes.to_string(),
        "--on-message-error".into(),
        o.on_message_error.word().into(),
        "--same-second".into(),
        o.same_second.word().into(),
        "--endpoint".into(),
        launch.client.endpoint().base().to_owned(),
        "--sdkappid".into(),
        launch.client.sdkappid().to_string(),
        "--admin".into(),
        launch.client.admin().to_owned(),
    ];
    for group in &launch.groups {
        args.push("--group".into());
        args.push(group.clone());
    }
    args
}

/// Where the run's own output goes: `run-<unix seconds>.out` in the data directory (0600).
pub fn output_file(data_dir: &Path, now_secs: i64) -> PathBuf {
    data_dir.join(format!("run-{now_secs}.out"))
}

/// Starts `timport run` with `args` in a session of its own. Blocking (file and process calls).
pub fn spawn(args: &[String], key: &SecretKey, output: &Path) -> std::io::Result<Child> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::process::CommandExt;
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(output)?;
    let err = out.try_clone()?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .env(SECRET_KEY_ENV, key.expose());
    // The command line says everything else; settings from the environment that could
    // contradict it (another endpoint's region, a key file) do not reach the child.
    for name in [
        "TIMPORT_REGION",
        "TIMPORT_KEY_FILE",
        "TIMPORT_PROFILE",
        "TIMPORT_PHASES",
    ] {
        cmd.env_remove(name);
    }
    // SAFETY: setsid is async-signal-safe and touches nothing of the parent's; it makes the
    // child the leader of a new session, without a controlling terminal, so the console's
    // hangup (SIGHUP to its session) never reaches the run.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
}

/// Reaps `child` when it ends (while the console lives; after that, init does).
pub fn reap(mut child: Child) {
    std::thread::spawn(move || {
        let _ = child.wait();
    });
}
