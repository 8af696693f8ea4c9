//! Helpers for tests of the `timport run` binary: a staging directory on disk, the binary
//! (isolated by `support::binary`) pointed at an in-process sandbox, and checks that the sandbox
//! and the ledger agree. A test file using it declares `mod support;` too.

#![allow(dead_code)] // each test binary uses a part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::binary::timport_command;

mod running;
#[allow(unused_imports)] // each test binary uses a part of this module
pub use running::Running;

use serde_json::json;
use timport::clock::unix_now;
use timport::sandbox::{SandboxConfig, SandboxHandle, Seed};

/// The key both the sandbox and the binary use.
pub const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

/// When the sandbox's groups were created: 2020-09-13, long before [`BASE_TIME`].
pub const CREATED: i64 = 1_600_000_000;

/// The time staged messages start at: a fixed point (2023-11-14), so that files written twice
/// in a test hold the same messages whenever the test runs (even across midnight).
pub const BASE_TIME: i64 = 1_700_000_000;

/// A sandbox config with groups `g0..` created at [`CREATED`].
pub fn sandbox_config(groups: usize) -> SandboxConfig {
    let now = unix_now();
    let groups: Vec<_> = (0..groups)
        .map(|i| json!({"id": format!("g{i}"), "type": "Public", "name": format!("G{i}"), "create_time": CREATED}))
        .collect();
    let seed = Seed::parse(&json!({"groups": groups}).to_string(), now).expect("seed");
    SandboxConfig::new(timport::api::SecretKey::new(KEY)).with_seed(seed)
}

pub async fn start(config: SandboxConfig) -> SandboxHandle {
    timport::sandbox::start(
        strict_from_env(config),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("sandbox starts")
}

/// A staging directory with `g<i>.jsonl` holding `per_group` text messages each (no Random:
/// the planner derives them), a second apart from [`BASE_TIME`]. Returns the texts per group.
pub fn write_staging(dir: &Path, groups: usize, per_group: usize) -> Vec<Vec<String>> {
    std::fs::create_dir_all(dir).unwrap();
    let t0 = BASE_TIME;
    (0..groups)
        .map(|g| {
            let texts: Vec<String> = (0..per_group).map(|i| format!("g{g} line {i}")).collect();
            let lines: Vec<String> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    json!({"From_Account": format!("user{}", i % 3), "SendTime": t0 + i as i64,
                           "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}]})
                    .to_string()
                })
                .collect();
            std::fs::write(dir.join(format!("g{g}.jsonl")), lines.join("\n") + "\n").unwrap();
            texts
        })
        .collect()
}

/// The isolated binary ([`timport_command`]) with the connection to `sandbox` (the key in the
/// environment, never on the command line).
pub fn timport(home: &Path, sandbox: &SandboxHandle) -> Command {
    let mut cmd = timport_command(home);
    cmd.env("TIMPORT_SECRET_KEY", KEY)
        .env("TIMPORT_ENDPOINT", sandbox.url())
        .env("TIMPORT_SDKAPPID", sandbox.sdkappid().to_string())
        .env("TIMPORT_ADMIN", sandbox.admin());
    cmd
}

/// `timport run STAGING --yes --json`, pausing at a refused message and waiting there for a
/// decision (from `timport decide` or an attached console).
pub fn run_command(home: &Path, sandbox: &SandboxHandle, staging: &Path) -> Command {
    let mut cmd = timport(home, sandbox);
    cmd.arg("run").arg(staging).args([
        "--yes",
        "--json",
        "--on-message-error",
        "pause",
        "--wait-for-decisions",
    ]);
    cmd
}

/// Runs `cmd` to its end (stdin closed) off the async runtime, which the sandbox needs.
pub async fn output(mut cmd: Command) -> Output {
    cmd.stdin(std::process::Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("the command's thread")
        .expect("the binary runs")
}

/// The daily log files (`timport.YYYY-MM-DD.log`) in the data directory, oldest first.
pub fn log_files(home: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(home.join("data"))
        .map(|dir| dir.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("timport.") && n.ends_with(".log"))
    });
    files.sort();
    files
}

