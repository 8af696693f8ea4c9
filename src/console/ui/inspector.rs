//! The inspector: the message's JSON in a text area (editable), and beside it what went wrong
//! (code, meaning, remedy), the lane's situation (what landed after the message) and the
//! decisions it offers.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::keymap::{Action, Place};
use super::super::state::AppState;
use super::super::state::inspector::{InspectorState, Loading, Notice};
use super::super::text_width::wrap;
use super::super::theme::{Symbol, Theme};
use super::super::words::count;
use super::widgets::{pane, title_in};

/// Draws the inspector over the Run screen's body.
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let keys = &state.keymap;
    let Some(i) = &mut state.inspector else {
        return;
    };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let key = |action| keys.name(Place::Inspector, action);
    let title = if i.editing {
        format!(
            " Message · editing ({} stops editing; {} retries the edit) ",
            keys.name(Place::Editor, Action::LeaveEditor),
            key(Action::RetryEdited)
        )
    } else if i.edited() {
        format!(
            " Message · edited ({} retries it, {} undoes the edits, {} edits more) ",
            key(Action::RetryEdited),
            key(Action::Revert),
            key(Action::Edit)
        )
    } else {
        format!(" Message as staged · {} edits ", key(Action::Edit))
    };
    let block = pane(title_in(&title, left), i.editing, theme);
    match &i.loading {
        Loading::Ready => {
            i.editor.set_block(block);
            i.editor.set_cursor_line_style(ratatui::style::Style::new());
            i.editor.set_cursor_style(if i.editing {
                theme.selection()
            } else {
                ratatui::style::Style::new()
            });
            frame.render_widget(&i.editor, left);
        }
        Loading::Pending => frame.render_widget(
            Paragraph::new(Line::styled("Reading the staged message…", theme.busy())).block(block),
            left,
        ),
        Loading::Failed(e) => frame.render_widget(
            Paragraph::new(Line::styled(
                format!("{} {e}", Symbol::Failed.glyph()),
                theme.err(),
            ))
            .wrap(Wrap { trim: true })
            .block(block),
            left,
        ),
    }
    let lines = explanation(state, theme);
    let Some(i) = &mut state.inspector else {
        return;
    };
    let title = format!(
        " {} paused at {} line {} ",
        i.target, i.reason.source.file, i.reason.source.line
    );
    let mut block = pane(title_in(&title, right), !i.editing, theme);
    let inner = block.inner(right);
    // Rows the explanation wraps to (as the pane wraps it), so the border can say when more is
    // below or above: on a small terminal the lane's situation is out of sight otherwise.
    let width = usize::from(inner.width);
    let rows: usize = lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            wrap(&text, width).len()
        })
        .sum();
    let room = usize::from(inner.height);
    i.scroll = i.scroll.min(rows.saturating_sub(room));
    let below = rows.saturating_sub(i.scroll + room);
    if i.scroll > 0 {
        block = block.title_top(
            Line::styled(format!(" ↑ {} more ", i.scroll), theme.warn()).right_aligned(),
        );
    }
    if below > 0 {
        // While editing, the arrows move in the text: the key is named only when it scrolls.
        let words = if i.editing {
            format!(" ↓ {below} more ")
        } else {
            let down = keys.name(Place::Inspector, Action::Down);
            format!(" ↓ {below} more ({down} scrolls) ")
        };
        block = block.title_bottom(Line::styled(words, theme.warn()).right_aligned());
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(i.scroll).unwrap_or(u16::MAX), 0))
            .block(block),
        right,
    );
}

