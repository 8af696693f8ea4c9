//! Exponential backoff with jitter: the one retry pacing of the engine (requests and read-backs).

use std::time::Duration;

use super::options::RetryPolicy;

/// The pause before retry number `retry` (1 = the first retry): `base * 2^(retry-1)`, capped,
/// with "equal jitter": half of it fixed, half drawn from `jitter` (0..1), so that lanes that
/// failed together do not retry together.
pub fn delay(policy: &RetryPolicy, retry: u32, jitter: f64) -> Duration {
    let exp = retry.saturating_sub(1).min(30);
    let full = policy
        .base
        .saturating_mul(1u32 << exp)
        .min(policy.cap)
        .as_secs_f64();
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.5
    };
    Duration::from_secs_f64(full / 2.0 + full / 2.0 * jitter)
}

/// [`delay`] with a fresh random jitter.
pub fn random_delay(policy: &RetryPolicy, retry: u32) -> Duration {
    delay(policy, retry, rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_bounded_jitter() {
        let p = RetryPolicy::default();
        let ms = |retry, jitter| delay(&p, retry, jitter).as_millis();
        assert_eq!([ms(1, 1.0), ms(2, 1.0), ms(3, 1.0)], [200, 400, 800]);
        assert_eq!([ms(1, 0.0), ms(2, 0.0)], [100, 200]);
        assert_eq!(ms(20, 1.0), 30_000, "capped");
        assert_eq!(ms(u32::MAX, 0.0), 15_000, "no overflow");
        assert_eq!(ms(1, f64::NAN), 150);
        assert_eq!(ms(1, 7.0), 200, "jitter clamped");
        for retry in 1..10 {
            let d = random_delay(&p, retry);
            assert!(d >= delay(&p, retry, 0.0) && d <= delay(&p, retry, 1.0));
        }
    }
}
