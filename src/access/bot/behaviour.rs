//! Per-client behaviour over a sliding window, for bot scoring: request
//! rate (previous window weighted by overlap plus the current one),
//! path diversity (distinct paths estimated from a 32-bit bitmap) and error
//! ratio (4xx/5xx answers). State lives in lock-free [`SlotTable`]s.

use crate::access::clock::de_duration;
use crate::access::ip::prefix::canonical_ip;
use crate::access::slots::{KeyHasher, SlotTable};
use serde::Deserialize;
use std::net::IpAddr;
use std::time::Duration;

/// The YAML of behaviour scoring.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourConfig {
    /// The window (default `10s`; at least `1s`).
    #[serde(default = "default_window", deserialize_with = "de_duration")]
    pub window: Duration,
    /// Requests per window above which the rate counts as automated.
    #[serde(default = "default_max_requests")]
    pub max_requests: u32,
    /// Distinct paths per window above which crawling is suspected (the
    /// estimate comes from a 56-bit bitmap (linear counting): fair up to
    /// ~150, saturating near 224).
    #[serde(default = "default_max_paths")]
    pub max_paths: u32,
    /// Share of 4xx/5xx answers above which probing is suspected.
    #[serde(default = "default_max_error_ratio")]
    pub max_error_ratio: f32,
    /// Requests in the window before the error ratio is judged.
    #[serde(default = "default_min_requests")]
    pub min_requests: u32,
    /// Clients tracked at once.
    #[serde(default = "default_max_clients")]
    pub max_clients: usize,
}

/// Bits of the per-client path bitmap.
const PATH_BITS: u64 = 56;
/// Mask of those bits.
const PATH_MASK: u64 = (1 << PATH_BITS) - 1;

fn default_window() -> Duration {
    Duration::from_secs(10)
}
// A page load with its assets can be a hundred requests over dozens of
// paths: the defaults leave room for that.
fn default_max_requests() -> u32 {
    300
}
fn default_max_paths() -> u32 {
    100
}
fn default_max_error_ratio() -> f32 {
    0.5
}
fn default_min_requests() -> u32 {
    10
}
fn default_max_clients() -> usize {
    65_536
}

impl Default for BehaviourConfig {
    fn default() -> Self {
        Self {
            window: default_window(),
            max_requests: default_max_requests(),
            max_paths: default_max_paths(),
            max_error_ratio: default_max_error_ratio(),
            min_requests: default_min_requests(),
            max_clients: default_max_clients(),
        }
    }
}

/// What the window says about a client.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Observed {
    /// Sliding-window request estimate.
    pub requests: f32,
    /// Estimated distinct paths in the current window.
    pub paths: f32,
    /// Error answers in the current window.
    pub errors: u32,
    /// Requests in the current window.
    pub current: u32,
}

/// Counters state: window index (32) | current (12) | previous (12) | errors (8).
#[derive(Debug, Clone, Copy)]
struct Counts {
    idx: u64,
    cur: u32,
    prev: u32,
    err: u32,
}

impl Counts {
    fn unpack(s: u64) -> Self {
        Self {
            idx: s >> 32,
            cur: ((s >> 20) & 0xfff) as u32,
            prev: ((s >> 8) & 0xfff) as u32,
            err: (s & 0xff) as u32,
        }
    }
    fn pack(self) -> u64 {
        (self.idx << 32)
            | (u64::from(self.cur.min(0xfff)) << 20)
            | (u64::from(self.prev.min(0xfff)) << 8)
            | u64::from(self.err.min(0xff))
    }
    /// The counts as seen in window `idx`.
    fn at(self, idx: u64) -> Self {
        match idx.checked_sub(self.idx) {
            Some(0) => self,
            Some(1) => Self {
                idx,
                cur: 0,
                prev: self.cur,
                err: 0,
            },
            _ => Self {
                idx,
                cur: 0,
                prev: 0,
                err: 0,
            },
        }
    }
}

/// The behaviour tracker.
#[derive(Debug)]
pub struct Behaviour {
    cfg: BehaviourConfig,
    window_us: u64,
    counts: SlotTable,
    paths: SlotTable,
    hasher: KeyHasher,
}

impl Behaviour {
    /// A tracker with `cfg`.
    pub fn new(cfg: BehaviourConfig) -> Self {
        Self {
            window_us: (cfg.window.as_micros() as u64).max(1_000_000),
            counts: SlotTable::new(cfg.max_clients),
            paths: SlotTable::new(cfg.max_clients),
            hasher: KeyHasher::new(),
            cfg,
        }
    }

