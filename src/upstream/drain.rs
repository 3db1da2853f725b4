//! Servers an operator drained at run time (admin API): they get no new
//! requests while in-flight ones finish. Kept apart from the pools, which a
//! reload rebuilds, and published through one `ArcSwap` so selection reads it
//! without a lock.

use arc_swap::ArcSwap;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;

/// Drained servers by pool name.
#[derive(Debug, Default)]
pub struct Drains {
    map: ArcSwap<BTreeMap<String, Vec<SocketAddr>>>,
}

impl Drains {
    /// The current table (one atomic load, no reference count taken; empty
    /// for most deployments).
    pub fn load(&self) -> arc_swap::Guard<Arc<BTreeMap<String, Vec<SocketAddr>>>> {
        self.map.load()
    }

    /// Whether `server` of `pool` is drained.
    pub fn is_drained(&self, pool: &str, server: SocketAddr) -> bool {
        self.map
            .load()
            .get(pool)
            .is_some_and(|v| v.contains(&server))
    }

    /// Drains (`true`) or undrains a server. Returns whether anything changed.
    pub fn set(&self, pool: &str, server: SocketAddr, drained: bool) -> bool {
        let mut changed = false;
        self.map.rcu(|m| {
            let mut m = BTreeMap::clone(m);
            let mut set: BTreeSet<SocketAddr> = m
                .get(pool)
                .map(|v| v.iter().copied().collect())
                .unwrap_or_default();
            changed = if drained {
                set.insert(server)
            } else {
                set.remove(&server)
            };
            if set.is_empty() {
                m.remove(pool);
            } else {
                m.insert(pool.to_string(), set.into_iter().collect());
            }
            m
        });
        changed
    }

    /// Every drained (pool, server).
    pub fn list(&self) -> Vec<(String, SocketAddr)> {
        self.map
            .load()
            .iter()
            .flat_map(|(p, v)| v.iter().map(move |s| (p.clone(), *s)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drain_and_undrain() {
        let d = Drains::default();
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert!(d.set("p", a, true));
        assert!(!d.set("p", a, true));
        assert!(d.is_drained("p", a));
        assert!(!d.is_drained("q", a));
        assert_eq!(d.list(), vec![("p".to_string(), a)]);
        assert!(d.set("p", a, false));
        assert!(d.list().is_empty());
    }
}
