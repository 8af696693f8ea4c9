//! The Run screen's header: progress and counts; the rates against the budget, the ETA and what
//! waits for a decision; sparklines of requests/s against the budget and of refusals over the
//! last minutes. Each line is built from its longest wording down to its shortest and the first
//! that fits is drawn, so at 80 columns the counts (`! 2 invalid` too) stay on screen. While a
//! verification shows, a line under the rates says how far it got, or how it ended.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::engine::LaneState;

use super::super::super::state::run::{Eta, HISTORY_SECONDS, RunState, Second};
use super::super::super::text_width::{fit_line, width_of};
use super::super::super::theme::{Symbol, Theme};
use super::super::super::words::{count, duration};
use super::super::widgets::counted;

/// Rows the header takes: one more while a verification shows.
pub fn header_rows(run: &RunState) -> u16 {
    if run.verify.shown() { 4 } else { 3 }
}

fn run_symbol(run: &RunState) -> (Symbol, &'static str, &'static str) {
    match (&run.finished, run.paused) {
        (Some((_, 0)), _) => (Symbol::Done, "finished", "finished"),
        (Some(_), _) => (Symbol::Warning, "finished", "finished"),
        (None, true) => (Symbol::Paused, "paused", "paused"),
        (None, false) if run.lanes.iter().any(|l| l.state == LaneState::Paused) => {
            (Symbol::Running, "running, lanes wait for you", "running")
        }
        (None, false) => (Symbol::Running, "running", "running"),
    }
}

/// The first of `lines` (longest wording first) that fits in `width`, else the last one cut.
fn first_fitting(lines: Vec<Line<'static>>, width: usize) -> Line<'static> {
    let fits = |l: &Line<'_>| l.spans.iter().map(|s| width_of(&s.content)).sum::<usize>() <= width;
    let mut last = Line::raw("");
    for line in lines {
        if fits(&line) {
            return line;
        }
        last = line;
    }
    fit_line(last, width)
}

pub(super) fn draw_header(
    frame: &mut Frame<'_>,
    area: Rect,
    run: &RunState,
    now_ms: i64,
    theme: &Theme,
) {
    let width = usize::from(area.width);
    let [first, second, verify, sparks] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(u16::from(run.verify.shown())),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(progress_line(run, theme, width)), first);
    frame.render_widget(Paragraph::new(pace_line(run, now_ms, theme, width)), second);
    if run.verify.shown() {
        let line = verify_line(run, now_ms, theme, width);
        frame.render_widget(Paragraph::new(line), verify);
    }
    sparklines(frame, sparks, run, now_ms, theme);
}

/// `▶ Run 1 running · 121/3,623 (3%) · ✓ 120 done  ✗ 1 failed  » 0 skipped  ! 2 invalid`.
fn progress_line(run: &RunState, theme: &Theme, width: usize) -> Line<'static> {
    let (symbol, long, short) = run_symbol(run);
    let total = run.total();
    let settled = run.settled();
    let percent = (settled * 100).checked_div(total).unwrap_or(100);
    let c = run.counts();
    let id = run.run_id.map(|i| format!(" {i}")).unwrap_or_default();
    let resumed = if run.resumed { " (resumed)" } else { "" };
    // `full`: the settled/total pair; else the percentage alone.
    let make = |word: &str, resumed: &str, labels: [&str; 4], gap: &'static str, full: bool| {
        let progress = if full {
            format!(" · {}/{} ({percent}%) · ", count(settled), count(total))
        } else {
            format!(" {percent}% ")
        };
        Line::from(vec![
            Span::styled(
                format!(" {} Run{id}{resumed} {word}", symbol.glyph()),
                theme.of(symbol).patch(theme.title()),
            ),
            Span::raw(progress),
            Span::styled(
                format!("{} {}{}", Symbol::Done.glyph(), count(c.done), labels[0]),
                theme.ok(),
            ),
            Span::raw(gap),
            counted(Symbol::Failed, c.failed, labels[1], theme.err(), theme),
            Span::raw(gap),
            counted(Symbol::Skipped, c.skipped, labels[2], theme.muted(), theme),
            Span::raw(gap),
            counted(Symbol::Warning, c.invalid, labels[3], theme.warn(), theme),
        ])
    };
    let words = [" done", " failed", " skipped", " invalid"];
    // Invalid messages are the ones no symbol column explains elsewhere: their word stays.
    let symbols = ["", "", "", " invalid"];
    first_fitting(
        vec![
            make(long, resumed, words, "  ", true),
            make(short, resumed, words, "  ", true),
            make(long, resumed, symbols, "  ", true),
            make(short, resumed, symbols, "  ", true),
            make(short, "", symbols, " ", true),
            make(short, "", symbols, " ", false),
        ],
        width,
    )
}

