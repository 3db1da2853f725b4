//! Header and URI helpers the phases delegate to: forwarded headers, request
//! ids, route header operations, path rewrites.

use crate::config::{HashKey, HeaderOps, RouteConfig};
use http::HeaderMap;
use pingora_http::{RequestHeader, ResponseHeader};
use std::net::IpAddr;

/// Accepts an incoming X-Request-Id when it is short and plain, else makes one.
pub fn request_id(incoming: Option<&[u8]>) -> String {
    match incoming {
        Some(v)
            if !v.is_empty()
                && v.len() <= 128
                && v.iter()
                    .all(|c| c.is_ascii_alphanumeric() || b"-_.:".contains(c)) =>
        {
            String::from_utf8_lossy(v).into_owned()
        }
        _ => format!("{:032x}", rand::random::<u128>()),
    }
}

/// Sets X-Forwarded-For / -Proto / -Host and X-Request-Id on the upstream request.
/// `peer_trusted` decides whether the incoming X-Forwarded-For is kept.
pub fn forwarded(
    req: &mut RequestHeader,
    peer: Option<IpAddr>,
    peer_trusted: bool,
    tls: bool,
    host: &str,
    id: &str,
) {
    let mut xff = if peer_trusted {
        joined(&req.headers, "x-forwarded-for")
    } else {
        String::new()
    };
    if let Some(p) = peer {
        if !xff.is_empty() {
            xff.push_str(", ");
        }
        xff.push_str(&crate::access::ip::prefix::canonical_ip(p).to_string());
    }
    let proto_in = if peer_trusted {
        first(&req.headers, "x-forwarded-proto")
    } else {
        None
    };
    let proto = proto_in.unwrap_or_else(|| if tls { "https".into() } else { "http".into() });
    let host_in = if peer_trusted {
        first(&req.headers, "x-forwarded-host")
    } else {
        None
    };
    let fhost = host_in.unwrap_or_else(|| host.to_string());
    for (name, value) in [
        ("x-forwarded-for", xff),
        ("x-forwarded-proto", proto),
        ("x-forwarded-host", fhost),
    ] {
        if value.is_empty() {
            let _ = req.remove_header(name);
        } else {
            let _ = req.insert_header(name, value);
        }
    }
    let _ = req.insert_header("x-request-id", id);
}

fn joined(h: &HeaderMap, name: &str) -> String {
    let vals: Vec<&str> = h
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    vals.join(", ")
}

