//! A bounded, lock-free ring of the most recent WAF blocks (client address,
//! rule, time), from which the admin API reports the top rules and the top
//! blocked clients without putting an address into a metric label. Writers
//! claim a slot with one `fetch_add`; a reader may see a torn entry under a
//! concurrent write, which at worst miscounts one block in a report.

use crate::access::ban::log::{from_bits, to_bits};
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// Blocks remembered.
pub const CAPACITY: usize = 4096;

#[derive(Default)]
struct Slot {
    hi: AtomicU64,
    lo: AtomicU64,
    rule: AtomicU32,
    time: AtomicU64,
}

/// What [`RecentBlocks::top`] reports.
#[derive(Debug, Default)]
pub struct Top {
    /// Rule ids with their block counts, most first.
    pub rules: Vec<(u32, u64)>,
    /// Client addresses with their block counts, most first.
    pub clients: Vec<(IpAddr, u64)>,
    /// Blocks the ring holds.
    pub held: usize,
}

/// The ring.
pub struct RecentBlocks {
    slots: Box<[Slot]>,
    cursor: AtomicUsize,
}

/// The process's ring.
pub static RECENT: Lazy<RecentBlocks> = Lazy::new(|| RecentBlocks::new(CAPACITY));

impl RecentBlocks {
    /// A ring of `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            slots: (0..capacity.max(1)).map(|_| Slot::default()).collect(),
            cursor: AtomicUsize::new(0),
        }
    }

    /// Records a block of `ip` by `rule` at `unix` seconds.
    pub fn record(&self, ip: IpAddr, rule: u32, unix: u64) {
        let bits = to_bits(ip);
        let s = &self.slots[self.cursor.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        s.time.store(0, Ordering::Release);
        s.hi.store((bits >> 64) as u64, Ordering::Release);
        s.lo.store(bits as u64, Ordering::Release);
        s.rule.store(rule, Ordering::Release);
        s.time.store(unix.max(1), Ordering::Release);
    }

    /// The `n` rules and the `n` clients with the most blocks in the ring
    /// (most first), and how many blocks the ring holds.
    pub fn top(&self, n: usize) -> Top {
        let mut rules: HashMap<u32, u64> = HashMap::new();
        let mut clients: HashMap<u128, u64> = HashMap::new();
        let mut held = 0;
        for s in self.slots.iter() {
            if s.time.load(Ordering::Acquire) == 0 {
                continue;
            }
            held += 1;
            let bits = (u128::from(s.hi.load(Ordering::Acquire)) << 64)
                | u128::from(s.lo.load(Ordering::Acquire));
            *rules.entry(s.rule.load(Ordering::Acquire)).or_default() += 1;
            *clients.entry(bits).or_default() += 1;
        }
        let mut rules: Vec<_> = rules.into_iter().collect();
        rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rules.truncate(n);
        let mut clients: Vec<_> = clients
            .into_iter()
            .map(|(bits, c)| (from_bits(bits), c))
            .collect();
        clients.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        clients.truncate(n);
        Top {
            rules,
            clients,
            held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_most_blocked() {
        let r = RecentBlocks::new(8);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        for _ in 0..3 {
            r.record(a, 200001, 5);
        }
        r.record(b, 200002, 5);
        let Top {
            rules,
            clients,
            held,
        } = r.top(10);
        assert_eq!(held, 4);
        assert_eq!(rules[0], (200001, 3));
        assert_eq!(clients, vec![(a, 3), (b, 1)]);
        // The ring forgets the oldest.
        for _ in 0..8 {
            r.record(b, 1, 6);
        }
        let Top { clients, held, .. } = r.top(10);
        assert_eq!((held, clients), (8, vec![(b, 8)]));
    }
}
