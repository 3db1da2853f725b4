//! The admin API's read-only answers: status, health, metrics, the config
//! (secrets redacted), WAF status and rules, routes and upstreams,
//! certificates. Each builds its JSON from the current snapshot.

use super::server::{Admin, Call, Reply};
use crate::waf::engine::policy::Mode;
use pingora_prometheus::prometheus;
use serde_json::{json, Map, Value};

/// Keys whose values never leave the server.
const SECRET_KEYS: &[&str] = &[
    "password_hash",
    "sha256",
    "secret",
    "hmac_key",
    "password",
    "token",
];

/// A WAF mode's name.
pub fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Block => "block",
        Mode::Detect => "detect",
        Mode::Off => "off",
    }
}

/// `GET status`.
pub fn status(a: &Admin) -> Reply {
    let snap = a.shared.load();
    let c = &snap.config;
    Reply::ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "pid": std::process::id(),
        "uptime_seconds": a.started.elapsed().as_secs(),
        "config": { "file": c.source.display().to_string(), "version": snap.version },
        "listeners": c.listeners.iter().map(|l| json!({
            "address": l.address.to_string(), "tls": l.tls, "h2": l.h2,
        })).collect::<Vec<_>>(),
        "routes": c.routes.len(),
        "upstreams": c.upstreams.len(),
        "waf_rules": snap.waf.len(),
        "ready": snap.ready(),
        "admin": { "address": c.admin.address.to_string() },
    }))
}

