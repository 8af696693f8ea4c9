//! Bursts: what the plan does with a second that holds more messages than one request.
//!
//! The service takes a group's messages "later than the group's newest message". Read strictly
//! across requests (docs/service.md#what-the-docs-leave-open), a request may not carry a
//! `SendTime` equal to the newest one an earlier request stored, so a second can go in only
//! within one request: a burst of more than 7 messages sharing one second cannot go in whole.
//!
//! - [`SameSecond::Keep`] (the default) sends every message at its staged time: a burst is split
//!   across requests (`batches`), and a strict service refuses its overflow (10004).
//! - [`SameSecond::Spread`] sends the overflow of a burst one second later, merged with the
//!   messages staged in that second, and so on while seconds are full (a cascade). Nothing moves
//!   backward, the order is kept, and afterwards no second holds more than a request, so the
//!   batch cutter never splits a second and no request needs a `SendTime` equal to an earlier
//!   request's newest. Each message gets the earliest time that allows this.
//!
//! An invalid message sits in the order where it was staged and a lane stops there until it is
//! decided, so the requests before and after it are apart: under `spread` the valid message
//! after it goes to a second later than the one before it ([`Spreader::barrier`]), or strict time
//! would refuse it.
//!
//! Pure, one staged time at a time ([`Spreader`]), so a target of millions of messages is spread
//! as it is read; [`Bursts`] sums up what each policy does with a target's times.

use serde::{Deserialize, Serialize};

use super::batches::MAX_BATCH_SIZE;

/// What to do with a second holding more messages than one request (`--same-second`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSecond {
    /// Every message at its staged `SendTime`; a burst is split across requests.
    #[default]
    Keep,
    /// A burst's overflow goes one second later at a time (each move recorded).
    Spread,
}

impl SameSecond {
    /// Both, in the order the docs list them.
    pub const ALL: [SameSecond; 2] = [SameSecond::Keep, SameSecond::Spread];

    /// Its word, as `--same-second`, `TIMPORT_SAME_SECOND` and the config file spell it.
    pub fn word(self) -> &'static str {
        match self {
            SameSecond::Keep => "keep",
            SameSecond::Spread => "spread",
        }
    }

    /// The policy a word names; the error says which words there are.
    pub fn parse(text: &str) -> Result<SameSecond, String> {
        SameSecond::ALL
            .into_iter()
            .find(|p| p.word() == text)
            .ok_or_else(|| format!("'{text}' is not keep or spread"))
    }
}

impl std::fmt::Display for SameSecond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// Gives each message, in import order, the `SendTime` it is sent with.
#[derive(Debug, Clone)]
pub struct Spreader {
    policy: SameSecond,
    /// Messages a second may hold.
    cap: usize,
    /// The latest time given, and how many messages it holds so far.
    last: Option<(i64, usize)>,
}

impl Spreader {
    /// A spreader for requests of `batch_size` messages (clamped to `1..=7`).
    pub fn new(policy: SameSecond, batch_size: usize) -> Spreader {
        Spreader {
            policy,
            cap: batch_size.clamp(1, MAX_BATCH_SIZE),
            last: None,
        }
    }

    /// The time the next message (staged at `staged`) is sent at: `staged` under `keep`; under
    /// `spread` the latest time given when `staged` is not later, one second after it when that
    /// second is full.
    pub fn next(&mut self, staged: i64) -> i64 {
        if self.policy == SameSecond::Keep {
            return staged;
        }
        let (time, held) = match self.last {
            Some((last, held)) if staged <= last && held < self.cap => (last, held + 1),
            Some((last, _)) if staged <= last => (last + 1, 1),
            _ => (staged, 1),
        };
        self.last = Some((time, held));
        time
    }

    /// An invalid message comes next in the order: under `spread`, the next valid message goes
    /// to a later second than the last one given.
    pub fn barrier(&mut self) {
        if let (SameSecond::Spread, Some((_, held))) = (self.policy, &mut self.last) {
            *held = self.cap;
        }
    }
}

/// What each policy does with a target's bursts (its valid messages' staged times, in order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Bursts {
    /// Messages a request holds (the size a burst is measured against).
    pub request: usize,
    /// Seconds holding more messages than a request.
    pub seconds: usize,
    /// Messages in those seconds.
    pub messages: usize,
    /// Under `keep`: the messages of those seconds after their second's first request; a service
    /// that reads "later than the newest" strictly refuses them (10004).
    pub keep_refusable: usize,
    /// Under `spread`: messages sent later than staged (cascades included).
    pub spread_moved: usize,
    /// Under `spread`: the largest move, in seconds.
    pub spread_largest_shift: i64,
    /// Under `spread`: the latest `SendTime` a moved message gets.
    pub spread_latest: Option<i64>,
}

