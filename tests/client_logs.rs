//! Logs name each call but never carry the URL query, the UserSig or the key. Alone in its own
//! test binary: tracing caches callsite interest process-wide, so a capturing subscriber must not
//! race other tests registering the same callsites.

mod support;

use std::sync::{Arc, Mutex};

use bytes::Bytes;

use support::*;
use timport::api::types::GetAppidGroupListRequest;

#[tokio::test(flavor = "current_thread")]
async fn logs_name_the_call_but_never_the_url_query() {
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Server::start(|req| {
        if req.path.ends_with("import_group_msg") {
            import_ok(0)
        } else {
            Reply::Answer(
                200,
                r#"{"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"expired"}"#.into(),
            )
        }
    })
    .await;
    let client = client(&server);
    client
        .import_group_msg(Bytes::from_static(b"{}"))
        .await
        .unwrap();
    client.renew_usersig();
    client
        .get_appid_group_list(&GetAppidGroupListRequest::default())
        .await
        .unwrap_err();
    let sigs: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.param("usersig").to_owned())
        .collect();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("import_group_msg"), "{log}");
    assert!(
        log.contains("get_appid_group_list") && log.contains("70001"),
        "{log}"
    );
    assert!(log.contains("minted a UserSig"), "{log}");
    for sig in &sigs {
        assert!(!log.contains(sig.as_str()), "usersig in the log: {log}");
    }
    assert!(!log.contains(KEY) && !log.contains("usersig="), "{log}");
}
