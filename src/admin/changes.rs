//! The admin API's changes: config apply and reload, IP blocks, operator
//! rules, drains, certificate renewal. Each one is validated exactly as a
//! file on disk would be, written atomically, applied through a snapshot
//! reload, and recorded in the audit log.

use super::server::{Admin, Call, Reply};
use super::store::{AuditRecord, Block, Drain};
use crate::access::ip::prefix::EntryKind;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;

impl Admin {
    /// Writes an audit record for `c`.
    pub(super) fn audit(
        &self,
        c: &Call,
        action: &str,
        target: &str,
        result: &str,
        before: Value,
        after: Value,
    ) {
        self.store.audit(&AuditRecord {
            time: crate::telemetry::access_log::now_rfc3339(),
            actor: c.actor(),
            client: c.client.to_string(),
            action,
            target: target.to_string(),
            result: result.to_string(),
            before,
            after,
        });
    }

    /// Reloads the snapshot off the runtime threads (building pools resolves names).
    pub(super) async fn reload(&self) -> Result<u64, String> {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || shared.reload())
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
    }
}

pub(super) fn unprocessable(errors: Vec<Value>) -> Reply {
    Reply::with(422, json!({ "error": "invalid", "errors": errors }))
}

fn config_error(e: &crate::config::ConfigError) -> Value {
    json!({
        "file": e.file.display().to_string(), "line": e.line,
        "key": e.key, "message": e.message, "text": e.to_string(),
    })
}

pub(super) fn message(m: impl std::fmt::Display) -> Value {
    json!({ "message": m.to_string() })
}

pub(super) fn io_error(e: impl std::fmt::Display) -> Reply {
    Reply::error(500, "internal", &e.to_string())
}

/// Writes `text` over `path` atomically, keeping the old file's mode.
pub(super) fn replace_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .ok();
    crate::acme::storage::write_atomic(path, text.as_bytes())?;
    if let Some(m) = mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m))?;
    }
    Ok(())
}

/// `PUT config[?section=NAME]`: a whole config file, or one top-level
/// section, as YAML or JSON.
pub async fn config_put(a: &Admin, c: &Call) -> Reply {
    let _one_at_a_time = a.store.apply.lock().await;
    let path = a.shared.load().config.source.clone();
    let Ok(body) = std::str::from_utf8(&c.body) else {
        return Reply::error(400, "bad_request", "the body is not UTF-8");
    };
    let old = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => return io_error(format!("{}: {e}", path.display())),
    };
    let section = c.query_param("section");
    let new = match &section {
        None => body.to_string(),
        Some(name) => match with_section(&old, name, body) {
            Ok(t) => t,
            Err(e) => return unprocessable(vec![message(e)]),
        },
    };
    let env = |k: &str| std::env::var(k).ok();
    let cfg = match crate::config::load_str(&path, &new, &env) {
        Ok(cfg) => cfg,
        Err(e) => {
            a.audit(
                c,
                "config.apply",
                &path.display().to_string(),
                &e.to_string(),
                Value::Null,
                Value::Null,
            );
            return unprocessable(vec![config_error(&e)]);
        }
    };
    if let Err(e) = crate::snapshot::compile_rules(&cfg) {
        return unprocessable(vec![message(e)]);
    }
    let backup = match a.store.backup(&path) {
        Ok(b) => b,
        Err(e) => return io_error(format!("cannot back up {}: {e}", path.display())),
    };
    if let Err(e) = replace_file(&path, &new) {
        return io_error(format!("cannot write {}: {e}", path.display()));
    }
    let target = path.display().to_string();
    let section_json = json!(section);
    match a.reload().await {
        Ok(v) => {
            a.audit(
                c,
                "config.apply",
                &target,
                "ok",
                Value::Null,
                json!({ "section": section_json, "version": v }),
            );
            Reply::ok(json!({ "version": v, "backup": backup.display().to_string() }))
        }
        Err(e) => {
            // Validated but not buildable (a server name that does not
            // resolve, say): put the old file back; the old config serves on.
            let _ = replace_file(&path, &old);
            a.audit(c, "config.apply", &target, &e, Value::Null, Value::Null);
            unprocessable(vec![message(e)])
        }
    }
}

