//! A bounded, lock-free record of recent bans, so that the admin API can
//! list who is banned (the ban table itself only holds key hashes). A ring
//! of atomics: writers claim a slot with one `fetch_add`; readers may see a
//! torn entry under a concurrent write, so listings are re-checked against
//! the ban table, which is authoritative.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

#[derive(Debug, Default)]
struct Entry {
    hi: AtomicU64,
    lo: AtomicU64,
    until: AtomicU64,
}

/// The ring of recent bans.
#[derive(Debug)]
pub struct BanLog {
    slots: Box<[Entry]>,
    cursor: AtomicUsize,
}

/// An address as 128 bits (IPv4 as its IPv4-mapped IPv6 form).
pub fn to_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The inverse of [`to_bits`].
pub fn from_bits(bits: u128) -> IpAddr {
    let v6 = Ipv6Addr::from(bits);
    v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)
}

impl BanLog {
    /// A ring remembering the last `capacity` bans (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            slots: (0..capacity.max(1)).map(|_| Entry::default()).collect(),
            cursor: AtomicUsize::new(0),
        }
    }

    /// Records that `ip` is banned until `until` (clock microseconds).
    pub fn record(&self, ip: IpAddr, until: u64) {
        let i = self.cursor.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let e = &self.slots[i];
        let bits = to_bits(ip);
        e.until.store(0, Ordering::Release);
        e.hi.store((bits >> 64) as u64, Ordering::Release);
        e.lo.store(bits as u64, Ordering::Release);
        e.until.store(until, Ordering::Release);
    }

    /// Addresses with a recorded ban still running at `now`, each once.
    pub fn candidates(&self, now: u64) -> Vec<IpAddr> {
        let mut seen = BTreeMap::new();
        for e in self.slots.iter() {
            if e.until.load(Ordering::Acquire) <= now {
                continue;
            }
            let hi = u128::from(e.hi.load(Ordering::Acquire));
            let bits = (hi << 64) | u128::from(e.lo.load(Ordering::Acquire));
            seen.insert(bits, ());
        }
        seen.into_keys().map(from_bits).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_wrap_and_expire() {
        let log = BanLog::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        log.record(a, 100);
        log.record(a, 200);
        assert_eq!(log.candidates(0), vec![a]);
        log.record(b, 50);
        assert_eq!(log.candidates(0), vec![a, b]);
        assert_eq!(log.candidates(60), vec![a]);
        assert!(log.candidates(300).is_empty());
    }
}
