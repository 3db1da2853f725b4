//! Glue between `request_filter` and the pure WAF engine: protocol checks,
//! body holding, evaluation, CSRF, audit records and the block decision.

use super::body::{self, Held};
use super::{respond, RequestCtx};
use crate::snapshot::{Route, Snapshot};
use crate::telemetry::{audit, metrics};
use crate::waf::checks::{csrf, protocol};
use crate::waf::engine::policy::Verdict;
use crate::waf::request::RequestView;
use crate::waf::Mode;
use pingora_error::Result;
use pingora_proxy::Session;

/// Runs every request-phase check for `route`. Returns true when Rampart
/// answered (blocked or refused) and the request must not go upstream.
pub async fn run(
    session: &mut Session,
    ctx: &mut RequestCtx,
    snap: &Snapshot,
    route: &Route,
) -> Result<bool> {
    let waf = &route.config.waf;
    if let Some(status) = protocol_refusal(session, &snap.config.waf, waf) {
        metrics::WAF_REFUSALS
            .with_label_values(&[&route.config.name, "protocol"])
            .inc();
        session.set_keepalive(None);
        respond::refuse(session, ctx, status).await?;
        return Ok(true);
    }
    if waf.mode == Mode::Off || ctx.skip_waf {
        return Ok(false);
    }
    let limits = body::HoldLimits {
        limit: waf.body_limit,
        over: waf.over_limit,
        wait: snap.config.server.body_budget_wait,
    };
    let held = body::hold(session, &limits, &mut ctx.body_permit).await?;
    let inspected = match held {
        Held::Busy => {
            metrics::WAF_REFUSALS
                .with_label_values(&[&route.config.name, "body_budget"])
                .inc();
            session.set_keepalive(None);
            respond::refuse_with(session, ctx, 503, &[("retry-after", "1".to_string())]).await?;
            return Ok(true);
        }
        Held::TooLarge => {
            metrics::WAF_REFUSALS
                .with_label_values(&[&route.config.name, "body_too_large"])
                .inc();
            session.set_keepalive(None);
            respond::refuse(session, ctx, 413).await?;
            return Ok(true);
        }
        Held::None => None,
        Held::Whole(b) if body::needs_pipe(session, &b) => {
            ctx.pipe = Some(b.clone());
            ctx.no_retry = true;
            Some(b)
        }
        Held::Whole(b) => {
            ctx.forward = body::Forward::Whole(b.clone());
            Some(b)
        }
        Held::Prefix(b) => {
            ctx.forward = body::prefix_forward(session, b.clone());
            ctx.no_retry = true;
            Some(b)
        }
    };
    let headers = header_list(session);
    let req = session.req_header();
    let uri = req.uri.path_and_query().map_or("/", |p| p.as_str());
    let ip = ctx
        .client_ip
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    let view = RequestView::new(req.method.as_str(), uri, &headers, inspected.as_deref(), ip);
    let mut verdict = snap.waf.evaluate(&view, &route.policy);
    if let Some(c) = &route.csrf {
        csrf::apply(c, &view, &mut verdict, waf.mode == Mode::Block);
    }
    record(ctx, route, &view, &verdict);
    if verdict.would_block && !verdict.blocked {
        metrics::WAF_DETECTED
            .with_label_values(&[&route.config.name])
            .inc();
    }
    if verdict.blocked {
        ctx.waf_blocked = true;
        metrics::WAF_BLOCKS
            .with_label_values(&[&route.config.name])
            .inc();
        let now = crate::tls::unix_now().max(0) as u64;
        for m in verdict.matches.iter().take(4) {
            crate::telemetry::recent::RECENT.record(ip, m.rule_id, now);
        }
        respond::refuse(session, ctx, verdict.status.unwrap_or(waf.block_status)).await?;
        return Ok(true);
    }
    Ok(false)
}

fn protocol_refusal(
    session: &Session,
    g: &crate::config::WafSettings,
    w: &crate::config::RouteWaf,
) -> Option<u16> {
    let req = session.req_header();
    if !w.allowed_methods.is_empty() && !w.allowed_methods.contains(&req.method) {
        return Some(405);
    }
    let raw = req
        .headers
        .contains_key(http::header::TRANSFER_ENCODING)
        .then(|| session.as_downstream().to_h1_raw());
    protocol::check_headers(
        &req.headers,
        raw.as_deref(),
        g.max_headers,
        g.max_header_bytes,
    )
}

fn header_list(session: &Session) -> Vec<(String, String)> {
    session
        .req_header()
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn record(ctx: &RequestCtx, route: &Route, view: &RequestView<'_>, v: &Verdict) {
    if v.matches.is_empty() {
        return;
    }
    let mode = if route.config.waf.mode == Mode::Block {
        "block"
    } else {
        "detect"
    };
    let action = match (v.blocked, v.would_block) {
        (true, _) => "blocked",
        (false, true) => "would_block",
        _ if v.action == crate::waf::engine::policy::VerdictAction::Allow => "allowed",
        _ => "logged",
    };
    audit::write(&audit::AuditRecord {
        time: crate::telemetry::access_log::now_rfc3339(),
        request_id: &ctx.request_id,
        client_ip: ctx.client_ip.map(|i| i.to_string()).unwrap_or_default(),
        method: view.method(),
        host: view.host(),
        uri: view.uri(),
        route: &route.config.name,
        mode,
        action,
        score: v.score,
        matches: v
            .matches
            .iter()
            .map(|m| audit::AuditMatch {
                rule_id: m.rule_id,
                message: m.message.clone(),
                variable: m.variable.clone(),
                value: crate::waf::redact::redact(&m.variable, &m.value).to_string(),
                tags: m.tags.clone(),
                score: m.score,
            })
            .collect(),
    });
}