/// The config text `old` with top-level key `name` replaced by `body`.
fn with_section(old: &str, name: &str, body: &str) -> Result<String, String> {
    let mut root: serde_yaml::Mapping = if old.trim().is_empty() {
        serde_yaml::Mapping::new()
    } else {
        serde_yaml::from_str(old).map_err(|e| format!("the current config does not parse: {e}"))?
    };
    let value: serde_yaml::Value =
        serde_yaml::from_str(body).map_err(|e| format!("section `{name}`: {e}"))?;
    root.insert(name.into(), value);
    serde_yaml::to_string(&root).map_err(|e| e.to_string())
}

/// `POST config/reload`.
pub async fn config_reload(a: &Admin, c: &Call) -> Reply {
    let _one_at_a_time = a.store.apply.lock().await;
    let target = a.shared.load().config.source.display().to_string();
    match a.reload().await {
        Ok(v) => {
            a.audit(
                c,
                "config.reload",
                &target,
                "ok",
                Value::Null,
                json!({ "version": v }),
            );
            Reply::ok(json!({ "version": v }))
        }
        Err(e) => {
            a.audit(c, "config.reload", &target, &e, Value::Null, Value::Null);
            unprocessable(vec![message(e)])
        }
    }
}

/// The longest runtime block (longer is a list entry in the config).
const MAX_BLOCK: std::time::Duration = std::time::Duration::from_secs(10 * 365 * 86400);

