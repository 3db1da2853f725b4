//! Glue between the phases and `access/`: the request attributes the checks
//! read, the early verdict, and the per-route checks after routing.

use super::{respond, RequestCtx};
use crate::access::after_route::Refusal;
use crate::access::early::{DenyReason, EarlyVerdict};
use crate::access::request::{find_cookie, RequestAttrs};
use crate::snapshot::{Route, Snapshot};
use crate::telemetry::metrics;
use bytes::Bytes;
use pingora_error::Result;
use pingora_http::RequestHeader;
use pingora_proxy::Session;
use std::net::IpAddr;

/// What the access checks read of a request.
pub struct View<'a> {
    /// Client IP.
    pub ip: IpAddr,
    /// Route name.
    pub route: &'a str,
    /// The request head.
    pub req: &'a RequestHeader,
}

impl RequestAttrs for View<'_> {
    fn client_ip(&self) -> IpAddr {
        self.ip
    }
    fn route(&self) -> &str {
        self.route
    }
    fn header(&self, n: &str) -> Option<&str> {
        self.req.headers.get(n).and_then(|v| v.to_str().ok())
    }
    fn cookie(&self, n: &str) -> Option<&str> {
        self.req
            .headers
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| find_cookie(c, n))
    }
    fn path(&self) -> &str {
        self.req.uri.path()
    }
    fn method(&self) -> &str {
        self.req.method.as_str()
    }
}

/// The early verdict for the client (lists, bans, global geo), kept in the ctx.
pub fn early(snap: &Snapshot, ctx: &mut RequestCtx) {
    let Some(ip) = ctx.client_ip else { return };
    match snap.access.gate.early(ip) {
        EarlyVerdict::Continue {
            allow_listed,
            skip_waf,
            country,
        } => {
            ctx.allow_listed = allow_listed;
            ctx.skip_waf = skip_waf;
            ctx.country = country;
        }
        EarlyVerdict::Deny(reason) => ctx.denied = Some(reason),
    }
}

/// Answers an early denial. Returns true when the request was refused.
pub async fn refuse_denied(session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
    let Some(reason) = ctx.denied.take() else {
        return Ok(false);
    };
    let (check, retry) = match &reason {
        DenyReason::Banned(left) => ("ban", Some(left.as_secs().max(1))),
        DenyReason::IpList(_) => ("ip_list", None),
        _ => ("geo", None),
    };
    metrics::ACCESS_DENIED.with_label_values(&[check]).inc();
    let extra: Vec<(&str, String)> = retry
        .map(|r| ("retry-after", r.to_string()))
        .into_iter()
        .collect();
    respond::refuse_with(session, ctx, 403, &extra).await?;
    Ok(true)
}

/// Route geo, rate limits, bots and the challenge. Returns true when refused.
pub async fn after_route(
    session: &mut Session,
    ctx: &mut RequestCtx,
    snap: &Snapshot,
    route: &Route,
) -> Result<bool> {
    if ctx.allow_listed {
        return Ok(false);
    }
    let Some(ip) = ctx.client_ip else {
        return Ok(false);
    };
    let view = View {
        ip,
        route: &route.config.name,
        req: session.req_header(),
    };
    let refusal = match snap
        .access
        .after_route(&view, &route.access, ctx.country)
        .await
    {
        Ok(notes) => {
            if let Some(limit) = notes.rate_limit_logged {
                log::info!("rate limit {limit} exceeded (log only) by {ip}");
            }
            if let Some(report) = notes.bot_logged {
                log::info!(
                    "bot score {} for {ip}: {}",
                    report.score,
                    report.signals.names().collect::<Vec<_>>().join(",")
                );
            }
            ctx.set_cookie = notes.set_cookie;
            return Ok(false);
        }
        Err(r) => r,
    };
    match refusal {
        Refusal::Challenge(html) => {
            metrics::ACCESS_DENIED
                .with_label_values(&["challenge"])
                .inc();
            respond::write(
                session,
                ctx,
                403,
                "text/html; charset=utf-8",
                Bytes::from(html),
            )
            .await?;
        }
        Refusal::RateLimited {
            retry_after_secs,
            limit,
        } => {
            metrics::ACCESS_DENIED
                .with_label_values(&["rate_limit"])
                .inc();
            log::info!("rate limit {limit} refused {ip}");
            respond::refuse_with(
                session,
                ctx,
                429,
                &[("retry-after", retry_after_secs.max(1).to_string())],
            )
            .await?;
        }
        other => {
            let check = if matches!(other, Refusal::Geo(_)) {
                "geo"
            } else {
                "bot"
            };
            metrics::ACCESS_DENIED.with_label_values(&[check]).inc();
            respond::refuse_with(session, ctx, other.status(), &[]).await?;
        }
    }
    Ok(true)
}
