//! CSRF protection for routes that ask for it: an unsafe method must carry an
//! Origin (or Referer) among the allowed origins, or a double-submit token
//! (cookie value equal to header value).

use crate::waf::engine::policy::{Match, Verdict};
use crate::waf::engine::rule::Severity;
use crate::waf::request::RequestView;

/// Rule id reported for CSRF refusals.
pub const CSRF_RULE_ID: u32 = 190001;

/// The CSRF policy of a route.
#[derive(Debug, Clone, Default)]
pub struct CsrfPolicy {
    /// Allowed origins, lowercase `scheme://host[:port]`.
    pub allowed_origins: Vec<String>,
    /// Double-submit cookie name.
    pub cookie: String,
    /// Double-submit header name (lowercase).
    pub header: String,
}

/// True for methods that change state.
fn unsafe_method(m: &str) -> bool {
    !matches!(m, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// `scheme://host[:port]` of a URL, lowercased.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| {
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        )
    })
}

fn equal_tokens(a: &str, b: &str) -> bool {
    // Constant time in the token length.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Why the request fails the policy, or `None` when it passes.
pub fn violation(p: &CsrfPolicy, view: &RequestView<'_>) -> Option<&'static str> {
    if !unsafe_method(view.method()) {
        return None;
    }
    let origin = view
        .header("origin")
        .filter(|o| *o != "null")
        .map(str::to_string);
    let origin = origin.or_else(|| view.header("referer").and_then(origin_of));
    if let Some(o) = &origin {
        if p.allowed_origins
            .iter()
            .any(|a| a == &o.to_ascii_lowercase())
        {
            return None;
        }
    }
    let cookie = view
        .cookies()
        .iter()
        .find(|c| c.name == p.cookie)
        .map(|c| c.value.as_str());
    let header = view.header(&p.header);
    match (cookie, header) {
        (Some(c), Some(h)) if !c.is_empty() && equal_tokens(c, h) => None,
        (Some(_), Some(_)) => Some("double-submit token mismatch"),
        _ if origin.is_some() => Some("origin not allowed"),
        _ => Some("no origin, referer or token"),
    }
}

/// Adds a CSRF match to `verdict` when the request fails `p`.
pub fn apply(p: &CsrfPolicy, view: &RequestView<'_>, verdict: &mut Verdict, block: bool) {
    if verdict.action == crate::waf::engine::policy::VerdictAction::Allow {
        return; // an allow rule skips the remaining checks
    }
    let Some(why) = violation(p, view) else {
        return;
    };
    verdict.matches.push(Match {
        rule_id: CSRF_RULE_ID,
        message: format!("CSRF: {why}"),
        tags: vec!["csrf".into()],
        severity: Severity::Critical,
        variable: "REQUEST_HEADERS:origin".into(),
        value: view
            .header("origin")
            .or(view.header("referer"))
            .unwrap_or("")
            .chars()
            .take(128)
            .collect(),
        transformed: String::new(),
        evidence: why.into(),
        reason: Some(why),
        score: 0,
    });
    verdict.would_block = true;
    verdict.skipped = false;
    if block {
        verdict.blocked = true;
        verdict.action = crate::waf::engine::policy::VerdictAction::Block;
    }
}
