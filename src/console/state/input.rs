//! From keys and the mouse to what they mean. The key map gives an action for the place the
//! keyboard is in; keys it does not bind go to whatever is being typed (a prompt, or the
//! inspector's text area). Overlays, prompts and the mouse are handled here; screens'
//! actions in `actions/`.

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};

use super::super::effect::Effect;
use super::super::keymap::{Action, Key, Place};
use super::super::msg::Input;
use super::AppState;
use super::actions;
use super::list::ListView;
use super::overlay::{HitTarget, Level, ListId, Overlay, Pending, TypeTarget, Typing};
use super::text::TextField;

pub(super) fn on_input(state: &mut AppState, input: Input) -> Vec<Effect> {
    match input {
        Input::Key(key) => on_key(state, &key),
        Input::Paste(text) => {
            if let Some(typing) = &mut state.typing {
                typing.field.insert_str(&text);
                live_filter(state);
            } else if let Some(inspector) = &mut state.inspector
                && inspector.editing
            {
                inspector.editor.insert_str(text);
            }
            Vec::new()
        }
        Input::Mouse(mouse) => on_mouse(state, &mouse),
        Input::Resize(..) => Vec::new(),
    }
}

fn on_key(state: &mut AppState, key: &KeyEvent) -> Vec<Effect> {
    let place = state.place();
    match state.keymap.lookup(place, Key::from_event(key)) {
        Some(action) => on_action(state, action),
        None => {
            match place {
                Place::Typing => {
                    if let Some(typing) = &mut state.typing
                        && typing.field.handle(key)
                    {
                        live_filter(state);
                    }
                }
                Place::Editor => {
                    if let Some(inspector) = &mut state.inspector {
                        inspector.editor.input(*key);
                    }
                }
                _ => {}
            }
            Vec::new()
        }
    }
}

/// Carries out an action.
pub(super) fn on_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::ForceQuit => {
            state.quit = true;
            return Vec::new();
        }
        Action::Quit => {
            // An attached console quits at once: the run is another process and goes on.
            if state.running() && !state.attached() {
                state.overlay = Some(actions::quit_question(&state.keymap));
            } else {
                state.quit = true;
            }
            return Vec::new();
        }
        Action::Help => {
            state.overlay = Some(Overlay::Help { scroll: 0 });
            return Vec::new();
        }
        Action::Go(screen) => {
            state.screen = screen;
            return Vec::new();
        }
        Action::ToggleMouse => {
            state.mouse = !state.mouse;
            let words = if state.mouse {
                "Mouse on: the wheel scrolls and a click focuses (Shift+drag still selects text)"
            } else {
                "Mouse off: the terminal selects text as usual"
            };
            state.say(Level::Info, words);
            return vec![Effect::SetMouse(state.mouse)];
        }
        _ => {}
    }
    if super::attach::decides(action)
        && matches!(state.place(), Place::Run | Place::Inspector)
        && let Some(why) = state.attach.as_ref().and_then(|a| a.refusal(&state.keymap))
    {
        state.say(Level::Warn, why);
        return Vec::new();
    }
    match state.place() {
        Place::Typing => on_typing(state, action),
        Place::Help => on_help(state, action),
        Place::Confirm => on_confirm(state, action),
        Place::Popup => on_popup(state, action),
        Place::Connect => actions::connect::on_action(state, action),
        Place::Groups => actions::groups::on_action(state, action),
        Place::Files => actions::files::on_action(state, action),
        Place::Preview => actions::preview::on_action(state, action),
        Place::Run => actions::run::on_action(state, action),
        Place::Inspector | Place::Editor => actions::inspector::on_action(state, action),
        Place::Always | Place::Global | Place::List | Place::Scroll => Vec::new(),
    }
}

fn on_help(state: &mut AppState, action: Action) -> Vec<Effect> {
    if let Some(Overlay::Help { scroll }) = &mut state.overlay {
        match action {
            Action::Back => state.overlay = None,
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll += 1,
            Action::PageUp => *scroll = scroll.saturating_sub(10),
            Action::PageDown => *scroll += 10,
            Action::Top => *scroll = 0,
            Action::Bottom => *scroll = usize::MAX / 2,
            _ => {}
        }
    }
    Vec::new()
}

fn on_popup(state: &mut AppState, action: Action) -> Vec<Effect> {
    let Some(Overlay::Popup(popup)) = &mut state.overlay else {
        return Vec::new();
    };
    match action {
        Action::Back => state.overlay = None,
        Action::Copy => {
            if let Some(text) = popup.copy.clone() {
                return vec![Effect::Copy(text)];
            }
        }
        other => scroll_by(&mut popup.scroll, other),
    }
    Vec::new()
}

