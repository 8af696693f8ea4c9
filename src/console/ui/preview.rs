//! Screen 4: the group's planned requests and the selected one's exact body, pretty-printed and
//! coloured (only the lines on screen are coloured).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::super::keymap::{Action, Place};
use super::super::state::AppState;
use super::super::state::overlay::{HitTarget, ListId};
use super::super::state::preview::PreviewFocus;
use super::super::theme::{Symbol, Theme};
use super::super::words::{clock_in, count, date_in, duration};
use super::json;
use super::widgets::{filter_note, fit, pane, table, title_in, visible_rows};

/// Draws the screen.
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let p = &state.preview;
    let Some(group) = p.group.clone() else {
        let block = pane(" Preview ", false, theme);
        let text = format!(
            "Open a group to see its requests: {} on a group (screen 2) or a file (screen 3).",
            state.keymap.name(Place::Groups, Action::Select)
        );
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.muted()))
                .wrap(Wrap { trim: true })
                .block(block),
            area,
        );
        return;
    };
    let notes = notes(state, theme, usize::from(area.width));
    let [main, note_area] = Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(u16::try_from(notes.len()).unwrap_or(0).min(5)),
    ])
    .areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(main);
    draw_batches(frame, left, state, &group, theme);
    draw_body(frame, right, state, theme);
    frame.render_widget(Paragraph::new(notes), note_area);
}

/// Lines under the panes, one line each: messages that are not planned, and plan warnings.
fn notes(state: &AppState, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let Some(p) = &state.preview.previewed else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if p.not_planned() > 0 {
        out.push(Line::styled(
            fit(
                &format!(
                    "{} {} staged message{} not planned: each pauses the lane at its place until fixed (inspector) or skipped",
                    Symbol::Failed.glyph(),
                    p.not_planned(),
                    if p.not_planned() == 1 { " is" } else { "s are" }
                ),
                width,
            ),
            theme.err(),
        ));
    }
    for t in &p.targets {
        for m in &t.invalid {
            out.push(Line::styled(
                fit(&format!("  {} · {}", m.source, m.problems), width),
                theme.err(),
            ));
        }
        for w in &t.plan.warnings {
            let place = w
                .source
                .as_ref()
                .map(|s| format!("{s}: "))
                .unwrap_or_default();
            out.push(Line::styled(
                fit(
                    &format!("{} {place}{}", Symbol::Warning.glyph(), w.message),
                    width,
                ),
                theme.warn(),
            ));
        }
    }
    out
}

fn draw_batches(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &mut AppState,
    group: &str,
    theme: &Theme,
) {
    let p = &state.preview;
    let mut title = format!(" Preview · {group}");
    if let Some(v) = &p.previewed {
        title.push_str(&format!(
            " · {} messages in {} requests",
            count(v.messages() as u64),
            count(v.rows.len() as u64)
        ));
    }
    title.push_str(&filter_note(state, ListId::Batches, &p.view));
    title.push(' ');
    let block = pane(
        title_in(&title, area),
        p.focus == PreviewFocus::Batches,
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    state.hits.push((area, HitTarget::Pane(ListId::Batches)));
    if p.building {
        frame.render_widget(
            Paragraph::new(Line::styled("Planning…", theme.busy())),
            inner,
        );
        return;
    }
    if let Some(e) = &p.error {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("{} {e}", Symbol::Failed.glyph()),
                theme.err(),
            ))
            .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    if p.previewed.is_none() {
        return;
    }
    let height = usize::from(inner.height.saturating_sub(1));
    let window = state.preview.view.window(height);
    let p = &state.preview;
    let Some(v) = &p.previewed else { return };
    let many_targets = v.targets.len() > 1;
    let widths = vec![
        Constraint::Length(5),
        Constraint::Length(4),
        Constraint::Fill(1),
        Constraint::Length(7),
        Constraint::Length(3),
    ];
    let header = Row::new(["#", "Msgs", "Time span", "Bytes", "!"]).style(theme.title());
    let rows = visible_rows(&p.view, window, true, theme, |i| {
        let r = v.rows.get(i)?;
        let length = u64::try_from(r.span.1 - r.span.0).unwrap_or(0);
        let zone = &state.zone;
        let mut span = format!(
            "{} {}",
            date_in(zone, Some(r.span.0)),
            clock_in(zone, r.span.0)
        );
        if length > 0 {
            span.push_str(&format!(" +{}", duration(length)));
        }
        if many_targets && let Some(t) = v.targets.get(r.target) {
            span.push_str(&format!(" {}", t.plan.target));
        }
        let warn = if r.warnings > 0 {
            Span::styled(
                format!("{}{}", Symbol::Warning.glyph(), r.warnings),
                theme.warn(),
            )
        } else {
            Span::raw("")
        };
        Some(vec![
            Line::raw((r.batch + 1).to_string()).right_aligned(),
            Line::raw(r.messages.to_string()).right_aligned(),
            Line::raw(span),
            Line::raw(count(r.bytes as u64)).right_aligned(),
            Line::from(warn),
        ])
    });
    table(
        frame,
        inner,
        (header, widths),
        rows,
        &mut state.hits,
        ListId::Batches,
    );
}

fn draw_body(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let copy = state.keymap.name(Place::Preview, Action::Copy);
    let p = &mut state.preview;
    let title = match p.selected() {
        Some((row, batch)) => format!(
            " Request {} · {} bytes exactly as sent · {copy} copies ",
            row.batch + 1,
            count(batch.body.len() as u64)
        ),
        None => " Request ".to_owned(),
    };
    let block = pane(title_in(&title, area), p.focus == PreviewFocus::Body, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Long texts wrap; the scroll counts the body's own lines.
    let total = p.body.lines().count();
    p.body_scroll = p.body_scroll.min(total.saturating_sub(1));
    let lines: Vec<Line<'_>> = p
        .body
        .lines()
        .skip(p.body_scroll)
        .take(usize::from(inner.height))
        .map(|l| json::line(l, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
