//! Fleet mode: rate limits and bans shared by several Rampart instances
//! through Redis. Each limit is a fixed window per key in Redis, counted
//! atomically by a Lua script (INCRBY + PEXPIRE, one round trip). An instance
//! takes `batch` tokens at a time into a local, lock-free budget, so a hot
//! key reaches Redis once per batch, not per request; tokens are granted
//! only while the fleet-wide count is within the limit, so the fleet never
//! admits more than `rate + burst` per window. When Redis is slow or down
//! (bounded by `timeout`), checks fall back to the in-memory GCRA limit, log
//! once, and retry Redis after `retry_after_failure`. Bans are shared as
//! `SET ban:IP PX` keys plus a sorted set that instances poll.

pub mod redis;
use crate::access::ban::AutoBan;
use crate::access::clock::{de_duration, SharedClock};
use crate::access::fleet::redis::{Pool, RedisError, Reply};
use crate::access::ratelimit::{
    applies, exceeded, feed_key, Gcra, KeyPart, LimitAction, RateDecision, RateLimitConfig,
};
use crate::access::request::RequestAttrs;
use crate::access::slots::{KeyHasher, SlotTable};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const INCR_SCRIPT: &str = "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) \
if v == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return v";

const BAN_SCRIPT: &str = "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) \
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) \
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4]) return 1";

/// The YAML of fleet mode.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    /// Redis address, `host:port`.
    pub redis: String,
    /// Longest wait for Redis before falling back (default `50ms`).
    #[serde(default = "default_timeout", deserialize_with = "de_duration")]
    pub timeout: Duration,
    /// Idle connections kept (default 4).
    #[serde(default = "default_pool")]
    pub pool_size: usize,
    /// Tokens taken from Redis at a time (default 10; 1 = every request).
    #[serde(default = "default_batch")]
    pub batch: u32,
    /// Prefix of every Redis key (default `rampart`).
    #[serde(default = "default_prefix")]
    pub key_prefix: String,
    /// After a failure, local limits only for this long (default `1s`).
    #[serde(default = "default_retry", deserialize_with = "de_duration")]
    pub retry_after_failure: Duration,
}

fn default_timeout() -> Duration {
    Duration::from_millis(50)
}
fn default_pool() -> usize {
    4
}
fn default_batch() -> u32 {
    10
}
fn default_prefix() -> String {
    "rampart".into()
}
fn default_retry() -> Duration {
    Duration::from_secs(1)
}

struct FleetLimit {
    name: Arc<str>,
    key: Vec<KeyPart>,
    action: LimitAction,
    routes: Vec<String>,
    per_window: u64,
    window_us: u64,
    /// Window index at start-up; local budgets store indexes relative to it
    /// (32 bits), Redis keys the absolute index.
    base: u64,
    budget: SlotTable,
    fallback: Gcra,
}

/// Budget state: window index (32) | exhausted (1) | tokens (31).
const EXHAUSTED: u64 = 1 << 31;

enum Local {
    Taken,
    Exhausted,
    Empty,
}

/// Fleet-wide limits and bans.
pub struct Fleet {
    cfg: FleetConfig,
    limits: Vec<FleetLimit>,
    pool: Pool,
    hasher: KeyHasher,
    clock: SharedClock,
    degraded: AtomicBool,
    down_until: AtomicU64,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl FleetLimit {
    fn new(c: &RateLimitConfig, now: u64) -> Self {
        let window_us = (c.window.as_micros() as u64).max(1);
        Self {
            base: now / window_us,
            name: c.name.as_str().into(),
            key: c.key.clone(),
            action: c.action,
            routes: c.routes.clone(),
            per_window: u64::from(c.rate.get()) + u64::from(c.burst),
            window_us,
            budget: SlotTable::new(c.max_keys),
            fallback: Gcra::new(c.rate, c.window, c.burst, c.max_keys),
        }
    }

    fn expiry(&self, state: u64) -> u64 {
        (self.base + (state >> 32) + 1).saturating_mul(self.window_us)
    }

    fn take_local(&self, key: u64, idx: u64, now: u64) -> Local {
        self.budget.update(
            key,
            now,
            |s| self.expiry(s),
            |cur| match cur {
                Some(s) if s >> 32 == idx && s & EXHAUSTED != 0 => (None, Local::Exhausted),
                Some(s) if s >> 32 == idx && s & 0x7fff_ffff > 0 => (Some(s - 1), Local::Taken),
                _ => (None, Local::Empty),
            },
        )
    }

    fn store_grant(&self, key: u64, idx: u64, now: u64, granted: u64) {
        self.budget.update(
            key,
            now,
            |s| self.expiry(s),
            |cur| {
                let old = cur.filter(|s| s >> 32 == idx && s & EXHAUSTED == 0);
                let tokens = old.map_or(0, |s| s & 0x7fff_ffff) + granted.saturating_sub(1);
                let flag = if granted == 0 { EXHAUSTED } else { 0 };
                (Some((idx << 32) | flag | tokens.min(0x7fff_ffff)), ())
            },
        );
    }
}

impl Fleet {
    /// Fleet mode for `limits` (the same list the in-memory limiter uses).
    pub fn new(cfg: FleetConfig, limits: &[RateLimitConfig], clock: SharedClock) -> Self {
        Self {
            pool: Pool::new(&cfg.redis, cfg.pool_size, cfg.timeout),
            limits: limits
                .iter()
                .map(|l| FleetLimit::new(l, clock.now_micros()))
                .collect(),
            hasher: KeyHasher::new(),
            clock,
            degraded: AtomicBool::new(false),
            down_until: AtomicU64::new(0),
            cfg,
        }
    }

