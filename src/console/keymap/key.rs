//! One key with its modifiers, normalised from terminal events and written as people write it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
}
