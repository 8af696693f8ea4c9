//! `timport sandbox`, the real binary: it prints where it listens, answers signed requests, takes
//! its identity from flags over the seed, refuses bad input with exit code 2, and never shows
//! the secret key or a UserSig.

mod common;
mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{DEMO_KEY, Raw, key};
use support::binary::timport_command;

/// Starts `timport sandbox ARGS` (isolated) with the demo key in the environment, and returns
/// the child with its first stdout line.
fn spawn(args: &[&str]) -> (Child, String) {
    let home = tempfile::tempdir().expect("temp dir");
    let mut child = timport_command(home.path())
        .arg("sandbox")
        .args(args)
        .env("TIMPORT_SECRET_KEY", DEMO_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("timport runs");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the sandbox prints its address");
    (child, line)
}

/// Runs `timport sandbox ARGS` (isolated) expecting it to stop on its own; returns (exit code,
/// stderr).
fn run_to_end(args: &[&str], env_key: bool) -> (Option<i32>, String) {
    let home = tempfile::tempdir().expect("temp dir");
    let mut cmd = timport_command(home.path());
    cmd.arg("sandbox").args(args);
    if env_key {
        cmd.env("TIMPORT_SECRET_KEY", DEMO_KEY);
    }
    let out = cmd.output().expect("timport runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stop(mut child: Child) -> String {
    child.kill().expect("kill");
    child.wait().expect("wait");
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr).expect("stderr");
    }
    stderr
}

fn url_of(line: &str) -> String {
    let start = line
        .find("http://")
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    line[start..]
        .split_whitespace()
        .next()
        .expect("url")
        .to_owned()
}

#[test]
fn it_prints_its_address_and_answers_a_signed_request() {
    let (child, line) = spawn(&["--listen", "127.0.0.1:0"]);
    assert!(
        line.starts_with("timport sandbox listening on http://127.0.0.1:")
            && line
                .trim_end()
                .ends_with("(sdkappid 1400000000, admin administrator)"),
        "{line:?}"
    );
    let base = url_of(&line);
    let port: u16 = base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {base}"));
    assert_ne!(port, 0, "the port it was given, not the 0 it was asked for");
    let raw = Raw {
        http: reqwest::Client::new(),
        base,
        sdkappid: 1_400_000_000,
        admin: "administrator".into(),
        key: key(),
    };
    let query = raw.query();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let answer = runtime.block_on(raw.raw(
        "POST",
        &format!("/v4/im_open_login_svc/account_check?{query}"),
        r#"{"CheckItem":[{"UserID":"nobody"}]}"#,
    ));
    let body = answer.expect_code(0);
    assert_eq!(body["ResultItem"][0]["AccountStatus"], "NotImported");
    let stderr = stop(child);
    assert!(
        stderr.contains("account_check"),
        "a line per request: {stderr}"
    );
    let sig = query
        .split('&')
        .find_map(|p| p.strip_prefix("usersig="))
        .expect("usersig in query");
    assert!(!stderr.contains(sig), "the UserSig leaked: {stderr}");
    assert!(!stderr.contains(DEMO_KEY), "the key leaked: {stderr}");
}

#[test]
fn flags_win_over_the_seed_which_wins_over_the_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"sdkappid": 1400000042, "admin": "seeded", "groups": [
            {"id": "g", "type": "Public", "name": "G", "create_time": 1600000000}]}"#,
    )
    .expect("write seed");
    let seed = seed.to_str().expect("utf-8 path");
    let (child, line) = spawn(&["--listen", "127.0.0.1:0", "--seed", seed]);
    assert!(
        line.contains("(sdkappid 1400000042, admin seeded)"),
        "{line:?}"
    );
    stop(child);
    let (child, line) = spawn(&["--listen", "127.0.0.1:0", "--seed", seed, "--admin", "root"]);
    assert!(
        line.contains("(sdkappid 1400000042, admin root)"),
        "{line:?}"
    );
    stop(child);
}

#[test]
fn a_seed_that_breaks_the_rules_is_refused_with_its_file_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = dir.path().join("bad-seed.json");
    std::fs::write(
        &seed,
        r#"{"groups": [{"id": "g", "type": "Square", "name": "G", "create_time": 1600000000}]}"#,
    )
    .expect("write seed");
    let (code, stderr) = run_to_end(
        &["--listen", "127.0.0.1:0", "--seed", seed.to_str().unwrap()],
        true,
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("bad-seed.json") && stderr.contains("groups[0].type"),
        "{stderr}"
    );
}

#[test]
fn without_a_key_it_says_where_to_put_one() {
    let (code, stderr) = run_to_end(&["--listen", "127.0.0.1:0"], false);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("TIMPORT_SECRET_KEY"), "{stderr}");
}

#[test]
fn bad_fault_options_and_addresses_are_refused() {
    for args in [
        &["--listen", "127.0.0.1:0", "--fault-kinds", "explode"][..],
        &["--listen", "127.0.0.1:0", "--fault-rate", "1.5"],
        &[
            "--listen",
            "127.0.0.1:0",
            "--fault-command",
            "send_everything",
        ],
        &["--listen", "not-an-address"],
        &["--listen", "127.0.0.1"],
    ] {
        let (code, stderr) = run_to_end(args, true);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("timport sandbox: "), "{stderr}");
    }
}

#[test]
fn strict_time_is_read_one_way_at_a_time() {
    let (code, stderr) = run_to_end(
        &[
            "--listen",
            "127.0.0.1:0",
            "--strict-time",
            "--strict-time-per-message",
        ],
        true,
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
