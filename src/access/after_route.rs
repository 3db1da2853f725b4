//! The checks that need the route, in the order the proxy runs them after
//! routing: per-route geo, rate limits (fleet-wide when configured), bot
//! score with the challenge. One call returns what the proxy must answer;
//! strikes for auto-ban are recorded here, and bans shared with the fleet.

use crate::access::ban::{StrikeKind, StrikeOutcome};
use crate::access::bot::challenge::ChallengeCheck;
use crate::access::bot::policy::{BotAction, BotPolicy};
use crate::access::bot::BotReport;
use crate::access::config::RouteAccessConfig;
use crate::access::ip::geo::{CountryCode, GeoDecision, GeoPolicy};
use crate::access::ratelimit::{LimitAction, RateDecision};
use crate::access::request::RequestAttrs;
use crate::access::state::{AccessError, AccessState};
use std::net::IpAddr;
use std::sync::Arc;

/// A route's checked access policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutePolicy {
    /// Geo policy on top of the global one.
    pub geo: Option<GeoPolicy>,
    /// Bot thresholds (no bot scoring without them).
    pub bots: Option<BotPolicy>,
}

impl RoutePolicy {
    /// Compiles a route's config, checked against `state`.
    pub fn new(cfg: &RouteAccessConfig, state: &AccessState) -> Result<Self, AccessError> {
        state.check_route(cfg)?;
        Ok(Self {
            geo: cfg.geo.as_ref().map(GeoPolicy::try_from).transpose()?,
            bots: cfg.bots.clone(),
        })
    }
}

/// Why the request is refused, and how.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The route's geo policy (403).
    Geo(Option<CountryCode>),
    /// A rate limit (429 with `Retry-After`).
    RateLimited {
        /// The limit's name.
        limit: Arc<str>,
        /// Seconds for `Retry-After`.
        retry_after_secs: u64,
    },
    /// Bot score at or above the block threshold, or a challenge that
    /// cannot be served (not a GET/HEAD) (403).
    Bot(BotReport),
    /// Serve this HTML challenge page (403, `Cache-Control: no-store`).
    Challenge(String),
}

impl Refusal {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::RateLimited { .. } => 429,
            _ => 403,
        }
    }
}

/// What happened without refusing, for the access log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notes {
    /// A `log`-action rate limit that was exceeded.
    pub rate_limit_logged: Option<Arc<str>>,
    /// The bot report when the route's policy says log.
    pub bot_logged: Option<BotReport>,
    /// A `Set-Cookie` value to add to the response (challenge solved).
    pub set_cookie: Option<String>,
}

impl AccessState {
    /// Runs the per-route checks for `req` (not for allow-listed clients;
    /// `country` comes from the early verdict). Never fails: Redis trouble
    /// means local limits.
    pub async fn after_route(
        &self,
        req: &(impl RequestAttrs + Sync),
        route: &RoutePolicy,
        country: Option<CountryCode>,
    ) -> Result<Notes, Refusal> {
        if let Some(GeoDecision::Deny(cc)) = route.geo.as_ref().map(|g| g.decide(country)) {
            return Err(Refusal::Geo(cc));
        }
        let mut notes = Notes::default();
        let limited = match &self.fleet {
            Some(f) => f.check(req).await,
            None => self.limiter.check(req),
        };
        if let RateDecision::Limited {
            limit,
            retry_after_secs,
            action,
        } = limited
        {
            if action == LimitAction::Log {
                notes.rate_limit_logged = Some(limit);
            } else {
                self.strike(req.client_ip(), StrikeKind::RateLimit).await;
                return Err(Refusal::RateLimited {
                    limit,
                    retry_after_secs,
                });
            }
        }
        match &route.bots {
            Some(policy) => self.bot_checks(req, policy, notes).await,
            None => Ok(notes),
        }
    }

    async fn bot_checks(
        &self,
        req: &(impl RequestAttrs + Sync),
        policy: &BotPolicy,
        mut notes: Notes,
    ) -> Result<Notes, Refusal> {
        let report = self.bots.score(req);
        let check = self.challenger.as_ref().map(|c| c.evaluate(req));
        let passed = matches!(
            check,
            Some(ChallengeCheck::Passed | ChallengeCheck::Solved { .. })
        );
        if let Some(ChallengeCheck::Solved { set_cookie }) = check {
            notes.set_cookie = Some(set_cookie);
        }
        let navigable = matches!(req.method(), "GET" | "HEAD");
        match (policy.decide(report.score, passed), &self.challenger) {
            (BotAction::Allow, _) => Ok(notes),
            (BotAction::Log, _) => {
                notes.bot_logged = Some(report);
                Ok(notes)
            }
            (BotAction::Challenge, Some(c)) if navigable => Err(Refusal::Challenge(c.page(req))),
            (BotAction::Block | BotAction::Challenge, _) => {
                self.strike(req.client_ip(), StrikeKind::Bot).await;
                Err(Refusal::Bot(report))
            }
        }
    }

    /// Records a strike (call it for WAF blocks with `StrikeKind::WafBlock`);
    /// a resulting ban is shared with the fleet when fleet mode is on.
    pub async fn strike(&self, ip: IpAddr, kind: StrikeKind) -> StrikeOutcome {
        let Some(bans) = &self.gate.bans else {
            return StrikeOutcome::Ignored;
        };
        let out = bans.strike(ip, kind);
        if let (StrikeOutcome::Banned { .. }, Some(fleet)) = (out, &self.fleet) {
            if let Err(e) = fleet.share_ban(ip, bans.config().ban_for).await {
                log::warn!("fleet: could not share the ban of {ip}: {e}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