    /// The config.
    pub fn config(&self) -> &BehaviourConfig {
        &self.cfg
    }

    fn key(&self, ip: IpAddr) -> u64 {
        match canonical_ip(ip) {
            IpAddr::V4(a) => self.hasher.hash(&[&a.octets()]),
            IpAddr::V6(a) => self.hasher.hash(&[&a.octets()]),
        }
    }

    fn expiry(&self, state: u64) -> u64 {
        ((state >> 32) + 2).saturating_mul(self.window_us)
    }

    /// Counts a request for `path` by `ip` at `now` and returns the window.
    pub fn record_request(&self, ip: IpAddr, path: &str, now: u64) -> Observed {
        let key = self.key(ip);
        let idx = now / self.window_us;
        let c = self.counts.update(
            key,
            now,
            |s| self.expiry(s),
            |cur| {
                let mut c = Counts::unpack(cur.unwrap_or(0)).at(idx);
                c.cur += 1;
                (Some(c.pack()), c)
            },
        );
        // 56 bits of path bitmap under an 8-bit window tag: the tag only has
        // to tell this window from the previous ones (expired slots are free).
        let bit = 1u64 << (self.hasher.hash(&[path.as_bytes()]) % PATH_BITS);
        let tag = (idx & 0xff) << PATH_BITS;
        let map = self.paths.update(
            key,
            now,
            |s| self.expiry(s),
            |cur| {
                let cur = cur.filter(|s| s & !PATH_MASK == tag).unwrap_or(tag);
                (Some(cur | bit), cur | bit)
            },
        );
        self.observed(c, map, now)
    }

    fn observed(&self, c: Counts, map: u64, now: u64) -> Observed {
        let frac = (now % self.window_us) as f32 / self.window_us as f32;
        let bits = PATH_BITS as f32;
        let zeros = PATH_BITS as u32 - (map & PATH_MASK).count_ones();
        let paths = if zeros == 0 {
            4.0 * bits
        } else {
            -bits * (zeros as f32 / bits).ln()
        };
        Observed {
            requests: c.prev as f32 * (1.0 - frac) + c.cur as f32,
            paths,
            errors: c.err,
            current: c.cur,
        }
    }

    /// Records the status the client got (call from the logging phase).
    pub fn record_status(&self, ip: IpAddr, status: u16, now: u64) {
        if status < 400 {
            return;
        }
        let idx = now / self.window_us;
        self.counts.update(
            self.key(ip),
            now,
            |s| self.expiry(s),
            |cur| {
                let mut c = Counts::unpack(cur.unwrap_or(0)).at(idx);
                c.err += 1;
                (Some(c.pack()), ())
            },
        );
    }

    /// Frees expired slots; returns live clients.
    pub fn sweep(&self, now: u64) -> usize {
        self.paths.sweep(now, |s| self.expiry(s));
        self.counts.sweep(now, |s| self.expiry(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000_000;

    #[test]
    fn rate_slides_paths_and_errors_count() {
        let b = Behaviour::new(BehaviourConfig::default());
        let ip: IpAddr = "192.0.2.5".parse().unwrap();
        let mut o = Observed::default();
        for i in 0..40 {
            o = b.record_request(ip, &format!("/p{i}"), T0);
            b.record_status(ip, if i % 2 == 0 { 404 } else { 200 }, T0);
        }
        assert_eq!((o.requests, o.current, o.errors), (40.0, 40, 20));
        assert!(o.paths > 20.0, "{o:?}");
        let half = T0 + 15_000_000;
        let o = b.record_request(ip, "/p0", half);
        assert_eq!((o.requests, o.current, o.errors), (21.0, 1, 0));
        assert!(o.paths < 2.0);
        let later = T0 + 60_000_000;
        assert_eq!(b.record_request(ip, "/", later).requests, 1.0);
        assert_eq!(b.sweep(later + 30_000_000), 0);
    }

    #[test]
    fn one_path_stays_one_path() {
        let b = Behaviour::new(BehaviourConfig::default());
        let ip: IpAddr = "2001:db8::5".parse().unwrap();
        let mut o = Observed::default();
        for _ in 0..100 {
            o = b.record_request(ip, "/", T0);
        }
        assert!(o.paths < 1.1, "{o:?}");
        assert_eq!(o.current, 100);
    }
}
