//! Applying what tasks and the engine report: connection tests, profiles, group pages, scans,
//! plans, staged texts, engine events. Answers to requests the console has moved on from (an
//! older test, listing, scan or plan) are recognised by their number and ignored.

use std::collections::HashMap;

use crate::engine::verify::VerifyEvent;
use crate::engine::{Counts, Event, LaneState};

use super::super::effect::Effect;
use super::super::keymap::{Action, Place, Screen};
use super::super::msg::Msg;
use super::super::settings::LoadedProfile;
use super::super::words::count;
use super::AppState;
use super::connect::{Live, TestState};
use super::files::ScanState;
use super::groups::Imported;
use super::inspector::{Loading, Notice};
use super::overlay::{Level, Overlay, Popup};

pub(super) fn on_result(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Input(_) => Vec::new(),
        Msg::Shutdown => {
            state.quit = true;
            Vec::new()
        }
        Msg::ProfileLoaded { name, result } => {
            match result {
                Ok(loaded) => {
                    let LoadedProfile { prefill, run } = *loaded;
                    state.connect.apply(prefill);
                    // The profile's run options are the ones the next launch runs with, as
                    // `timport run --profile NAME` would. The ledger stays the one the console
                    // started with (its runs are the ones `o` reopens).
                    state.run_options.rate = run.rate;
                    state.run_options.lanes = run.lanes;
                    state.run_options.on_message_error = run.on_message_error;
                    state.run_options.same_second = run.same_second;
                    state.say(
                        Level::Info,
                        format!(
                            "Loaded profile '{name}': runs go at {} requests/s, {} lanes, on message error {}",
                            run.rate,
                            run.lanes,
                            run.on_message_error.word()
                        ),
                    );
                }
                Err(e) => state.say(Level::Error, format!("Cannot load profile '{name}': {e}")),
            }
            Vec::new()
        }
        Msg::KeyLoaded(result) => {
            match result {
                Ok(secret) => {
                    let origin = secret.origin.describe();
                    state.connect.notes = secret.warnings.clone();
                    state.connect.secret = Some(secret);
                    state.connect.changed();
                    state.say(Level::Info, format!("Secret key loaded {origin}"));
                }
                Err(e) => state.say(Level::Error, e),
            }
            Vec::new()
        }
        Msg::ConnectionTested { attempt, result } => {
            if !state.connect.is_current(attempt) {
                return Vec::new();
            }
            match result {
                Ok(connected) => {
                    let live = Live {
                        client: connected.client,
                        total_groups: connected.total_groups,
                        round_trip: connected.round_trip,
                    };
                    let words = format!(
                        "Connected as {}: the service answered and the app has {} group{}.",
                        live.describe(),
                        live.total_groups,
                        if live.total_groups == 1 { "" } else { "s" }
                    );
                    state.connect.test = TestState::Passed(words.clone());
                    state.connect.live = Some(live);
                    state.say(Level::Info, words);
                    if state.connect.is_auto() && state.screen == Screen::Connect {
                        state.screen = Screen::Groups;
                    }
                    state.list_groups()
                }
                Err(error) => {
                    state.say(Level::Error, error.one_line());
                    state.connect.test = TestState::Failed(error);
                    Vec::new()
                }
            }
        }
        Msg::ProfileSaved { name, result } => {
            match result {
                Ok(profiles) => {
                    state.connect.profiles = profiles;
                    state.connect.profile = name.clone();
                    state.say(
                        Level::Info,
                        format!(
                            "Saved profile '{name}' in {} (without the secret key)",
                            state.locations.config_file.display()
                        ),
                    );
                }
                Err(e) => state.say(Level::Error, format!("Cannot save profile '{name}': {e}")),
            }
            Vec::new()
        }
        Msg::GroupIds { generation, result } => {
            if generation == state.groups.generation {
                match result {
                    Ok(page) => {
                        let last = page.last;
                        state.groups.ids_page(page);
                        if last {
                            state.groups.finish_listing();
                        }
                    }
                    Err(e) => {
                        state.say(Level::Error, e.one_line());
                        state.groups.failed(e);
                    }
                }
            }
            Vec::new()
        }
        Msg::GroupInfos { generation, result } => {
            if generation == state.groups.generation {
                match result {
                    Ok(infos) => state.groups.infos(infos),
                    Err(e) => {
                        state.say(Level::Error, e.one_line());
                        state.groups.failed(e);
                    }
                }
            }
            Vec::new()
        }
        Msg::StagingScanned { generation, result } => {
            if generation != state.files.generation {
                return Vec::new();
            }
            let resume = state.resume.take();
            match result {
                Ok(scanned) => {
                    state.groups.set_planned(scanned.migration_groups.clone());
                    state.groups.set_staged(scanned.groups.clone());
                    let words = format!(
                        "Scanned {}: {} files, {} messages, {} errors, {} warnings",
                        scanned.staging.root().display(),
                        count(scanned.files.len() as u64),
                        count(scanned.messages),
                        count(scanned.errors as u64),
                        count(scanned.warnings as u64)
                    );
                    let root = scanned.staging.root().to_owned();
                    state.files.scanned(*scanned);
                    state.say(Level::Info, words);
                    if let Some(groups) = resume {
                        return super::actions::preview::ask_launch(
                            state,
                            groups,
                            "the run's groups",
                        );
                    }
                    // What earlier runs of this staging imported, for the Groups screen.
                    return vec![Effect::ReadImported {
                        ledger: state.locations.ledger.clone(),
                        root,
                    }];
                }
                Err(e) => {
                    state.say(
                        Level::Error,
                        format!("Cannot scan the staging directory: {e}"),
                    );
                    state.files.scan = ScanState::Failed(e);
                }
            }
            Vec::new()
        }
        Msg::AccountsChecked {
            groups,
            scope,
            result,
        } => {
            match result {
                Ok(missing) => {
                    super::actions::preview::confirm_launch(state, groups, &scope, missing)
                }
                Err(e) => state.say(
                    Level::Error,
                    format!(
                        "Cannot check the staging's accounts, so nothing was started: {}",
                        e.one_line()
                    ),
                ),
            }
            Vec::new()
        }
        Msg::GroupCreated { group, result } => {
            match result {
                Ok(infos) => {
                    state.groups.created(infos);
                    state.say(Level::Info, format!("Created group {group}"));
                }
                Err(e) => state.say(
                    Level::Error,
                    format!("Cannot create group {group}: {}", e.one_line()),
                ),
            }
            Vec::new()
        }
        Msg::PlanBuilt { generation, result } => {
            if generation == state.preview.generation {
                match result {
                    Ok(previewed) => state.preview.built(*previewed),
                    Err(e) => {
                        state.say(Level::Error, format!("Cannot plan: {e}"));
                        state.preview.failed(e);
                    }
                }
            }
            Vec::new()
        }
        Msg::StagedText {
            title,
            heading,
            result,
        } => {
            // The heading (the problem) is shown even when the text cannot be read.
            let mut popup = match result {
                Ok(text) => Popup::of_text(title, text),
                Err(e) => Popup::of_text(title, format!("(the staged text cannot be read: {e})")),
            };
            if !heading.is_empty() {
                popup.lines.splice(0..0, [heading, String::new()]);
            }
            state.overlay = Some(Overlay::Popup(popup));
            Vec::new()
        }
        Msg::InspectorText {
            target,
            source,
            result,
        } => {
            if let Some(inspector) = &mut state.inspector
                && inspector.target == target
                && inspector.reason.source == source
            {
                match result {
                    Ok(text) => inspector.loaded(text),
                    Err(e) => inspector.loading = Loading::Failed(e),
                }
            }
            Vec::new()
        }
        Msg::Engine(event) => {
            let lanes_moved = super::run::moves_lanes(&event);
            let finished = matches!(event, Event::RunFinished { .. });
            on_event(state, event);
            super::actions::run::refresh_lane_popup(state);
            if lanes_moved {
                state.groups.merge_imported(live_imported(&state.run));
            }
            if finished {
                return after_a_run(state);
            }
            Vec::new()
        }
        Msg::LedgerImported(result) => {
            match result {
                // The run going in this console is fresher than the ledger's last word.
                Ok(_) if state.run.active => {}
                Ok(Some(report)) => state.groups.set_imported(ledger_imported(&report)),
                // No run of this staging in the ledger: nothing imported, unless this console
                // ran one (its counts stand).
                Ok(None) if state.run.run_id.is_some() => {}
                Ok(None) => state.groups.set_imported(HashMap::new()),
                Err(e) => state.say(
                    Level::Warn,
                    format!("Cannot read what earlier runs imported: {e}"),
                ),
            }
            Vec::new()
        }
        Msg::Verify(event) => {
            let finished = matches!(event, VerifyEvent::VerifyFinished(_));
            state.run.apply_verify(event, state.now_ms);
            if finished && let Some(outcome) = &state.run.verify.outcome {
                let level = if state.run.verify.differences == 0 && outcome.starts_with("verified")
                {
                    Level::Info
                } else {
                    Level::Warn
                };
                let mut words = outcome.clone();
                if let Some(first) = words.get(..1) {
                    words.replace_range(..1, &first.to_uppercase());
                }
                state.say(level, words);
            }
            Vec::new()
        }
        Msg::VerifyFailed(why) => {
            state.run.verify_failed(why.clone());
            state.say(Level::Error, format!("The verification failed: {why}"));
            Vec::new()
        }
        Msg::LedgerRun(result) => {
            match result {
                Ok(report) => state.overlay = Some(resume_question(&report)),
                Err(e) => state.say(Level::Warn, format!("No run to reopen: {e}")),
            }
            Vec::new()
        }
        Msg::RunLive => {
            state.run.active = false;
            state.overlay = Some(Overlay::Confirm(super::overlay::Confirm {
                title: "A run is going on this ledger in another process".into(),
                lines: vec![
                    "Its process holds the ledger (a `timport run`, or a run a console left going), so this console cannot start another there.".into(),
                    "Attach to it instead? This console then shows it as if it had launched it and, holding the helm, decides for it; the run stays its own process (detaching or quitting leaves it going).".into(),
                ],
                on_yes: super::overlay::Pending::Attach,
                scroll: 0,
            }));
            Vec::new()
        }
        Msg::Attached(Ok(attached)) => {
            let (hello, catchup) = *attached;
            let attachment = super::attach::Attachment::new(&hello);
            state.run.catch_up(catchup, state.now_ms);
            state.screen = Screen::Run;
            state.say(
                Level::Info,
                format!(
                    "Attached to run {} (another process): {}; detaching ({}) or quitting leaves it going",
                    hello.run_id,
                    match &attachment.helm {
                        Some(h) if !attachment.at_helm() => format!(
                            "{} (console {}) holds the helm, this console watches",
                            h.by, h.reader
                        ),
                        _ => "the first decision takes the helm".to_owned(),
                    },
                    state.keymap.name(Place::Run, Action::Detach)
                ),
            );
            state.attach = Some(attachment);
            // The run's staging, scanned here, lets the inspector show and edit its messages.
            let scanned = state
                .files
                .scanned
                .as_ref()
                .map(|s| s.staging.root().to_owned());
            match hello.staging {
                Some(root) if scanned.as_deref() != Some(std::path::Path::new(&root)) => {
                    vec![state.scan(root.into())]
                }
                _ => Vec::new(),
            }
        }
        Msg::Attached(Err(why)) => {
            state.say(Level::Error, format!("Cannot attach: {why}"));
            Vec::new()
        }
        Msg::RunNote(note) => {
            on_note(state, note);
            Vec::new()
        }
        Msg::Detached(why) => {
            if let Some(a) = &mut state.attach
                && a.connected
            {
                a.connected = false;
                let run_id = a.run_id;
                state.run.active = false;
                let level = if state.run.finished.is_some() {
                    Level::Info
                } else {
                    Level::Warn
                };
                state.say(level, format!("Detached from run {run_id}: {why}"));
            }
            Vec::new()
        }
        Msg::RunFailed(e) => {
            state.run.active = false;
            state.run.failure = Some(e.clone());
            state.say(Level::Error, e);
            Vec::new()
        }
        Msg::Copied(result) => {
            match result {
                // OSC 52 has no answer: the terminal may have dropped it, so say what was done,
                // not what the terminal did with it.
                Ok(chars) => state.say(
                    Level::Info,
                    format!(
                        "Sent {} characters to the terminal's clipboard (OSC 52); if the clipboard did not change, the terminal does not accept OSC 52 (tmux: set -g set-clipboard on)",
                        count(chars as u64)
                    ),
                ),
                Err(e) => state.say(Level::Error, format!("Cannot copy: {e}")),
            }
            Vec::new()
        }
        Msg::TaskFailed { what } => {
            state.say(
                Level::Error,
                format!(
                    "{what} stopped unexpectedly (a timport bug); details are in {}",
                    state.locations.log_file.display()
                ),
            );
            Vec::new()
        }
    }
}

