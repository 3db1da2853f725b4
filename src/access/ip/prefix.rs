//! Longest-prefix-match tables behind the IP lists: per address family, one
//! hash map per prefix length present (longest first), keyed by the masked
//! network as `u32` / `u128`. A lookup probes one map per distinct length,
//! so it costs a few hash probes however many entries there are.

use ipnet::IpNet;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

/// A seeded, fast hasher for integer keys (the keys come from config and the
/// admin API; the seed is random per process).
#[derive(Clone, Copy, Debug)]
pub struct IpHashBuilder(u64);

impl IpHashBuilder {
    /// A builder with a random seed.
    pub fn random() -> Self {
        Self(rand::random::<u64>() | 1)
    }
}

impl BuildHasher for IpHashBuilder {
    type Hasher = IpHasher;
    fn build_hasher(&self) -> IpHasher {
        IpHasher(self.0)
    }
}

/// The hasher of [`IpHashBuilder`].
#[derive(Debug)]
pub struct IpHasher(u64);

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl Hasher for IpHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = mix(self.0 ^ u64::from(*b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = mix(self.0 ^ u64::from(i));
    }
    fn write_u128(&mut self, i: u128) {
        self.0 = mix(self.0 ^ (i as u64) ^ mix((i >> 64) as u64));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Which list an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// Allowed; `skip_waf` lets the client skip WAF inspection.
    Allow {
        /// Skip WAF inspection for this client.
        skip_waf: bool,
    },
    /// Denied.
    Deny,
}

/// One entry's payload (as given to and taken from a [`Table`]; inside,
/// entries are stored compactly with interned reasons).
#[derive(Debug, Clone)]
pub struct Rule {
    /// Expiry in clock microseconds; `u64::MAX` never expires.
    pub expires_micros: u64,
    /// Why the entry exists (shown in logs and the admin API).
    pub reason: Arc<str>,
    /// For allow entries: skip the WAF.
    pub skip_waf: bool,
}

/// The allow and deny entries of one exact prefix, 24 bytes: expiry 0
/// means absent; reasons index the table's interned reasons; the top bit of
/// `allow_reason` is `skip_waf`.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    deny_exp: u64,
    allow_exp: u64,
    deny_reason: u32,
    allow_reason: u32,
}

const SKIP_WAF: u32 = 1 << 31;

/// A match: the prefix length it was found at and the entry.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    /// Prefix length of the matching entry.
    pub len: u8,
    /// True for a deny entry.
    pub deny: bool,
    /// For an allow entry: skip the WAF.
    pub skip_waf: bool,
    /// The entry's reason.
    pub reason: &'a Arc<str>,
}

impl Hit<'_> {
    /// True when `self` beats `other`: longer prefix, then deny over allow.
    pub fn beats(&self, other: &Hit<'_>) -> bool {
        self.len > other.len || (self.len == other.len && self.deny && !other.deny)
    }
}

trait Key: Copy + Eq + Hash {
    fn mask(self, len: u8) -> Self;
}

impl Key for u32 {
    fn mask(self, len: u8) -> Self {
        if len == 0 {
            0
        } else {
            self & (u32::MAX << (32 - len))
        }
    }
}

impl Key for u128 {
    fn mask(self, len: u8) -> Self {
        if len == 0 {
            0
        } else {
            self & (u128::MAX << (128 - len))
        }
    }
}

#[derive(Debug, Clone)]
struct Level<K> {
    len: u8,
    map: HashMap<K, Slot, IpHashBuilder>,
}

/// A raw entry: key, prefix length, deny?, expiry, reason id (with flag).
type Raw<K> = (K, u8, bool, u64, u32);

#[derive(Debug, Clone)]
struct PrefixMap<K> {
    levels: Vec<Level<K>>,
    hasher: IpHashBuilder,
}

impl<K: Key> PrefixMap<K> {
    fn new(hasher: IpHashBuilder) -> Self {
        Self {
            levels: Vec::new(),
            hasher,
        }
    }

