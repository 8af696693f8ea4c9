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
    problems.files.view.select_row(2);
    problems.files.sync_problems();
    press(&mut problems, KeyCode::Tab);
    let mut launch = preview();
    press(&mut launch, KeyCode::Char('L'));
    let mut bursts = with_bursts(preview());
    press(&mut bursts, KeyCode::Char('L'));
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
    let mut after_run = finished();
    after_run.screen = timport::console::keymap::Screen::Groups;
    vec![
        ("connect", connect_form()),
        ("connect_typing", typing),
        ("connected", connected()),
        ("groups", groups()),
        ("groups_filter", filtered),
        ("groups_after_run", after_run),
        ("help", help),
        ("files", files()),
        ("files_problems", problems),
        ("preview", preview()),
        ("preview_launch", launch),
        ("preview_launch_bursts", bursts),
        ("run", running()),
        ("run_finished", finished()),
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

#[test]
fn a_long_question_scrolls_to_its_last_line_at_80x24() {
    use timport::console::state::overlay::{Confirm, Overlay, Pending};
    let mut state = preview();
    // A launch of many groups: more lines than 24 rows hold, the ledger's path last.
    let mut lines: Vec<String> = (1..=30).map(|i| format!("  group-{i:02}")).collect();
    lines.push(
        "Every request is recorded before it is sent, in /home/op/.timport/data/ledger.sqlite3."
            .into(),
    );
    state.overlay = Some(Overlay::Confirm(Confirm {
        title: "Start the import?".into(),
        lines,
        on_yes: Pending::Launch(Vec::new()),
        scroll: 0,
    }));
    let first = screen_text(&render(&mut state, &Theme::default(), 80, 24));
    let tail = "ledger.sqlite3";
    assert!(!first.contains(tail), "{first}");
    assert!(
        first.contains("more (↓ scrolls)"),
        "a sign that more is below:\n{first}"
    );
    assert!(
        first.contains("y yes"),
        "the answer keys stay in sight:\n{first}"
    );
    press(&mut state, KeyCode::End);
    let last = screen_text(&render(&mut state, &Theme::default(), 80, 24));
    assert!(
        last.contains(tail),
        "the ledger's path is reachable:\n{last}"
    );
    assert!(last.contains("↑"), "a sign that more is above:\n{last}");
    assert!(last.contains("y yes"), "{last}");
    press(&mut state, KeyCode::Char('k'));
    let up = screen_text(&render(&mut state, &Theme::default(), 80, 24));
    assert!(!up.contains(tail), "k scrolls back up:\n{up}");
    // Still a question: the moving keys did not answer it.
    assert!(matches!(state.overlay, Some(Overlay::Confirm(_))));
}

#[test]
fn a_problem_s_full_text_is_in_its_pop_up() {
    use timport::console::msg::Msg;
    let mut state = files();
    state.files.view.select_row(2);
    state.files.sync_problems();
    press(&mut state, KeyCode::Tab);
    let effects = press(&mut state, KeyCode::Enter);
    let Some(timport::console::effect::Effect::ReadStaged { title, heading, .. }) =
        effects.into_iter().next()
    else {
        panic!("Enter reads the staged message")
    };
    timport::console::state::update(
        &mut state,
        Msg::StagedText {
            title,
            heading,
            result: Ok("[1, 2".into()),
        },
    );
    let text = screen_text(&render(&mut state, &Theme::default(), 80, 24));
    let problem = state
        .files
        .selected_problem()
        .map(|p| p.message.clone())
        .unwrap_or_default();
    // The table cuts it; the pop-up shows every word of it (wrapped).
    let flat: String = text
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == '┃' || c == ' ' || c == '"'))
        .collect::<Vec<_>>()
        .join(" ");
    for word in problem.split_whitespace() {
        assert!(flat.contains(word), "{word} of {problem:?}:\n{text}");
    }
}

#[test]
fn times_are_in_the_console_s_zone_and_the_zone_is_named() {
    let shanghai = timport::clock::Zone::Local(
        jiff::tz::TimeZone::get("Asia/Shanghai").expect("the tz database"),
    );
    let mut utc = running();
    let text = screen_text(&render(&mut utc, &Theme::default(), 120, 40));
    assert!(
        text.lines().next().unwrap_or_default().contains("UTC  "),
        "{text}"
    );
    assert!(text.contains("2023-01-04 09:26"), "{text}");
    let mut local = running();
    local.zone = shanghai;
    let text = screen_text(&render(&mut local, &Theme::default(), 120, 40));
    assert!(
        text.lines().next().unwrap_or_default().contains("UTC+8  "),
        "{text}"
    );
    assert!(
        text.contains("2023-01-04 17:26"),
        "eight hours later:\n{text}"
    );
    assert!(!text.contains("2023-01-04 09:26"), "{text}");
}

#[test]
fn a_comparison_s_two_panes_scroll_together_to_their_end_at_80x24() {
    let mut state = verify_finding();
    let first = screen_text(&render(&mut state, &Theme::default(), 80, 24));
    // Both messages' closing brace is below the panes at 80x24; the border says so.
    assert!(first.contains("↓ 1 more (↓ scrolls)"), "{first}");
    assert!(!first.contains("↑ "), "{first}");
    press(&mut state, KeyCode::End);
    let last = screen_text(&render(&mut state, &Theme::default(), 80, 24));
    assert!(
        last.contains("↑ 1 more"),
        "a sign that more is above:\n{last}"
    );
    assert!(!last.contains("↓ 1 more"), "{last}");
    // Each pane shows its own closing brace: both scrolled, one row each.
    let braces = last
        .lines()
        .filter(|l| l.matches("│}").count() == 2)
        .count();
    assert_eq!(braces, 1, "{last}");
    // Far past the end, the panes stay at it (the drawing keeps the scroll in range).
    for _ in 0..20 {
        press(&mut state, KeyCode::Down);
    }
    let past = screen_text(&render(&mut state, &Theme::default(), 80, 24));
    assert_eq!(past, last);
    press(&mut state, KeyCode::Home);
    let back = screen_text(&render(&mut state, &Theme::default(), 80, 24));
    assert_eq!(back, first);
}
