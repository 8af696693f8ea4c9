//! Loading another profile in the Connect form changes what the console's next run runs with
//! (rate, lanes, message policy), as `timport run --profile NAME` would: the real app, its
//! executor reading the config file, and the state it ends with.

mod console_common;

use console_common::*;
use crossterm::event::KeyCode;
use timport::console::msg::Msg;
use timport::console::settings::LoadedProfile;
use timport::console::state::update;
use timport::engine::OnMessageError;

const CONFIG: &str = r#"
default_profile = "sandbox"
[profiles.sandbox]
endpoint = "http://127.0.0.1:9"
sdkappid = 1400000000
admin = "administrator"
[profiles.prod]
region = "singapore"
sdkappid = 1400000001
admin = "ops"
rate = 20
lanes = 2
on_message_error = "skip"
"#;

#[tokio::test]
async fn loading_another_profile_changes_the_run_options() {
    let mut h = Harness::start(100, 30, |dir| {
        std::fs::create_dir_all(dir.join("config")).expect("config dir");
        std::fs::write(dir.join("config/config.toml"), CONFIG).expect("config file");
        startup("http://127.0.0.1:9", locations(dir))
    });
    h.wait_for("Connect").await;
    // From the endpoint field up to the profile field; ← picks the profile before "sandbox".
    h.press(KeyCode::Up);
    h.press(KeyCode::Left);
    h.wait_for("Loaded profile 'prod'").await;
    let app = h.quit().await;
    let state = app.state();
    assert_eq!(state.connect.profile, "prod");
    assert_eq!(state.connect.admin, "ops");
    assert_eq!(
        (
            state.run_options.rate,
            state.run_options.lanes,
            state.run_options.on_message_error
        ),
        (20, 2, OnMessageError::Skip),
        "the next launch runs with the loaded profile's options"
    );
    assert!(
        state.run_options.wait_for_decisions,
        "the console still waits for the operator's decisions"
    );
}

#[test]
fn a_loaded_profile_sets_the_run_options_and_says_so() {
    let mut s = state("http://127.0.0.1:9");
    assert_eq!((s.run_options.rate, s.run_options.lanes), (180, 32));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("config.toml"), CONFIG).expect("config file");
    let paths = timport::config::Paths {
        config_dir: dir.path().to_owned(),
        data_dir: dir.path().join("data"),
    };
    let loaded: LoadedProfile =
        timport::console::settings::load_profile(&paths, "prod", Some(KEY.into()))
            .expect("the profile loads");
    update(
        &mut s,
        Msg::ProfileLoaded {
            name: "prod".into(),
            result: Ok(Box::new(loaded)),
        },
    );
    assert_eq!((s.run_options.rate, s.run_options.lanes), (20, 2));
    assert_eq!(s.run_options.on_message_error, OnMessageError::Skip);
    let said = s
        .status
        .as_ref()
        .map(|st| st.text.clone())
        .unwrap_or_default();
    assert!(
        said.contains("20 requests/s") && said.contains("2 lanes") && said.contains("skip"),
        "{said}"
    );
}
