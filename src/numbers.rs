//! How numbers and lengths of time are written for people, the same on every screen and line:
//! thousands separators, and rough durations ("about 1 h 10 min") for estimates.

use std::time::Duration;

/// A number with thousands separators: `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `45s`, `12m05s`, `3h02m`, `2d04h` for a number of seconds.
pub fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m{:02}s", secs / 60, secs % 60),
        3_600..86_400 => format!("{}h{:02}m", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3_600),
    }
}

/// A rough length of time, as an estimate is said: `about 40 s`, `about 12 min`,
/// `about 1 h 10 min`, `about 14 h`, `about 2 d 4 h`.
pub fn about(d: Duration) -> String {
    let secs = d.as_secs_f64().round() as u64;
    match secs {
        0 => "under a second".into(),
        1..60 => format!("about {secs} s"),
        60..3_600 => format!("about {} min", (secs + 30) / 60),
        3_600..36_000 => {
            let mins = (secs + 30) / 60;
            match mins % 60 {
                0 => format!("about {} h", mins / 60),
                m => format!("about {} h {m} min", mins / 60),
            }
        }
        36_000..172_800 => format!("about {} h", (secs + 1_800) / 3_600),
        _ => {
            let hours = (secs + 1_800) / 3_600;
            match hours % 24 {
                0 => format!("about {} d", hours / 24),
                h => format!("about {} d {h} h", hours / 24),
            }
        }
    }
}

/// A round trip as measured: `70 ms`, `1.2 s`.
pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{} ms", ms.round().max(1.0))
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn durations_are_rounded_to_what_an_estimate_can_say() {
        let s = Duration::from_secs;
        assert_eq!(about(Duration::from_millis(300)), "under a second");
        assert_eq!(about(s(40)), "about 40 s");
        assert_eq!(about(s(89)), "about 1 min");
        assert_eq!(about(s(725)), "about 12 min");
        assert_eq!(about(s(3_600)), "about 1 h");
        assert_eq!(about(s(4_180)), "about 1 h 10 min");
        assert_eq!(about(s(50_000)), "about 14 h");
        assert_eq!(about(s(187_200)), "about 2 d 4 h");
        assert_eq!(about(s(172_800)), "about 2 d");
    }

    #[test]
    fn round_trips_in_milliseconds() {
        assert_eq!(millis(Duration::from_micros(70_400)), "70 ms");
        assert_eq!(millis(Duration::from_micros(300)), "1 ms");
        assert_eq!(millis(Duration::from_millis(1_240)), "1.2 s");
    }
}