    /// True while Redis is considered down (local limits in force).
    pub fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::Relaxed)
    }

    fn failed(&self, now: u64, e: &RedisError) {
        let until = now.saturating_add(self.cfg.retry_after_failure.as_micros() as u64);
        self.down_until.store(until, Ordering::Relaxed);
        if !self.degraded.swap(true, Ordering::Relaxed) {
            log::warn!(
                "fleet: redis {} failed ({e}); using local limits",
                self.cfg.redis
            );
        }
    }

    fn recovered(&self) {
        if self.degraded.swap(false, Ordering::Relaxed) {
            log::info!(
                "fleet: redis {} is back; fleet limits in force",
                self.cfg.redis
            );
        }
    }

    /// Counts `req` against every limit, fleet-wide. Never fails: Redis
    /// trouble means local limits.
    pub async fn check(&self, req: &(impl RequestAttrs + Sync)) -> RateDecision {
        let mut logged = RateDecision::Allow;
        for limit in &self.limits {
            if !applies(&limit.routes, req.route()) {
                continue;
            }
            let Some(wait) = self.check_limit(limit, req).await else {
                continue;
            };
            if let Some(blocked) = exceeded(&mut logged, &limit.name, limit.action, wait) {
                return blocked;
            }
        }
        logged
    }

    /// `None` when allowed (or the limit does not apply), else the wait.
    async fn check_limit(
        &self,
        limit: &FleetLimit,
        req: &(impl RequestAttrs + Sync),
    ) -> Option<u64> {
        let mut k = self.hasher.begin();
        k.part(limit.name.as_bytes());
        feed_key(&limit.key, req, |p| k.part(p))?;
        let key = k.finish();
        let now = self.clock.now_micros();
        let idx = now / limit.window_us;
        let window_end = (idx + 1) * limit.window_us;
        let local_idx = (idx - limit.base.min(idx)) & 0xffff_ffff;
        match limit.take_local(key, local_idx, now) {
            Local::Taken => return None,
            Local::Exhausted => return Some(window_end - now),
            Local::Empty => {}
        }
        if now < self.down_until.load(Ordering::Relaxed) {
            return limit.fallback.check(key, now).err();
        }
        match self.reserve(limit, req, idx).await {
            Ok(granted) => {
                self.recovered();
                limit.store_grant(key, local_idx, now, granted);
                (granted == 0).then_some(window_end - now)
            }
            Err(e) => {
                self.failed(now, &e);
                limit.fallback.check(key, now).err()
            }
        }
    }

    fn redis_key(&self, limit: &FleetLimit, req: &impl RequestAttrs, idx: u64) -> String {
        let mut h = Sha256::new();
        feed_key(&limit.key, req, |p| {
            h.update((p.len() as u64).to_be_bytes());
            h.update(p);
        });
        let d = h.finalize();
        let hex: String = d[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}:rl:{}:{hex}:{idx}", self.cfg.key_prefix, limit.name)
    }

    /// Takes up to `batch` tokens for this window; returns how many were
    /// granted (0: the fleet used the window up).
    async fn reserve(
        &self,
        limit: &FleetLimit,
        req: &(impl RequestAttrs + Sync),
        idx: u64,
    ) -> Result<u64, RedisError> {
        let key = self.redis_key(limit, req, idx);
        let batch = u64::from(self.cfg.batch.max(1));
        let ttl_ms = (2 * limit.window_us / 1000).max(1000);
        let (b, t) = (batch.to_string(), ttl_ms.to_string());
        let args: [&[u8]; 6] = [
            b"EVAL",
            INCR_SCRIPT.as_bytes(),
            b"1",
            key.as_bytes(),
            b.as_bytes(),
            t.as_bytes(),
        ];
        let total = match self.pool.call(&args).await? {
            Reply::Int(v) => v.max(0) as u64,
            _ => {
                return Err(RedisError::Protocol(
                    "INCRBY script did not return an integer",
                ))
            }
        };
        let before = total.saturating_sub(batch);
        Ok(limit.per_window.saturating_sub(before).min(batch))
    }
}

mod bans;

#[cfg(test)]
mod tests;
