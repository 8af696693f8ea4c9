//! The REST client against the scripted loopback server in `support`: what goes on the wire,
//! how each kind of failure is reported, chunking, UserSig renewal and secrecy of error texts.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};

use support::*;
use timport::api::types::{
    AccountImportRequest, GROUP_INFO_FIELDS, GetAppidGroupListRequest, GroupMsgGetSimpleRequest,
    ImportGroupMemberRequest, ImportGroupRequest, MemberItem, MultiAccountImportRequest,
    SetUnreadMsgNumRequest,
};
use timport::api::{
    ApiError, Client, ClientOptions, Clock, Endpoint, ErrorClass, LocalFailure, SecretKey, usersig,
};

#[tokio::test]
async fn exact_body_bytes_and_every_query_parameter_arrive() {
    let server = Server::start(|_| import_ok(1)).await;
    let client = client(&server);
    // Odd spacing and key order: the plan's bytes must arrive untouched.
    let body = Bytes::from_static(
        br#"{"MsgList":[{"SendTime":1600000001,"From_Account":"a","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi \u00e9"}}]}],   "GroupId":"g1"}"#,
    );
    let answer = client.import_group_msg(body.clone()).await.unwrap();
    assert_eq!(answer.import_msg_result.len(), 1);
    assert_eq!(answer.import_msg_result[0].msg_seq, 1);

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/v4/group_open_http_svc/import_group_msg");
    assert_eq!(req.body, body.to_vec());
    assert_eq!(req.content_type.as_deref(), Some("application/json"));
    assert_eq!(req.param("sdkappid"), APP.to_string());
    assert_eq!(req.param("identifier"), ADMIN);
    assert!(
        req.raw_target.contains("identifier=admin%20one%26co&"),
        "{}",
        req.raw_target
    );
    assert_eq!(req.param("contenttype"), "json");
    req.param("random").parse::<u32>().unwrap();
    let fields = usersig::verify(
        req.param("usersig"),
        &SecretKey::new(KEY),
        APP,
        ADMIN,
        timport::clock::unix_now(),
    )
    .unwrap();
    assert_eq!(fields.expire, 86_400, "default lifetime: one day");
}

#[tokio::test]
async fn random_is_fresh_per_call_sig_is_reused_and_the_connection_kept_alive() {
    let server = Server::start(|_| import_ok(0)).await;
    let client = client(&server);
    for _ in 0..5 {
        client
            .import_group_msg(Bytes::from_static(b"{}"))
            .await
            .unwrap();
    }
    let seen = server.seen();
    let randoms: std::collections::HashSet<_> = seen.iter().map(|s| s.param("random")).collect();
    assert_eq!(randoms.len(), 5, "a fresh random per call");
    let sigs: std::collections::HashSet<_> = seen.iter().map(|s| s.param("usersig")).collect();
    assert_eq!(sigs.len(), 1, "the cached UserSig is reused");
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        1,
        "one pooled connection"
    );
}

#[tokio::test]
async fn an_empty_body_is_sent_as_an_empty_object() {
    let server = Server::start(|_| import_ok(0)).await;
    client(&server)
        .import_group_msg(Bytes::new())
        .await
        .unwrap();
    assert_eq!(server.seen()[0].body, b"{}");
}

#[tokio::test]
async fn usersig_is_renewed_before_expiry_and_on_demand() {
    let now = Arc::new(AtomicI64::new(1_800_000_000));
    let shared = Arc::clone(&now);
    let server = Server::start(|_| import_ok(0)).await;
    let opts = ClientOptions {
        usersig_lifetime: 100,
        usersig_renew_margin: 10,
        clock: Clock::from_fn(move || shared.load(Ordering::SeqCst)),
        ..ClientOptions::default()
    };
    let client = Client::new(server.endpoint(), creds(), opts).unwrap();
    let call = || client.import_group_msg(Bytes::from_static(b"{}"));
    call().await.unwrap();
    now.fetch_add(90, Ordering::SeqCst); // 10 s left: still good
    call().await.unwrap();
    now.fetch_add(1, Ordering::SeqCst); // 9 s left: renew
    call().await.unwrap();
    now.fetch_add(1, Ordering::SeqCst);
    client.renew_usersig();
    call().await.unwrap();

    let seen = server.seen();
    let sig = |i: usize| seen[i].param("usersig").to_owned();
    assert_eq!(sig(0), sig(1));
    assert_ne!(sig(1), sig(2));
    assert_ne!(sig(2), sig(3));
    for (i, at) in [(2, 1_800_000_091), (3, 1_800_000_092)] {
        let fields = usersig::verify(&sig(i), &SecretKey::new(KEY), APP, ADMIN, at).unwrap();
        assert_eq!((fields.time, fields.expire), (at, 100));
    }
}

