//! A fixed-size, lock-free table from 64-bit key hashes to one `u64` of
//! state with an expiry, shared by the rate limiter, strike counters and
//! bans. Slots are grouped in sets of [`WAYS`] (one cache line); a key lives
//! in the set its hash selects. A slot whose state has expired is free, so
//! entries expire by themselves; when every slot of a set is live, the one
//! that expires first is taken over (the table is sized so this is rare; it
//! fails open). Updates are compare-and-swap loops: no locks.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// Slots per set.
pub const WAYS: usize = 4;

#[derive(Debug, Default)]
struct Slot {
    key: AtomicU64,
    state: AtomicU64,
}

/// The table. `expiry(state)` (microseconds) tells when a state stops
/// mattering; state 0 must be expired.
#[derive(Debug)]
pub struct SlotTable {
    slots: Box<[Slot]>,
    set_mask: u64,
}

/// Hashes request-derived key parts with a per-process random SipHash key
/// (keys such as API-key headers are attacker-chosen). Never returns 0.
#[derive(Debug, Clone, Default)]
pub struct KeyHasher(RandomState);

impl KeyHasher {
    /// A hasher with a fresh random key.
    pub fn new() -> Self {
        Self(RandomState::new())
    }

    /// The hash of `parts` (length-prefixed, so parts cannot run together).
    pub fn hash(&self, parts: &[&[u8]]) -> u64 {
        let mut k = self.begin();
        for p in parts {
            k.part(p);
        }
        k.finish()
    }

    /// Starts a key to be fed part by part (no allocation).
    pub fn begin(&self) -> KeyState {
        KeyState {
            h: self.0.build_hasher(),
            buf: [0; KEY_BUF],
            n: 0,
        }
    }
}

const KEY_BUF: usize = 120;

/// A key being hashed, see [`KeyHasher::begin`]. Parts are gathered in a
/// stack buffer so that short keys cost one SipHash pass.
#[derive(Debug)]
pub struct KeyState {
    h: std::collections::hash_map::DefaultHasher,
    buf: [u8; KEY_BUF],
    n: usize,
}

impl KeyState {
    /// Adds one part (length-prefixed).
    pub fn part(&mut self, p: &[u8]) {
        let len = (p.len() as u32).to_le_bytes();
        if self.n + 4 + p.len() > KEY_BUF {
            self.h.write(&self.buf[..self.n]);
            self.n = 0;
            if 4 + p.len() > KEY_BUF {
                self.h.write(&len);
                self.h.write(p);
                return;
            }
        }
        self.buf[self.n..self.n + 4].copy_from_slice(&len);
        self.buf[self.n + 4..self.n + 4 + p.len()].copy_from_slice(p);
        self.n += 4 + p.len();
    }

    /// The hash (never 0).
    pub fn finish(mut self) -> u64 {
        self.h.write(&self.buf[..self.n]);
        self.h.finish().max(1)
    }
}

impl SlotTable {
    /// A table for about `capacity` live keys (rounded up to a power of two
    /// number of sets, at least one).
    pub fn new(capacity: usize) -> Self {
        let sets = capacity.div_ceil(WAYS).max(1).next_power_of_two();
        let slots = (0..sets * WAYS).map(|_| Slot::default()).collect();
        Self {
            slots,
            set_mask: sets as u64 - 1,
        }
    }

    fn set(&self, key: u64) -> &[Slot] {
        let i = ((key >> 7) & self.set_mask) as usize * WAYS;
        &self.slots[i..i + WAYS]
    }

    /// The live state of `key` at `now`.
    pub fn get(&self, key: u64, now: u64, expiry: impl Fn(u64) -> u64) -> Option<u64> {
        self.set(key).iter().find_map(|s| {
            if s.key.load(Ordering::Acquire) != key {
                return None;
            }
            let st = s.state.load(Ordering::Acquire);
            (expiry(st) > now).then_some(st)
        })
    }

    /// Removes `key`; true if it had a live state.
    pub fn remove(&self, key: u64, now: u64, expiry: impl Fn(u64) -> u64) -> bool {
        let mut found = false;
        for s in self.set(key) {
            if s.key.load(Ordering::Acquire) == key {
                found |= expiry(s.state.swap(0, Ordering::AcqRel)) > now;
            }
        }
        found
    }

