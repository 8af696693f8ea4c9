//! Everything the operator can ask for with a key.

use super::place::Screen;

/// Something the operator can ask for with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Quit (asks first while a run is going).
    Quit,
    /// Quit now, cleanly (Ctrl-C).
    ForceQuit,
    /// Show or hide the help overlay.
    Help,
    /// Switch to a screen.
    Go(Screen),
    /// Move focus to the next pane of the screen.
    FocusNext,
    /// Move focus to the previous pane of the screen.
    FocusPrev,
    /// Turn mouse capture on or off.
    ToggleMouse,
    /// Copy the selected JSON or error to the clipboard (OSC 52).
    Copy,
    /// Up one row.
    Up,
    /// Down one row.
    Down,
    /// Up one page.
    PageUp,
    /// Down one page.
    PageDown,
    /// To the first row.
    Top,
    /// To the last row.
    Bottom,
    /// Filter the focused list.
    Filter,
    /// Open, choose or edit the selected thing.
    Select,
    /// Close, cancel or go back.
    Back,
    /// Connect: previous choice of the focused field.
    Prev,
    /// Connect: next choice of the focused field.
    Next,
    /// Connect: test the connection.
    TestConnection,
    /// Connect: save the form as a profile (never the secret).
    SaveProfile,
    /// Connect: load the secret key from `TIMPORT_SECRET_KEY`.
    KeyFromEnv,
    /// Connect: load the secret key from the key file field.
    KeyFromFile,
    /// Groups: mark or unmark the selected group for a launch.
    Mark,
    /// Groups: sort by the next order (listing, verdict, staged messages, id).
    Sort,
    /// Groups and Files: read the groups or the staging directory again.
    Refresh,
    /// Groups: create the selected missing group as `groups.jsonl` stages it.
    CreateGroup,
    /// Files: choose the staging directory.
    ChangeDir,
    /// Preview: import the selected group.
    LaunchGroup,
    /// Preview: import the marked groups.
    LaunchMarked,
    /// Preview: import every staged group.
    LaunchAll,
    /// Run: pause or resume the whole run.
    PauseResume,
    /// Run: stop the selected lane.
    StopLane,
    /// Run: follow the newest results again.
    Follow,
    /// Run: open the runs in the ledger to reopen one.
    Reopen,
    /// Run: verify the selected lane against the service (the whole run when the lanes pane
    /// does not have the keys); again while verifying: stop.
    Verify,
    /// Run: verify the whole run against the service; again while verifying: stop.
    VerifyRun,
    /// Run: choose the next code messages are refused with (filters errors and results).
    ByCode,
    /// Run: skip every message refused with the chosen code (one reason).
    SkipCode,
    /// Run: retry every message refused with the chosen code.
    RetryCode,
    /// Run (attached to a run in another process): take the helm, or give it back.
    Helm,
    /// Run (attached): detach; the run goes on in its own process.
    Detach,
    /// Run (attached): stop the run cleanly (asks first).
    StopRun,
    /// Inspector: retry the message as it is.
    Retry,
    /// Inspector: retry the edited message (validated first).
    RetryEdited,
    /// Inspector: skip the message with a reason.
    Skip,
    /// Inspector: stop the group.
    StopGroup,
    /// Inspector: edit the JSON.
    Edit,
    /// Inspector: put the JSON back as it was.
    Revert,
    /// Confirm: yes.
    Yes,
    /// Confirm: no.
    No,
    /// Confirm (a launch of groups with bursts): keep or spread them.
    ToggleSameSecond,
    /// Confirm (a launch): keep the run going after the console closes (a process of its own),
    /// or not.
    ToggleOutlive,
    /// Typing: accept the text.
    Accept,
    /// Editor: leave the text area (keep the edits).
    LeaveEditor,
}