#[tokio::test]
async fn a_refusal_is_a_service_error_with_the_catalogue_words() {
    let server = Server::start(|_| {
        Reply::Answer(
            200,
            r#"{"ActionStatus":"FAIL","ErrorInfo":"group id invalid","ErrorCode":10015}"#.into(),
        )
    })
    .await;
    let err = client(&server)
        .import_group_msg(Bytes::from_static(b"{}"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Service { code: 10015, .. }),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::Group);
    assert!(!err.outcome_unknown());
    let text = err.to_string();
    assert!(text.contains(timport::api::explain(10015).remedy), "{text}");
    assert!(text.contains("group id invalid"), "{text}");
}

#[tokio::test]
async fn http_statuses_other_than_200_are_http_errors() {
    let server = Server::start(|req| {
        if req.path.ends_with("import_group_msg") {
            Reply::Answer(502, "<html>bad gateway</html>".into())
        } else {
            Reply::Answer(404, "not here".into())
        }
    })
    .await;
    let client = client(&server);
    let e502 = client
        .import_group_msg(Bytes::from_static(b"{}"))
        .await
        .unwrap_err();
    assert!(
        matches!(e502, ApiError::Http { status: 502, .. }),
        "{e502:?}"
    );
    assert!(
        e502.outcome_unknown(),
        "a 5xx after sending may have landed"
    );
    assert_eq!(e502.class(), ErrorClass::Transient);
    let e404 = client
        .get_appid_group_list(&GetAppidGroupListRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e404, ApiError::Http { status: 404, .. }),
        "{e404:?}"
    );
    assert!(!e404.outcome_unknown());
    assert!(e404.to_string().contains("not here"));
}

#[tokio::test]
async fn a_200_that_is_not_the_envelope_is_a_bad_answer() {
    let server = Server::start(|_| Reply::Answer(200, "<html>captive portal</html>".into())).await;
    let err = client(&server)
        .import_group_msg(Bytes::from_static(b"{}"))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::BadAnswer { .. }), "{err:?}");
    assert_eq!(err.local_failure(), Some(LocalFailure::BadAnswer));
    assert!(err.to_string().contains("captive portal"));
}

#[tokio::test]
async fn a_connection_closed_after_the_request_is_dropped_with_unknown_outcome() {
    let server = Server::start(|_| Reply::Close).await;
    let err = client(&server)
        .import_group_msg(Bytes::from_static(b"{}"))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Transport { .. }), "{err:?}");
    assert_eq!(err.local_failure(), Some(LocalFailure::Dropped));
    assert!(err.outcome_unknown());
    assert_eq!(
        server.seen().len(),
        1,
        "the request did arrive, exactly once"
    );
}

#[tokio::test]
async fn silence_is_a_timeout_with_unknown_outcome() {
    let server = Server::start(|_| Reply::Hang).await;
    let opts = ClientOptions {
        request_timeout: Duration::from_millis(300),
        ..ClientOptions::default()
    };
    let client = Client::new(server.endpoint(), creds(), opts).unwrap();
    let err = client
        .import_group_msg(Bytes::from_static(b"{}"))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Transport { .. }), "{err:?}");
    assert_eq!(err.local_failure(), Some(LocalFailure::Timeout));
    assert!(err.outcome_unknown());
}

#[tokio::test]
async fn a_refused_port_is_connect_and_nothing_was_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let endpoint = Endpoint::parse(&format!("http://{addr}")).unwrap();
    let client = Client::new(endpoint, creds(), ClientOptions::default()).unwrap();
    let err = client
        .import_group_msg(Bytes::from_static(b"{}"))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Transport { .. }), "{err:?}");
    assert_eq!(err.local_failure(), Some(LocalFailure::Connect));
    assert!(!err.outcome_unknown());
    assert!(err.retryable());
}

