//! The real binary in a real terminal: `timport demo` started in a detached tmux session
//! (120x40, a private tmux server), driven with `send-keys`, read with `capture-pane`, quit with
//! `q`. Fails, saying how to install it, when tmux is missing (CI installs it).

mod support;
mod tmux_support;

use tmux_support::Tmux;

#[test]
fn the_demo_runs_in_a_real_terminal() {
    let t = Tmux::start("demo");
    // Each wait is the check (a first capture may catch the screen mid-redraw).
    t.wait_until("the groups and the connection", |s| {
        s.contains("Groups · 6 in the app") && s.contains("✓ administrator @ 127.0.0.1")
    });
    t.wait_until("the AVChatRoom's name", |s| {
        s.contains("Launch livestream") && s.contains("AVChatRoom")
    });

    // Help is generated from the key map and shows where the log is.
    t.keys(&["?"]);
    t.wait_until("the help", |s| {
        s.contains("Help ·") && s.contains("quit now")
    });
    // A key sent right after Esc would reach the terminal with it as one Alt chord: wait
    // for the overlay to close first.
    t.keys(&["Escape"]);
    t.wait_gone("Help ·");

    // Screen 1 shows the connection, masked.
    t.keys(&["1"]);
    let screen = t.wait_until("the masked key", |s| {
        s.contains("Connection test") && s.contains("••••••••  the demo sandbox's key")
    });
    assert!(!screen.contains("timport-demo-key"), "{screen}");

    // Import one group: open it, check its plan, launch, watch it finish.
    t.keys(&["2"]);
    t.keys(&["/"]);
    t.keys(&["-l", "support"]);
    t.keys(&["Enter"]);
    t.keys(&["Enter"]);
    t.wait_until("the plan's first body", |s| {
        s.contains("Preview · support-desk · 1,400 messages")
            && s.contains("\"GroupId\": \"support-desk\"")
    });
    t.keys(&["L"]);
    t.wait_for("Start the import?");
    t.keys(&["y"]);
    // An injected fault costs the engine a pause before it reads the group back.
    t.wait_until("the run finished whole", |s| {
        s.contains("Run 1 finished") && s.contains("1,400/1,400")
    });

    // q quits (no question once the run is over) and gives the shell back.
    t.keys(&["q"]);
    t.wait_gone("timport  1 Connect");
}
