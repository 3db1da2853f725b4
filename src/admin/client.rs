//! The CLI's side of the admin API: one HTTP call with the stored login
//! (refreshed when its access token has expired), the credentials file, and
//! plain-text rendering of the JSON answers.
//!
//! The login lives in `$XDG_CONFIG_HOME/rampart/credentials.json` (or
//! `~/.config/rampart/`), folder 0700, file 0600. `RAMPART_ADMIN_TOKEN`
//! (a static API token) takes precedence, for scripts; `RAMPART_ADMIN_CA`
//! names the CA of an `https://` admin listener.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;

/// Default admin URL.
pub const DEFAULT_URL: &str = "http://127.0.0.1:9091";
/// The environment variable naming a PEM file with the CA that signs the
/// admin listener's certificate (`https://` URLs; default: system roots).
pub const CA_ENV: &str = "RAMPART_ADMIN_CA";
/// The environment variable with a static API token.
pub const TOKEN_ENV: &str = "RAMPART_ADMIN_TOKEN";

static TRUSTED_CA: once_cell::sync::OnceCell<PathBuf> = once_cell::sync::OnceCell::new();

/// Trusts the CA in this PEM file for `https://` admin URLs (`--admin-ca`,
/// `RAMPART_ADMIN_CA`) instead of the system roots. The first call wins.
pub fn trust_ca(pem: PathBuf) {
    let _ = TRUSTED_CA.set(pem);
}

/// A stored login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// Server it belongs to.
    pub admin_url: String,
    /// User name.
    pub username: String,
    /// Access token.
    pub access_token: String,
    /// Refresh token.
    pub refresh_token: String,
    /// When the access token expires (Unix seconds).
    pub expires_at: i64,
}

/// The credentials file.
pub fn credentials_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("rampart").join("credentials.json")
}

/// Reads the stored login.
pub fn load_credentials() -> Option<Credentials> {
    serde_json::from_slice(&std::fs::read(credentials_path()).ok()?).ok()
}

/// Stores a login (folder 0700, file 0600, atomically).
pub fn save_credentials(c: &Credentials) -> Result<PathBuf, String> {
    let path = credentials_path();
    if let Some(dir) = path.parent() {
        super::store::ensure_private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let body = serde_json::to_vec_pretty(c).map_err(|e| e.to_string())?;
    crate::acme::storage::write_atomic(&path, &body)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// An answer: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: Value,
}

/// One HTTP call; `Err` is a message for the operator (connection refused, ...).
pub async fn call(
    url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(Vec<u8>, &str)>,
) -> Result<Answer, String> {
    let base = url.trim_end_matches('/');
    if !base.starts_with("http://") && !base.starts_with("https://") {
        return Err(format!(
            "{url}: expected http://host:port or https://host:port"
        ));
    }
    let uri = format!("{base}{}{path}", super::server::PREFIX);
    let mut req = http::Request::builder().method(method).uri(&uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let (bytes, ctype) = body.unwrap_or((Vec::new(), "application/json"));
    req = req.header("content-type", ctype);
    let req = req
        .body(Full::new(Bytes::from(bytes)))
        .map_err(|e| format!("{uri}: {e}"))?;
    let connector = crate::acme::client::connector(TRUSTED_CA.get().map(PathBuf::as_path), false)?;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let fut = client.request(req);
    let resp = match tokio::time::timeout(std::time::Duration::from_secs(30), fut).await {
        Err(_) => return Err(format!("{base}: no answer within 30 s")),
        Ok(Err(e)) => {
            let refused = format!("{e:?}").contains("ConnectionRefused");
            return Err(if refused {
                format!("cannot reach the admin API at {base}: connection refused. Is Rampart running with the admin API on (`admin:` in the config, conf/README.md)? Use --admin-url to point elsewhere.")
            } else {
                format!("cannot reach the admin API at {base}: {e}")
            });
        }
        Ok(Ok(r)) => r,
    };
    let status = resp.status().as_u16();
    let data = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{base}: reading the answer: {e}"))?
        .to_bytes();
    let body = serde_json::from_slice(&data)
        .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(&data).to_string()));
    Ok(Answer { status, body })
}

