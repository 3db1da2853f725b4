//! The `access:` section of the YAML as written: one struct for the section
//! and the per-route part. What is built from it is [`super::state`].

use crate::access::ban::BanConfig;
use crate::access::bot::challenge::ChallengeConfig;
use crate::access::bot::policy::BotPolicy;
use crate::access::bot::BotConfig;
use crate::access::fleet::FleetConfig;
use crate::access::ip::geo::GeoPolicyConfig;
use crate::access::ip::list::IpListConfig;
use crate::access::ratelimit::RateLimitConfig;
use serde::Deserialize;
use std::path::PathBuf;

/// The YAML of geo blocking.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoConfig {
    /// Path of the MaxMind-format database.
    pub database: PathBuf,
    /// The global policy.
    #[serde(default)]
    pub policy: GeoPolicyConfig,
}

/// The `access:` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// IP allow and deny lists.
    #[serde(default)]
    pub ip_lists: IpListConfig,
    /// Geo blocking.
    #[serde(default)]
    pub geo: Option<GeoConfig>,
    /// Rate limits.
    #[serde(default)]
    pub rate_limits: Vec<RateLimitConfig>,
    /// Auto-ban.
    #[serde(default)]
    pub auto_ban: Option<BanConfig>,
    /// Bot scoring.
    #[serde(default)]
    pub bots: BotConfig,
    /// The browser challenge.
    #[serde(default)]
    pub challenge: Option<ChallengeConfig>,
    /// Fleet mode through Redis.
    #[serde(default)]
    pub fleet: Option<FleetConfig>,
}

/// The access part of a route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteAccessConfig {
    /// A geo policy for this route (on top of the global one).
    #[serde(default)]
    pub geo: Option<GeoPolicyConfig>,
    /// Bot thresholds for this route.
    #[serde(default)]
    pub bots: Option<BotPolicy>,
}
