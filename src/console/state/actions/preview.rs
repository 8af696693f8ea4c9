//! Screen 4's actions: opening a group's plan, moving in the requests and scrolling the body,
//! copying the exact body, and launching an import after a confirmation that says what will be
//! written where.

use super::super::super::effect::{Effect, Launch};
use super::super::super::keymap::{Action, Place, Screen};
use super::super::super::theme::Symbol;
use super::super::super::words::count;
use super::super::AppState;
use super::super::input::{move_in, set_filter, start_filter};
use super::super::overlay::{Confirm, Level, ListId, Overlay, Pending};
use super::super::preview::PreviewFocus;
use crate::engine::OnMessageError;
use crate::engine::bound::{Bound, Load, RoundTrip, requests_for};
use crate::engine::events::Phase;
use crate::engine::phases::{MigrationWork, PhaseSet};
use crate::plan::{Bursts, PlanOptions, SameSecond};

/// Most groups a confirmation lists by name.
const NAMED: usize = 6;

/// Opens a group: its files on screen 3, its plan on screen 4 (being built).
pub fn open_group(state: &mut AppState, group: &str) -> Vec<Effect> {
    let Some(scanned) = &state.files.scanned else {
        let words = format!(
            "No staging directory scanned yet: on screen 3, press {} to choose one",
            state.keymap.name(Place::Files, Action::ChangeDir)
        );
        state.say(Level::Warn, words);
        return Vec::new();
    };
    let staging = scanned.staging.clone();
    if !scanned.groups.contains_key(group) {
        state.say(Level::Warn, format!("Nothing is staged for group {group}"));
        return Vec::new();
    }
    state.files.select_group(group);
    let generation = state.preview.begin(group);
    state.screen = Screen::Preview;
    vec![Effect::BuildPlan {
        generation,
        staging,
        group: group.to_owned(),
        same_second: state.run_options.same_second,
    }]
}

/// Carries out `action` on the Preview screen.
pub fn on_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    if state.preview.focus == PreviewFocus::Batches && move_in(state, ListId::Batches, action) {
        return Vec::new();
    }
    let p = &mut state.preview;
    match action {
        Action::Up if p.focus == PreviewFocus::Body => {
            p.body_scroll = p.body_scroll.saturating_sub(1)
        }
        Action::Down if p.focus == PreviewFocus::Body => p.body_scroll += 1,
        Action::PageUp if p.focus == PreviewFocus::Body => {
            p.body_scroll = p.body_scroll.saturating_sub(20)
        }
        Action::PageDown if p.focus == PreviewFocus::Body => p.body_scroll += 20,
        Action::Top if p.focus == PreviewFocus::Body => p.body_scroll = 0,
        Action::FocusNext | Action::FocusPrev => {
            p.focus = match p.focus {
                PreviewFocus::Batches => PreviewFocus::Body,
                PreviewFocus::Body => PreviewFocus::Batches,
            };
        }
        Action::Filter => start_filter(state, ListId::Batches),
        Action::Back => set_filter(state, ListId::Batches, ""),
        Action::Copy => {
            if let Some(body) = state.preview.selected_body() {
                return vec![Effect::Copy(body)];
            }
        }
        Action::LaunchGroup => match state.preview.group.clone() {
            Some(group) => return ask_launch(state, vec![group], "this group"),
            None => {
                let words = format!(
                    "Open a group first ({} on screen 2 or 3)",
                    state.keymap.name(Place::Groups, Action::Select)
                );
                state.say(Level::Warn, words);
            }
        },
        Action::LaunchMarked => {
            let marked = state.groups.marked();
            if marked.is_empty() {
                let words = format!(
                    "No group is marked: mark groups with {} on screen 2",
                    state.keymap.name(Place::Groups, Action::Mark)
                );
                state.say(Level::Warn, words);
            } else {
                return ask_launch(state, marked, "the marked groups");
            }
        }
        Action::LaunchAll => {
            let mut all: Vec<String> = state
                .files
                .scanned
                .as_ref()
                .map(|s| s.groups.keys().cloned().collect())
                .unwrap_or_default();
            all.sort();
            return ask_launch(state, all, "every staged group");
        }
        _ => {}
    }
    Vec::new()
}

