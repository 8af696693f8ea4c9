//! A one-line text field (connection form, filters, reasons): the text, a cursor, and an
//! optional mask for the secret key. Multi-line JSON editing uses tui-textarea instead.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The character a masked field shows.
pub const MASK: char = '•';

/// How many [`MASK`] characters stand for a secret, however long it is: the screen must not
/// tell the key's length either.
pub const MASK_SHOWN: usize = 8;

/// A one-line field.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TextField {
    text: String,
    /// Cursor position in characters.
    cursor: usize,
    masked: bool,
}

impl std::fmt::Debug for TextField {
    // A masked field may hold the secret key: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.masked {
            f.write_str("TextField(<masked>)")
        } else {
            write!(f, "TextField({:?})", self.text)
        }
    }
}

impl TextField {
    /// A field holding `text`, the cursor at its end.
    pub fn new(text: &str) -> TextField {
        TextField {
            text: text.to_owned(),
            cursor: text.chars().count(),
            masked: false,
        }
    }

    /// An empty masked field (for the secret key).
    pub fn masked() -> TextField {
        TextField {
            masked: true,
            ..TextField::default()
        }
    }

    /// The text as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the field hides what is typed.
    pub fn is_masked(&self) -> bool {
        self.masked
    }

    /// What the screen shows: the text, or for a masked field [`MASK_SHOWN`] mask characters
    /// once anything is typed (nothing before).
    pub fn shown(&self) -> String {
        match (self.masked, self.text.is_empty()) {
            (false, _) => self.text.clone(),
            (true, true) => String::new(),
            (true, false) => MASK.to_string().repeat(MASK_SHOWN),
        }
    }

    /// The cursor position in characters of [`TextField::shown`] (for placing the terminal
    /// cursor); at the end of the mask for a masked field.
    pub fn cursor(&self) -> usize {
        if self.masked {
            self.shown().chars().count()
        } else {
            self.cursor
        }
    }

    fn byte_at(&self, char_pos: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_pos)
            .map_or(self.text.len(), |(b, _)| b)
    }

    /// Inserts pasted text at the cursor (line breaks become spaces: the field is one line).
    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars() {
            self.insert(if c == '\n' || c == '\r' { ' ' } else { c });
        }
    }

    fn insert(&mut self, c: char) {
        if c.is_control() {
            return;
        }
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    /// Applies an editing key; returns true when the text changed. A masked field edits at its
    /// end only (its mask shows no positions to move among).
    pub fn handle(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let moves = matches!(
            key.code,
            KeyCode::Left | KeyCode::Right | KeyCode::Home | KeyCode::End
        ) || (ctrl && matches!(key.code, KeyCode::Char('a' | 'e')));
        if self.masked && moves {
            return false;
        }
        match key.code {
            KeyCode::Char('u') if ctrl => {
                let changed = !self.text.is_empty();
                self.text.clear();
                self.cursor = 0;
                changed
            }
            KeyCode::Char('a') if ctrl => {
                self.cursor = 0;
                false
            }
            KeyCode::Char('e') if ctrl => {
                self.cursor = self.text.chars().count();
                false
            }
            KeyCode::Char(c) if !ctrl => {
                self.insert(c);
                true
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                true
            }
            KeyCode::Delete if self.cursor < self.text.chars().count() => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                true
            }
            KeyCode::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                false
            }
            KeyCode::Right => {
                self.cursor = (self.cursor + 1).min(self.text.chars().count());
                false
            }
            KeyCode::Home => {
                self.cursor = 0;
                false
            }
            KeyCode::End => {
                self.cursor = self.text.chars().count();
                false
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    #[test]
    fn edits_at_the_cursor() {
        let mut f = TextField::new("ac");
        f.handle(&key(KeyCode::Left));
        f.handle(&key(KeyCode::Char('b')));
        assert_eq!(f.text(), "abc");
        f.handle(&key(KeyCode::End));
        f.handle(&key(KeyCode::Backspace));
        f.handle(&key(KeyCode::Home));
        f.handle(&key(KeyCode::Delete));
        assert_eq!(f.text(), "b");
        f.insert_str("é\nz");
        assert_eq!(f.text(), "é zb");
        assert_eq!(f.cursor(), 3);
    }

    #[test]
    fn a_masked_field_never_shows_or_debugs_its_text_nor_its_length() {
        let mut f = TextField::masked();
        assert_eq!((f.shown().as_str(), f.cursor()), ("", 0));
        f.insert_str("s3cret");
        assert_eq!(f.shown(), "••••••••");
        assert_eq!(f.text(), "s3cret");
        assert!(!format!("{f:?}").contains("s3cret"));
        let short = f.shown();
        f.insert_str(&"x".repeat(58));
        assert_eq!(
            f.shown(),
            short,
            "a 64-character key looks like a 6-character one"
        );
        assert_eq!(f.cursor(), MASK_SHOWN);
        // Editing happens at the end: moving would be blind.
        f.handle(&key(KeyCode::Home));
        f.handle(&key(KeyCode::Backspace));
        assert_eq!(f.text(), format!("s3cret{}", "x".repeat(57)));
    }
}
