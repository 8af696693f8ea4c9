//! Fixed states whose names and texts are wide: CJK, emoji with modifiers (`👍🏽`, `❤️`) and ZWJ
//! sequences (`👨‍👩‍👧`) in group ids and names, file names, senders and message texts; built
//! through `update` like the other fixtures, from a staging directory written at test time.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use timport::api::types::GroupInfo;
use timport::console::keymap::Screen;
use timport::console::msg::{GroupIdPage, Msg};
use timport::console::state::files::Scanned;
use timport::console::state::{AppState, update};
use timport::engine::{
    Event, Failure, LaneState, MessageOutcome, PauseReason, SourceRef, Target, TargetStart,
};
use timport::staging::{ScanOptions, scan};

use super::fixtures::connected;

/// Group ids: CJK, a ZWJ family, an emoji with its presentation selector, one with a skin tone.
pub const GROUPS: [&str; 4] = ["群聊-管理员", "家庭👨‍👩‍👧-chat", "❤️-fans", "👍🏽-团队"];
/// Their names in the service.
const NAMES: [&str; 4] = ["管理员的群聊天室", "👨‍👩‍👧 一家人", "❤️ 粉丝俱乐部", "👍🏽 团队"];
/// Senders.
pub const SENDERS: [&str; 3] = ["管理员", "用户👨‍👩‍👧", "❤️fan"];

fn line(sender: &str, time: i64, text: &str) -> String {
    serde_json::json!({
        "From_Account": sender,
        "SendTime": time,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]
    })
    .to_string()
}

/// Writes the staging directory: one file per group, 20 messages each, and in the family
/// group's file a line with a wide sender but no SendTime (a problem naming it).
pub fn write_staging(dir: &Path) {
    for (g, group) in GROUPS.iter().enumerate() {
        let mut lines = Vec::new();
        for i in 0..20i64 {
            let sender = SENDERS[(i as usize) % SENDERS.len()];
            let text = format!("第{i}条消息：你好，世界 ❤️👍🏽👨‍👩‍👧 一二三四五六七八九十");
            lines.push(line(
                sender,
                1_672_704_000 + (g as i64) * 10_000 + i * 60,
                &text,
            ));
        }
        if g == 1 {
            lines.insert(
                3,
                r#"{"From_Account":"用户👨‍👩‍👧","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"没有时间"}}]}"#
                    .to_owned(),
            );
        }
        std::fs::write(dir.join(format!("{group}.jsonl")), lines.join("\n") + "\n")
            .expect("write staging");
    }
}

/// The wide staging directory, scanned at the fixed "now".
pub fn scanned(dir: &Path) -> Scanned {
    let staging = scan(dir, &ScanOptions::new(super::NOW_MS / 1000)).expect("scan");
    Scanned::from_staging(Arc::new(staging))
}

/// The Groups screen: the wide groups listed with wide names, the scan joined.
pub fn groups(dir: &Path) -> AppState {
    let mut s = connected();
    let generation = s.groups.generation;
    update(
        &mut s,
        Msg::GroupIds {
            generation,
            result: Ok(GroupIdPage {
                ids: GROUPS.iter().map(|g| g.to_string()).collect(),
                total: 4,
                last: true,
            }),
        },
    );
    update(
        &mut s,
        Msg::GroupInfos {
            generation,
            result: Ok(GROUPS
                .iter()
                .zip(NAMES)
                .map(|(id, name)| GroupInfo {
                    group_id: (*id).into(),
                    group_type: Some("Public".into()),
                    name: Some(name.into()),
                    create_time: Some(1_669_852_800),
                    last_msg_time: Some(0),
                    member_num: Some(3),
                    ..GroupInfo::default()
                })
                .collect()),
        },
    );
    let scan_generation = s.files.begin_scan("/srv/迁移/暂存目录-👨‍👩‍👧".into());
    update(
        &mut s,
        Msg::StagingScanned {
            generation: scan_generation,
            result: Ok(Box::new(scanned(dir))),
        },
    );
    s.status = None;
    s.screen = Screen::Groups;
    s
}

/// The Files screen, the family group's file and its problem selected.
pub fn files(dir: &Path) -> AppState {
    let mut s = groups(dir);
    let row = s
        .files
        .rows()
        .iter()
        .position(|f| f.path.starts_with("家庭"))
        .expect("the family file");
    s.files.view.select_row(row);
    s.files.sync_problems();
    s.screen = Screen::Files;
    s
}

