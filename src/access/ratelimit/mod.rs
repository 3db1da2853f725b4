//! In-memory rate limits keyed by client IP, subnet, route, a header or
//! cookie value, any combination of those, or nothing (global). Each limit
//! is a GCRA (generic cell rate algorithm, an exact token bucket kept as one
//! "theoretical arrival time" per key) stored in a lock-free [`SlotTable`]:
//! exact per key, state expires by itself, fixed memory.
//!
//! `rate` requests per `window` are sustained; a fresh client may send
//! `rate + burst` at once. (pingora-limits' `Rate` is not used: it counts
//! in fixed windows over a count-min sketch, so neighbouring keys can
//! over-count each other on hash collisions, a client can send twice the
//! rate across a window boundary, and it has no burst allowance.)

use crate::access::clock::{de_duration, SharedClock};
use crate::access::request::RequestAttrs;
use crate::access::slots::{KeyHasher, SlotTable};
use serde::Deserialize;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// One part of a limit's key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum KeyPart {
    /// `ip`: the client address.
    Ip,
    /// `subnet`: the client's /24 (IPv4) or /64 (IPv6).
    Subnet,
    /// `route`: the matched route's name.
    Route,
    /// `header:NAME`: a header's value (requests without it are not limited).
    Header(String),
    /// `cookie:NAME`: a cookie's value (requests without it are not limited).
    Cookie(String),
    /// `global`: one counter for everyone.
    Global,
}

impl TryFrom<String> for KeyPart {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let named = |v: &str| (!v.is_empty()).then(|| v.to_ascii_lowercase());
        match s.split_once(':') {
            Some(("header", n)) => named(n).map(KeyPart::Header),
            Some(("cookie", n)) => (!n.is_empty()).then(|| KeyPart::Cookie(n.into())),
            Some(_) => None,
            None => match s.as_str() {
                "ip" => Some(KeyPart::Ip),
                "subnet" => Some(KeyPart::Subnet),
                "route" => Some(KeyPart::Route),
                "global" => Some(KeyPart::Global),
                _ => None,
            },
        }
        .ok_or_else(|| {
            format!("unknown key part {s:?}: expected ip, subnet, route, global, header:NAME or cookie:NAME")
        })
    }
}

/// What happens when a limit is exceeded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitAction {
    /// Answer 429 with Retry-After.
    #[default]
    Block,
    /// Only log; the request goes on.
    Log,
}

/// The YAML of one limit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Name (logs, metrics label, Redis key prefix).
    pub name: String,
    /// Key parts; default `[ip]`.
    #[serde(default = "default_key")]
    pub key: Vec<KeyPart>,
    /// Requests per window.
    pub rate: NonZeroU32,
    /// The window, e.g. `1s`, `1m`.
    #[serde(deserialize_with = "de_duration")]
    pub window: Duration,
    /// Extra requests a fresh client may send at once.
    #[serde(default)]
    pub burst: u32,
    /// `block` (default) or `log`.
    #[serde(default)]
    pub action: LimitAction,
    /// Routes this limit applies to (empty: every route).
    #[serde(default)]
    pub routes: Vec<String>,
    /// Keys tracked at once (memory: 16 bytes each).
    #[serde(default = "default_max_keys")]
    pub max_keys: usize,
}

fn default_key() -> Vec<KeyPart> {
    vec![KeyPart::Ip]
}

/// Default number of keys a limit tracks.
pub const DEFAULT_MAX_KEYS: usize = 65_536;

fn default_max_keys() -> usize {
    DEFAULT_MAX_KEYS
}

/// A limit's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateDecision {
    /// Within every limit.
    Allow,
    /// Over a limit.
    Limited {
        /// The limit's name.
        limit: Arc<str>,
        /// Seconds until a request would be allowed (for Retry-After, >= 1).
        retry_after_secs: u64,
        /// Block or only log.
        action: LimitAction,
    },
}

/// One GCRA limit: `rate` per `window` with `burst`, over hashed keys.
#[derive(Debug)]
pub struct Gcra {
    /// Microseconds between two sustained requests.
    interval: u64,
    /// How far ahead of now the theoretical arrival time may run.
    tolerance: u64,
    table: SlotTable,
}

impl Gcra {
    /// A limit of `rate` per `window` plus `burst`, tracking `max_keys`.
    pub fn new(rate: NonZeroU32, window: Duration, burst: u32, max_keys: usize) -> Self {
        let interval = (window.as_micros() as u64 / u64::from(rate.get())).max(1);
        let capacity = u64::from(rate.get()) + u64::from(burst);
        Self {
            interval,
            tolerance: interval.saturating_mul(capacity - 1),
            table: SlotTable::new(max_keys),
        }
    }

    /// Takes `n` requests for `key` at `now` (microseconds): `Ok` if allowed,
    /// `Err(wait)` with the microseconds to wait otherwise.
    pub fn check_n(&self, key: u64, now: u64, n: u32) -> Result<(), u64> {
        let cost = self.interval.saturating_mul(u64::from(n.max(1)));
        self.table.update(
            key,
            now,
            |tat| tat,
            |tat| {
                let tat = tat.unwrap_or(now).max(now);
                let new_tat = tat.saturating_add(cost);
                let allowed_at =
                    new_tat.saturating_sub(self.tolerance.saturating_add(self.interval));
                if allowed_at > now {
                    (None, Err(allowed_at - now))
                } else {
                    (Some(new_tat), Ok(()))
                }
            },
        )
    }

