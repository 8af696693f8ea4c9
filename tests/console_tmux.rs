//! The real binary in a real terminal: `timport demo` started in a detached tmux session
//! (120x40), driven with `send-keys`, read with `capture-pane`, quit with `q`. Skipped, with a
//! message saying so, only when tmux is not installed (CI installs it).

mod tmux_support;

use std::path::Path;
use std::time::{Duration, Instant};

use tmux_support::Tmux;

#[test]
fn the_demo_runs_in_a_real_terminal() {
    if !Tmux::available() {
        eprintln!(
            "SKIPPED: tmux is not installed; install it (apt-get install tmux) to run this test"
        );
        return;
    }
    assert!(Path::new(env!("CARGO_BIN_EXE_timport")).exists());
    let t = Tmux::start("demo");
    let screen = t.wait_for("Groups · 6 in the app");
    assert!(screen.contains("✓ administrator @ 127.0.0.1"), "{screen}");
    let screen = t.wait_for("Launch livestream");
    assert!(screen.contains("AVChatRoom"), "{screen}");

    // Help is generated from the key map and shows where the log is.
    t.keys(&["?"]);
    let screen = t.wait_for("Help");
    assert!(screen.contains("quit now"), "{screen}");
    t.keys(&["Escape"]);

    // Screen 1 shows the connection, masked.
    t.keys(&["1"]);
    let screen = t.wait_for("Connection test");
    assert!(
        screen.contains("••••••••  the demo sandbox's key"),
        "{screen}"
    );
    assert!(!screen.contains("timport-demo-key"), "{screen}");

    // Import one group: open it, check its plan, launch, watch it finish.
    t.keys(&["2"]);
    t.keys(&["/"]);
    t.keys(&["-l", "support"]);
    t.keys(&["Enter"]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("Preview · support-desk · 1,400 messages");
    assert!(screen.contains("\"GroupId\": \"support-desk\""), "{screen}");
    t.keys(&["L"]);
    t.wait_for("Start the import?");
    t.keys(&["y"]);
    // An injected fault costs the engine a pause before it reads the group back: allow time.
    let screen = t.wait_for_within("Run 1 finished", Duration::from_secs(120));
    assert!(screen.contains("1,400/1,400"), "{screen}");

    // q quits (no question once the run is over) and gives the shell back.
    t.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while t.screen().contains("timport  1 Connect") {
        assert!(Instant::now() < deadline, "q did not quit:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
}
