//! Where the keyboard is ([`Place`], with the chain of places whose keys apply there) and the
//! screens the number keys switch between ([`Screen`]).

/// Where the keyboard is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// Keys that work everywhere, even while typing (Ctrl-C).
    Always,
    /// Keys that work on every screen when nothing is being typed.
    Global,
    /// Filtering any list.
    List,
    /// Moving in any list or scrollable pane.
    Scroll,
    /// Screen 1: the connection form.
    Connect,
    /// Screen 2: the app's groups.
    Groups,
    /// Screen 3: the staged files.
    Files,
    /// Screen 4: the planned batches.
    Preview,
    /// Screen 5: the run.
    Run,
    /// A failed message opened for a decision.
    Inspector,
    /// Typing in a one-line field (connection form, filter, reason).
    Typing,
    /// Editing the failed message's JSON in the inspector.
    Editor,
    /// The help overlay.
    Help,
    /// A yes/no question.
    Confirm,
    /// A pop-up that only shows something (a staged message).
    Popup,
}

impl Place {
    /// The places whose bindings apply here, most specific first.
    pub fn chain(self) -> &'static [Place] {
        use Place::*;
        match self {
            Always => &[Always],
            Global => &[Always, Global],
            List => &[Always, List, Scroll, Global],
            Scroll => &[Always, Scroll],
            Connect => &[Always, Connect, Global],
            Groups => &[Always, Groups, List, Scroll, Global],
            Files => &[Always, Files, List, Scroll, Global],
            Preview => &[Always, Preview, List, Scroll, Global],
            Run => &[Always, Run, List, Scroll, Global],
            Inspector => &[Always, Inspector, Scroll, Global],
            Typing => &[Always, Typing],
            Editor => &[Always, Editor],
            Help => &[Always, Help, Scroll],
            Confirm => &[Always, Confirm, Scroll],
            Popup => &[Always, Popup, Scroll],
        }
    }

    /// The heading of this place's section in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Place::Always => "Everywhere",
            Place::Global => "On every screen",
            Place::List => "In lists",
            Place::Scroll => "Moving in lists and panes",
            Place::Connect => "1 Connect",
            Place::Groups => "2 Groups",
            Place::Files => "3 Files",
            Place::Preview => "4 Preview",
            Place::Run => "5 Run",
            Place::Inspector => "Inspector (a failed message)",
            Place::Typing => "While typing in a field",
            Place::Editor => "While editing JSON in the inspector",
            Place::Help => "This help",
            Place::Confirm => "A question",
            Place::Popup => "A pop-up",
        }
    }

    /// Every place, in the order the help overlay lists them.
    pub const ALL: [Place; 15] = [
        Place::Always,
        Place::Global,
        Place::Scroll,
        Place::List,
        Place::Connect,
        Place::Groups,
        Place::Files,
        Place::Preview,
        Place::Run,
        Place::Inspector,
        Place::Editor,
        Place::Typing,
        Place::Confirm,
        Place::Popup,
        Place::Help,
    ];
}

/// A screen, as number keys switch between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Screen {
    /// 1: region, credentials, profiles, connection test.
    Connect,
    /// 2: the app's groups.
    Groups,
    /// 3: the staging directory.
    Files,
    /// 4: the planned batches of the selected group.
    Preview,
    /// 5: the run, live.
    Run,
}

impl Screen {
    /// Every screen in number order.
    pub const ALL: [Screen; 5] = [
        Screen::Connect,
        Screen::Groups,
        Screen::Files,
        Screen::Preview,
        Screen::Run,
    ];

    /// The tab label.
    pub fn label(self) -> &'static str {
        match self {
            Screen::Connect => "Connect",
            Screen::Groups => "Groups",
            Screen::Files => "Files",
            Screen::Preview => "Preview",
            Screen::Run => "Run",
        }
    }

    /// The number key that opens it (1..5).
    pub fn number(self) -> u8 {
        match self {
            Screen::Connect => 1,
            Screen::Groups => 2,
            Screen::Files => 3,
            Screen::Preview => 4,
            Screen::Run => 5,
        }
    }
}
