//! `timport report` through the real binary, on a ledger written by a run of the engine.

mod engine_fakes;
mod run_support;
mod support;

use std::path::Path;

use engine_fakes::*;
use timport::engine::Target;

const T0: i64 = 1_600_000_000;

use run_support::text;
use support::binary::timport_command as timport;

/// A run with a done group, a refused message and an invalid one, in the default ledger place.
async fn a_run(dir: &Path) -> TempLedger {
    let fake = Fake::new();
    fake.refuse_text("a3", 80002);
    let mut b = series("b", T0, 2);
    b.insert(1, invalid(T0, "MsgBody is empty"));
    let source = memory(vec![
        (Target::new("ga", None), series("a", T0, 5)),
        (Target::new("gb", None), b),
    ]);
    let ledger = TempLedger::new();
    let out = run_headless(&fake, &source, &ledger, headless()).await;
    assert_eq!(out.exit(), 1);
    ledger.copy_closed(&dir.join("data/ledger.sqlite3")).await;
    ledger
}

#[tokio::test]
async fn the_report_counts_explains_and_writes_the_failed_messages_back() {
    let dir = tempfile::tempdir().unwrap();
    let _ledger = a_run(dir.path()).await;
    let output = timport(dir.path()).arg("report").output().unwrap();
    let (out, err) = text(&output);
    assert!(output.status.success(), "{out}{err}");
    assert!(out.starts_with("Run 1 of /staging"), "{out}");
    assert!(out.contains("incomplete"), "{out}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.len() == 8 && (w[0] == "ga" || w[0] == "gb"))
        .collect();
    assert_eq!(
        rows,
        [
            ["ga", "paused", "5", "4", "1", "0", "0", "0"],
            ["gb", "paused", "3", "1", "0", "0", "1", "1"]
        ],
        "{out}"
    );
    assert!(out.contains("ga is paused: 80002: "), "{out}");
    assert!(
        out.contains("Failed (1):\n  ga ga.jsonl line 4: 80002 "),
        "{out}"
    );
    assert!(
        out.contains("Invalid (1):\n  gb gb.jsonl line 2: "),
        "{out}"
    );

    let json = timport(dir.path())
        .args(["report", "1", "--json"])
        .output()
        .unwrap();
    assert!(json.status.success());
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["run_id"], 1);
    assert_eq!(value["totals"]["done"], 5);
    assert_eq!(value["attention"][0]["code"], 80002);

    let failed = dir.path().join("failed.jsonl");
    let output = timport(dir.path())
        .args(["report", "--failed-out"])
        .arg(&failed)
        .output()
        .unwrap();
    let (_, err) = text(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("wrote 2 failed or invalid message(s)"),
        "{err}"
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&failed)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["GroupId"], "ga");
    assert_eq!(lines[0]["MsgBody"][0]["MsgContent"]["Text"], "a3");
    assert_eq!(lines[1]["GroupId"], "gb");
}

#[tokio::test]
async fn a_named_ledger_and_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = a_run(dir.path()).await;
    let elsewhere = tempfile::tempdir().unwrap();
    let output = timport(elsewhere.path())
        .args(["report", "--ledger"])
        .arg(&ledger.path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));

    let missing = timport(elsewhere.path()).arg("report").output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing).1.contains("no run has used this ledger yet"),
        "{:?}",
        text(&missing)
    );

    let bad = timport(dir.path())
        .args(["report", "last"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad).1.contains("RUN must be a run number"),
        "{:?}",
        text(&bad)
    );

    let none = timport(dir.path()).args(["report", "7"]).output().unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none).1.contains("no run 7"), "{:?}", text(&none));
}

#[tokio::test]
async fn asked_for_a_run_that_does_not_exist_the_report_lists_the_runs_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let _ledger = a_run(dir.path()).await;
    let output = timport(dir.path()).args(["report", "7"]).output().unwrap();
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}{err}");
    assert!(err.contains("the ledger has no run 7"), "{err}");
    assert!(
        err.contains("the runs it has (timport report RUN):"),
        "{err}"
    );
    let listed: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("  1  started "))
        .collect();
    assert_eq!(listed.len(), 1, "{err}");
    assert!(listed[0].ends_with(", incomplete, /staging"), "{err}");
}

#[tokio::test]
async fn the_latest_run_of_a_staging_is_found_by_its_root() {
    use timport::engine::report::read_latest_of;
    let dir = tempfile::tempdir().unwrap();
    let _ledger = a_run(dir.path()).await;
    let path = dir.path().join("data/ledger.sqlite3");
    let report = read_latest_of(&path, Path::new("/staging"))
        .expect("readable")
        .expect("a run of /staging");
    assert_eq!(report.run_id, 1);
    let done: u64 = report.targets.iter().map(|t| t.counts.done).sum();
    assert_eq!(done, 5, "{:?}", report.targets);
    assert!(
        read_latest_of(&path, Path::new("/elsewhere"))
            .expect("readable")
            .is_none()
    );
    assert!(
        read_latest_of(&dir.path().join("none.sqlite3"), Path::new("/staging"))
            .expect("no ledger is no run")
            .is_none()
    );
}
