//! Least-connections selection on Pingora's [`BackendSelection`] trait:
//! backends ordered by in-flight requests divided by weight.

use pingora_load_balancing::selection::{BackendIter, BackendSelection};
use pingora_load_balancing::Backend;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// In-flight request counter carried in a [`Backend`]'s extensions.
#[derive(Clone, Default, Debug)]
pub struct InFlight(pub Arc<AtomicUsize>);

impl InFlight {
    /// Counts a request that starts.
    pub fn start(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a request that ended.
    pub fn end(&self) {
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1));
    }
    /// Current count.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Least-connections selector.
pub struct LeastConnections {
    backends: Vec<(Backend, InFlight)>,
    tiebreak: AtomicUsize,
}

impl BackendSelection for LeastConnections {
    type Iter = LeastIter;
    type Config = ();

    fn build(backends: &BTreeSet<Backend>) -> Self {
        let backends = backends
            .iter()
            .map(|b| {
                (
                    b.clone(),
                    b.ext.get::<InFlight>().cloned().unwrap_or_default(),
                )
            })
            .collect();
        LeastConnections {
            backends,
            tiebreak: AtomicUsize::new(0),
        }
    }

    fn iter(self: &Arc<Self>, _key: &[u8]) -> LeastIter {
        let n = self.backends.len().max(1);
        let start = self.tiebreak.fetch_add(1, Ordering::Relaxed) % n;
        let mut order: Vec<usize> = (0..self.backends.len()).collect();
        // Rotate first so equal loads spread round-robin, then stable-sort by load.
        let len = order.len();
        order.rotate_left(start.min(len));
        order.sort_by(|&a, &b| {
            let (ba, fa) = &self.backends[a];
            let (bb, fb) = &self.backends[b];
            // Compare fa/wa with fb/wb without division.
            (fa.get() * bb.weight.max(1)).cmp(&(fb.get() * ba.weight.max(1)))
        });
        LeastIter {
            sel: self.clone(),
            order,
            pos: 0,
        }
    }
}

/// Iterator over backends from least to most loaded.
pub struct LeastIter {
    sel: Arc<LeastConnections>,
    order: Vec<usize>,
    pos: usize,
}

impl BackendIter for LeastIter {
    fn next(&mut self) -> Option<&Backend> {
        let i = *self.order.get(self.pos)?;
        self.pos += 1;
        Some(&self.sel.backends[i].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(addr: &str, weight: usize) -> (Backend, InFlight) {
        let mut b = Backend::new_with_weight(addr, weight).unwrap();
        let f = InFlight::default();
        b.ext.insert(f.clone());
        (b, f)
    }

    #[test]
    fn picks_least_loaded_per_weight() {
        let (a, fa) = backend("127.0.0.1:1", 1);
        let (b, fb) = backend("127.0.0.1:2", 2);
        let set: BTreeSet<Backend> = [a.clone(), b.clone()].into_iter().collect();
        let sel = Arc::new(LeastConnections::build(&set));
        fa.start();
        assert_eq!(sel.iter(b"").next().unwrap().addr, b.addr);
        fb.start();
        fb.start();
        fb.start();
        // a: 1/1, b: 3/2 -> a
        assert_eq!(sel.iter(b"").next().unwrap().addr, a.addr);
        fa.end();
        fa.end();
        assert_eq!(fa.get(), 0);
    }
}
