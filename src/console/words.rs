//! How numbers, times and durations are written everywhere in the console (screens, questions,
//! status lines), so they read the same in every place.

pub use crate::numbers::count;

/// `2021-05-12` for a unix time, or `–`.
pub fn date(secs: Option<i64>) -> String {
    match secs {
        Some(s) if s > 0 => crate::clock::format_unix(s).chars().take(10).collect(),
        _ => "–".into(),
    }
}

/// `2021-05-12 08:28` for a unix time, or `–`.
pub fn minute(secs: Option<i64>) -> String {
    match secs {
        Some(s) if s > 0 => crate::clock::format_unix(s).chars().take(16).collect(),
        _ => "–".into(),
    }
}

/// `08:28:21` (UTC) for a unix time.
pub fn clock(secs: i64) -> String {
    crate::clock::format_unix(secs)
        .get(11..19)
        .unwrap_or("?")
        .to_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations() {
        assert_eq!(date(Some(1_620_808_101)), "2021-05-12");
        assert_eq!(date(Some(0)), "–");
        assert_eq!(minute(Some(1_620_808_101)), "2021-05-12 08:28");
        assert_eq!(clock(1_620_808_101), "08:28:21");
        assert_eq!(duration(5), "5s");
        assert_eq!(duration(725), "12m05s");
        assert_eq!(duration(10_920), "3h02m");
        assert_eq!(duration(187_200), "2d04h");
    }
}
