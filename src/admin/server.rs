//! The admin listener's HTTP app: reads a request (body bounded), finds its
//! route in [`ROUTES`], authenticates and authorises the caller, and calls
//! the handler. Every answer is JSON; every refusal says why.

use super::auth::{require, Auth, AuthError, Principal};
use super::store::Store;
use super::{changes, rules, views};
use crate::config::admin::Role;
use crate::snapshot::Shared;
use async_trait::async_trait;
use bytes::Bytes;
use http::Response;
use pingora_core::apps::http_app::ServeHttp;
use pingora_core::protocols::http::ServerSession;
use serde_json::{json, Value};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

/// Every route's path starts with this.
pub const PREFIX: &str = "/admin/api/v1";
/// Largest request body the admin API reads (a whole config fits).
pub const MAX_BODY: usize = 4 << 20;

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Password login.
    Login,
    /// Refresh-token rotation.
    Refresh,
    /// The OpenAPI document.
    OpenApi,
    /// Process and config summary.
    Status,
    /// Health per component.
    Health,
    /// Metrics as JSON.
    Metrics,
    /// The config, secrets redacted.
    ConfigGet,
    /// Replace the config or one section.
    ConfigPut,
    /// Re-read the config file.
    ConfigReload,
    /// WAF counters, top rules and clients, modes.
    WafStatus,
    /// Block an address or network.
    BlockIp,
    /// Remove a block.
    UnblockIp,
    /// List rules.
    RulesList,
    /// Add an operator rule.
    RuleAdd,
    /// Replace an operator rule.
    RuleUpdate,
    /// Remove an operator rule.
    RuleDelete,
    /// Routes, listeners, pools.
    ProxyStatus,
    /// Servers with health and drain state.
    Upstreams,
    /// Drain a server.
    Drain,
    /// Undrain a server.
    Undrain,
    /// Certificate summary.
    SslStatus,
    /// Every certificate.
    SslCerts,
    /// The certificate serving a name.
    SslCert,
    /// Ask for a renewal.
    SslRenew,
}

/// One route: method, path under [`PREFIX`] (`{x}` is a parameter), the
/// role it needs (`None`: no credential, for the login itself), and the op.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path template.
    pub path: &'static str,
    /// Role needed.
    pub role: Option<Role>,
    /// Handler.
    pub op: Op,
}

const fn r(method: &'static str, path: &'static str, role: Option<Role>, op: Op) -> Route {
    Route {
        method,
        path,
        role,
        op,
    }
}

const V: Option<Role> = Some(Role::Viewer);
const A: Option<Role> = Some(Role::Admin);

/// Every route of the admin API (the OpenAPI document lists exactly these).
pub const ROUTES: &[Route] = &[
    r("POST", "/auth/login", None, Op::Login),
    r("POST", "/auth/refresh", None, Op::Refresh),
    r("GET", "/openapi.json", V, Op::OpenApi),
    r("GET", "/status", V, Op::Status),
    r("GET", "/health", V, Op::Health),
    r("GET", "/metrics", V, Op::Metrics),
    r("GET", "/config", V, Op::ConfigGet),
    r("PUT", "/config", A, Op::ConfigPut),
    r("POST", "/config/reload", A, Op::ConfigReload),
    r("GET", "/waf/status", V, Op::WafStatus),
    r("POST", "/waf/block-ip", A, Op::BlockIp),
    r("DELETE", "/waf/block-ip/{ip}", A, Op::UnblockIp),
    r("GET", "/waf/rules", V, Op::RulesList),
    r("POST", "/waf/rules", A, Op::RuleAdd),
    r("PUT", "/waf/rules/{name}", A, Op::RuleUpdate),
    r("DELETE", "/waf/rules/{name}", A, Op::RuleDelete),
    r("GET", "/proxy/status", V, Op::ProxyStatus),
    r("GET", "/proxy/upstreams", V, Op::Upstreams),
    r(
        "POST",
        "/proxy/upstreams/{pool}/{server}/drain",
        A,
        Op::Drain,
    ),
    r(
        "POST",
        "/proxy/upstreams/{pool}/{server}/undrain",
        A,
        Op::Undrain,
    ),
    r("GET", "/ssl/status", V, Op::SslStatus),
    r("GET", "/ssl/certificates", V, Op::SslCerts),
    r("GET", "/ssl/certificates/{domain}", V, Op::SslCert),
    r("POST", "/ssl/certificates/{domain}/renew", A, Op::SslRenew),
];

/// The OpenAPI 3.1 document served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// A request as the handlers see it.
pub struct Call {
    /// Path parameters in template order (percent-decoded).
    pub params: Vec<String>,
    /// Query string.
    pub query: Option<String>,
    /// Body.
    pub body: Bytes,
    /// The caller (`None` on public routes).
    pub who: Option<Principal>,
    /// Client address.
    pub client: IpAddr,
}

