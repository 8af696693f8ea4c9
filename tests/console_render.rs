//! Every screen as an insta snapshot at 80x24 and 120x40 (fixed data, fixed clock), colours
//! where they carry meaning, the help generated from the key map, the size guard, and no panic
//! at any size from 1x1 to 200x60.

mod console_common;

use console_common::fixtures::*;
use console_common::*;
use crossterm::event::KeyCode;
use ratatui::style::Color;
use timport::console::keymap::{Keymap, Place};
use timport::console::state::AppState;
use timport::console::theme::Theme;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// Every screen and overlay, by name.
fn screens() -> Vec<(&'static str, AppState)> {
    let mut help = groups();
    press(&mut help, KeyCode::Char('?'));
    let mut typing = connect_form();
    press(&mut typing, KeyCode::Down);
    press(&mut typing, KeyCode::Down);
    press(&mut typing, KeyCode::Down);
    press(&mut typing, KeyCode::Enter);
    type_text(&mut typing, "99");
    let mut filtered = groups();
    press(&mut filtered, KeyCode::Char('/'));
    type_text(&mut filtered, "e");
    let mut problems = files();
    problems.files.select_group("eng-core");
    press(&mut problems, KeyCode::Tab);
    let mut launch = preview();
    launch_key(&mut launch, KeyCode::Char('L'), &[]);
    let mut bursts = with_bursts(preview());
    launch_key(&mut bursts, KeyCode::Char('L'), &[]);
    let mut create = groups_to_create();
    press(&mut create, KeyCode::Char('c'));
    let mut launch_missing = preview();
    launch_key(
        &mut launch_missing,
        KeyCode::Char('A'),
        &["old.guest", "temp.7"],
    );
    let mut editing = inspecting();
    press(&mut editing, KeyCode::Char('e'));
    let refused = edit_refused();
    let by_code = || {
        let mut s = running();
        s.run.focus = timport::console::state::run::RunFocus::Errors;
        press(&mut s, KeyCode::Char('c'));
        s
    };
    let mut bulk = by_code();
    press(&mut bulk, KeyCode::Char('S'));
    type_text(&mut bulk, "duplicates of the CRM feed");
    press(&mut bulk, KeyCode::Enter);
    vec![
        ("connect", connect_form()),
        ("connect_typing", typing),
        ("connected", connected()),
        ("groups", groups()),
        ("groups_filter", filtered),
        ("groups_to_create", groups_to_create()),
        ("groups_create", create),
        ("help", help),
        ("files", files()),
        ("files_problems", problems),
        ("preview", preview()),
        ("preview_launch", launch),
        ("preview_phases", preview_phases()),
        ("preview_launch_missing", launch_missing),
        ("preview_launch_bursts", bursts),
        ("run", running()),
        ("run_finished", finished()),
        ("run_phases", running_phases()),
        ("run_by_code", by_code()),
        ("run_bulk_confirm", bulk),
        ("inspector", inspecting()),
        ("inspector_editing", editing),
        ("inspector_edit_refused", refused),
        ("run_verifying", verifying()),
        ("verify_finding", verify_finding()),
    ]
}

/// The inspector after the engine refused an edit older than the group's newest landing: the
/// lane's newest landing, the engine's words, and the options with their keys.
fn edit_refused() -> AppState {
    use timport::console::msg::Msg;
    use timport::engine::outcome::EngineReason;
    use timport::engine::{Event, Newest};
    let mut s = inspecting();
    let newest = Newest {
        send_time: 1_672_720_000,
        msg_seq: 3,
        source: source("sales-emea.jsonl", 3, 300),
    };
    if let Some(i) = s.inspector.as_mut() {
        i.reason.newest = Some(newest.clone());
    }
    press(&mut s, KeyCode::Char('R'));
    // The engine's refusal, in the engine's words (what the lane sends back).
    let refusal = EngineReason::EditBehind.failure(format!(
        "edited SendTime 2023-01-03 02:24:13 (1672712653); newest landed: {}",
        newest.describe()
    ));
    timport::console::state::update(
        &mut s,
        Msg::Engine(Event::Warning {
            target: Some(lane("sales-emea")),
            message: refusal.line(),
        }),
    );
    s
}

