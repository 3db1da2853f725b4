//! `EdgeProxy`: the Pingora `ProxyHttp` implementation. Phase methods are thin
//! and delegate to `route`, `upstream`, `access` and `telemetry`.

mod access_checks;
pub mod body;
pub mod budget;
pub mod ctx;
pub mod headers;
mod inspect;
mod pipe;
mod respond;

use crate::access::ip::client;
use crate::snapshot::Shared;
use crate::telemetry::{access_log, metrics};
use async_trait::async_trait;
pub use ctx::RequestCtx;
use pingora_core::upstreams::peer::HttpPeer;
use pingora_error::{Error, ErrorType, Result};
use pingora_http::{RequestHeader, ResponseHeader};
use pingora_proxy::{ProxyHttp, Session};
use std::sync::Arc;

/// The edge proxy.
pub struct EdgeProxy {
    /// The published snapshot.
    pub shared: Arc<Shared>,
    /// Idle seconds of a keep-alive connection on this listener (Pingora
    /// would otherwise keep an HTTP/1.1 connection open forever).
    pub keepalive_secs: u64,
    /// ACME challenge answers and the `acme.wait` hold.
    pub acme: Arc<crate::acme::Runtime>,
}

fn host_of(session: &Session) -> String {
    let req = session.req_header();
    req.headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default()
}

/// Whether the client's connection came over TLS (set per connection by
/// the listener, so a plain and a TLS listener can share one proxy).
fn terminated_tls(session: &Session) -> bool {
    session.digest().is_some_and(|d| d.ssl_digest.is_some())
}

/// Where a plain-HTTP request to a redirecting route goes: the same URL on
/// the first TLS listener's port (`None` for ACME challenge paths).
fn https_redirect(session: &Session, snap: &crate::snapshot::Snapshot) -> Option<String> {
    let req = session.req_header();
    if headers::redirect_exempt(req.uri.path()) {
        return None;
    }
    let port = snap
        .config
        .listeners
        .iter()
        .find(|l| l.tls)
        .map_or(443, |l| l.address.port());
    let target = req.uri.path_and_query().map_or("/", |p| p.as_str());
    Some(headers::https_location(&host_of(session), target, port))
}

impl EdgeProxy {
    /// Answers a pending ACME HTTP-01 challenge (before routing, access
    /// control and the WAF), or, while `acme.wait` holds traffic, anything
    /// else with 503.
    async fn acme_answer(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        let path = session.req_header().uri.path();
        if path.starts_with(crate::acme::challenges::PREFIX) && !terminated_tls(session) {
            if let Some(answer) = self.acme.challenges.answer(path) {
                metrics::ACME_CHALLENGES_SERVED.inc();
                log::info!("acme: answered the HTTP-01 challenge {path}");
                respond::write(session, ctx, 200, "text/plain", answer.into()).await?;
                return Ok(true);
            }
        }
        if self.acme.holding() {
            respond::write_with(
                session,
                ctx,
                503,
                "text/plain",
                "waiting for certificates (acme.wait)\n".into(),
                &[("retry-after", "10".to_string())],
            )
            .await?;
            return Ok(true);
        }
        Ok(false)
    }
}

#[async_trait]
impl ProxyHttp for EdgeProxy {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> RequestCtx {
        RequestCtx::new()
    }

