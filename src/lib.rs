//! Rampart: an edge reverse proxy with a built-in web application firewall,
//! on Cloudflare's Pingora.
//!
//! The request's way through the house:
//!
//! ```text
//! client ─► listener (TCP)
//!        ─► early_request_filter : client identity (trusted X-Forwarded-For), request id,
//!                                  snapshot; IP lists, bans, global geo      (who is asking)
//!        ─► request_filter        : early denial answered; route match (404 when none);
//!                                  route geo, rate limits, bots / challenge;
//!                                  protocol checks; body held and inspected;
//!                                  WAF rules and detectors → block or go on   (what is asked)
//!        ─► upstream_peer         : pool selection, passive failover
//!        ─► upstream_request_filter (forwarded headers, header ops, path rewrite)
//!        ─► request_body_filter   : the held body handed back to Pingora
//!        ─► response_filter (x-request-id, header ops, challenge pass cookie)
//!        ─► logging : access log line, audit record, metrics, bot behaviour
//! ```
//!
//! Where each part lives (the module table of `DESIGN.md`):
//!
//! | module | owns |
//! |---|---|
//! | [`cli`] | the clap commands (`cli/remote.rs`: the admin client commands); they parse and call into the library |
//! | [`bootstrap`] | the Pingora `Server`: listeners, services, background services |
//! | [`config`] | YAML → validated types (`file` as written, `model` checked, `validate` between them) |
//! | [`snapshot`] | the runtime state compiled from a config, published in one `ArcSwap` |
//! | [`listener`] | per-connection limits around Pingora's HTTP app: connection cap, request-head deadline |
//! | [`proxy`] | `EdgeProxy: ProxyHttp`, thin phases that delegate |
//! | [`route`] | `(host, path, method) → route`, pure matching |
//! | [`access`] | who is asking: `ip/` (client, lists, geo), `ban/`, `ratelimit/`, `fleet/` (Redis), `bot/` (score, behaviour, challenge); entry points `early` and `after_route` |
//! | [`waf`] | the pure WAF: `request/`, `decode/`, `transform/`, `engine/`, `detect/`, `checks/`, `yaml/` |
//! | [`upstream`] | pools over pingora-load-balancing, health checks |
//! | [`tls`] | certificates (PEM files, checked) and the per-SNI store rustls resolves from |
//! | [`acme`] | background ACME service: orders, HTTP-01 challenge store, DNS-01 hook, renewal with backoff, atomic storage, publish to `tls` |
//! | [`admin`] | the authenticated admin API on its own listener: `server` (routes, dispatch), `auth` (logins, JWTs, refresh families, API tokens, roles, lockout), `views` (reads), `changes` (validated, atomic, audited changes), `store` (state folder), `client` (the CLI's side); `openapi.json` |
//! | [`telemetry`] | metrics, access log, audit log, the metrics/health endpoint |
//! | [`explain`] | `rampart waf explain`: one request through a config's WAF, offline |
//! | [`demo`] | the built-in echo upstream of the default config |

pub mod access;
pub mod acme;
pub mod admin;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod demo;
pub mod explain;
pub mod listener;
pub mod proxy;
pub mod route;
pub mod snapshot;
pub mod telemetry;
pub mod tls;
pub mod upstream;
pub mod waf;
