//! `timport demo` with standard output not a terminal: the same migration headless (accounts,
//! the group that does not exist yet, messages, members and unread counts), with the engine's
//! lines for people, progress and the summary; the exit code says lanes stopped at problems (1).
//! Nothing secret is printed.

mod support;

#[test]
fn the_demo_runs_headless_when_stdout_is_not_a_terminal() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = support::binary::timport_command(home.path())
        .arg("demo")
        .output()
        .expect("timport demo runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "lanes stop at problems: {text}");
    for needle in [
        "headless: standard output is not a terminal",
        "starting run 1: 7 target(s), 3623 message(s)",
        "live-launch: stopped: 10007",
        "phases: accounts -> groups -> messages -> members",
        "accounts phase done: accounts 3/3: 3 done",
        // archive-2019 is created by the groups phase; support-desk exists and is used.
        "groups phase done: groups 2/2: 1 done, 1 existed",
        "archive-2019: done (50 imported)",
        "members phase done: members 4/4: 2 done, 2 existed; unread 4/4: 4 done",
        "sales-emea.jsonl line 1",
        "eng-core: stopped at eng-core.jsonl line 201",
        "support-desk: done (1400 imported)",
        "run 1: ",
        "exit 1",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    assert!(!text.contains(timport::cli::demo::DEMO_KEY), "{text}");
    assert!(!text.contains("eJw"), "something like a UserSig: {text}");
    assert!(!text.contains("usersig="), "{text}");
}