/// A note from the attached run: the helm, a pause, an answer, a gap.
fn on_note(state: &mut AppState, note: crate::engine::attach::Note) {
    use crate::engine::attach::Note;
    let Some(a) = &mut state.attach else { return };
    match note {
        Note::Helm(helm) => {
            let was = a.at_helm();
            a.helm = helm;
            let words = match (&a.helm, a.at_helm()) {
                (_, true) => Some("This console holds the helm: its decisions go to the run".to_owned()),
                (Some(h), false) => Some(format!(
                    "{} (console {}) took the helm: this console watches",
                    h.by, h.reader
                )),
                (None, false) if was => Some("This console gave the helm back".to_owned()),
                (None, false) => None,
            };
            if let Some(words) = words {
                state.say(Level::Info, words);
            }
        }
        Note::Paused(paused) => {
            if state.run.paused != paused {
                state.run.set_paused(paused, state.now_ms);
            }
        }
        Note::Answer(answer) => {
            let level = if answer.ok { Level::Info } else { Level::Warn };
            let mut words = answer.said;
            if let Some(first) = words.get(..1) {
                words.replace_range(..1, &first.to_uppercase());
            }
            state.say(level, words);
        }
        Note::Lagged(n) => state.say(
            Level::Warn,
            format!(
                "This console fell behind and missed {n} line(s) of the run: counts may be off; detach and attach again to catch up"
            ),
        ),
        Note::Hello(_) | Note::Catchup(_) | Note::Say(_) => {}
    }
}

