//! Active health checks (TCP connect, HTTP status) built from config.

use crate::config::{HealthConfig, HealthKind};
use pingora_core::prelude::HttpPeer;
use pingora_load_balancing::health_check::{HealthCheck, HttpHealthCheck, TcpHealthCheck};

/// Builds Pingora's health check for a pool.
pub fn build(h: &HealthConfig, sni: &str, tls: bool) -> Box<dyn HealthCheck + Send + Sync> {
    match &h.kind {
        HealthKind::Tcp => {
            let mut c = TcpHealthCheck::new();
            c.consecutive_success = h.rise;
            c.consecutive_failure = h.fall;
            c.peer_template.options.connection_timeout = Some(h.timeout);
            c
        }
        HealthKind::Http {
            path,
            host,
            expected_status,
        } => {
            let host = if sni.is_empty() { host.as_str() } else { sni };
            let mut c = HttpHealthCheck::new(host, tls);
            c.consecutive_success = h.rise;
            c.consecutive_failure = h.fall;
            c.req.set_uri(
                http::Uri::try_from(path.as_str()).unwrap_or_else(|_| http::Uri::from_static("/")),
            );
            let mut peer = HttpPeer::new("0.0.0.0:1", tls, sni.to_string());
            peer.options.connection_timeout = Some(h.timeout);
            peer.options.read_timeout = Some(h.timeout);
            c.peer_template = peer;
            let want = *expected_status;
            c.validator = Some(Box::new(move |resp| {
                if resp.status.as_u16() == want {
                    Ok(())
                } else {
                    pingora_error::Error::e_explain(
                        pingora_error::ErrorType::Custom("unexpected status"),
                        format!(
                            "health check got {} (expected {want})",
                            resp.status.as_u16()
                        ),
                    )
                }
            }));
            Box::new(c)
        }
    }
}
