//! Writes a realistic JSONL staging directory of about SIZE_MB megabytes, for the validation
//! benchmark (BENCHMARKS.md):
//!
//! ```text
//! cargo run --release --example gen_staging -- DIR SIZE_MB [--groups N] [--seed S]
//!     [--sandbox-seed FILE]
//! ```
//!
//! `--sandbox-seed FILE` also writes a `timport sandbox --seed` file that creates every group
//! (topics in Community groups), for app 1400000000 with admin `administrator`: what the engine
//! memory benchmark imports into.
//!
//! One `<group>.jsonl` per group. Group sizes follow a heavy tail (a few big groups, many small
//! ones); each group has its own senders (drawn from a shared pool, a few very active), messages
//! arrive at irregular intervals with same-second bursts and a few out of order, and the content
//! mixes the four element types: short and long text in English, Chinese and emoji, faces,
//! locations, custom elements carrying escaped JSON; a quarter carry a staged `Random`. The
//! output is deterministic for a given seed. Every message is valid.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// splitmix64: small, fast, deterministic; quality is plenty for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Zipf-like index in `0..n`: low indices much more likely.
    fn skewed(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((n as f64).powf(u) - 1.0)
            .floor()
            .clamp(0.0, (n - 1) as f64) as usize
    }
}

const WORDS: &[&str] = &[
    "ok", "thanks", "see", "you", "tomorrow", "meeting", "release", "build", "is", "green", "the",
    "a", "deploy", "lunch", "coffee", "anyone", "what", "about", "order", "ticket", "please",
    "check", "done", "yes", "no", "maybe", "later", "today", "customer", "invoice", "shipping",
    "delayed", "again", "sorry", "great", "news", "team", "weekend", "photo", "link",
];
const HANZI: &[&str] = &[
    "你好",
    "谢谢",
    "明天",
    "开会",
    "好的",
    "没问题",
    "收到",
    "请",
    "确认",
    "订单",
    "已经",
    "发货",
    "大家",
    "早上好",
    "辛苦了",
    "午饭",
    "吃什么",
    "周末",
    "快乐",
    "版本",
];
const EMOJI: &[&str] = &["😀", "👍", "🎉", "🙏", "😂", "🔥", "✅", "🥟", "❤️", "🚀"];
const PLACES: &[(&str, f64, f64)] = &[
    ("Shenzhen Bay Office", 22.5243, 113.9345),
    ("Alexanderplatz", 52.5219, 13.4132),
    ("Marina Bay Sands", 1.2834, 103.8607),
    ("Gangnam Station", 37.4979, 127.0276),
    ("Shibuya Crossing", 35.6595, 139.7005),
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        let roll = rng.below(100);
        let w = if roll < 70 {
            rng.pick(WORDS)
        } else if roll < 93 {
            rng.pick(HANZI)
        } else {
            rng.pick(EMOJI)
        };
        if i > 0 && roll < 70 {
            s.push(' ');
        }
        s.push_str(w);
    }
    s
}

fn text_len(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=59 => 1 + rng.below(8) as usize,
        60..=89 => 8 + rng.below(30) as usize,
        _ => 40 + rng.below(250) as usize,
    }
}

fn element(rng: &mut Rng, kind: u64) -> serde_json::Value {
    use serde_json::json;
    match kind {
        0 => {
            let n = text_len(rng);
            json!({"MsgType": "TIMTextElem", "MsgContent": {"Text": sentence(rng, n)}})
        }
        1 => {
            json!({"MsgType": "TIMFaceElem", "MsgContent": {"Index": rng.below(200), "Data": format!("face_{}", rng.below(50))}})
        }
        2 => {
            let (desc, lat, lon) = *rng.pick(PLACES);
            let jitter = (rng.unit() - 0.5) / 100.0;
            json!({"MsgType": "TIMLocationElem", "MsgContent": {"Desc": desc, "Latitude": lat + jitter, "Longitude": lon - jitter}})
        }
        _ => {
            let title_words = 3 + rng.below(6) as usize;
            let payload = json!({
                "type": *rng.pick(&["card", "poll", "red_packet", "order_status", "file_link"]),
                "id": format!("{:016x}", rng.next()),
                "title": sentence(rng, title_words),
                "items": (0..rng.below(6)).map(|i| json!({"n": i, "label": sentence(rng, 2)})).collect::<Vec<_>>(),
            });
            json!({"MsgType": "TIMCustomElem", "MsgContent": {
                "Data": payload.to_string(), "Desc": "custom", "Ext": format!("v{}", rng.below(3)), "Sound": ""}})
        }
    }
}

fn body(rng: &mut Rng) -> Vec<serde_json::Value> {
    match rng.below(100) {
        0..=71 => vec![element(rng, 0)],
        72..=79 => vec![element(rng, 0), element(rng, 1)],
        80..=85 => vec![element(rng, 1)],
        86..=90 => vec![element(rng, 2)],
        _ => vec![element(rng, 3)],
    }
}