/// Everything the log files written since `since` (unix seconds) hold: a test that runs across
/// midnight UTC reads both days.
pub fn log_since(home: &Path, since: i64) -> String {
    let first = timport::config::log_file_name(since);
    log_files(home)
        .iter()
        .filter(|p| p.file_name().and_then(|n| n.to_str()) >= Some(first.as_str()))
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The default ledger of `home`.
pub fn ledger_of(home: &Path) -> PathBuf {
    home.join("data/ledger.sqlite3")
}

/// Asserts every staged message is in its group exactly once, in order, and the ledger has each
/// as done with the group's sequence number.
pub fn assert_exactly_once(
    sandbox: &SandboxHandle,
    texts: &[Vec<String>],
    ledger: &Path,
    what: &str,
) {
    let conn = rusqlite::Connection::open(ledger).unwrap();
    for (g, expected) in texts.iter().enumerate() {
        let group = format!("g{g}");
        let stored = sandbox.messages(&group);
        let got: Vec<String> = stored.iter().map(|m| m.body[0].summary()).collect();
        assert_eq!(
            &got, expected,
            "{what}: group {group} holds each message once, in order"
        );
        let seqs: Vec<i64> = conn
            .prepare(
                "SELECT m.msg_seq FROM messages m JOIN targets t ON t.id = m.target_id
                 WHERE t.group_id = ?1 AND m.state = 'done' ORDER BY m.send_time, m.line",
            )
            .unwrap()
            .query_map([&group], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let expected_seqs: Vec<i64> = stored.iter().map(|m| m.seq as i64).collect();
        assert_eq!(seqs, expected_seqs, "{what}: the ledger agrees for {group}");
    }
}

/// The connection to `sandbox` as `TIMPORT_*` settings for a terminal session, with the key in
/// a 0600 key file under `dir` (the settings show on the command line; the key must not).
pub fn key_file_env(sandbox: &SandboxHandle, dir: &Path) -> [(&'static str, String); 4] {
    let key_file = dir.join("secret.key");
    std::fs::write(&key_file, KEY).expect("key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))
            .expect("key file mode");
    }
    [
        ("TIMPORT_ENDPOINT", sandbox.url()),
        ("TIMPORT_SDKAPPID", sandbox.sdkappid().to_string()),
        ("TIMPORT_ADMIN", sandbox.admin().to_owned()),
        ("TIMPORT_KEY_FILE", key_file.display().to_string()),
    ]
}

/// Waits (bounded) until the sandbox has answered `n` import requests: a run has started
/// sending.
pub async fn until_sending(sandbox: &SandboxHandle, n: u64) {
    let started = std::time::Instant::now();
    while sandbox
        .stats()
        .requests
        .get("import_group_msg")
        .copied()
        .unwrap_or(0)
        < n
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the run never started sending"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Cuts line `index` (0-based) of `file` short inside its `MsgBody`, as an export that broke off
/// leaves it (its `SendTime` can no longer be read). Returns the line as it was.
pub fn truncate_line(file: &Path, index: usize) -> String {
    let mut lines: Vec<String> = std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let whole = lines[index].clone();
    let cut = whole.find("\"MsgBody\"").expect("a MsgBody") + 12;
    lines[index].truncate(cut);
    std::fs::write(file, lines.join("\n") + "\n").unwrap();
    whole
}

/// Puts `text` back as line `index` (0-based) of `file`.
pub fn restore_line(file: &Path, index: usize, text: String) {
    let mut lines: Vec<String> = std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines[index] = text;
    std::fs::write(file, lines.join("\n") + "\n").unwrap();
}

/// The texts of the messages `sandbox` holds in `group`, in order.
pub fn stored_texts(sandbox: &SandboxHandle, group: &str) -> Vec<String> {
    sandbox
        .messages(group)
        .iter()
        .map(|m| m.body[0].summary())
        .collect()
}

/// A sandbox with one group `g0` that refuses messages over 1,000 bytes, and a home directory
/// whose `staging` holds [`write_long_group`] (lines 5-7 too long: refused, 80002): the sandbox,
/// the home, its staging directory and the staged texts.
pub async fn long_group_refused() -> (SandboxHandle, tempfile::TempDir, PathBuf, Vec<String>) {
    let mut config = sandbox_config(1);
    config.max_message_bytes = 1000;
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let texts = write_long_group(&staging);
    (sandbox, home, staging, texts)
}

/// `g0.jsonl`: 10 messages; lines 5, 6 and 7 are longer than a sandbox with
/// `max_message_bytes = 1000` takes (80002). Returns the texts.
pub fn write_long_group(staging: &Path) -> Vec<String> {
    std::fs::create_dir_all(staging).unwrap();
    let texts: Vec<String> = (0..10)
        .map(|i| {
            if (4..7).contains(&i) {
                format!("long {i} {}", "x".repeat(1500))
            } else {
                format!("line {i}")
            }
        })
        .collect();
    let lines: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({"From_Account": "user0", "SendTime": BASE_TIME + i as i64,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}]})
            .to_string()
        })
        .collect();
    std::fs::write(staging.join("g0.jsonl"), lines.join("\n") + "\n").unwrap();
    texts
}

/// Asserts the group holds every line of [`write_long_group`]'s group but lines 5 to 7, in order.
pub fn assert_all_but_lines_5_to_7_landed(sandbox: &SandboxHandle, texts: &[String]) {
    let landed: Vec<String> = texts
        .iter()
        .enumerate()
        .filter(|(i, _)| !(4..7).contains(i))
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(stored_texts(sandbox, "g0"), landed);
}

/// Asserts the ledger's decisions are one `skip_code` row for each of lines 5, 6 and 7 of
/// [`write_long_group`]'s group, with `reason` and operator `night-shift@...`.
pub fn assert_skipped_lines_5_to_7(ledger: &Path, reason: &str) {
    let rows = decision_rows(ledger);
    assert_eq!(rows.len(), 3, "one decision row per message: {rows:?}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.0, 5 + i as i64);
        assert_eq!(row.1, "skip_code");
        assert_eq!(row.2.as_deref(), Some(reason));
        assert!(
            row.3
                .as_deref()
                .is_some_and(|o| o.starts_with("night-shift@")),
            "{row:?}"
        );
    }
}

/// The ledger's decisions about messages, by line: line, decision, reason, operator.
pub fn decision_rows(ledger: &Path) -> Vec<(i64, String, Option<String>, Option<String>)> {
    let conn = rusqlite::Connection::open(ledger).unwrap();
    conn.prepare(
        "SELECT m.line, d.decision, d.reason, d.operator FROM decisions d
         JOIN messages m ON m.id = d.message_id ORDER BY m.line",
    )
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// `TIMPORT_TEST_STRICT_TIME=across` (or `per-message`) starts every sandbox configured with the
/// default reading strict about equal times, so that a whole suite can be run under the strict
/// reading of the docs (docs/testing.md). Unset: as configured.
fn strict_from_env(mut config: SandboxConfig) -> SandboxConfig {
    use timport::sandbox::StrictTime;
    if config.strict_time == StrictTime::Off {
        match std::env::var("TIMPORT_TEST_STRICT_TIME").as_deref() {
            Ok("across") => config.strict_time = StrictTime::AcrossRequests,
            Ok("per-message") => config.strict_time = StrictTime::PerMessage,
            _ => {}
        }
    }
    config
}
