//! What an operator expects of a command-line tool, through the real binary: shell completions
//! and manual pages generated from the argument definitions, `--help` that lists a command's own
//! options first and says what plain `timport` does.

mod support;

use std::process::Output;

use support::binary::timport_command;

fn timport(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("temp dir");
    timport_command(home.path())
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn completions_cover_the_commands_and_their_options() {
    let bash = timport(&["completions", "bash"]);
    assert!(bash.status.success());
    let script = stdout(&bash);
    assert!(script.contains("_timport()"), "{script}");
    for word in ["validate", "report", "--on-message-error", "--retry-failed"] {
        assert!(script.contains(word), "bash completion lacks {word}");
    }
    let zsh = stdout(&timport(&["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef timport"), "{zsh}");
    let fish = stdout(&timport(&["completions", "fish"]));
    assert!(fish.contains("complete -c timport"), "{fish}");
    let bad = timport(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_manual_page_prints_and_installs_one_page_per_command() {
    let out = timport(&["man"]);
    assert!(out.status.success());
    let page = stdout(&out);
    assert!(page.contains(".TH timport 1"), "{page}");
    assert!(
        page.contains("Without a command, timport opens the console"),
        "{page}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let out = timport(&["man", "--dir", dir.path().to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "timport.1",
        "timport-run.1",
        "timport-report.1",
        "timport-validate.1",
    ] {
        let page = std::fs::read_to_string(dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(page.contains(".TH timport"), "{name}");
    }
    let run = std::fs::read_to_string(dir.path().join("timport-run.1")).expect("run page");
    assert!(run.contains("on\\-message\\-error"), "{run}");
}

#[test]
fn help_lists_the_command_s_own_options_first_and_names_the_console() {
    let help = stdout(&timport(&["run", "--help"]));
    let own = help.find("--retry-failed").expect("run's own option");
    let connection = help.find("--sdkappid").expect("a connection option");
    assert!(own < connection, "{help}");
    assert!(
        help.contains("Connection options (every command):"),
        "{help}"
    );
    let top = stdout(&timport(&["--help"]));
    assert!(
        top.contains("Without a command, timport opens the console"),
        "{top}"
    );
}