/// `6 msg/s · 1 req/s of 180 (slowed to 150 after 2 refusals) · ETA 7m45s · 499 wait for a
/// decision · 11s elapsed`.
fn pace_line(run: &RunState, now_ms: i64, theme: &Theme, width: usize) -> Line<'static> {
    let (per_sec, req_sec) = run.meter.rates(now_ms);
    let elapsed = u64::try_from((now_ms - run.started_ms).max(0) / 1000).unwrap_or(0);
    let eta = eta_words(run, run.eta(now_ms));
    let waiting = run.eta(now_ms).waiting;
    let slowed = run.rate_now < run.budget;
    let limiter = |long: bool| match (slowed, long) {
        (true, true) => Span::styled(
            format!(
                " (slowed to {}/s after {} refusals)",
                run.rate_now, run.refusals
            ),
            theme.warn(),
        ),
        (true, false) => Span::styled(format!(" (slowed to {})", run.rate_now), theme.warn()),
        (false, true) => Span::styled(format!(" ({} refusals)", run.refusals), theme.muted()),
        (false, false) => Span::raw(""),
    };
    let wait = |long: bool| {
        if waiting == 0 || run.finished.is_some() {
            return Span::raw("");
        }
        let words = if long {
            format!(" · {} wait for a decision", count(waiting))
        } else {
            format!(" · {} wait", count(waiting))
        };
        Span::styled(words, theme.warn())
    };
    let long = Line::from(vec![
        Span::raw(format!(
            "   {per_sec:.0} messages/s · {req_sec:.0} requests/s of {} allowed",
            run.budget
        )),
        limiter(true),
        Span::raw(format!(" · {} requests · ETA {eta}", count(run.requests))),
        wait(true),
        Span::raw(format!(" · {} elapsed", duration(elapsed))),
    ]);
    let medium = Line::from(vec![
        Span::raw(format!(
            "   {per_sec:.0} msg/s · {req_sec:.0} req/s of {}",
            run.budget
        )),
        limiter(false),
        Span::raw(format!(" · ETA {eta}")),
        wait(true),
        Span::raw(format!(" · {} elapsed", duration(elapsed))),
    ]);
    let short = Line::from(vec![
        Span::raw(format!(
            "   {per_sec:.0} msg/s · {req_sec:.0} req/s of {}",
            run.budget
        )),
        limiter(false),
        Span::raw(format!(" · ETA {eta}")),
        wait(false),
        Span::raw(format!(" · {}", duration(elapsed))),
    ]);
    first_fitting(vec![long, medium, short], width)
}

/// The ETA in words: a duration, or why there is none.
fn eta_words(run: &RunState, eta: Eta) -> String {
    match (run.finished.is_some(), eta) {
        (true, _) => "done".to_owned(),
        (false, Eta { secs: Some(s), .. }) => duration(s),
        (false, _) if run.paused => "paused".to_owned(),
        (
            false,
            Eta {
                measuring: true, ..
            },
        ) => "measuring".to_owned(),
        (false, Eta { waiting, .. }) if waiting > 0 => "after your decisions".to_owned(),
        (false, _) => "–".to_owned(),
    }
}

/// Averages of `value` over bars of `per_bar` seconds each (rounded up, so one event shows).
fn bars(series: &[Second], per_bar: usize, value: impl Fn(&Second) -> u64) -> Vec<u64> {
    series
        .chunks(per_bar.max(1))
        .map(|chunk| {
            let sum: u64 = chunk.iter().map(&value).sum();
            sum.div_ceil(chunk.len() as u64)
        })
        .collect()
}

