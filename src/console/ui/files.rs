//! Screen 3: the staged files (group, messages, time range, problems) and the selected file's
//! problems by line and field.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::super::keymap::{Action, Place};
use super::super::state::AppState;
use super::super::state::files::{FilesFocus, ScanState};
use super::super::state::overlay::{HitTarget, ListId};
use super::super::theme::{Symbol, Theme};
use super::super::words::{count, date_in};
use super::widgets::{counted, filter_note, pane, table, title_in, visible_rows, width_of};

/// Draws the screen.
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let [files, problems] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    draw_files(frame, files, state, theme);
    draw_problems(frame, problems, state, theme);
}

/// The files pane's title in `area`'s width: the problem counts first (they must stay in sight
/// at 80 columns), then the files and messages, then the staging directory with its start cut.
fn files_title(state: &AppState, area: Rect) -> String {
    let f = &state.files;
    let room = usize::from(area.width.saturating_sub(2));
    let mut counts = String::new();
    if let Some(s) = &f.scanned {
        counts = format!(
            " · {} error{}, {} warning{} · {} files, {} messages",
            count(s.errors as u64),
            plural(s.errors),
            count(s.warnings as u64),
            plural(s.warnings),
            count(s.files.len() as u64),
            count(s.messages)
        );
    }
    let filter = filter_note(state, ListId::Files, &f.view);
    let fixed = format!(" Files{counts}{filter} ");
    let root = f
        .root
        .as_ref()
        .map(|r| r.display().to_string())
        .unwrap_or_default();
    // The directory takes what is left (at least a few columns, or it is left out).
    let left = room.saturating_sub(width_of(&fixed) + 3);
    if root.is_empty() || left < 6 {
        return title_in(&fixed, area);
    }
    format!(
        " Files{counts} · {}{filter} ",
        super::super::text_width::fit_end(&root, left)
    )
}

fn draw_files(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let focused = state.files.focus == FilesFocus::Files;
    let block = pane(files_title(state, area), focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    state.hits.push((area, HitTarget::Pane(ListId::Files)));
    let why = match &state.files.scan {
        ScanState::None => Some((
            format!(
                "No staging directory: press {} to choose one (or start timport with --staging DIR).",
                state.keymap.name(Place::Files, Action::ChangeDir)
            ),
            theme.muted(),
        )),
        ScanState::Scanning => Some(("Scanning…".to_owned(), theme.busy())),
        ScanState::Failed(e) => Some((format!("{} {e}", Symbol::Failed.glyph()), theme.err())),
        ScanState::Ready if state.files.rows().is_empty() => Some((
            "No *.jsonl or *.json files in this directory.".to_owned(),
            theme.muted(),
        )),
        ScanState::Ready => None,
    };
    if let Some((text, style)) = why {
        frame.render_widget(
            Paragraph::new(Line::styled(text, style)).wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let widths = vec![
        Constraint::Fill(2),
        Constraint::Fill(2),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(12),
    ];
    let header =
        Row::new(["File", "Target", "Messages", "From", "To", "Problems"]).style(theme.title());
    let window = state
        .files
        .view
        .window(usize::from(inner.height.saturating_sub(1)));
    let files = state.files.rows();
    // The selected file stays marked while its problems have the keys: they are its problems.
    let rows = visible_rows(&state.files.view, window, true, theme, |i| {
        let r = files.get(i)?;
        let problems = if r.errors > 0 {
            let word = format!(" error{}", plural(r.errors));
            counted(Symbol::Failed, r.errors as u64, &word, theme.err(), theme)
        } else if r.warnings > 0 {
            let word = format!(" warning{}", plural(r.warnings));
            counted(
                Symbol::Warning,
                r.warnings as u64,
                &word,
                theme.warn(),
                theme,
            )
        } else {
            Span::styled(format!("{} none", Symbol::Done.glyph()), theme.ok())
        };
        Some(vec![
            Line::raw(r.path.to_string()),
            Line::raw(r.target.clone()),
            Line::raw(count(r.messages)).right_aligned(),
            Line::raw(date_in(&state.zone, r.range.map(|x| x.0))),
            Line::raw(date_in(&state.zone, r.range.map(|x| x.1))),
            Line::from(problems),
        ])
    });
    table(
        frame,
        inner,
        (header, widths),
        rows,
        &mut state.hits,
        ListId::Files,
    );
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn draw_problems(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let focused = state.files.focus == FilesFocus::Problems;
    let name = state
        .files
        .selected()
        .map(|f| f.path.to_string())
        .unwrap_or_default();
    let n = state.files.file_problems().len();
    let title = format!(
        " Problems in {name} ({n}){} · {} shows the message ",
        filter_note(state, ListId::Problems, &state.files.problems),
        state.keymap.name(Place::Files, Action::Select)
    );
    let block = pane(title_in(&title, area), focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    state.hits.push((area, HitTarget::Pane(ListId::Problems)));
    if n == 0 {
        let text = if state.files.selected().is_some() {
            "No problems in this file."
        } else {
            ""
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.muted())), inner);
        return;
    }
    let widths = vec![
        Constraint::Length(9),
        Constraint::Length(22),
        Constraint::Fill(1),
    ];
    let header = Row::new(["Line", "Field", "Problem"]).style(theme.title());
    let window = state
        .files
        .problems
        .window(usize::from(inner.height.saturating_sub(1)));
    let problems = state.files.file_problems();
    let rows = visible_rows(&state.files.problems, window, focused, theme, |i| {
        let p = problems.get(i)?;
        let symbol = if p.is_error() {
            Symbol::Failed
        } else {
            Symbol::Warning
        };
        Some(vec![
            Line::from(Span::styled(
                format!("{} {}", symbol.glyph(), p.line),
                theme.of(symbol),
            )),
            Line::raw(p.field.clone().unwrap_or_else(|| "–".into())),
            Line::raw(p.message.clone()),
        ])
    });
    table(
        frame,
        inner,
        (header, widths),
        rows,
        &mut state.hits,
        ListId::Problems,
    );
}
