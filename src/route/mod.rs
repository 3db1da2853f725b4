//! Routing: `(host, path, method) → route index`, pure matching.
//! Most specific wins (host, then path, then method); ties go to file order.

use http::Method;

/// A host pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// Any host.
    Any,
    /// Exact name (lowercase).
    Exact(String),
    /// `*.example.com`: stored as `.example.com`.
    Wildcard(String),
}

impl HostPattern {
    /// Parses `example.com`, `*.example.com` or `*`.
    pub fn parse(s: &str) -> Option<HostPattern> {
        let s = s.trim().to_ascii_lowercase();
        let valid = |h: &str| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        };
        if s == "*" {
            Some(HostPattern::Any)
        } else if let Some(rest) = s.strip_prefix("*.") {
            valid(rest).then(|| HostPattern::Wildcard(format!(".{rest}")))
        } else {
            valid(&s).then_some(HostPattern::Exact(s))
        }
    }

    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Exact(h) => h == host,
            HostPattern::Wildcard(suffix) => {
                host.len() > suffix.len() && host.ends_with(suffix.as_str())
            }
        }
    }

    /// Specificity rank: exact > wildcard (longer suffix first) > any.
    fn rank(&self) -> (u8, usize) {
        match self {
            HostPattern::Any => (0, 0),
            HostPattern::Wildcard(s) => (1, s.len()),
            HostPattern::Exact(h) => (2, h.len()),
        }
    }
}

/// A path pattern.
#[derive(Debug, Clone)]
pub enum PathPattern {
    /// Prefix on segment or character boundary.
    Prefix(String),
    /// Exact path.
    Exact(String),
    /// Regex on the path.
    Regex(regex::Regex),
}

impl PathPattern {
    fn matches(&self, path: &str) -> bool {
        match self {
            PathPattern::Prefix(p) => path.starts_with(p.as_str()),
            PathPattern::Exact(p) => path == p,
            PathPattern::Regex(re) => re.is_match(path),
        }
    }

    /// Specificity rank: exact > regex > prefix (longer first).
    fn rank(&self) -> (u8, usize) {
        match self {
            PathPattern::Prefix(p) => (0, p.len()),
            PathPattern::Regex(re) => (1, re.as_str().len()),
            PathPattern::Exact(p) => (2, p.len()),
        }
    }
}

/// What a route matches on.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Hosts (empty = any).
    pub hosts: Vec<HostPattern>,
    /// Path.
    pub path: PathPattern,
    /// Methods (empty = any).
    pub methods: Vec<Method>,
}

type Rank = ((u8, usize), (u8, usize), bool);

/// Routes ordered by specificity.
#[derive(Debug, Default)]
pub struct Router {
    /// (matcher, route index in file order), most specific first.
    entries: Vec<(Matcher, usize)>,
}

impl Router {
    /// Builds a router; `matchers[i]` belongs to route `i`.
    pub fn new(matchers: Vec<Matcher>) -> Router {
        let mut entries: Vec<(Matcher, usize)> = matchers
            .into_iter()
            .enumerate()
            .map(|(i, m)| (m, i))
            .collect();
        // Stable sort keeps file order among equals.
        entries.sort_by_key(|(m, _)| std::cmp::Reverse(best_rank(m)));
        Router { entries }
    }

    /// Finds the route for a request. `host` may carry a port; it is stripped.
    pub fn find(&self, host: &str, path: &str, method: &Method) -> Option<usize> {
        let host = normalize_host(host);
        let mut best: Option<(Rank, usize)> = None;
        for (m, idx) in &self.entries {
            let Some(h) = host_rank(m, &host) else {
                continue;
            };
            if !m.path.matches(path) || !(m.methods.is_empty() || m.methods.contains(method)) {
                continue;
            }
            let rank = (h, m.path.rank(), !m.methods.is_empty());
            // Entries are pre-sorted by their best host rank; a wildcard list can
            // still rank lower for this host, so compare and keep file order on ties.
            if best
                .as_ref()
                .is_none_or(|(r, i)| rank > *r || (rank == *r && *idx < *i))
            {
                best = Some((rank, *idx));
            }
        }
        best.map(|(_, i)| i)
    }
}

