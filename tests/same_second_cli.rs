//! `--same-second` through the real binary: `validate` and `plan` say per group how many
//! messages sit in bursts (more than 7 in one second) and what `keep` and `spread` do with them
//! (`plan` shows the moved times, `--json` carries both); the setting comes from the flag, then
//! `TIMPORT_SAME_SECOND`, then the profile; `run --same-second spread` against a sandbox strict
//! about equal times imports every message, and `report` lists the moves; a run resumes only
//! with the policy it began with; spreading that would reach "now" is refused.

mod run_support;
mod support;

use std::path::Path;

use run_support::{BASE_TIME, start, text, timport};
use serde_json::{Value, json};
use support::binary::timport_command;
use timport::clock::unix_now;
use timport::sandbox::StrictTime;

/// `g0.jsonl`: one message at `t - 5`, 12 at `t`, 3 at `t + 1`, one at `t + 5`.
fn stage(dir: &Path, t: i64) -> Vec<i64> {
    let mut times = vec![t - 5];
    times.extend([t; 12]);
    times.extend([t + 1; 3]);
    times.push(t + 5);
    write(dir, &times);
    times
}

fn write(dir: &Path, times: &[i64]) {
    std::fs::create_dir_all(dir).unwrap();
    let lines: Vec<String> = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({"From_Account": "alice", "SendTime": t,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("m{}", i + 1)}}]})
            .to_string()
        })
        .collect();
    std::fs::write(dir.join("g0.jsonl"), lines.join("\n") + "\n").unwrap();
}

