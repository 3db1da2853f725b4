//! `rampart waf explain`: run one request through a config's WAF offline and
//! say which rules matched, on which variable, with which transformed value
//! and score. The tool an operator uses to understand a block.

use crate::config::Config;
use crate::snapshot::{compile_rules, policy};
use crate::waf::engine::policy::Verdict;
use crate::waf::request::RequestView;
use std::fmt::Write as _;
use std::net::IpAddr;

/// A request to explain.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Method.
    pub method: String,
    /// Request target (path and query).
    pub target: String,
    /// Headers (names lowercase).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Sample {
    /// Parses a raw HTTP/1.x request (CRLF or LF line ends).
    pub fn from_raw(raw: &[u8]) -> Result<Sample, String> {
        let split = find(raw, b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| find(raw, b"\n\n").map(|i| (i, 2)));
        let (head, body) = match split {
            Some((i, n)) => (&raw[..i], raw[i + n..].to_vec()),
            None => (raw, Vec::new()),
        };
        let head = String::from_utf8_lossy(head);
        let mut lines = head.lines();
        let line = lines.next().ok_or("empty request")?;
        let mut parts = line.split_whitespace();
        let method = parts
            .next()
            .ok_or("no method in the request line")?
            .to_string();
        let target = parts
            .next()
            .ok_or("no target in the request line")?
            .to_string();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Ok(Sample {
            method,
            target,
            headers,
            body,
        })
    }

    /// A request from a URL, extra `Name: value` headers and a body.
    pub fn from_url(
        method: &str,
        url: &str,
        headers: &[String],
        body: &[u8],
    ) -> Result<Sample, String> {
        let absolute = url.starts_with("http://") || url.starts_with("https://");
        let (host, target) = if absolute {
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            match rest.find(['/', '?']) {
                Some(i) => (
                    &rest[..i],
                    if rest[i..].starts_with('?') {
                        format!("/{}", &rest[i..])
                    } else {
                        rest[i..].to_string()
                    },
                ),
                None => (rest, "/".to_string()),
            }
        } else {
            (
                "localhost",
                if url.starts_with('/') {
                    url.to_string()
                } else {
                    format!("/{url}")
                },
            )
        };
        let mut hs = vec![("host".to_string(), host.to_string())];
        for h in headers {
            let (k, v) = h
                .split_once(':')
                .ok_or_else(|| format!("header `{h}` is not `Name: value`"))?;
            hs.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        Ok(Sample {
            method: method.to_ascii_uppercase(),
            target,
            headers: hs,
            body: body.to_vec(),
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// Evaluates `sample` against the route it would take in `config` and
/// returns the report text and the verdict.
pub fn explain(
    config: &Config,
    sample: &Sample,
    client: IpAddr,
) -> Result<(String, Verdict), String> {
    let engine = compile_rules(config).map_err(|e| e.to_string())?;
    let host = sample.header("host").unwrap_or("localhost");
    let path = sample.target.split('?').next().unwrap_or("/");
    let method = http::Method::from_bytes(sample.method.as_bytes())
        .map_err(|_| "invalid method".to_string())?;
    let router = crate::snapshot::router(&config.routes);
    let route = router
        .find(host, path, &method)
        .map(|i| &config.routes[i])
        .ok_or("no route matches this request")?;
    let pol = policy(&route.waf);
    let body = (!sample.body.is_empty()).then_some(sample.body.as_slice());
    let view = RequestView::new(
        &sample.method,
        &sample.target,
        &sample.headers,
        body,
        client,
    );
    let verdict = engine.evaluate(&view, &pol);
    Ok((report(&route.name, &route.waf, &verdict), verdict))
}

fn report(route: &str, w: &crate::config::RouteWaf, v: &Verdict) -> String {
    let mut out = format!(
        "route: {route} (mode {:?}, paranoia {}, threshold {})\n",
        w.mode, w.paranoia, w.threshold
    );
    if v.matches.is_empty() {
        out += "no rule matched\n";
    }
    for m in &v.matches {
        let _ = writeln!(
            out,
            "rule {} [{}] +{} {}",
            m.rule_id,
            m.tags.join(","),
            m.score,
            m.message
        );
        let _ = writeln!(out, "    variable:    {}", m.variable);
        let _ = writeln!(out, "    value:       {}", m.value);
        if m.transformed != m.value && !m.transformed.is_empty() {
            let _ = writeln!(out, "    transformed: {}", m.transformed);
        }
        if !m.evidence.is_empty() {
            let _ = writeln!(out, "    evidence:    {}", m.evidence);
        }
    }
    let decision = if v.blocked {
        "BLOCK"
    } else if v.would_block {
        "would block (detect mode)"
    } else {
        "pass"
    };
    let _ = writeln!(out, "total score: {} -> {decision}", v.score);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_requests_parse() {
        let s = Sample::from_raw(
            b"POST /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\r\nhello",
        )
        .unwrap();
        assert_eq!((s.method.as_str(), s.target.as_str()), ("POST", "/a?b=1"));
        assert_eq!(s.header("content-type"), Some("text/plain"));
        assert_eq!(s.body, b"hello");
        assert!(Sample::from_raw(b"").is_err());
    }

    #[test]
    fn urls_parse() {
        let s = Sample::from_url("get", "http://shop.test/p?q=1", &["X-A: 1".into()], b"").unwrap();
        assert_eq!(s.header("host"), Some("shop.test"));
        assert_eq!(s.target, "/p?q=1");
        assert_eq!(s.header("x-a"), Some("1"));
        assert_eq!(
            Sample::from_url("GET", "/x", &[], b"")
                .unwrap()
                .header("host"),
            Some("localhost")
        );
    }
}
