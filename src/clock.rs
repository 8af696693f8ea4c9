//! Wall-clock time as the service sees it: unix seconds, and how timport prints them.
//!
//! Rules that depend on "now" (a SendTime must be in the past, a UserSig expires) take `now` as a
//! parameter so tests can fix it; only the edges call [`unix_now`].

use std::time::{SystemTime, UNIX_EPOCH};

/// The current unix time in whole seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `2021-05-12 08:28:21` (UTC) for a unix time; the number itself when it is out of range.
pub fn format_unix(secs: i64) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(ts) => ts.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => secs.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(format_unix(1_620_808_101), "2021-05-12 08:28:21");
        assert_eq!(format_unix(0), "1970-01-01 00:00:00");
        assert_eq!(format_unix(i64::MAX), i64::MAX.to_string());
        assert!(unix_now() > 1_700_000_000);
    }
}