/// Scrolls an overlay's text as a moving key says (the drawing keeps it in range: only it
/// knows how many rows the text wraps to).
fn scroll_by(scroll: &mut usize, action: Action) {
    match action {
        Action::Up => *scroll = scroll.saturating_sub(1),
        Action::Down => *scroll = scroll.saturating_add(1),
        Action::PageUp => *scroll = scroll.saturating_sub(10),
        Action::PageDown => *scroll = scroll.saturating_add(10),
        Action::Top => *scroll = 0,
        Action::Bottom => *scroll = usize::MAX / 2,
        _ => {}
    }
}

fn on_confirm(state: &mut AppState, action: Action) -> Vec<Effect> {
    let Some(Overlay::Confirm(confirm)) = state.overlay.take() else {
        return Vec::new();
    };
    match action {
        Action::Yes => match confirm.on_yes {
            Pending::Quit => {
                state.quit = true;
                Vec::new()
            }
            Pending::Launch(groups) => actions::preview::launch(state, groups, Vec::new()),
            Pending::LaunchImporting { groups, missing } => {
                actions::preview::launch(state, groups, missing)
            }
            Pending::CreateGroup(group) => actions::groups::create(state, &group),
            Pending::StopGroup => actions::inspector::stop_group(state),
            Pending::Bulk(bulk) => actions::bulk::confirmed(state, bulk),
            Pending::StopRun => {
                state.say(
                    Level::Info,
                    "Stopping the run: no new requests; the answers in flight are awaited and recorded",
                );
                vec![Effect::Control(crate::engine::Control::Shutdown)]
            }
            Pending::Attach => vec![Effect::Attach {
                ledger: state.locations.ledger.clone(),
            }],
            Pending::Resume { root, groups } => {
                state.resume = Some(groups);
                vec![state.scan(root.into())]
            }
        },
        Action::No => Vec::new(),
        Action::ToggleSameSecond => {
            let mut confirm = confirm;
            actions::preview::toggle_same_second(state, &mut confirm);
            state.overlay = Some(Overlay::Confirm(confirm));
            Vec::new()
        }
        Action::ToggleOutlive => {
            let mut confirm = confirm;
            actions::preview::toggle_outlive(state, &mut confirm);
            state.overlay = Some(Overlay::Confirm(confirm));
            Vec::new()
        }
        other => {
            let mut confirm = confirm;
            scroll_by(&mut confirm.scroll, other);
            state.overlay = Some(Overlay::Confirm(confirm));
            Vec::new()
        }
    }
}

/// Starts typing into `target`.
pub(super) fn begin_typing(state: &mut AppState, target: TypeTarget, field: TextField) {
    state.typing = Some(Typing { target, field });
}

fn on_typing(state: &mut AppState, action: Action) -> Vec<Effect> {
    let Some(typing) = state.typing.take() else {
        return Vec::new();
    };
    let text = typing.field.text().to_owned();
    match (action, typing.target) {
        (Action::Accept, TypeTarget::Filter(_)) => Vec::new(),
        (Action::Back, TypeTarget::Filter(list)) => {
            set_filter(state, list, "");
            Vec::new()
        }
        (Action::Accept, TypeTarget::Connect(field)) => {
            actions::connect::accept_field(state, field, &typing.field)
        }
        (Action::Accept, TypeTarget::StagingDir) => {
            let root = text.trim();
            if root.is_empty() {
                return Vec::new();
            }
            vec![state.scan(root.into())]
        }
        (Action::Accept, TypeTarget::SkipReason) => actions::inspector::skip(state, text.trim()),
        (Action::Accept, TypeTarget::BulkSkipReason) => {
            actions::bulk::skip_reason(state, text.trim())
        }
        (Action::Back, _) => Vec::new(),
        _ => {
            state.typing = Some(typing);
            Vec::new()
        }
    }
}

/// Applies a filter as it is typed.
fn live_filter(state: &mut AppState) {
    if let Some(Typing {
        target: TypeTarget::Filter(list),
        field,
    }) = &state.typing
    {
        let (list, text) = (*list, field.text().to_owned());
        set_filter(state, list, &text);
    }
}