/// An engine event: the run state takes it; the inspector and the status line react to the
/// ones about them.
fn on_event(state: &mut AppState, event: Event) {
    let now = state.now_ms;
    match &event {
        Event::LanePaused { target, reason } => {
            state.say(
                Level::Warn,
                format!(
                    "{target} paused at {} line {}: {} ({} on the lane opens the inspector)",
                    reason.source.file,
                    reason.source.line,
                    reason.failure.line(),
                    state.keymap.name(Place::Run, Action::Select)
                ),
            );
        }
        Event::LaneResumed { target } if inspecting(state, target) => {
            state.inspector = None;
            state.say(Level::Info, format!("{target} goes on"));
        }
        Event::LaneStopped { target, reason } => {
            if inspecting(state, target) {
                state.inspector = None;
            }
            state.say(Level::Warn, format!("{target} stopped: {reason}"));
        }
        // A lane that moves on after a decision was sent: the inspector has done its job.
        Event::LaneState { target, state: s }
            if *s != LaneState::Paused
                && inspecting(state, target)
                && state
                    .inspector
                    .as_ref()
                    .is_some_and(|i| matches!(i.notice, Some(Notice::Sent(_)))) =>
        {
            state.inspector = None;
        }
        Event::Warning {
            target: Some(target),
            message,
        } => {
            if let Some(inspector) = &mut state.inspector
                && &inspector.target == target
            {
                inspector.notice = Some(Notice::Refused(message.clone()));
                // The refusal shows at the top of the explanation: scroll it into sight.
                inspector.scroll = 0;
            }
        }
        Event::RunFinished { summary, exit_code } => {
            let c = summary.totals;
            state.say(
                if *exit_code == 0 { Level::Info } else { Level::Warn },
                format!(
                    "Run {} finished: {} done, {} failed, {} skipped, {} invalid (exit code {exit_code}){}",
                    summary.run_id,
                    count(c.done),
                    count(c.failed),
                    count(c.skipped),
                    count(c.invalid),
                    summary
                        .stopped
                        .as_ref()
                        .map(|s| format!("; stopped: {s}"))
                        .unwrap_or_default()
                ),
            );
            state.inspector = None;
        }
        _ => {}
    }
    state.run.apply(event, now);
}

