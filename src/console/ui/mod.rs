//! Drawing: plain functions from the state to a frame. Nothing here changes what the console
//! knows, except the scroll windows of lists (which depend on the terminal's size) and the
//! areas the mouse can click, recorded for the next mouse event.
//!
//! Map: `chrome` (tabs, status line, footer from the key map), `help` (the `?` overlay from the
//! key map), `overlay` (questions and pop-ups), `widgets` (shared pieces: blocks, cells,
//! tables), one file per screen.

mod chrome;
mod connect;
mod files;
mod groups;
mod help;
mod inspector;
mod json;
mod overlay;
mod preview;
mod run;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::keymap::{Action, Keymap, Place, Screen};
use super::state::AppState;
use super::state::overlay::Overlay;
use super::theme::Theme;

/// The smallest terminal the console draws in; below it says so instead.
pub const MIN_WIDTH: u16 = 80;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 24;

/// Draws the whole console.
pub fn draw(frame: &mut Frame<'_>, state: &mut AppState, theme: &Theme) {
    let area = frame.area();
    state.hits.clear();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, &state.keymap, theme);
        return;
    }
    let [tabs, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::tabs(frame, tabs, state, theme);
    match state.screen {
        Screen::Connect => connect::draw(frame, body, state, theme),
        Screen::Groups => groups::draw(frame, body, state, theme),
        Screen::Files => files::draw(frame, body, state, theme),
        Screen::Preview => preview::draw(frame, body, state, theme),
        Screen::Run if state.inspector.is_some() => inspector::draw(frame, body, state, theme),
        Screen::Run => run::draw(frame, body, state, theme),
    }
    chrome::status(frame, status, state, theme);
    chrome::footer(frame, footer, state, theme);
    match &state.overlay {
        Some(Overlay::Help { .. }) => help::draw(frame, area, state, theme),
        Some(Overlay::Confirm(_)) => overlay::confirm(frame, area, state, theme),
        Some(Overlay::Popup(_)) => overlay::popup(frame, area, state, theme),
        None => {}
    }
}

fn too_small(frame: &mut Frame<'_>, area: Rect, keys: &Keymap, theme: &Theme) {
    let text = vec![
        Line::styled(
            format!("timport needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT}"),
            theme.title(),
        ),
        Line::from(format!(
            "This one is {}×{}: enlarge the window or make the font smaller.",
            area.width, area.height
        )),
        Line::styled(
            format!("{} quits.", keys.name(Place::Always, Action::ForceQuit)),
            theme.muted(),
        ),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}