/// Asks before launching: what will be written, where, and what it means. A launch with the
/// accounts phase first asks the service which accounts the staging names are neither in the app
/// nor staged ([`Effect::CheckAccounts`]); the question follows with them ([`confirm_launch`]).
pub fn ask_launch(state: &mut AppState, groups: Vec<String>, scope: &str) -> Vec<Effect> {
    let Some(live) = &state.connect.live else {
        state.say(
            Level::Warn,
            "Not connected: test the connection on screen 1 first",
        );
        return Vec::new();
    };
    let Some(scanned) = &state.files.scanned else {
        state.say(
            Level::Warn,
            "No staging directory scanned yet (screen 3, d)",
        );
        return Vec::new();
    };
    if state.run.active {
        state.say(
            Level::Warn,
            "A run is going: wait for it to finish (screen 5)",
        );
        return Vec::new();
    }
    let groups: Vec<String> = groups
        .into_iter()
        .filter(|g| scanned.groups.contains_key(g))
        .collect();
    if groups.is_empty() {
        state.say(Level::Warn, "Nothing is staged for those groups");
        return Vec::new();
    }
    if PhaseSet::held_by(&scanned.staging).contains(Phase::Accounts) {
        let effect = Effect::CheckAccounts {
            client: live.client.clone(),
            staging: scanned.staging.clone(),
            groups,
            scope: scope.to_owned(),
        };
        state.say(
            Level::Info,
            "Checking the staging's accounts with the service…",
        );
        return vec![effect];
    }
    confirm_launch(state, groups, scope, Vec::new());
    Vec::new()
}

