//! The real binary in a real terminal: `timport demo` started in a detached tmux session
//! (120x40, a private tmux server), driven with `send-keys`, read with `capture-pane`, quit with
//! `q`. Fails, saying how to install it, when tmux is missing (CI installs it).

mod support;
mod tmux_support;

use tmux_support::Tmux;

#[test]
fn the_demo_runs_in_a_real_terminal() {
    let t = Tmux::start("demo");
    let screen = t.wait_for("Groups · 6 in the app");
    assert!(screen.contains("✓ administrator @ 127.0.0.1"), "{screen}");
    let screen = t.wait_for("Launch livestream");
    assert!(screen.contains("AVChatRoom"), "{screen}");

    // Help is generated from the key map and shows where the log is.
    t.keys(&["?"]);
    let screen = t.wait_for("Help ·");
    assert!(screen.contains("quit now"), "{screen}");
    // A key sent right after Esc would reach the terminal with it as one Alt chord: wait
    // for the overlay to close first.
    t.keys(&["Escape"]);
    t.wait_gone("Help ·");

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
    // An injected fault costs the engine a pause before it reads the group back.
    let screen = t.wait_for("Run 1 finished");
    assert!(screen.contains("1,400/1,400"), "{screen}");

    // q quits (no question once the run is over) and gives the shell back.
    t.keys(&["q"]);
    t.wait_gone("timport  1 Connect");
}
