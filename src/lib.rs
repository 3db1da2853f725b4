//! Rampart: an edge reverse proxy with a built-in web application firewall,
//! on Cloudflare's Pingora.
//!
//! The request's way through the house:
//!
//! ```text
//! client ─► listener (TCP)
//!        ─► early_request_filter : client identity, request id, snapshot      (who is asking)
//!        ─► request_filter        : route match (404 when none)               (what is asked)
//!        ─► upstream_peer         : pool selection, passive failover
//!        ─► upstream_request_filter (forwarded headers, header ops, path rewrite)
//!        ─► response_filter (x-request-id, header ops)
//!        ─► logging : access log line, metrics
//! ```

pub mod access;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod demo;
pub mod explain;
pub mod proxy;
pub mod route;
pub mod snapshot;
pub mod telemetry;
pub mod upstream;
pub mod waf;
