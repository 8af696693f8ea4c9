//! Screen 2: the groups table (only the rows on screen are built) with what was imported of what
//! is staged and the verdict, and a line explaining the selected group's verdict.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::super::keymap::{Action, Place};
use super::super::state::AppState;
use super::super::state::groups::{Details, GroupRow, GroupSort};
use super::super::state::overlay::ListId;
use super::super::text_width::{fit_line, wrap};
use super::super::theme::{Symbol, Theme};
use super::super::words::{count, date_in};
use super::widgets::{filter_note, fit, pane, state_span, table, title_in, visible_rows};
use crate::clock::Zone;

/// Draws the screen.
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    // Three rows below the table: the group and what is staged, and its verdict's reason.
    let [table, detail] = Layout::vertical([Constraint::Min(5), Constraint::Length(5)]).areas(area);
    draw_table(frame, table, state, theme);
    draw_detail(frame, detail, state, theme);
}

fn title(state: &AppState) -> String {
    let g = &state.groups;
    let mut t = match g.total {
        Some(total) => format!(" Groups · {} in the app", count(total)),
        None => " Groups".to_owned(),
    };
    let staged_only = g.staged_only();
    if staged_only > 0 {
        t.push_str(&format!(" · {staged_only} only staged"));
    }
    if g.loading {
        t.push_str(" · loading…");
    }
    let marked = g.marked().len();
    if marked > 0 {
        t.push_str(&format!(" · {marked} marked"));
    }
    if g.sort != GroupSort::Listing {
        t.push_str(&format!(" · sorted {}", g.sort.word()));
    }
    t.push_str(&filter_note(state, ListId::Groups, &g.view));
    t.push(' ');
    t
}

fn draw_table(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let block = pane(title_in(&title(state), area), true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(error) = &state.groups.error
        && state.groups.rows.is_empty()
    {
        let lines = vec![
            Line::styled(
                format!("{} {}", Symbol::Failed.glyph(), error.one_line()),
                theme.err(),
            ),
            Line::styled(
                format!(
                    "{} reloads.",
                    state.keymap.name(Place::Groups, Action::Refresh)
                ),
                theme.muted(),
            ),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    if state.groups.rows.is_empty() {
        let why = if state.connect.live.is_none() {
            format!(
                "Not connected: fill in screen 1 and press {}.",
                state.keymap.name(Place::Connect, Action::TestConnection)
            )
        } else if state.groups.loading {
            "Loading the app's groups…".to_owned()
        } else {
            "The app has no groups, and nothing is staged.".to_owned()
        };
        frame.render_widget(Paragraph::new(Line::styled(why, theme.muted())), inner);
        return;
    }
    let wide = inner.width >= 110;
    // At 80 columns the creation date goes to the line below (the verdict says when it
    // matters); the imported/staged counts and the verdict stay.
    let mut header_cells = vec![" ", "Group"];
    let mut widths = vec![Constraint::Length(1), Constraint::Fill(2)];
    if wide {
        header_cells.extend(["Name", "Type", "Created"]);
        widths.extend([
            Constraint::Fill(2),
            Constraint::Length(10),
            Constraint::Length(10),
        ]);
    } else {
        header_cells.push("Type");
        widths.push(Constraint::Length(10));
    }
    header_cells.extend(["Newest msg", "Members", "Done/Staged", "Import"]);
    widths.extend([
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(11),
        Constraint::Length(11),
    ]);
    let window = state
        .groups
        .view
        .window(usize::from(inner.height.saturating_sub(1)));
    let g = &state.groups;
    let rows = visible_rows(&g.view, window, true, theme, |i| {
        let row = g.rows.get(i)?;
        Some(cells(row, g.is_marked(&row.id), wide, &state.zone, theme))
    });
    let header = Row::new(header_cells).style(theme.title());
    table(
        frame,
        inner,
        (header, widths),
        rows,
        &mut state.hits,
        ListId::Groups,
    );
}

fn cells(
    row: &GroupRow,
    marked: bool,
    wide: bool,
    zone: &Zone,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let facts = match &row.details {
        Details::Known(f) => Some(f),
        _ => None,
    };
    let dash = || "–".to_owned();
    let kind = match &row.details {
        Details::Known(f) => f.group_type.clone().unwrap_or_else(dash),
        Details::Pending => "…".into(),
        Details::Refused(code) => format!("({code})"),
        Details::NotListed => "(none)".into(),
    };
    // Imported of staged, when a run imported some; the staged count alone otherwise.
    let staged = match (row.staged, row.imported) {
        (Some(s), Some(i)) => format!("{}/{}", count(i.counts.done), count(s.messages)),
        (Some(s), None) => count(s.messages),
        (None, Some(i)) => format!("{}/–", count(i.counts.done)),
        (None, None) => dash(),
    };
    let verdict = row.verdict();
    let mut out = vec![
        Line::styled(if marked { "●" } else { " " }, theme.key()),
        Line::raw(row.id.clone()),
    ];
    if wide {
        out.push(Line::raw(
            facts.and_then(|f| f.name.clone()).unwrap_or_else(dash),
        ));
    }
    out.push(Line::raw(kind));
    if wide {
        out.push(Line::raw(date_in(zone, facts.and_then(|f| f.create_time))));
    }
    out.extend([
        Line::raw(date_in(zone, facts.and_then(|f| f.last_msg_time))),
        Line::raw(
            facts
                .and_then(|f| f.members)
                .map(count)
                .unwrap_or_else(dash),
        )
        .right_aligned(),
        Line::raw(staged).right_aligned(),
        Line::from(state_span(verdict.symbol, verdict.word, theme)),
    ]);
    out
}

fn draw_detail(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let block = pane(" Selected ", false, theme);
    let lines = match state.groups.selected() {
        Some(row) => {
            let v = row.verdict();
            let mut first = vec![Span::styled(row.id.clone(), theme.title())];
            if let Details::Known(f) = &row.details
                && let Some(name) = &f.name
            {
                first.push(Span::raw(format!(" · {name}")));
            }
            if let Some(s) = row.staged {
                let invalid = if s.invalid > 0 {
                    format!(" ({} invalid)", count(s.invalid))
                } else {
                    String::new()
                };
                first.push(Span::styled(
                    format!(
                        " · {} staged{invalid}, {} to {}",
                        count(s.messages),
                        date_in(&state.zone, Some(s.first)),
                        date_in(&state.zone, Some(s.last))
                    ),
                    theme.muted(),
                ));
            }

            // One row for the group, the rest for the reason, wrapped; cut with … if longer.
            let width = usize::from(area.width.saturating_sub(2));
            let room = usize::from(area.height.saturating_sub(3)).max(1);
            let mut why = wrap(&format!("{} {}", v.symbol.glyph(), v.why), width);
            if why.len() > room {
                why.truncate(room);
                if let Some(last) = why.last_mut() {
                    *last = fit(&format!("{last} …"), width);
                    if !last.ends_with('…') {
                        last.push('…');
                    }
                }
            }
            let mut lines = vec![fit_line(Line::from(first), width)];
            let glyph = v.symbol.glyph();
            for (i, l) in why.into_iter().enumerate() {
                // The state's glyph in its colour; the words plain.
                lines.push(match l.strip_prefix(glyph) {
                    Some(rest) if i == 0 => Line::from(vec![
                        Span::styled(glyph, theme.of(v.symbol)),
                        Span::raw(rest.to_owned()),
                    ]),
                    _ => Line::raw(l),
                });
            }
            lines
        }
        None => vec![Line::styled("No group selected.", theme.muted())],
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
