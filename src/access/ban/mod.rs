//! Auto-ban, fail2ban-style: a client that collects `strikes` (WAF blocks,
//! rate-limit hits, bot blocks) within `window` is banned for `ban_for`.
//! Strike counters and bans live in lock-free [`SlotTable`]s and expire by
//! themselves; `is_banned` is one hash and one cache line.

pub mod log;
use crate::access::ban::log::BanLog;
use crate::access::clock::{de_duration, SharedClock};
use crate::access::ip::prefix::canonical_ip;
use crate::access::slots::{KeyHasher, SlotTable};
use serde::Deserialize;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// What earned a strike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrikeKind {
    /// The WAF blocked a request.
    WafBlock,
    /// A rate limit refused a request.
    RateLimit,
    /// Bot detection blocked a request or a challenge failed.
    Bot,
}

/// The YAML of auto-ban.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanConfig {
    /// Strikes that earn a ban.
    pub strikes: NonZeroU32,
    /// Window the strikes must fall in (counted from the first one).
    #[serde(deserialize_with = "de_duration")]
    pub window: Duration,
    /// Ban length.
    #[serde(deserialize_with = "de_duration")]
    pub ban_for: Duration,
    /// Which events count (default: all).
    #[serde(default = "all_kinds")]
    pub count: Vec<StrikeKind>,
    /// Clients tracked at once (memory: 32 bytes each).
    #[serde(default = "default_max_clients")]
    pub max_clients: usize,
}

fn all_kinds() -> Vec<StrikeKind> {
    vec![StrikeKind::WafBlock, StrikeKind::RateLimit, StrikeKind::Bot]
}

/// How many recent bans [`AutoBan::list`] can show.
pub const BAN_LOG_SIZE: usize = 4096;

/// Default number of clients tracked.
pub const DEFAULT_MAX_CLIENTS: usize = 65_536;

fn default_max_clients() -> usize {
    DEFAULT_MAX_CLIENTS
}

/// What a strike did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrikeOutcome {
    /// This kind does not count, or the client is already banned.
    Ignored,
    /// Counted; the client now has this many strikes in the window.
    Counted(u32),
    /// This strike earned a ban until this clock time (microseconds).
    Banned {
        /// Ban end, clock microseconds.
        until_micros: u64,
    },
}

/// The auto-ban state.
pub struct AutoBan {
    cfg: BanConfig,
    strikes: SlotTable,
    bans: SlotTable,
    log: BanLog,
    hasher: KeyHasher,
    clock: SharedClock,
}

impl std::fmt::Debug for AutoBan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoBan").field("cfg", &self.cfg).finish()
    }
}

/// Strike state: first strike in ms (48 bits) and count (16 bits).
fn pack(start_ms: u64, count: u32) -> u64 {
    (start_ms << 16) | u64::from(count.min(0xffff))
}

fn ban_expiry(until: u64) -> u64 {
    until
}

impl AutoBan {
    /// Auto-ban with `cfg`.
    pub fn new(cfg: BanConfig, clock: SharedClock) -> Self {
        Self {
            strikes: SlotTable::new(cfg.max_clients),
            bans: SlotTable::new(cfg.max_clients),
            log: BanLog::new(BAN_LOG_SIZE),
            hasher: KeyHasher::new(),
            cfg,
            clock,
        }
    }

    fn key(&self, ip: IpAddr) -> u64 {
        match canonical_ip(ip) {
            IpAddr::V4(a) => self.hasher.hash(&[&a.octets()]),
            IpAddr::V6(a) => self.hasher.hash(&[&a.octets()]),
        }
    }

    /// The time left on `ip`'s ban, if banned.
    pub fn is_banned(&self, ip: IpAddr) -> Option<Duration> {
        let now = self.clock.now_micros();
        let until = self.bans.get(self.key(ip), now, ban_expiry)?;
        Some(Duration::from_micros(until - now))
    }

    /// Bans `ip` for `d` (admin action, or a ban learned from the fleet).
    /// A longer existing ban is kept.
    pub fn ban(&self, ip: IpAddr, d: Duration) -> u64 {
        let now = self.clock.now_micros();
        let until = now.saturating_add(d.as_micros().min(u128::from(u64::MAX)) as u64);
        let until = self.bans.update(self.key(ip), now, ban_expiry, |cur| {
            let until = cur.unwrap_or(0).max(until);
            (Some(until), until)
        });
        self.log.record(canonical_ip(ip), until);
        until
    }

    /// The banned clients and the time left on each, from a record of the
    /// last [`BAN_LOG_SIZE`] bans (for the admin API).
    pub fn list(&self) -> Vec<(IpAddr, Duration)> {
        let now = self.clock.now_micros();
        let live = self.log.candidates(now).into_iter();
        live.filter_map(|ip| Some((ip, self.is_banned(ip)?)))
            .collect()
    }

    /// Lifts `ip`'s ban and clears its strikes; true if it was banned.
    pub fn unban(&self, ip: IpAddr) -> bool {
        let now = self.clock.now_micros();
        let key = self.key(ip);
        self.strikes.remove(key, now, |s| self.strike_expiry(s));
        self.bans.remove(key, now, ban_expiry)
    }