/// The token to send: `RAMPART_ADMIN_TOKEN`, or the stored login for
/// `url` (refreshed first when it has expired).
pub async fn token_for(url: &str) -> Result<Option<String>, String> {
    if let Some(t) = std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()) {
        return Ok(Some(t));
    }
    let Some(mut c) = load_credentials().filter(|c| c.admin_url == url) else {
        return Ok(None);
    };
    if c.expires_at > crate::tls::unix_now() + 5 {
        return Ok(Some(c.access_token));
    }
    let body = serde_json::to_vec(&serde_json::json!({ "refresh_token": c.refresh_token }))
        .unwrap_or_default();
    let a = call(
        url,
        "POST",
        "/auth/refresh",
        None,
        Some((body, "application/json")),
    )
    .await?;
    if a.status != 200 {
        return Err(format!(
            "your login to {url} has expired: run `rampart login --admin-url {url}` again"
        ));
    }
    let t: super::auth::TokenResponse =
        serde_json::from_value(a.body).map_err(|e| format!("unexpected refresh answer: {e}"))?;
    c.access_token = t.access_token;
    c.refresh_token = t.refresh_token;
    c.expires_at = crate::tls::unix_now() + t.expires_in as i64;
    save_credentials(&c)?;
    Ok(Some(c.access_token))
}

/// A refusal as a message for the operator.
pub fn explain(a: &Answer, url: &str) -> String {
    let reason = a
        .body
        .get("reason")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| a.body.to_string());
    match a.status {
        401 if reason.contains("expired") || reason.contains("missing") => format!(
            "not logged in or the login has expired ({reason}): run `rampart login --admin-url {url}` again"
        ),
        401 => format!("unauthorized: {reason}: run `rampart login --admin-url {url}`"),
        403 => format!("forbidden: {reason}"),
        422 => {
            let errs = a.body.get("errors").and_then(Value::as_array).cloned().unwrap_or_default();
            let lines: Vec<String> = errs
                .iter()
                .map(|e| {
                    e.get("text")
                        .or_else(|| e.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            format!("rejected, nothing changed:\n  {}", lines.join("\n  "))
        }
        s => format!("error {s}: {reason}"),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            a.iter().map(scalar).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// Renders JSON for a terminal: scalars as `key: value`, arrays of objects
/// as aligned tables, nested objects indented.
pub fn render(v: &Value) -> String {
    let mut out = String::new();
    render_into(&mut out, v, 0);
    out
}

fn render_into(out: &mut String, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match v {
                    Value::Object(inner) if !inner.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        render_into(out, v, indent + 2);
                    }
                    Value::Array(a) if a.iter().any(Value::is_object) => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        table(out, a, indent + 2);
                    }
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(v))),
                }
            }
        }
        Value::Array(a) if a.iter().any(Value::is_object) => table(out, a, indent),
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

fn table(out: &mut String, rows: &[Value], indent: usize) {
    let pad = " ".repeat(indent);
    let mut cols: Vec<String> = Vec::new();
    for r in rows {
        if let Value::Object(m) = r {
            for k in m.keys() {
                if !cols.contains(k) {
                    cols.push(k.clone());
                }
            }
        }
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| scalar(r.get(c).unwrap_or(&Value::Null)))
                .collect()
        })
        .collect();
    let width: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].len())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |vals: Vec<&str>| {
        let parts: Vec<String> = vals
            .iter()
            .zip(&width)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        format!("{pad}{}\n", parts.join("  ").trim_end())
    };
    out.push_str(&line(
        cols.iter()
            .map(|c| c.to_uppercase())
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for r in &cells {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_tables_and_keys() {
        let v = json!({"version": 3, "pools": [{"name": "web", "healthy": true}, {"name": "api", "healthy": false}]});
        let t = render(&v);
        assert!(t.contains("version: 3"), "{t}");
        // Keys come sorted (serde_json's map).
        assert!(t.contains("HEALTHY  NAME"), "{t}");
        assert!(t.contains("false    api"), "{t}");
    }

    #[test]
    fn refusals_say_what_to_do() {
        let a = Answer {
            status: 401,
            body: json!({"error": "unauthorized", "reason": "token expired: refresh it or log in again"}),
        };
        assert!(explain(&a, "http://x").contains("rampart login"));
        let a = Answer {
            status: 403,
            body: json!({"reason": "forbidden: role `viewer` may only read"}),
        };
        assert!(explain(&a, "http://x").starts_with("forbidden"));
    }
}
