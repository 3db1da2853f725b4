//! Client identity: the socket peer, or the right-most untrusted address of
//! X-Forwarded-For when the peer is a trusted proxy.

use crate::access::ip::prefix::canonical_ip;
use ipnet::IpNet;
use std::net::IpAddr;

/// True when `ip` is inside one of `trusted`.
pub fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = canonical_ip(ip);
    trusted.iter().any(|n| n.contains(&ip))
}

/// The client IP for a request from `peer` carrying `xff` (the raw
/// X-Forwarded-For values, in order).
pub fn client_ip(peer: IpAddr, xff: &[&str], trusted: &[IpNet]) -> IpAddr {
    let peer = canonical_ip(peer);
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let hops = xff.iter().rev().flat_map(|v| v.rsplit(','));
    let mut last = peer;
    for hop in hops {
        match parse_hop(hop) {
            Some(ip) if is_trusted(ip, trusted) => last = ip,
            Some(ip) => return ip,
            None => return last,
        }
    }
    last
}

fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical_ip(ip));
    }
    // "1.2.3.4:5678" or "[::1]:5678"
    s.parse::<std::net::SocketAddr>()
        .ok()
        .map(|a| canonical_ip(a.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(s: &[&str]) -> Vec<IpNet> {
        s.iter().map(|x| x.parse().unwrap()).collect()
    }

    #[test]
    fn untrusted_peer_is_the_client() {
        let ip = client_ip(
            "8.8.8.8".parse().unwrap(),
            &["1.1.1.1"],
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(ip.to_string(), "8.8.8.8");
    }

    #[test]
    fn trusted_peer_uses_rightmost_untrusted_hop() {
        let t = nets(&["10.0.0.0/8"]);
        let ip = client_ip(
            "10.0.0.1".parse().unwrap(),
            &["6.6.6.6, 1.2.3.4", "10.0.0.7"],
            &t,
        );
        assert_eq!(ip.to_string(), "1.2.3.4");
        let ip = client_ip("10.0.0.1".parse().unwrap(), &["garbage"], &t);
        assert_eq!(ip.to_string(), "10.0.0.1");
        let ip = client_ip(
            "::ffff:10.0.0.1".parse().unwrap(),
            &["[2001:db8::1]:80"],
            &t,
        );
        assert_eq!(ip.to_string(), "2001:db8::1");
    }
}
