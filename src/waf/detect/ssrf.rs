//! Server-side request forgery: URLs (or bare hosts) that point at cloud
//! metadata services, loopback or private addresses in any notation (decimal,
//! octal or hex integers, short dotted forms, IPv4-mapped IPv6), and schemes
//! an HTTP fetcher should never follow (gopher, dict, tftp, ldap...).

use super::norm::Norm;
use super::{Finding, InputContext, Level, Signal};

const METADATA_HOSTS: &[&str] = &[
    "169.254.169.254",
    "metadata.google.internal",
    "metadata.goog",
    "100.100.100.200",
    "fd00:ec2::254",
    "169.254.170.2",
    "instance-data",
    "metadata.azure.com",
    "169.254.169.123",
    "metadata.packet.net",
    "metadata.platformequinix.com",
    "metadata.tencentyun.com",
    "metadata.oraclecloud.com",
];
const METADATA_PATHS: &[&str] = &[
    "/latest/meta-data",
    "/computemetadata/v1",
    "/metadata/instance",
    "/latest/user-data",
    "/latest/api/token",
    "/opc/v1/instance",
    "/opc/v2/instance",
];
const BAD_SCHEMES: &[&str] = &[
    "gopher",
    "imap",
    "pop3",
    "smtp",
    "redis",
    "memcache",
    "dict",
    "tftp",
    "ldap",
    "ldaps",
    "jar",
    "netdoc",
    "sftp",
    "ssh2.exec",
];

/// Detects SSRF targets in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    let s = n.lower.as_str();
    static M: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    let metadata = M.get_or_init(|| {
        aho_corasick::AhoCorasick::new(METADATA_HOSTS.iter().chain(METADATA_PATHS))
            .expect("static patterns")
    });
    // One pass for both lists (same answer as `contains` on each).
    if metadata.is_match(s) {
        return Some(Finding::new(Level::Pl1, "cloud metadata address", s));
    }
    if internal_host_value(s) {
        return Some(Finding::new(Level::Pl1, "internal host name", s));
    }
    let mut best: Option<Signal> = None;
    let mut targets = urls(s);
    if s.contains("://") || s.starts_with("http:") || s.starts_with("https:") {
        // `http://a.example &@10.0.0.1/`: every `@` inside an authority
        // (no `/` since the `://`) names a host some parser will use.
        targets.extend(s.match_indices('@').filter_map(|(i, _)| {
            let scheme_end = s[..i].rfind("://")?;
            (!s[scheme_end + 3..i].contains('/'))
                .then(|| ("http".to_string(), host_of(&s[i + 1..])))
        }));
    }
    for (scheme, host) in targets {
        let r = judge(&scheme, &host, ctx);
        if r.is_some_and(|r| best.is_none_or(|b| r.level < b.level)) {
            best = r;
        }
    }
    best.map(|sig| sig.finding(s))
}

/// A value that is (or starts with) a host name only an internal fetch reaches.
fn internal_host_value(s: &str) -> bool {
    let host = s.trim().split(['/', ':', '?']).next().unwrap_or("");
    let sep = s.trim().len() > host.len();
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return false;
    }
    let slash = s.trim().len() > host.len() && s.trim()[host.len()..].starts_with('/');
    let internal = host.ends_with(".internal")
        || host.ends_with(".localhost")
        || host == "localhost" && slash
        || matches!(
            host,
            "localtest.me" | "lvh.me" | "vcap.me" | "lacolhost.com"
        )
        || matches!(
            host,
            "localhost.localdomain"
                | "localhost4"
                | "localhost4.localdomain4"
                | "localhost6"
                | "localhost6.localdomain6"
                | "ip6-localhost"
                | "ip6-loopback"
                | "ipv6-localhost"
                | "ipv6-loopback"
        )
        || host == "kubernetes.default.svc"
        || host.ends_with(".svc.cluster.local");
    internal && (sep || host.contains('.'))
}

fn host_of(rest: &str) -> String {
    let auth = rest.split(['/', '?', '#', ' ', '\\']).next().unwrap_or("");
    auth.rsplit('@').next().unwrap_or(auth).to_string()
}