    fn slot_mut(&mut self, key: K, len: u8) -> &mut Slot {
        let i = match self.levels.iter().position(|l| l.len <= len) {
            Some(i) if self.levels[i].len == len => i,
            pos => {
                let i = pos.unwrap_or(self.levels.len());
                let map = HashMap::with_hasher(self.hasher);
                self.levels.insert(i, Level { len, map });
                i
            }
        };
        self.levels[i].map.entry(key.mask(len)).or_default()
    }

    fn get(&self, key: K, len: u8) -> Option<&Slot> {
        let level = self.levels.iter().find(|l| l.len == len)?;
        level.map.get(&key.mask(len))
    }

    /// The longest live match: (length, deny?, reason id with flag).
    fn lookup(&self, key: K, now: u64) -> Option<(u8, bool, u32)> {
        for level in &self.levels {
            let Some(slot) = level.map.get(&key.mask(level.len)) else {
                continue;
            };
            if slot.deny_exp > now {
                return Some((level.len, true, slot.deny_reason));
            }
            if slot.allow_exp > now {
                return Some((level.len, false, slot.allow_reason));
            }
        }
        None
    }

    fn for_each(&self, mut f: impl FnMut(Raw<K>)) {
        for level in &self.levels {
            for (k, slot) in &level.map {
                if slot.deny_exp != 0 {
                    f((*k, level.len, true, slot.deny_exp, slot.deny_reason));
                }
                if slot.allow_exp != 0 {
                    f((*k, level.len, false, slot.allow_exp, slot.allow_reason));
                }
            }
        }
    }
}

/// Stores one entry in `slot`; true if it was new.
fn put(slot: &mut Slot, deny: bool, exp: u64, id: u32) -> bool {
    let (target, reason) = if deny {
        (&mut slot.deny_exp, &mut slot.deny_reason)
    } else {
        (&mut slot.allow_exp, &mut slot.allow_reason)
    };
    let new = *target == 0;
    *target = exp;
    *reason = id;
    new
}

/// IPv4 and IPv6 prefix tables with allow and deny entries.
#[derive(Debug, Clone)]
pub struct Table {
    v4: PrefixMap<u32>,
    v6: PrefixMap<u128>,
    reasons: Vec<Arc<str>>,
    reason_ids: HashMap<Arc<str>, u32>,
    entries: usize,
    min_expiry: u64,
}

impl Default for Table {
    fn default() -> Self {
        let h = IpHashBuilder::random();
        Self {
            v4: PrefixMap::new(h),
            v6: PrefixMap::new(h),
            reasons: Vec::new(),
            reason_ids: HashMap::new(),
            entries: 0,
            min_expiry: u64::MAX,
        }
    }
}

/// Maps IPv4-mapped IPv6 networks (`::ffff:a.b.c.d/96+n`) to IPv4.
pub fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net,
        },
        other => other,
    }
}

