//! The built-in demo upstream: an echo service that answers 200 to any method
//! and path with what it received (method, path, headers as forwarded, body
//! length), so `curl localhost:8080` works on the default config.

use async_trait::async_trait;
use http::Response;
use pingora_core::apps::http_app::ServeHttp;
use pingora_core::protocols::http::ServerSession;
use std::collections::BTreeMap;

/// Body bytes the echo service reads before it stops counting precisely.
const MAX_DRAIN: usize = 1 << 30;

/// The echo app.
pub struct Echo;

#[async_trait]
impl ServeHttp for Echo {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let req = session.req_header();
        let method = req.method.to_string();
        let path = req.uri.to_string();
        let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in req.headers.iter() {
            headers
                .entry(k.as_str().to_string())
                .or_default()
                .push(String::from_utf8_lossy(v.as_bytes()).into_owned());
        }
        let mut body_length = 0usize;
        while body_length < MAX_DRAIN {
            match session.read_request_body().await {
                Ok(Some(chunk)) => body_length += chunk.len(),
                _ => break,
            }
        }
        let body = serde_json::json!({
            "service": "rampart demo upstream (echo)",
            "method": method,
            "path": path,
            "headers": headers,
            "body_length": body_length,
        });
        let mut body = serde_json::to_vec_pretty(&body).unwrap_or_default();
        body.push(b'\n');
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(body)
            .expect("static response parts are valid")
    }
}
