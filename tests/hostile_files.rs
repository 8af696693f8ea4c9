//! Hostile staged files and key files through the real binary: links out of the staging
//! directory, FIFOs, devices, names with terminal escapes or bytes that are not UTF-8, empty
//! files, and the modes of what timport creates. Nothing leaks the key, nothing hangs (every
//! command is waited for under a generous guard that only catches a hang), every refusal names
//! the file.

mod run_support;
mod support;

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use run_support::*;
use timport::sandbox::SandboxHandle;

/// Only against a hang: each command here ends in well under a second.
const GUARD: Duration = Duration::from_secs(60);

/// Runs `cmd` to its end, failing the test if it is still running after [`GUARD`].
fn finishes(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > GUARD {
            child.kill().unwrap();
            panic!("timport hung: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

async fn run_to_end(cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || finishes(cmd))
        .await
        .unwrap()
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo reads a valid NUL-terminated path and creates a FIFO; nothing else.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn both(out: &Output) -> String {
    let (o, e) = text(out);
    format!("{o}\n{e}")
}

fn assert_never_shows(out: &Output, secret: &str) {
    let shown = both(out);
    assert!(!shown.contains(secret), "leaked: {shown}");
}

/// A line staged in `g0.jsonl` that is invalid (empty sender): it reaches the ledger and
/// `report --failed-out` as its raw text.
const INVALID_LINE: &str = r#"{"From_Account":"","SendTime":1600000000,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"bad"}}]}"#;

/// Stages `g0` with three messages and [`INVALID_LINE`] and runs it once: the ledger then holds
/// an invalid message (exit 1).
async fn run_with_an_invalid_message(home: &Path, sandbox: &SandboxHandle) -> PathBuf {
    let staging = home.join("staging");
    write_staging(&staging, 1, 3);
    let file = staging.join("g0.jsonl");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(INVALID_LINE);
    text.push('\n');
    std::fs::write(file, text).unwrap();
    let mut cmd = timport(home, sandbox);
    cmd.arg("run").arg(&staging).arg("--yes");
    let first = run_to_end(cmd).await;
    assert_eq!(first.status.code(), Some(1), "{}", both(&first));
    staging
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_to_the_key_file_is_refused_and_the_key_shows_nowhere() {
    let sandbox = start(sandbox_config(1)).await;
    let home = tempfile::tempdir().unwrap();
    let key_text = "KEYFILE-TEXT-a1b2c3d4e5f6a7b8c9d0";
    let key_file = home.path().join("prod.key");
    std::fs::write(&key_file, format!("{key_text}\n")).unwrap();
    // A first run leaves an invalid message in the ledger, for report --failed-out below.
    let staging = run_with_an_invalid_message(home.path(), &sandbox).await;
    symlink(&key_file, staging.join("g1.jsonl")).unwrap();
    for args in [
        vec!["validate", "--offline"],
        vec!["plan", "--group", "g1"],
        vec!["plan", "--group", "g0"],
        vec!["run", "--yes"],
        vec!["run", "--yes", "--json"],
    ] {
        let mut cmd = timport(home.path(), &sandbox);
        cmd.arg(args[0]).arg(&staging).args(&args[1..]);
        let out = run_to_end(cmd).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", both(&out));
        assert_never_shows(&out, key_text);
        let shown = both(&out);
        assert!(
            shown.contains("g1.jsonl") && shown.contains("outside the staging directory"),
            "{args:?} names the link: {shown}"
        );
    }

    let failed_out = home.path().join("fix-me.jsonl");
    let mut cmd = support::binary::timport_command(home.path());
    cmd.args(["report", "--failed-out"]).arg(&failed_out);
    let report = run_to_end(cmd).await;
    assert_eq!(report.status.code(), Some(0), "{}", both(&report));
    assert_never_shows(&report, key_text);
    let written = std::fs::read_to_string(&failed_out).unwrap();
    assert!(written.contains("\"bad\""), "{written}");
    assert!(!written.contains(key_text), "{written}");
    assert_eq!(
        mode(&failed_out),
        0o600,
        "--failed-out holds message bodies"
    );

    // The ledger (and its WAL) never saw the key.
    for suffix in ["", "-wal"] {
        let path = PathBuf::from(format!("{}{suffix}", ledger_of(home.path()).display()));
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !bytes
                    .windows(key_text.len())
                    .any(|w| w == key_text.as_bytes()),
                "{}",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_timport_creates_is_private() {
    let sandbox = start(sandbox_config(1)).await;
    let home = tempfile::tempdir().unwrap();
    run_with_an_invalid_message(home.path(), &sandbox).await;
    let ledger = ledger_of(home.path());
    assert_eq!(mode(ledger.parent().unwrap()), 0o700, "the data directory");
    // The ledger and, while a connection may still have them, its -wal and -shm.
    assert_eq!(mode(&ledger), 0o600);
    let conn = rusqlite::Connection::open(&ledger).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch("CREATE TABLE IF NOT EXISTS probe (x); INSERT INTO probe VALUES (1);")
        .unwrap();
    for suffix in ["-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", ledger.display()));
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

#[test]
fn links_to_proc_and_devices_and_fifos_are_refused_at_once() {
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 2);
    symlink("/proc/self/environ", staging.join("environ.jsonl")).unwrap();
    symlink("/dev/zero", staging.join("zero.jsonl")).unwrap();
    symlink("/dev/urandom", staging.join("random.json")).unwrap();
    mkfifo(&staging.join("pipe.jsonl"));
    let env_secret = "ENV-SECRET-9f8e7d6c5b4a39281706";
    for args in [
        vec!["validate", "--offline"],
        vec!["validate", "--offline", "--json"],
        vec!["plan", "--group", "g0"],
    ] {
        let mut cmd = support::binary::timport_command(home.path());
        cmd.env("TIMPORT_SECRET_KEY", env_secret)
            .arg(args[0])
            .arg(&staging)
            .args(&args[1..]);
        let out = finishes(cmd);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", both(&out));
        assert_never_shows(&out, env_secret);
        assert_never_shows(&out, "TIMPORT_SECRET_KEY=");
        let shown = both(&out);
        for name in ["environ.jsonl", "zero.jsonl", "random.json", "pipe.jsonl"] {
            assert!(shown.contains(name), "{args:?} names {name}: {shown}");
        }
        assert!(shown.contains("FIFO"), "{shown}");
    }
    // The FIFO as the only staged file: validate ends too.
    let mut cmd = support::binary::timport_command(home.path());
    cmd.args(["validate", "--offline"])
        .arg(staging.join("pipe.jsonl"));
    let out = finishes(cmd);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_in_staging_stops_run_at_once() {
    let sandbox = start(sandbox_config(1)).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 2);
    mkfifo(&staging.join("g1.jsonl"));
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&staging).arg("--yes");
    let out = run_to_end(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(
        both(&out).contains("g1.jsonl: error [not_regular_file]"),
        "{}",
        both(&out)
    );
    assert!(sandbox.messages("g0").is_empty(), "nothing was sent");
}

#[test]
fn a_fifo_or_device_as_key_file_is_refused_at_once() {
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 1);
    let fifo = home.path().join("key.fifo");
    mkfifo(&fifo);
    let big = home.path().join("big.key");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    for (key_file, says) in [
        (fifo.as_path(), "FIFO"),
        (Path::new("/dev/zero"), "character device"),
        (big.as_path(), "104857600 bytes"),
    ] {
        for args in [
            vec!["usersig", "--sdkappid", "1", "--admin", "a"],
            vec![
                "validate",
                staging.to_str().unwrap(),
                "--endpoint",
                "http://127.0.0.1:9",
                "--sdkappid",
                "1",
                "--admin",
                "a",
            ],
        ] {
            let mut cmd = support::binary::timport_command(home.path());
            cmd.args(&args).arg("--key-file").arg(key_file);
            let out = finishes(cmd);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", both(&out));
            let shown = both(&out);
            assert!(shown.contains(says), "{key_file:?}: {shown}");
        }
    }
}

/// No byte of `out` is a control character other than a line break (or the tab some tables use).
fn assert_no_raw_controls(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        .collect();
    assert!(bad.is_empty(), "{what} printed raw {bad:?}: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escapes_in_file_and_directory_names_never_reach_the_terminal() {
    let sandbox = start(sandbox_config(1)).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 2);
    // A directory whose name clears the screen, holding g0's later messages, and a file whose
    // name sets the clipboard (OSC 52) and the window title.
    let dir = staging.join("d\u{1b}[2J\u{9b}31m");
    std::fs::create_dir(&dir).unwrap();
    let t0 = BASE_TIME + 100;
    let line = |t: i64| {
        format!(
            r#"{{"From_Account":"user0","SendTime":{t},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"later"}}}}]}}"#
        )
    };
    std::fs::write(
        dir.join("g0.jsonl"),
        format!("{}\n{}\n", line(t0), INVALID_LINE),
    )
    .unwrap();
    std::fs::write(
        staging.join("x\u{1b}]52;c;aGk=\u{7}\u{1b}]0;owned\u{7}.jsonl"),
        format!("{}\n", line(t0)),
    )
    .unwrap();

    let mut outputs = Vec::new();
    for args in [
        vec!["validate", "--offline"],
        vec!["plan", "--group", "g0"],
        vec![
            "plan",
            "--group",
            "x\u{1b}]52;c;aGk=\u{7}\u{1b}]0;owned\u{7}",
        ],
        vec!["run", "--yes", "--on-message-error", "skip"],
    ] {
        let mut cmd = timport(home.path(), &sandbox);
        cmd.arg(args[0]).arg(&staging).args(&args[1..]);
        outputs.push((format!("{args:?}"), run_to_end(cmd).await));
    }
    let mut cmd = support::binary::timport_command(home.path());
    cmd.args(["report", "--failed-out"])
        .arg(home.path().join("failed.jsonl"));
    outputs.push(("report".to_owned(), run_to_end(cmd).await));
    for (what, out) in &outputs {
        assert_no_raw_controls(what, &out.stdout);
        assert_no_raw_controls(what, &out.stderr);
    }
    let validate = both(&outputs[0].1);
    assert!(
        validate.contains("x\\u{1b}]52;c;aGk=\\u{7}\\u{1b}]0;owned\\u{7}.jsonl"),
        "names are shown escaped: {validate}"
    );
    let report = both(&outputs[4].1);
    assert!(
        report.contains("d\\u{1b}[2J\\u{9b}31m/g0.jsonl"),
        "the report names the invalid line's file: {report}"
    );
    // The run went ahead for g0 (its later messages are staged in that directory).
    assert_eq!(
        outputs[3].1.status.code(),
        Some(1),
        "{}",
        both(&outputs[3].1)
    );
    assert_eq!(sandbox.messages("g0").len(), 3);
}

#[test]
fn names_that_are_not_utf8_are_errors_naming_their_bytes() {
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    write_staging(&staging, 1, 1);
    let body = std::fs::read(staging.join("g0.jsonl")).unwrap();
    for name in [&b"g\xff.jsonl"[..], b"g\xfe.jsonl"] {
        std::fs::write(staging.join(std::ffi::OsStr::from_bytes(name)), &body).unwrap();
    }
    let mut cmd = support::binary::timport_command(home.path());
    cmd.args(["validate", "--offline"]).arg(&staging);
    let out = finishes(cmd);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let shown = both(&out);
    for name in [
        "g\\xff.jsonl: error [not_utf8]",
        "g\\xfe.jsonl: error [not_utf8]",
    ] {
        assert!(shown.contains(name), "{name}: {shown}");
    }
    assert!(!shown.contains('\u{fffd}'), "no lossy group: {shown}");
    assert!(shown.contains("1 target"), "only g0 is a target: {shown}");

    let mut cmd = support::binary::timport_command(home.path());
    cmd.args(["validate", "--offline", "--json"]).arg(&staging);
    let json = finishes(cmd);
    let files: Vec<String> = String::from_utf8(json.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["kind"] == "not_utf8")
        .map(|v| v["file"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(files, ["g\\xfe.jsonl", "g\\xff.jsonl"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_jsonl_is_judged_alike_by_validate_and_run() {
    let sandbox = start(sandbox_config(1)).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("g0.jsonl"), "").unwrap();

    // Alone: nothing to import, for both.
    let mut cmd = support::binary::timport_command(home.path());
    cmd.args(["validate", "--offline"]).arg(&staging);
    let validate = run_to_end(cmd).await;
    assert_eq!(validate.status.code(), Some(2), "{}", both(&validate));
    assert!(
        both(&validate).contains("error [no_messages]"),
        "{}",
        both(&validate)
    );
    assert!(both(&validate).contains("g0.jsonl: warning [empty_file]"));
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&staging).arg("--yes");
    let run = run_to_end(cmd).await;
    assert_eq!(run.status.code(), Some(2), "{}", both(&run));
    assert!(both(&run).contains("no_messages"), "{}", both(&run));

    // Beside a file with messages: a warning for both, and both go ahead.
    write_staging(&staging.join("more"), 1, 2);
    let mut cmd = support::binary::timport_command(home.path());
    cmd.args(["validate", "--offline"]).arg(&staging);
    let validate = run_to_end(cmd).await;
    assert_eq!(validate.status.code(), Some(0), "{}", both(&validate));
    assert!(both(&validate).contains("g0.jsonl: warning [empty_file]"));
    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run").arg(&staging).arg("--yes");
    let run = run_to_end(cmd).await;
    assert_eq!(run.status.code(), Some(0), "{}", both(&run));
    assert_eq!(sandbox.messages("g0").len(), 2);
}

#[test]
fn plan_shows_the_json_error_of_a_broken_file() {
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(
        staging.join("g.json"),
        r#"{"GroupId":"g","MsgList":[{"From_Account":"a","SendTime":1600000000,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}, {"From_Account": ]}"#,
    )
    .unwrap();
    let mut cmd = support::binary::timport_command(home.path());
    cmd.arg("plan").arg(&staging).args(["--group", "g"]);
    let out = finishes(cmd);
    assert_eq!(out.status.code(), Some(2));
    let (_, err) = text(&out);
    assert!(
        err.contains("g.json:1: error [invalid_json]: broken JSON structure: unexpected ']'"),
        "{err}"
    );
}

#[test]
fn the_config_file_and_the_log_are_private() {
    let home = tempfile::tempdir().unwrap();
    let paths = timport::config::Paths::with_overrides(
        Some(home.path().join("config/timport")),
        Some(home.path().join("data/timport")),
    )
    .unwrap();
    let profile = timport::config::Profile {
        admin: Some("administrator".into()),
        ..timport::config::Profile::default()
    };
    timport::config::save_profile(&paths, "prod", &profile, true).unwrap();
    assert_eq!(mode(&home.path().join("config")), 0o700);
    assert_eq!(mode(&paths.config_dir), 0o700);
    assert_eq!(mode(&paths.config_file()), 0o600);

    let log = timport::cli::logging::to_dir(&paths.data_dir).unwrap();
    assert_eq!(log.file, paths.log_file());
    tracing::info!("a line");
    drop(log);
    assert_eq!(mode(&paths.data_dir), 0o700);
    assert_eq!(mode(&paths.log_file()), 0o600);
}
