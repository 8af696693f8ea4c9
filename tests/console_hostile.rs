//! The console's Files pop-up never shows what a link out of the staging directory, a FIFO or a
//! device holds: the scan lists none of them as staged files (so no problem of theirs opens a
//! pop-up), and the executor's read refuses them even when asked directly (a file swapped after
//! the scan), at once, without waiting on a FIFO.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use timport::api::ClientOptions;
use timport::config::Paths;
use timport::console::effect::Effect;
use timport::console::exec::{ExecOptions, Executor};
use timport::console::msg::Msg;
use timport::console::state::files::Scanned;
use timport::staging::{ScanOptions, scan};

/// Only against a hang.
const GUARD: Duration = Duration::from_secs(30);
const SECRET: &str = "ENV-SECRET-4b3a29181706f5e4d3c2";

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo reads a valid NUL-terminated path and creates a FIFO; nothing else.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// A staging directory with one good file and the hostile entries; returns their paths.
fn hostile_staging(dir: &Path) -> Vec<PathBuf> {
    std::fs::write(
        dir.join("g.jsonl"),
        r#"{"From_Account":"a","SendTime":1600000000,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}"#,
    )
    .unwrap();
    let environ = dir.join("environ.jsonl");
    std::os::unix::fs::symlink("/proc/self/environ", &environ).unwrap();
    let zero = dir.join("zero.jsonl");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let pipe = dir.join("pipe.jsonl");
    mkfifo(&pipe);
    vec![environ, zero, pipe, PathBuf::from("/dev/urandom")]
}

#[test]
fn hostile_entries_are_problems_not_files_the_pop_up_can_open() {
    let dir = tempfile::tempdir().unwrap();
    hostile_staging(dir.path());
    let staging = scan(dir.path(), &ScanOptions::new(1_700_000_000)).unwrap();
    let scanned = Scanned::from_staging(Arc::new(staging));
    let rows: Vec<&str> = scanned.files.iter().map(|f| f.path.as_ref()).collect();
    assert_eq!(rows, ["g.jsonl"], "only the regular file is a file row");
    // The pop-up opens a problem's file only when it is a staged file: none of these is.
    let staged: Vec<&str> = scanned
        .staging
        .files()
        .iter()
        .map(|f| f.path.as_ref())
        .collect();
    for name in ["environ.jsonl", "zero.jsonl", "pipe.jsonl"] {
        assert!(!staged.contains(&name), "{name}");
        assert!(
            scanned
                .staging
                .problems()
                .iter()
                .any(|p| p.file.as_ref() == name && p.is_error()),
            "{name} is reported"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pop_up_read_refuses_links_fifos_and_devices_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = hostile_staging(dir.path());
    // The child's environment is this process's: put a secret in it to look for.
    // SAFETY: set before any thread of this test reads the environment; tests in this binary
    // do not read it concurrently.
    unsafe { std::env::set_var("TIMPORT_TEST_SECRET", SECRET) };
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let paths =
        Paths::with_overrides(Some(dir.path().join("c")), Some(dir.path().join("d"))).unwrap();
    let mut exec = Executor::new(
        tx,
        ExecOptions {
            paths,
            env_key: None,
            client: ClientOptions::default(),
        },
    );
    let mut read = async |path: &Path| -> Result<String, String> {
        exec.perform(Effect::ReadStaged {
            title: "t".into(),
            heading: String::new(),
            path: path.to_owned(),
            offset: 0,
        });
        match tokio::time::timeout(GUARD, rx.recv()).await {
            Ok(Some(Msg::StagedText { result, .. })) => result,
            other => panic!("no answer for {}: {other:?}", path.display()),
        }
    };
    for path in &hostile {
        let result = read(path).await;
        let err = result.expect_err("refused");
        assert!(
            err.contains("not a regular file"),
            "{}: {err}",
            path.display()
        );
        assert!(!err.contains(SECRET), "{err}");
    }
    let good = read(&dir.path().join("g.jsonl")).await.unwrap();
    assert!(good.contains("\"Text\": \"hi\""), "{good}");
}
