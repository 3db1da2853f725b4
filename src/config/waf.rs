//! The checked WAF settings: global (`waf:`) and per route (`routes[].waf`).

use super::file::{self, RouteWafSection, WafGlobalSection, WAF_GLOBAL_KEYS};
use super::from_value;
use crate::waf::{Exclusions, Mode};
use http::Method;
use std::path::{Path, PathBuf};

type R<T> = Result<T, (String, String)>;

fn err<T>(key: impl Into<String>, msg: impl Into<String>) -> R<T> {
    Err((key.into(), msg.into()))
}

/// What to do with a body over the inspection limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverLimit {
    /// Answer 413.
    Reject,
    /// Inspect the first part, then pass the rest uninspected.
    InspectPrefix,
}

/// Where audit records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditLog {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
    /// Disabled.
    Off,
    /// Appended to a file.
    File(PathBuf),
}

/// CSRF settings of a route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Csrf {
    /// Allowed origins (scheme://host[:port], lowercase).
    pub allowed_origins: Vec<String>,
    /// Double-submit cookie name.
    pub cookie: String,
    /// Double-submit header name.
    pub header: String,
}

/// The WAF settings one route runs with.
#[derive(Debug, Clone)]
pub struct RouteWaf {
    /// Mode.
    pub mode: Mode,
    /// Paranoia level 1-4.
    pub paranoia: u8,
    /// Anomaly threshold.
    pub threshold: u32,
    /// Inspection limit in bytes.
    pub body_limit: usize,
    /// Policy over the limit.
    pub over_limit: OverLimit,
    /// Block status.
    pub block_status: u16,
    /// Exclusions.
    pub exclusions: Exclusions,
    /// Allowed methods (empty: any).
    pub allowed_methods: Vec<Method>,
    /// CSRF protection.
    pub csrf: Option<Csrf>,
}

/// Global WAF settings.
#[derive(Debug, Clone)]
pub struct WafSettings {
    /// Rule file patterns, resolved against the config file's folder.
    pub rules: Vec<String>,
    /// Audit log.
    pub audit_log: AuditLog,
    /// Max request headers.
    pub max_headers: usize,
    /// Max request header bytes.
    pub max_header_bytes: usize,
    /// Inline custom rules, as YAML text in the rule format.
    pub custom_rules: Option<String>,
    /// Defaults of every route.
    pub defaults: RouteWaf,
}

/// Validates `waf:`; `dir` is the config file's folder.
pub fn global(v: Option<&serde_yaml::Value>, dir: &Path) -> R<WafSettings> {
    let (g, route) = split(v)?;
    let base = RouteWaf {
        mode: Mode::Block,
        paranoia: 1,
        threshold: 5,
        body_limit: file::DEFAULT_BODY_LIMIT,
        over_limit: OverLimit::Reject,
        block_status: 403,
        exclusions: Exclusions::default(),
        allowed_methods: Vec::new(),
        csrf: None,
    };
    let defaults = apply("waf", &route, &base)?;
    let audit_log = match g.audit_log.as_deref().unwrap_or("stdout") {
        "stdout" | "-" => AuditLog::Stdout,
        "stderr" => AuditLog::Stderr,
        "off" => AuditLog::Off,
        "" => {
            return err(
                "waf.audit_log",
                "empty value, expected `stdout`, `stderr`, `off` or a file path",
            )
        }
        p => AuditLog::File(p.into()),
    };
    let rules = g
        .rules
        .iter()
        .map(|r| {
            if Path::new(r).is_absolute() {
                r.clone()
            } else {
                dir.join(r).display().to_string()
            }
        })
        .collect();
    let custom_rules = (!g.custom_rules.is_empty())
        .then(|| serde_yaml::to_string(&g.custom_rules).unwrap_or_default());
    Ok(WafSettings {
        rules,
        audit_log,
        max_headers: g.max_headers.unwrap_or(file::DEFAULT_MAX_HEADERS),
        max_header_bytes: g.max_header_bytes.unwrap_or(file::DEFAULT_MAX_HEADER_BYTES),
        custom_rules,
        defaults,
    })
}

fn split(v: Option<&serde_yaml::Value>) -> R<(WafGlobalSection, RouteWafSection)> {
    let Some(v) = v else {
        return Ok(Default::default());
    };
    let Some(map) = v.as_mapping() else {
        return err("waf", "expected a mapping");
    };
    let (mut g, mut r) = (serde_yaml::Mapping::new(), serde_yaml::Mapping::new());
    for (k, val) in map {
        let global = k.as_str().is_some_and(|k| WAF_GLOBAL_KEYS.contains(&k));
        if global { &mut g } else { &mut r }.insert(k.clone(), val.clone());
    }
    let g = from_value::<WafGlobalSection>("waf", serde_yaml::Value::Mapping(g))?;
    let r = from_value::<RouteWafSection>("waf", serde_yaml::Value::Mapping(r))?;
    Ok((g, r))
}

