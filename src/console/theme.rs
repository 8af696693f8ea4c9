//! Colours by meaning, never by widget: every style the console uses comes from here. The
//! defaults are the terminal's own palette (named ANSI colours and `Reset`), so they read on light
//! and dark backgrounds alike. With `NO_COLOR` set (and not empty, per no-color.org) every colour
//! goes and only bold, reverse and underline remain; every state is also shown by a symbol
//! ([`Symbol`]), so nothing depends on colour alone.

use ratatui::style::{Color, Modifier, Style};

/// Styles by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Whether colours are used at all.
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme { color: true }
    }
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to something.
    pub fn from_env() -> Theme {
        Theme::with_no_color(std::env::var_os("NO_COLOR").as_deref())
    }

    /// The theme for a value of `NO_COLOR` (present and not empty means monochrome).
    pub fn with_no_color(value: Option<&std::ffi::OsStr>) -> Theme {
        Theme {
            color: value.is_none_or(|v| v.is_empty()),
        }
    }

    /// A monochrome theme.
    pub fn monochrome() -> Theme {
        Theme { color: false }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// Ordinary text.
    pub fn text(self) -> Style {
        Style::new()
    }

    /// Secondary text: labels, hints, empty states.
    pub fn muted(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// Titles and headings.
    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// A key name in the footer and the help.
    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The border of the focused pane.
    pub fn focus_border(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The border of other panes.
    pub fn border(self) -> Style {
        self.muted()
    }

    /// The selected row.
    pub fn selection(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// The active tab.
    pub fn tab_active(self) -> Style {
        self.fg(Color::Cyan)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// Success.
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    /// Needs attention, not broken.
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    /// Failed or refused.
    pub fn err(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// In progress.
    pub fn busy(self) -> Style {
        self.fg(Color::Cyan)
    }

    /// The style of a state.
    pub fn of(self, symbol: Symbol) -> Style {
        match symbol {
            Symbol::Done => self.ok(),
            Symbol::Failed => self.err(),
            Symbol::Warning | Symbol::Paused | Symbol::Unknown => self.warn(),
            Symbol::Running => self.busy(),
            Symbol::Stopped | Symbol::Skipped | Symbol::Waiting => self.muted(),
        }
    }

    /// JSON object keys.
    pub fn json_key(self) -> Style {
        self.fg(Color::Cyan)
    }

    /// JSON strings.
    pub fn json_string(self) -> Style {
        self.fg(Color::Green)
    }

    /// JSON numbers.
    pub fn json_number(self) -> Style {
        self.fg(Color::Magenta)
    }

    /// JSON `true`, `false`, `null`.
    pub fn json_literal(self) -> Style {
        self.fg(Color::Yellow)
    }

    /// JSON punctuation.
    pub fn json_punct(self) -> Style {
        self.muted()
    }
}

/// A state as a symbol, so it reads without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// Done, imported, fine.
    Done,
    /// Failed or refused.
    Failed,
    /// Needs attention.
    Warning,
    /// Paused (waiting for a decision, or the whole run paused).
    Paused,
    /// Working on it.
    Running,
    /// Stopped by the operator or by a group error.
    Stopped,
    /// Skipped with a reason.
    Skipped,
    /// Not started yet.
    Waiting,
    /// Sent, answer unknown (being settled).
    Unknown,
}

impl Symbol {
    /// The glyph.
    pub fn glyph(self) -> &'static str {
        match self {
            Symbol::Done => "✓",
            Symbol::Failed => "✗",
            Symbol::Warning => "!",
            Symbol::Paused => "‖",
            Symbol::Running => "▶",
            Symbol::Stopped => "■",
            Symbol::Skipped => "»",
            Symbol::Waiting => "·",
            Symbol::Unknown => "?",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn no_color_means_present_and_not_empty() {
        assert!(Theme::with_no_color(None).color);
        assert!(Theme::with_no_color(Some(OsStr::new(""))).color);
        assert!(!Theme::with_no_color(Some(OsStr::new("1"))).color);
    }

    #[test]
    fn monochrome_keeps_modifiers_and_drops_colours() {
        let mono = Theme::monochrome();
        for style in [
            mono.ok(),
            mono.err(),
            mono.warn(),
            mono.key(),
            mono.json_key(),
            mono.muted(),
            mono.tab_active(),
        ] {
            assert_eq!(style.fg, None, "{style:?}");
            assert_eq!(style.bg, None, "{style:?}");
        }
        assert!(mono.selection().add_modifier.contains(Modifier::REVERSED));
        assert!(
            mono.tab_active()
                .add_modifier
                .contains(Modifier::UNDERLINED)
        );
        let colour = Theme::default();
        assert_eq!(colour.err().fg, Some(Color::Red));
        assert_eq!(colour.ok().fg, Some(Color::Green));
    }

    #[test]
    fn every_state_has_its_own_glyph() {
        let all = [
            Symbol::Done,
            Symbol::Failed,
            Symbol::Warning,
            Symbol::Paused,
            Symbol::Running,
            Symbol::Stopped,
            Symbol::Skipped,
            Symbol::Waiting,
            Symbol::Unknown,
        ];
        let mut glyphs: Vec<&str> = all.iter().map(|s| s.glyph()).collect();
        glyphs.sort();
        glyphs.dedup();
        assert_eq!(glyphs.len(), all.len());
    }
}