/// The launch's question: what each phase will write, where; and the accounts that are neither
/// in the app nor staged (`missing`), imported by UserID alone on yes.
pub fn confirm_launch(
    state: &mut AppState,
    groups: Vec<String>,
    scope: &str,
    missing: Vec<String>,
) {
    // The question answers the "checking the accounts" note.
    state.status = None;
    let (Some(live), Some(scanned)) = (&state.connect.live, &state.files.scanned) else {
        return;
    };
    let (mut messages, mut invalid) = (0u64, 0u64);
    let mut bursts = Bursts::default();
    for g in &groups {
        if let Some(c) = scanned.groups.get(g) {
            messages += c.messages;
            invalid += c.invalid;
            bursts.add(&c.bursts);
        }
    }
    let valid = messages.saturating_sub(invalid);
    let requests = valid.div_ceil(PlanOptions::default().batch_size as u64);
    let what = if invalid == 0 {
        format!("{} staged messages", count(messages))
    } else {
        format!(
            "{} of the {} staged messages",
            count(valid),
            count(messages)
        )
    };
    // How long it must take at the least, with the connection test's round trip.
    let loads = groups.iter().filter_map(|g| {
        scanned.groups.get(g).map(|c| Load {
            name: g.clone(),
            messages: c.messages,
            requests: requests_for(c.messages),
        })
    });
    let bound = Bound::new(
        loads,
        state.run_options.rate,
        RoundTrip::Measured(live.round_trip),
    );
    let mut lines = vec![
        format!(
            "Import {what} of {} ({} group{}) into SDKAppID {} at {}, signed as {}:",
            scope,
            groups.len(),
            if groups.len() == 1 { "" } else { "s" },
            live.client.sdkappid(),
            live.client.endpoint().base(),
            live.client.admin()
        ),
        format!(
            "  {}{}",
            groups
                .iter()
                .take(NAMED)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            if groups.len() > NAMED {
                format!(" and {} more", groups.len() - NAMED)
            } else {
                String::new()
            }
        ),
        format!(
            "About {} requests at up to {} a second, {} groups at once; expected duration {}.",
            count(requests),
            state.run_options.rate,
            state.run_options.lanes,
            bound.clause()
        ),
    ];
    let on_yes = if missing.is_empty() {
        Pending::Launch(groups.clone())
    } else {
        let shown: Vec<&str> = missing.iter().take(NAMED).map(String::as_str).collect();
        // The choice comes first, where even a small terminal shows it.
        lines.insert(2, format!(
            "{} {} neither in the app nor in accounts.jsonl: {}{}. Yes imports {} by UserID alone before anything else; No stops (stage {} in accounts.jsonl).",
            Symbol::Warning.glyph(),
            if missing.len() == 1 {
                "1 account the staging names is".to_owned()
            } else {
                format!("{} accounts the staging names are", missing.len())
            },
            shown.join(", "),
            if missing.len() > NAMED {
                format!(" and {} more", missing.len() - NAMED)
            } else {
                String::new()
            },
            if missing.len() == 1 { "it" } else { "them" },
            if missing.len() == 1 { "it" } else { "them" },
        ));
        Pending::LaunchImporting {
            groups: groups.clone(),
            missing: missing.clone(),
        }
    };
    if invalid > 0 {
        lines.push(format!(
            "{} staged messages are invalid: each pauses its group until you fix or skip it.",
            count(invalid)
        ));
    }
    let verdicts: Vec<(String, Symbol, &str)> = groups
        .iter()
        .filter_map(|g| state.groups.get(g))
        .map(|row| {
            let v = row.verdict();
            (row.id.clone(), v.symbol, v.word)
        })
        .collect();
    let named = |symbol: Symbol| -> Vec<String> {
        verdicts
            .iter()
            // A group the run creates is no risk to its messages.
            .filter(|(_, s, word)| *s == symbol && *word != "create")
            .map(|(id, _, word)| format!("{id} ({word})"))
            .collect()
    };
    let doomed = named(Symbol::Failed);
    if !doomed.is_empty() {
        lines.push(format!(
            "{} Cannot take an import: {}; their lanes will stop at the first request.",
            Symbol::Failed.glyph(),
            doomed.join(", ")
        ));
    }
    let risky = named(Symbol::Warning);
    if !risky.is_empty() {
        lines.push(format!(
            "{} May refuse their oldest staged messages: {}; messages older than the group's creation or its newest message are refused (10004).",
            Symbol::Warning.glyph(),
            risky.join(", ")
        ));
    }
    if bursts.messages > 0 {
        lines.push(same_second_line(state, &bursts));
    }
    lines.push(match state.run_options.on_message_error {
        OnMessageError::Pause => {
            "A refused message pauses its group until you decide (retry, fix, skip, stop).".into()
        }
        OnMessageError::Skip => {
            "A refused message is skipped and recorded (the profile says on_message_error = \"skip\").".into()
        }
    });
    lines.push(outlive_line(state));
    lines.push(format!(
        "Every request is recorded before it is sent, in {}.",
        state.locations.ledger.display()
    ));
    let migration = MigrationWork::new(
        &scanned.staging,
        &groups,
        &missing,
        PhaseSet::held_by(&scanned.staging),
    );
    let phases = migration.describe();
    let with_work = migration.phases_with_work(messages > 0);
    if !phases.is_empty() {
        let order: Vec<&str> = with_work.iter().map(|p| p.word()).collect();
        lines.push(format!("Phases, in order: {}.", order.join(", ")));
        for line in phases {
            lines.push(format!("  {line}"));
        }
    }
    // Only groups with members staged get their counts set again.
    if with_work.contains(&Phase::Members) {
        lines.push("Importing resets every member's unread count to 0: the members phase sets the staged counts after each group's last message.".into());
    } else {
        lines.push("Importing resets every member's unread count to 0 in these groups (stage members with UnreadMsgNum in groups.jsonl to keep them).".into());
    }
    state.overlay = Some(Overlay::Confirm(Confirm {
        title: "Start the import?".into(),
        lines,
        on_yes,
        scroll: 0,
    }));
}

/// How the confirmation's line about bursts begins (the toggle finds it by this).
const SAME_SECOND: &str = "Same second: ";

/// The confirmation's line about bursts: what the chosen `--same-second` does with them, and
/// the key that chooses the other.
fn same_second_line(state: &AppState, bursts: &Bursts) -> String {
    let key = state.keymap.name(Place::Confirm, Action::ToggleSameSecond);
    let what = match state.run_options.same_second {
        SameSecond::Keep => format!(
            "keep. {} messages sit in seconds holding more than {}: they go at their SendTime, split across requests, and a service strict about equal times refuses {} of them. {key} spreads them instead.",
            count(bursts.messages as u64),
            bursts.request,
            count(bursts.keep_refusable as u64)
        ),
        SameSecond::Spread => format!(
            "spread. {} messages sit in seconds holding more than {}: {} go up to {} s later than staged, each move recorded. {key} keeps every SendTime instead.",
            count(bursts.messages as u64),
            bursts.request,
            count(bursts.spread_moved as u64),
            bursts.spread_largest_shift
        ),
    };
    format!("{SAME_SECOND}{what}")
}

