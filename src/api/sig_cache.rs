//! The client's UserSig: minted in process, reused while it has more than the renewal margin
//! left, renewed before it can expire mid-run (a long migration outlives any one signature), and
//! renewed on demand after the service refused it.
//!
//! The time comes from an injectable [`Clock`] so tests prove renewal without sleeping.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use super::secret::{SecretKey, UserSig};
use super::usersig;

/// The source of "now" (unix seconds) for UserSig minting and renewal.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The machine's clock.
    pub fn system() -> Self {
        Clock(Arc::new(crate::clock::unix_now))
    }

    /// A clock that asks `now` (tests use a shared counter).
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// The current unix time in seconds.
    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock(now={})", self.now())
    }
}

/// Who signs, and for how long.
pub(crate) struct Signer {
    pub sdkappid: u64,
    pub admin: String,
    pub secret: SecretKey,
    /// Lifetime of each minted UserSig, seconds.
    pub lifetime: u64,
    /// Renew when less than this many seconds remain.
    pub renew_margin: u64,
}

struct Minted {
    sig: UserSig,
    expires_at: i64,
}

/// A thread-safe cache of the current UserSig. The lock is held only to read or replace the
/// cached value (minting takes microseconds), never across an await.
pub(crate) struct SigCache {
    signer: Signer,
    clock: Clock,
    current: Mutex<Option<Minted>>,
}

impl SigCache {
    pub fn new(signer: Signer, clock: Clock) -> Self {
        SigCache {
            signer,
            clock,
            current: Mutex::new(None),
        }
    }

    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The UserSig to use now: the cached one unless it is close to expiry.
    pub fn current(&self) -> UserSig {
        let now = self.clock.now();
        // A poisoned lock only means another thread panicked while swapping an Option; the value
        // inside is still a complete UserSig or None.
        let mut slot = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.as_ref() {
            Some(minted) if !needs_renewal(minted.expires_at, now, self.signer.renew_margin) => {
                minted.sig.clone()
            }
            _ => {
                let minted = self.mint(now);
                let sig = minted.sig.clone();
                *slot = Some(minted);
                sig
            }
        }
    }

    /// Forgets the cached UserSig so the next call mints a fresh one.
    pub fn renew(&self) {
        let mut slot = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        *slot = None;
        tracing::debug!("UserSig renewal requested");
    }

    fn mint(&self, now: i64) -> Minted {
        let s = &self.signer;
        let sig = usersig::generate(&s.secret, s.sdkappid, &s.admin, s.lifetime, now);
        let expires_at = now.saturating_add(i64::try_from(s.lifetime).unwrap_or(i64::MAX));
        tracing::debug!(
            sdkappid = s.sdkappid,
            admin = %s.admin,
            expires_at,
            "minted a UserSig"
        );
        Minted { sig, expires_at }
    }
}

/// True when a UserSig expiring at `expires_at` has less than `margin` seconds left at `now`.
fn needs_renewal(expires_at: i64, now: i64, margin: u64) -> bool {
    let margin = i64::try_from(margin).unwrap_or(i64::MAX);
    expires_at.saturating_sub(now) < margin
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    fn cache(lifetime: u64, margin: u64) -> (SigCache, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(1_700_000_000));
        let shared = Arc::clone(&now);
        let signer = Signer {
            sdkappid: 1_400_000_000,
            admin: "administrator".into(),
            secret: SecretKey::new("k"),
            lifetime,
            renew_margin: margin,
        };
        let clock = Clock::from_fn(move || shared.load(Ordering::SeqCst));
        (SigCache::new(signer, clock), now)
    }

    #[test]
    fn renewal_rule_boundary() {
        assert!(!needs_renewal(100, 0, 100));
        assert!(needs_renewal(100, 1, 100));
        assert!(
            needs_renewal(100, 200, 0),
            "an expired sig is always renewed"
        );
        assert!(!needs_renewal(i64::MAX, i64::MIN, u64::MAX));
    }

    #[test]
    fn reused_until_the_margin_then_renewed_with_the_new_time() {
        let (cache, now) = cache(86_400, 3_600);
        let first = cache.current();
        now.fetch_add(86_400 - 3_600, Ordering::SeqCst);
        assert_eq!(
            cache.current(),
            first,
            "exactly the margin left: still reused"
        );
        now.fetch_add(1, Ordering::SeqCst);
        let second = cache.current();
        assert_ne!(second, first);
        let fields = usersig::verify(
            second.expose(),
            &SecretKey::new("k"),
            1_400_000_000,
            "administrator",
            now.load(Ordering::SeqCst),
        )
        .unwrap();
        assert_eq!(fields.time, now.load(Ordering::SeqCst));
        assert_eq!(fields.expire, 86_400);
        assert_eq!(cache.current(), second, "the renewed one is cached");
    }

    #[test]
    fn renew_forces_a_fresh_sig() {
        let (cache, now) = cache(86_400, 3_600);
        let first = cache.current();
        assert_eq!(cache.current(), first);
        now.fetch_add(1, Ordering::SeqCst); // a new time makes a different signature
        cache.renew();
        assert_ne!(cache.current(), first);
    }

    #[test]
    fn clock_debug_shows_time_only() {
        let clock = Clock::from_fn(|| 42);
        assert_eq!(format!("{clock:?}"), "Clock(now=42)");
        assert!(Clock::default().now() > 1_700_000_000);
    }
}
