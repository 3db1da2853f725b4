//! Validation: turns the YAML as written ([`super::file`]) into the checked
//! types of [`super::model`]. Each error names the key path it is about; the
//! caller adds the file and line.

use super::file::{self, FileConfig};
use super::model::*;
use super::waf::{self, RouteWaf};
use crate::access::config::{AccessConfig, RouteAccessConfig};
use crate::route::{HostPattern, PathPattern};
use http::{HeaderName, HeaderValue, Method};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

type R<T> = Result<T, (String, String)>;

fn err<T>(key: impl Into<String>, msg: impl Into<String>) -> R<T> {
    Err((key.into(), msg.into()))
}

/// Validates a parsed file. On error, returns the key path and message;
/// the caller adds file and line.
pub fn validate(
    f: FileConfig,
    source: PathBuf,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, (String, String)> {
    let server = server(&f.server)?;
    let listeners = listeners(&f.listeners, server.threads)?;
    let metrics = opt_addr("metrics.address", f.metrics.as_ref().map(|m| &m.address))?;
    let demo_upstream = opt_addr(
        "demo_upstream.address",
        f.demo_upstream.as_ref().map(|m| &m.address),
    )?;
    let mut upstreams = BTreeMap::new();
    for (name, u) in f.upstreams {
        let key = format!("upstreams.{name}");
        upstreams.insert(name.clone(), upstream(&key, name, u)?);
    }
    let dir = source
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let waf = waf::global(f.waf.as_ref(), &dir)?;
    let access: AccessConfig = match f.access {
        Some(v) => super::from_value("access", v)?,
        None => AccessConfig::default(),
    };
    let acme = super::acme::settings(f.acme.as_ref(), &dir)?;
    let acme_names: Vec<String> = acme
        .iter()
        .flat_map(|a| a.certificates.iter().flat_map(|c| c.names.clone()))
        .collect();
    let tls = super::tls::global(f.tls.as_ref(), &dir, &listeners, &acme_names)?;
    let rules_dir = waf
        .rules
        .first()
        .map(std::path::Path::new)
        .and_then(|p| if p.is_dir() { Some(p) } else { p.parent() })
        .map_or_else(|| dir.clone(), std::path::Path::to_path_buf);
    let admin = super::admin::settings(f.admin, &dir, &rules_dir, env)?;
    let mut routes = Vec::new();
    for (i, r) in f.routes.into_iter().enumerate() {
        let key = format!("routes[{i}]");
        if routes.iter().any(|x: &RouteConfig| x.name == r.name) {
            return err(
                format!("{key}.name"),
                format!("duplicate route name `{}`", r.name),
            );
        }
        if !upstreams.contains_key(&r.upstream) {
            let known: Vec<_> = upstreams.keys().map(String::as_str).collect();
            return err(
                format!("{key}.upstream"),
                format!(
                    "unknown upstream `{}`, expected one of: {}",
                    r.upstream,
                    known.join(", ")
                ),
            );
        }
        routes.push(route(&key, r, &waf.defaults)?);
    }
    Ok(Config {
        source,
        server,
        listeners,
        metrics,
        demo_upstream,
        upstreams,
        routes,
        waf,
        access,
        tls,
        acme,
        admin,
    })
}

fn server(s: &file::ServerSection) -> R<ServerSettings> {
    let log_level = match s.log_level.as_deref().unwrap_or("info") {
        l @ ("error" | "warn" | "info" | "debug" | "trace" | "off") => {
            l.parse().expect("known level")
        }
        other => {
            return err(
                "server.log_level",
                format!(
                "unknown level `{other}`, expected one of: error, warn, info, debug, trace, off"
            ),
            )
        }
    };
    let access_log = match s.access_log.as_deref().unwrap_or("stdout") {
        "stdout" | "-" => AccessLog::Stdout,
        "off" => AccessLog::Off,
        "" => {
            return err(
                "server.access_log",
                "empty value, expected `stdout`, `off` or a file path",
            )
        }
        path => AccessLog::File(path.into()),
    };
    let mut trusted_proxies = Vec::new();
    for (i, c) in s.trusted_proxies.iter().enumerate() {
        trusted_proxies.push(cidr(&format!("server.trusted_proxies[{i}]"), c)?);
    }
    let threads = s.threads.unwrap_or(1);
    if threads == 0 {
        return err("server.threads", "must be at least 1");
    }
    Ok(ServerSettings {
        pid_file: s
            .pid_file
            .clone()
            .unwrap_or_else(|| "/tmp/rampart.pid".into()),
        upgrade_sock: s
            .upgrade_sock
            .clone()
            .unwrap_or_else(|| "/tmp/rampart_upgrade.sock".into()),
        grace_period: s.grace_period.unwrap_or(file::DEFAULT_GRACE_PERIOD),
        graceful_shutdown_timeout: s
            .graceful_shutdown_timeout
            .unwrap_or(file::DEFAULT_GRACE_PERIOD),
        error_log: s.error_log.clone(),
        threads,
        log_level,
        access_log,
        trusted_proxies,
        body_budget: match s.body_budget {
            Some(0) => return err("server.body_budget", "must be more than 0 bytes"),
            Some(n) => n,
            None => crate::proxy::budget::default_budget(),
        },
        body_budget_wait: s
            .body_budget_wait
            .unwrap_or(crate::proxy::budget::DEFAULT_WAIT),
    })
}

/// Parses an address or CIDR (a bare address becomes a /32 or /128).
pub fn cidr(key: &str, s: &str) -> R<IpNet> {
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .or_else(|_| {
            err(
                key,
                format!("invalid CIDR `{s}`, expected e.g. `10.0.0.0/8` or `2001:db8::/32`"),
            )
        })
}

fn addr(key: &str, s: &str) -> R<SocketAddr> {
    s.parse().or_else(|_| {
        err(
            key,
            format!("invalid address `{s}`, expected `ip:port` such as `0.0.0.0:8080`"),
        )
    })
}

fn opt_addr(key: &str, s: Option<&String>) -> R<Option<SocketAddr>> {
    s.map(|s| addr(key, s)).transpose()
}

fn listeners(ls: &[file::ListenerSection], threads: usize) -> R<Vec<Listener>> {
    if ls.is_empty() {
        return err(
            "listeners",
            "at least one listener is required, e.g. `- address: 0.0.0.0:8080`",
        );
    }
    ls.iter()
        .enumerate()
        .map(|(i, l)| {
            let address = addr(&format!("listeners[{i}].address"), &l.address)?;
            if l.tls && l.h2c {
                return err(
                    format!("listeners[{i}].h2c"),
                    "h2c is HTTP/2 without TLS; a TLS listener offers HTTP/2 with `h2`",
                );
            }
            if !l.tls && l.h2.is_some() {
                return err(
                    format!("listeners[{i}].h2"),
                    "`h2` is negotiated by TLS; a plain listener takes `h2c`",
                );
            }
            if l.max_connections == Some(0) {
                return err(
                    format!("listeners[{i}].max_connections"),
                    "must be at least 1",
                );
            }
            if l.max_header_size.is_some_and(|n| n < 1024) {
                return err(
                    format!("listeners[{i}].max_header_size"),
                    "must be at least 1024 bytes",
                );
            }
            if l.handshake_timeout.is_some_and(|t| t.is_zero()) {
                return err(
                    format!("listeners[{i}].handshake_timeout"),
                    "must be above 0",
                );
            }
            if l.header_timeout.is_some_and(|t| t.is_zero()) {
                return err(format!("listeners[{i}].header_timeout"), "must be above 0");
            }
            if l.keepalive_timeout.is_some_and(|t| t.as_secs() == 0) {
                return err(
                    format!("listeners[{i}].keepalive_timeout"),
                    "must be at least 1s",
                );
            }
            match l.threads {
                Some(0) => err(format!("listeners[{i}].threads"), "must be at least 1"),
                t => Ok(Listener {
                    address,
                    threads: t.unwrap_or(threads),
                    tls: l.tls,
                    h2: l.tls && l.h2.unwrap_or(true),
                    h2c: l.h2c,
                    max_connections: l.max_connections.unwrap_or(file::DEFAULT_MAX_CONNECTIONS),
                    header_timeout: l.header_timeout.unwrap_or(file::DEFAULT_HEADER_TIMEOUT),
                    keepalive_timeout: l
                        .keepalive_timeout
                        .unwrap_or(file::DEFAULT_KEEPALIVE_TIMEOUT),
                    max_header_size: l.max_header_size.unwrap_or(file::DEFAULT_MAX_HEADER_SIZE),
                    handshake_timeout: l
                        .handshake_timeout
                        .unwrap_or(file::DEFAULT_HANDSHAKE_TIMEOUT),
                }),
            }
        })
        .collect()
}

fn upstream(key: &str, name: String, u: file::UpstreamSection) -> R<UpstreamConfig> {
    if u.servers.is_empty() {
        return err(format!("{key}.servers"), "a pool needs at least one server");
    }
    let mut servers = Vec::new();
    for (i, s) in u.servers.iter().enumerate() {
        let (address, weight) = match s {
            file::ServerEntry::Plain(a) => (a.clone(), 1),
            file::ServerEntry::Full(f) => (f.address.clone(), f.weight.unwrap_or(1)),
        };
        let k = format!("{key}.servers[{i}]");
        let port_ok = address
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
        if !port_ok {
            return err(
                k,
                format!("invalid server `{address}`, expected `host:port`"),
            );
        }
        if weight == 0 || weight > 1000 {
            return err(format!("{k}.weight"), "weight must be between 1 and 1000");
        }
        servers.push(ServerConfig { address, weight });
    }
    let algorithm = algorithm(key, u.algorithm.as_deref())?;
    let hash_key = hash_key(key, u.hash_key.as_deref())?;
    let health = u
        .health_check
        .as_ref()
        .map(|h| health(&format!("{key}.health_check"), h))
        .transpose()?;
    let timeouts = Timeouts {
        connect: Some(u.connect_timeout.unwrap_or(file::DEFAULT_CONNECT_TIMEOUT)),
        read: Some(u.read_timeout.unwrap_or(file::DEFAULT_IO_TIMEOUT)),
        write: Some(u.write_timeout.unwrap_or(file::DEFAULT_IO_TIMEOUT)),
    };
    let sni = u.sni.unwrap_or_default();
    let retries = u.retries.unwrap_or(file::DEFAULT_RETRIES);
    Ok(UpstreamConfig {
        name,
        servers,
        algorithm,
        hash_key,
        health,
        timeouts,
        retries,
        tls: u.tls,
        sni,
    })
}

fn algorithm(key: &str, a: Option<&str>) -> R<Algorithm> {
    Ok(match a.unwrap_or("round_robin") {
        "round_robin" => Algorithm::RoundRobin,
        "weighted" => Algorithm::Weighted,
        "random" => Algorithm::Random,
        "consistent_hash" => Algorithm::ConsistentHash,
        "least_connections" => Algorithm::LeastConnections,
        other => {
            return err(
                format!("{key}.algorithm"),
                format!("unknown algorithm `{other}`, expected one of: round_robin, weighted, random, consistent_hash, least_connections"),
            )
        }
    })
}

fn hash_key(key: &str, h: Option<&str>) -> R<HashKey> {
    let k = format!("{key}.hash_key");
    match h.unwrap_or("client_ip") {
        "client_ip" => Ok(HashKey::ClientIp),
        s if s.starts_with("header:") => HeaderName::from_bytes(s[7..].trim().as_bytes())
            .map(HashKey::Header)
            .or_else(|_| err(k, format!("invalid header name in `{s}`"))),
        s if s.starts_with("cookie:") && s.len() > 7 => {
            Ok(HashKey::Cookie(s[7..].trim().to_string()))
        }
        s => err(
            k,
            format!("unknown hash key `{s}`, expected `client_ip`, `header:NAME` or `cookie:NAME`"),
        ),
    }
}

fn health(key: &str, h: &file::HealthCheckSection) -> R<HealthConfig> {
    let kind = match h.kind.as_str() {
        "tcp" => HealthKind::Tcp,
        "http" => HealthKind::Http {
            path: h.path.clone().unwrap_or_else(|| "/".into()),
            host: h.host.clone().unwrap_or_else(|| "localhost".into()),
            expected_status: h.expected_status.unwrap_or(200),
        },
        other => {
            return err(
                format!("{key}.type"),
                format!("unknown health check type `{other}`, expected `tcp` or `http`"),
            )
        }
    };
    if let HealthKind::Http { path, .. } = &kind {
        if !path.starts_with('/') {
            return err(format!("{key}.path"), "must start with `/`");
        }
    }
    let (rise, fall) = (h.rise.unwrap_or(1), h.fall.unwrap_or(1));
    if rise == 0 || fall == 0 {
        return err(key, "rise and fall must be at least 1");
    }
    Ok(HealthConfig {
        kind,
        interval: h.interval.unwrap_or(file::DEFAULT_HC_INTERVAL),
        timeout: h.timeout.unwrap_or(file::DEFAULT_HC_TIMEOUT),
        rise,
        fall,
    })
}

fn route(key: &str, r: file::RouteSection, waf_defaults: &RouteWaf) -> R<RouteConfig> {
    let mut hosts = Vec::new();
    for (i, h) in r.hosts.iter().enumerate() {
        match HostPattern::parse(h) {
            Some(p) => hosts.push(p),
            None => {
                return err(
                    format!("{key}.hosts[{i}]"),
                    format!("invalid host `{h}`, expected `example.com`, `*.example.com` or `*`"),
                )
            }
        }
    }
    hosts.retain(|h| *h != HostPattern::Any);
    let path = path_pattern(key, &r)?;
    let mut methods = Vec::new();
    for (i, m) in r.methods.iter().enumerate() {
        match Method::from_bytes(m.to_ascii_uppercase().as_bytes()) {
            Ok(m) => methods.push(m),
            Err(_) => {
                return err(
                    format!("{key}.methods[{i}]"),
                    format!("invalid method `{m}`"),
                )
            }
        }
    }
    let rewrite = match r.rewrite {
        Some(rw) => match regex::Regex::new(&rw.regex) {
            Ok(re) => Some((re, rw.replace)),
            Err(e) => {
                return err(
                    format!("{key}.rewrite.regex"),
                    format!("invalid regex: {e}"),
                )
            }
        },
        None => None,
    };
    if let Some(p) = &r.strip_prefix {
        if !p.starts_with('/') {
            return err(format!("{key}.strip_prefix"), "must start with `/`");
        }
    }
    let waf = waf::route(key, r.waf.as_ref(), waf_defaults)?;
    let access: RouteAccessConfig = match r.access {
        Some(v) => super::from_value(&format!("{key}.access"), v)?,
        None => RouteAccessConfig::default(),
    };
    let t = r.timeouts.as_ref();
    Ok(RouteConfig {
        name: r.name,
        hosts,
        path,
        methods,
        upstream: r.upstream,
        strip_prefix: r.strip_prefix,
        rewrite,
        request_headers: header_ops(&format!("{key}.request_headers"), &r.request_headers)?,
        response_headers: header_ops(&format!("{key}.response_headers"), &r.response_headers)?,
        timeouts: Timeouts {
            connect: t.and_then(|t| t.connect),
            read: t.and_then(|t| t.read),
            write: t.and_then(|t| t.write),
        },
        waf,
        access,
        https_redirect: r.https_redirect,
        hsts: super::tls::hsts(key, r.hsts.as_ref())?,
    })
}

fn path_pattern(key: &str, r: &file::RouteSection) -> R<PathPattern> {
    match (&r.path_prefix, &r.path_exact, &r.path_regex) {
        (None, None, None) => Ok(PathPattern::Prefix("/".into())),
        (Some(p), None, None) if p.starts_with('/') => Ok(PathPattern::Prefix(p.clone())),
        (None, Some(p), None) if p.starts_with('/') => Ok(PathPattern::Exact(p.clone())),
        (None, None, Some(re)) => regex::Regex::new(re)
            .map(PathPattern::Regex)
            .or_else(|e| err(format!("{key}.path_regex"), format!("invalid regex: {e}"))),
        (Some(_), None, None) => err(format!("{key}.path_prefix"), "must start with `/`"),
        (None, Some(_), None) => err(format!("{key}.path_exact"), "must start with `/`"),
        _ => err(
            key,
            "give at most one of path_prefix, path_exact, path_regex",
        ),
    }
}

fn header_ops(key: &str, h: &file::HeaderOps) -> R<HeaderOps> {
    let mut out = HeaderOps::default();
    for (n, v) in &h.add {
        let name = HeaderName::from_bytes(n.as_bytes())
            .or_else(|_| err(format!("{key}.add"), format!("invalid header name `{n}`")))?;
        let value = HeaderValue::from_str(v)
            .or_else(|_| err(format!("{key}.add.{n}"), "invalid header value"))?;
        out.add.push((name, value));
    }
    for (i, n) in h.remove.iter().enumerate() {
        let name = HeaderName::from_bytes(n.as_bytes()).or_else(|_| {
            err(
                format!("{key}.remove[{i}]"),
                format!("invalid header name `{n}`"),
            )
        })?;
        out.remove.push(name);
    }
    Ok(out)
}
