//! `rampart check` (and `run -t`, `config validate`): load a config, compile
//! its rules, and print what it sets up.

use super::load_or_report;
use crate::config::Config;
use std::path::Path;
use std::process::ExitCode;

pub(crate) fn check(path: &Path) -> ExitCode {
    let Some(cfg) = load_or_report(path) else {
        return ExitCode::FAILURE;
    };
    let rules = match crate::snapshot::compile_rules(&cfg) {
        Ok(engine) => engine.len(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}: OK", path.display());
    print!("{}", summary(&cfg));
    println!("waf: {rules} rules from {}", cfg.waf.rules.join(", "));
    ExitCode::SUCCESS
}

/// A human summary of listeners, routes and upstreams.
pub fn summary(cfg: &Config) -> String {
    let mut out = String::from("listeners:\n");
    for l in &cfg.listeners {
        let proto = match (l.tls, l.h2, l.h2c) {
            (true, true, _) => "https, h2 + http/1.1",
            (true, false, _) => "https, http/1.1",
            (false, _, true) => "http, h2c + http/1.1",
            (false, _, false) => "http/1.1",
        };
        out += &format!("  {} ({proto}, {} threads)\n", l.address, l.threads);
    }
    if !cfg.tls.certificates.is_empty() {
        out += "certificates:\n";
        let now = crate::tls::unix_now();
        for c in &cfg.tls.certificates {
            out += &format!(
                "  {} (issuer {}, {} days left)\n",
                c.names.join(", "),
                c.issuer,
                c.seconds_left(now) / 86_400
            );
        }
    }
    if let Some(a) = &cfg.acme {
        out += &format!(
            "acme: {} (storage {}, renew {} days before expiry{})\n",
            a.directory,
            a.storage.display(),
            a.schedule.renew_before.as_secs() / 86_400,
            if a.wait {
                ", traffic held until issued"
            } else {
                ""
            }
        );
        for c in &a.certificates {
            let how = match c.challenge {
                crate::config::acme::Challenge::Http01 => "http-01",
                crate::config::acme::Challenge::Dns01 => "dns-01",
            };
            out += &format!("  {} ({how})\n", c.names.join(", "));
        }
    }
    if let Some(m) = cfg.metrics {
        out += &format!("metrics: {m} (/metrics, /healthz, /readyz)\n");
    }
    if let Some(d) = cfg.demo_upstream {
        out += &format!("demo upstream (echo): {d}\n");
    }
    out += "routes:\n";
    for r in &cfg.routes {
        let hosts = if r.hosts.is_empty() {
            "*".to_string()
        } else {
            format!("{:?}", r.hosts)
        };
        let methods = if r.methods.is_empty() {
            "any".to_string()
        } else {
            format!("{:?}", r.methods)
        };
        out += &format!(
            "  {}: hosts {} path {:?} methods {} -> {} (waf {:?})\n",
            r.name, hosts, r.path, methods, r.upstream, r.waf.mode
        );
    }
    out += "upstreams:\n";
    for (name, u) in &cfg.upstreams {
        let servers: Vec<String> = u
            .servers
            .iter()
            .map(|s| format!("{} w{}", s.address, s.weight))
            .collect();
        let hc = u.health.as_ref().map_or("none".to_string(), |h| {
            format!("{:?} every {:?}", h.kind, h.interval)
        });
        out += &format!(
            "  {name}: {:?} [{}] health check: {hc}\n",
            u.algorithm,
            servers.join(", ")
        );
    }
    out
}