/// Every `scheme://host` (or `scheme:host`) in the value (userinfo and port removed).
fn urls(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for scheme in ["http:", "https:"] {
        if let Some(rest) = s.trim_start().strip_prefix(scheme) {
            if !rest.starts_with("//") {
                out.push((
                    "http".to_string(),
                    host_of(rest.trim_start_matches(['/', '\\'])),
                ));
            }
        }
    }
    for (i, _) in s.match_indices("://") {
        let scheme: String = s[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let rest = &s[i + 3..];
        let auth = rest.split(['/', '?', '#', ' ', '\\']).next().unwrap_or("");
        let host = auth.rsplit('@').next().unwrap_or(auth);
        out.push((scheme, host.to_string()));
    }
    out
}

fn judge(scheme: &str, host_port: &str, ctx: InputContext) -> Option<Signal> {
    if BAD_SCHEMES.contains(&scheme) && !host_port.is_empty() {
        return Some(Signal::new(Level::Pl1, "dangerous URL scheme"));
    }
    if ctx == InputContext::Referer {
        return None;
    }
    let web = matches!(scheme, "http" | "https" | "ftp" | "ws" | "wss" | "");
    let host = strip_port(host_port);
    if host == "localhost" || host.ends_with(".localhost") {
        // Development set-ups pass `http://localhost:port/` URLs around, so
        // the name alone is a weak sign.
        return Some(Signal::new(Level::Pl2, "loopback host name"));
    }
    if !web
        && !host
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '[')
    {
        return None;
    }
    if host == "0" {
        return Some(Signal::new(Level::Pl1, "loopback host"));
    }
    if host.contains(':') {
        return ipv6(host);
    }
    let (ip, canonical) = parse_ipv4(host).or_else(|| wrapped_integer(host))?;
    let integer = !host.contains('.');
    if integer && web && host.len() >= 4 {
        // `http://3232235777`: nobody writes a public address as one number.
        return Some(Signal::new(
            Level::Pl1,
            "IPv4 address written as one integer",
        ));
    }
    let internal = classify(ip)?;
    if !canonical || internal == 0 {
        return Some(Signal::new(Level::Pl1, "loopback or private address"));
    }
    Some(Signal::new(Level::Pl2, "private address"))
}

/// A single decimal number over 32 bits, as parsers that keep only the low
/// 32 bits read it (`7147006462` is 169.254.169.254).
fn wrapped_integer(h: &str) -> Option<(u32, bool)> {
    let v: u64 = if let Some(x) = h.strip_prefix("0x") {
        if x.is_empty() || x.len() > 16 || !x.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(x, 16).ok()?
    } else {
        if h.len() > 13 || !h.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        h.parse().ok()?
    };
    (v >> 32 != 0).then_some(((v & 0xffff_ffff) as u32, false))
}

fn strip_port(h: &str) -> &str {
    if let Some(inner) = h.strip_prefix('[') {
        return inner.split(']').next().unwrap_or(inner);
    }
    if h.matches(':').count() == 1 {
        return h.split(':').next().unwrap_or(h);
    }
    h
}

/// 0 = loopback/unspecified/link-local, 1 = private.
fn classify(ip: u32) -> Option<u8> {
    let a = ip >> 24;
    let b = (ip >> 16) & 0xff;
    match (a, b) {
        (127, _) | (0, _) | (169, 254) => Some(0),
        (10, _) | (192, 168) => Some(1),
        (172, 16..=31) => Some(1),
        _ => None,
    }
}

/// Parses IPv4 in every notation inet_aton accepts; `canonical` is plain dotted-quad decimal.
pub fn parse_ipv4(h: &str) -> Option<(u32, bool)> {
    let parts: Vec<&str> = h.split('.').collect();
    if parts.is_empty() || parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let nums: Vec<u64> = parts.iter().map(|p| parse_num(p)).collect::<Option<_>>()?;
    let canonical = parts.len() == 4
        && parts
            .iter()
            .all(|p| p.len() == 1 || !p.starts_with('0') && p.chars().all(|c| c.is_ascii_digit()));
    let last_bits = 8 * (5 - parts.len() as u32);
    let mut ip: u64 = 0;
    for (i, v) in nums.iter().enumerate() {
        if i + 1 == nums.len() {
            if *v >= 1u64 << last_bits {
                return None;
            }
            ip |= v;
        } else {
            if *v > 255 {
                return None;
            }
            ip |= v << (24 - 8 * i as u32);
        }
    }
    Some((ip as u32, canonical))
}

