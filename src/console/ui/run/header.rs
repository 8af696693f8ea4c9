//! The Run screen's header: progress, throughput, the rate against the budget, the ETA.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::engine::LaneState;
use crate::engine::events::Phase;

use super::super::super::state::run::RunState;
use super::super::super::theme::{Symbol, Theme};
use super::super::super::words::{count, duration};
use super::super::widgets::counted;

fn run_symbol(run: &RunState) -> (Symbol, &'static str) {
    match (&run.finished, run.paused) {
        (Some((_, 0)), _) => (Symbol::Done, "finished"),
        (Some(_), _) => (Symbol::Warning, "finished"),
        (None, true) => (Symbol::Paused, "paused"),
        (None, false) if run.lanes.iter().any(|l| l.state == LaneState::Paused) => {
            (Symbol::Running, "running, lanes wait for you")
        }
        (None, false) => (Symbol::Running, "running"),
    }
}

pub(super) fn draw_header(
    frame: &mut Frame<'_>,
    area: Rect,
    run: &RunState,
    now_ms: i64,
    theme: &Theme,
) {
    let (symbol, word) = run_symbol(run);
    let total = run.total();
    let settled = run.settled();
    let percent = (settled * 100).checked_div(total).unwrap_or(100);
    let c = run.counts();
    let id = run.run_id.map(|i| format!(" {i}")).unwrap_or_default();
    let resumed = if run.resumed { " (resumed)" } else { "" };
    // Words after the counts when they fit; the symbols alone (the lanes table has them as
    // column heads) on a narrow terminal.
    let wide = area.width >= 110;
    let label = |word: &'static str| if wide { word } else { "" };
    let first = Line::from(vec![
        Span::styled(
            format!(" {} Run{id}{resumed} {word}", symbol.glyph()),
            theme.of(symbol).patch(theme.title()),
        ),
        Span::raw(format!(
            " · {}/{} ({percent}%) · ",
            count(settled),
            count(total)
        )),
        Span::styled(
            format!(
                "{} {}{}",
                Symbol::Done.glyph(),
                count(c.done),
                label(" done")
            ),
            theme.ok(),
        ),
        Span::raw("  "),
        counted(
            Symbol::Failed,
            c.failed,
            label(" failed"),
            theme.err(),
            theme,
        ),
        Span::raw("  "),
        counted(
            Symbol::Skipped,
            c.skipped,
            label(" skipped"),
            theme.muted(),
            theme,
        ),
        Span::raw("  "),
        counted(
            Symbol::Warning,
            c.invalid,
            label(" invalid"),
            theme.warn(),
            theme,
        ),
    ]);
    let (per_sec, req_sec) = run.meter.rates(now_ms);
    let elapsed = u64::try_from((now_ms - run.started_ms).max(0) / 1000).unwrap_or(0);
    let waiting = run.lanes.iter().any(|l| l.state == LaneState::Paused);
    let eta = match (run.finished.is_some(), run.eta_secs(now_ms)) {
        (true, _) => "done".to_owned(),
        (false, Some(s)) => duration(s),
        (false, None) if run.paused => "paused".to_owned(),
        (false, None) if waiting => "after your decisions".to_owned(),
        (false, None) => "–".to_owned(),
    };
    let limiter = if run.rate_now < run.budget {
        Span::styled(
            format!(
                " (slowed to {}/s after {} refusals)",
                run.rate_now, run.refusals
            ),
            theme.warn(),
        )
    } else {
        Span::styled(format!(" ({} refusals)", run.refusals), theme.muted())
    };
    let second = if wide {
        Line::from(vec![
            Span::raw(format!(
                "   {per_sec:.0} messages/s · {req_sec:.0} requests/s of {} allowed",
                run.budget
            )),
            limiter,
            Span::raw(format!(
                " · {} requests · ETA {eta} · {} elapsed",
                count(run.requests),
                duration(elapsed)
            )),
        ])
    } else {
        Line::from(vec![
            Span::raw(format!(
                "   {per_sec:.0} msg/s · {req_sec:.0} req/s of {}",
                run.budget
            )),
            if run.rate_now < run.budget {
                Span::styled(format!(" (slowed to {})", run.rate_now), theme.warn())
            } else {
                Span::raw("")
            },
            Span::raw(format!(" · ETA {eta} · {} elapsed", duration(elapsed))),
        ])
    };
    let mut lines = vec![first, second];
    if !run.phases.is_empty() {
        lines.push(phases_line(run, theme));
    }
    if run.verify.shown() {
        lines.push(verify_line(run, now_ms, theme));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// `   phases: ✓ accounts 3/3 · ✓ groups 2/2 · ● messages 120/3623 · members –`: each phase of a
/// migration with its items settled of its total (the messages phase counts messages), the one
/// at work marked running.
fn phases_line(run: &RunState, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::raw("   phases: ")];
    for (i, phase) in run.phases.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        let (settled, total, failed) = if *phase == Phase::Messages {
            let c = run.counts();
            (run.settled(), run.total(), c.failed + c.invalid)
        } else {
            let mut sum = (0, 0, 0);
            for s in run.steps.iter().filter(|s| s.step.phase() == *phase) {
                sum.0 += s.counts.total - s.counts.pending();
                sum.1 += s.counts.total;
                sum.2 += s.counts.failed;
            }
            sum
        };
        let known = *phase == Phase::Messages || run.steps.iter().any(|s| s.step.phase() == *phase);
        let symbol = if failed > 0 {
            Symbol::Warning
        } else if known && settled == total {
            Symbol::Done
        } else if run.phase == Some(*phase) && run.finished.is_none() {
            Symbol::Running
        } else {
            Symbol::Waiting
        };
        let amount = if known {
            format!("{}/{}", count(settled), count(total))
        } else {
            "–".to_owned()
        };
        spans.push(Span::styled(
            format!("{} {} {amount}", symbol.glyph(), phase.word()),
            theme.of(symbol),
        ));
    }
    Line::from(spans)
}

/// The verification: how far it got, what it found, its ETA; or how it ended.
fn verify_line<'a>(run: &RunState, now_ms: i64, theme: &Theme) -> Line<'a> {
    let v = &run.verify;
    let what = match &v.scope {
        Some(t) => format!("Verify {t}"),
        None => "Verify run".to_owned(),
    };
    if let Some(outcome) = &v.outcome {
        let style = if v.differences == 0 && outcome.starts_with("verified") {
            theme.ok()
        } else {
            theme.warn()
        };
        return Line::from(vec![
            Span::raw("   "),
            Span::styled(format!("{what}: {outcome}"), style),
        ]);
    }
    let percent = (v.checked * 100).checked_div(v.expected).unwrap_or(0);
    let eta = v.eta_secs(now_ms).map_or_else(|| "–".to_owned(), duration);
    Line::from(vec![
        Span::styled(format!("   {what}: "), theme.busy()),
        Span::raw(format!(
            "{}/{} compared ({percent}%) · ",
            count(v.checked),
            count(v.expected)
        )),
        counted(
            Symbol::Warning,
            v.differences,
            " differences",
            theme.warn(),
            theme,
        ),
        Span::raw(format!(" · ETA {eta}")),
    ])
}
