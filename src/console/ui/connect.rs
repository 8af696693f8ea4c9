//! Screen 1: the connection form, the test's answer, and notes about the settings. The secret
//! key is never drawn: a loaded key shows as a fixed mask with where it came from; a key being
//! typed shows one mask character per character.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::keymap::{Action, Keymap, Place, Screen};
use super::super::settings::EndpointChoice;
use super::super::state::AppState;
use super::super::state::connect::{ConnectState, Field, TestState};
use super::super::state::overlay::{HitTarget, TypeTarget};
use super::super::state::text::{MASK, MASK_SHOWN};
use super::super::theme::{Symbol, Theme};
use super::widgets::{fit, pad, pane};

const LABEL: usize = 15;

/// Draws the screen.
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let [form, test] = Layout::vertical([
        Constraint::Length(u16::try_from(Field::ALL.len()).unwrap_or(7) + 2),
        Constraint::Min(3),
    ])
    .areas(area);
    draw_form(frame, form, state, theme);
    draw_test(frame, test, &state.connect, &state.keymap, theme);
}

fn draw_form(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let block = pane(" Connection ", state.typing.is_none(), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let c = &state.connect;
    let typing = match &state.typing {
        Some(t) => match t.target {
            TypeTarget::Connect(field) => Some((field, &t.field)),
            _ => None,
        },
        None => None,
    };
    let width = usize::from(inner.width).saturating_sub(LABEL + 3);
    let mut lines = Vec::new();
    let mut cursor = None;
    for (i, field) in Field::ALL.into_iter().enumerate() {
        let focused = c.focus == field && typing.is_none();
        let marker = if focused { "›" } else { " " };
        let label_style = if focused {
            theme.title()
        } else {
            theme.muted()
        };
        let mut spans = vec![
            Span::styled(format!("{marker} "), theme.key()),
            Span::styled(pad(field.label(), LABEL), label_style),
            Span::raw(" "),
        ];
        match typing {
            Some((f, text)) if f == field => {
                let (shown, column) = text.view(width);
                spans.push(Span::styled(shown, theme.selection()));
                let col = inner.x + u16::try_from(2 + LABEL + 1 + column).unwrap_or(0);
                cursor = Some(Position::new(col, inner.y + u16::try_from(i).unwrap_or(0)));
            }
            _ => spans.extend(value(c, &state.keymap, field, width, theme)),
        }
        lines.push(Line::from(spans));
        let row = inner.y + u16::try_from(i).unwrap_or(0);
        if row < inner.bottom() {
            state.hits.push((
                Rect::new(inner.x, row, inner.width, 1),
                HitTarget::Field(field),
            ));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some(pos) = cursor
        && inner.contains(pos)
    {
        frame.set_cursor_position(pos);
    }
}

fn value(
    c: &ConnectState,
    keys: &Keymap,
    field: Field,
    width: usize,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let muted = |t: &str| vec![Span::styled(fit(t, width), theme.muted())];
    let plain = |t: &str| vec![Span::raw(fit(t, width))];
    let key = |action| keys.name(Place::Connect, action);
    match field {
        Field::Profile if c.profile.is_empty() => {
            if c.profiles.is_empty() {
                muted(&format!(
                    "(none; {} names one, {} saves the form)",
                    key(Action::Select),
                    key(Action::SaveProfile)
                ))
            } else {
                muted(&format!(
                    "(none; {}/{} loads: {})",
                    key(Action::Prev),
                    key(Action::Next),
                    c.profiles.join(", ")
                ))
            }
        }
        Field::Profile => plain(&c.profile),
        Field::Endpoint => plain(&format!("‹ {} ›", c.choice.label())),
        Field::Url if !c.choice.uses_url() => muted("(not used for a region)"),
        Field::Url => plain(&c.url),
        Field::SdkAppId if c.sdkappid.is_empty() => muted("(required)"),
        Field::SdkAppId => plain(&c.sdkappid),
        Field::Admin if c.admin.is_empty() => muted("(required: an app admin UserID)"),
        Field::Admin => plain(&c.admin),
        Field::SecretKey => match &c.secret {
            Some(secret) => vec![
                Span::raw(MASK.to_string().repeat(MASK_SHOWN)),
                Span::styled(
                    fit(
                        &format!("  {}", secret.origin.describe()),
                        width.saturating_sub(MASK_SHOWN),
                    ),
                    theme.muted(),
                ),
            ],
            None => muted(&format!(
                "(not loaded: {} key file, {} TIMPORT_SECRET_KEY, {} to type)",
                key(Action::KeyFromFile),
                key(Action::KeyFromEnv),
                key(Action::Select)
            )),
        },
        Field::KeyFile if c.key_file.is_empty() => muted("(none)"),
        Field::KeyFile => plain(&c.key_file),
    }
}

fn draw_test(frame: &mut Frame<'_>, area: Rect, c: &ConnectState, keys: &Keymap, theme: &Theme) {
    let test = keys.name(Place::Connect, Action::TestConnection);
    let block = pane(format!(" Connection test · {test} tests "), false, theme);
    let mut lines: Vec<Line<'static>> = Vec::new();
    match &c.test {
        TestState::Untested => lines.push(Line::styled(
            match (&c.live, c.choice) {
                (Some(live), _) => format!(
                    "Not tested since the form changed; still using {}.",
                    live.describe()
                ),
                (None, EndpointChoice::Sandbox) => format!(
                    "Not tested yet. Start a sandbox (timport sandbox) or run timport demo, then press {test}."
                ),
                (None, _) => format!("Not tested yet: press {test}."),
            },
            theme.muted(),
        )),
        TestState::Incomplete(missing) => {
            lines.push(Line::styled(
                format!("{} Cannot test yet:", Symbol::Warning.glyph()),
                theme.warn(),
            ));
            for m in missing {
                lines.push(Line::raw(format!("  • {m}")));
            }
        }
        TestState::Testing => lines.push(Line::styled(
            format!("{} Testing…", Symbol::Running.glyph()),
            theme.busy(),
        )),
        TestState::Passed(words) => {
            lines.push(Line::styled(
                format!("{} {words}", Symbol::Done.glyph()),
                theme.ok(),
            ));
            lines.push(Line::raw(""));
            lines.push(Line::styled("Next", theme.title()));
            let go = |screen| keys.name(Place::Connect, Action::Go(screen));
            for (key, what) in [
                (
                    go(Screen::Groups),
                    "the app's groups: what can be imported, what is staged for each".to_owned(),
                ),
                (
                    go(Screen::Files),
                    format!(
                        "the staged files and their problems ({} chooses the staging directory)",
                        keys.name(Place::Files, Action::ChangeDir)
                    ),
                ),
                (
                    go(Screen::Preview),
                    format!(
                        "the exact requests of a group ({} on a group opens it), then {} imports it",
                        keys.name(Place::Groups, Action::Select),
                        keys.name(Place::Preview, Action::LaunchGroup)
                    ),
                ),
                (go(Screen::Run), "the run, live".to_owned()),
            ] {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {key}  "), theme.key()),
                    Span::raw(what),
                ]));
            }
        }
        TestState::Failed(e) => {
            let code = e.code.map(|c| format!(" {c}")).unwrap_or_default();
            lines.push(Line::styled(
                format!("{} {}{code}", Symbol::Failed.glyph(), e.what),
                theme.err(),
            ));
            lines.push(Line::from(vec![
                Span::styled("  Meaning: ", theme.muted()),
                Span::raw(e.meaning.clone()),
            ]));
            if !e.remedy.is_empty() {
                lines.push(Line::from(vec![
                    Span::styled("  Remedy:  ", theme.muted()),
                    Span::raw(e.remedy.clone()),
                ]));
            }
            if !e.detail.is_empty() {
                lines.push(Line::from(vec![
                    Span::styled("  Detail:  ", theme.muted()),
                    Span::raw(e.detail.clone()),
                ]));
            }
        }
    }
    if !c.notes.is_empty() {
        lines.push(Line::raw(""));
        for note in &c.notes {
            lines.push(Line::styled(
                format!("{} {note}", Symbol::Warning.glyph()),
                theme.warn(),
            ));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
