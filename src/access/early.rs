//! The early-phase gate: the synchronous who-is-asking checks in the order
//! the proxy runs them (IP lists, bans, geo), as one call. Rate limits
//! (sync in memory, async in fleet mode), bot scoring and challenges need
//! the route and are called by the proxy after routing.

use crate::access::ban::AutoBan;
use crate::access::ip::geo::{CountryCode, GeoDb, GeoDecision, GeoPolicy};
use crate::access::ip::list::{Decision, IpLists};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Why a client was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyReason {
    /// A deny-list entry, with its reason.
    IpList(Arc<str>),
    /// An active ban, with the time left (for Retry-After).
    Banned(Duration),
    /// Geo policy, with the country if known.
    Geo(Option<CountryCode>),
}

/// The gate's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EarlyVerdict {
    /// Go on with the request.
    Continue {
        /// On the allow list: skip bans, geo, rate limits and bot checks.
        allow_listed: bool,
        /// Skip WAF inspection too.
        skip_waf: bool,
        /// The client's country, when a geo database is configured.
        country: Option<CountryCode>,
    },
    /// Refuse with 403 (or 429 with Retry-After for a ban, if preferred).
    Deny(DenyReason),
}

/// The synchronous early checks.
#[derive(Debug, Clone)]
pub struct AccessGate {
    /// IP allow and deny lists.
    pub lists: Arc<IpLists>,
    /// Auto-ban state, if enabled.
    pub bans: Option<Arc<AutoBan>>,
    /// The geo database, if configured.
    pub geo: Option<Arc<GeoDb>>,
    /// The global geo policy (per-route policies are applied by the caller
    /// with [`GeoPolicy::decide`] on the returned country).
    pub geo_policy: Option<GeoPolicy>,
}

impl AccessGate {
    /// Runs the lists, bans and the global geo policy for `ip`.
    pub fn early(&self, ip: IpAddr) -> EarlyVerdict {
        let country = self.geo.as_ref().and_then(|g| g.country(ip));
        match self.lists.lookup(ip) {
            Decision::Deny { reason } => return EarlyVerdict::Deny(DenyReason::IpList(reason)),
            Decision::Allow { skip_waf } => {
                return EarlyVerdict::Continue {
                    allow_listed: true,
                    skip_waf,
                    country,
                }
            }
            Decision::None => {}
        }
        if let Some(left) = self.bans.as_ref().and_then(|b| b.is_banned(ip)) {
            return EarlyVerdict::Deny(DenyReason::Banned(left));
        }
        let geo = self
            .geo
            .is_some()
            .then_some(self.geo_policy.as_ref())
            .flatten();
        if let Some(GeoDecision::Deny(cc)) = geo.map(|p| p.decide(country)) {
            return EarlyVerdict::Deny(DenyReason::Geo(cc));
        }
        EarlyVerdict::Continue {
            allow_listed: false,
            skip_waf: false,
            country,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::ban::{BanConfig, StrikeKind};
    use crate::access::clock::ManualClock;
    use crate::access::ip::list::IpListConfig;

    #[test]
    fn lists_then_bans_then_geo() {
        let clock = ManualClock::new(1_700_000_000_000_000);
        let cfg: IpListConfig =
            serde_yaml::from_str("{allow: [10.0.0.1], deny: [10.0.0.2], allow_skips_waf: true}")
                .unwrap();
        let lists = Arc::new(IpLists::from_config(&cfg, clock.clone()).unwrap());
        let ban_cfg: BanConfig =
            serde_yaml::from_str("{strikes: 1, window: 1m, ban_for: 1m}").unwrap();
        let bans = Arc::new(AutoBan::new(ban_cfg, clock.clone()));
        let gate = AccessGate {
            lists,
            bans: Some(bans.clone()),
            geo: None,
            geo_policy: None,
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let trusted = EarlyVerdict::Continue {
            allow_listed: true,
            skip_waf: true,
            country: None,
        };
        assert_eq!(gate.early(ip("10.0.0.1")), trusted);
        let denied = EarlyVerdict::Deny(DenyReason::IpList("config deny list".into()));
        assert_eq!(gate.early(ip("10.0.0.2")), denied);
        bans.strike(ip("10.0.0.3"), StrikeKind::WafBlock);
        let banned = EarlyVerdict::Deny(DenyReason::Banned(Duration::from_secs(60)));
        assert_eq!(gate.early(ip("10.0.0.3")), banned);
        bans.strike(ip("10.0.0.1"), StrikeKind::WafBlock);
        assert_eq!(gate.early(ip("10.0.0.1")), trusted, "allow list beats bans");
        let plain = EarlyVerdict::Continue {
            allow_listed: false,
            skip_waf: false,
            country: None,
        };
        assert_eq!(gate.early(ip("10.0.0.4")), plain);
    }
}