#[test]
fn snapshots_of_every_screen() {
    for (name, mut state) in screens() {
        for (w, h) in SIZES {
            let terminal = render(&mut state, &Theme::default(), w, h);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
        }
    }
}

#[test]
fn no_panic_at_any_size() {
    for (name, mut state) in screens() {
        for w in (1..=200).step_by(7).chain([79, 80, 81, 200]) {
            for h in (1..=60).step_by(5).chain([23, 24, 25, 60]) {
                for theme in [Theme::default(), Theme::monochrome()] {
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        render(&mut state, &theme, w, h);
                    }));
                    assert!(result.is_ok(), "{name} panicked at {w}x{h}");
                }
            }
        }
    }
}

#[test]
fn below_80x24_the_console_says_so() {
    let mut state = groups();
    let text = screen_text(&render(&mut state, &Theme::default(), 79, 24));
    assert!(text.contains("at least 80×24"), "{text}");
    assert!(text.contains("This one is 79×24"), "{text}");
    let text = screen_text(&render(&mut state, &Theme::default(), 80, 24));
    assert!(!text.contains("at least 80×24"), "{text}");
}

/// Finds `needle` on screen and returns the style of its first cell.
fn style_of(
    terminal: &ratatui::Terminal<ratatui::backend::TestBackend>,
    needle: &str,
) -> ratatui::style::Style {
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width as usize;
    let text = screen_text(terminal);
    for (row, line) in text.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            let col = line[..byte].chars().count();
            return buffer.content[row * width + col].style();
        }
    }
    panic!("{needle:?} not on screen:\n{text}");
}

#[test]
fn colour_carries_meaning_and_symbols_carry_it_without_colour() {
    let mut state = groups();
    let colour = render(&mut state, &Theme::default(), 120, 40);
    assert_eq!(
        style_of(&colour, "✗ no").fg,
        Some(Color::Red),
        "AVChatRoom refused"
    );
    assert_eq!(style_of(&colour, "✗ missing").fg, Some(Color::Red));
    assert_eq!(style_of(&colour, "! newer").fg, Some(Color::Yellow));
    assert_eq!(style_of(&colour, "✓ administrator").fg, Some(Color::Green));
    let mono = render(&mut state, &Theme::monochrome(), 120, 40);
    for needle in ["✗ no", "✗ missing", "! newer", "✓ administrator"] {
        let fg = style_of(&mono, needle).fg;
        assert!(
            matches!(fg, None | Some(Color::Reset)),
            "{needle} without colour: {fg:?}"
        );
    }
}

#[test]
fn help_and_footer_come_from_the_key_map() {
    let keymap = Keymap::standard();
    let mut state = groups();
    press(&mut state, KeyCode::Char('?'));
    // Tall enough to hold the whole help.
    let text = screen_text(&render(&mut state, &Theme::default(), 120, 200));
    for place in Place::ALL {
        for b in keymap.of(place) {
            assert!(
                text.contains(b.label),
                "help lacks {:?} ({}) of {place:?}",
                b.action,
                b.label
            );
        }
    }
    assert!(
        text.contains("/home/op/.timport/data/timport.log"),
        "{text}"
    );
    assert!(
        text.contains("/home/op/.timport/config/config.toml"),
        "{text}"
    );
    assert!(
        text.contains("/home/op/.timport/data/ledger.sqlite3"),
        "{text}"
    );

    let mut state = groups();
    let text = screen_text(&render(&mut state, &Theme::default(), 120, 40));
    let footer = text.lines().last().unwrap_or_default();
    for (key, label) in keymap.hints(Place::Groups).into_iter().take(4) {
        assert!(footer.contains(&format!("{key} {label}")), "{footer}");
    }
}
