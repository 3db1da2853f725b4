//! Time source for every access check: a `Clock` trait with a real clock and
//! a manual clock that tests advance instead of sleeping; plus the humantime
//! duration helper the config structs share.

use serde::{Deserialize, Deserializer};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of "now" in microseconds since the Unix epoch. It must not go
/// backwards.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Microseconds since the Unix epoch.
    fn now_micros(&self) -> u64;

    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> u64 {
        self.now_micros() / 1000
    }
}

/// A clock shared between checks.
pub type SharedClock = Arc<dyn Clock>;

/// The real clock: wall-clock time at start-up, advanced by a monotonic
/// `Instant`, so it never goes backwards.
#[derive(Debug, Clone)]
pub struct SystemClock {
    start: Instant,
    base_micros: u64,
}

impl SystemClock {
    /// A clock anchored at the current wall-clock time.
    pub fn new() -> Self {
        let base = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            start: Instant::now(),
            base_micros: base.as_micros() as u64,
        }
    }

    /// The real clock as a [`SharedClock`].
    pub fn shared() -> SharedClock {
        Arc::new(Self::new())
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now_micros(&self) -> u64 {
        self.base_micros + self.start.elapsed().as_micros() as u64
    }
}

/// A clock that only moves when told to (for tests).
#[derive(Debug)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A manual clock starting at `start_micros` (use a realistic value such
    /// as 1_700_000_000_000_000 so that "0" never means "now").
    pub fn new(start_micros: u64) -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(start_micros)))
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.0.fetch_add(d.as_micros() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_micros(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Deserializes a humantime duration string such as `10s`, `5m` or `1h 30m`.
pub fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    humantime::parse_duration(s.trim()).map_err(serde::de::Error::custom)
}

/// Like [`de_duration`] for an optional field.
pub fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    s.map(|s| humantime::parse_duration(s.trim()).map_err(serde::de::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_advances() {
        let c = ManualClock::new(1_000_000);
        c.advance(Duration::from_millis(1500));
        assert_eq!(c.now_micros(), 2_500_000);
        assert_eq!(c.now_millis(), 2_500);
    }

    #[test]
    fn system_clock_is_monotonic_and_recent() {
        let c = SystemClock::new();
        let a = c.now_micros();
        let b = c.now_micros();
        assert!(b >= a);
        assert!(a > 1_600_000_000_000_000);
    }

    #[test]
    fn durations_parse_from_humantime() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "de_duration")]
            d: Duration,
        }
        let t: T = serde_yaml::from_str("d: 1m 30s").unwrap();
        assert_eq!(t.d, Duration::from_secs(90));
        assert!(serde_yaml::from_str::<T>("d: soon").is_err());
    }
}