    /// Reads the live state of `key` (`None` if absent or expired), lets `f`
    /// decide the new state (`None`: leave it) and a result, and stores the
    /// new state atomically, retrying `f` if another thread raced.
    pub fn update<R>(
        &self,
        key: u64,
        now: u64,
        expiry: impl Fn(u64) -> u64,
        mut f: impl FnMut(Option<u64>) -> (Option<u64>, R),
    ) -> R {
        loop {
            let set = self.set(key);
            if let Some(s) = set.iter().find(|s| s.key.load(Ordering::Acquire) == key) {
                let st = s.state.load(Ordering::Acquire);
                let (new, r) = f((expiry(st) > now).then_some(st));
                let Some(new) = new else { return r };
                let ok = s
                    .state
                    .compare_exchange(st, new, Ordering::AcqRel, Ordering::Acquire);
                if ok.is_ok() && s.key.load(Ordering::Acquire) == key {
                    return r;
                }
                continue;
            }
            let (new, r) = f(None);
            let Some(new) = new else { return r };
            if self.claim(set, key, new, now, &expiry) {
                return r;
            }
        }
    }

    fn claim(
        &self,
        set: &[Slot],
        key: u64,
        new: u64,
        now: u64,
        expiry: &impl Fn(u64) -> u64,
    ) -> bool {
        let victim = set
            .iter()
            .map(|s| {
                (
                    s,
                    s.key.load(Ordering::Acquire),
                    s.state.load(Ordering::Acquire),
                )
            })
            .min_by_key(|(_, k, st)| {
                if *k == 0 {
                    0
                } else {
                    expiry(*st).max(now) - now + 1
                }
            });
        let Some((slot, old_key, _)) = victim else {
            return false;
        };
        let cas = slot
            .key
            .compare_exchange(old_key, key, Ordering::AcqRel, Ordering::Acquire);
        if cas.is_err() {
            return false;
        }
        slot.state.store(new, Ordering::Release);
        true
    }

    /// Forgets every expired state (not needed for correctness; it only
    /// makes slots free sooner). Returns how many live keys remain.
    pub fn sweep(&self, now: u64, expiry: impl Fn(u64) -> u64) -> usize {
        let mut live = 0;
        for s in self.slots.iter() {
            let k = s.key.load(Ordering::Acquire);
            if k == 0 {
                continue;
            }
            if expiry(s.state.load(Ordering::Acquire)) > now {
                live += 1;
            } else {
                let _ = s
                    .key
                    .compare_exchange(k, 0, Ordering::AcqRel, Ordering::Acquire);
            }
        }
        live
    }

    /// Total number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(st: u64) -> u64 {
        st
    }

    #[test]
    fn update_get_remove_and_expiry() {
        let t = SlotTable::new(16);
        let r = t.update(42, 100, exp, |s| (Some(s.unwrap_or(0) + 200), s));
        assert_eq!(r, None);
        assert_eq!(t.get(42, 100, exp), Some(200));
        let r = t.update(42, 100, exp, |s| (Some(s.unwrap() + 1), s));
        assert_eq!(r, Some(200));
        assert_eq!(t.get(42, 201, exp), None, "expired");
        assert!(t.remove(42, 100, exp));
        assert_eq!(t.get(42, 100, exp), None);
    }

    #[test]
    fn a_full_set_evicts_the_soonest_expiry() {
        let t = SlotTable::new(WAYS);
        for k in 1..=WAYS as u64 {
            t.update(k << 7, 0, exp, |_| (Some(1000 + k), ()));
        }
        t.update(99 << 7, 0, exp, |_| (Some(5000), ()));
        assert_eq!(t.get(1 << 7, 0, exp), None, "soonest expiry evicted");
        assert_eq!(t.get(2 << 7, 0, exp), Some(1002));
        assert_eq!(t.get(99 << 7, 0, exp), Some(5000));
        assert_eq!(t.sweep(1002, exp), 3);
    }

    #[test]
    fn concurrent_updates_are_not_lost() {
        let t = std::sync::Arc::new(SlotTable::new(64));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        t.update(7 << 7, 0, |_| u64::MAX, |s| (Some(s.unwrap_or(0) + 1), ()));
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|h| h.join().unwrap());
        let n = t.get(7 << 7, 0, |_| u64::MAX).unwrap();
        assert!((39_990..=40_000).contains(&n), "{n}");
    }

    #[test]
    fn key_hashes_separate_parts() {
        let h = KeyHasher::new();
        assert_ne!(h.hash(&[b"ab", b"c"]), h.hash(&[b"a", b"bc"]));
        assert_eq!(h.hash(&[b"x"]), h.hash(&[b"x"]));
        let long = vec![7u8; 300];
        let mid = vec![9u8; 100];
        let a = h.hash(&[b"name", &mid, &long, b"tail"]);
        let mut k = h.begin();
        for p in [&b"name"[..], &mid, &long, b"tail"] {
            k.part(p);
        }
        assert_eq!(a, k.finish(), "buffering does not change the hash");
        assert_ne!(a, h.hash(&[b"name", &mid, &long, b"tai1"]));
    }
}
