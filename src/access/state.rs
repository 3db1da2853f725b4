//! [`AccessState`]: every access check built from the `access:` section
//! ([`super::config`]), carried over on reload, plus the periodic housekeeping
//! the proxy's background service calls.

use crate::access::ban::AutoBan;
use crate::access::bot::challenge::{ChallengeError, Challenger};
use crate::access::bot::BotDetector;
use crate::access::clock::SharedClock;
use crate::access::config::{AccessConfig, RouteAccessConfig};
use crate::access::early::AccessGate;
use crate::access::fleet::Fleet;
use crate::access::ip::geo::{GeoDb, GeoError, GeoPolicy};
use crate::access::ip::list::{IpListError, IpLists};
use crate::access::ratelimit::{RateLimitError, RateLimiter};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Any error building the access checks.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// IP lists or good-bot ranges.
    #[error(transparent)]
    IpList(#[from] IpListError),
    /// Geo database or policy.
    #[error(transparent)]
    Geo(#[from] GeoError),
    /// Rate limits.
    #[error(transparent)]
    RateLimit(#[from] RateLimitError),
    /// Challenge.
    #[error(transparent)]
    Challenge(#[from] ChallengeError),
    /// A challenge threshold on a route without `access.challenge`.
    #[error("a route uses challenge_at but access.challenge is not configured")]
    NoChallenger,
}

/// Every access check, built from an [`AccessConfig`]. Stateful parts are
/// shared through `Arc`s so that [`AccessState::reload`] can carry them over.
#[derive(Debug)]
pub struct AccessState {
    /// Lists, bans and global geo for the early phase.
    pub gate: AccessGate,
    /// In-memory rate limits.
    pub limiter: Arc<RateLimiter>,
    /// Fleet limits and bans, when configured.
    pub fleet: Option<Arc<Fleet>>,
    /// Bot scoring.
    pub bots: Arc<BotDetector>,
    /// The challenge, when configured.
    pub challenger: Option<Challenger>,
    cfg: AccessConfig,
    clock: SharedClock,
    last_geo_check: AtomicU64,
    last_sweep: AtomicU64,
}

type EarlyParts = (Option<Arc<AutoBan>>, Option<Arc<GeoDb>>, Option<GeoPolicy>);
type CountingParts = (Arc<RateLimiter>, Option<Arc<Fleet>>, Arc<BotDetector>);

/// `prev` when `same`, else a freshly made part.
fn keep_or<T, E>(prev: Option<T>, same: bool, make: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    match prev {
        Some(p) if same => Ok(p),
        _ => make(),
    }
}

impl AccessState {
    /// Builds every check; file and database errors are reported here.
    pub fn build(cfg: &AccessConfig, clock: SharedClock) -> Result<Self, AccessError> {
        Self::assemble(cfg, clock, None)
    }

    /// Builds the checks of a new config (SIGHUP), keeping what holds state:
    /// runtime IP entries always; bans, counters, the geo reader and bot
    /// windows when their part of the config did not change. On error
    /// nothing changes.
    pub fn reload(&self, cfg: &AccessConfig) -> Result<Self, AccessError> {
        Self::assemble(cfg, self.clock.clone(), Some(self))
    }

    fn assemble(
        cfg: &AccessConfig,
        clock: SharedClock,
        prev: Option<&Self>,
    ) -> Result<Self, AccessError> {
        let statics = cfg.ip_lists.build()?;
        let gate_parts = Self::early_parts(cfg, &clock, prev)?;
        let (limiter, fleet, bots) = Self::counting_parts(cfg, &clock, prev)?;
        let challenger = cfg
            .challenge
            .clone()
            .map(|ch| Challenger::new(ch, clock.clone()))
            .transpose()?;
        // Every fallible step is done: now touch the shared lists.
        let lists = prev.map_or_else(
            || Arc::new(IpLists::new(clock.clone())),
            |p| p.gate.lists.clone(),
        );
        lists.replace_static(statics);
        let (bans, geo, geo_policy) = gate_parts;
        let now = clock.now_micros();
        Ok(Self {
            gate: AccessGate {
                lists,
                bans,
                geo,
                geo_policy,
            },
            limiter,
            fleet,
            bots,
            challenger,
            cfg: cfg.clone(),
            clock,
            last_geo_check: AtomicU64::new(now),
            last_sweep: AtomicU64::new(now),
        })
    }

    /// Bans and geo, reused from `prev` where their config is unchanged.
    fn early_parts(
        cfg: &AccessConfig,
        clock: &SharedClock,
        prev: Option<&Self>,
    ) -> Result<EarlyParts, AccessError> {
        let same_bans = prev.is_some_and(|p| p.cfg.auto_ban == cfg.auto_ban);
        let bans = keep_or(prev.map(|p| p.gate.bans.clone()), same_bans, || {
            let make = |b| Arc::new(AutoBan::new(b, clock.clone()));
            Ok::<_, AccessError>(cfg.auto_ban.clone().map(make))
        })?;
        let db = |c: &AccessConfig| c.geo.as_ref().map(|g| g.database.clone());
        let same_db = prev.is_some_and(|p| db(&p.cfg) == db(cfg));
        let geo = keep_or(prev.map(|p| p.gate.geo.clone()), same_db, || {
            cfg.geo
                .as_ref()
                .map(|g| GeoDb::open(&g.database).map(Arc::new))
                .transpose()
        })?;
        let policy = cfg
            .geo
            .as_ref()
            .map(|g| GeoPolicy::try_from(&g.policy))
            .transpose()?;
        Ok((bans, geo, policy))
    }

    /// Limiter, fleet and bot windows, reused where unchanged.
    fn counting_parts(
        cfg: &AccessConfig,
        clock: &SharedClock,
        prev: Option<&Self>,
    ) -> Result<CountingParts, AccessError> {
        let same_limits = prev.is_some_and(|p| p.cfg.rate_limits == cfg.rate_limits);
        let limiter = keep_or(prev.map(|p| p.limiter.clone()), same_limits, || {
            RateLimiter::new(&cfg.rate_limits, clock.clone()).map(Arc::new)
        })?;
        let same_fleet = same_limits && prev.is_some_and(|p| p.cfg.fleet == cfg.fleet);
        let fleet = keep_or(prev.map(|p| p.fleet.clone()), same_fleet, || {
            let make = |f| Arc::new(Fleet::new(f, &cfg.rate_limits, clock.clone()));
            Ok::<_, AccessError>(cfg.fleet.clone().map(make))
        })?;
        let same_bots = prev.is_some_and(|p| p.cfg.bots == cfg.bots);
        let bots = keep_or(prev.map(|p| p.bots.clone()), same_bots, || {
            BotDetector::new(&cfg.bots, clock.clone()).map(Arc::new)
        })?;
        Ok((limiter, fleet, bots))
    }

    /// Checks a route's access config against this state.
    pub fn check_route(&self, route: &RouteAccessConfig) -> Result<(), AccessError> {
        if let Some(g) = &route.geo {
            GeoPolicy::try_from(g)?;
        }
        let challenges = route
            .bots
            .as_ref()
            .is_some_and(|b| b.challenge_at.is_some() && !b.api);
        if challenges && self.challenger.is_none() {
            return Err(AccessError::NoChallenger);
        }
        Ok(())
    }

    /// Housekeeping; call about every 500 ms from a background task:
    /// purges expired list entries, pulls fleet bans, checks the geo file
    /// every 10 s, and sweeps the counter tables every 60 s.
    pub async fn maintain(&self) {
        self.gate.lists.purge_expired();
        if let (Some(fleet), Some(bans)) = (&self.fleet, &self.gate.bans) {
            if let Err(e) = fleet.sync_bans(bans).await {
                log::debug!("fleet ban sync: {e}");
            }
        }
        let now = self.clock.now_micros();
        if due(&self.last_geo_check, now, 10_000_000) {
            if let Some(geo) = &self.gate.geo {
                let _ = geo.maybe_reload();
            }
        }
        if due(&self.last_sweep, now, 60_000_000) {
            self.limiter.sweep();
            self.bots.sweep();
            if let Some(b) = &self.gate.bans {
                b.sweep();
            }
        }
    }
}

fn due(last: &AtomicU64, now: u64, every: u64) -> bool {
    let prev = last.load(Ordering::Relaxed);
    now >= prev + every
        && last
            .compare_exchange(prev, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::clock::ManualClock;
    use crate::access::config::GeoConfig;
    use crate::access::early::EarlyVerdict;
    use crate::access::ip::geo::GeoPolicyConfig;

    const YAML: &str = "
ip_lists: {deny: [192.0.2.0/24]}
rate_limits: [{name: per_ip, rate: 2, window: 1s}]
auto_ban: {strikes: 3, window: 1m, ban_for: 1m}
bots: {behaviour: {window: 10s}}
challenge: {secret: '0123456789abcdef0123456789abcdef'}
";

    #[test]
    fn the_whole_section_builds_and_routes_are_checked() {
        let cfg: AccessConfig = serde_yaml::from_str(YAML).unwrap();
        let clock = ManualClock::new(1_700_000_000_000_000);
        let state = AccessState::build(&cfg, clock.clone()).unwrap();
        let denied = state.gate.early("192.0.2.7".parse().unwrap());
        assert!(matches!(denied, EarlyVerdict::Deny(_)));
        let route: RouteAccessConfig =
            serde_yaml::from_str("{bots: {challenge_at: 50}, geo: {deny: [KP]}}").unwrap();
        state.check_route(&route).unwrap();
        let no_challenge = AccessState::build(&AccessConfig::default(), clock).unwrap();
        assert!(matches!(
            no_challenge.check_route(&route),
            Err(AccessError::NoChallenger)
        ));
        assert!(serde_yaml::from_str::<AccessConfig>("{ip_list: {}}").is_err());
    }

    #[test]
    fn errors_surface_from_each_part() {
        let clock = ManualClock::new(1_700_000_000_000_000);
        let bad_geo: AccessConfig =
            serde_yaml::from_str("geo: {database: /nonexistent.mmdb}").unwrap();
        let e = AccessState::build(&bad_geo, clock.clone()).unwrap_err();
        assert!(e.to_string().contains("/nonexistent.mmdb"), "{e}");
        let weak: AccessConfig = serde_yaml::from_str("challenge: {secret: x}").unwrap();
        assert!(matches!(
            AccessState::build(&weak, clock),
            Err(AccessError::Challenge(_))
        ));
    }

    #[test]
    fn reload_keeps_state_and_a_failed_reload_changes_nothing() {
        use crate::access::ban::StrikeKind;
        use crate::access::request::SimpleRequest;
        let cfg: AccessConfig = serde_yaml::from_str(YAML).unwrap();
        let clock = ManualClock::new(1_700_000_000_000_000);
        let state = AccessState::build(&cfg, clock.clone()).unwrap();
        let ip: std::net::IpAddr = "203.0.113.1".parse().unwrap();
        let deny = crate::access::ip::prefix::EntryKind::Deny;
        state
            .gate
            .lists
            .add("198.51.100.0/24".parse().unwrap(), deny, None, "runtime");
        let bans = state.gate.bans.as_ref().unwrap();
        for _ in 0..3 {
            bans.strike(ip, StrikeKind::WafBlock);
        }
        let req = SimpleRequest::new("203.0.113.1");
        state.limiter.check(&req);
        state.limiter.check(&req);
        let mut bad = cfg.clone();
        bad.ip_lists.deny = vec!["10.1.0.0/16".into()];
        bad.geo = Some(GeoConfig {
            database: "/nonexistent.mmdb".into(),
            policy: GeoPolicyConfig::default(),
        });
        assert!(state.reload(&bad).is_err());
        let ok = |s: &AccessState, ip: &str| {
            !matches!(s.gate.early(ip.parse().unwrap()), EarlyVerdict::Deny(_))
        };
        assert!(
            !ok(&state, "192.0.2.7") && ok(&state, "10.1.2.3"),
            "unchanged"
        );
        let mut next = cfg.clone();
        next.ip_lists.deny = vec!["10.9.0.0/16".into()];
        let reloaded = state.reload(&next).unwrap();
        assert!(ok(&reloaded, "192.0.2.7") && !ok(&reloaded, "10.9.1.1"));
        assert!(!ok(&reloaded, "198.51.100.9"), "runtime entries survive");
        assert!(!ok(&reloaded, "203.0.113.1"), "bans survive");
        let limited = reloaded.limiter.check(&req);
        assert!(matches!(
            limited,
            crate::access::ratelimit::RateDecision::Limited { .. }
        ));
        next.rate_limits[0].rate = std::num::NonZeroU32::new(100).unwrap();
        let changed = reloaded.reload(&next).unwrap();
        let fresh = changed.limiter.check(&req);
        assert_eq!(
            fresh,
            crate::access::ratelimit::RateDecision::Allow,
            "new limits, new counters"
        );
    }

    #[tokio::test]
    async fn maintain_purges_expired_entries() {
        let cfg: AccessConfig = serde_yaml::from_str(YAML).unwrap();
        let clock = ManualClock::new(1_700_000_000_000_000);
        let state = AccessState::build(&cfg, clock.clone()).unwrap();
        let net = "203.0.113.1/32".parse().unwrap();
        let deny = crate::access::ip::prefix::EntryKind::Deny;
        let ttl = Some(std::time::Duration::from_secs(1));
        state.gate.lists.add(net, deny, ttl, "t");
        clock.advance(std::time::Duration::from_secs(61));
        state.maintain().await;
        assert_eq!(state.gate.lists.len().1, 0);
    }
}