/// What a run's lanes imported per group (topics summed), as the run in this console tells it.
fn live_imported(run: &super::run::RunState) -> HashMap<String, Imported> {
    let Some(run_id) = run.run_id else {
        return HashMap::new();
    };
    let mut out: HashMap<String, Imported> = HashMap::new();
    for lane in &run.lanes {
        let entry = out
            .entry(lane.target.group().to_owned())
            .or_insert(Imported {
                run_id,
                counts: Counts::default(),
                live: run.active,
                waiting: false,
            });
        entry.counts.add(&lane.counts);
        entry.waiting |= lane.state == LaneState::Paused;
    }
    out
}

/// What a run in the ledger imported per group (topics summed).
fn ledger_imported(report: &crate::engine::report::Report) -> HashMap<String, Imported> {
    let mut out: HashMap<String, Imported> = HashMap::new();
    for t in &report.targets {
        let entry = out.entry(t.target.group().to_owned()).or_insert(Imported {
            run_id: report.run_id,
            counts: Counts::default(),
            live: false,
            waiting: false,
        });
        entry.counts.add(&t.counts);
    }
    out
}

/// Once a run ended, what is known changes: the ledger's word on what was imported, and the
/// groups' newest messages (now timport's own) from the service.
fn after_a_run(state: &mut AppState) -> Vec<Effect> {
    let mut effects = Vec::new();
    if let Some(scanned) = &state.files.scanned {
        effects.push(Effect::ReadImported {
            ledger: state.locations.ledger.clone(),
            root: scanned.staging.root().to_owned(),
        });
    }
    if let Some(live) = &state.connect.live {
        let client = live.client.clone();
        let generation = state.groups.begin_listing();
        effects.push(Effect::ListGroups { generation, client });
    }
    effects
}

