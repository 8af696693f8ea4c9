//! The secret key and the UserSig never reach the screen: every screen and overlay is rendered
//! with a known key (loaded, and typed into the masked field) and the buffer is searched; the
//! state's and the effects' `Debug` texts are searched too (they are what a log line would hold).

mod console_common;

use console_common::fixtures::*;
use console_common::*;
use crossterm::event::KeyCode;
use timport::api::usersig;
use timport::clock::unix_now;
use timport::console::theme::Theme;

fn assert_clean(text: &str, what: &str) {
    assert!(!text.contains(KEY), "{what} shows the secret key");
    assert!(
        !text.contains(&KEY[..12]),
        "{what} shows part of the secret key"
    );
    let now = unix_now();
    for t in [now - 1, now, now + 1] {
        let sig = usersig::generate(&timport::api::SecretKey::new(KEY), APP, ADMIN, 86_400, t);
        assert!(!text.contains(sig.expose()), "{what} shows a UserSig");
    }
    assert!(
        !text.contains("eJw"),
        "{what} shows something like a UserSig"
    );
}

#[test]
fn no_screen_shows_the_key_or_a_usersig() {
    let mut typed = connect_form();
    for _ in 0..4 {
        press(&mut typed, KeyCode::Down);
    }
    press(&mut typed, KeyCode::Enter);
    type_text(&mut typed, KEY);
    let mut states = vec![
        ("connect", connect_form()),
        ("typing the key", typed),
        ("connected", connected()),
        ("groups", groups()),
    ];
    let mut help = groups();
    press(&mut help, KeyCode::Char('?'));
    states.push(("help", help));
    states.push(("files", files()));
    states.push(("preview", preview()));
    let mut launch = preview();
    launch_key(&mut launch, KeyCode::Char('A'), &[]);
    states.push(("launch question", launch));
    states.push(("run", running()));
    states.push(("inspector", inspecting()));
    for (name, mut state) in states {
        for (w, h) in [(80, 24), (120, 40), (200, 60)] {
            let text = screen_text(&render(&mut state, &Theme::default(), w, h));
            assert_clean(&text, &format!("{name} at {w}x{h}"));
        }
        assert_clean(&format!("{state:?}"), &format!("{name}'s Debug"));
    }
}

#[test]
fn a_typed_key_is_masked_and_kept_for_the_session_only() {
    let mut s = connect_form();
    s.connect.secret = None;
    for _ in 0..4 {
        press(&mut s, KeyCode::Down);
    }
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "typed-secret-value");
    let text = screen_text(&render(&mut s, &Theme::default(), 100, 30));
    // A fixed mask: neither the key nor its length (18) shows.
    assert!(text.contains(&"•".repeat(8)), "{text}");
    assert!(!text.contains(&"•".repeat(9)), "{text}");
    assert!(!text.contains("typed-secret"), "{text}");
    press(&mut s, KeyCode::Enter);
    let text = screen_text(&render(&mut s, &Theme::default(), 100, 30));
    assert!(text.contains("typed, for this session only"), "{text}");
    // Saving the profile never carries it.
    s.connect.profile = "mine".into();
    let effects = press(&mut s, KeyCode::Char('s'));
    let shown = format!("{effects:?}");
    assert!(shown.contains("SaveProfile"), "{shown}");
    assert!(!shown.contains("typed-secret"), "{shown}");
    assert!(shown.contains("key_file: None"), "{shown}");
    // The test effect carries the key only inside a redacted SecretKey.
    let effects = press(&mut s, KeyCode::Char('t'));
    let shown = format!("{effects:?}");
    assert!(shown.contains("TestConnection"), "{shown}");
    assert!(!shown.contains("typed-secret"), "{shown}");
}
