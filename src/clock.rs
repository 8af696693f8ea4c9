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

/// `2026-12-06T13:05:09.120Z`: a moment as RFC 3339 in UTC, to the millisecond (the time of
/// every `--json` event).
pub fn rfc3339(at: SystemTime) -> String {
    let ms = at
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let (secs, ms) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    match jiff::Timestamp::from_second(secs) {
        Ok(ts) => format!("{}.{ms:03}Z", ts.strftime("%Y-%m-%dT%H:%M:%S")),
        Err(_) => "1970-01-01T00:00:00.000Z".to_owned(),
    }
}

/// The zone times are shown in to people: UTC, or the machine's local zone (the console's
/// default; `--utc`, `TIMPORT_UTC` or a profile's `utc = true` choose UTC).
#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    /// Coordinated Universal Time.
    Utc,
    /// A zone of the tz database (the machine's: `TZ`, else `/etc/localtime`).
    Local(jiff::tz::TimeZone),
}

impl Zone {
    /// UTC when `utc`, else the machine's zone (UTC when it cannot be told).
    pub fn chosen(utc: bool) -> Zone {
        if utc {
            return Zone::Utc;
        }
        let tz = jiff::tz::TimeZone::system();
        if tz.is_unknown() {
            Zone::Utc
        } else {
            Zone::Local(tz)
        }
    }

    /// The zone's offset from UTC at unix time `secs`, in seconds.
    fn offset(&self, secs: i64) -> i64 {
        match (self, jiff::Timestamp::from_second(secs)) {
            (Zone::Local(tz), Ok(ts)) => i64::from(tz.to_offset(ts).seconds()),
            _ => 0,
        }
    }

    /// `2021-05-12 16:28:21` in this zone for a unix time (the number itself when out of
    /// range).
    pub fn format(&self, secs: i64) -> String {
        format_unix(secs.saturating_add(self.offset(secs)))
    }

    /// How the zone is named next to times: `UTC`, `UTC+8`, `UTC-3:30` (the offset at `secs`,
    /// which daylight saving time moves).
    pub fn label(&self, secs: i64) -> String {
        let offset = self.offset(secs);
        if offset == 0 {
            return "UTC".to_owned();
        }
        let sign = if offset < 0 { '-' } else { '+' };
        let (h, m) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
        if m == 0 {
            format!("UTC{sign}{h}")
        } else {
            format!("UTC{sign}{h}:{m:02}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_utc_to_the_millisecond() {
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_796_562_309_120);
        assert_eq!(rfc3339(at), "2026-12-06T13:05:09.120Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn zones_shift_and_name_themselves() {
        let utc = Zone::Utc;
        assert_eq!(utc.format(1_620_808_101), "2021-05-12 08:28:21");
        assert_eq!(utc.label(1_620_808_101), "UTC");
        let shanghai = Zone::Local(jiff::tz::TimeZone::get("Asia/Shanghai").expect("tzdb"));
        assert_eq!(shanghai.format(1_620_808_101), "2021-05-12 16:28:21");
        assert_eq!(shanghai.label(1_620_808_101), "UTC+8");
        let india = Zone::Local(jiff::tz::TimeZone::get("Asia/Kolkata").expect("tzdb"));
        assert_eq!(india.label(1_620_808_101), "UTC+5:30");
        let ny = Zone::Local(jiff::tz::TimeZone::get("America/New_York").expect("tzdb"));
        assert_eq!(ny.label(1_620_808_101), "UTC-4", "summer time");
        assert_eq!(ny.label(1_610_000_000), "UTC-5", "winter time");
        assert_eq!(Zone::chosen(true), Zone::Utc);
    }

    #[test]
    fn formats_utc() {
        assert_eq!(format_unix(1_620_808_101), "2021-05-12 08:28:21");
        assert_eq!(format_unix(0), "1970-01-01 00:00:00");
        assert_eq!(format_unix(i64::MAX), i64::MAX.to_string());
        assert!(unix_now() > 1_700_000_000);
    }
}