    fn strike_expiry(&self, state: u64) -> u64 {
        ((state >> 16) * 1000).saturating_add(self.cfg.window.as_micros() as u64)
    }

    /// Records a strike of `kind` against `ip`.
    pub fn strike(&self, ip: IpAddr, kind: StrikeKind) -> StrikeOutcome {
        if !self.cfg.count.contains(&kind) || self.is_banned(ip).is_some() {
            return StrikeOutcome::Ignored;
        }
        let now = self.clock.now_micros();
        let key = self.key(ip);
        let limit = self.cfg.strikes.get();
        let count = self.strikes.update(
            key,
            now,
            |s| self.strike_expiry(s),
            |cur| {
                let (start, n) = cur.map_or((now / 1000, 0), |s| (s >> 16, (s & 0xffff) as u32));
                (Some(pack(start, n + 1)), n + 1)
            },
        );
        if count < limit {
            return StrikeOutcome::Counted(count);
        }
        self.strikes.remove(key, now, |s| self.strike_expiry(s));
        let until_micros = self.ban(ip, self.cfg.ban_for);
        ::log::info!(
            "auto-ban: {ip} banned for {:?} after {count} strikes",
            self.cfg.ban_for
        );
        StrikeOutcome::Banned { until_micros }
    }

    /// Frees expired slots; returns (clients with strikes, banned clients).
    pub fn sweep(&self) -> (usize, usize) {
        let now = self.clock.now_micros();
        let s = self.strikes.sweep(now, |s| self.strike_expiry(s));
        (s, self.bans.sweep(now, ban_expiry))
    }

    /// The config in force.
    pub fn config(&self) -> &BanConfig {
        &self.cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::clock::ManualClock;
    use std::sync::Arc;

    fn setup(yaml: &str) -> (AutoBan, Arc<ManualClock>) {
        let cfg: BanConfig = serde_yaml::from_str(yaml).unwrap();
        let clock = ManualClock::new(1_700_000_000_000_000);
        (AutoBan::new(cfg, clock.clone()), clock)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn n_strikes_in_the_window_ban_and_the_ban_expires() {
        let (b, clock) = setup("{strikes: 3, window: 1m, ban_for: 10m}");
        let a = ip("203.0.113.9");
        assert_eq!(b.strike(a, StrikeKind::WafBlock), StrikeOutcome::Counted(1));
        assert_eq!(
            b.strike(a, StrikeKind::RateLimit),
            StrikeOutcome::Counted(2)
        );
        assert!(b.is_banned(a).is_none());
        let out = b.strike(a, StrikeKind::WafBlock);
        assert!(matches!(out, StrikeOutcome::Banned { .. }), "{out:?}");
        assert_eq!(b.is_banned(a), Some(Duration::from_secs(600)));
        assert!(b.is_banned(ip("203.0.113.10")).is_none());
        assert!(b.is_banned(ip("::ffff:203.0.113.9")).is_some(), "mapped");
        assert_eq!(b.strike(a, StrikeKind::WafBlock), StrikeOutcome::Ignored);
        clock.advance(Duration::from_secs(599));
        assert!(b.is_banned(a).is_some());
        clock.advance(Duration::from_secs(1));
        assert!(b.is_banned(a).is_none());
        assert_eq!(b.strike(a, StrikeKind::WafBlock), StrikeOutcome::Counted(1));
    }

    #[test]
    fn strikes_outside_the_window_do_not_add_up() {
        let (b, clock) = setup("{strikes: 2, window: 10s, ban_for: 1m}");
        let a = ip("2001:db8::1");
        assert_eq!(b.strike(a, StrikeKind::Bot), StrikeOutcome::Counted(1));
        clock.advance(Duration::from_secs(11));
        assert_eq!(b.strike(a, StrikeKind::Bot), StrikeOutcome::Counted(1));
        assert!(matches!(
            b.strike(a, StrikeKind::Bot),
            StrikeOutcome::Banned { .. }
        ));
        assert_eq!(b.sweep(), (0, 1));
    }

    #[test]
    fn only_configured_kinds_count_and_admin_ban_unban() {
        let (b, _) = setup("{strikes: 1, window: 10s, ban_for: 1m, count: [waf_block]}");
        let a = ip("198.51.100.1");
        assert_eq!(b.strike(a, StrikeKind::RateLimit), StrikeOutcome::Ignored);
        b.ban(a, Duration::from_secs(3600));
        b.ban(a, Duration::from_secs(5));
        assert_eq!(
            b.is_banned(a),
            Some(Duration::from_secs(3600)),
            "longer ban kept"
        );
        let other: IpAddr = "2001:db8::9".parse().unwrap();
        b.ban(other, Duration::from_secs(60));
        let listed = b.list();
        assert_eq!(listed.len(), 2);
        assert!(
            listed.contains(&(a, Duration::from_secs(3600))),
            "{listed:?}"
        );
        assert!(b.unban(a));
        assert!(b.is_banned(a).is_none());
        assert_eq!(b.list(), vec![(other, Duration::from_secs(60))]);
        assert!(!b.unban(a));
        let bad = serde_yaml::from_str::<BanConfig>("{strikes: 1, window: 1s, ban_for: 1s, x: 1}");
        assert!(bad.is_err());
    }
}