#[tokio::test]
async fn no_error_text_ever_holds_the_usersig_or_the_key() {
    // The server echoes the request line (with the UserSig) back in every kind of answer.
    let server = Server::start(|req| {
        let echo = format!("{} {} key={KEY}", req.method, req.raw_target);
        match req.path.rsplit('/').next().unwrap() {
            "import_group_msg" => Reply::Answer(502, echo),
            "get_group_info" => Reply::Answer(200, echo),
            "group_msg_get_simple" => Reply::Answer(
                200,
                json!({"ActionStatus":"FAIL","ErrorCode":70003,"ErrorInfo":echo}).to_string(),
            ),
            "account_check" => Reply::Close,
            _ => Reply::Hang,
        }
    })
    .await;
    // The answers come with the default patience (a loaded machine may be slow to give them);
    // only the silent call is given up on quickly.
    let client = client(&server);
    let impatient = ClientOptions {
        request_timeout: Duration::from_millis(300),
        ..ClientOptions::default()
    };
    let impatient = Client::new(server.endpoint(), creds(), impatient).unwrap();
    let ids = vec!["g".to_string()];
    let errors = vec![
        client
            .import_group_msg(Bytes::from_static(b"{}"))
            .await
            .unwrap_err(),
        client.get_group_info(&ids).await.unwrap_err(),
        client
            .group_msg_get_simple(&GroupMsgGetSimpleRequest::default())
            .await
            .unwrap_err(),
        client.account_check(&ids).await.unwrap_err(),
        impatient
            .get_appid_group_list(&GetAppidGroupListRequest::default())
            .await
            .unwrap_err(),
    ];
    let sigs: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.param("usersig").to_owned())
        .collect();
    assert_eq!(sigs.len(), 5);
    for sig in &sigs {
        assert!(sig.len() > 50);
        for e in &errors {
            let text = shown(e);
            assert!(!text.contains(sig.as_str()), "usersig leaked: {text}");
            assert!(!text.contains(KEY), "key leaked: {text}");
            assert!(!text.contains(&sig[..20]), "usersig prefix leaked: {text}");
        }
    }
    let kinds: Vec<_> = errors
        .iter()
        .map(|e| (e.code(), e.local_failure()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (None, Some(LocalFailure::HttpStatus)),
            (None, Some(LocalFailure::BadAnswer)),
            (Some(70003), None),
            (None, Some(LocalFailure::Dropped)),
            (None, Some(LocalFailure::Timeout)),
        ]
    );
}