fn best_rank(m: &Matcher) -> Rank {
    let h = m
        .hosts
        .iter()
        .map(HostPattern::rank)
        .max()
        .unwrap_or((0, 0));
    (h, m.path.rank(), !m.methods.is_empty())
}

fn host_rank(m: &Matcher, host: &str) -> Option<(u8, usize)> {
    if m.hosts.is_empty() {
        return Some((0, 0));
    }
    m.hosts
        .iter()
        .filter(|p| p.matches(host))
        .map(HostPattern::rank)
        .max()
}

/// Lowercases a Host header value and strips the port (IPv6 literals kept).
pub fn normalize_host(host: &str) -> String {
    let h = host.trim();
    let h = if let Some(end) = h.strip_prefix('[').and_then(|r| r.find(']')) {
        &h[..end + 2]
    } else {
        h.rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map_or(h, |(n, _)| n)
    };
    h.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(hosts: &[&str], path: PathPattern, methods: &[&str]) -> Matcher {
        Matcher {
            hosts: hosts
                .iter()
                .filter_map(|h| HostPattern::parse(h))
                .filter(|h| *h != HostPattern::Any)
                .collect(),
            path,
            methods: methods.iter().map(|x| x.parse().unwrap()).collect(),
        }
    }
    fn prefix(p: &str) -> PathPattern {
        PathPattern::Prefix(p.into())
    }

    #[test]
    fn host_exact_beats_wildcard_beats_any() {
        let r = Router::new(vec![
            m(&[], prefix("/"), &[]),
            m(&["*.example.com"], prefix("/"), &[]),
            m(&["api.example.com"], prefix("/"), &[]),
        ]);
        assert_eq!(r.find("api.example.com:8080", "/x", &Method::GET), Some(2));
        assert_eq!(r.find("WWW.example.com", "/x", &Method::GET), Some(1));
        assert_eq!(r.find("example.com", "/x", &Method::GET), Some(0));
        assert_eq!(r.find("other.org", "/", &Method::GET), Some(0));
    }

    #[test]
    fn path_exact_beats_regex_beats_longer_prefix() {
        let r = Router::new(vec![
            m(&[], prefix("/"), &[]),
            m(&[], prefix("/api/"), &[]),
            m(
                &[],
                PathPattern::Regex(regex::Regex::new("^/api/v[0-9]+/").unwrap()),
                &[],
            ),
            m(&[], PathPattern::Exact("/api/v1/login".into()), &[]),
        ]);
        assert_eq!(r.find("h", "/api/v1/login", &Method::GET), Some(3));
        assert_eq!(r.find("h", "/api/v1/users", &Method::GET), Some(2));
        assert_eq!(r.find("h", "/api/users", &Method::GET), Some(1));
        assert_eq!(r.find("h", "/index.html", &Method::GET), Some(0));
    }

    #[test]
    fn method_restriction_is_more_specific_and_ties_keep_order() {
        let r = Router::new(vec![
            m(&[], prefix("/a"), &[]),
            m(&[], prefix("/a"), &["POST"]),
            m(&[], prefix("/a"), &[]),
        ]);
        assert_eq!(r.find("h", "/a", &Method::POST), Some(1));
        assert_eq!(r.find("h", "/a", &Method::GET), Some(0));
    }

    #[test]
    fn no_match_is_none() {
        let r = Router::new(vec![m(&["a.com"], prefix("/"), &[])]);
        assert_eq!(r.find("b.com", "/", &Method::GET), None);
    }

    #[test]
    fn host_normalisation() {
        assert_eq!(normalize_host("Example.COM:443"), "example.com");
        assert_eq!(normalize_host("[::1]:80"), "[::1]");
        assert_eq!(normalize_host("example.com."), "example.com");
    }
}