/// Whether the inspector shows `target`'s message.
fn inspecting(state: &AppState, target: &crate::engine::Target) -> bool {
    state
        .inspector
        .as_ref()
        .is_some_and(|i| &i.target == target)
}

/// Where the latest run stands, and the offer to resume it.
fn resume_question(report: &crate::engine::report::Report) -> Overlay {
    let mut groups: Vec<String> = report
        .targets
        .iter()
        .map(|t| t.target.group().to_owned())
        .collect();
    groups.dedup();
    let t = report.totals;
    let mut lines = vec![
        format!(
            "Run {} of {} ({}): {} of {} done, {} failed, {} skipped, {} invalid, {} not sent.",
            report.run_id,
            report.staging_root,
            report.status,
            count(t.done),
            count(t.total),
            t.failed,
            t.skipped,
            t.invalid,
            count(t.pending())
        ),
        String::new(),
    ];
    for line in report.targets.iter().take(8) {
        lines.push(format!(
            "  {} {}: {} of {} done{}",
            line.state,
            line.target,
            count(line.counts.done),
            count(line.counts.total),
            line.last_error
                .as_ref()
                .map(|e| format!(" · {e}"))
                .unwrap_or_default()
        ));
    }
    if report.targets.len() > 8 {
        lines.push(format!("  and {} more lanes", report.targets.len() - 8));
    }
    lines.push(String::new());
    lines.push(format!(
        "Yes scans {} again and offers to launch its {} groups: the ledger continues where it stopped (nothing is sent twice).",
        report.staging_root,
        groups.len()
    ));
    Overlay::Confirm(super::overlay::Confirm {
        title: format!("Resume run {}?", report.run_id),
        lines,
        on_yes: super::overlay::Pending::Resume {
            root: report.staging_root.clone(),
            groups,
        },
        scroll: 0,
    })
}