#[tokio::test]
async fn group_info_goes_fifty_at_a_time_with_the_base_filter_in_order() {
    let server = Server::start(|req| {
        let ids = req.json()["GroupIdList"].as_array().unwrap().clone();
        let info: Vec<Value> = ids
            .iter()
            .map(|id| json!({"GroupId": id, "ErrorCode": 0, "Type": "Public", "CreateTime": 5}))
            .collect();
        answer(json!({ "GroupInfo": info }))
    })
    .await;
    let ids: Vec<String> = (0..120).map(|i| format!("g{i}")).collect();
    let info = client(&server).get_group_info(&ids).await.unwrap();
    let got: Vec<&str> = info.iter().map(|g| g.group_id.as_str()).collect();
    assert_eq!(got, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(info[0].create_time, Some(5));

    let seen = server.seen();
    assert_eq!(list_sizes(&seen, "GroupIdList"), vec![50, 50, 20]);
    for s in &seen {
        assert_eq!(s.path, "/v4/group_open_http_svc/get_group_info");
        assert_eq!(
            s.json()["ResponseFilter"]["GroupBaseInfoFilter"],
            json!(GROUP_INFO_FIELDS)
        );
    }
    // Nothing to ask: no call at all.
    assert!(
        client(&server)
            .get_group_info(&[])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn account_check_goes_a_hundred_at_a_time() {
    let server = Server::start(|req| {
        let items: Vec<Value> = req.json()["CheckItem"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                json!({"UserID": item["UserID"], "ResultCode": 0, "ResultInfo": "",
                       "AccountStatus": if item["UserID"] == "u7" {"NotImported"} else {"Imported"}})
            })
            .collect();
        answer(json!({ "ResultItem": items }))
    })
    .await;
    let ids: Vec<String> = (0..250).map(|i| format!("u{i}")).collect();
    let results = client(&server).account_check(&ids).await.unwrap();
    assert_eq!(results.len(), 250);
    assert_eq!(results[249].user_id, "u249");
    assert!(!results[7].is_imported() && results[8].is_imported());
    let seen = server.seen();
    assert_eq!(list_sizes(&seen, "CheckItem"), vec![100, 100, 50]);
    assert_eq!(seen[0].path, "/v4/im_open_login_svc/account_check");
}

#[tokio::test]
async fn the_other_calls_use_their_paths_and_answers() {
    let server = Server::start(|req| {
        let fields = match req.path.rsplit('/').next().unwrap() {
            "get_appid_group_list" => {
                json!({"TotalCount": 3, "GroupIdList": [{"GroupId": "a"}], "Next": 9_040_992_949_u64})
            }
            "group_msg_get_simple" => json!({"GroupId": "g", "IsFinished": 1, "RspMsgList": [
                {"From_Account": "a", "MsgSeq": 9, "MsgRandom": 7, "MsgTimeStamp": 100,
                 "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]}]}),
            "import_group" => json!({"GroupId": "@TGS#new"}),
            "import_group_member" => {
                json!({"MemberList": [{"Member_Account": "m", "Result": 1}]})
            }
            other => panic!("unexpected {other}"),
        };
        answer(fields)
    })
    .await;
    let client = client(&server);
    let page = client
        .get_appid_group_list(&GetAppidGroupListRequest {
            limit: Some(10),
            next: Some(9_040_992_948),
            group_type: None,
        })
        .await
        .unwrap();
    assert_eq!(page.next, 9_040_992_949);
    let msgs = client
        .group_msg_get_simple(&GroupMsgGetSimpleRequest {
            group_id: "g".into(),
            req_msg_number: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(msgs.rsp_msg_list[0].msg_body[0].summary(), "hi");
    let group = client
        .import_group(&ImportGroupRequest {
            group_type: "Public".into(),
            name: "n".into(),
            create_time: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(group.group_id, "@TGS#new");
    let members = client
        .import_group_member(&ImportGroupMemberRequest {
            group_id: "@TGS#new".into(),
            member_list: vec![MemberItem {
                member_account: "m".into(),
                role: None,
                join_time: Some(2),
                unread_msg_num: None,
            }],
        })
        .await
        .unwrap();
    assert_eq!(members.member_list[0].result, 1);

    let seen = server.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "/v4/group_open_http_svc/get_appid_group_list",
            "/v4/group_open_http_svc/group_msg_get_simple",
            "/v4/group_open_http_svc/import_group",
            "/v4/group_open_http_svc/import_group_member",
        ]
    );
    assert_eq!(
        seen[0].json(),
        json!({"Limit": 10, "Next": 9_040_992_948_u64})
    );
    assert_eq!(seen[2].json()["CreateTime"], 1);
}

#[tokio::test]
async fn the_migration_calls_use_their_paths_bodies_and_answers() {
    let server = Server::start(|req| {
        let body = req.json();
        let fields = match req.path.rsplit('/').next().unwrap() {
            "account_import" | "set_unread_msg_num" => json!({}),
            "multiaccount_import" => json!({"FailAccounts": ["bad"]}),
            // Offset paging: two pages of a group of 3; Community: a cursor.
            "get_group_member_info" if body["GroupId"] == "g" => {
                let offset = body["Offset"].as_u64().unwrap();
                let list: Vec<_> = ["a", "b", "c"]
                    .iter()
                    .skip(offset as usize)
                    .take(2)
                    .map(|m| json!({"Member_Account": m, "Role": "Member", "JoinTime": 5}))
                    .collect();
                json!({"MemberNum": 3, "MemberList": list})
            }
            "get_group_member_info" => match body.get("Next").and_then(|n| n.as_str()) {
                None => {
                    json!({"MemberNum": 2, "MemberList": [{"Member_Account": "x"}], "Next": "x"})
                }
                Some(_) => {
                    json!({"MemberNum": 2, "MemberList": [{"Member_Account": "y"}], "Next": ""})
                }
            },
            other => panic!("unexpected {other}"),
        };
        answer(fields)
    })
    .await;
    let client = client(&server);
    client
        .account_import(&AccountImportRequest {
            user_id: "ann".into(),
            nick: Some("Ann".into()),
            face_url: None,
        })
        .await
        .unwrap();
    let failed = client
        .multiaccount_import(&MultiAccountImportRequest {
            account_list: vec![AccountImportRequest {
                user_id: "bad".into(),
                ..Default::default()
            }],
        })
        .await
        .unwrap();
    assert_eq!(failed.fail_accounts, ["bad"]);
    client
        .set_unread_msg_num(&SetUnreadMsgNumRequest {
            group_id: "g".into(),
            member_account: "a".into(),
            unread_msg_num: 4,
        })
        .await
        .unwrap();
    let members = client.group_members("g").await.unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.member_account.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    let members = client.group_members("@TGS#_c").await.unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.member_account.as_str()).collect();
    assert_eq!(names, ["x", "y"]);

    let seen = server.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths[..3],
        [
            "/v4/im_open_login_svc/account_import",
            "/v4/im_open_login_svc/multiaccount_import",
            "/v4/group_open_http_svc/set_unread_msg_num",
        ]
    );
    assert_eq!(seen[0].json(), json!({"UserID": "ann", "Nick": "Ann"}));
    assert_eq!(seen[1].json(), json!({"AccountList": [{"UserID": "bad"}]}));
    assert_eq!(
        seen[2].json(),
        json!({"GroupId": "g", "Member_Account": "a", "UnreadMsgNum": 4})
    );
    assert_eq!(
        seen[3].json(),
        json!({"GroupId": "g", "Limit": 100, "Offset": 0, "MemberInfoFilter": ["Member_Account", "Role", "JoinTime"]})
    );
    assert_eq!(seen[4].json()["Offset"], 2);
    assert_eq!(seen[6].json()["Next"], "x");
    assert!(seen[6].json().get("Offset").is_none());
}