/// Maps IPv4-mapped IPv6 addresses to IPv4.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl Table {
    /// Number of entries (an allow and a deny of one prefix count twice).
    pub fn len(&self) -> usize {
        self.entries
    }

    /// True when the table holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Earliest expiry of any entry (`u64::MAX` when none expires).
    pub fn min_expiry(&self) -> u64 {
        self.min_expiry
    }

    fn intern(&mut self, reason: &Arc<str>) -> u32 {
        if let Some(id) = self.reason_ids.get(reason) {
            return *id;
        }
        let id = (self.reasons.len() as u32) & !SKIP_WAF;
        self.reasons.push(reason.clone());
        self.reason_ids.insert(reason.clone(), id);
        id
    }

    /// Inserts or replaces the entry of `kind` for `net`.
    pub fn insert(&mut self, net: IpNet, kind: EntryKind, rule: Rule) {
        let exp = rule.expires_micros.max(1);
        self.min_expiry = self.min_expiry.min(exp);
        let id = self.intern(&rule.reason);
        let slot = match canonical_net(net) {
            IpNet::V4(n) => self.v4.slot_mut(u32::from(n.addr()), n.prefix_len()),
            IpNet::V6(n) => self.v6.slot_mut(u128::from(n.addr()), n.prefix_len()),
        };
        let (deny, id) = match kind {
            EntryKind::Deny => (true, id),
            EntryKind::Allow { skip_waf: true } => (false, id | SKIP_WAF),
            EntryKind::Allow { skip_waf: false } => (false, id),
        };
        self.entries += usize::from(put(slot, deny, exp, id));
    }

    /// True when the table holds an entry of `kind`'s list for exactly `net`.
    pub fn contains(&self, net: IpNet, kind: EntryKind) -> bool {
        let slot = match canonical_net(net) {
            IpNet::V4(n) => self.v4.get(u32::from(n.addr()), n.prefix_len()),
            IpNet::V6(n) => self.v6.get(u128::from(n.addr()), n.prefix_len()),
        };
        slot.is_some_and(|s| match kind {
            EntryKind::Deny => s.deny_exp != 0,
            EntryKind::Allow { .. } => s.allow_exp != 0,
        })
    }

    /// The longest live match for `ip` at time `now` (microseconds).
    pub fn lookup(&self, ip: IpAddr, now: u64) -> Option<Hit<'_>> {
        if self.entries == 0 {
            return None;
        }
        let (len, deny, id) = match canonical_ip(ip) {
            IpAddr::V4(a) => self.v4.lookup(u32::from(a), now),
            IpAddr::V6(a) => self.v6.lookup(u128::from(a), now),
        }?;
        Some(Hit {
            len,
            deny,
            skip_waf: !deny && id & SKIP_WAF != 0,
            reason: &self.reasons[(id & !SKIP_WAF) as usize],
        })
    }

    fn rule_of(&self, deny: bool, exp: u64, id: u32) -> (EntryKind, Rule) {
        let skip_waf = !deny && id & SKIP_WAF != 0;
        let kind = if deny {
            EntryKind::Deny
        } else {
            EntryKind::Allow { skip_waf }
        };
        let rule = Rule {
            expires_micros: exp,
            reason: self.reasons[(id & !SKIP_WAF) as usize].clone(),
            skip_waf,
        };
        (kind, rule)
    }

    /// Calls `f` for every entry.
    pub fn for_each(&self, mut f: impl FnMut(IpNet, EntryKind, &Rule)) {
        self.v4.for_each(|(k, len, deny, exp, id)| {
            if let Ok(n) = ipnet::Ipv4Net::new(k.into(), len) {
                let (kind, rule) = self.rule_of(deny, exp, id);
                f(IpNet::V4(n), kind, &rule);
            }
        });
        self.v6.for_each(|(k, len, deny, exp, id)| {
            if let Ok(n) = ipnet::Ipv6Net::new(k.into(), len) {
                let (kind, rule) = self.rule_of(deny, exp, id);
                f(IpNet::V6(n), kind, &rule);
            }
        });
    }

    /// Keeps the entries for which `keep(net, kind, rule)` is true (by
    /// rebuilding, which also drops unused reasons); returns how many were
    /// removed.
    pub fn retain(&mut self, mut keep: impl FnMut(IpNet, EntryKind, &Rule) -> bool) -> usize {
        let mut kept = Table::default();
        self.for_each(|net, kind, rule| {
            if keep(net, kind, rule) {
                kept.insert(net, kind, rule.clone());
            }
        });
        let removed = self.entries - kept.entries;
        *self = kept;
        removed
    }

    /// Inserts every entry of `other`, replacing same-prefix same-kind ones.
    pub fn merge_from(&mut self, other: &Table) {
        let remap: Vec<u32> = other.reasons.iter().map(|r| self.intern(r)).collect();
        let fix = |id: u32| remap[(id & !SKIP_WAF) as usize] | (id & SKIP_WAF);
        let (mut added, mut min) = (0, self.min_expiry);
        other.v4.for_each(|(k, len, deny, exp, id)| {
            added += usize::from(put(self.v4.slot_mut(k, len), deny, exp, fix(id)));
            min = min.min(exp);
        });
        other.v6.for_each(|(k, len, deny, exp, id)| {
            added += usize::from(put(self.v6.slot_mut(k, len), deny, exp, fix(id)));
            min = min.min(exp);
        });
        self.entries += added;
        self.min_expiry = min;
    }
}

#[cfg(test)]
mod tests;