/// `timport ARGS STAGING` in `home`'s clean environment: (exit code, stdout, stderr).
fn cli(home: &Path, args: &[&str], staging: &Path) -> (Option<i32>, String, String) {
    let output = timport_command(home)
        .args(args)
        .arg(staging)
        .output()
        .unwrap();
    let (out, err) = text(&output);
    (output.status.code(), out, err)
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn validate_says_what_each_policy_does_with_the_bursts() {
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let t = BASE_TIME;
    stage(&staging, t);
    let (code, out, err) = cli(home.path(), &["validate", "--offline"], &staging);
    assert_eq!(code, Some(0), "{out}{err}");
    // 12 at t: keep splits 7 + 5 (5 refusable); spread moves 5 to t+1, which then holds 8:
    // the last one staged there moves on to t+2.
    assert!(
        out.contains("  bursts: 1 second holds more than 7 messages (12 messages in bursts): keep (chosen) sends them at their SendTime, split across requests, so a strict service refuses 5 messages; spread moves 6 messages forward by up to 1 s, so none is refused\n"),
        "{out}"
    );

    let (code, out, err) = cli(
        home.path(),
        &["validate", "--offline", "--json", "--same-second", "spread"],
        &staging,
    );
    assert_eq!(code, Some(0), "{out}{err}");
    let lines = json_lines(&out);
    let target = lines.iter().find(|l| l["event"] == "target").unwrap();
    assert_eq!(
        target["bursts"],
        json!({"request": 7, "seconds": 1, "messages": 12, "keep_refusable": 5,
               "spread_moved": 6, "spread_largest_shift": 1, "spread_latest": t + 2})
    );
    let moved: Vec<(i64, i64, i64)> = lines
        .iter()
        .filter(|l| l["event"] == "moved")
        .map(|l| {
            assert_eq!(
                (l["group"].as_str(), l["file"].as_str()),
                (Some("g0"), Some("g0.jsonl"))
            );
            (
                l["line"].as_i64().unwrap(),
                l["staged_send_time"].as_i64().unwrap(),
                l["send_time"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        moved,
        [
            (9, t, t + 1),
            (10, t, t + 1),
            (11, t, t + 1),
            (12, t, t + 1),
            (13, t, t + 1),
            (16, t + 1, t + 2)
        ]
    );
    let summary = lines.last().unwrap();
    assert_eq!(summary["same_second"], "spread");
    assert_eq!(summary["importable"], true);
}

#[test]
fn the_setting_comes_from_the_flag_then_the_variable_then_the_profile() {
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    stage(&staging, BASE_TIME);
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/config.toml"),
        "default_profile = \"p\"\n[profiles.p]\nsame_second = \"spread\"\n",
    )
    .unwrap();
    let chosen = |extra: &[&str], env: Option<&str>| {
        let mut cmd = timport_command(home.path());
        cmd.args(["validate", "--offline", "--json"]).args(extra);
        if let Some(v) = env {
            cmd.env("TIMPORT_SAME_SECOND", v);
        }
        let output = cmd.arg(&staging).output().unwrap();
        let (out, err) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{out}{err}");
        json_lines(&out).last().unwrap()["same_second"].clone()
    };
    assert_eq!(chosen(&[], None), "spread", "the profile");
    assert_eq!(
        chosen(&[], Some("keep")),
        "keep",
        "the variable over the profile"
    );
    assert_eq!(
        chosen(&["--same-second", "spread"], Some("keep")),
        "spread",
        "the flag over the variable"
    );
    let (code, _, err) = cli(
        home.path(),
        &["validate", "--offline", "--same-second", "later"],
        &staging,
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("'later' is not keep or spread"), "{err}");
}

#[test]
fn plan_shows_the_moved_times_and_json_carries_both() {
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let t = BASE_TIME;
    stage(&staging, t);
    let (code, out, err) = cli(
        home.path(),
        &["plan", "--group", "g0", "--same-second", "spread"],
        &staging,
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains(
            "\nbursts: 1 second holds more than 7 messages (12 messages in bursts): keep sends them"
        ),
        "{out}"
    );
    assert!(out.contains("spread (chosen) moves 6 messages"), "{out}");
    let at = |s: i64| timport::clock::format_unix(s);
    assert!(
        out.contains(&format!("# g0.jsonl:9 {} alice Random ", at(t + 1)))
            && out.contains(&format!(", moved from {} (+1 s)\n", at(t))),
        "{out}"
    );
    assert!(
        out.contains(&format!(", moved from {} (+1 s)\n", at(t + 1))),
        "{out}"
    );
    // Requests: t-5 alone (7 at t would not fit with it), 7 at t, 7 at t+1, then t+2 and t+5.
    assert!(out.contains("g0: 17 messages in 4 requests"), "{out}");

    let (code, out, err) = cli(
        home.path(),
        &["plan", "--group", "g0", "--same-second", "spread", "--json"],
        &staging,
    );
    assert_eq!(code, Some(0), "{out}{err}");
    let bodies = json_lines(&out);
    let sent: Vec<i64> = bodies
        .iter()
        .flat_map(|b| b["MsgList"].as_array().unwrap().clone())
        .map(|m| m["SendTime"].as_i64().unwrap())
        .collect();
    let mut want = vec![t - 5];
    want.extend([t; 7]);
    want.extend([t + 1; 7]);
    want.extend([t + 2, t + 5]);
    assert_eq!(sent, want);
    assert!(
        err.contains(&format!(
            "g0.jsonl:9: moved: SendTime {t} -> {} (+1 s, --same-second spread)",
            t + 1
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "g0.jsonl:16: moved: SendTime {} -> {} (+1 s, --same-second spread)",
            t + 1,
            t + 2
        )),
        "{err}"
    );
    // Keep: the same bodies as before, no move.
    let (_, out, err) = cli(home.path(), &["plan", "--group", "g0", "--json"], &staging);
    assert!(!err.contains("moved"), "{err}");
    let times: Vec<i64> = json_lines(&out)
        .iter()
        .flat_map(|b| b["MsgList"].as_array().unwrap().clone())
        .map(|m| m["SendTime"].as_i64().unwrap())
        .collect();
    let mut staged = vec![t - 5];
    staged.extend([t; 12]);
    staged.extend([t + 1; 3]);
    staged.push(t + 5);
    assert_eq!(times, staged);
}

#[tokio::test]
async fn run_spreads_against_strict_time_and_report_lists_the_moves() {
    let mut config = run_support::sandbox_config(1);
    config.strict_time = StrictTime::AcrossRequests;
    let sandbox = start(config).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let t = BASE_TIME;
    let times = stage(&staging, t);

    let run = |policy: &'static str| {
        let mut cmd = timport(home.path(), &sandbox);
        cmd.args(["run", "--yes", "--same-second", policy])
            .arg(&staging);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let output = run("spread").await.unwrap();
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{err}");
    let stored = sandbox.messages("g0");
    assert_eq!(stored.len(), times.len());
    assert!(!sandbox.stats().message_refusals.contains_key(&10004));
    let texts: Vec<String> = stored.iter().map(|m| m.body[0].summary()).collect();
    let want: Vec<String> = (1..=times.len()).map(|i| format!("m{i}")).collect();
    assert_eq!(texts, want);

    let output = timport_command(home.path()).arg("report").output().unwrap();
    let (out, err) = text(&output);
    assert!(output.status.success(), "{out}{err}");
    assert!(
        out.contains("Moved by --same-second spread (sent later than staged, each recorded with both times):\n  g0: 6 messages (6 in the group), largest shift 1 s\n"),
        "{out}"
    );
    let output = timport_command(home.path())
        .args(["report", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["moved"],
        json!([{"target": {"group": "g0"}, "messages": 6, "done": 6, "largest_shift": 1}])
    );

    // Verifying reads each moved message at the time it was sent: nothing differs.
    let mut verify = timport(home.path(), &sandbox);
    verify.arg("verify");
    let output = tokio::task::spawn_blocking(move || verify.output().unwrap())
        .await
        .unwrap();
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{err}");

    // The sign-off report lists them too.
    let signoff = home.path().join("signoff.md");
    let output = timport_command(home.path())
        .args(["report", "--markdown"])
        .arg(&signoff)
        .output()
        .unwrap();
    let (out, err) = text(&output);
    assert!(output.status.success(), "{out}{err}");
    let page = std::fs::read_to_string(&signoff).unwrap();
    let section = page
        .split("Messages sent later than staged")
        .nth(1)
        .unwrap_or_else(|| panic!("no moved section:\n{page}"));
    assert!(section.contains("| g0 | 6 | 6 | 1 |"), "{section}");

    // The run keeps its policy: resuming it with keep is refused, naming the one to use.
    let output = run("keep").await.unwrap();
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}{err}");
    assert!(err.contains("was begun with --same-second spread"), "{err}");
}

#[test]
fn spreading_up_to_now_is_refused_by_validate_plan_and_run() {
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    // 420 messages 30 s ago: spread would need 60 seconds.
    let t = unix_now() - 30;
    write(&staging, &vec![t; 420]);
    let (code, out, err) = cli(
        home.path(),
        &["validate", "--offline", "--same-second", "spread"],
        &staging,
    );
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.contains("which is not earlier than now"), "{out}");
    assert!(
        out.contains("Not importable with --same-second spread"),
        "{out}"
    );
    // Keep validates (its strict-time cost is said).
    let (code, out, _) = cli(home.path(), &["validate", "--offline"], &staging);
    assert_eq!(code, Some(0), "{out}");

    let (code, out, err) = cli(
        home.path(),
        &["plan", "--group", "g0", "--same-second", "spread"],
        &staging,
    );
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("which is not earlier than now"), "{err}");

    let run = timport_command(home.path())
        .env("TIMPORT_SECRET_KEY", run_support::KEY)
        .args([
            "run",
            "--yes",
            "--sdkappid",
            "1",
            "--admin",
            "a",
            "--same-second",
            "spread",
        ])
        .arg("--endpoint")
        .arg(format!("http://{}", support::binary::closed_port()))
        .arg(&staging)
        .output()
        .unwrap();
    let (out, err) = text(&run);
    assert_eq!(run.status.code(), Some(2), "{out}{err}");
    assert!(err.contains("which is not earlier than now"), "{err}");
}

/// `timport run --yes` with `extra` against `sandbox` in `home`: (exit code, stderr).
async fn run_in(
    home: &Path,
    sandbox: &timport::sandbox::SandboxHandle,
    staging: &Path,
    extra: &[&str],
) -> (Option<i32>, String) {
    let mut cmd = timport(home, sandbox);
    cmd.args(["run", "--yes"])
        .args(extra)
        .arg(staging)
        .stdin(std::process::Stdio::null());
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let (out, err) = text(&output);
    (output.status.code(), out + &err)
}

async fn strict_sandbox() -> timport::sandbox::SandboxHandle {
    let mut config = run_support::sandbox_config(1);
    config.strict_time = StrictTime::AcrossRequests;
    start(config).await
}

/// The reproduction: staged data full of bursts (20 seconds holding 10 messages each,
/// between single messages) against a strict service with `--on-message-error skip`. `keep`
/// skips the tail of every burst (3 of each 10, as before); `spread` imports every message in
/// order, nothing refused or skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_against_strict_time_with_skip_lose_their_tails_under_keep_and_nothing_under_spread()
{
    let t = BASE_TIME;
    let mut times = Vec::new();
    for b in 0..20 {
        times.extend([t + 10 * b; 10]);
        times.push(t + 10 * b + 5);
    }
    for (policy, code, skipped) in [("keep", 1, 60), ("spread", 0, 0)] {
        let sandbox = strict_sandbox().await;
        let home = tempfile::tempdir().unwrap();
        let staging = home.path().join("staging");
        write(&staging, &times);
        let (got, err) = run_in(
            home.path(),
            &sandbox,
            &staging,
            &["--on-message-error", "skip", "--same-second", policy],
        )
        .await;
        assert_eq!(got, Some(code), "{policy}: {err}");
        let stored: Vec<String> = sandbox
            .messages("g0")
            .iter()
            .map(|m| m.body[0].summary())
            .collect();
        assert_eq!(stored.len(), times.len() - skipped, "{policy}");
        let refused = sandbox
            .stats()
            .message_refusals
            .get(&10004)
            .copied()
            .unwrap_or(0);
        assert_eq!(refused as usize, skipped, "{policy}");
        // What landed is in staged order; under keep what is missing is each burst's tail.
        let lines: Vec<usize> = stored
            .iter()
            .map(|s| s.trim_start_matches('m').parse().unwrap())
            .collect();
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "{policy}: {lines:?}");
        let missing: Vec<usize> = (1..=times.len()).filter(|l| !lines.contains(l)).collect();
        let tails: Vec<usize> = (0..20)
            .flat_map(|b| [11 * b + 8, 11 * b + 9, 11 * b + 10])
            .collect();
        assert_eq!(
            missing,
            if skipped == 0 { Vec::new() } else { tails },
            "{policy}"
        );
    }
}

