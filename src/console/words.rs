//! How numbers, times and durations are written everywhere in the console (screens, questions,
//! status lines), so they read the same in every place. Times are shown in the console's zone
//! (`AppState::zone`: local by default, UTC with `--utc`), named on the tabs line.

use crate::clock::Zone;

pub use crate::numbers::{count, duration};

/// `2021-05-12` (UTC) for a unix time, or `–`.
pub fn date(secs: Option<i64>) -> String {
    date_in(&Zone::Utc, secs)
}

/// `2021-05-12` in `zone` for a unix time, or `–`.
pub fn date_in(zone: &Zone, secs: Option<i64>) -> String {
    match secs {
        Some(s) if s > 0 => zone.format(s).chars().take(10).collect(),
        _ => "–".into(),
    }
}

/// `2021-05-12 08:28` (UTC) for a unix time, or `–`.
pub fn minute(secs: Option<i64>) -> String {
    minute_in(&Zone::Utc, secs)
}

/// `2021-05-12 08:28` in `zone` for a unix time, or `–`.
pub fn minute_in(zone: &Zone, secs: Option<i64>) -> String {
    match secs {
        Some(s) if s > 0 => zone.format(s).chars().take(16).collect(),
        _ => "–".into(),
    }
}

/// `08:28:21` (UTC) for a unix time.
pub fn clock(secs: i64) -> String {
    clock_in(&Zone::Utc, secs)
}

/// `08:28:21` in `zone` for a unix time.
pub fn clock_in(zone: &Zone, secs: i64) -> String {
    zone.format(secs).get(11..19).unwrap_or("?").to_owned()
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
        let shanghai = Zone::Local(jiff::tz::TimeZone::get("Asia/Shanghai").expect("tzdb"));
        assert_eq!(
            minute_in(&shanghai, Some(1_620_808_101)),
            "2021-05-12 16:28"
        );
        assert_eq!(date_in(&shanghai, Some(1_620_835_200)), "2021-05-13");
        assert_eq!(clock_in(&shanghai, 1_620_808_101), "16:28:21");
        assert_eq!(duration(5), "5s");
        assert_eq!(duration(725), "12m05s");
        assert_eq!(duration(10_920), "3h02m");
        assert_eq!(duration(187_200), "2d04h");
    }
}