/// Validates `routes[i].waf` over the global defaults.
pub fn route(key: &str, v: Option<&serde_yaml::Value>, defaults: &RouteWaf) -> R<RouteWaf> {
    let key = format!("{key}.waf");
    let section = match v {
        None => return Ok(defaults.clone()),
        Some(serde_yaml::Value::String(mode)) => RouteWafSection {
            mode: Some(mode.clone()),
            ..Default::default()
        },
        Some(v) => from_value::<RouteWafSection>(&key, v.clone())?,
    };
    apply(&key, &section, defaults)
}

fn apply(key: &str, s: &RouteWafSection, base: &RouteWaf) -> R<RouteWaf> {
    let mut w = base.clone();
    if let Some(m) = &s.mode {
        w.mode = match Mode::from_name(m) {
            Some(mode) => mode,
            None => {
                return err(
                    format!("{key}.mode"),
                    format!("unknown WAF mode `{m}`, expected one of: block, detect, off"),
                )
            }
        };
    }
    if let Some(p) = s.paranoia {
        if !(1..=4).contains(&p) {
            return err(
                format!("{key}.paranoia"),
                format!("paranoia level {p} out of range, expected 1 to 4"),
            );
        }
        w.paranoia = p;
    }
    if let Some(t) = s.threshold {
        if t == 0 {
            return err(format!("{key}.threshold"), "must be at least 1");
        }
        w.threshold = t;
    }
    if let Some(l) = s.body_limit {
        w.body_limit = l;
    }
    if let Some(o) = &s.over_limit {
        w.over_limit = match o.as_str() {
            "reject" => OverLimit::Reject,
            "inspect_prefix" => OverLimit::InspectPrefix,
            o => {
                return err(
                    format!("{key}.over_limit"),
                    format!("unknown policy `{o}`, expected `reject` or `inspect_prefix`"),
                )
            }
        };
    }
    if let Some(st) = s.block_status {
        if !(400..=599).contains(&st) {
            return err(
                format!("{key}.block_status"),
                format!("status {st} is not a 4xx or 5xx"),
            );
        }
        w.block_status = st;
    }
    if let Some(e) = &s.exclusions {
        let mut ex = Exclusions {
            rule_ids: e.rule_ids.iter().copied().collect(),
            tags: e.tags.iter().cloned().collect(),
            skip_paths: e.skip_paths.clone(),
            ..Default::default()
        };
        for (i, t) in e.targets.iter().enumerate() {
            if let Err(msg) = ex.remove_target(t.rule, &t.target) {
                return err(
                    format!("{key}.exclusions.targets[{i}].target"),
                    format!("rule {}: `{}`: {msg}", t.rule, t.target),
                );
            }
        }
        w.exclusions = ex;
    }
    if let Some(ms) = &s.allowed_methods {
        w.allowed_methods = methods(&format!("{key}.allowed_methods"), ms)?;
    }
    if let Some(c) = &s.csrf {
        w.csrf = Some(csrf(&format!("{key}.csrf"), c)?);
    }
    Ok(w)
}

fn methods(key: &str, ms: &[String]) -> R<Vec<Method>> {
    ms.iter()
        .enumerate()
        .map(|(i, m)| {
            Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .or_else(|_| err(format!("{key}[{i}]"), format!("invalid method `{m}`")))
        })
        .collect()
}

fn csrf(key: &str, c: &file::CsrfSection) -> R<Csrf> {
    let mut origins = Vec::new();
    for (i, o) in c.allowed_origins.iter().enumerate() {
        let o = o.trim_end_matches('/').to_ascii_lowercase();
        if !(o.starts_with("http://") || o.starts_with("https://")) || o[8..].contains('/') {
            return err(
                format!("{key}.allowed_origins[{i}]"),
                format!("invalid origin `{o}`, expected `https://host[:port]`"),
            );
        }
        origins.push(o);
    }
    if origins.is_empty() && c.cookie.is_none() {
        return err(key, "give allowed_origins, a double-submit cookie, or both");
    }
    Ok(Csrf {
        allowed_origins: origins,
        cookie: c.cookie.clone().unwrap_or_else(|| "csrf_token".into()),
        header: c.header.clone().unwrap_or_else(|| "x-csrf-token".into()),
    })
}
