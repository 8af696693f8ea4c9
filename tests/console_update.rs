//! `update` in isolation: messages in, state and effects out; no terminal, no network.

mod console_common;

use console_common::fixtures::*;
use console_common::*;
use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use timport::console::effect::Effect;
use timport::console::keymap::Screen;
use timport::console::msg::{Connected, ErrorView, GroupIdPage, Input, Msg};
use timport::console::state::connect::{Field, TestState};
use timport::console::state::overlay::{HitTarget, ListId, Overlay};
use timport::console::state::update;

#[test]
fn a_complete_form_is_tested_at_start_and_a_pass_opens_groups() {
    let mut s = connect_form();
    let effects = s.start();
    assert!(matches!(
        effects.as_slice(),
        [Effect::TestConnection { attempt: 1, .. }]
    ));
    assert_eq!(s.connect.test, TestState::Testing);
    let effects = update(
        &mut s,
        Msg::ConnectionTested {
            attempt: 1,
            result: Ok(Connected {
                client: client(),
                total_groups: 2,
                round_trip: std::time::Duration::from_millis(70),
            }),
        },
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::ListGroups { generation: 1, .. }]
    ));
    assert_eq!(s.screen, Screen::Groups);
    assert!(s.connect.live.is_some());
}

#[test]
fn an_incomplete_form_is_not_tested_at_start_and_says_why_on_t() {
    let mut s = connect_form();
    s.connect.secret = None;
    assert!(s.start().is_empty());
    assert_eq!(s.connect.test, TestState::Untested);
    let effects = press(&mut s, KeyCode::Char('t'));
    assert!(effects.is_empty());
    let TestState::Incomplete(missing) = &s.connect.test else {
        panic!("{:?}", s.connect.test)
    };
    assert!(missing[0].starts_with("Secret key"), "{missing:?}");
}

#[test]
fn answers_to_older_tests_are_ignored() {
    let mut s = connect_form();
    s.start();
    press(&mut s, KeyCode::Char('t'));
    let stale = update(
        &mut s,
        Msg::ConnectionTested {
            attempt: 1,
            result: Ok(Connected {
                client: client(),
                total_groups: 2,
                round_trip: std::time::Duration::from_millis(70),
            }),
        },
    );
    assert!(stale.is_empty());
    assert!(s.connect.live.is_none());
    assert_eq!(s.connect.test, TestState::Testing);
    let error = ErrorView::local("get_appid_group_list refused", "nope");
    update(
        &mut s,
        Msg::ConnectionTested {
            attempt: 2,
            result: Err(error.clone()),
        },
    );
    assert_eq!(s.connect.test, TestState::Failed(error));
    assert_eq!(s.screen, Screen::Connect, "a failure stays on Connect");
}

#[test]
fn a_test_by_hand_stays_on_connect() {
    let mut s = connect_form();
    let effects = press(&mut s, KeyCode::Char('t'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::TestConnection { .. }]
    ));
    update(
        &mut s,
        Msg::ConnectionTested {
            attempt: 1,
            result: Ok(Connected {
                client: client(),
                total_groups: 0,
                round_trip: std::time::Duration::from_millis(70),
            }),
        },
    );
    assert_eq!(s.screen, Screen::Connect);
}

#[test]
fn editing_a_field_invalidates_the_test_but_keeps_the_client() {
    let mut s = connected();
    s.screen = Screen::Connect;
    s.connect.focus = Field::Admin;
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "2");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.connect.admin, "administrator2");
    assert_eq!(s.connect.test, TestState::Untested);
    assert!(s.connect.live.is_some());
    // Esc abandons an edit.
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "zzz");
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.connect.admin, "administrator2");
}

#[test]
fn left_and_right_cycle_endpoints_and_profiles() {
    let mut s = connect_form();
    s.connect.focus = Field::Endpoint;
    press(&mut s, KeyCode::Right);
    assert_eq!(s.connect.choice.label(), "Custom endpoint");
    press(&mut s, KeyCode::Right);
    assert!(s.connect.choice.label().starts_with("China"));
    press(&mut s, KeyCode::Up);
    assert_eq!(s.connect.focus, Field::Profile);
    let effects = press(&mut s, KeyCode::Left);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadProfile { name }] if name == "prod"),
        "{effects:?}"
    );
}

