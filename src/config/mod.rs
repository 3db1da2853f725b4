//! Configuration: YAML → validated [`Config`]. `file` mirrors the YAML,
//! `model` holds checked types, errors name the file, line and key.

pub mod acme;
pub mod admin;
pub mod error;
pub mod file;
pub mod model;
pub mod tls;
pub mod validate;
pub mod waf;

pub use error::ConfigError;
pub use model::*;
pub use waf::{AuditLog, Csrf, OverLimit, RouteWaf, WafSettings};

use std::path::Path;

/// Environment variables that override file settings (for deployment tooling).
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    (
        "RAMPART_LISTEN",
        "comma-separated addresses replacing listeners[0..n].address",
    ),
    ("RAMPART_METRICS_LISTEN", "metrics.address"),
    ("RAMPART_LOG_LEVEL", "server.log_level"),
    ("RAMPART_PID_FILE", "server.pid_file"),
    ("RAMPART_UPGRADE_SOCK", "server.upgrade_sock"),
    ("RAMPART_ACCESS_LOG", "server.access_log"),
    (
        "RAMPART_ADMIN_PASSWORD",
        "the password of admin user `admin` (hashed in memory, never logged)",
    ),
    (
        "RAMPART_ADMIN_LISTEN",
        "admin.address (any address, as with admin.allow_remote)",
    ),
    ("RAMPART_ADMIN_STATE_DIR", "admin.state_dir"),
    (
        "RAMPART_CHALLENGE_SECRET",
        "access.challenge.secret (when access.challenge is set)",
    ),
];

/// Reads, parses, applies `RAMPART_*` overrides and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let src = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_path_buf(),
        line: None,
        key: String::new(),
        message: format!("cannot read: {e}"),
    })?;
    load_str(path, &src, &|k| std::env::var(k).ok())
}

/// Parses and validates `src` (read from `path`), with `env` giving overrides.
pub fn load_str(
    path: &Path,
    src: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let mut parsed: file::FileConfig = if src.trim().is_empty() {
        file::FileConfig::default()
    } else {
        serde_yaml::from_str(src).map_err(|e| serde_error(path, &e))?
    };
    apply_env(&mut parsed, env);
    validate::validate(parsed, path.to_path_buf(), env).map_err(|(key, message)| ConfigError {
        file: path.to_path_buf(),
        line: error::locate(src, &key),
        key,
        message,
    })
}

/// Deserialises a YAML value found at `key`; an unknown field is reported at
/// `key.field` so the error line points at it.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(
    key: &str,
    v: serde_yaml::Value,
) -> Result<T, (String, String)> {
    serde_yaml::from_value(v).map_err(|e| {
        let msg = e.to_string();
        let field = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("unknown field"));
        (field.map_or(key.to_string(), |f| format!("{key}.{f}")), msg)
    })
}

fn serde_error(path: &Path, e: &serde_yaml::Error) -> ConfigError {
    let text = e.to_string();
    // serde_yaml formats "key.path: message at line L column C".
    let text = text.split(" at line ").next().unwrap_or(&text).to_string();
    let (key, message) = match text.split_once(": ") {
        Some((k, m)) if !k.contains(' ') => (k.to_string(), m.to_string()),
        _ => (String::new(), text),
    };
    ConfigError {
        file: path.to_path_buf(),
        line: e.location().map(|l| l.line()),
        key,
        message,
    }
}