/// `40s req/s ▂▃▅▇█▇ ≤180 · refusals ▁ ▂`: requests per second against the budget and
/// refusals, oldest on the left, over the run so far (at least a second a bar) up to the last
/// [`HISTORY_SECONDS`].
fn sparklines(frame: &mut Frame<'_>, area: Rect, run: &RunState, now_ms: i64, theme: &Theme) {
    let mid_label = format!(" ≤{} · refusals ", run.budget);
    let elapsed = usize::try_from((now_ms - run.started_ms).max(0) / 1000).unwrap_or(0);
    let history = usize::try_from(HISTORY_SECONDS).unwrap_or(600);
    // The bars' room decides how many seconds one bar is; the span is said first.
    let guess = usize::from(area.width).saturating_sub(width_of(&mid_label) + 12);
    let requests_width = guess * 2 / 3;
    let span = elapsed.clamp(requests_width.max(1), history);
    let left_label = format!(" {} req/s ", duration(span as u64));
    let room =
        usize::from(area.width).saturating_sub(width_of(&left_label) + width_of(&mid_label) + 1);
    if room < 8 {
        return;
    }
    let requests_width = room * 2 / 3;
    let refusals_width = room - requests_width;
    let [a, b, c, d] = Layout::horizontal([
        Constraint::Length(width_of(&left_label) as u16),
        Constraint::Length(requests_width as u16),
        Constraint::Length(width_of(&mid_label) as u16),
        Constraint::Length(refusals_width as u16),
    ])
    .areas(area);
    let series = run.meter.series(now_ms, span);
    let requests = bars(&series, span.div_ceil(requests_width.max(1)), |s| {
        s.requests
    });
    let refusals = bars(&series, span.div_ceil(refusals_width.max(1)), |s| {
        s.refusals
    });
    let peak = refusals.iter().copied().max().unwrap_or(0).max(1);
    frame.render_widget(Paragraph::new(Span::styled(left_label, theme.muted())), a);
    frame.render_widget(
        Sparkline::default()
            .data(&requests)
            .max(u64::from(run.budget.max(1)))
            .style(theme.ok()),
        b,
    );
    frame.render_widget(Paragraph::new(Span::styled(mid_label, theme.muted())), c);
    frame.render_widget(
        Sparkline::default()
            .data(&refusals)
            .max(peak)
            .style(theme.err()),
        d,
    );
}

/// The verification: how far it got, what it found, its ETA; or how it ended.
fn verify_line(run: &RunState, now_ms: i64, theme: &Theme, width: usize) -> Line<'static> {
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
        return fit_line(
            Line::from(vec![
                Span::raw("   "),
                Span::styled(format!("{what}: {outcome}"), style),
            ]),
            width,
        );
    }
    let percent = (v.checked * 100).checked_div(v.expected).unwrap_or(0);
    let eta = v.eta_secs(now_ms).map_or_else(|| "–".to_owned(), duration);
    // `full`: the compared/expected pair and the differences' word; else the percentage alone.
    let make = |full: bool| {
        let progress = if full {
            format!(
                "{}/{} compared ({percent}%) · ",
                count(v.checked),
                count(v.expected)
            )
        } else {
            format!("{percent}% · ")
        };
        let label = if full { " differences" } else { "" };
        Line::from(vec![
            Span::styled(format!("   {what}: "), theme.busy()),
            Span::raw(progress),
            counted(Symbol::Warning, v.differences, label, theme.warn(), theme),
            Span::raw(format!(" · ETA {eta}")),
        ])
    };
    first_fitting(vec![make(true), make(false)], width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_average_their_seconds_and_show_a_single_event() {
        let series: Vec<Second> = (0..6)
            .map(|i| Second {
                sec: i,
                requests: if i < 3 { 180 } else { 0 },
                refusals: u64::from(i == 4),
                ..Second::default()
            })
            .collect();
        assert_eq!(bars(&series, 3, |s| s.requests), [180, 0]);
        assert_eq!(bars(&series, 3, |s| s.refusals), [0, 1]);
        assert_eq!(bars(&series, 4, |s| s.requests), [135, 0]);
    }
}
