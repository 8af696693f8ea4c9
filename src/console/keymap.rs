//! The key map: `(place, key) -> Action`, and the one table the footer hints and the `?` help
//! overlay are generated from, so what the screen says is always what the keys do.
//!
//! A [`Place`] is where the keyboard is: a screen, a list, a text field being typed in, an
//! overlay. Each place looks its keys up along a chain ([`Place::chain`]): its own bindings, then
//! the shared ones it inherits (list navigation, global keys). Typing places inherit nothing, so
//! `q` types a `q` there; only [`Place::Always`] (Ctrl-C) reaches every place.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
            Confirm => &[Always, Confirm],
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
    /// Groups and Files: read the groups or the staging directory again.
    Refresh,
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
    /// Typing: accept the text.
    Accept,
    /// Editor: leave the text area (keep the edits).
    LeaveEditor,
}

/// One key with its modifiers (Shift is folded into the character for letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl and Alt (Shift only for keys that are not characters).
    pub mods: KeyModifiers,
}

impl Key {
    /// A key without modifiers.
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    /// A character key.
    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    /// Ctrl plus a character.
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// The key of a terminal key event, normalised so bindings compare equal: Shift is dropped
    /// for characters (an upper-case letter already says it) and Shift-Tab is `BackTab`.
    pub fn from_event(ev: &KeyEvent) -> Key {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        if !matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods |= ev.modifiers & KeyModifiers::SHIFT;
        }
        let code = match (ev.code, ev.modifiers.contains(KeyModifiers::SHIFT)) {
            (KeyCode::Tab, true) => {
                mods -= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            (code, _) => code,
        };
        Key { code, mods }
    }

    /// How the key is written in the footer and the help: `q`, `Ctrl-C`, `↑`, `Enter`.
    pub fn display(self) -> String {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Backspace => "Bksp".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        let mut out = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            out.push_str("Ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            out.push_str("Alt-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            out.push_str("Shift-");
        }
        if self.mods.contains(KeyModifiers::CONTROL) {
            out.push_str(&name.to_uppercase());
        } else {
            out.push_str(&name);
        }
        out
    }
}

/// One line of the key map.
#[derive(Debug, Clone)]
pub struct Binding {
    /// Where it applies.
    pub place: Place,
    /// The keys (the first is the one the footer shows).
    pub keys: Vec<Key>,
    /// What it does.
    pub action: Action,
    /// Its words in the footer and the help.
    pub label: &'static str,
    /// Whether the footer shows it.
    pub hint: bool,
}

impl Binding {
    /// The keys as the help shows them: `↑ k`.
    pub fn keys_text(&self) -> String {
        self.keys
            .iter()
            .map(|k| k.display())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The key map.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::standard()
    }
}

