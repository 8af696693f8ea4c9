//! `timport usersig` through the real binary: the printed UserSig verifies, configuration comes
//! from flags, environment and profiles, and the secret key never shows in any output.

mod support;

use std::process::Output;

use support::binary::timport_command as timport;
use timport::api::{SecretKey, usersig};

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8(output.stdout.clone()).unwrap(),
        String::from_utf8(output.stderr.clone()).unwrap(),
    )
}

fn assert_no_key(output: &Output) {
    let (out, err) = text(output);
    for shown in [&out, &err] {
        assert!(!shown.contains(&KEY[..16]), "the key leaked: {shown}");
    }
}

fn verify_line(stdout: &str, sdkappid: u64, admin: &str) -> usersig::SigFields {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "only the UserSig on stdout: {stdout:?}");
    usersig::verify(
        lines[0],
        &SecretKey::new(KEY),
        sdkappid,
        admin,
        timport::clock::unix_now(),
    )
    .unwrap()
}

#[test]
fn prints_one_verifiable_usersig_from_flags_and_the_env_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = timport(dir.path())
        .env("TIMPORT_SECRET_KEY", KEY)
        .args([
            "usersig",
            "--sdkappid",
            "1400000000",
            "--admin",
            "administrator",
        ])
        .output()
        .unwrap();
    let (out, err) = text(&output);
    assert!(output.status.success(), "{err}");
    assert_eq!(err, "", "no warnings expected");
    let fields = verify_line(&out, 1_400_000_000, "administrator");
    assert_eq!(
        fields.expire,
        180 * 86_400,
        "the official libraries' default"
    );
    assert_no_key(&output);
    assert!(
        !dir.path().join("config").exists(),
        "usersig writes nothing"
    );
}

#[test]
fn expire_and_env_options_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let output = timport(dir.path())
        .env("TIMPORT_SECRET_KEY", KEY)
        .env("TIMPORT_SDKAPPID", "7")
        .env("TIMPORT_ADMIN", "ops")
        .args(["usersig", "--expire", "3600"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    let fields = verify_line(&text(&output).0, 7, "ops");
    assert_eq!(fields.expire, 3600);

    let usersig = |expire: &str| {
        timport(dir.path())
            .env("TIMPORT_SECRET_KEY", KEY)
            .args([
                "usersig",
                "--sdkappid",
                "7",
                "--admin",
                "ops",
                "--expire",
                expire,
            ])
            .output()
            .unwrap()
    };
    let zero = usersig("0");
    assert_eq!(zero.status.code(), Some(2));
    assert!(text(&zero).1.contains("--expire must be at least 1"));

    // A signature that never expires is refused; 180 days (the documented default) is the most.
    for absurd in ["18446744073709551615", "15552001"] {
        let out = usersig(absurd);
        assert_eq!(out.status.code(), Some(2), "{absurd}");
        let (stdout, stderr) = text(&out);
        assert!(stdout.is_empty(), "no UserSig printed: {stdout}");
        assert!(stderr.contains("longer than 180 days"), "{stderr}");
        assert_no_key(&out);
    }
    let most = usersig("15552000");
    assert!(most.status.success(), "{:?}", text(&most));
    assert_eq!(verify_line(&text(&most).0, 7, "ops").expire, 15_552_000);
}

#[test]
fn without_a_key_it_exits_2_and_says_how_to_give_one() {
    let dir = tempfile::tempdir().unwrap();
    let output = timport(dir.path())
        .args(["usersig", "--sdkappid", "1", "--admin", "a"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let (out, err) = text(&output);
    assert_eq!(out, "");
    assert!(err.contains("no secret key"), "{err}");
    assert!(
        err.contains("TIMPORT_SECRET_KEY") && err.contains("--key-file"),
        "{err}"
    );
}

#[test]
fn missing_settings_are_all_named_and_the_key_is_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let output = timport(dir.path())
        .env("TIMPORT_SECRET_KEY", KEY)
        .arg("usersig")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = text(&output).1;
    assert!(
        err.contains("--sdkappid") && err.contains("--admin"),
        "{err}"
    );
    assert!(!err.contains("region"), "usersig needs no endpoint: {err}");
    assert_no_key(&output);
}

#[test]
fn a_profile_supplies_settings_and_an_open_key_file_warns_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("prod.key"), format!("{KEY}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            config.join("prod.key"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
    std::fs::write(
        config.join("config.toml"),
        "default_profile = \"prod\"\n[profiles.prod]\nregion = \"singapore\"\nsdkappid = 1400000001\nadmin = \"administrator\"\nkey_file = \"prod.key\"\n",
    )
    .unwrap();
    let output = timport(dir.path()).arg("usersig").output().unwrap();
    let (out, err) = text(&output);
    assert!(output.status.success(), "{err}");
    verify_line(&out, 1_400_000_001, "administrator");
    #[cfg(unix)]
    assert!(
        err.contains("warning") && err.contains("chmod 600"),
        "{err}"
    );
    assert_no_key(&output);
}

#[test]
fn a_config_file_holding_a_key_is_refused_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!("[profiles.p]\nsdkappid = 1\nadmin = \"a\"\nsecret_key = \"{KEY}\"\n"),
    )
    .unwrap();
    let output = timport(dir.path())
        .env("TIMPORT_SECRET_KEY", KEY)
        .args(["usersig", "--profile", "p"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = text(&output).1;
    assert!(
        err.contains("config.toml:4") && err.contains("secret_key"),
        "{err}"
    );
    assert!(err.contains("key_file"), "{err}");
    assert_no_key(&output);
}

#[test]
fn an_endpoint_flag_wins_over_a_region_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let output = timport(dir.path())
        .env("TIMPORT_SECRET_KEY", KEY)
        .env("TIMPORT_REGION", "singapore")
        .args([
            "usersig",
            "--endpoint",
            "http://127.0.0.1:9",
            "--sdkappid",
            "1400000000",
            "--admin",
            "administrator",
        ])
        .output()
        .unwrap();
    let (out, err) = text(&output);
    assert!(output.status.success(), "{err}");
    verify_line(&out, 1_400_000_000, "administrator");
}
