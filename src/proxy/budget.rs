//! The global budget for request bodies held for inspection: every held
//! byte is reserved here first, so the total over all requests stays under
//! `server.body_budget`. A body that does not fit waits up to
//! `server.body_budget_wait` for room, then gets 503 with `Retry-After`
//! instead of growing memory without bound. Reservations are a compare-and-
//! swap on one atomic; a [`Permit`] gives its bytes back when the request
//! context is dropped.

use crate::telemetry::metrics;
use once_cell::sync::Lazy;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Default wait for room in the budget.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(1);
/// The smallest default budget.
const MIN_DEFAULT: usize = 64 << 20;

/// Bytes held and the limit.
#[derive(Debug)]
pub struct BodyBudget {
    limit: AtomicUsize,
    held: AtomicUsize,
}

/// The process's budget (its limit is set from each published config).
pub static BUDGET: Lazy<BodyBudget> = Lazy::new(|| BodyBudget {
    limit: AtomicUsize::new(default_budget()),
    held: AtomicUsize::new(0),
});

/// An eighth of the memory this process may use: the smaller of physical
/// memory (`/proc/meminfo`) and the cgroup v2 limit (`memory.max`), and at
/// least 64 MiB.
pub fn default_budget() -> usize {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        let line = t.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    });
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|t| t.trim().parse::<usize>().ok());
    let total = match (meminfo, cgroup) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(8 << 30),
    };
    (total / 8).max(MIN_DEFAULT)
}

impl BodyBudget {
    /// Sets the limit (a reload may lower it below what is held: new
    /// reservations then wait until enough is released).
    pub fn set_limit(&self, n: usize) {
        self.limit.store(n, Ordering::Relaxed);
    }

    /// Bytes held now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    fn try_reserve(&self, n: usize) -> bool {
        let limit = self.limit.load(Ordering::Relaxed);
        let ok = self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |h| {
                (h + n <= limit).then_some(h + n)
            })
            .is_ok();
        if ok {
            metrics::BODY_HELD_BYTES.set(self.held() as i64);
        }
        ok
    }

    fn release(&self, n: usize) {
        self.held.fetch_sub(n, Ordering::AcqRel);
        metrics::BODY_HELD_BYTES.set(self.held() as i64);
    }
}

/// Bytes a request holds in the budget; released on drop.
#[derive(Debug)]
pub struct Permit {
    budget: &'static BodyBudget,
    bytes: usize,
}

impl Default for Permit {
    fn default() -> Self {
        Permit {
            budget: &BUDGET,
            bytes: 0,
        }
    }
}

impl Permit {
    /// A permit on `budget` holding nothing yet.
    pub fn on(budget: &'static BodyBudget) -> Permit {
        Permit { budget, bytes: 0 }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Makes the permit cover `total` bytes, waiting up to `wait` for room.
    /// False when there was none (the caller answers 503).
    pub async fn cover(&mut self, total: usize, wait: Duration) -> bool {
        if total <= self.bytes {
            return true;
        }
        let more = total - self.bytes;
        let deadline = Instant::now() + wait;
        loop {
            if self.budget.try_reserve(more) {
                self.bytes = total;
                return true;
            }
            if Instant::now() >= deadline {
                metrics::BODY_BUDGET_REFUSALS.inc();
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.budget.release(self.bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(limit: usize) -> &'static BodyBudget {
        Box::leak(Box::new(BodyBudget {
            limit: AtomicUsize::new(limit),
            held: AtomicUsize::new(0),
        }))
    }

    #[tokio::test]
    async fn reservations_stay_under_the_limit_and_come_back() {
        let b = budget(100);
        let mut p1 = Permit::on(b);
        assert!(p1.cover(60, Duration::ZERO).await);
        assert!(p1.cover(80, Duration::ZERO).await, "grows by 20");
        let mut p2 = Permit::on(b);
        assert!(!p2.cover(30, Duration::from_millis(30)).await);
        assert_eq!(b.held(), 80);
        drop(p1);
        assert_eq!(b.held(), 0);
        assert!(p2.cover(100, Duration::ZERO).await);
        assert_eq!(p2.bytes(), 100);
    }

    #[tokio::test]
    async fn a_waiting_body_gets_room_when_another_finishes() {
        let b = budget(100);
        let mut first = Permit::on(b);
        assert!(first.cover(100, Duration::ZERO).await);
        let waiter = tokio::spawn(async move {
            let mut p = Permit::on(b);
            p.cover(50, Duration::from_secs(5)).await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(first);
        assert!(waiter.await.unwrap());
    }

    #[test]
    fn the_default_is_a_share_of_memory() {
        let d = default_budget();
        assert!(d >= MIN_DEFAULT, "{d}");
    }
}