/// The Preview of the CJK group.
pub fn preview(dir: &Path) -> AppState {
    let mut s = groups(dir);
    super::fixtures::plan_group(&mut s, GROUPS[0]);
    s
}

fn source(file: &str, line: u32) -> SourceRef {
    SourceRef {
        file: file.into(),
        line,
        offset: u64::from(line) * 100,
        item: 0,
    }
}

/// A run of the wide groups: results from wide senders with wide texts, one lane paused at a
/// refused message.
pub fn running(dir: &Path) -> AppState {
    let mut s = preview(dir);
    let start = s.now_ms;
    s.run.launched(start);
    s.screen = Screen::Run;
    let event = |s: &mut AppState, e: Event| {
        update(s, Msg::Engine(e));
    };
    event(
        &mut s,
        Event::RunStarted {
            run_id: 3,
            resumed: false,
            targets: GROUPS
                .iter()
                .map(|g| TargetStart {
                    target: Target::new(g, None),
                    messages: 20,
                    batches: 3,
                    already_done: 0,
                })
                .collect(),
            rate_budget: 180,
            lanes: 32,
            on_message_error: timport::engine::OnMessageError::Pause,
        },
    );
    for g in GROUPS {
        event(
            &mut s,
            Event::LaneState {
                target: Target::new(g, None),
                state: LaneState::Running,
            },
        );
    }
    for i in 0..8u32 {
        s.now_ms = start + i64::from(i) * 400;
        let g = GROUPS[(i as usize) % 2];
        event(
            &mut s,
            Event::MessageResult {
                target: Target::new(g, None),
                source: source(&format!("{g}.jsonl"), i + 1),
                from_account: SENDERS[(i as usize) % SENDERS.len()].into(),
                send_time: 1_672_704_000 + i64::from(i) * 60,
                random: 1,
                summary: format!("第{i}条消息：你好，世界 ❤️👍🏽👨‍👩‍👧 一二三四五六七八九十"),
                outcome: MessageOutcome::Done {
                    msg_seq: u64::from(i) + 1,
                    msg_time: 1_672_704_000,
                },
            },
        );
    }
    let x = timport::api::explain_message_result(10004);
    let refused = GROUPS[2];
    let reason = PauseReason {
        source: source(&format!("{refused}.jsonl"), 1),
        summary: "❤️ 粉丝俱乐部的第一条消息 👍🏽".into(),
        failure: Failure::from_explanation(x, "用户👨‍👩‍👧"),
        landed_after: Vec::new(),
        newest: None,
    };
    event(
        &mut s,
        Event::MessageResult {
            target: Target::new(refused, None),
            source: reason.source.clone(),
            from_account: SENDERS[2].into(),
            send_time: 1_672_724_000,
            random: 2,
            summary: reason.summary.clone(),
            outcome: MessageOutcome::Failed(reason.failure.clone()),
        },
    );
    event(
        &mut s,
        Event::LanePaused {
            target: Target::new(refused, None),
            reason,
        },
    );
    s.now_ms = start + 9_000;
    s
}

/// The inspector on the refused message, its text loaded.
pub fn inspecting(dir: &Path) -> AppState {
    let mut s = running(dir);
    let lane = s.run.lane_of(&Target::new(GROUPS[2], None)).expect("lane");
    s.run.lane_view.select_row(lane);
    super::press(&mut s, crossterm::event::KeyCode::Enter);
    let text = "{\n  \"From_Account\": \"❤️fan\",\n  \"SendTime\": 1672724000,\n  \"MsgBody\": [\n    {\n      \"MsgType\": \"TIMTextElem\",\n      \"MsgContent\": {\n        \"Text\": \"❤️ 粉丝俱乐部的第一条消息 👍🏽 👨‍👩‍👧\"\n      }\n    }\n  ]\n}";
    let source = s
        .inspector
        .as_ref()
        .map(|i| i.reason.source.clone())
        .expect("the inspector is open");
    update(
        &mut s,
        Msg::InspectorText {
            target: Target::new(GROUPS[2], None),
            source,
            result: Ok(text.into()),
        },
    );
    s
}

/// Staged counts per group, as the scan gives them (for checks).
pub fn staged_counts(s: &AppState) -> HashMap<String, u64> {
    s.files
        .scanned
        .as_ref()
        .map(|sc| {
            sc.groups
                .iter()
                .map(|(g, c)| (g.clone(), c.messages))
                .collect()
        })
        .unwrap_or_default()
}