    async fn early_request_filter(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if pipe::adopt(session, ctx) {
            return Ok(());
        }
        headers::host_from_authority(session.req_header_mut());
        // 0 is Pingora's "forever"; None is no keep-alive (kept).
        if session
            .get_keepalive()
            .is_some_and(|t| t == 0 || t > self.keepalive_secs)
        {
            session.set_keepalive(Some(self.keepalive_secs));
        }
        let snap = self.shared.load();
        let peer = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip());
        let xff: Vec<&str> = session
            .req_header()
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        ctx.client_ip =
            peer.map(|p| client::client_ip(p, &xff, &snap.config.server.trusted_proxies));
        ctx.request_id = headers::request_id(
            session
                .req_header()
                .headers
                .get("x-request-id")
                .map(|v| v.as_bytes()),
        );
        access_checks::early(&snap, ctx);
        ctx.snapshot = Some(snap);
        Ok(())
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        if ctx.piped.is_some() {
            return Ok(false);
        }
        let snap = ctx.snapshot.clone().unwrap_or_else(|| self.shared.load());
        if let Some(why) = headers::bad_host(session.req_header()) {
            log::debug!("400 for request {}: {why}", ctx.request_id);
            session.set_keepalive(None);
            respond::refuse(session, ctx, 400).await?;
            return Ok(true);
        }
        if self.acme_answer(session, ctx).await? {
            return Ok(true);
        }
        if access_checks::refuse_denied(session, ctx).await? {
            return Ok(true);
        }
        let host = host_of(session);
        let req = session.req_header();
        match snap.router.find(&host, req.uri.path(), &req.method) {
            Some(i) => {
                let route = snap.routes[i].clone();
                ctx.route = Some(route.clone());
                if route.config.https_redirect && !terminated_tls(session) {
                    if let Some(location) = https_redirect(session, &snap) {
                        metrics::HTTPS_REDIRECTS
                            .with_label_values(&[&route.config.name])
                            .inc();
                        respond::redirect(session, ctx, &location).await?;
                        return Ok(true);
                    }
                }
                if access_checks::after_route(session, ctx, &snap, &route).await? {
                    return Ok(true);
                }
                let blocked = inspect::run(session, ctx, &snap, &route).await?;
                if let Some(body) = ctx.pipe.take().filter(|_| !blocked) {
                    pipe::forward(session, ctx, body).await?;
                    return Ok(true);
                }
                if ctx.waf_blocked {
                    if let Some(ip) = ctx.client_ip {
                        snap.access
                            .strike(ip, crate::access::ban::StrikeKind::WafBlock)
                            .await;
                    }
                }
                Ok(blocked)
            }
            None => {
                respond::not_found(session, ctx).await?;
                Ok(true)
            }
        }
    }

    async fn upstream_peer(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> Result<Box<HttpPeer>> {
        let route = ctx
            .route
            .clone()
            .ok_or_else(|| Error::explain(ErrorType::InternalError, "no route"))?;
        let pool = &route.pool;
        let key = headers::hash_key(pool.hash_key(), session.req_header(), ctx.client_ip);
        ctx.release_upstream();
        ctx.tries += 1;
        let drains = self.shared.drains.load();
        let drained = drains.get(pool.name()).map_or(&[][..], Vec::as_slice);
        let Some(backend) = pool.select(&key, &ctx.failed, drained) else {
            metrics::UPSTREAM_ERRORS
                .with_label_values(&[pool.name(), "no_healthy_server"])
                .inc();
            return Error::e_explain(ErrorType::HTTPStatus(502), "no healthy upstream server");
        };
        if let Some(f) = crate::upstream::in_flight(&backend) {
            f.start();
            ctx.in_flight = Some(f);
        }
        ctx.upstream = backend.addr.as_inet().copied();
        if let (Some((_, cell)), Some(u)) = (&ctx.piped, ctx.upstream) {
            // A piped child reports its server to the parent's access log.
            let _ = cell.set(u);
        }
        Ok(pool.peer(&backend, &route.config.timeouts))
    }

    async fn request_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<bytes::Bytes>,
        end_of_stream: bool,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        body::forward(&mut ctx.forward, body, end_of_stream);
        Ok(())
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream: &mut RequestHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        let Some(route) = ctx.route.clone() else {
            return Ok(());
        };
        let peer = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip());
        let trusted = match (&ctx.snapshot, peer) {
            (Some(s), Some(p)) => client::is_trusted(p, &s.config.server.trusted_proxies),
            _ => false,
        };
        headers::forwarded(
            upstream,
            peer,
            trusted,
            terminated_tls(session),
            &host_of(session),
            &ctx.request_id,
        );
        // Rampart answered any `Expect: 100-continue` itself.
        let _ = upstream.remove_header(&http::header::EXPECT);
        if let Some((len, _)) = &ctx.piped {
            pipe::fix_framing(upstream, *len);
        }
        headers::apply_request(upstream, &route.config.request_headers);
        if let Some(uri) =
            headers::rewrite_uri(&route.config, upstream.uri.path(), upstream.uri.query())
        {
            let uri = uri
                .parse::<http::Uri>()
                .map_err(|_| Error::explain(ErrorType::HTTPStatus(400), "bad rewritten uri"))?;
            upstream.set_uri(uri);
        }
        Ok(())
    }

    async fn response_filter(
        &self,
        s: &mut Session,
        resp: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        let _ = resp.insert_header("x-request-id", &ctx.request_id);
        if let Some(cookie) = ctx.set_cookie.take() {
            let _ = resp.append_header("set-cookie", cookie);
        }
        if let Some(route) = &ctx.route {
            headers::apply_response(resp, &route.config.response_headers);
            if let Some(hsts) = route.config.hsts.as_deref().filter(|_| terminated_tls(s)) {
                let _ = resp.insert_header("strict-transport-security", hsts);
            }
        }
        Ok(())
    }

    fn fail_to_connect(
        &self,
        session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut RequestCtx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        self.note_failure(ctx, "connect");
        let retries = ctx.route.as_ref().map_or(0, |r| r.pool.config.retries);
        if session.req_header().method.is_idempotent() && ctx.tries <= retries && !ctx.no_retry {
            e.set_retry(true);
        }
        e
    }

    fn error_while_proxy(
        &self,
        peer: &HttpPeer,
        session: &mut Session,
        e: Box<Error>,
        ctx: &mut RequestCtx,
        client_reused: bool,
    ) -> Box<Error> {
        let mut e = e.more_context(format!("Peer: {peer}"));
        if *e.esource() == pingora_error::ErrorSource::Downstream {
            // The client went away: nothing to retry, nothing against the server.
            ctx.release_upstream();
            e.set_retry(false);
            return e;
        }
        // A pooled connection the server had already closed (its keep-alive
        // timeout or request limit) says nothing about the server: retry it
        // on a fresh connection, to the same server if need be.
        if client_reused && e.retry == pingora_error::RetryType::ReusedOnly {
            self.note_stale(ctx);
        } else {
            self.note_failure(ctx, "proxy");
        }
        let retries = ctx.route.as_ref().map_or(0, |r| r.pool.config.retries);
        let idempotent = session.req_header().method.is_idempotent();
        let replayable =
            !session.as_ref().retry_buffer_truncated() && session.response_written().is_none();
        if !idempotent || !replayable || ctx.no_retry {
            e.set_retry(false);
        } else if ctx.tries <= retries {
            // The server failed before answering: another server may answer.
            e.set_retry(true);
        } else {
            e.retry.decide_reuse(client_reused);
        }
        e
    }

    fn allow_spawning_subrequest(&self, _session: &Session, ctx: &RequestCtx) -> bool {
        ctx.piped.is_none()
    }

    async fn logging(&self, session: &mut Session, _e: Option<&Error>, ctx: &mut RequestCtx) {
        ctx.release_upstream();
        if ctx.piped.is_some() {
            return; // the parent logs the request
        }
        let status = session
            .response_written()
            .map_or(ctx.local_status.unwrap_or(0), |r| r.status.as_u16());
        if let (Some(snap), Some(ip)) = (&ctx.snapshot, ctx.client_ip) {
            snap.access.bots.record_status(ip, status);
        }
        let route = ctx.route.as_ref().map(|r| r.config.name.as_str());
        let label = route.unwrap_or("none");
        let elapsed = ctx.started.elapsed();
        metrics::REQUESTS
            .with_label_values(&[label, metrics::status_class(status)])
            .inc();
        metrics::DURATION
            .with_label_values(&[label])
            .observe(elapsed.as_secs_f64());
        let req = session.req_header();
        let host = host_of(session);
        let path = req.uri.path_and_query().map_or("/", |p| p.as_str());
        access_log::write(&access_log::Record {
            time: access_log::now_rfc3339(),
            request_id: &ctx.request_id,
            client_ip: ctx.client_ip.map(|i| i.to_string()).unwrap_or_default(),
            method: req.method.as_str(),
            host: &host,
            path,
            route,
            upstream: ctx.upstream.map(|u| u.to_string()),
            status,
            bytes: session.body_bytes_sent(),
            duration_ms: (elapsed.as_secs_f64() * 1e6).round() / 1e3,
        });
    }
}

impl EdgeProxy {
    /// A stale pooled connection: counted, but the server stays eligible.
    fn note_stale(&self, ctx: &mut RequestCtx) {
        let pool = ctx.route.as_ref().map_or("none", |r| r.pool.name());
        metrics::UPSTREAM_ERRORS
            .with_label_values(&[pool, "stale_connection"])
            .inc();
        ctx.release_upstream();
    }

    fn note_failure(&self, ctx: &mut RequestCtx, kind: &str) {
        if let Some(u) = ctx.upstream {
            ctx.failed.push(u);
        }
        let pool = ctx.route.as_ref().map_or("none", |r| r.pool.name());
        metrics::UPSTREAM_ERRORS
            .with_label_values(&[pool, kind])
            .inc();
        ctx.release_upstream();
    }
}