impl Keymap {
    /// timport's keys: arrows and vim keys, `/` filters, `?` helps, `q` quits, Ctrl-C always.
    pub fn standard() -> Keymap {
        use Action as A;
        use KeyCode as K;
        use Place as P;
        let mut map = Keymap {
            bindings: Vec::new(),
        };
        let p = Key::plain;
        let c = Key::ch;
        map.bind(P::Always, [Key::ctrl('c')], A::ForceQuit, "quit now", false);

        map.bind(P::Global, [c('q')], A::Quit, "quit", true);
        map.bind(P::Global, [c('?')], A::Help, "help", true);
        for screen in Screen::ALL {
            let digit = char::from(b'0' + screen.number());
            map.bind(P::Global, [c(digit)], A::Go(screen), screen.label(), false);
        }
        map.bind(P::Global, [p(K::Tab)], A::FocusNext, "next pane", false);
        map.bind(
            P::Global,
            [p(K::BackTab)],
            A::FocusPrev,
            "previous pane",
            false,
        );
        map.bind(P::Global, [c('m')], A::ToggleMouse, "mouse on/off", false);
        map.bind(P::Global, [c('y')], A::Copy, "copy", false);

        map.bind(P::Scroll, [p(K::Up), c('k')], A::Up, "up", false);
        map.bind(P::Scroll, [p(K::Down), c('j')], A::Down, "down", false);
        map.bind(
            P::Scroll,
            [p(K::PageUp), Key::ctrl('u')],
            A::PageUp,
            "page up",
            false,
        );
        map.bind(
            P::Scroll,
            [p(K::PageDown), Key::ctrl('d')],
            A::PageDown,
            "page down",
            false,
        );
        map.bind(P::Scroll, [p(K::Home), c('g')], A::Top, "first", false);
        map.bind(P::Scroll, [p(K::End), c('G')], A::Bottom, "last", false);
        map.bind(P::List, [c('/')], A::Filter, "filter", true);
        map.bind(P::List, [p(K::Esc)], A::Back, "clear filter / back", false);

        map.bind(P::Connect, [p(K::Up), c('k')], A::Up, "field up", false);
        map.bind(
            P::Connect,
            [p(K::Down), c('j')],
            A::Down,
            "field down",
            false,
        );
        map.bind(P::Connect, [p(K::Enter)], A::Select, "edit", true);
        map.bind(P::Connect, [p(K::Left), c('h')], A::Prev, "choose", false);
        map.bind(P::Connect, [p(K::Right), c('l')], A::Next, "choose", true);
        map.bind(P::Connect, [c('t')], A::TestConnection, "test", true);
        map.bind(P::Connect, [c('s')], A::SaveProfile, "save profile", true);
        map.bind(P::Connect, [c('e')], A::KeyFromEnv, "key from env", false);
        map.bind(P::Connect, [c('f')], A::KeyFromFile, "key from file", false);

        map.bind(P::Groups, [p(K::Enter)], A::Select, "open", true);
        map.bind(P::Groups, [c(' ')], A::Mark, "mark", true);
        map.bind(P::Groups, [c('r')], A::Refresh, "reload", false);

        map.bind(P::Files, [p(K::Enter)], A::Select, "open", true);
        map.bind(P::Files, [c('r')], A::Refresh, "rescan", false);
        map.bind(P::Files, [c('d')], A::ChangeDir, "staging dir", true);

        map.bind(P::Preview, [c('L')], A::LaunchGroup, "import group", true);
        map.bind(P::Preview, [c('M')], A::LaunchMarked, "import marked", true);
        map.bind(P::Preview, [c('A')], A::LaunchAll, "import all", false);

        map.bind(P::Run, [c(' ')], A::PauseResume, "pause/resume", true);
        map.bind(P::Run, [c('x')], A::StopLane, "stop lane", true);
        map.bind(P::Run, [p(K::Enter)], A::Select, "inspect", true);
        map.bind(P::Run, [c('f')], A::Follow, "follow newest", false);
        map.bind(P::Run, [c('o')], A::Reopen, "reopen a run", false);

        map.bind(P::Inspector, [c('r')], A::Retry, "retry", true);
        map.bind(P::Inspector, [c('R')], A::RetryEdited, "retry edited", true);
        map.bind(P::Inspector, [c('s')], A::Skip, "skip", true);
        map.bind(P::Inspector, [c('x')], A::StopGroup, "stop group", true);
        map.bind(P::Inspector, [c('e'), p(K::Enter)], A::Edit, "edit", true);
        map.bind(P::Inspector, [c('u')], A::Revert, "undo edits", false);
        map.bind(P::Inspector, [p(K::Esc)], A::Back, "back", false);

        map.bind(P::Editor, [p(K::Esc)], A::LeaveEditor, "done editing", true);

        map.bind(P::Typing, [p(K::Enter)], A::Accept, "accept", true);
        map.bind(P::Typing, [p(K::Esc)], A::Back, "cancel", true);

        map.bind(P::Confirm, [c('y'), p(K::Enter)], A::Yes, "yes", true);
        map.bind(P::Confirm, [c('n'), p(K::Esc)], A::No, "no", true);

        map.bind(
            P::Popup,
            [p(K::Esc), p(K::Enter), c('q')],
            A::Back,
            "close",
            true,
        );
        map.bind(P::Popup, [c('y')], A::Copy, "copy", true);

        map.bind(P::Help, [p(K::Esc), c('?'), c('q')], A::Back, "close", true);
        map
    }

    fn bind<const N: usize>(
        &mut self,
        place: Place,
        keys: [Key; N],
        action: Action,
        label: &'static str,
        hint: bool,
    ) {
        self.bindings.push(Binding {
            place,
            keys: keys.to_vec(),
            action,
            label,
            hint,
        });
    }

    /// The action `key` means in `place`, if any.
    pub fn lookup(&self, place: Place, key: Key) -> Option<Action> {
        place.chain().iter().find_map(|p| {
            self.bindings
                .iter()
                .find(|b| b.place == *p && b.keys.contains(&key))
                .map(|b| b.action)
        })
    }