fn first(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Applies a route's request header operations.
pub fn apply_request(req: &mut RequestHeader, ops: &HeaderOps) {
    for n in &ops.remove {
        let _ = req.remove_header(n);
    }
    for (n, v) in &ops.add {
        let _ = req.insert_header(n.clone(), v.clone());
    }
}

/// Applies a route's response header operations.
pub fn apply_response(resp: &mut ResponseHeader, ops: &HeaderOps) {
    for n in &ops.remove {
        let _ = resp.remove_header(n);
    }
    for (n, v) in &ops.add {
        let _ = resp.insert_header(n.clone(), v.clone());
    }
}

/// The path-and-query to send upstream after strip_prefix and rewrite, or
/// `None` when unchanged.
pub fn rewrite_uri(route: &RouteConfig, path: &str, query: Option<&str>) -> Option<String> {
    if route.strip_prefix.is_none() && route.rewrite.is_none() {
        return None;
    }
    let mut p = path.to_string();
    if let Some(prefix) = &route.strip_prefix {
        if let Some(rest) = p.strip_prefix(prefix.trim_end_matches('/')) {
            p = if rest.starts_with('/') {
                rest.to_string()
            } else {
                format!("/{rest}")
            };
        }
    }
    if let Some((re, rep)) = &route.rewrite {
        p = re.replace(&p, rep.as_str()).into_owned();
    }
    Some(match query {
        Some(q) => format!("{p}?{q}"),
        None => p,
    })
}

/// The bytes consistent hashing uses for this request.
pub fn hash_key(key: &HashKey, req: &RequestHeader, client: Option<IpAddr>) -> Vec<u8> {
    match key {
        HashKey::ClientIp => client
            .map(|c| c.to_string().into_bytes())
            .unwrap_or_default(),
        HashKey::Header(h) => req
            .headers
            .get(h)
            .map(|v| v.as_bytes().to_vec())
            .unwrap_or_default(),
        HashKey::Cookie(name) => cookie(&req.headers, name).unwrap_or_default().into_bytes(),
    }
}

/// A cookie's value.
pub fn cookie(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// An HTTP/2 request names its host in `:authority`, not `Host`: give it the
/// `Host` header an HTTP/1.1 request would carry (RFC 9113 §8.3.1), so that
/// routing, the WAF, bot checks and the upstream all read one field.
pub fn host_from_authority(req: &mut RequestHeader) {
    if req.version != http::Version::HTTP_2 || req.headers.contains_key(http::header::HOST) {
        return;
    }
    if let Some(authority) = req.uri.authority().map(|a| a.as_str().to_string()) {
        let _ = req.insert_header(http::header::HOST, authority);
    }
}

/// Why a request head is refused with 400 before any check runs
/// (RFC 9112 §3.2: an HTTP/1.1 request needs exactly one `Host`).
pub fn bad_host(req: &RequestHeader) -> Option<&'static str> {
    let hosts = req.headers.get_all(http::header::HOST).iter().count();
    match (req.version, hosts) {
        (_, n) if n > 1 => Some("more than one Host header"),
        (http::Version::HTTP_11, 0) => Some("HTTP/1.1 request without a Host header"),
        _ => None,
    }
}

/// The HTTPS URL of a plain-HTTP request: same host (its port replaced by
/// `https_port`, omitted when 443) and the same path and query.
pub fn https_location(host: &str, path_and_query: &str, https_port: u16) -> String {
    let name = match host.rfind(':') {
        Some(i)
            if host[i + 1..].bytes().all(|b| b.is_ascii_digit()) && !host[i..].contains(']') =>
        {
            &host[..i]
        }
        _ => host,
    };
    let port = if https_port == 443 {
        String::new()
    } else {
        format!(":{https_port}")
    };
    format!("https://{name}{port}{path_and_query}")
}

/// Requests that a redirect to HTTPS must never catch: ACME HTTP-01
/// challenges are answered over plain HTTP.
pub fn redirect_exempt(path: &str) -> bool {
    path.starts_with("/.well-known/acme-challenge/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_locations_keep_path_and_replace_the_port() {
        assert_eq!(
            https_location("example.com", "/a?b=1", 443),
            "https://example.com/a?b=1"
        );
        assert_eq!(
            https_location("example.com:8080", "/", 8443),
            "https://example.com:8443/"
        );
        assert_eq!(https_location("[::1]:80", "/x", 443), "https://[::1]/x");
        assert_eq!(https_location("[::1]", "/x", 443), "https://[::1]/x");
        assert!(redirect_exempt("/.well-known/acme-challenge/tok"));
        assert!(!redirect_exempt("/.well-known/other"));
    }

    #[test]
    fn request_ids_are_kept_or_generated() {
        assert_eq!(request_id(Some(b"abc-123")), "abc-123");
        assert_eq!(request_id(Some(b"bad id\n")).len(), 32);
        assert_ne!(request_id(None), request_id(None));
    }

    #[test]
    fn forwarded_headers_respect_trust() {
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        req.insert_header("x-forwarded-for", "6.6.6.6").unwrap();
        forwarded(
            &mut req,
            Some("1.2.3.4".parse().unwrap()),
            false,
            false,
            "h",
            "id",
        );
        assert_eq!(req.headers["x-forwarded-for"], "1.2.3.4");
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        req.insert_header("x-forwarded-for", "6.6.6.6").unwrap();
        forwarded(
            &mut req,
            Some("10.0.0.1".parse().unwrap()),
            true,
            false,
            "h",
            "id",
        );
        assert_eq!(req.headers["x-forwarded-for"], "6.6.6.6, 10.0.0.1");
        assert_eq!(req.headers["x-forwarded-proto"], "http");
        assert_eq!(req.headers["x-forwarded-host"], "h");
    }

    #[test]
    fn cookies_are_found() {
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=1; sid=xyz".parse().unwrap());
        assert_eq!(cookie(&h, "sid").as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "nope"), None);
    }
}