impl Bursts {
    /// Sums up a target's messages in import order (the staged `SendTime` of a valid one,
    /// `None` for an invalid one) for requests of `batch_size`.
    pub fn of(times: impl IntoIterator<Item = Option<i64>>, batch_size: usize) -> Bursts {
        let mut spreader = Spreader::new(SameSecond::Spread, batch_size);
        let mut out = Bursts {
            request: spreader.cap,
            ..Bursts::default()
        };
        let mut run: Option<(i64, usize)> = None;
        let close = |run: Option<(i64, usize)>, out: &mut Bursts| {
            if let Some((_, n)) = run.filter(|&(_, n)| n > out.request) {
                out.seconds += 1;
                out.messages += n;
                out.keep_refusable += n - out.request;
            }
        };
        for time in times {
            let Some(staged) = time else {
                spreader.barrier();
                continue;
            };
            run = match run {
                Some((t, n)) if t == staged => Some((t, n + 1)),
                other => {
                    close(other, &mut out);
                    Some((staged, 1))
                }
            };
            let sent = spreader.next(staged);
            if sent != staged {
                out.spread_moved += 1;
                out.spread_largest_shift = out.spread_largest_shift.max(sent - staged);
                out.spread_latest = out.spread_latest.max(Some(sent));
            }
        }
        close(run, &mut out);
        out
    }

    /// Adds another target's bursts (of the same request size) to these.
    pub fn add(&mut self, other: &Bursts) {
        self.request = self.request.max(other.request);
        self.seconds += other.seconds;
        self.messages += other.messages;
        self.keep_refusable += other.keep_refusable;
        self.spread_moved += other.spread_moved;
        self.spread_largest_shift = self.spread_largest_shift.max(other.spread_largest_shift);
        self.spread_latest = self.spread_latest.max(other.spread_latest);
    }

    /// True when `spread` would move a message to `now` or later (the service takes only
    /// messages earlier than now).
    pub fn spread_reaches(&self, now: i64) -> bool {
        self.spread_latest.is_some_and(|t| t >= now)
    }

