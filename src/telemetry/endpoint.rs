//! The metrics listener: `/metrics` (Prometheus text), `/healthz` (alive) and
//! `/readyz` (config loaded and every pool has a healthy server).

use crate::snapshot::Shared;
use async_trait::async_trait;
use http::Response;
use pingora_core::apps::http_app::ServeHttp;
use pingora_core::protocols::http::ServerSession;
use pingora_prometheus::prometheus::{self, Encoder, TextEncoder};
use std::sync::Arc;

/// The metrics / health HTTP app.
pub struct Endpoint {
    /// Current snapshot.
    pub shared: Arc<Shared>,
}

fn reply(status: u16, ctype: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header("content-type", ctype)
        .header("content-length", body.len())
        .body(body)
        .expect("static response parts are valid")
}

#[async_trait]
impl ServeHttp for Endpoint {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let path = session.req_header().uri.path().to_string();
        match path.as_str() {
            "/healthz" => reply(200, "text/plain", b"ok\n".to_vec()),
            "/readyz" => {
                let snap = self.shared.load();
                let mut body = String::new();
                let mut ok = true;
                for (name, pool) in &snap.pools {
                    let healthy = pool.any_healthy();
                    ok &= healthy;
                    body.push_str(&format!(
                        "{name}: {}\n",
                        if healthy { "ok" } else { "no healthy server" }
                    ));
                }
                let head = format!(
                    "config version {}: {}\n",
                    snap.version,
                    if ok { "ready" } else { "not ready" }
                );
                reply(
                    if ok { 200 } else { 503 },
                    "text/plain",
                    (head + &body).into_bytes(),
                )
            }
            "/metrics" => {
                let mut buf = Vec::new();
                let _ = TextEncoder::new().encode(&prometheus::gather(), &mut buf);
                reply(200, "text/plain; version=0.0.4", buf)
            }
            _ => reply(
                404,
                "text/plain",
                b"not found: try /metrics, /healthz, /readyz\n".to_vec(),
            ),
        }
    }
}