    /// Takes one request for `key` at `now`.
    pub fn check(&self, key: u64, now: u64) -> Result<(), u64> {
        self.check_n(key, now, 1)
    }

    /// Frees expired slots; returns the number of live keys.
    pub fn sweep(&self, now: u64) -> usize {
        self.table.sweep(now, |tat| tat)
    }
}

#[derive(Debug)]
struct Limit {
    name: Arc<str>,
    key: Vec<KeyPart>,
    action: LimitAction,
    routes: Vec<String>,
    gcra: Gcra,
}

/// True when a limit restricted to `routes` (empty: all) applies to `route`.
pub(crate) fn applies(routes: &[String], route: &str) -> bool {
    routes.is_empty() || routes.iter().any(|r| r == route)
}

/// Folds one exceeded limit into a check: a `block` limit decides at once
/// (returned); the first `log` limit is kept in `logged`.
pub(crate) fn exceeded(
    logged: &mut RateDecision,
    name: &Arc<str>,
    action: LimitAction,
    wait_us: u64,
) -> Option<RateDecision> {
    let d = RateDecision::Limited {
        limit: name.clone(),
        retry_after_secs: wait_us.div_ceil(1_000_000).max(1),
        action,
    };
    if action == LimitAction::Block {
        return Some(d);
    }
    if *logged == RateDecision::Allow {
        *logged = d;
    }
    None
}

/// Every configured limit.
pub struct RateLimiter {
    limits: Vec<Limit>,
    hasher: KeyHasher,
    clock: SharedClock,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limits", &self.limits.len())
            .finish()
    }
}

/// Errors in limit config.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RateLimitError {
    /// A window of zero.
    #[error("rate limit {0:?}: window must be longer than 0")]
    ZeroWindow(String),
    /// Two limits with one name.
    #[error("rate limit {0:?} is defined twice")]
    Duplicate(String),
}

fn subnet(ip: IpAddr) -> [u8; 16] {
    match crate::access::ip::prefix::canonical_ip(ip) {
        IpAddr::V4(a) => {
            let o = a.octets();
            let mut b = [0u8; 16];
            b[..3].copy_from_slice(&o[..3]);
            b
        }
        IpAddr::V6(a) => {
            let mut b = a.octets();
            b[8..].fill(0);
            b[15] = 1;
            b
        }
    }
}

/// Feeds the parts of `key` for `req` to `f`, or returns `None` when a
/// header or cookie the key needs is missing (the limit does not apply).
pub fn feed_key(key: &[KeyPart], req: &impl RequestAttrs, mut f: impl FnMut(&[u8])) -> Option<()> {
    let ip = req.client_ip();
    for p in key {
        match p {
            KeyPart::Ip => f(&match crate::access::ip::prefix::canonical_ip(ip) {
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
                IpAddr::V6(a) => a.octets(),
            }),
            KeyPart::Subnet => f(&subnet(ip)),
            KeyPart::Route => f(req.route().as_bytes()),
            KeyPart::Header(h) => f(req.header(h)?.as_bytes()),
            KeyPart::Cookie(c) => f(req.cookie(c)?.as_bytes()),
            KeyPart::Global => f(b"*"),
        }
    }
    Some(())
}

impl RateLimiter {
    /// Builds the limits of `cfg`.
    pub fn new(cfg: &[RateLimitConfig], clock: SharedClock) -> Result<Self, RateLimitError> {
        let mut limits: Vec<Limit> = Vec::with_capacity(cfg.len());
        for c in cfg {
            if c.window.is_zero() {
                return Err(RateLimitError::ZeroWindow(c.name.clone()));
            }
            if limits.iter().any(|l| *l.name == *c.name) {
                return Err(RateLimitError::Duplicate(c.name.clone()));
            }
            limits.push(Limit {
                name: c.name.as_str().into(),
                key: c.key.clone(),
                action: c.action,
                routes: c.routes.clone(),
                gcra: Gcra::new(c.rate, c.window, c.burst, c.max_keys),
            });
        }
        Ok(Self {
            limits,
            hasher: KeyHasher::new(),
            clock,
        })
    }

    /// The hash of `limit`'s key for `req`, or `None` when a header or
    /// cookie the key needs is missing (the limit does not apply).
    fn key_of(&self, limit: &Limit, req: &impl RequestAttrs) -> Option<u64> {
        let mut k = self.hasher.begin();
        k.part(limit.name.as_bytes());
        feed_key(&limit.key, req, |p| k.part(p))?;
        Some(k.finish())
    }

    /// Counts `req` against every limit that applies. A `block` limit that is
    /// exceeded wins over a `log` one.
    pub fn check(&self, req: &impl RequestAttrs) -> RateDecision {
        let now = self.clock.now_micros();
        let mut logged = RateDecision::Allow;
        for limit in &self.limits {
            if !applies(&limit.routes, req.route()) {
                continue;
            }
            let Some(key) = self.key_of(limit, req) else {
                continue;
            };
            let Err(wait) = limit.gcra.check(key, now) else {
                continue;
            };
            if let Some(blocked) = exceeded(&mut logged, &limit.name, limit.action, wait) {
                return blocked;
            }
        }
        logged
    }

    /// Frees expired slots of every limit (optional housekeeping); returns
    /// the number of live keys.
    pub fn sweep(&self) -> usize {
        let now = self.clock.now_micros();
        self.limits.iter().map(|l| l.gcra.sweep(now)).sum()
    }
}

#[cfg(test)]
mod tests;
