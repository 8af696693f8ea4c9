//! The frame around every screen: the tabs line (with the connection on the right), the status
//! line, and the footer of keys that matter here, generated from the key map.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::keymap::Screen;
use super::super::state::AppState;
use super::super::state::overlay::{HitTarget, Level, TypeTarget};
use super::super::theme::{Symbol, Theme};
use super::widgets::{fit, width_of};

/// `timport  1 Connect  2 Groups ...` and the connection.
pub fn tabs(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let mut spans = vec![Span::styled(" timport ", theme.title())];
    let mut x = area.x + 9;
    for screen in Screen::ALL {
        let label = format!(" {} {} ", screen.number(), screen.label());
        let width = u16::try_from(width_of(&label)).unwrap_or(u16::MAX);
        let style = if screen == state.screen {
            theme.tab_active()
        } else {
            theme.muted()
        };
        state.hits.push((
            Rect::new(x, area.y, width.min(area.right().saturating_sub(x)), 1),
            HitTarget::Tab(screen),
        ));
        x = x.saturating_add(width);
        spans.push(Span::styled(label, style));
    }
    let used: usize = spans.iter().map(|s| width_of(&s.content)).sum();
    // The zone every time on screen is in, then the connection.
    let zone = format!("{}  ", state.zone.label(state.now_ms / 1000));
    let room = usize::from(area.width).saturating_sub(used + 1 + width_of(&zone));
    let right = match (&state.attach, &state.connect.live) {
        // Attached to a run in another process: which run, and who decides.
        (Some(a), _) => {
            let glyph = if a.connected {
                Symbol::Running.glyph()
            } else {
                Symbol::Waiting.glyph()
            };
            let [short, shortest] = a.short();
            let text = [a.line(), short, shortest.clone()]
                .into_iter()
                .map(|t| format!("{glyph} {t} "))
                .find(|t| width_of(t) <= room)
                .unwrap_or_else(|| format!("{glyph} {shortest} "));
            let style = if a.at_helm() {
                theme.ok()
            } else {
                theme.busy()
            };
            Span::styled(text, style)
        }
        (None, Some(live)) => {
            let glyph = Symbol::Done.glyph();
            let text = [live.describe(), live.short(), "connected".to_owned()]
                .into_iter()
                .map(|t| format!("{glyph} {t} "))
                .find(|t| width_of(t) <= room)
                .unwrap_or_default();
            Span::styled(text, theme.ok())
        }
        (None, None) => Span::styled(
            format!("{} not connected ", Symbol::Waiting.glyph()),
            theme.muted(),
        ),
    };
    let right_text = fit(&right.content, room);
    let pad = room.saturating_sub(width_of(&right_text));
    spans.push(Span::raw(" ".repeat(pad + 1)));
    spans.push(Span::styled(zone, theme.muted()));
    spans.push(Span::styled(right_text, right.style));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The latest status, in its level's colour and symbol; or the question a prompt asks, with
/// what is typed so far.
pub fn status(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    if let Some(typing) = &state.typing
        && matches!(
            typing.target,
            TypeTarget::StagingDir | TypeTarget::SkipReason | TypeTarget::BulkSkipReason
        )
    {
        let prompt = format!(" {}", typing.target.prompt());
        let room = usize::from(area.width).saturating_sub(width_of(&prompt) + 1);
        let (shown, cursor) = typing.field.view(room);
        let line = Line::from(vec![
            Span::styled(prompt.clone(), theme.title()),
            Span::styled(shown, theme.selection()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let col = area.x + u16::try_from(width_of(&prompt) + cursor).unwrap_or(0);
        if col < area.right() {
            frame.set_cursor_position(ratatui::layout::Position::new(col, area.y));
        }
        return;
    }
    let Some(status) = &state.status else {
        return;
    };
    let (symbol, style) = match status.level {
        Level::Info => (Symbol::Done, theme.text()),
        Level::Warn => (Symbol::Warning, theme.warn()),
        Level::Error => (Symbol::Failed, theme.err()),
    };
    let text = fit(
        &format!(" {} {}", symbol.glyph(), status.text),
        usize::from(area.width),
    );
    frame.render_widget(Paragraph::new(Line::styled(text, style)), area);
}

/// The keys that matter in the current place, as many as fit.
pub fn footer(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let hints = state.footer_hints();
    let mut spans = Vec::new();
    let mut used = 0usize;
    let width = usize::from(area.width);
    for (key, label) in hints {
        let cost = width_of(&key) + width_of(label) + 3;
        if used + cost > width {
            break;
        }
        used += cost;
        spans.push(Span::raw(" "));
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(label, theme.muted()));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
