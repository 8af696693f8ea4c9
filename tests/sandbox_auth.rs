//! The sandbox's routing, URL query and UserSig checks, one test per rule, and the official
//! libraries' signatures (docs/service.md#usersig-test-vectors) accepted.

mod common;

use common::{ADMIN, APP, Raw, config, key, start};
use serde_json::json;
use timport::api::SecretKey;
use timport::api::types::Command;
use timport::api::usersig;
use timport::clock::unix_now;

const ACCOUNT_CHECK: &str = "/v4/im_open_login_svc/account_check";
const BODY: &str = r#"{"CheckItem":[{"UserID":"a"}]}"#;

fn sig_for(identifier: &str, sdkappid: u64, key: &SecretKey, time: i64, expire: u64) -> String {
    usersig::generate(key, sdkappid, identifier, expire, time)
        .expose()
        .to_owned()
}

fn query(sdkappid: &str, identifier: &str, sig: &str) -> String {
    format!(
        "{ACCOUNT_CHECK}?sdkappid={sdkappid}&identifier={identifier}&usersig={sig}&random=12345&contenttype=json"
    )
}

fn admin_sig() -> String {
    sig_for(ADMIN, APP, &key(), unix_now(), 3600)
}

#[tokio::test]
async fn a_valid_signed_request_is_answered_ok() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let answer = raw
        .raw("POST", &query("1400000000", ADMIN, &admin_sig()), BODY)
        .await;
    answer.expect_code(0);
    assert_eq!(answer.json["ResultItem"][0]["UserID"], "a");
}

#[tokio::test]
async fn unknown_command_is_60009() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let path = format!("/v4/group_open_http_svc/destroy_everything?{}", raw.query());
    raw.raw("POST", &path, "{}").await.expect_code(60009);
    raw.raw("POST", "/not/v4", "{}").await.expect_code(60009);
}

#[tokio::test]
async fn methods_other_than_post_are_60002() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let path = format!("{ACCOUNT_CHECK}?{}", raw.query());
    raw.raw("GET", &path, "").await.expect_code(60002);
    raw.raw("PUT", &path, BODY).await.expect_code(60002);
}

#[tokio::test]
async fn missing_sdkappid_is_60012() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let path = format!(
        "{ACCOUNT_CHECK}?identifier={ADMIN}&usersig={}&random=1&contenttype=json",
        admin_sig()
    );
    raw.raw("POST", &path, BODY).await.expect_code(60012);
}

#[tokio::test]
async fn missing_identifier_or_usersig_is_60004() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let no_identifier = format!(
        "{ACCOUNT_CHECK}?sdkappid={APP}&usersig={}&random=1&contenttype=json",
        admin_sig()
    );
    raw.raw("POST", &no_identifier, BODY)
        .await
        .expect_code(60004);
    let no_sig =
        format!("{ACCOUNT_CHECK}?sdkappid={APP}&identifier={ADMIN}&random=1&contenttype=json");
    raw.raw("POST", &no_sig, BODY).await.expect_code(60004);
}

#[tokio::test]
async fn empty_usersig_is_70002() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    raw.raw("POST", &query("1400000000", ADMIN, ""), BODY)
        .await
        .expect_code(70002);
}

#[tokio::test]
async fn missing_random_or_contenttype_is_60002() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let sig = admin_sig();
    let no_random =
        format!("{ACCOUNT_CHECK}?sdkappid={APP}&identifier={ADMIN}&usersig={sig}&contenttype=json");
    raw.raw("POST", &no_random, BODY).await.expect_code(60002);
    let no_type =
        format!("{ACCOUNT_CHECK}?sdkappid={APP}&identifier={ADMIN}&usersig={sig}&random=1");
    raw.raw("POST", &no_type, BODY).await.expect_code(60002);
    let wrong_type = format!("{no_type}&contenttype=xml");
    raw.raw("POST", &wrong_type, BODY).await.expect_code(60002);
}

#[tokio::test]
async fn another_apps_sdkappid_is_70020() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let sig = sig_for(ADMIN, 1_400_000_001, &key(), unix_now(), 3600);
    raw.raw("POST", &query("1400000001", ADMIN, &sig), BODY)
        .await
        .expect_code(70020);
}

#[tokio::test]
async fn malformed_usersig_is_70003() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let truncated = &admin_sig()[..40];
    for bad in ["garbage", truncated] {
        raw.raw("POST", &query("1400000000", ADMIN, bad), BODY)
            .await
            .expect_code(70003);
    }
}

#[tokio::test]
async fn expired_usersig_is_70001() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let sig = sig_for(ADMIN, APP, &key(), unix_now() - 100, 60);
    raw.raw("POST", &query("1400000000", ADMIN, &sig), BODY)
        .await
        .expect_code(70001);
    // Moving the sandbox's clock expires a valid one too.
    let fresh = admin_sig();
    sandbox.advance_clock(3601);
    raw.raw("POST", &query("1400000000", ADMIN, &fresh), BODY)
        .await
        .expect_code(70001);
}

#[tokio::test]
async fn usersig_for_another_identifier_is_70013() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let sig = sig_for("bob", APP, &key(), unix_now(), 3600);
    raw.raw("POST", &query("1400000000", ADMIN, &sig), BODY)
        .await
        .expect_code(70013);
}

#[tokio::test]
async fn usersig_for_another_sdkappid_is_70014() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let sig = sig_for(ADMIN, 1_400_000_001, &key(), unix_now(), 3600);
    raw.raw("POST", &query("1400000000", ADMIN, &sig), BODY)
        .await
        .expect_code(70014);
}