fn parse_num(p: &str) -> Option<u64> {
    if let Some(h) = p.strip_prefix("0x") {
        return u64::from_str_radix(if h.is_empty() { "0" } else { h }, 16).ok();
    }
    if p.len() > 1 && p.starts_with('0') {
        return u64::from_str_radix(p, 8).ok();
    }
    p.parse().ok()
}

fn ipv6(h: &str) -> Option<Signal> {
    let h = h.trim_matches(['[', ']']);
    let h = h.split('%').next().unwrap_or(h);
    if let Ok(a) = h.parse::<std::net::Ipv6Addr>() {
        if a.is_loopback() || a.is_unspecified() {
            return Some(Signal::new(Level::Pl1, "IPv6 loopback"));
        }
        if let Some(v4) = a.to_ipv4_mapped() {
            if classify(u32::from(v4)).is_some() {
                return Some(Signal::new(Level::Pl1, "IPv4-mapped internal address"));
            }
        }
        let seg = a.segments()[0];
        if seg & 0xffc0 == 0xfe80 || seg & 0xfe00 == 0xfc00 {
            return Some(Signal::new(Level::Pl1, "IPv6 internal address"));
        }
        return None;
    }
    if h == "::1"
        || h == "::"
        || h.trim_start_matches(['0', ':']) == "1" && h.contains("::")
        || h == "0:0:0:0:0:0:0:1"
    {
        return Some(Signal::new(Level::Pl1, "IPv6 loopback"));
    }
    if let Some(v4) = h.strip_prefix("::ffff:") {
        if parse_ipv4(v4).and_then(|(ip, _)| classify(ip)).is_some()
            || v4.starts_with("7f")
            || v4.starts_with("a9fe")
        {
            return Some(Signal::new(Level::Pl1, "IPv4-mapped internal address"));
        }
    }
    if h.starts_with("fe80:") || h.starts_with("fc") || h.starts_with("fd") {
        return Some(Signal::new(Level::Pl2, "IPv6 internal address"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::QueryValue).map(|f| f.level)
    }

    #[test]
    fn catches_ssrf() {
        for s in [
            "http://169.254.169.254/latest/meta-data/iam/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://2130706433/admin",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1:8080/",
            "http://[::ffff:127.0.0.1]/",
            "gopher://10.0.0.5:6379/_INFO",
            "dict://internal:11211/stats",
            "http://user@0/",
            "https://[::1]/x",
            "http:127.0.0.1",
            "http://[0:0:0:0:0:ffff:7f00:1]/",
            "http://\u{2460}\u{2465}\u{2468}.\u{2461}\u{2464}\u{2463}.\u{2460}\u{2465}\u{2468}.\u{2461}\u{2464}\u{2463}/",
            "http://example.com:80 &@127.0.0.9:22/",
            "host.docker.internal/admin",
            "localtest.me/",
            "ssh://0x7f.1/",
            "telnet://127.0.0.1:23",
            "http://8589934593/",
            "http:2130706433",
            "ip6-localhost/x",
            "http://3232235777/",
            "http://0x1234567a9fea9fe/",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_benign() {
        for s in [
            "https://example.com/a",
            "http://93.184.216.34/",
            "version 127.0.0",
            "see 10.2.3 release",
            "git://example.org/repo.git",
            "order 12345678901",
            "spotify:track:12345",
            "https://unpkg.com/react@18/umd/react.js",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn metadata_table_catches_each_entry() {
        for h in METADATA_HOSTS.iter().chain(METADATA_PATHS) {
            let v = format!("go to {h}/x");
            assert_eq!(lvl(&v), Some(Level::Pl1), "{v}");
        }
    }
}
