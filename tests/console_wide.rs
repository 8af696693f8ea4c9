//! Every screen at 80x24 with wide text: CJK, emoji with modifiers and ZWJ sequences in group
//! ids and names, file names, senders and texts. Snapshots (read each one), and the checks that
//! matter: nothing drawn past its column, every cut marked with `…`, the cursor after wide
//! characters where the terminal shows it.

mod console_common;

use console_common::fixtures::connect_form;
use console_common::wide;
use console_common::*;
use crossterm::event::KeyCode;
use ratatui::layout::Position;
use timport::console::state::AppState;
use timport::console::text_width::width_of;
use timport::console::theme::Theme;

fn screens(dir: &std::path::Path) -> Vec<(&'static str, AppState)> {
    let mut groups_selected = wide::groups(dir);
    press(&mut groups_selected, KeyCode::Down);
    let mut problem = wide::files(dir);
    press(&mut problem, KeyCode::Tab);
    let mut editing = wide::inspecting(dir);
    press(&mut editing, KeyCode::Char('e'));
    vec![
        ("wide_groups", groups_selected),
        ("wide_files", problem),
        ("wide_preview", wide::preview(dir)),
        ("wide_run", wide::running(dir)),
        ("wide_inspector", wide::inspecting(dir)),
        ("wide_inspector_editing", editing),
    ]
}

#[test]
fn snapshots_of_every_screen_with_wide_text_at_80x24() {
    let dir = tempfile::tempdir().expect("temp dir");
    wide::write_staging(dir.path());
    for (name, mut state) in screens(dir.path()) {
        let terminal = render(&mut state, &Theme::default(), 80, 24);
        // Every row is exactly 80 columns: nothing wide spilled past a column or the frame.
        for line in screen_text(&terminal).lines() {
            assert_eq!(width_of(line), 80, "{name}: {line:?}");
        }
        insta::assert_snapshot!(name, terminal.backend());
    }
}

#[test]
fn the_staged_count_is_one_number_on_every_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    wide::write_staging(dir.path());
    let s = wide::running(dir.path());
    let family = wide::GROUPS[1];
    let staged = wide::staged_counts(&s)[family];
    assert_eq!(staged, 21, "20 valid and 1 invalid");
    let file = s
        .files
        .rows()
        .iter()
        .find(|f| f.target == family)
        .expect("file");
    assert_eq!(file.messages, staged, "Files");
    let group = s.groups.get(family).and_then(|g| g.staged).expect("group");
    assert_eq!((group.messages, group.invalid), (staged, 1), "Groups");
}

/// Types `text` into the Connect form's Admin field and returns where the cursor is drawn.
fn cursor_after(text: &str) -> (Position, String) {
    let mut s = connect_form();
    for _ in 0..3 {
        press(&mut s, KeyCode::Down);
    }
    press(&mut s, KeyCode::Enter);
    // Clear the field (Ctrl-U), then type.
    update_ctrl_u(&mut s);
    type_text(&mut s, text);
    let mut terminal = render(&mut s, &Theme::default(), 80, 24);
    let position = terminal.get_cursor_position().expect("cursor");
    (position, screen_text(&terminal))
}

fn update_ctrl_u(s: &mut AppState) {
    timport::console::state::update(
        s,
        timport::console::msg::Msg::Input(timport::console::msg::Input::Key(ctrl('u'))),
    );
}

#[test]
fn the_cursor_stands_after_wide_characters_where_the_terminal_draws_them() {
    let (ascii, _) = cursor_after("abc");
    let (cjk, text) = cursor_after("管理员");
    assert!(text.contains("管理员"), "{text}");
    assert_eq!(cjk.x, ascii.x + 3, "管理员 is 6 columns, abc is 3");
    assert_eq!(cjk.y, ascii.y);
    let (family, _) = cursor_after("👨‍👩‍👧");
    assert_eq!(family.x, ascii.x - 1, "a ZWJ family is 2 columns");
    let (thumb, _) = cursor_after("👍🏽❤️");
    assert_eq!(
        thumb.x,
        ascii.x + 1,
        "two emoji with modifiers are 4 columns"
    );
    // A prompt on the status line too: the reason for a skip, typed after wide characters.
    let dir = tempfile::tempdir().expect("temp dir");
    wide::write_staging(dir.path());
    let mut s = wide::inspecting(dir.path());
    press(&mut s, KeyCode::Char('s'));
    type_text(&mut s, "管理员说👍🏽");
    let mut terminal = render(&mut s, &Theme::default(), 80, 24);
    let at = terminal.get_cursor_position().expect("cursor");
    let row = screen_text(&terminal)
        .lines()
        .nth(usize::from(at.y))
        .unwrap_or_default()
        .to_owned();
    assert!(row.contains("Why skip it"), "{row:?}");
    let before = width_of(row.split("管理员说👍🏽").next().unwrap_or_default());
    assert_eq!(
        usize::from(at.x),
        before + 10,
        "right after the 👍🏽: {row:?}"
    );
}

#[test]
fn wide_text_never_panics_at_any_size() {
    let dir = tempfile::tempdir().expect("temp dir");
    wide::write_staging(dir.path());
    for (name, mut state) in screens(dir.path()) {
        for w in (1..=160).step_by(9).chain([79, 80, 81]) {
            for h in (1..=50).step_by(7).chain([23, 24, 25]) {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    render(&mut state, &Theme::default(), w, h);
                }));
                assert!(result.is_ok(), "{name} panicked at {w}x{h}");
            }
        }
    }
}
