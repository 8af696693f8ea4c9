//! The import's pace over time as an inline SVG chart: messages per second (and requests per
//! second) in about [`BUCKETS`] time buckets from the first request to the last, drawn with
//! nothing but SVG elements (no script, no font, no external file).

use std::fmt::Write as _;

/// Buckets the run's span is cut into, about.
pub const BUCKETS: i64 = 120;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 34.0;

/// The width of a bucket for a run whose requests span `span_ms`: at least a second.
pub fn bucket_ms(span_ms: i64) -> i64 {
    ((span_ms.max(0) + BUCKETS - 1) / BUCKETS).max(1_000)
}

/// The pace, bucket by bucket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pace {
    /// Seconds per bucket.
    pub bucket_secs: f64,
    /// From the first request to the last, seconds.
    pub span_secs: f64,
    /// Per bucket, in order (empty buckets included): messages per second, requests per second.
    pub points: Vec<(f64, f64)>,
}

impl Pace {
    /// From the ledger's buckets (`(bucket, requests, messages)`, empty ones left out).
    pub fn from_buckets(
        first: i64,
        last: i64,
        bucket_ms: i64,
        buckets: &[(i64, u64, u64)],
    ) -> Pace {
        let bucket_secs = bucket_ms as f64 / 1000.0;
        let count = ((last - first) / bucket_ms.max(1) + 1).max(1) as usize;
        let mut points = vec![(0.0, 0.0); count];
        for &(b, requests, messages) in buckets {
            if let Some(p) = usize::try_from(b).ok().and_then(|b| points.get_mut(b)) {
                *p = (messages as f64 / bucket_secs, requests as f64 / bucket_secs);
            }
        }
        Pace {
            bucket_secs,
            span_secs: (last - first) as f64 / 1000.0,
            points,
        }
    }

    /// The highest messages per second in a bucket.
    pub fn peak(&self) -> f64 {
        self.points.iter().map(|p| p.0).fold(0.0, f64::max)
    }

    /// Messages per second over the whole span (the mean of the buckets).
    pub fn mean(&self) -> f64 {
        if self.points.is_empty() {
            return 0.0;
        }
        self.points.iter().map(|p| p.0).sum::<f64>() / self.points.len() as f64
    }

    /// The chart, as an `<svg>` element.
    pub fn svg(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="messages per second over the run">"#
        );
        let (x0, x1, y0, y1) = (LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP);
        let _ = write!(
            out,
            r##"<rect x="{x0}" y="{y1}" width="{}" height="{}" fill="#fafafa" stroke="#ccc"/>"##,
            x1 - x0,
            y0 - y1
        );
        if self.points.is_empty() {
            let _ = write!(
                out,
                r##"<text x="{}" y="{}" text-anchor="middle" fill="#666">no request recorded</text></svg>"##,
                (x0 + x1) / 2.0,
                (y0 + y1) / 2.0
            );
            return out;
        }
        let top = nice_ceiling(self.peak());
        let n = self.points.len();
        let x = |i: usize| {
            if n == 1 {
                (x0 + x1) / 2.0
            } else {
                x0 + (x1 - x0) * i as f64 / (n - 1) as f64
            }
        };
        let y = |v: f64| y0 - (y0 - y1) * (v / top).min(1.0);
        for step in 0..=2 {
            let v = top * f64::from(step) / 2.0;
            let _ = write!(
                out,
                r##"<line x1="{x0}" y1="{py:.1}" x2="{x1}" y2="{py:.1}" stroke="#e4e4e4"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="11" fill="#555">{v}</text>"##,
                py = y(v),
                tx = x0 - 6.0,
                ty = y(v) + 4.0,
                v = round(v)
            );
        }
        let line = |pick: fn(&(f64, f64)) -> f64| {
            self.points
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(pick(p))))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = write!(
            out,
            r##"<polyline points="{}" fill="none" stroke="#2b6cb0" stroke-width="2"/>"##,
            line(|p| p.0)
        );
        let _ = write!(
            out,
            r##"<polyline points="{}" fill="none" stroke="#c05621" stroke-width="1" stroke-dasharray="4 3"/>"##,
            line(|p| p.1)
        );
        let _ = write!(
            out,
            r##"<text x="{x0}" y="{ly}" font-size="11" fill="#555">0 s</text><text x="{x1}" y="{ly}" text-anchor="end" font-size="11" fill="#555">{span} s</text><text x="{mx}" y="{ly}" text-anchor="middle" font-size="11" fill="#555">time since the first request ({bucket} s a point); solid: messages/s, dashed: requests/s</text></svg>"##,
            ly = HEIGHT - 10.0,
            mx = (x0 + x1) / 2.0,
            span = round(self.span_secs),
            bucket = round(self.bucket_secs),
        );
        out
    }
}

/// 1, 2 or 5 times a power of ten, at least `v` (and at least 1).
fn nice_ceiling(v: f64) -> f64 {
    let v = v.max(1.0);
    let power = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&c| c >= v)
        .unwrap_or(10.0 * power)
}

/// A number for an axis: whole when it is, else one decimal.
fn round(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_the_span_and_empty_ones_are_zero() {
        assert_eq!(bucket_ms(0), 1_000);
        assert_eq!(bucket_ms(600_000), 5_000);
        // 10 s at 1 s a bucket: 11 points; bucket 3 had nothing.
        let pace = Pace::from_buckets(0, 10_000, 1_000, &[(0, 2, 14), (1, 1, 7), (10, 1, 3)]);
        assert_eq!(pace.points.len(), 11);
        assert_eq!(pace.points[0], (14.0, 2.0));
        assert_eq!(pace.points[3], (0.0, 0.0));
        assert_eq!(pace.peak(), 14.0);
        let svg = pace.svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(
            !svg.contains("http://") || svg.matches("http://").count() == 1,
            "only the xmlns"
        );
        assert!(Pace::default().svg().contains("no request recorded"));
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(13.0), 20.0);
        assert_eq!(nice_ceiling(1260.0), 2000.0);
        assert_eq!(nice_ceiling(500.0), 500.0);
        assert_eq!(round(12.0), "12");
        assert_eq!(round(2.5), "2.5");
    }
}
