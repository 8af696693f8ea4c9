//! A one-line text field (connection form, filters, reasons): the text, a cursor, and an
//! optional mask for the secret key. Multi-line JSON editing uses tui-textarea instead.
//!
//! The cursor moves and deletes by grapheme cluster (a `👨‍👩‍👧` is one step) and is placed on
//! screen by display columns (after `管理员` it stands 6 columns in, not 3).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use unicode_segmentation::UnicodeSegmentation;

use super::super::text_width::{fit, fit_end, width_of};

/// The character a masked field shows.
pub const MASK: char = '•';

/// How many [`MASK`] characters stand for a secret, however long it is: the screen must not
/// tell the key's length either.
pub const MASK_SHOWN: usize = 8;

/// A one-line field.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TextField {
    text: String,
    /// Cursor position: a byte offset into `text`, always at a grapheme cluster boundary.
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
            cursor: text.len(),
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

    /// The cursor's display column in [`TextField::shown`] (for placing the terminal cursor);
    /// at the end of the mask for a masked field.
    pub fn cursor_column(&self) -> usize {
        if self.masked {
            width_of(&self.shown())
        } else {
            width_of(&self.text[..self.cursor])
        }
    }

    /// What to draw in `width` columns and the cursor's column in it: the text when it fits;
    /// else cut with `…` where it is cut, scrolled so the cursor stays in sight.
    pub fn view(&self, width: usize) -> (String, usize) {
        let shown = self.shown();
        let column = self.cursor_column();
        if width_of(&shown) < width {
            return (shown, column);
        }
        if column + 1 < width {
            return (fit(&shown, width), column);
        }
        let at = if self.masked {
            shown.len()
        } else {
            self.cursor
        };
        let before = fit_end(&shown[..at], width.saturating_sub(1));
        let column = width_of(&before);
        let after = fit(&shown[at..], width.saturating_sub(column));
        (format!("{before}{after}"), column)
    }

    /// The byte offset of the grapheme cluster boundary before the cursor.
    fn prev_boundary(&self) -> usize {
        self.text[..self.cursor]
            .grapheme_indices(true)
            .next_back()
            .map_or(0, |(at, _)| at)
    }

    /// The byte offset of the grapheme cluster boundary after the cursor.
    fn next_boundary(&self) -> usize {
        self.text[self.cursor..]
            .graphemes(true)
            .next()
            .map_or(self.cursor, |g| self.cursor + g.len())
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
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
        // A combining mark or modifier joins the cluster before it: the cursor stays on a
        // boundary (after that cluster).
        if !is_boundary(&self.text, self.cursor) {
            self.cursor = self.next_boundary();
        }
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
                self.cursor = self.text.len();
                false
            }
            KeyCode::Char(c) if !ctrl => {
                self.insert(c);
                true
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let from = self.prev_boundary();
                self.text.replace_range(from..self.cursor, "");
                self.cursor = from;
                true
            }
            KeyCode::Delete if self.cursor < self.text.len() => {
                let to = self.next_boundary();
                self.text.replace_range(self.cursor..to, "");
                true
            }
            KeyCode::Left => {
                self.cursor = self.prev_boundary();
                false
            }
            KeyCode::Right => {
                self.cursor = self.next_boundary();
                false
            }
            KeyCode::Home => {
                self.cursor = 0;
                false
            }
            KeyCode::End => {
                self.cursor = self.text.len();
                false
            }
            _ => false,
        }
    }
}

/// Whether byte offset `at` of `text` is a grapheme cluster boundary.
fn is_boundary(text: &str, at: usize) -> bool {
    at == text.len() || text.grapheme_indices(true).any(|(i, _)| i == at)
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
        assert_eq!(f.cursor_column(), 3);
    }

    #[test]
    fn the_cursor_stands_at_display_columns_and_moves_by_cluster() {
        let mut f = TextField::default();
        f.insert_str("管理员");
        assert_eq!(
            f.cursor_column(),
            6,
            "three wide characters are six columns"
        );
        f.handle(&key(KeyCode::Left));
        assert_eq!(f.cursor_column(), 4);
        let family = "👨‍👩‍👧";
        let mut f = TextField::new(&format!("a{family}b"));
        f.handle(&key(KeyCode::Left));
        assert_eq!(f.cursor_column(), 3);
        f.handle(&key(KeyCode::Left));
        assert_eq!(f.cursor_column(), 1, "the ZWJ sequence is one step");
        f.handle(&key(KeyCode::Delete));
        assert_eq!(f.text(), "ab", "and one deletion");
        let mut f = TextField::new("👍");
        f.insert_str("\u{1F3FD}");
        assert_eq!(f.text(), "👍🏽");
        assert_eq!(f.cursor_column(), 2, "a modifier joins its emoji");
        f.handle(&key(KeyCode::Backspace));
        assert_eq!(f.text(), "");
    }

    #[test]
    fn a_long_field_scrolls_to_keep_the_cursor_in_sight() {
        let (shown, column) = TextField::new("0123456789abcdef").view(8);
        assert_eq!((shown.as_str(), column), ("…abcdef", 7));
        let mut f = TextField::new("管理员管理员管理员");
        f.handle(&key(KeyCode::Home));
        let (shown, column) = f.view(7);
        assert_eq!((shown.as_str(), column), ("管理员…", 0));
        f.handle(&key(KeyCode::End));
        let (shown, column) = f.view(7);
        assert_eq!(column, width_of(&shown));
        assert!(column < 7, "the cursor is on screen: {shown:?}");
        assert!(shown.starts_with('…'), "{shown:?}");
        let (shown, column) = TextField::new("short").view(20);
        assert_eq!((shown.as_str(), column), ("short", 5));
    }

    #[test]
    fn a_masked_field_never_shows_or_debugs_its_text_nor_its_length() {
        let mut f = TextField::masked();
        assert_eq!((f.shown().as_str(), f.cursor_column()), ("", 0));
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
        assert_eq!(f.cursor_column(), MASK_SHOWN);
        // Editing happens at the end: moving would be blind.
        f.handle(&key(KeyCode::Home));
        f.handle(&key(KeyCode::Backspace));
        assert_eq!(f.text(), format!("s3cret{}", "x".repeat(57)));
    }
}
