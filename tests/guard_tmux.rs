//! Reproduction 1 of issue 9 through the real binary in a real terminal (tmux, a server of its
//! own): the console imports the demo's `eng-core` group (its first 380 lines) into a sandbox
//! with strict time. The lane stops at line 201 (broken JSON) once lines 1-200 are in; the
//! operator opens it, completes the line (its SendTime, 2023-01-16, is later than the lines
//! after it) and retries it edited. Before the fix the fixed message landed first and lines
//! 1-200 were refused for ever; now it waits for the lines before it in time and nothing is
//! refused. tmux is required (CI installs it).

mod run_support;
mod support;
mod tmux_support;

use run_support::{KEY, key_file_env, start};
use serde_json::json;
use timport::clock::unix_now;
use timport::sandbox::{SandboxConfig, Seed};
use tmux_support::Tmux;

/// The demo's eng-core lines 1-380 (line 201 is the broken one).
fn stage(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/staging");
    let text = std::fs::read_to_string(demo.join("eng-core.jsonl")).expect("the demo's file");
    let lines: Vec<&str> = text.lines().take(380).collect();
    assert!(
        lines[200].ends_with("\"MsgBody\": ["),
        "line 201 is the broken one"
    );
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("eng-core.jsonl"), lines.join("\n") + "\n").unwrap();
    lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_fixed_in_the_inspector_goes_in_at_its_time_and_costs_nothing() {
    let now = unix_now();
    let seed = json!({"groups": [{"id": "eng-core", "type": "Private", "name": "Engineering core",
        "create_time": 1_669_852_800}]});
    let mut config = SandboxConfig::new(timport::api::SecretKey::new(KEY))
        .with_seed(Seed::parse(&seed.to_string(), now).expect("seed"));
    config.strict_time = timport::sandbox::StrictTime::AcrossRequests;
    let sandbox = start(config).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let staging = dir.path().join("staging");
    let valid = stage(&staging);
    let env = key_file_env(&sandbox, dir.path());
    let args = format!("--staging {}", staging.display());
    let screens = tokio::task::spawn_blocking(move || {
        let t = Tmux::start_with(&env, &args);
        t.import_all("Groups · 1 in the app", &[]);
        let paused = t.wait_for("200/380");
        t.wait_for("paused at eng-core.jsonl line 201");
        // Enter on the lane, e, complete the line, Esc, R.
        t.keys(&["Enter"]);
        t.wait_for("Message as staged");
        // The explanation names the point of no return (this wait is the check: the first
        // capture with the inspector's title may catch the screen mid-redraw).
        t.wait_for("Newest message landed in this group");
        // The staged text is read on a worker: `e` edits once it is in the left pane.
        t.wait_for("│{\"From_Account\": \"tom.b\"");
        t.keys(&["e"]);
        t.wait_for("Message · editing");
        t.keys(&["End"]);
        t.keys(&[
            "-l",
            r#"{"MsgType": "TIMTextElem", "MsgContent": {"Text": "fixed by hand"}}]}"#,
        ]);
        t.keys(&["Escape"]);
        t.wait_for("Message · edited");
        t.keys(&["R"]);
        let done = t.wait_for("Run 1 finished");
        (paused, done)
    })
    .await
    .expect("the terminal session");
    let (paused, done) = screens;
    assert!(paused.contains("200/380"), "{paused}");
    assert!(done.contains("380/380"), "{done}");

    // The group holds every line once, in time order, the fixed one between the last line
    // before 2023-01-16 20:53:20 and the first after it; nothing was refused.
    let stored = sandbox.messages("eng-core");
    assert_eq!(stored.len(), 380);
    let times: Vec<i64> = stored.iter().map(|m| m.time).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "in order: {times:?}");
    let fixed = stored
        .iter()
        .position(|m| m.body[0].summary() == "fixed by hand")
        .expect("the fixed line is in");
    assert_eq!(stored[fixed].time, 1_673_900_000);
    let before = valid
        .iter()
        .filter(|v| v["SendTime"].as_i64().is_some_and(|t| t < 1_673_900_000))
        .count();
    assert_eq!(fixed, before, "after every line older than it");
    assert!(
        sandbox.stats().message_refusals.is_empty(),
        "{:?}",
        sandbox.stats()
    );
}
