//! Answers the API page describes, through the real binary against the sandbox: a request that
//! carries `RecentContactFlag` to a Community group is refused by the service (10004, "not
//! supported for Community groups"); the lane stops at once with that reason, after one
//! request, and no message is marked failed.

mod run_support;
mod support;

use std::process::Stdio;

use run_support::*;
use serde_json::json;
use timport::clock::unix_now;
use timport::sandbox::{SandboxConfig, Seed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_contact_flag_to_a_community_group_stops_its_lane_at_once_with_the_reason() {
    let now = unix_now();
    let seed = Seed::parse(
        &json!({"groups": [
            {"id": "@TGS#_club", "type": "Community", "name": "Club", "create_time": now - 1_000_000},
        ]})
        .to_string(),
        now,
    )
    .unwrap();
    let sandbox =
        start(SandboxConfig::new(timport::api::SecretKey::new(KEY)).with_seed(seed)).await;
    let home = tempfile::tempdir().unwrap();
    let staging = home.path().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    let t0 = BASE_TIME;
    let msgs: Vec<_> = (0..20)
        .map(|i| json!({"From_Account": "u1", "SendTime": t0 + i,
                        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("m{i}")}}]}))
        .collect();
    std::fs::write(
        staging.join("club.json"),
        json!({"GroupId": "@TGS#_club", "RecentContactFlag": 1, "MsgList": msgs}).to_string(),
    )
    .unwrap();

    let mut cmd = timport(home.path(), &sandbox);
    cmd.arg("run")
        .arg(&staging)
        .args(["--yes", "--json"])
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("@TGS#_club: stopped: 10004")
            && err.contains("RecentContactFlag is not supported for Community groups"),
        "{err}"
    );
    assert!(
        !err.contains("send time"),
        "not a time-related reason: {err}"
    );
    assert_eq!(
        sandbox.stats().requests.get("import_group_msg").copied(),
        Some(1),
        "one request, then the lane stopped"
    );
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let totals = &last["summary"]["totals"];
    assert_eq!(
        (totals["failed"].as_u64(), totals["done"].as_u64()),
        (Some(0), Some(0)),
        "{last}"
    );
}