fn worst(a: &'static str, b: &'static str) -> &'static str {
    let rank = |s| match s {
        "ok" => 0,
        "degraded" => 1,
        _ => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Health components and the worst status among them.
struct Health {
    overall: &'static str,
    components: Vec<Value>,
}

impl Health {
    fn add(&mut self, name: String, status: &'static str, detail: String) {
        self.overall = worst(self.overall, status);
        self.components
            .push(json!({ "name": name, "status": status, "detail": detail }));
    }
}

/// `GET health`: one entry per component, and the worst as the overall status.
pub fn health(a: &Admin) -> Reply {
    let snap = a.shared.load();
    let mut h = Health {
        overall: "ok",
        components: Vec::new(),
    };
    h.add("config".into(), "ok", format!("version {}", snap.version));
    for (name, pool) in &snap.pools {
        let servers = pool.health();
        let up = servers.iter().filter(|(_, ok)| *ok).count();
        let s = match up {
            0 => "down",
            n if n < servers.len() => "degraded",
            _ => "ok",
        };
        let detail = format!("{up} of {} servers healthy", servers.len());
        h.add(format!("upstream:{name}"), s, detail);
    }
    let now = crate::tls::unix_now();
    let first = |names: &[String]| names.first().cloned().unwrap_or_default();
    for cert in a.shared.certs.list() {
        let left = cert.not_after - now;
        let s = match left {
            ..=0 => "down",
            l if l < crate::tls::store::EXPIRY_WARNING_SECS => "degraded",
            _ => "ok",
        };
        let detail = format!("{} days left", left / 86400);
        h.add(format!("certificate:{}", first(&cert.names)), s, detail);
    }
    for row in snap
        .config
        .acme
        .iter()
        .flat_map(|acme| crate::acme::service::status(acme, now))
    {
        let (s, detail) = match &row.last_error {
            Some(e) => ("degraded", e.clone()),
            None => ("ok", format!("not after {}", row.not_after)),
        };
        h.add(format!("acme:{}", first(&row.names)), s, detail);
    }
    Reply::ok(json!({ "status": h.overall, "components": h.components }))
}

/// `GET metrics`: every metric family as JSON (counters and gauges with
/// their samples, histograms with count and sum).
pub fn metrics() -> Reply {
    let mut out = Map::new();
    for fam in prometheus::gather() {
        let mut samples = Vec::new();
        let mut total = 0.0;
        for m in fam.get_metric() {
            let labels: Map<String, Value> = m
                .get_label()
                .iter()
                .map(|l| (l.name().to_string(), Value::from(l.value())))
                .collect();
            let value = match fam.get_field_type() {
                prometheus::proto::MetricType::COUNTER => json!(m.get_counter().value()),
                prometheus::proto::MetricType::GAUGE => json!(m.get_gauge().value()),
                prometheus::proto::MetricType::HISTOGRAM => json!({
                    "count": m.get_histogram().get_sample_count(),
                    "sum": m.get_histogram().get_sample_sum(),
                }),
                _ => Value::Null,
            };
            total += value.as_f64().unwrap_or(0.0);
            samples.push(json!({ "labels": labels, "value": value }));
        }
        out.insert(
            fam.name().to_string(),
            json!({ "help": fam.help(), "total": total, "samples": samples }),
        );
    }
    Reply::ok(Value::Object(out))
}

/// Replaces the values of secret keys, at any depth.
pub fn redact(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if SECRET_KEYS.contains(&k.as_str()) && !v.is_null() {
                    *v = Value::from("<redacted>");
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}

/// `GET config`: the file as the server loaded it, as JSON, secrets redacted.
pub fn config(a: &Admin) -> Reply {
    let snap = a.shared.load();
    let path = &snap.config.source;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return Reply::error(500, "internal", &format!("{}: {e}", path.display())),
    };
    let mut v: Value = serde_yaml::from_str(&text).unwrap_or(Value::Null);
    redact(&mut v);
    Reply::ok(json!({ "file": path.display().to_string(), "version": snap.version, "config": v }))
}

/// The samples of counter `name` among `families`, keyed by their label values.
fn counters(families: &[prometheus::proto::MetricFamily], name: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for fam in families.iter().filter(|f| f.name() == name) {
        for m in fam.get_metric() {
            let label = m
                .get_label()
                .iter()
                .map(|l| l.value().to_string())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(label, json!(m.get_counter().value() as u64));
        }
    }
    out
}

/// `GET waf/status`.
pub fn waf_status(a: &Admin) -> Reply {
    let snap = a.shared.load();
    let crate::telemetry::recent::Top {
        rules,
        clients,
        held,
    } = crate::telemetry::recent::RECENT.top(10);
    let families = prometheus::gather();
    Reply::ok(json!({
        "rules_loaded": snap.waf.len(),
        "routes": snap.routes.iter().map(|r| json!({
            "name": r.config.name,
            "mode": mode_name(r.config.waf.mode),
            "paranoia": r.config.waf.paranoia,
            "threshold": r.config.waf.threshold,
        })).collect::<Vec<_>>(),
        "counters": {
            "blocked": counters(&families, "rampart_waf_blocked_total"),
            "detected": counters(&families, "rampart_waf_detected_total"),
            "refused": counters(&families, "rampart_waf_refused_total"),
            "access_denied": counters(&families, "rampart_access_denied_total"),
        },
        "recent_blocks": held,
        "top_rules": rules.iter().map(|(id, n)| json!({ "id": id, "blocks": n })).collect::<Vec<_>>(),
        "top_blocked_clients": clients.iter().map(|(ip, n)| json!({ "ip": ip.to_string(), "blocks": n })).collect::<Vec<_>>(),
    }))
}

/// The operator rule file's rules as JSON (empty when the file is absent).
pub fn operator_rules(a: &Admin) -> Result<Vec<Value>, String> {
    let path = &a.shared.load().config.admin.rules_file;
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(Vec::new()),
        Ok(text) => {
            let v: Value =
                serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(v.get("rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// `GET waf/rules`.
pub fn rules(a: &Admin) -> Reply {
    let snap = a.shared.load();
    match operator_rules(a) {
        Ok(rules) => Reply::ok(json!({
            "loaded": snap.waf.len(),
            "rule_ids": snap.waf.rule_ids(),
            "operator_file": snap.config.admin.rules_file.display().to_string(),
            "operator_rules": rules,
        })),
        Err(e) => Reply::error(500, "internal", &e),
    }
}

/// `GET proxy/status`.
pub fn proxy_status(a: &Admin) -> Reply {
    let snap = a.shared.load();
    Reply::ok(json!({
        "config_version": snap.version,
        "ready": snap.ready(),
        "listeners": snap.config.listeners.iter().map(|l| json!({
            "address": l.address.to_string(), "tls": l.tls,
            "max_connections": l.max_connections,
        })).collect::<Vec<_>>(),
        "routes": snap.routes.iter().map(|r| json!({
            "name": r.config.name,
            "hosts": r.config.hosts.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>(),
            "path": format!("{:?}", r.config.path),
            "upstream": r.config.upstream,
            "waf": mode_name(r.config.waf.mode),
        })).collect::<Vec<_>>(),
        "upstreams": snap.pools.iter().map(|(name, p)| {
            let h = p.health();
            json!({ "name": name, "servers": h.len(), "healthy": h.iter().filter(|x| x.1).count() })
        }).collect::<Vec<_>>(),
    }))
}

/// `GET proxy/upstreams`.
pub fn upstreams(a: &Admin) -> Reply {
    let snap = a.shared.load();
    let pools: Vec<Value> = snap
        .pools
        .iter()
        .map(|(name, p)| {
            json!({
                "name": name,
                "algorithm": format!("{:?}", p.config.algorithm).to_lowercase(),
                "servers": p.health().iter().map(|(addr, ok)| json!({
                    "address": addr.to_string(),
                    "healthy": ok,
                    "drained": a.shared.drains.is_drained(name, *addr),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Reply::ok(json!({ "pools": pools }))
}

fn cert_rows(a: &Admin) -> Vec<crate::tls::status::CertStatus> {
    let snap = a.shared.load();
    let now = crate::tls::unix_now();
    let mut rows = crate::tls::status::status(&snap.config.tls.certificates, now);
    if let Some(acme) = &snap.config.acme {
        rows.extend(crate::acme::service::status(acme, now));
    }
    rows
}

/// `GET ssl/status`.
pub fn ssl_status(a: &Admin) -> Reply {
    let rows = cert_rows(a);
    let snap = a.shared.load();
    let soon = rows
        .iter()
        .filter(|r| r.seconds_left > 0 && r.seconds_left < crate::tls::store::EXPIRY_WARNING_SECS)
        .count();
    Reply::ok(json!({
        "certificates": rows.len(),
        "expired": rows.iter().filter(|r| r.seconds_left <= 0).count(),
        "expiring_within_7_days": soon,
        "tls_listeners": snap.config.listeners.iter().filter(|l| l.tls).count(),
        "acme": snap.config.acme.as_ref().map(|s| json!({
            "directory": s.directory, "certificates": s.certificates.len(),
        })),
    }))
}

/// `GET ssl/certificates`.
pub fn ssl_certificates(a: &Admin) -> Reply {
    Reply::ok(json!({ "certificates": cert_rows(a) }))
}

/// `GET ssl/certificates/{domain}`: the certificate a client asking for
/// `domain` gets (exact name, wildcard, then the default).
pub fn ssl_certificate(a: &Admin, c: &Call) -> Reply {
    let domain = c.params[0].to_ascii_lowercase();
    let Some(cert) = a.shared.certs.select(Some(&domain)) else {
        return Reply::error(
            404,
            "not_found",
            &format!("no certificate serves `{domain}`"),
        );
    };
    let rows = cert_rows(a);
    let row = rows
        .into_iter()
        .find(|r| r.names == cert.names)
        .map_or_else(
            || {
                serde_json::to_value(crate::tls::status::status(
                    std::slice::from_ref(&cert),
                    crate::tls::unix_now(),
                ))
                .unwrap_or(Value::Null)[0]
                    .clone()
            },
            |r| serde_json::to_value(r).unwrap_or(Value::Null),
        );
    Reply::ok(json!({ "domain": domain, "certificate": row }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let mut v = json!({"admin": {"users": [{"name": "a", "password_hash": "$argon2id$x"}]},
            "access": {"challenge": {"secret": "s"}}, "acme": {"eab": {"hmac_key": "k"}}});
        redact(&mut v);
        let s = v.to_string();
        assert!(
            !s.contains("argon2id") && !s.contains("\"s\"") && !s.contains("\"k\""),
            "{s}"
        );
        assert_eq!(v["admin"]["users"][0]["name"], "a");
    }
}
