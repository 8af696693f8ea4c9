//! The real console loop (App on a TestBackend, scripted keys) against the in-process sandbox.

mod console_common;
mod support;

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
        // Nothing listens there; the test types the sandbox's address over it.
        let closed = format!("http://{}", support::binary::closed_port());
        let mut s = startup(&closed, locations(dir));
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
    let screen = h.wait_for("••••••••").await;
    assert!(!screen.contains(&KEY[..8]), "{screen}");
    assert!(
        !screen.contains("•••••••••"),
        "the mask does not tell the length: {screen}"
    );
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

mod full_loop {
    use super::*;
    use timport::cli::demo::{DemoDir, start_sandbox};
    use timport::console::msg::Input;

    fn lane_row(screen: &str, lane: &str) -> String {
        screen
            .lines()
            .find(|l| l.contains(&format!(" {lane} ")) && (l.contains('%')))
            .unwrap_or_default()
            .to_owned()
    }

    /// Connect, browse the files and a problem, preview a group, import it, hit a failure, skip
    /// it, hit an invalid message, fix it in the inspector, finish.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connect_browse_preview_run_fix_finish() {
        let sb = start_sandbox(false).await.expect("sandbox");
        let dir = DemoDir::create().expect("demo dir");
        let url = sb.url();
        let mut h = Harness::start(140, 45, |home| demo_startup(&url, &dir, home));
        h.wait_for("Groups · 6 in the app").await;
        h.wait_for("1 only staged").await;

        // Files: eng-core's problems, one shown in full.
        h.press(KeyCode::Char('3'));
        h.wait_for("eng-core.jsonl").await;
        h.press(KeyCode::Char('/'));
        h.type_text("eng");
        h.press(KeyCode::Enter);
        h.press(KeyCode::Tab);
        h.wait_for("Problems in eng-core.jsonl (3)").await;
        h.press(KeyCode::Enter);
        let screen = h.wait_for("(not valid JSON").await;
        assert!(
            screen.contains("eng-core.jsonl line 201")
                && screen.contains("The error: invalid JSON"),
            "the pop-up names file, line and the problem in full: {screen}"
        );
        h.press(KeyCode::Esc);

        // Groups: open town-hall; its plan shows; import it.
        h.press(KeyCode::Char('2'));
        h.press(KeyCode::Char('/'));
        h.type_text("town");
        h.press(KeyCode::Enter);
        h.press(KeyCode::Enter);
        let screen = h.wait_for("Preview · town-hall · 298 messages").await;
        assert!(screen.contains("\"GroupId\": \"town-hall\""), "{screen}");
        assert!(
            screen.contains("2 staged messages are not planned"),
            "{screen}"
        );
        h.press(KeyCode::Char('L'));
        h.wait_for("Start the import?").await;
        h.press(KeyCode::Char('y'));

        // The lane stops at the oversized message (line 151): skip it with a reason.
        let screen = h
            .wait_until("paused at line 151", |s| {
                s.contains("town-hall paused at town-hall.jsonl line 151")
            })
            .await;
        assert!(
            lane_row(&screen, "town-hall").contains("‖ paused"),
            "{screen}"
        );
        h.press(KeyCode::Enter);
        h.wait_for("What went wrong").await;
        h.press(KeyCode::Char('s'));
        h.type_text("a meeting transcript, archived elsewhere");
        h.press(KeyCode::Enter);

