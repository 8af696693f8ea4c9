//! The sign-off report (`timport report --html FILE` / `--markdown FILE`): a hand-made ledger
//! with hostile names, reasons and bodies (`<script>` everywhere) rendered into HTML and
//! Markdown that are checked in insta snapshots (times fixed in the ledger, so nothing volatile
//! is left); and the real binary writing the report of a verified run.

mod run_support;
mod support;
mod verify_support;

use std::path::Path;

use serde_json::json;
use timport::api::catalogue::{explain, explain_message_result};
use timport::engine::Target;
use timport::engine::events::{Failure, SourceRef};
use timport::engine::ledger::decisions::{self, DecidedBy, DecisionRecord};
use timport::engine::ledger::messages::{Mark, MessageMeta};
use timport::engine::ledger::schema::open_for_reading;
use timport::engine::ledger::verify as records;
use timport::engine::ledger::{Ledger, LedgerError, RunStatus, requests, runs, targets};
use timport::engine::signoff::SignOff;
use timport::engine::verify::{
    Finding, FindingKind, MessageView, TargetVerifyState, VerifyCounts, VerifyStatus,
};

const HOSTILE: &str = "<script>alert('x')</script>";
/// 2023-11-14 22:13:20 UTC.
const T0: i64 = 1_700_000_000_000;

fn meta(file: &str, line: u32, text: &str) -> (MessageMeta, String) {
    let time = 1_690_000_000 + i64::from(line);
    let meta = MessageMeta {
        source: SourceRef {
            file: file.into(),
            line,
            offset: u64::from(line) * 100,
            item: 0,
        },
        from_account: Some("alice".into()),
        send_time: Some(time),
        random: Some(line),
        fingerprint: None,
        sent_time: None,
    };
    let body = json!({"From_Account": "alice", "SendTime": time, "Random": line,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]})
    .to_string();
    (meta, body)
}

/// A run of two groups (one named with markup), with landings, a failure, skips by the
/// operator and by the policy, a retried request, and a verification with findings; every
/// time fixed.
fn hand_made(path: &Path) {
    let ledger = Ledger::open(path).unwrap();
    ledger
        .call_blocking(|c| {
            let options = r#"{"endpoint":"https://adminapisgp.im.qcloud.com","sdkappid":1400000000,"admin":"administrator","rate":180,"lanes":32,"on_message_error":"pause","retry_failed":false}"#;
            let run = runs::create_run(c, "/srv/migration/staging", options, &[])?.id;
            let g = targets::ensure_target(c, run, &Target::new("support-desk", None), 6, 2)?;
            let h = targets::ensure_target(c, run, &Target::new(HOSTILE, None), 2, 1)?;
            // support-desk: 4 landed in 2 requests (the first refused once with 60007), 1
            // failed (80002), 1 skipped by the operator.
            let batch1: Vec<_> = (1..=3).map(|l| meta("support-desk.jsonl", l, "hi").0).collect();
            let r = requests::begin(c, g, 0, 1, b"{}", &batch1)?;
            let refused = Failure::from_explanation(explain(60007), "limit");
            requests::record(c, g, &[r], requests::state::NOT_APPLIED, Some(&refused.line()),
                &batch1.iter().map(|m| (m.clone(), Mark::Pending)).collect::<Vec<_>>())?;
            let r = requests::begin(c, g, 0, 2, b"{}", &batch1)?;
            let done: Vec<_> = batch1.iter().enumerate()
                .map(|(i, m)| (m.clone(), Mark::Done { msg_seq: i as u64 + 1, msg_time: 1_690_000_001 + i as i64 }))
                .collect();
            requests::record(c, g, &[r], requests::state::DONE, None, &done)?;
            let batch2: Vec<_> = (4..=5).map(|l| meta("support-desk.jsonl", l, HOSTILE)).collect();
            let metas: Vec<_> = batch2.iter().map(|(m, _)| m.clone()).collect();
            let r = requests::begin(c, g, 1, 1, b"{}", &metas)?;
            let too_big = Failure::from_explanation(explain_message_result(80002), "");
            requests::record(c, g, &[r], requests::state::DONE, None, &[
                (metas[0].clone(), Mark::Done { msg_seq: 4, msg_time: 1_690_000_004 }),
                (metas[1].clone(), Mark::Failed { failure: too_big, body: batch2[1].1.clone() }),
            ])?;
            let (skipped, _) = meta("support-desk.jsonl", 6, "spam");
            decisions::record(c, g, &DecisionRecord {
                message: Some(skipped),
                decision: "skip",
                by: DecidedBy::Operator,
                reason: Some(format!("duplicate of line 2 {HOSTILE}")),
                edited_body: None,
                mark: Some(Mark::Skipped { reason: format!("duplicate of line 2 {HOSTILE}") }),
                operator: Some("ops@desk".into()),
            })?;
            // The hostile group: both skipped by the policy.
            for line in 1..=2 {
                let (m, _) = meta("evil.jsonl", line, "x");
                decisions::record(c, h, &DecisionRecord {
                    message: Some(m),
                    decision: "auto_skip",
                    by: DecidedBy::Policy,
                    reason: Some("10004: the send time is not allowed".into()),
                    edited_body: None,
                    mark: Some(Mark::Skipped { reason: "10004: the send time is not allowed".into() }),
                    operator: None,
                })?;
            }
            runs::finish_run(c, run, RunStatus::Incomplete)?;

            // A verification: line 3 changed (<script> in the found body), an extra message.
            let (v, _) = records::start(c, run, "[]", false)?;
            let mut p = records::TargetProgress {
                state: TargetVerifyState::Reading,
                first_seq: Some(1),
                next_seq: 1,
                end_seq: 5,
                last_time: None,
                counts: VerifyCounts { expected: 4, reads: 2, ..VerifyCounts::default() },
                error: None,
            };
            records::begin_target(c, v.id, g, &p)?;
            let view = |text: &str, seq| MessageView {
                from_account: "alice".into(),
                send_time: 1_690_000_003,
                random: Some(3),
                msg_seq: Some(seq),
                body: json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]),
            };
            let findings = vec![
                Finding {
                    kind: FindingKind::Changed,
                    target: Target::new("support-desk", None),
                    source: Some(SourceRef { file: "support-desk.jsonl".into(), line: 3, offset: 300, item: 0 }),
                    msg_seq: Some(3),
                    differs: vec!["MsgBody".into()],
                    staged: Some(view("hi", 3)),
                    found: Some(view(HOSTILE, 3)),
                    note: "found at MsgSeq 3 with another MsgBody".into(),
                },
                Finding {
                    kind: FindingKind::Extra,
                    target: Target::new("support-desk", None),
                    source: None,
                    msg_seq: Some(5),
                    differs: Vec::new(),
                    staged: None,
                    found: Some(MessageView { from_account: "<b>mallory</b>".into(), ..view("late", 5) }),
                    note: "not from this run: sent by <b>mallory</b> at 2023-07-22 04:26:43 UTC (SendTime 1690000003)".into(),
                },
            ];
            p.state = TargetVerifyState::Done;
            p.next_seq = 6;
            p.counts.verified = 3;
            p.counts.changed = 1;
            p.counts.extra = 1;
            records::record_window(c, v.id, g, &p, &findings)?;
            records::finish(c, v.id, VerifyStatus::Done, 1)?;
            // Every time fixed: the run, its requests (a pace), decisions, the verification.
            c.execute_batch(&format!(
                "UPDATE runs SET started_at = {T0}, finished_at = {T0} + 60000;
                 UPDATE requests SET sent_at = {T0} + id * 7000;
                 UPDATE decisions SET decided_at = {T0} + id * 1000;
                 UPDATE verifications SET started_at = {T0} + 120000, finished_at = {T0} + 125000;"
            ))
            .map_err(LedgerError::sql("fixing the times"))?;
            Ok(())
        })
        .unwrap();
}

