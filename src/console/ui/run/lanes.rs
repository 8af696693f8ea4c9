//! The Run screen's lanes: a gauge, the counts and the state of each; those that need the
//! operator first (paused, then stopped), and a sign on the border for lanes off screen.

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Row;

use crate::engine::LaneState;

use super::super::super::keymap::{Action, Place};
use super::super::super::state::AppState;
use super::super::super::state::overlay::{HitTarget, ListId};
use super::super::super::state::run::{Lane, RunFocus, RunState};
use super::super::super::theme::{Symbol, Theme};
use super::super::super::words::count;
use super::super::widgets::{filter_note, pane, table, title_in, visible_rows};

/// Width of a lane's gauge, in cells.
const GAUGE: usize = 12;

/// A lane's state as a symbol and a word.
pub fn lane_symbol(state: LaneState) -> Symbol {
    match state {
        LaneState::Waiting => Symbol::Waiting,
        LaneState::Settling => Symbol::Unknown,
        LaneState::Running => Symbol::Running,
        LaneState::Paused => Symbol::Paused,
        LaneState::Stopped => Symbol::Stopped,
        LaneState::Done => Symbol::Done,
    }
}

fn gauge(lane: &Lane) -> String {
    let filled = (lane.ratio() * GAUGE as f64).round() as usize;
    format!(
        "{}{} {:>3}%",
        "█".repeat(filled.min(GAUGE)),
        "░".repeat(GAUGE.saturating_sub(filled)),
        (lane.ratio() * 100.0).floor() as u64
    )
}

pub(super) fn draw_lanes(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let run = &state.run;
    let key = |action| state.keymap.name(Place::Run, action);
    // What the keys can do with the lanes now: nothing pauses or stops once the run is over.
    let keys = if run.active {
        format!(
            " · {} pauses all, {} stops one, {} inspects a paused one ",
            key(Action::PauseResume),
            key(Action::StopLane),
            key(Action::Select)
        )
    } else if run.finished.is_some() {
        format!(" · over; {} reopens a run ", key(Action::Reopen))
    } else {
        " ".to_owned()
    };
    let title = format!(
        " Lanes {}{}{keys}",
        run.lanes.len(),
        filter_note(state, ListId::Lanes, &run.lane_view),
    );
    // The rows on screen first: the border says when lanes are above or below them, and which.
    let rows_room = usize::from(area.height.saturating_sub(3));
    let window = state.run.lane_view.window(rows_room);
    let run = &state.run;
    let mut block = pane(title_in(&title, area), run.focus == RunFocus::Lanes, theme);
    let (above, below) = off_screen(run, window.clone());
    if let Some(words) = above {
        block = block.title_top(Line::styled(words, theme.warn()).right_aligned());
    }
    if let Some(words) = below {
        block = block.title_bottom(Line::styled(words, theme.warn()).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    state.hits.push((area, HitTarget::Pane(ListId::Lanes)));
    // The note (why a lane stopped or waits) gets the room when there is room; on a narrow
    // terminal the lane's name does, and the note is in the errors pane and on Enter.
    let wide = inner.width >= 100;
    let mut widths = vec![
        Constraint::Length(10),
        Constraint::Fill(1),
        Constraint::Length(GAUGE as u16 + 5),
        Constraint::Length(11),
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(4),
    ];
    let mut titles = vec!["State", "Lane", "Progress", "Done", "✗", "»", "!"];
    if wide {
        widths.push(Constraint::Fill(2));
        titles.push("Note");
    }
    let header = Row::new(titles).style(theme.title());
    let run = &state.run;
    let focused = run.focus == RunFocus::Lanes;
    let rows = visible_rows(&run.lane_view, window, focused, theme, |i| {
        let l = run.lanes.get(i)?;
        let symbol = lane_symbol(l.state);
        let c = l.counts;
        let mut cells = vec![
            Line::from(Span::styled(
                format!("{} {}", symbol.glyph(), l.state.word()),
                theme.of(symbol),
            )),
            Line::raw(l.target.to_string()),
            Line::styled(gauge(l), theme.of(symbol)),
            Line::raw(format!("{}/{}", count(c.done), count(l.total))).right_aligned(),
            number(c.failed, theme.err(), theme),
            number(c.skipped, theme.muted(), theme),
            number(c.invalid, theme.warn(), theme),
        ];
        if wide {
            cells.push(Line::styled(
                l.note.clone().unwrap_or_default(),
                theme.muted(),
            ));
        }
        Some(cells)
    });
    table(
        frame,
        inner,
        (header, widths),
        rows,
        &mut state.hits,
        ListId::Lanes,
    );
}

/// ` ↑ 2 more ` and ` ↓ 5 more: 3 running ` when lanes are above or below `window`: a lane at
/// work off screen is never out of sight without a sign.
fn off_screen(run: &RunState, window: Range<usize>) -> (Option<String>, Option<String>) {
    let view = &run.lane_view;
    let describe = |positions: Range<usize>, arrow: &str| {
        if positions.is_empty() {
            return None;
        }
        let mut by_state: Vec<(LaneState, u64)> = Vec::new();
        for lane in positions
            .filter_map(|p| view.row_at(p))
            .filter_map(|i| run.lanes.get(i))
        {
            match by_state.iter_mut().find(|(s, _)| *s == lane.state) {
                Some((_, n)) => *n += 1,
                None => by_state.push((lane.state, 1)),
            }
        }
        let n: u64 = by_state.iter().map(|(_, n)| n).sum();
        let detail: Vec<String> = by_state
            .iter()
            .filter(|(s, _)| *s != LaneState::Done)
            .map(|(s, n)| format!("{n} {}", s.word()))
            .collect();
        Some(if detail.is_empty() {
            format!(" {arrow} {} more ", count(n))
        } else {
            format!(" {arrow} {} more: {} ", count(n), detail.join(", "))
        })
    };
    (
        describe(0..window.start, "↑"),
        describe(window.end..view.shown(), "↓"),
    )
}

/// A right-aligned count, in `style` when it is not zero.
fn number(n: u64, style: ratatui::style::Style, theme: &Theme) -> Line<'static> {
    Line::styled(count(n), if n > 0 { style } else { theme.muted() }).right_aligned()
}