        // Then at the image (line 221): fix it as text and retry it edited.
        h.wait_for("town-hall paused at town-hall.jsonl line 221")
            .await;
        h.press(KeyCode::Enter);
        // The inspector has read the staged message (the image is also named in the results
        // and errors panes, so wait for the inspector to be done reading).
        h.wait_until("the inspector holds the message", |s| {
            s.contains("Message as staged") && !s.contains("Reading the staged message")
        })
        .await;
        h.press(KeyCode::Char('e'));
        h.send(Input::Key(ctrl('a')));
        h.send(Input::Key(ctrl('k')));
        // The same sender and time; the image becomes a text saying what it was.
        let staged = std::fs::read_to_string(dir.staging().join("town-hall.jsonl")).expect("file");
        let mut fixed: serde_json::Value =
            serde_json::from_str(staged.lines().nth(220).expect("line 221")).expect("json");
        fixed["MsgBody"] = serde_json::json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "[image img-220]"}}]);
        h.send(Input::Paste(fixed.to_string()));
        h.press(KeyCode::Esc);
        h.press(KeyCode::Char('R'));
        let screen = h
            .wait_until("the run finished", |s| s.contains("Run 1 finished"))
            .await;
        assert!(
            lane_row(&screen, "town-hall").contains("✓ done"),
            "{screen}"
        );
        assert!(screen.contains("299 done"), "{screen}");

        // The service holds every planned message once, the fixed one included.
        let stored = sb.messages("town-hall");
        assert_eq!(stored.len(), 299);
        let texts: Vec<String> = stored
            .iter()
            .map(|m| serde_json::to_string(&m.body).unwrap_or_default())
            .collect();
        assert_eq!(
            texts
                .iter()
                .filter(|t| t.contains("[image img-220]"))
                .count(),
            1
        );
        let app = h.quit().await;
        assert!(!app.state().run.active);
        drop(dir);
        sb.shutdown().await;
    }

    /// A run stopped by quitting is reopened from the ledger in a new console and finishes with
    /// every message in the service exactly once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stopped_run_is_reopened_from_the_ledger_and_finishes() {
        let sb = start_sandbox(false).await.expect("sandbox");
        let dir = DemoDir::create().expect("demo dir");
        let url = sb.url();
        // Slow (200 requests at 20/s): the run is surely still going when the test quits it.
        let mut h = Harness::start(120, 40, |home| {
            let mut startup = demo_startup(&url, &dir, home);
            startup.run_options.rate = 20;
            startup
        });
        h.wait_for("1 only staged").await;
        h.import_group("support-desk").await;
        h.wait_until("some results", |s| {
            lane_row(s, "support-desk").contains("▶ running") && s.contains("seq 100")
        })
        .await;
        let app = h.quit().await;
        let done_before = sb.messages("support-desk").len();
        assert!(done_before < 1400, "quit mid-run: {done_before}");
        assert!(!app.state().run.active || app.state().run.finished.is_none());

        let mut h = Harness::start(120, 40, |home| demo_startup(&url, &dir, home));
        h.wait_for("1 only staged").await;
        h.press(KeyCode::Char('5'));
        h.press(KeyCode::Char('o'));
        let screen = h.wait_for("Resume run 1?").await;
        assert!(screen.contains("support-desk"), "{screen}");
        h.press(KeyCode::Char('y'));
        h.wait_for("Start the import?").await;
        h.press(KeyCode::Char('y'));
        let screen = h
            .wait_until("the run finished", |s| s.contains("Run 1 finished"))
            .await;
        assert!(screen.contains("(resumed)"), "{screen}");
        let stored = sb.messages("support-desk");
        assert_eq!(stored.len(), 1400, "every message once");
        let mut randoms: Vec<u32> = stored.iter().map(|m| m.random).collect();
        randoms.sort_unstable();
        randoms.dedup();
        assert_eq!(randoms.len(), 1400, "no message twice");
        h.quit().await;
        drop(dir);
        sb.shutdown().await;
    }
}

/// A profile saved from the form holds the connection but never the key, and loading it back
/// fills the form again.
#[tokio::test]
async fn a_profile_is_saved_without_the_key_and_loaded_back() {
    let sb = sandbox(KEY).await;
    let url = sb.url();
    let mut h = Harness::start(100, 30, |dir| {
        let mut s = startup(&url, locations(dir));
        s.prefill.profiles.clear();
        s.prefill.profile = None;
        s
    });
    h.wait_for("Groups · 3 in the app").await;
    let config = h._dir.path().join("config/config.toml");
    h.press(KeyCode::Char('1'));
    h.press(KeyCode::Up);
    h.press(KeyCode::Enter);
    h.type_text("rehearsal");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('s'));
    h.wait_for("Saved profile 'rehearsal'").await;
    let text = std::fs::read_to_string(&config).expect("config written");
    assert!(text.contains("[profiles.rehearsal]"), "{text}");
    assert!(text.contains("admin = \"administrator\""), "{text}");
    assert!(text.contains(&url), "{text}");
    assert!(!text.contains(KEY) && !text.contains("secret"), "{text}");
    assert!(
        text.contains("default_profile = \"rehearsal\""),
        "the first profile is the default: {text}"
    );
    // Change the admin, then load the profile back with ←.
    for _ in 0..4 {
        h.press(KeyCode::Down);
    }
    h.press(KeyCode::Enter);
    h.type_text("-changed");
    h.press(KeyCode::Enter);
    h.wait_for("administrator-changed").await;
    for _ in 0..4 {
        h.press(KeyCode::Up);
    }
    h.press(KeyCode::Left);
    h.wait_for("Loaded profile 'rehearsal'").await;
    let app = h.quit().await;
    assert_eq!(app.state().connect.admin, "administrator");
}