/// Sets a list's filter.
pub(super) fn set_filter(state: &mut AppState, list: ListId, text: &str) {
    match list {
        ListId::Groups => state.groups.set_filter(text),
        ListId::Files => {
            state.files.set_filter(text);
            state.files.sync_problems();
        }
        ListId::Problems => {
            let problems = state.files.file_problems();
            let needle = text.to_lowercase();
            let texts: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            state
                .files
                .problems
                .set_filter(text, |i| super::list::contains_folded(&texts[i], &needle));
        }
        ListId::Batches => {
            let needle = text.to_lowercase();
            let rows: Vec<String> = state
                .preview
                .previewed
                .as_ref()
                .map(|p| {
                    p.rows
                        .iter()
                        .map(|r| match r.phase.and_then(|i| p.phases.get(i)) {
                            Some(ph) => {
                                format!("{} {}", ph.phase.word(), ph.request.command.name())
                            }
                            None => format!(
                                "{} {}",
                                r.batch + 1,
                                p.targets
                                    .get(r.target)
                                    .map(|t| t.plan.target.to_string())
                                    .unwrap_or_default()
                            ),
                        })
                        .collect()
                })
                .unwrap_or_default();
            state.preview.view.set_filter(text, |i| {
                rows.get(i)
                    .is_some_and(|r| super::list::contains_folded(r, &needle))
            });
            state.preview.sync_body();
        }
        ListId::Lanes => state.run.set_lane_filter(text),
        ListId::Results => {
            state.run.set_result_filter(text);
            state.run.follow = text.is_empty();
        }
        ListId::Errors => state.run.set_error_filter(text),
    }
}

/// Opens the filter prompt of `list`, starting from its current filter.
pub(super) fn start_filter(state: &mut AppState, list: ListId) {
    let current = list_view(state, list).filter().to_owned();
    begin_typing(state, TypeTarget::Filter(list), TextField::new(&current));
}

/// The selection of `list`.
pub(super) fn list_view(state: &mut AppState, list: ListId) -> &mut ListView {
    match list {
        ListId::Groups => &mut state.groups.view,
        ListId::Files => &mut state.files.view,
        ListId::Problems => &mut state.files.problems,
        ListId::Batches => &mut state.preview.view,
        ListId::Lanes => &mut state.run.lane_view,
        ListId::Results => &mut state.run.result_view,
        ListId::Errors => &mut state.run.error_view,
    }
}

/// Moves in `list` as `action` says; returns false for actions that are not moves.
pub(super) fn move_in(state: &mut AppState, list: ListId, action: Action) -> bool {
    let view = list_view(state, list);
    match action {
        Action::Up => view.up(),
        Action::Down => view.down(),
        Action::PageUp => view.page_up(),
        Action::PageDown => view.page_down(),
        Action::Top => view.top(),
        Action::Bottom => view.bottom(),
        _ => return false,
    }
    after_move(state, list, action);
    true
}

/// What a move changes besides the selection.
fn after_move(state: &mut AppState, list: ListId, action: Action) {
    match list {
        ListId::Files => state.files.sync_problems(),
        ListId::Batches => state.preview.sync_body(),
        ListId::Results => {
            // Scrolling up leaves the newest; going to the end follows it again.
            state.run.follow =
                matches!(action, Action::Bottom) || state.run.result_view.at_bottom();
        }
        _ => {}
    }
}

fn on_mouse(state: &mut AppState, mouse: &MouseEvent) -> Vec<Effect> {
    if !state.mouse || state.overlay.is_some() || state.typing.is_some() {
        return Vec::new();
    }
    let hit = state
        .hits
        .iter()
        .find(|(area, _)| {
            mouse.column >= area.x
                && mouse.column < area.x.saturating_add(area.width)
                && mouse.row >= area.y
                && mouse.row < area.y.saturating_add(area.height)
        })
        .copied();
    let Some((area, target)) = hit else {
        return Vec::new();
    };
    let click = matches!(mouse.kind, MouseEventKind::Down(MouseButton::Left));
    match (mouse.kind, target) {
        (_, HitTarget::Tab(screen)) if click => state.screen = screen,
        (_, HitTarget::Field(field)) if click && state.connect.focusable(field) => {
            state.connect.focus = field;
        }
        (_, HitTarget::Pane(list)) if click => actions::focus(state, list),
        (_, HitTarget::List(list)) if click => {
            actions::focus(state, list);
            let row = usize::from(mouse.row.saturating_sub(area.y));
            let view = list_view(state, list);
            let pos = view.offset() + row;
            if pos < view.shown() {
                view.select_pos(pos);
                after_move(state, list, Action::Down);
            }
        }
        (MouseEventKind::ScrollDown, HitTarget::List(list)) => {
            list_view(state, list).move_by(3);
            after_move(state, list, Action::Down);
        }
        (MouseEventKind::ScrollUp, HitTarget::List(list)) => {
            list_view(state, list).move_by(-3);
            after_move(state, list, Action::Up);
        }
        _ => {}
    }
    Vec::new()
}
