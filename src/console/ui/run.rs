//! Screen 5: the run, live. A header with progress, throughput, the rate against the budget and
//! the ETA; the lanes with a gauge and their state; the per-message results (following the
//! newest unless scrolled); the errors with code, meaning and remedy. Only the rows on screen are
//! built, so a million results draw as fast as ten.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use crate::engine::LaneState;

use super::super::keymap::{Action, Place};
use super::super::state::AppState;
use super::super::state::overlay::{HitTarget, ListId};
use super::super::state::run::{ErrorKind, Lane, ResultRow, RowOutcome, RunFocus, RunState};
use super::super::theme::{Symbol, Theme};
use super::super::words::{count, duration, minute};
use super::widgets::{counted, filter_note, pane, table, visible_rows};

/// Width of a lane's gauge, in cells.
const GAUGE: usize = 12;

/// Draws the screen.
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    if state.run.lanes.is_empty() {
        draw_idle(frame, area, state, theme);
        return;
    }
    let lanes_height = u16::try_from(state.run.lanes.len() + 3)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2) * 2 / 5)
        .max(4);
    let [header, lanes, rest] = Layout::vertical([
        Constraint::Length(2),
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
    lines.push(Line::styled(
        "No run yet. Open a group (Enter on screen 2 or 3), check its requests on screen 4, and press L to import it (M: the marked groups, A: every staged group).",
        theme.muted(),
    ));
    lines.push(Line::styled(
        "A run that stopped (Ctrl-C, a crash) resumes where it stopped: o shows the latest run in the ledger and offers to resume it.",
        theme.muted(),
    ));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}

fn run_symbol(run: &RunState) -> (Symbol, &'static str) {
    match (&run.finished, run.paused) {
        (Some((_, 0)), _) => (Symbol::Done, "finished"),
        (Some(_), _) => (Symbol::Warning, "finished"),
        (None, true) => (Symbol::Paused, "paused"),
        (None, false) if run.lanes.iter().any(|l| l.state == LaneState::Paused) => {
            (Symbol::Running, "running, lanes wait for you")
        }
        (None, false) => (Symbol::Running, "running"),
    }
}

fn draw_header(frame: &mut Frame<'_>, area: Rect, run: &RunState, now_ms: i64, theme: &Theme) {
    let (symbol, word) = run_symbol(run);
    let total = run.total();
    let settled = run.settled();
    let percent = (settled * 100).checked_div(total).unwrap_or(100);
    let c = run.counts();
    let id = run.run_id.map(|i| format!(" {i}")).unwrap_or_default();
    let resumed = if run.resumed { " (resumed)" } else { "" };
    // Words after the counts when they fit; the symbols alone (the lanes table has them as
    // column heads) on a narrow terminal.
    let wide = area.width >= 110;
    let label = |word: &'static str| if wide { word } else { "" };
    let first = Line::from(vec![
        Span::styled(
            format!(" {} Run{id}{resumed} {word}", symbol.glyph()),
            theme.of(symbol).patch(theme.title()),
        ),
        Span::raw(format!(
            " · {}/{} ({percent}%) · ",
            count(settled),
            count(total)
        )),
        Span::styled(
            format!(
                "{} {}{}",
                Symbol::Done.glyph(),
                count(c.done),
                label(" done")
            ),
            theme.ok(),
        ),
        Span::raw("  "),
        counted(
            Symbol::Failed,
            c.failed,
            label(" failed"),
            theme.err(),
            theme,
        ),
        Span::raw("  "),
        counted(
            Symbol::Skipped,
            c.skipped,
            label(" skipped"),
            theme.muted(),
            theme,
        ),
        Span::raw("  "),
        counted(
            Symbol::Warning,
            c.invalid,
            label(" invalid"),
            theme.warn(),
            theme,
        ),
    ]);
    let (per_sec, req_sec) = run.meter.rates(now_ms);
    let elapsed = u64::try_from((now_ms - run.started_ms).max(0) / 1000).unwrap_or(0);
    let waiting = run.lanes.iter().any(|l| l.state == LaneState::Paused);
    let eta = match (run.finished.is_some(), run.eta_secs(now_ms)) {
        (true, _) => "done".to_owned(),
        (false, Some(s)) => duration(s),
        (false, None) if run.paused => "paused".to_owned(),
        (false, None) if waiting => "after your decisions".to_owned(),
        (false, None) => "–".to_owned(),
    };
    let limiter = if run.rate_now < run.budget {
        Span::styled(
            format!(
                " (slowed to {}/s after {} refusals)",
                run.rate_now, run.refusals
            ),
            theme.warn(),
        )
    } else {
        Span::styled(format!(" ({} refusals)", run.refusals), theme.muted())
    };
    let second = if wide {
        Line::from(vec![
            Span::raw(format!(
                "   {per_sec:.0} messages/s · {req_sec:.0} requests/s of {} allowed",
                run.budget
            )),
            limiter,
            Span::raw(format!(
                " · {} requests · ETA {eta} · {} elapsed",
                count(run.requests),
                duration(elapsed)
            )),
        ])
    } else {
        Line::from(vec![
            Span::raw(format!(
                "   {per_sec:.0} msg/s · {req_sec:.0} req/s of {}",
                run.budget
            )),
            if run.rate_now < run.budget {
                Span::styled(format!(" (slowed to {})", run.rate_now), theme.warn())
            } else {
                Span::raw("")
            },
            Span::raw(format!(" · ETA {eta} · {} elapsed", duration(elapsed))),
        ])
    };
    frame.render_widget(Paragraph::new(vec![first, second]), area);
}

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

fn draw_lanes(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let run = &state.run;
    // What the keys can do with the lanes now: nothing pauses or stops once the run is over.
    let keys = if run.active {
        " · Space pauses all, x stops one, Enter inspects a paused one ".to_owned()
    } else if run.finished.is_some() {
        let reopen = state.keymap.key_for(Place::Run, Action::Reopen);
        format!(" · over; {} reopens a run ", reopen.unwrap_or_default())
    } else {
        " ".to_owned()
    };
    let title = format!(
        " Lanes {}{}{keys}",
        run.lanes.len(),
        filter_note(state, ListId::Lanes, &run.lane_view)
    );
    let block = pane(title, run.focus == RunFocus::Lanes, theme);
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
    let window = state
        .run
        .lane_view
        .window(usize::from(inner.height.saturating_sub(1)));
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
        Some(Row::new(cells))
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

/// A right-aligned count, in `style` when it is not zero.
fn number(n: u64, style: ratatui::style::Style, theme: &Theme) -> Line<'static> {
    Line::styled(count(n), if n > 0 { style } else { theme.muted() }).right_aligned()
}

fn outcome_span(row: &ResultRow<'_>, theme: &Theme) -> Span<'static> {
    let (symbol, text) = match row.outcome {
        RowOutcome::Done(seq) => (Symbol::Done, format!("seq {seq}")),
        RowOutcome::Failed(Some(code)) => (Symbol::Failed, code.to_string()),
        RowOutcome::Failed(None) => (Symbol::Failed, "failed".to_owned()),
        RowOutcome::Skipped => (Symbol::Skipped, "skipped".to_owned()),
        RowOutcome::Invalid => (Symbol::Warning, "invalid".to_owned()),
    };
    Span::styled(format!("{} {text}", symbol.glyph()), theme.of(symbol))
}

fn draw_results(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let run = &state.run;
    let mut title = format!(" Results {}", count(run.results.len() as u64));
    if run.dropped > 0 {
        title.push_str(&format!(" (+{} older in the ledger)", count(run.dropped)));
    }
    title.push_str(if run.follow {
        " · following the newest"
    } else {
        " · scrolled (f follows)"
    });
    title.push_str(&filter_note(state, ListId::Results, &run.result_view));
    title.push(' ');
    let block = pane(title, run.focus == RunFocus::Results, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    state.hits.push((area, HitTarget::Pane(ListId::Results)));
    let widths = vec![
        Constraint::Length(16),
        Constraint::Fill(1),
        Constraint::Length(12),
        Constraint::Length(11),
        Constraint::Fill(2),
    ];
    let header = Row::new(["Sent", "Group", "Sender", "Result", "Text"]).style(theme.title());
    let window = state
        .run
        .result_view
        .window(usize::from(inner.height.saturating_sub(1)));
    let run = &state.run;
    let focused = run.focus == RunFocus::Results;
    let rows = visible_rows(&run.result_view, window, focused, theme, |i| {
        let r = run.results.get(i)?;
        let group = run
            .lanes
            .get(r.lane as usize)
            .map(|l| l.target.group().to_owned())
            .unwrap_or_default();
        Some(Row::new(vec![
            Line::raw(minute(Some(r.send_time))),
            Line::raw(group),
            Line::raw(run.sender(&r).to_owned()),
            Line::from(outcome_span(&r, theme)),
            Line::raw(r.summary.to_string()),
        ]))
    });
    table(
        frame,
        inner,
        (header, widths),
        rows,
        &mut state.hits,
        ListId::Results,
    );
}

fn kind_symbol(kind: ErrorKind) -> Symbol {
    match kind {
        ErrorKind::Message => Symbol::Failed,
        ErrorKind::Retry => Symbol::Running,
        ErrorKind::Unknown => Symbol::Unknown,
        ErrorKind::Stopped => Symbol::Stopped,
        ErrorKind::Warning => Symbol::Warning,
    }
}

fn draw_errors(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let run = &state.run;
    let title = format!(
        " Errors {}{} ",
        count(run.errors.len() as u64),
        filter_note(state, ListId::Errors, &run.error_view)
    );
    let block = pane(title, run.focus == RunFocus::Errors, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    state.hits.push((area, HitTarget::Pane(ListId::Errors)));
    if run.errors.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("None so far.", theme.muted())),
            inner,
        );
        return;
    }
    let detail_height = if inner.height >= 8 { 4 } else { 0 };
    let [list, detail] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(detail_height)]).areas(inner);
    let height = usize::from(list.height);
    let run = &mut state.run;
    let window = run.error_view.window(height);
    let selected = run.error_view.selected_pos();
    let run = &state.run;
    let view = &run.error_view;
    let width = usize::from(list.width);
    let lines: Vec<Line<'_>> = window
        .filter_map(|pos| view.row_at(pos).map(|i| (pos, i)))
        .filter_map(|(pos, i)| run.errors.get(i).map(|e| (pos, e)))
        .map(|(pos, e)| {
            let symbol = kind_symbol(e.kind);
            let lane = e
                .lane
                .map(|l| format!("{} ", run.lane_name(l)))
                .unwrap_or_default();
            let text = super::widgets::fit(&format!("{lane}{}", e.line()), width.saturating_sub(2));
            let line = Line::from(vec![
                Span::styled(format!("{} ", symbol.glyph()), theme.of(symbol)),
                Span::raw(text),
            ]);
            if pos == selected && run.focus == RunFocus::Errors {
                line.style(theme.selection())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
    state.hits.push((list, HitTarget::List(ListId::Errors)));
    let run = &state.run;
    if detail_height > 0
        && let Some(e) = run.error_view.selected().and_then(|i| run.errors.get(i))
    {
        let code = e.code.map(|c| format!("{c}: ")).unwrap_or_default();
        let mut lines = vec![Line::from(vec![Span::styled(
            format!("{code}{}", e.meaning),
            theme.err(),
        )])];
        if !e.remedy.is_empty() {
            lines.push(Line::from(vec![
                Span::styled("Remedy: ", theme.title()),
                Span::raw(e.remedy.clone()),
            ]));
        }
        if !e.detail.is_empty() {
            lines.push(Line::styled(e.detail.clone(), theme.muted()));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), detail);
    }
}
