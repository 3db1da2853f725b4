//! Per-request context: the snapshot version this request sees and what the
//! phases learned about it.

use crate::snapshot::{Route, Snapshot};
use crate::upstream::least_conn::InFlight;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// State shared across the phases of one request.
pub struct RequestCtx {
    /// Snapshot loaded once at the start of the request.
    pub snapshot: Option<Arc<Snapshot>>,
    /// Matched route.
    pub route: Option<Arc<Route>>,
    /// Request id (incoming or generated).
    pub request_id: String,
    /// Client IP.
    pub client_ip: Option<IpAddr>,
    /// Start time.
    pub started: Instant,
    /// Currently selected upstream server.
    pub upstream: Option<SocketAddr>,
    /// Its in-flight counter.
    pub in_flight: Option<InFlight>,
    /// Servers that failed for this request.
    pub failed: Vec<SocketAddr>,
    /// Upstream attempts so far.
    pub tries: usize,
    /// Status written by Rampart itself (404, blocks), if any.
    pub local_status: Option<u16>,
    /// How `request_body_filter` forwards a held body.
    pub forward: super::body::Forward,
    /// The held body's bytes in the global budget (released with the context).
    pub body_permit: super::budget::Permit,
    /// Never retry this request upstream (its body cannot be replayed).
    pub no_retry: bool,
    /// Skip WAF inspection (an allow-listed client).
    pub skip_waf: bool,
    /// The client is on the allow list: no access checks.
    pub allow_listed: bool,
    /// The client's country (geo database).
    pub country: Option<crate::access::ip::geo::CountryCode>,
    /// An early denial to answer in `request_filter`.
    pub denied: Option<crate::access::early::DenyReason>,
    /// A `Set-Cookie` for the response (a solved challenge).
    pub set_cookie: Option<String>,
    /// The WAF blocked this request (counts as an auto-ban strike).
    pub waf_blocked: bool,
    /// An inspected body Pingora cannot replay: forward it through a subrequest.
    pub pipe: Option<bytes::Bytes>,
    /// This is such a subrequest: the body length to declare upstream, and
    /// where to report the upstream server for the parent's access log.
    pub piped: Option<(usize, Arc<OnceLock<SocketAddr>>)>,
}

impl RequestCtx {
    /// A fresh context.
    pub fn new() -> RequestCtx {
        RequestCtx {
            snapshot: None,
            route: None,
            request_id: String::new(),
            client_ip: None,
            started: Instant::now(),
            upstream: None,
            in_flight: None,
            failed: Vec::new(),
            tries: 0,
            local_status: None,
            forward: super::body::Forward::Stream,
            body_permit: Default::default(),
            no_retry: false,
            skip_waf: false,
            allow_listed: false,
            country: None,
            denied: None,
            set_cookie: None,
            waf_blocked: false,
            pipe: None,
            piped: None,
        }
    }

    /// Releases the in-flight slot of the current upstream, if any.
    pub fn release_upstream(&mut self) {
        if let Some(f) = self.in_flight.take() {
            f.end();
        }
    }
}

impl Default for RequestCtx {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for RequestCtx {
    fn drop(&mut self) {
        self.release_upstream();
    }
}