#[test]
fn the_url_field_is_skipped_for_a_region() {
    let mut s = connect_form();
    s.connect.focus = Field::Endpoint;
    press(&mut s, KeyCode::Right);
    press(&mut s, KeyCode::Right);
    press(&mut s, KeyCode::Down);
    assert_eq!(s.connect.focus, Field::SdkAppId);
}

#[test]
fn saving_needs_a_name_and_never_holds_the_key() {
    let mut s = connect_form();
    s.connect.profile.clear();
    assert!(press(&mut s, KeyCode::Char('s')).is_empty());
    assert_eq!(s.connect.focus, Field::Profile);
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "demo");
    press(&mut s, KeyCode::Enter);
    let effects = press(&mut s, KeyCode::Char('s'));
    let [Effect::SaveProfile { name, profile }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(name, "demo");
    assert_eq!(profile.admin.as_deref(), Some(ADMIN));
    assert_eq!(profile.key_file, None);
    assert_eq!(
        profile.endpoint.as_ref().map(|e| e.base().to_owned()),
        Some(URL.to_owned())
    );
}

#[test]
fn quitting() {
    let mut s = groups();
    press(&mut s, KeyCode::Char('q'));
    assert!(s.quit, "q quits when no run is going");

    let mut s = groups();
    press(&mut s, KeyCode::Char('/'));
    press(&mut s, KeyCode::Char('q'));
    assert!(!s.quit, "q while typing is a q");
    assert_eq!(s.groups.view.filter(), "q");
    update(&mut s, Msg::Input(Input::Key(ctrl('c'))));
    assert!(s.quit, "Ctrl-C always quits");
}

#[test]
fn listings_from_an_older_generation_are_ignored() {
    let mut s = groups();
    let rows = s.groups.rows.len();
    let old = s.groups.generation;
    let effects = press(&mut s, KeyCode::Char('r'));
    assert!(
        matches!(effects.as_slice(), [Effect::ListGroups { generation, .. }] if *generation == old + 1)
    );
    update(
        &mut s,
        Msg::GroupIds {
            generation: old,
            result: Ok(GroupIdPage {
                ids: vec!["stale".into()],
                total: 1,
                last: true,
            }),
        },
    );
    assert!(s.groups.get("stale").is_none());
    assert!(
        s.groups.rows.len() < rows,
        "the reload cleared the service's rows"
    );
}

#[test]
fn marks_copy_and_help() {
    let mut s = groups();
    press(&mut s, KeyCode::Char(' '));
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(s.groups.marked(), vec!["eng-core", "support-desk"]);
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(matches!(effects.as_slice(), [Effect::Copy(id)] if id == "eng-core"));
    press(&mut s, KeyCode::Char('?'));
    assert!(matches!(s.overlay, Some(Overlay::Help { .. })));
    press(&mut s, KeyCode::Down);
    assert!(matches!(s.overlay, Some(Overlay::Help { scroll: 1 })));
    press(&mut s, KeyCode::Esc);
    assert!(s.overlay.is_none());
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Input(Input::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }))
}

#[test]
fn the_mouse_scrolls_focuses_and_switches_and_can_be_turned_off() {
    let mut s = groups();
    s.hits = vec![
        (Rect::new(10, 0, 10, 1), HitTarget::Tab(Screen::Connect)),
        (Rect::new(0, 3, 80, 10), HitTarget::List(ListId::Groups)),
    ];
    update(&mut s, mouse(MouseEventKind::Down(MouseButton::Left), 5, 5));
    assert_eq!(s.groups.view.selected(), Some(2));
    update(&mut s, mouse(MouseEventKind::ScrollDown, 5, 5));
    assert_eq!(s.groups.view.selected(), Some(5));
    update(
        &mut s,
        mouse(MouseEventKind::Down(MouseButton::Left), 12, 0),
    );
    assert_eq!(s.screen, Screen::Connect);

    s.screen = Screen::Groups;
    let effects = press(&mut s, KeyCode::Char('m'));
    assert!(matches!(effects.as_slice(), [Effect::SetMouse(false)]));
    update(
        &mut s,
        mouse(MouseEventKind::Down(MouseButton::Left), 12, 0),
    );
    assert_eq!(
        s.screen,
        Screen::Groups,
        "clicks are ignored with the mouse off"
    );
}
