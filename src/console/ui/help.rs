//! The `?` overlay: where timport keeps its files, then every binding of the live key map,
//! place by place. Generated, so it can never disagree with what the keys do.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::super::keymap::{Action, Keymap, Place};
use super::super::state::overlay::Overlay;
use super::super::state::{AppState, Locations};
use super::super::theme::Theme;
use super::widgets::{centered, pad, pane, title_in};

/// The help's lines.
pub fn lines(keymap: &Keymap, locations: &Locations, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    out.push(Line::styled("Files", theme.title()));
    for (label, path) in [
        ("config", &locations.config_file),
        ("data", &locations.data_dir),
        ("ledger", &locations.ledger),
        ("log", &locations.log_file),
    ] {
        out.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(pad(label, 16), theme.muted()),
            Span::raw(path.display().to_string()),
        ]));
    }
    out.push(Line::raw(""));
    for place in Place::ALL {
        let bindings: Vec<_> = keymap.of(place).collect();
        if bindings.is_empty() {
            continue;
        }
        out.push(Line::styled(place.title().to_owned(), theme.title()));
        for b in bindings {
            out.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(pad(&b.keys_text(), 16), theme.key()),
                Span::raw(b.label),
            ]));
        }
        out.push(Line::raw(""));
    }
    out.push(Line::styled(
        format!(
            "timport {} · with the mouse on, Shift+drag selects text",
            env!("CARGO_PKG_VERSION")
        ),
        theme.muted(),
    ));
    out
}

/// Draws the overlay over `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &mut AppState, theme: &Theme) {
    let all = lines(&state.keymap, &state.locations, theme);
    let popup = centered(
        area,
        area.width.saturating_sub(8).min(90),
        area.height.saturating_sub(2),
    );
    let keys = &state.keymap;
    let title = format!(
        " Help · {}{} scroll · {} closes ",
        keys.name(Place::Help, Action::Up),
        keys.name(Place::Help, Action::Down),
        keys.name(Place::Help, Action::Back)
    );
    let block = pane(title_in(&title, popup), true, theme);
    let inner = block.inner(popup);
    let room = usize::from(inner.height);
    let max_scroll = all.len().saturating_sub(room);
    let scroll = match &mut state.overlay {
        Some(Overlay::Help { scroll }) => {
            *scroll = (*scroll).min(max_scroll);
            *scroll
        }
        _ => 0,
    };
    let shown: Vec<Line<'static>> = all.into_iter().skip(scroll).take(room).collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    frame.render_widget(Paragraph::new(shown), inner);
}