/// Issue 9's "fix the file and run again" with `spread` against strict time: a truncated line
/// in a burst's overflow stops the lane there (the 7 messages of its second before it landed);
/// fixed in the file, the same command lands the rest in order, the fixed line moved like the
/// overflow it belongs to, nothing refused for its time. (A fixed line in a second that already
/// landed in an earlier request cannot go in at that second: docs/ordering.md.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_line_inside_a_burst_fixed_in_the_file_lands_everything_under_spread() {
    let sandbox = strict_sandbox().await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    let t = BASE_TIME;
    let mut times = vec![t - 5];
    times.extend([t; 12]);
    times.push(t + 5);
    write(&staging, &times);
    let file = staging.join("g0.jsonl");
    // Line 9 (the 8th message at t) cut off inside its MsgBody.
    let whole = run_support::truncate_line(&file, 8);
    let spread = ["--same-second", "spread", "--on-message-error", "pause"];
    let (code, err) = run_in(home.path(), &sandbox, &staging, &spread).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("g0: stopped at g0.jsonl line 9"), "{err}");
    let texts = |s: &timport::sandbox::SandboxHandle| -> Vec<String> {
        s.messages("g0")
            .iter()
            .map(|m| m.body[0].summary())
            .collect()
    };
    let first: Vec<String> = (1..=8).map(|i| format!("m{i}")).collect();
    assert_eq!(texts(&sandbox), first);

    run_support::restore_line(&file, 8, whole);
    let (code, err) = run_in(home.path(), &sandbox, &staging, &spread).await;
    assert_eq!(code, Some(0), "{err}");
    let want: Vec<String> = (1..=times.len()).map(|i| format!("m{i}")).collect();
    assert_eq!(texts(&sandbox), want, "every line once, in order");
    let sent: Vec<i64> = sandbox.messages("g0").iter().map(|m| m.time).collect();
    let mut at = vec![t - 5];
    at.extend([t; 7]);
    at.extend([t + 1; 5]);
    at.push(t + 5);
    assert_eq!(sent, at);
    assert!(
        sandbox.stats().message_refusals.is_empty(),
        "nothing refused: {:?}",
        sandbox.stats()
    );
}
