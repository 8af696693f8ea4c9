//! Keys named in the console's prose (titles, hints, status lines, questions) come from the key
//! map, as the footer does: give an action another key and every sentence follows.

mod console_common;

use console_common::*;
use crossterm::event::KeyCode;
use timport::console::keymap::{Action, Key, Place, Screen};
use timport::console::theme::Theme;

#[test]
fn prose_names_the_keys_the_key_map_binds() {
    let mut s = state("http://127.0.0.1:9");
    // Nothing tested yet on screen 1: "press t", "t tests".
    let before = screen_text(&render(&mut s, &Theme::default(), 120, 40));
    assert!(before.contains("press t."), "{before}");
    assert!(before.contains("Connection test · t tests"), "{before}");

    for (place, action, key) in [
        (Place::Connect, Action::TestConnection, 'T'),
        (Place::Files, Action::ChangeDir, 'D'),
        (Place::Run, Action::Reopen, 'O'),
        (Place::Preview, Action::LaunchGroup, 'I'),
        (Place::Groups, Action::Mark, 'v'),
        (Place::Confirm, Action::ToggleSameSecond, 'S'),
    ] {
        assert!(
            s.keymap.rebind(place, action, &[Key::ch(key)]),
            "{action:?}"
        );
    }
    let connect = screen_text(&render(&mut s, &Theme::default(), 120, 40));
    assert!(connect.contains("press T."), "{connect}");
    assert!(connect.contains("Connection test · T tests"), "{connect}");
    assert!(!connect.contains("press t."), "{connect}");

    s.screen = Screen::Files;
    let files = screen_text(&render(&mut s, &Theme::default(), 120, 40));
    assert!(files.contains("press D to choose one"), "{files}");

    s.screen = Screen::Run;
    let run = screen_text(&render(&mut s, &Theme::default(), 120, 40));
    assert!(run.contains("press I to import it"), "{run}");
    assert!(run.contains("O shows the latest run"), "{run}");

    s.screen = Screen::Preview;
    press(&mut s, KeyCode::Char('M'));
    let said = s
        .status
        .as_ref()
        .map(|st| st.text.clone())
        .unwrap_or_default();
    assert!(said.contains("mark groups with v on screen 2"), "{said}");

    // A launch of groups with bursts names the key that spreads them.
    let mut launch = fixtures::with_bursts(fixtures::preview());
    assert!(
        launch
            .keymap
            .rebind(Place::Confirm, Action::ToggleSameSecond, &[Key::ch('S')])
    );
    launch_key(&mut launch, KeyCode::Char('L'), &[]);
    let text = screen_text(&render(&mut launch, &Theme::default(), 120, 40));
    assert!(text.contains("S spreads them instead."), "{text}");
    press(&mut launch, KeyCode::Char('S'));
    let text = screen_text(&render(&mut launch, &Theme::default(), 120, 40));
    assert!(text.contains("S keeps every SendTime instead."), "{text}");
}
