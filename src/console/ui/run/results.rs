//! The Run screen's per-message results, following the newest unless scrolled.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Row;

use super::super::super::keymap::{Action, Place};
use super::super::super::state::AppState;
use super::super::super::state::overlay::{HitTarget, ListId};
use super::super::super::state::run::{ResultRow, RowOutcome, RunFocus};
use super::super::super::theme::{Symbol, Theme};
use super::super::super::words::{count, minute_in};
use super::super::widgets::{filter_note, pane, table, title_in, visible_rows};

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

pub(super) fn draw_results(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let run = &state.run;
    let mut title = format!(" Results {}", count(run.results.len() as u64));
    if run.dropped > 0 {
        title.push_str(&format!(" (+{} older in the ledger)", count(run.dropped)));
    }
    if run.follow {
        title.push_str(" · following the newest");
    } else {
        title.push_str(&format!(
            " · scrolled ({} follows)",
            state.keymap.name(Place::Run, Action::Follow)
        ));
    }
    title.push_str(&filter_note(state, ListId::Results, &run.result_view));
    title.push(' ');
    let block = pane(
        title_in(&title, area),
        run.focus == RunFocus::Results,
        theme,
    );
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
        Some(vec![
            Line::raw(minute_in(&state.zone, Some(r.send_time))),
            Line::raw(group),
            Line::raw(run.sender(&r).to_owned()),
            Line::from(outcome_span(&r, theme)),
            Line::raw(r.summary.to_string()),
        ])
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