impl Call {
    /// The caller's name for audit records.
    pub fn actor(&self) -> &str {
        self.who.as_ref().map_or("-", |p| p.name.as_str())
    }

    /// The body as JSON (or YAML, which includes JSON).
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Reply> {
        serde_yaml::from_slice(&self.body)
            .map_err(|e| Reply::error(400, "bad_request", &format!("invalid request body: {e}")))
    }

    /// A query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == name).then(|| percent_decode(v))
        })
    }
}

/// An answer.
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: u16,
    /// JSON body.
    pub body: Value,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// 200 with `body`.
    pub fn ok(body: Value) -> Reply {
        Reply::with(200, body)
    }

    /// `status` with `body`.
    pub fn with(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// An error body `{"error", "reason"}`.
    pub fn error(status: u16, error: &str, reason: &str) -> Reply {
        Reply::with(status, json!({ "error": error, "reason": reason }))
    }

    fn auth(e: &AuthError) -> Reply {
        let kind = match e.status() {
            403 => "forbidden",
            429 => "too_many_requests",
            _ => "unauthorized",
        };
        let mut r = Reply::error(e.status(), kind, &e.to_string());
        match e {
            AuthError::LockedOut(s) => r.headers.push(("retry-after", s.to_string())),
            AuthError::Forbidden(_) => {}
            _ => r
                .headers
                .push(("www-authenticate", "Bearer realm=\"rampart\"".into())),
        }
        r
    }
}

/// Decodes `%XX` escapes (a CIDR's `/` arrives as `%2F`), with the WAF's
/// one percent decoder.
pub fn percent_decode(s: &str) -> String {
    crate::waf::decode::percent_decode(s, false).0.into_owned()
}

/// Finds the route of `method path` (path under [`PREFIX`]): the route and
/// its parameters, or whether the path exists with other methods.
pub fn find(method: &str, path: &str) -> Result<(&'static Route, Vec<String>), bool> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut path_known = false;
    for route in ROUTES {
        let tpl: Vec<&str> = route.path.split('/').collect();
        if tpl.len() != segs.len() {
            continue;
        }
        let mut params = Vec::new();
        let fits = tpl.iter().zip(&segs).all(|(t, s)| {
            if t.starts_with('{') {
                params.push(percent_decode(s));
                !s.is_empty()
            } else {
                t == s
            }
        });
        if fits {
            if route.method == method {
                return Ok((route, params));
            }
            path_known = true;
        }
    }
    Err(path_known)
}

/// The admin HTTP app.
pub struct Admin {
    /// The running server's state.
    pub shared: Arc<Shared>,
    /// Credentials.
    pub auth: Auth,
    /// State on disk.
    pub store: Store,
    /// When the process started.
    pub started: Instant,
}

impl Admin {
    async fn serve(&self, session: &mut ServerSession) -> Reply {
        let req = session.req_header();
        let method = req.method.as_str().to_string();
        let full = req.uri.path().to_string();
        let query = req.uri.query().map(str::to_string);
        let header = req
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let client = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        let Some(path) = full.strip_prefix(PREFIX) else {
            return Reply::error(404, "not_found", "the admin API lives under /admin/api/v1");
        };
        let (route, params) = match find(&method, path) {
            Ok(found) => found,
            Err(true) => {
                return Reply::error(
                    405,
                    "method_not_allowed",
                    "this path does not take that method",
                )
            }
            Err(false) => {
                return Reply::error(
                    404,
                    "not_found",
                    "no such endpoint; GET /admin/api/v1/openapi.json lists them",
                )
            }
        };
        let cfg = self.shared.load().config.clone();
        let who = match route.role {
            None => None,
            Some(role) => match self
                .auth
                .authenticate(&cfg.admin, header.as_deref())
                .and_then(|p| require(&p, role).map(|()| p))
            {
                Ok(p) => Some(p),
                Err(e) => return Reply::auth(&e),
            },
        };
        let body = match read_body(session).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        let call = Call {
            params,
            query,
            body,
            who,
            client,
        };
        self.dispatch(route.op, &call).await
    }