    /// The bindings of one place (not its chain), for the help overlay.
    pub fn of(&self, place: Place) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(move |b| b.place == place)
    }

    /// What the footer shows in `place`: `(key, label)` for its hint bindings along the chain,
    /// the most specific first, each action once.
    pub fn hints(&self, place: Place) -> Vec<(String, &'static str)> {
        self.hints_where(place, |_| true)
    }

    /// [`Keymap::hints`] without the actions `offered` rejects (keys that can do nothing now).
    pub fn hints_where(
        &self,
        place: Place,
        offered: impl Fn(Action) -> bool,
    ) -> Vec<(String, &'static str)> {
        let mut seen: Vec<Action> = Vec::new();
        let mut out = Vec::new();
        for p in place.chain() {
            for b in self.of(*p).filter(|b| b.hint) {
                if seen.contains(&b.action) || !offered(b.action) {
                    continue;
                }
                seen.push(b.action);
                if let Some(first) = b.keys.first() {
                    out.push((first.display(), b.label));
                }
            }
        }
        out
    }

    /// The first key bound to `action` in `place`'s chain, as shown to the operator.
    pub fn key_for(&self, place: Place, action: Action) -> Option<String> {
        place.chain().iter().find_map(|p| {
            self.of(*p)
                .find(|b| b.action == action)
                .and_then(|b| b.keys.first())
                .map(|k| k.display())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    #[test]
    fn arrows_and_vim_keys_both_move() {
        let map = Keymap::standard();
        for place in [Place::Groups, Place::Files, Place::Run, Place::Preview] {
            assert_eq!(
                map.lookup(place, Key::plain(KeyCode::Down)),
                Some(Action::Down)
            );
            assert_eq!(map.lookup(place, Key::ch('j')), Some(Action::Down));
            assert_eq!(map.lookup(place, Key::ch('k')), Some(Action::Up));
            assert_eq!(map.lookup(place, Key::ch('/')), Some(Action::Filter));
        }
    }

    #[test]
    fn typing_places_inherit_nothing_but_ctrl_c() {
        let map = Keymap::standard();
        for place in [Place::Typing, Place::Editor] {
            assert_eq!(map.lookup(place, Key::ch('q')), None, "{place:?}");
            assert_eq!(map.lookup(place, Key::ch('1')), None, "{place:?}");
            assert_eq!(map.lookup(place, Key::ctrl('c')), Some(Action::ForceQuit));
        }
        assert_eq!(map.lookup(Place::Groups, Key::ch('q')), Some(Action::Quit));
        assert_eq!(
            map.lookup(Place::Groups, Key::ctrl('c')),
            Some(Action::ForceQuit)
        );
    }

    #[test]
    fn the_screen_specific_key_wins_over_the_shared_one() {
        let map = Keymap::standard();
        assert_eq!(
            map.lookup(Place::Run, Key::ch(' ')),
            Some(Action::PauseResume)
        );
        assert_eq!(map.lookup(Place::Groups, Key::ch(' ')), Some(Action::Mark));
        assert_eq!(
            map.lookup(Place::Inspector, Key::plain(KeyCode::Esc)),
            Some(Action::Back)
        );
        assert_eq!(
            map.lookup(Place::Groups, Key::ch('3')),
            Some(Action::Go(Screen::Files))
        );
    }

    #[test]
    fn events_are_normalised() {
        let upper = ev(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&upper), Key::ch('G'));
        let backtab = ev(KeyCode::Tab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&backtab), Key::plain(KeyCode::BackTab));
        let backtab2 = ev(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&backtab2), Key::plain(KeyCode::BackTab));
        let ctrl_c = ev(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ctrl_c), Key::ctrl('c'));
    }

    #[test]
    fn keys_display_as_people_write_them() {
        assert_eq!(Key::ctrl('c').display(), "Ctrl-C");
        assert_eq!(Key::ch(' ').display(), "Space");
        assert_eq!(Key::plain(KeyCode::Up).display(), "↑");
        assert_eq!(Key::ch('q').display(), "q");
    }

    #[test]
    fn hints_follow_the_chain_and_skip_repeats() {
        let map = Keymap::standard();
        let hints = map.hints(Place::Run);
        let labels: Vec<&str> = hints.iter().map(|(_, l)| *l).collect();
        assert_eq!(labels[0], "pause/resume", "{labels:?}");
        assert!(labels.contains(&"filter") && labels.contains(&"quit"));
        let typing = map.hints(Place::Typing);
        assert!(!typing.iter().any(|(_, l)| *l == "quit"), "{typing:?}");
        assert_eq!(
            map.key_for(Place::Run, Action::Help).as_deref(),
            Some("?"),
            "global keys are found through the chain"
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_place() {
        let map = Keymap::standard();
        for place in Place::ALL {
            let mut keys: Vec<Key> = map.of(place).flat_map(|b| b.keys.clone()).collect();
            let before = keys.len();
            keys.sort_by_key(|k| format!("{k:?}"));
            keys.dedup();
            assert_eq!(before, keys.len(), "{place:?} binds a key twice");
        }
    }
}