/// `POST waf/block-ip` with `{"ip", "duration", "reason"}`.
pub async fn block_ip(a: &Admin, c: &Call) -> Reply {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Req {
        ip: String,
        duration: Option<String>,
        reason: Option<String>,
    }
    let req: Req = match c.json() {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(net) = crate::access::ip::list::parse_entry(&req.ip) else {
        return Reply::error(
            400,
            "bad_request",
            &format!("`{}` is not an IP address or CIDR", req.ip),
        );
    };
    let ttl = match req
        .duration
        .as_deref()
        .map(|d| humantime::parse_duration(d.trim()))
    {
        None => None,
        Some(Ok(d)) if !d.is_zero() && d <= MAX_BLOCK => Some(d),
        Some(_) => {
            return Reply::error(
                400,
                "bad_request",
                "duration: expected a duration such as `30m`, `1h`, `7d` (at most 10 years)",
            )
        }
    };
    let reason = req
        .reason
        .unwrap_or_else(|| format!("blocked by {} through the admin API", c.actor()));
    let until = ttl.map(|d| crate::tls::unix_now() + d.as_secs() as i64);
    let block = Block {
        net: net.to_string(),
        until,
        reason: reason.clone(),
        by: c.actor().to_string(),
    };
    let stored = block.clone();
    let saved = a
        .store
        .update(move |st| {
            st.blocks.retain(|b| b.net != stored.net);
            st.blocks.push(stored);
        })
        .await;
    if let Err(e) = saved {
        return io_error(format!("cannot save the block: {e}"));
    }
    a.shared
        .load()
        .access
        .gate
        .lists
        .add(net, EntryKind::Deny, ttl, &reason);
    let after = serde_json::to_value(&block).unwrap_or(Value::Null);
    a.audit(
        c,
        "waf.block-ip",
        &block.net,
        "ok",
        Value::Null,
        after.clone(),
    );
    Reply::with(201, json!({ "blocked": after }))
}

/// `DELETE waf/block-ip/{ip}` (a CIDR's `/` as `%2F`).
pub async fn unblock_ip(a: &Admin, c: &Call) -> Reply {
    let Some(net) = crate::access::ip::list::parse_entry(&c.params[0]) else {
        return Reply::error(
            400,
            "bad_request",
            &format!("`{}` is not an IP address or CIDR", c.params[0]),
        );
    };
    let key = net.to_string();
    let k = key.clone();
    let before = a
        .store
        .update(move |st| {
            let before = st.blocks.iter().find(|b| b.net == k).cloned();
            st.blocks.retain(|b| b.net != k);
            before
        })
        .await;
    let before = match before {
        Ok(b) => b,
        Err(e) => return io_error(format!("cannot save: {e}")),
    };
    let removed = a
        .shared
        .load()
        .access
        .gate
        .lists
        .remove(net, EntryKind::Deny);
    if before.is_none() && !removed {
        return Reply::error(
            404,
            "not_found",
            &format!("{key} is not blocked at run time"),
        );
    }
    a.audit(c, "waf.unblock-ip", &key, "ok", json!(before), Value::Null);
    Reply::ok(json!({ "unblocked": key }))
}

/// `POST proxy/upstreams/{pool}/{server}/drain` and `/undrain`.
pub async fn drain(a: &Admin, c: &Call, drained: bool) -> Reply {
    let (pool, server) = (&c.params[0], &c.params[1]);
    let snap = a.shared.load();
    let Some(p) = snap.pools.get(pool) else {
        return Reply::error(404, "not_found", &format!("no upstream pool `{pool}`"));
    };
    let Some(addr) = p
        .health()
        .into_iter()
        .map(|(a, _)| a)
        .find(|a| a.to_string() == *server)
    else {
        return Reply::error(404, "not_found", &format!("pool `{pool}` has no server `{server}` (use the address:port GET proxy/upstreams shows)"));
    };
    let (pool_name, d) = (
        pool.clone(),
        Drain {
            pool: pool.clone(),
            server: addr,
        },
    );
    let saved = a
        .store
        .update(move |st| {
            st.drains
                .retain(|x| !(x.pool == pool_name && x.server == addr));
            if drained {
                st.drains.push(d);
            }
        })
        .await;
    if let Err(e) = saved {
        return io_error(format!("cannot save: {e}"));
    }
    let changed = a.shared.drains.set(pool, addr, drained);
    let action = if drained {
        "proxy.drain"
    } else {
        "proxy.undrain"
    };
    a.audit(
        c,
        action,
        &format!("{pool}/{addr}"),
        "ok",
        json!({ "drained": changed != drained }),
        json!({ "drained": drained }),
    );
    Reply::ok(
        json!({ "pool": pool, "server": addr.to_string(), "drained": drained, "changed": changed }),
    )
}

/// `POST ssl/certificates/{domain}/renew`: asks the ACME service to renew
/// the certificate that covers `domain` now.
pub async fn ssl_renew(a: &Admin, c: &Call) -> Reply {
    let domain = c.params[0].to_ascii_lowercase();
    let snap = a.shared.load();
    let acme = snap.config.acme.as_ref();
    let cert = acme.and_then(|s| {
        s.certificates
            .iter()
            .find(|cert| cert.id() == domain || cert.names.contains(&domain))
    });
    let (Some(settings), Some(cert)) = (acme, cert) else {
        let from_file = snap
            .config
            .tls
            .certificates
            .iter()
            .any(|x| x.names.contains(&domain));
        return if from_file {
            Reply::error(
                409,
                "conflict",
                &format!(
                    "`{domain}` is served from a certificate file: replace the file and reload"
                ),
            )
        } else {
            Reply::error(
                404,
                "not_found",
                &format!("no ACME certificate covers `{domain}`"),
            )
        };
    };
    let id = cert.id();
    let storage = crate::acme::storage::Storage::new(&settings.storage);
    if let Err(e) = storage.ensure().and_then(|()| storage.request_renewal(&id)) {
        return io_error(format!("cannot ask for the renewal: {e}"));
    }
    a.audit(c, "ssl.renew", &id, "requested", Value::Null, Value::Null);
    Reply::with(
        202,
        json!({ "certificate": id, "requested": true, "status": "GET /admin/api/v1/ssl/certificates/{domain} shows the result" }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_replaces_only_its_key() {
        let t = with_section(
            "server:\n  threads: 2\nwaf:\n  mode: block\n",
            "waf",
            "{\"mode\": \"detect\"}",
        )
        .unwrap();
        let v: serde_yaml::Value = serde_yaml::from_str(&t).unwrap();
        assert_eq!(v["waf"]["mode"], "detect");
        assert_eq!(v["server"]["threads"], 2);
        assert!(with_section("a: [", "waf", "x").is_err());
    }
}
