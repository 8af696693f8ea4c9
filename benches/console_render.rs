//! How long one frame of the Run screen takes with a million per-message results (the target:
//! under 5 ms), following the newest, scrolled to the middle, and filtered. Renders into a
//! `TestBackend` (the terminal's own output is not part of the frame's cost) at several sizes.
//!
//! `cargo bench --bench console_render` (release build; prints one line per case).

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use timport::api::SecretKey;
use timport::console::keymap::Screen;
use timport::console::msg::Msg;
use timport::console::settings::{EndpointChoice, LoadedSecret, Prefill, SecretOrigin};
use timport::console::state::{AppState, Locations, Startup, update};
use timport::console::theme::Theme;
use timport::engine::{Event, LaneState, MessageOutcome, SourceRef, Target, TargetStart};

const ROWS: u64 = 1_000_000;
const LANES: u64 = 32;
const FRAMES: u32 = 200;

fn state() -> AppState {
    let mut s = AppState::new(Startup {
        prefill: Prefill {
            profiles: Vec::new(),
            profile: None,
            choice: EndpointChoice::Sandbox,
            url: "http://127.0.0.1:8080".into(),
            sdkappid: Some(1_400_000_000),
            admin: Some("administrator".into()),
            key_file: None,
            secret: Some(LoadedSecret {
                key: SecretKey::new("bench"),
                origin: SecretOrigin::Demo,
                warnings: Vec::new(),
            }),
            problems: Vec::new(),
        },
        locations: Locations::default(),
        staging: None,
        mouse: false,
        run_options: timport::console::run::options(),
        zone: timport::clock::Zone::Utc,
        attach: false,
        ephemeral: false,
    });
    s.screen = Screen::Run;
    s.now_ms = 1_714_564_800_000;
    s.run.launched(s.now_ms);
    // Hold every row: the question is a frame's cost over a million of them.
    s.run.results.max_rows = ROWS as usize;
    let lane = |i: u64| Target::new(&format!("group-{i:02}"), None);
    update(
        &mut s,
        Msg::Engine(Event::RunStarted {
            run_id: 1,
            resumed: false,
            targets: (0..LANES)
                .map(|i| TargetStart {
                    target: lane(i),
                    messages: ROWS / LANES + 1,
                    batches: ROWS / LANES / 7 + 1,
                    already_done: 0,
                })
                .collect(),
            rate_budget: 180,
            lanes: 32,
            on_message_error: timport::engine::OnMessageError::Pause,
        }),
    );
    for i in 0..LANES {
        update(
            &mut s,
            Msg::Engine(Event::LaneState {
                target: lane(i),
                state: LaneState::Running,
            }),
        );
    }
    let senders = ["alice", "bob", "carol", "dave", "erin", "frank"];
    for n in 0..ROWS {
        s.now_ms += 1;
        update(
            &mut s,
            Msg::Engine(Event::MessageResult {
                target: lane(n % LANES),
                source: SourceRef {
                    file: format!("group-{:02}.jsonl", n % LANES).into(),
                    line: (n / LANES + 1) as u32,
                    offset: n * 200,
                    item: 0,
                },
                from_account: senders[(n % 6) as usize].into(),
                send_time: 1_672_704_000 + n as i64,
                random: n as u32,
                summary: format!("message number {n} with a few words of text"),
                outcome: MessageOutcome::Done {
                    msg_seq: n + 1,
                    msg_time: 1_672_704_000 + n as i64,
                },
            }),
        );
    }
    s
}

fn measure(name: &str, s: &mut AppState, width: u16, height: u16) -> Duration {
    let theme = Theme::default();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    // Warm up (first frame allocates buffers).
    for _ in 0..5 {
        terminal
            .draw(|f| timport::console::ui::draw(f, s, &theme))
            .expect("draw");
    }
    let mut worst = Duration::ZERO;
    let started = Instant::now();
    for _ in 0..FRAMES {
        let one = Instant::now();
        terminal
            .draw(|f| timport::console::ui::draw(f, s, &theme))
            .expect("draw");
        worst = worst.max(one.elapsed());
    }
    let mean = started.elapsed() / FRAMES;
    println!(
        "{name:<44} {width:>3}x{height:<3} mean {:>7.3} ms  worst {:>7.3} ms",
        mean.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3
    );
    mean
}

/// The process's resident memory in MB (Linux; `None` elsewhere).
fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let before = rss_mb();
    let built = Instant::now();
    let mut s = state();
    println!(
        "built {} results in {:.1} s; resident memory {} MB before, {} MB after",
        s.run.results.len(),
        built.elapsed().as_secs_f64(),
        before.map_or("?".into(), |m| format!("{m:.0}")),
        rss_mb().map_or("?".into(), |m| format!("{m:.0}"))
    );
    let mut means = Vec::new();
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        means.push(measure("run screen, following the newest", &mut s, w, h));
    }
    s.run.focus = timport::console::state::run::RunFocus::Results;
    s.run.follow = false;
    s.run.result_view.select_pos(ROWS as usize / 2);
    means.push(measure(
        "run screen, scrolled to the middle",
        &mut s,
        200,
        60,
    ));
    let filtering = Instant::now();
    s.run.set_result_filter("carol");
    println!(
        "filter over {} results: {:.1} ms (once, when the filter changes)",
        s.run.results.len(),
        filtering.elapsed().as_secs_f64() * 1e3
    );
    means.push(measure(
        "run screen, filtered (1 in 6 rows)",
        &mut s,
        200,
        60,
    ));
    let worst_mean = means.iter().max().copied().unwrap_or_default();
    println!(
        "target: under 5 ms a frame; slowest mean {:.3} ms: {}",
        worst_mean.as_secs_f64() * 1e3,
        if worst_mean < Duration::from_millis(5) {
            "met"
        } else {
            "NOT MET"
        }
    );
}