    async fn dispatch(&self, op: Op, c: &Call) -> Reply {
        match op {
            Op::Login => self.login(c).await,
            Op::Refresh => self.refresh(c).await,
            Op::OpenApi => Reply::ok(serde_json::from_str(OPENAPI).unwrap_or(Value::Null)),
            Op::Status => views::status(self),
            Op::Health => views::health(self),
            Op::Metrics => views::metrics(),
            Op::ConfigGet => views::config(self),
            Op::ConfigPut => changes::config_put(self, c).await,
            Op::ConfigReload => changes::config_reload(self, c).await,
            Op::WafStatus => views::waf_status(self),
            Op::BlockIp => changes::block_ip(self, c).await,
            Op::UnblockIp => changes::unblock_ip(self, c).await,
            Op::RulesList => views::rules(self),
            Op::RuleAdd => rules::rule_add(self, c).await,
            Op::RuleUpdate => rules::rule_update(self, c).await,
            Op::RuleDelete => rules::rule_delete(self, c).await,
            Op::ProxyStatus => views::proxy_status(self),
            Op::Upstreams => views::upstreams(self),
            Op::Drain => changes::drain(self, c, true).await,
            Op::Undrain => changes::drain(self, c, false).await,
            Op::SslStatus => views::ssl_status(self),
            Op::SslCerts => views::ssl_certificates(self),
            Op::SslCert => views::ssl_certificate(self, c),
            Op::SslRenew => changes::ssl_renew(self, c).await,
        }
    }

    async fn login(&self, c: &Call) -> Reply {
        #[derive(serde::Deserialize)]
        struct Login {
            username: String,
            password: String,
        }
        let body: Login = match c.json() {
            Ok(b) => b,
            Err(r) => return r,
        };
        let cfg = self.shared.load().config.clone();
        match self
            .auth
            .login(&cfg.admin, c.client, &body.username, &body.password)
            .await
        {
            Ok(t) => {
                log::info!("admin: {} logged in from {}", body.username, c.client);
                Reply::ok(serde_json::to_value(t).unwrap_or(Value::Null))
            }
            Err(e) => {
                log::warn!("admin: failed login from {}: {e}", c.client);
                Reply::auth(&e)
            }
        }
    }

    async fn refresh(&self, c: &Call) -> Reply {
        #[derive(serde::Deserialize)]
        struct Refresh {
            refresh_token: String,
        }
        let body: Refresh = match c.json() {
            Ok(b) => b,
            Err(r) => return r,
        };
        let cfg = self.shared.load().config.clone();
        match self.auth.refresh(&cfg.admin, &body.refresh_token).await {
            Ok(t) => Reply::ok(serde_json::to_value(t).unwrap_or(Value::Null)),
            Err(e) => Reply::auth(&e),
        }
    }
}

async fn read_body(session: &mut ServerSession) -> Result<Bytes, Reply> {
    let mut buf = Vec::new();
    loop {
        match session.read_request_body().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > MAX_BODY {
                    return Err(Reply::error(
                        413,
                        "payload_too_large",
                        "the admin API reads at most 4 MiB",
                    ));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(Bytes::from(buf)),
            Err(_) => {
                return Err(Reply::error(
                    400,
                    "bad_request",
                    "cannot read the request body",
                ))
            }
        }
    }
}

#[async_trait]
impl ServeHttp for Admin {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let reply = self.serve(session).await;
        let mut body = serde_json::to_vec_pretty(&reply.body).unwrap_or_default();
        body.push(b'\n');
        let mut b = Response::builder()
            .status(reply.status)
            .header("content-type", "application/json")
            .header("cache-control", "no-store")
            .header("content-length", body.len());
        for (k, v) in &reply.headers {
            b = b.header(*k, v.as_str());
        }
        b.body(body).unwrap_or_else(|_| Response::new(Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_lists_exactly_the_routes() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        let mut documented = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let public = op.get("security").is_some_and(|s| s == &json!([]));
                let role = op["x-rampart-role"].as_str().unwrap().to_string();
                documented.push((method.to_uppercase(), path.clone(), public, role));
            }
        }
        let mut routed: Vec<_> = ROUTES
            .iter()
            .map(|r| {
                let role = r.role.map_or("none", Role::as_str).to_string();
                (
                    r.method.to_string(),
                    r.path.to_string(),
                    r.role.is_none(),
                    role,
                )
            })
            .collect();
        documented.sort();
        routed.sort();
        assert_eq!(documented, routed);
    }

    #[test]
    fn routes_match_with_parameters() {
        let (r, p) = find("DELETE", "/waf/block-ip/10.0.0.0%2F8").unwrap();
        assert_eq!(r.op, Op::UnblockIp);
        assert_eq!(p, vec!["10.0.0.0/8"]);
        let (r, p) = find("POST", "/proxy/upstreams/web/127.0.0.1:80/drain").unwrap();
        assert_eq!(r.op, Op::Drain);
        assert_eq!(p, vec!["web", "127.0.0.1:80"]);
        assert!(
            find("GET", "/waf/block-ip/1.2.3.4").unwrap_err(),
            "path known, method not"
        );
        assert!(!find("GET", "/nothing").unwrap_err());
        assert_eq!(percent_decode("a%2f%zz%"), "a/%zz%");
        assert_eq!(percent_decode("q=a+b"), "q=a+b");
    }
}