    /// What each policy does, in a sentence (empty when no second holds more than a request).
    pub fn describe(&self, chosen: SameSecond) -> String {
        if self.seconds == 0 {
            return String::new();
        }
        let (seconds, verb) = match self.seconds {
            1 => ("1 second".to_owned(), "holds"),
            n => (format!("{n} seconds"), "hold"),
        };
        let mark = |p: SameSecond| if p == chosen { " (chosen)" } else { "" };
        format!(
            "{seconds} {verb} more than {} messages ({} messages in bursts): keep{} sends them at their SendTime, split across requests, so a strict service refuses {}; spread{} moves {} forward by up to {} s, so none is refused",
            self.request,
            self.messages,
            mark(SameSecond::Keep),
            plural(self.keep_refusable, "message"),
            mark(SameSecond::Spread),
            plural(self.spread_moved, "message"),
            self.spread_largest_shift
        )
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::batch_ranges;
    use proptest::prelude::*;

    fn spread(times: &[i64], size: usize) -> Vec<i64> {
        let mut s = Spreader::new(SameSecond::Spread, size);
        times.iter().map(|&t| s.next(t)).collect()
    }

    #[test]
    fn keep_sends_every_message_at_its_time() {
        let mut s = Spreader::new(SameSecond::Keep, 7);
        let times = [5; 20];
        assert!(times.iter().all(|&t| s.next(t) == t));
    }

    #[test]
    fn a_burst_of_eight_moves_its_last_message_one_second() {
        let mut times = vec![10; 8];
        times.push(11);
        let sent = spread(&times, 7);
        assert_eq!(sent, [10, 10, 10, 10, 10, 10, 10, 11, 11]);
        assert_eq!(
            batch_ranges(&sent, 7),
            [0..7, 7..9],
            "merged with second 11"
        );
    }

    #[test]
    fn a_cascade_through_full_seconds() {
        // 15 at 10, then 7 at 11 and 7 at 12 (full already): the overflow pushes each second's
        // tail on, and the last lands at 14.
        let mut times = vec![10; 15];
        times.extend([11; 7]);
        times.extend([12; 7]);
        let sent = spread(&times, 7);
        let count = |t| sent.iter().filter(|&&s| s == t).count();
        assert_eq!([10, 11, 12, 13, 14].map(count), [7, 7, 7, 7, 1]);
        assert!(sent.windows(2).all(|w| w[0] <= w[1]));
        let b = Bursts::of(times.iter().copied().map(Some), 7);
        assert_eq!(
            (b.seconds, b.messages, b.keep_refusable),
            (1, 15, 8),
            "the seconds at 11 and 12 are not bursts"
        );
        assert_eq!((b.spread_moved, b.spread_largest_shift), (22, 2));
        assert_eq!(b.spread_latest, Some(14));
        assert!(b.spread_reaches(14) && !b.spread_reaches(15));
    }

    #[test]
    fn smaller_requests_hold_fewer_per_second() {
        assert_eq!(spread(&[1, 1, 1, 1, 1], 2), [1, 1, 2, 2, 3]);
        let b = Bursts::of([1, 1, 1, 1, 1].map(Some), 2);
        assert_eq!((b.request, b.seconds, b.keep_refusable), (2, 1, 3));
    }

    #[test]
    fn the_sentence_says_what_each_policy_does() {
        assert_eq!(
            Bursts::of([1, 2, 3].map(Some), 7).describe(SameSecond::Keep),
            ""
        );
        let b = Bursts::of([Some(5); 9], 7);
        let text = b.describe(SameSecond::Spread);
        assert_eq!(
            text,
            "1 second holds more than 7 messages (9 messages in bursts): keep sends them at their SendTime, split across requests, so a strict service refuses 2 messages; spread (chosen) moves 2 messages forward by up to 1 s, so none is refused"
        );
    }

    #[test]
    fn an_invalid_message_starts_a_new_second_under_spread_only() {
        // 3 at 10, an invalid one, 2 more at 10: the two after it go to 11.
        let order = [
            Some(10),
            Some(10),
            Some(10),
            None,
            Some(10),
            Some(10),
            Some(12),
        ];
        let mut s = Spreader::new(SameSecond::Spread, 7);
        let sent: Vec<Option<i64>> = order
            .iter()
            .map(|t| match t {
                Some(t) => Some(s.next(*t)),
                None => {
                    s.barrier();
                    None
                }
            })
            .collect();
        assert_eq!(
            sent,
            [
                Some(10),
                Some(10),
                Some(10),
                None,
                Some(11),
                Some(11),
                Some(12)
            ]
        );
        let b = Bursts::of(order, 7);
        assert_eq!(
            (b.seconds, b.spread_moved, b.spread_largest_shift),
            (0, 2, 1)
        );
        // Keep ignores it; an invalid message before any valid one changes nothing.
        let mut k = Spreader::new(SameSecond::Keep, 7);
        k.next(10);
        k.barrier();
        assert_eq!(k.next(10), 10);
        let mut first = Spreader::new(SameSecond::Spread, 7);
        first.barrier();
        assert_eq!(first.next(10), 10);
    }

    #[test]
    fn words() {
        assert_eq!(SameSecond::parse("spread"), Ok(SameSecond::Spread));
        assert_eq!(SameSecond::parse("keep"), Ok(SameSecond::Keep));
        assert!(
            SameSecond::parse("Spread")
                .unwrap_err()
                .contains("keep or spread")
        );
        assert_eq!(SameSecond::default(), SameSecond::Keep);
    }

    proptest! {
        /// The spread rule: never backward, order kept, no second over a request, each time the
        /// earliest possible; batches cut over the sent times never split a second, so no
        /// request starts at or below the previous request's newest time.
        #[test]
        fn spreading_moves_forward_only_and_frees_every_boundary(
            deltas in prop::collection::vec(prop_oneof![6 => Just(0i64), 2 => Just(1i64), 1 => 2i64..5], 0..200),
            size in 1usize..=7,
        ) {
            let times: Vec<i64> = deltas.iter().scan(1_000, |t, d| { *t += d; Some(*t) }).collect();
            let sent = spread(&times, size);
            prop_assert_eq!(sent.len(), times.len());
            for (i, (&s, &t)) in sent.iter().zip(&times).enumerate() {
                prop_assert!(s >= t, "message {} moved backward", i);
                // Earliest: it is at its staged time, or right after a full second.
                // Earliest: at its own time or the previous message's, whichever is later,
                // unless that second is full.
                let base = if i == 0 { t } else { t.max(sent[i - 1]) };
                if s != base {
                    prop_assert_eq!(s, base + 1, "message {} jumped a second", i);
                    let full = sent[..i].iter().filter(|&&x| x == base).count();
                    prop_assert_eq!(full, size, "message {} moved past a second with room", i);
                }
            }
            prop_assert!(sent.windows(2).all(|w| w[0] <= w[1]), "order kept");
            for run in sent.chunk_by(|a, b| a == b) {
                prop_assert!(run.len() <= size);
            }
            let ranges = batch_ranges(&sent, size);
            let covered: usize = ranges.iter().map(|r| r.len()).sum();
            prop_assert_eq!(covered, sent.len(), "every message once");
            for pair in ranges.windows(2) {
                let newest = sent[pair[0].end - 1];
                let first = sent[pair[1].start];
                prop_assert!(first > newest, "a request starts at {} after one ending at {}", first, newest);
            }
            let b = Bursts::of(times.iter().copied().map(Some), size);
            prop_assert_eq!(b.spread_moved, sent.iter().zip(&times).filter(|(s, t)| s != t).count());
        }
    }
}
