//! The key map: `(place, key) -> Action`, and the one table the footer hints and the `?` help
//! overlay are generated from, so what the screen says is always what the keys do.
//!
//! A [`Place`] is where the keyboard is: a screen, a list, a text field being typed in, an
//! overlay. Each place looks its keys up along a chain ([`Place::chain`]): its own bindings, then
//! the shared ones it inherits (list navigation, global keys). Typing places inherit nothing, so
//! `q` types a `q` there; only [`Place::Always`] (Ctrl-C) reaches every place.

mod action;
mod key;
mod place;

pub use action::Action;
pub use key::Key;
pub use place::{Place, Screen};

use crossterm::event::KeyCode;

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
        map.bind(P::Groups, [c('s')], A::Sort, "sort", true);
        map.bind(P::Groups, [c('r')], A::Refresh, "reload", false);
        map.bind(P::Groups, [c('c')], A::CreateGroup, "create group", false);

        map.bind(P::Files, [p(K::Enter)], A::Select, "open", true);
        map.bind(P::Files, [c('r')], A::Refresh, "rescan", false);
        map.bind(P::Files, [c('d')], A::ChangeDir, "staging dir", true);

        map.bind(P::Preview, [c('L')], A::LaunchGroup, "import group", true);
        map.bind(P::Preview, [c('M')], A::LaunchMarked, "import marked", true);
        map.bind(P::Preview, [c('A')], A::LaunchAll, "import all", false);

        // Attached to a run in another process (offered only then): who decides, and leaving.
        map.bind(P::Run, [c('H')], A::Helm, "take/give helm", true);
        map.bind(P::Run, [c('D')], A::Detach, "detach", true);
        map.bind(
            P::Run,
            [c('X')],
            A::StopRun,
            "stop the run (attached)",
            false,
        );
        map.bind(P::Run, [c(' ')], A::PauseResume, "pause/resume", true);
        map.bind(P::Run, [c('x')], A::StopLane, "stop lane", true);
        map.bind(P::Run, [p(K::Enter)], A::Select, "inspect", true);
        map.bind(P::Run, [c('f')], A::Follow, "follow newest", false);
        map.bind(P::Run, [c('o')], A::Reopen, "reopen a run", false);
        map.bind(P::Run, [c('v')], A::Verify, "verify (selected lane)", true);
        map.bind(
            P::Run,
            [c('V')],
            A::VerifyRun,
            "verify the whole run",
            false,
        );
        map.bind(P::Run, [c('c')], A::ByCode, "by code", true);
        map.bind(P::Run, [c('S')], A::SkipCode, "skip code", true);
        map.bind(P::Run, [c('R')], A::RetryCode, "retry code", true);

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
            P::Confirm,
            [c('s')],
            A::ToggleSameSecond,
            "bursts: keep or spread (starting an import)",
            false,
        );
        map.bind(
            P::Confirm,
            [c('b')],
            A::ToggleOutlive,
            "run in background: outlive the console (import)",
            false,
        );

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

    /// Gives `action` in `place` the keys `keys` instead of its own (the first is the one the
    /// footer and the prose name). Returns false when `place` has no binding for `action`.
    pub fn rebind(&mut self, place: Place, action: Action, keys: &[Key]) -> bool {
        match self
            .bindings
            .iter_mut()
            .find(|b| b.place == place && b.action == action)
        {
            Some(b) => {
                b.keys = keys.to_vec();
                true
            }
            None => false,
        }
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

    /// The key prose names for `action` in `place` ("press t"), from the same table as the
    /// footer; `?` if nothing is bound (a screen snapshot would show it).
    pub fn name(&self, place: Place, action: Action) -> String {
        self.key_for(place, action)
            .unwrap_or_else(|| "?".to_owned())
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
    fn hints_follow_the_chain_and_skip_repeats() {
        let map = Keymap::standard();
        let hints = map.hints(Place::Run);
        let labels: Vec<&str> = hints.iter().map(|(_, l)| *l).collect();
        // The attached keys lead (the footer offers them only while attached).
        assert_eq!(
            labels[..3],
            ["take/give helm", "detach", "pause/resume"],
            "{labels:?}"
        );
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
