//! What the access checks may ask about a request: the one client IP, the
//! route name, headers and cookies. The proxy implements [`RequestAttrs`]
//! over its session; tests use [`SimpleRequest`].

use std::net::IpAddr;

/// Read-only facts about one request, as the access checks need them.
pub trait RequestAttrs {
    /// The client IP (already resolved through trusted proxies).
    fn client_ip(&self) -> IpAddr;
    /// The name of the matched route ("" before routing).
    fn route(&self) -> &str;
    /// The first value of header `name` (case-insensitive).
    fn header(&self, name: &str) -> Option<&str>;
    /// The value of cookie `name`.
    fn cookie(&self, name: &str) -> Option<&str>;
    /// The request path without the query.
    fn path(&self) -> &str {
        "/"
    }
    /// The request method (upper case).
    fn method(&self) -> &str {
        "GET"
    }
}

/// A plain owned request for tests and tools.
#[derive(Debug, Clone)]
pub struct SimpleRequest {
    /// The client IP.
    pub ip: IpAddr,
    /// The route name.
    pub route: String,
    /// The path.
    pub path: String,
    /// The method.
    pub method: String,
    /// Headers as (name, value), names in any case.
    pub headers: Vec<(String, String)>,
}

impl SimpleRequest {
    /// A request from `ip` with no headers on route "" and path "/".
    pub fn new(ip: &str) -> Self {
        Self {
            ip: ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            route: String::new(),
            path: "/".into(),
            method: "GET".into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the route name.
    pub fn with_route(mut self, route: &str) -> Self {
        self.route = route.into();
        self
    }

    /// Sets the path.
    pub fn with_path(mut self, path: &str) -> Self {
        self.path = path.into();
        self
    }
}

/// Finds cookie `name` in a Cookie header value.
pub fn find_cookie<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header.split(';').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.trim() == name).then(|| v.trim())
    })
}

impl RequestAttrs for SimpleRequest {
    fn client_ip(&self) -> IpAddr {
        self.ip
    }
    fn route(&self) -> &str {
        &self.route
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
            .find_map(|(_, v)| find_cookie(v, name))
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn method(&self) -> &str {
        &self.method
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_headers_are_found() {
        let r = SimpleRequest::new("1.2.3.4")
            .with_header("Cookie", "a=1; session=xyz ; b=2")
            .with_header("X-Api-Key", "k");
        assert_eq!(r.cookie("session"), Some("xyz"));
        assert_eq!(r.cookie("nope"), None);
        assert_eq!(r.header("x-api-key"), Some("k"));
    }
}
