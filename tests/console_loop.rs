//! The real console loop (App on a TestBackend, scripted keys) against the in-process sandbox.

mod console_common;

use console_common::*;
use crossterm::event::KeyCode;
use timport::api::SecretKey;
use timport::clock::unix_now;
use timport::console::keymap::Screen;
use timport::sandbox::{SandboxConfig, Seed};

const SEED: &str = r#"{
  "sdkappid": 1400000000, "admin": "administrator",
  "groups": [
    {"id": "team-a", "type": "Public", "name": "Team A", "create_time": 1600000000},
    {"id": "live-1", "type": "AVChatRoom", "name": "Live show", "create_time": 1600000000},
    {"id": "busy-1", "type": "Private", "name": "Busy", "create_time": 1600000000,
     "messages": [{"from": "a", "time": 1700000000,
                   "body": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]}]}
  ]
}"#;

async fn sandbox(key: &str) -> timport::sandbox::SandboxHandle {
    let seed = Seed::parse(SEED, unix_now()).expect("seed");
    timport::sandbox::start(
        SandboxConfig::new(SecretKey::new(key)).with_seed(seed),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("sandbox")
}

#[tokio::test]
async fn connects_on_start_and_pages_the_groups_in() {
    let sb = sandbox(KEY).await;
    let url = sb.url();
    let mut h = Harness::start(120, 40, |dir| startup(&url, locations(dir)));
    let screen = h.wait_for("Live show").await;
    assert!(screen.contains("Groups · 3 in the app"), "{screen}");
    assert!(screen.contains("✓ administrator @ "), "{screen}");
    let screen = h
        .wait_until("all details", |s| {
            s.contains("AVChatRoom") && s.contains("Busy") && !s.contains(" … ")
        })
        .await;
    assert!(
        screen.contains("✗ no"),
        "AVChatRoom cannot import:\n{screen}"
    );

    // `/` filters as it is typed; Esc clears.
    h.press(KeyCode::Char('/'));
    h.type_text("live");
    let screen = h.wait_for("(1 shown)").await;
    assert!(!screen.contains("Team A"), "{screen}");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Esc);
    h.wait_until("filter cleared", |s| {
        s.contains("Team A") && s.contains("Live show")
    })
    .await;

    // `q` while typing types a q; it does not quit.
    h.press(KeyCode::Char('/'));
    h.type_text("q");
    h.wait_for("/q▏").await;
    h.press(KeyCode::Esc);

    let app = h.quit().await;
    assert_eq!(app.state().screen, Screen::Groups);
    assert_eq!(app.state().groups.rows.len(), 3);
}

#[tokio::test]
async fn a_wrong_key_is_explained_with_code_and_remedy() {
    let sb = sandbox("a-different-secret-key").await;
    let url = sb.url();
    let mut h = Harness::start(100, 30, |dir| startup(&url, locations(dir)));
    let screen = h.wait_for("Remedy").await;
    assert!(
        screen.contains("get_appid_group_list refused 70009"),
        "{screen}"
    );
    assert!(
        screen.contains("Use the secret key shown for this SDKAppID"),
        "{screen}"
    );
    assert!(!screen.contains(KEY), "{screen}");
    let app = h.quit().await;
    assert_eq!(
        app.state().screen,
        Screen::Connect,
        "a failed test stays on Connect"
    );
}

#[tokio::test]
async fn the_form_is_edited_and_tested_by_hand() {
    let sb = sandbox(KEY).await;
    let url = sb.url();
    let mut h = Harness::start(100, 30, |dir| {
        let mut s = startup("http://127.0.0.1:9", locations(dir));
        s.prefill.secret = None;
        s
    });
    h.wait_for("Secret key").await;
    // Down to the URL field, retype it.
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    h.send(timport::console::msg::Input::Key(ctrl('u')));
    h.type_text(&url);
    h.press(KeyCode::Enter);
    h.wait_for(&url).await;
    // t without a key says what is missing.
    h.press(KeyCode::Char('t'));
    h.wait_for("Cannot test yet").await;
    // Down to the secret, type it (masked), test.
    for _ in 0..3 {
        h.press(KeyCode::Down);
    }
    h.press(KeyCode::Enter);
    h.type_text(KEY);
    let screen = h.wait_for("••••••••••").await;
    assert!(!screen.contains(&KEY[..8]), "{screen}");
    h.press(KeyCode::Enter);
    h.wait_for("typed, for this session only").await;
    h.press(KeyCode::Char('t'));
    let screen = h.wait_for("Connected as administrator").await;
    assert!(screen.contains("the app has 3 groups"), "{screen}");
    let app = h.quit().await;
    assert_eq!(
        app.state().screen,
        Screen::Connect,
        "a test by hand stays on Connect"
    );
}
