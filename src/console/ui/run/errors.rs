//! The Run screen's errors, with code, meaning and remedy.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::super::keymap::{Action, Keymap, Place};
use super::super::super::state::AppState;
use super::super::super::state::overlay::{HitTarget, ListId};
use super::super::super::state::run::{ErrorKind, RunFocus};
use super::super::super::theme::{Symbol, Theme};
use super::super::super::words::count;
use super::super::widgets::{filter_note, pane, title_in};

fn kind_symbol(kind: ErrorKind) -> Symbol {
    match kind {
        ErrorKind::Message => Symbol::Failed,
        ErrorKind::Retry => Symbol::Running,
        ErrorKind::Unknown => Symbol::Unknown,
        ErrorKind::Stopped => Symbol::Stopped,
        ErrorKind::Warning | ErrorKind::Finding => Symbol::Warning,
    }
}

/// `By code (c): 80001 ×3 · 80002 ×1`, the chosen code highlighted.
fn codes_line<'a>(
    codes: &[(i64, u64)],
    chosen: Option<i64>,
    keys: &Keymap,
    theme: &Theme,
) -> Line<'a> {
    let mut spans = vec![Span::styled(
        format!("By code ({}): ", keys.name(Place::Run, Action::ByCode)),
        theme.muted(),
    )];
    for (i, (code, n)) in codes.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted()));
        }
        let text = format!("{code} ×{}", count(*n));
        spans.push(if chosen == Some(*code) {
            Span::styled(text, theme.selection())
        } else {
            Span::styled(text, theme.err())
        });
    }
    Line::from(spans)
}

pub(super) fn draw_errors(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let run = &state.run;
    let title = format!(
        " Errors {}{} ",
        count(run.errors.len() as u64),
        filter_note(state, ListId::Errors, &run.error_view)
    );
    let block = pane(title_in(&title, area), run.focus == RunFocus::Errors, theme);
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
    let codes = run.codes();
    let codes_height = u16::from(!codes.is_empty() && inner.height >= 3);
    let detail_height = if inner.height >= 8 + codes_height {
        4
    } else {
        0
    };
    let [by_code, list, detail] = Layout::vertical([
        Constraint::Length(codes_height),
        Constraint::Min(1),
        Constraint::Length(detail_height),
    ])
    .areas(inner);
    if codes_height > 0 {
        let line = codes_line(&codes, run.code, &state.keymap, theme);
        frame.render_widget(Paragraph::new(line), by_code);
    }
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
            let text =
                super::super::widgets::fit(&format!("{lane}{}", e.line()), width.saturating_sub(2));
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
