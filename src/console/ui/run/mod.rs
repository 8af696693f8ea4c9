//! Screen 5: the run, live. A header with progress, throughput, the rate against the budget, the
//! ETA and sparklines of requests and refusals; the lanes with a gauge and their state (those
//! that need the operator first, scrolled, with a sign when more are off screen); the per-message results (following the
//! newest unless scrolled); the errors with code, meaning and remedy. Only the rows on screen are
//! built, so a million results draw as fast as ten.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::super::keymap::{Action, Place};
use super::super::state::AppState;
use super::super::theme::{Symbol, Theme};
use super::widgets::pane;

mod errors;
mod header;
mod lanes;
mod results;

use errors::draw_errors;
use header::{draw_header, header_rows};
use lanes::draw_lanes;
use results::draw_results;

/// Draws the screen.
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    if state.run.lanes.is_empty() {
        draw_idle(frame, area, state, theme);
        return;
    }
    let header_height = header_rows(&state.run);
    let lanes_height = u16::try_from(state.run.lanes.len() + 3)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(header_height) * 2 / 5)
        .max(4);
    let [header, lanes, rest] = Layout::vertical([
        Constraint::Length(header_height),
        Constraint::Length(lanes_height),
        Constraint::Min(4),
    ])
    .areas(area);
    draw_header(frame, header, &state.run, state.now_ms, theme);
    draw_lanes(frame, lanes, state, theme);
    let direction = if rest.width >= 120 {
        Direction::Horizontal
    } else {
        Direction::Vertical
    };
    let [results, errors] = Layout::default()
        .direction(direction)
        .constraints([Constraint::Percentage(58), Constraint::Percentage(42)])
        .areas(rest);
    draw_results(frame, results, state, theme);
    draw_errors(frame, errors, state, theme);
}

fn draw_idle(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let block = pane(" Run ", false, theme);
    let mut lines = vec![];
    if let Some(e) = &state.run.failure {
        lines.push(Line::styled(
            format!("{} The run could not start: {e}", Symbol::Failed.glyph()),
            theme.err(),
        ));
        lines.push(Line::raw(""));
    } else if state.run.active {
        lines.push(Line::styled("Starting the run…", theme.busy()));
    }
    let keys = &state.keymap;
    let launch = |action| keys.name(Place::Preview, action);
    lines.push(Line::styled(
        format!(
            "No run yet. Open a group ({} on screen 2 or 3), check its requests on screen 4, and press {} to import it ({}: the marked groups, {}: every staged group).",
            keys.name(Place::Groups, Action::Select),
            launch(Action::LaunchGroup),
            launch(Action::LaunchMarked),
            launch(Action::LaunchAll)
        ),
        theme.muted(),
    ));
    lines.push(Line::styled(
        format!(
            "A run that stopped ({}, a crash) resumes where it stopped: {} shows the latest run in the ledger and offers to resume it.",
            keys.name(Place::Always, Action::ForceQuit),
            keys.name(Place::Run, Action::Reopen)
        ),
        theme.muted(),
    ));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}