#[tokio::test]
async fn usersig_made_with_another_key_is_70009() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let sig = sig_for(ADMIN, APP, &SecretKey::new("not-the-key"), unix_now(), 3600);
    raw.raw("POST", &query("1400000000", ADMIN, &sig), BODY)
        .await
        .expect_code(70009);
}

#[tokio::test]
async fn a_valid_usersig_of_someone_not_admin_is_60010() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let sig = sig_for("bob", APP, &key(), unix_now(), 3600);
    raw.raw("POST", &query("1400000000", "bob", &sig), BODY)
        .await
        .expect_code(60010);
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_60003() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let path = format!("{ACCOUNT_CHECK}?{}", raw.query());
    for bad in ["", "{not json", "[1,2]"] {
        raw.raw("POST", &path, bad).await.expect_code(60003);
    }
}

#[tokio::test]
async fn refusals_never_echo_the_usersig_or_the_key() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    let wrong_key = sig_for(ADMIN, APP, &SecretKey::new("x"), unix_now(), 3600);
    let expired = sig_for(ADMIN, APP, &key(), unix_now() - 100, 60);
    let other_id = sig_for("bob", APP, &key(), unix_now(), 3600);
    for sig in [wrong_key, expired, other_id, "eJyrVgrx-broken".to_owned()] {
        let answer = raw
            .raw("POST", &query("1400000000", ADMIN, &sig), BODY)
            .await;
        assert_ne!(answer.code(), 0);
        assert!(!answer.text.contains(&sig), "{}", answer.text);
        assert!(!answer.text.contains(common::DEMO_KEY), "{}", answer.text);
    }
}

#[tokio::test]
async fn the_handle_and_config_never_show_the_key() {
    let sandbox = start(config()).await;
    let shown = format!("{sandbox:?} {:?}", config());
    assert!(shown.contains("administrator"), "{shown}");
    assert!(!shown.contains(common::DEMO_KEY), "{shown}");
}

/// The official vectors were minted at unix time 1700000000; moving the sandbox's clock back
/// there makes them current again.
#[tokio::test]
async fn signatures_from_the_official_libraries_are_accepted() {
    const TIME: i64 = 1_700_000_000;
    const PY_XIAOJUN: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPXFmekgG3zKHM1T9D3LzdODi-OKs8vCqpxcAvydnV2SSv2cy03cPcpDnA2SMgu0nUxslWoBHdYzUg__";
    const NODE_XIAOJUN: &str = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMiUZOamKlkZmqOKplYUZBaBxE1NTY3gosWZ6UpWSj5ljuYp*p7l5unBxXnF2WVhVU4uAf7Ozi5JpX7O5SbuHuUhzgZJmQXaTia2SrUAohcx8g__";
    const STORED_XIAOJUN: &str = "eAEBrABT-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6MTU1NTIwMDAsIlRMUy50aW1lIjoxNzAwMDAwMDAwLCJUTFMuc2lnIjoiTHZBN2QvSXc3Z1NzbnNrdlZ6QkRQT0NDRGJ1TkN3NEdId1RDMGJpcCtCND0ifQrfwzH8";
    const PY_ADMIN: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDKAAKpdaUZBZlAqUsTAzgQuWZOaChAzN0RQXZ6aDLKn0cUzVLjcPD00NLS1MCrPM0A*JMLcoNTLMD3HP1M60jCowLDUOKMiLNDOwVaoFAD4PNPI_";

    // The administrator vector lives 86400 s; both are valid an hour after minting.
    let admin_box = start(config()).await;
    admin_box.advance_clock(TIME + 3600 - unix_now());
    let raw = Raw::new(&admin_box);
    raw.raw("POST", &query("1400000000", ADMIN, PY_ADMIN), BODY)
        .await
        .expect_code(0);
    // A day and an hour later the same signature has expired.
    admin_box.advance_clock(86_400);
    raw.raw("POST", &query("1400000000", ADMIN, PY_ADMIN), BODY)
        .await
        .expect_code(70001);

    let mut xiaojun = config();
    xiaojun.admin = "xiaojun".into();
    let xiaojun_box = start(xiaojun).await;
    xiaojun_box.advance_clock(TIME + 3600 - unix_now());
    let raw = Raw::new(&xiaojun_box);
    for sig in [PY_XIAOJUN, NODE_XIAOJUN, STORED_XIAOJUN] {
        let answer = raw
            .raw("POST", &query("1400000000", "xiaojun", sig), BODY)
            .await;
        answer.expect_code(0);
    }
    // The official signature for xiaojun is not the admin's.
    let answer = Raw::new(&admin_box)
        .raw("POST", &query("1400000000", "xiaojun", PY_XIAOJUN), BODY)
        .await;
    assert_eq!(answer.code(), 60010);
}

#[tokio::test]
async fn every_command_is_routed() {
    let sandbox = start(config()).await;
    let raw = Raw::new(&sandbox);
    for command in Command::ALL {
        let answer = raw.call(command, json!({})).await;
        assert_eq!(answer.status, 200);
        // Routed: never "no such command"; an empty body lists groups, and is a parameter
        // problem for every other command.
        assert_ne!(answer.code(), 60009, "{}", command.name());
        let empty_is_fine = command == Command::GetAppidGroupList;
        assert_eq!(
            answer.code() == 0,
            empty_is_fine,
            "{} answered {:?}",
            command.name(),
            answer
        );
    }
}
