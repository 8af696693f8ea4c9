//! Screen 2: the groups table (only the rows on screen are built) and a line explaining the
//! selected group's import verdict.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::super::keymap::{Action, Place};
use super::super::state::AppState;
use super::super::state::groups::{Details, GroupRow};
use super::super::state::overlay::ListId;
use super::super::theme::{Symbol, Theme};
use super::super::words::{count, date};
use super::widgets::{filter_note, pane, state_span, table, visible_rows};

/// Draws the screen.
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    // A group a run would create gets a line more: how to create it now.
    let detail_height = if state.groups.selected().is_some_and(creatable) {
        5
    } else {
        4
    };
    let [table, detail] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(detail_height)]).areas(area);
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
    t.push_str(&filter_note(state, ListId::Groups, &g.view));
    t.push(' ');
    t
}

fn draw_table(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let block = pane(title(state), true, theme);
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
    let header_cells: Vec<&str> = if wide {
        vec![
            " ",
            "Group",
            "Name",
            "Type",
            "Created",
            "Newest msg",
            "Members",
            "Staged",
            "Import",
        ]
    } else {
        vec![
            " ",
            "Group",
            "Type",
            "Created",
            "Newest msg",
            "Members",
            "Staged",
            "Import",
        ]
    };
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Length(1),
            Constraint::Fill(2),
            Constraint::Fill(2),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(10),
        ]
    } else {
        vec![
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(10),
        ]
    };
    let window = state
        .groups
        .view
        .window(usize::from(inner.height.saturating_sub(1)));
    let g = &state.groups;
    let rows = visible_rows(&g.view, window, true, theme, |i| {
        let row = g.rows.get(i)?;
        Some(Row::new(cells(row, g.is_marked(&row.id), wide, theme)))
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

fn cells(row: &GroupRow, marked: bool, wide: bool, theme: &Theme) -> Vec<Line<'static>> {
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
    let staged = row.staged.map(|s| count(s.messages)).unwrap_or_else(dash);
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
    out.extend([
        Line::raw(kind),
        Line::raw(date(facts.and_then(|f| f.create_time))),
        Line::raw(date(facts.and_then(|f| f.last_msg_time))),
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
                first.push(Span::styled(
                    format!(
                        " · {} staged, {} to {}",
                        count(s.messages),
                        date(Some(s.first)),
                        date(Some(s.last))
                    ),
                    theme.muted(),
                ));
            }
            let mut lines = vec![
                Line::from(first),
                Line::from(vec![
                    Span::styled(format!("{} ", v.symbol.glyph()), theme.of(v.symbol)),
                    Span::raw(v.why),
                ]),
            ];
            if creatable(row) {
                lines.push(Line::styled(
                    format!(
                        "  {} creates it now: its exact import_group body is shown first",
                        state.keymap.name(Place::Groups, Action::CreateGroup)
                    ),
                    theme.key(),
                ));
            }
            lines
        }
        None => vec![Line::styled("No group selected.", theme.muted())],
    };
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}

/// A group the app lacks that `groups.jsonl` stages: the operator can create it from here.
fn creatable(row: &GroupRow) -> bool {
    row.planned && matches!(row.details, Details::NotListed | Details::Refused(10010))
}