fn signoff_of(dir: &Path) -> SignOff {
    let path = dir.join("ledger.sqlite3");
    hand_made(&path);
    let conn = open_for_reading(&path).unwrap();
    SignOff::load(&conn, None, T0 + 3_600_000).unwrap()
}

#[test]
fn the_html_report_escapes_everything_and_needs_no_network() {
    let dir = tempfile::tempdir().unwrap();
    let html = signoff_of(dir.path()).html();
    // Hostile text is text: no element but ours.
    assert!(!html.contains("<script"), "a raw script tag");
    assert!(!html.contains("<b>"), "raw markup from a finding");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    // Self-contained: no link, script, image or font to fetch; the chart is inline SVG.
    for outside in ["<link", "src=", "@import", "url("] {
        assert!(!html.contains(outside), "{outside}");
    }
    assert_eq!(html.matches("http://").count(), 1, "only the SVG namespace");
    assert!(html.contains("<svg") && html.contains("<polyline"));
    // No secret: the options never hold one, and nothing secret-like is shown.
    assert!(!html.to_lowercase().contains("secret_key"));
    insta::assert_snapshot!("signoff_html", html);
}

#[test]
fn the_markdown_report_says_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let md = signoff_of(dir.path()).markdown();
    assert!(!md.contains("<script") && !md.contains("<b>"));
    insta::assert_snapshot!("signoff_markdown", md);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_writes_a_private_report_of_a_verified_run() {
    let imp = verify_support::imported(2, 20).await;
    let (summary, _) = verify_support::verify_run(&imp, verify_support::How::default()).await;
    assert_eq!(summary.unwrap().totals.verified, 40);
    let home = tempfile::tempdir().unwrap();
    let html = home.path().join("signoff.html");
    let md = home.path().join("signoff.md");
    let out = support::binary::timport_command(home.path())
        .arg("report")
        .arg("--ledger")
        .arg(&imp.ledger)
        .arg("--html")
        .arg(&html)
        .arg("--markdown")
        .arg(&md)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Verification 1 (done at ")
            && text.contains("40 of 40 as sent, no difference"),
        "{text}"
    );
    let json = support::binary::timport_command(home.path())
        .args(["report", "--json", "--ledger"])
        .arg(&imp.ledger)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON object");
    assert_eq!(json["verification"]["status"], "done");
    assert_eq!(json["verification"]["totals"]["verified"], 40);
    assert_eq!(json["verification"]["targets"][0]["target"]["group"], "g0");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Verified: all 40 messages"), "{page}");
    assert!(page.contains("<td>g0</td>"));
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("Verified: all 40 messages")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [&html, &md] {
            let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
    }
}