fn explanation(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let Some(i) = &state.inspector else {
        return Vec::new();
    };
    let f = &i.reason.failure;
    let code = f.code.map(|c| format!("{c} ")).unwrap_or_default();
    // The last word on a decision comes first (on a small terminal it would be out of sight).
    let mut lines = notice(state, i, theme);
    lines.extend([
        Line::styled("What went wrong", theme.title()),
        Line::styled(
            format!("{} {code}{}", Symbol::Failed.glyph(), f.meaning),
            theme.err(),
        ),
    ]);
    if !f.detail.is_empty() {
        lines.push(Line::styled(format!("  {}", f.detail), theme.muted()));
    }
    if !f.remedy.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("What to do", theme.title()));
        lines.push(Line::raw(f.remedy.clone()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Decide", theme.title()));
    let mut keys = Vec::new();
    for (action, words) in [
        (Action::Retry, "retry as staged"),
        (Action::RetryEdited, "retry the edit (checked first)"),
        (Action::Skip, "skip, with a reason"),
        (Action::StopGroup, "stop the group"),
        (Action::Edit, "edit"),
        (Action::Revert, "undo edits"),
        (Action::Copy, "copy"),
        (Action::Back, "back (the lane waits)"),
    ] {
        if let Some(key) = state.keymap.key_for(Place::Inspector, action) {
            if !keys.is_empty() {
                keys.push(Span::styled(" · ", theme.muted()));
            }
            keys.push(Span::styled(key, theme.key()));
            keys.push(Span::raw(format!(" {words}")));
        }
    }
    lines.push(Line::from(keys));
    lines.push(Line::styled(
        "Every decision is recorded in the ledger before the lane acts on it.",
        theme.muted(),
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled("The lane", theme.title()));
    lines.extend(situation(state, i, theme));
    lines
}

/// The inspector's word on the last action, and a blank line; nothing when there is none.
fn notice(state: &AppState, i: &InspectorState, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let Some(notice) = &i.notice else {
        return lines;
    };
    match notice {
        Notice::Sent(words) => lines.push(Line::styled(words.clone(), theme.busy())),
        Notice::Refused(words) => {
            lines.push(Line::styled(
                format!("{} Not done: {words}", Symbol::Failed.glyph()),
                theme.err(),
            ));
            lines.push(options(state, theme));
        }
        Notice::Invalid(problems) => {
            lines.push(Line::styled(
                format!(
                    "{} The edit breaks rules; nothing was sent:",
                    Symbol::Failed.glyph()
                ),
                theme.err(),
            ));
            for p in problems {
                lines.push(Line::raw(format!("  • {p}")));
            }
        }
    }
    lines.push(Line::raw(""));
    lines
}

/// What can be done after a refused decision, with the keys of the live key map.
fn options(state: &AppState, theme: &Theme) -> Line<'static> {
    let key = |action| {
        state
            .keymap
            .key_for(Place::Inspector, action)
            .unwrap_or_default()
    };
    Line::from(vec![
        Span::raw("  Options: "),
        Span::styled(key(Action::Skip), theme.key()),
        Span::raw(" skip it · "),
        Span::styled(key(Action::Edit), theme.key()),
        Span::raw(" edit it (its SendTime), then "),
        Span::styled(key(Action::RetryEdited), theme.key()),
        Span::raw(" retry the edit"),
    ])
}

fn situation(state: &AppState, i: &InspectorState, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(lane) = state
        .run
        .lane_of(&i.target)
        .and_then(|l| state.run.lanes.get(l))
    {
        out.push(Line::raw(format!(
            "{} of {} messages done, {} failed, {} skipped, {} invalid.",
            count(lane.counts.done),
            count(lane.total),
            lane.counts.failed,
            lane.counts.skipped,
            lane.counts.invalid
        )));
    }
    out.push(Line::raw(format!("It stopped at: {}", i.reason.summary)));
    if let Some(newest) = &i.reason.newest {
        // The point of no return: the engine refuses an edit older than this.
        out.push(Line::styled(
            format!(
                "{} Newest message landed in this group: {}. A SendTime older than that can never go in.",
                Symbol::Warning.glyph(),
                newest.describe()
            ),
            theme.warn(),
        ));
    } else if i.reason.landed_after.is_empty() {
        out.push(Line::styled(
            "Nothing of its request landed after it: a fixed SendTime can still go in.",
            theme.ok(),
        ));
    }
    if !i.reason.landed_after.is_empty() {
        out.push(Line::styled(
            format!(
                "{} {} message(s) of its request landed after it; an earlier SendTime can no longer go in:",
                Symbol::Warning.glyph(),
                i.reason.landed_after.len()
            ),
            theme.warn(),
        ));
        for l in i.reason.landed_after.iter().take(7) {
            out.push(Line::raw(format!(
                "  {} line {} → seq {}",
                l.source.file, l.source.line, l.msg_seq
            )));
        }
    }
    out
}