/// Switches the launch's `--same-second` between keep and spread and says so in `confirm`
/// (only a launch of groups with bursts asks).
pub fn toggle_same_second(state: &mut AppState, confirm: &mut Confirm) {
    let groups = match &confirm.on_yes {
        Pending::Launch(groups) | Pending::LaunchImporting { groups, .. } => groups,
        _ => return,
    };
    let Some(at) = confirm
        .lines
        .iter()
        .position(|l| l.starts_with(SAME_SECOND))
    else {
        return;
    };
    let Some(scanned) = &state.files.scanned else {
        return;
    };
    let mut bursts = Bursts::default();
    for g in groups {
        if let Some(c) = scanned.groups.get(g) {
            bursts.add(&c.bursts);
        }
    }
    state.run_options.same_second = match state.run_options.same_second {
        SameSecond::Keep => SameSecond::Spread,
        SameSecond::Spread => SameSecond::Keep,
    };
    confirm.lines[at] = same_second_line(state, &bursts);
}

/// How the confirmation's line about outliving the console begins (the toggle finds it by this).
const OUTLIVE: &str = "After this console closes: ";

/// The confirmation's line about what happens to the run when the console closes, and the key
/// that chooses the other.
fn outlive_line(state: &AppState) -> String {
    let key = state.keymap.name(Place::Confirm, Action::ToggleOutlive);
    if !state.can_outlive {
        format!(
            "{OUTLIVE}the run stops, cleanly (the demo's service and files live in this console)"
        )
    } else if state.outlive {
        format!(
            "{OUTLIVE}the run keeps going, a process of its own that this console attaches to (attach again with timport --attach; {key}: stop with the console)"
        )
    } else {
        format!("{OUTLIVE}the run stops, cleanly ({key}: keep it going as a process of its own)")
    }
}

/// The toggle on the launch's confirmation: the run outlives the console, or not.
pub fn toggle_outlive(state: &mut AppState, confirm: &mut Confirm) {
    if !matches!(
        confirm.on_yes,
        Pending::Launch(_) | Pending::LaunchImporting { .. }
    ) {
        return;
    }
    if !state.can_outlive {
        state.say(
            Level::Warn,
            "In the demo the service and its files live in this console: a run cannot outlive it (a run against a real service can)",
        );
        return;
    }
    state.outlive = !state.outlive;
    if let Some(at) = confirm.lines.iter().position(|l| l.starts_with(OUTLIVE)) {
        confirm.lines[at] = outlive_line(state);
    }
}

/// The operator said yes: the run starts (importing `missing` accounts by UserID alone).
pub fn launch(state: &mut AppState, groups: Vec<String>, missing: Vec<String>) -> Vec<Effect> {
    if state.run.verify.active {
        // The verification holds the ledger's lock (one writer per ledger): the run would be
        // turned away naming this very console.
        state.say(
            Level::Warn,
            format!(
                "A verification is going and writes to the ledger: stop it on screen 5 ({}), then start the import (it goes on from there next time)",
                state.keymap.name(Place::Run, Action::VerifyRun)
            ),
        );
        return Vec::new();
    }
    let (Some(live), Some(scanned)) = (&state.connect.live, &state.files.scanned) else {
        return Vec::new();
    };
    let staging = scanned.staging.clone();
    let migration = MigrationWork::new(&staging, &groups, &missing, PhaseSet::held_by(&staging));
    let launch = Launch {
        staging,
        groups,
        client: live.client.clone(),
        ledger: state.locations.ledger.clone(),
        options: state.run_options.clone(),
        migration,
    };
    state.run.launched(state.now_ms);
    state.inspector = None;
    state.screen = Screen::Run;
    if state.outlive && !missing.is_empty() {
        state.run.active = false;
        state.say(
            Level::Warn,
            format!(
                "A run of its own imports what `timport run` would, and the {} account(s) by UserID alone are not staged: stage them in accounts.jsonl, or launch it without keeping it going ({})",
                missing.len(),
                state.keymap.name(Place::Confirm, Action::ToggleOutlive)
            ),
        );
        return Vec::new();
    }
    if state.outlive {
        let Some(key) = state.connect.secret.as_ref().map(|s| s.key.clone()) else {
            state.run.active = false;
            state.say(
                Level::Error,
                "No secret key loaded: load it on screen 1 first",
            );
            return Vec::new();
        };
        state.say(
            Level::Info,
            "Starting the run as a process of its own; this console attaches to it…",
        );
        return vec![Effect::SpawnRun {
            launch: Box::new(launch),
            key,
        }];
    }
    state.say(Level::Info, "Import started");
    vec![Effect::StartRun(Box::new(launch))]
}