fn group_id(rng: &mut Rng, i: usize) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let code: String = (0..10)
        .map(|_| ALNUM[rng.below(ALNUM.len() as u64) as usize] as char)
        .collect();
    match i % 10 {
        0..=5 => format!("@TGS#{code}"),
        6..=8 => format!("team-{}-{i}", rng.pick(WORDS)),
        _ => format!("@TGS#_{code}@TOPIC#_{}", rng.pick(WORDS)),
    }
}

const USAGE: &str = "usage: gen_staging DIR SIZE_MB [--groups N] [--seed S] [--sandbox-seed FILE]";

struct Args {
    dir: PathBuf,
    size_mb: u64,
    groups: usize,
    seed: u64,
    sandbox_seed: Option<PathBuf>,
}

fn parse_args() -> Option<Args> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next()?);
    let size_mb: u64 = args.next()?.parse().ok()?;
    let mut parsed = Args {
        dir,
        size_mb,
        groups: (size_mb / 2).clamp(4, 2000) as usize,
        seed: 42,
        sandbox_seed: None,
    };
    while let Some(flag) = args.next() {
        let value = args.next()?;
        match flag.as_str() {
            "--groups" => parsed.groups = value.parse::<usize>().ok()?.max(1),
            "--seed" => parsed.seed = value.parse().ok()?,
            "--sandbox-seed" => parsed.sandbox_seed = Some(PathBuf::from(value)),
            _ => return None,
        }
    }
    Some(parsed)
}

fn main() -> io::Result<()> {
    let Some(Args {
        dir,
        size_mb,
        groups,
        seed,
        sandbox_seed,
    }) = parse_args()
    else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    fs::create_dir_all(&dir)?;
    let mut rng = Rng(seed);
    let total = size_mb << 20;
    let pool: Vec<String> = (0..20_000)
        .map(|_| format!("user_{:08x}", rng.next() as u32))
        .collect();
    let weights: Vec<f64> = (0..groups)
        .map(|i| 1.0 / (i as f64 + 1.0).powf(0.9))
        .collect();
    let weight_sum: f64 = weights.iter().sum();
    let (mut written, mut messages) = (0u64, 0u64);
    let mut seeded = Vec::new();
    for (i, w) in weights.iter().enumerate() {
        let budget = (total as f64 * w / weight_sum) as u64;
        let name = group_id(&mut rng, i);
        seeded.push(seed_group(&name));
        let members: Vec<&String> = (0..5 + rng.below(300)).map(|_| rng.pick(&pool)).collect();
        let mut out =
            BufWriter::with_capacity(1 << 20, File::create(dir.join(format!("{name}.jsonl")))?);
        // Groups start in 2018-2020 and span at most four years, so every time is in the past.
        let mut time = 1_514_764_800 + rng.below(3 * 365 * 86_400) as i64;
        let expected_messages = (budget / 280).max(1) as f64;
        let mean_gap = (30.0 + rng.unit() * 600.0).min(4.0 * 365.0 * 86_400.0 / expected_messages);
        let mut bytes = 0u64;
        let mut line = Vec::with_capacity(4096);
        while bytes < budget {
            if !rng.chance(0.04) {
                time += (-mean_gap * (1.0 - rng.unit()).ln()) as i64 + 1;
            }
            let send_time = if rng.chance(0.005) {
                time - rng.below(3600) as i64
            } else {
                time
            };
            let from = members[rng.skewed(members.len())];
            let mut msg = serde_json::Map::new();
            msg.insert("From_Account".into(), from.as_str().into());
            msg.insert("SendTime".into(), send_time.into());
            if rng.chance(0.25) {
                msg.insert("Random".into(), (rng.next() as u32).into());
            }
            msg.insert("MsgBody".into(), body(&mut rng).into());
            line.clear();
            serde_json::to_writer(&mut line, &msg)?;
            line.push(b'\n');
            out.write_all(&line)?;
            bytes += line.len() as u64;
            messages += 1;
        }
        out.flush()?;
        written += bytes;
    }
    eprintln!(
        "wrote {} MB, {messages} messages, {groups} groups into {} (average {} bytes per message)",
        written >> 20,
        dir.display(),
        written / messages.max(1)
    );
    if let Some(path) = sandbox_seed {
        let seed = serde_json::json!({
            "sdkappid": 1_400_000_000u64,
            "admin": "administrator",
            "groups": seeded,
        });
        fs::write(&path, serde_json::to_vec_pretty(&seed)?)?;
        eprintln!("wrote the sandbox seed {}", path.display());
    }
    Ok(())
}

/// The sandbox's group for a staged file stem: a topic's stem makes its Community group.
fn seed_group(stem: &str) -> serde_json::Value {
    let created = 1_000_000_000;
    match stem.split_once("@TOPIC#") {
        Some((group, _)) => serde_json::json!({
            "id": group, "type": "Community", "name": "C", "create_time": created,
            "support_topic": true, "topics": [stem],
        }),
        None => serde_json::json!({
            "id": stem, "type": "Public", "name": "G", "create_time": created,
        }),
    }
}