fn apply_env(f: &mut file::FileConfig, env: &dyn Fn(&str) -> Option<String>) {
    if let Some(listen) = env("RAMPART_LISTEN") {
        for (i, a) in listen
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .enumerate()
        {
            match f.listeners.get_mut(i) {
                Some(l) => l.address = a.to_string(),
                None => f.listeners.push(file::ListenerSection {
                    address: a.to_string(),
                    threads: None,
                    tls: false,
                    h2: None,
                    h2c: false,
                    max_connections: None,
                    header_timeout: None,
                    keepalive_timeout: None,
                    max_header_size: None,
                    handshake_timeout: None,
                }),
            }
        }
    }
    if let Some(secret) = env("RAMPART_CHALLENGE_SECRET") {
        if let Some(ch) = f
            .access
            .as_mut()
            .and_then(|a| a.get_mut("challenge"))
            .and_then(|c| c.as_mapping_mut())
        {
            ch.insert("secret".into(), secret.into());
        }
    }
    if let Some(m) = env("RAMPART_METRICS_LISTEN") {
        f.metrics = Some(file::MetricsSection { address: m });
    }
    let s = &mut f.server;
    for (var, slot) in [
        ("RAMPART_LOG_LEVEL", &mut s.log_level),
        ("RAMPART_PID_FILE", &mut s.pid_file),
        ("RAMPART_UPGRADE_SOCK", &mut s.upgrade_sock),
        ("RAMPART_ACCESS_LOG", &mut s.access_log),
    ] {
        if let Some(v) = env(var) {
            *slot = Some(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(src: &str) -> Result<Config, ConfigError> {
        load_str(Path::new("t.yaml"), src, &|_| None)
    }

    const BASE: &str = "listeners:\n  - address: 127.0.0.1:8080\nupstreams:\n  a:\n    servers: [\"127.0.0.1:9000\"]\nroutes:\n  - name: r\n    upstream: a\n";

    #[test]
    fn minimal_config_loads() {
        let c = load(BASE).unwrap();
        assert_eq!(c.routes.len(), 1);
        assert_eq!(c.upstreams["a"].servers[0].weight, 1);
    }

    #[test]
    fn unknown_key_names_line_and_path() {
        let e =
            load(&BASE.replace("    upstream: a\n", "    upstream: a\n    pth: /x\n")).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("t.yaml:9"), "{s}");
        assert!(
            s.contains("routes[0]") && s.contains("unknown field `pth`"),
            "{s}"
        );
    }

    #[test]
    fn bad_exclusion_target_names_its_key() {
        let src = BASE.replace(
            "    upstream: a\n",
            "    upstream: a\n    waf:\n      exclusions:\n        targets: [{ rule: 1, target: \"nosuchvar:x\" }]\n",
        );
        let e = load(&src).unwrap_err();
        assert_eq!(e.key, "routes[0].waf.exclusions.targets[0].target", "{e}");
        assert!(e.message.contains("nosuchvar"), "{e}");
        assert!(e.to_string().starts_with("t.yaml:"), "{e}");
    }

    #[test]
    fn unknown_upstream_names_line() {
        let e = load(&BASE.replace("upstream: a", "upstream: b")).unwrap_err();
        assert_eq!(e.line, Some(8));
        assert_eq!(e.key, "routes[0].upstream");
        assert!(e
            .message
            .contains("unknown upstream `b`, expected one of: a"));
    }

    #[test]
    fn bad_values_are_explained() {
        let cases = [
            ("127.0.0.1:8080", "nonsense", "listeners[0].address"),
            (
                "servers: [\"127.0.0.1:9000\"]",
                "servers: [\"nohost\"]",
                "upstreams.a.servers[0]",
            ),
            (
                "upstream: a\n",
                "upstream: a\n    waf: maybe\n",
                "routes[0].waf.mode",
            ),
            (
                "upstream: a\n",
                "upstream: a\n    path_regex: \"(\"\n",
                "routes[0].path_regex",
            ),
        ];
        for (from, to, key) in cases {
            let e = load(&BASE.replace(from, to)).unwrap_err();
            assert_eq!(e.key, key, "{e}");
            assert!(e.line.is_some(), "{e}");
        }
    }

    #[test]
    fn env_overrides_listen_and_level() {
        let env = |k: &str| match k {
            "RAMPART_LISTEN" => Some("127.0.0.1:1234".to_string()),
            "RAMPART_LOG_LEVEL" => Some("debug".to_string()),
            _ => None,
        };
        let c = load_str(Path::new("t.yaml"), BASE, &env).unwrap();
        assert_eq!(c.listeners[0].address.port(), 1234);
        assert_eq!(c.server.log_level, log::LevelFilter::Debug);
    }

    #[test]
    fn duration_errors_say_what_is_expected() {
        let e = load(&BASE.replace("servers:", "connect_timeout: soon\n    servers:")).unwrap_err();
        assert!(e.message.contains("invalid duration `soon`"), "{e}");
    }
}
