//! Upstream pools over pingora-load-balancing: selection algorithms,
//! active health checks, in-flight counting and peer construction.

pub mod drain;
pub mod health;
pub mod least_conn;

use crate::config::{Algorithm, HashKey, Timeouts, UpstreamConfig};
use least_conn::{InFlight, LeastConnections};
use pingora_core::upstreams::peer::HttpPeer;
use pingora_load_balancing::discovery::Static;
use pingora_load_balancing::selection::{Consistent, Random, RoundRobin};
use pingora_load_balancing::{Backend, Backends, LoadBalancer};
use std::collections::BTreeSet;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Errors building a pool.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// A server name did not resolve.
    #[error("upstream `{pool}`: cannot resolve server `{server}`: {reason}")]
    Resolve {
        /// Pool.
        pool: String,
        /// Server as written.
        server: String,
        /// Resolver error.
        reason: String,
    },
}

enum Selector {
    RoundRobin(LoadBalancer<RoundRobin>),
    Random(LoadBalancer<Random>),
    Consistent(LoadBalancer<Consistent>),
    Least(LoadBalancer<LeastConnections>),
}

macro_rules! on_lb {
    ($sel:expr, $lb:ident => $e:expr) => {
        match $sel {
            Selector::RoundRobin($lb) => $e,
            Selector::Random($lb) => $e,
            Selector::Consistent($lb) => $e,
            Selector::Least($lb) => $e,
        }
    };
}

/// A pool of servers with its selection algorithm and health state.
pub struct Pool {
    /// Configuration it was built from.
    pub config: UpstreamConfig,
    selector: Selector,
    servers: Vec<Backend>,
    started: Instant,
    next_check_ms: AtomicU64,
}

impl Pool {
    /// Builds a pool, resolving host names (blocking DNS: load and reload time only).
    pub fn build(config: &UpstreamConfig) -> Result<Pool, PoolError> {
        let mut set = BTreeSet::new();
        for s in &config.servers {
            let addrs = s
                .address
                .to_socket_addrs()
                .map_err(|e| PoolError::Resolve {
                    pool: config.name.clone(),
                    server: s.address.clone(),
                    reason: e.to_string(),
                })?;
            let weight = if config.algorithm == Algorithm::RoundRobin {
                1
            } else {
                s.weight
            };
            for addr in addrs {
                set.insert(backend(addr, weight));
            }
        }
        let servers: Vec<Backend> = set.iter().cloned().collect();
        let mut backends = Backends::new(Static::new(set));
        if let Some(h) = &config.health {
            backends.set_health_check(health::build(h, &config.sni, config.tls));
        }
        let selector = match config.algorithm {
            Algorithm::RoundRobin | Algorithm::Weighted => {
                Selector::RoundRobin(LoadBalancer::from_backends(backends))
            }
            Algorithm::Random => Selector::Random(LoadBalancer::from_backends(backends)),
            Algorithm::ConsistentHash => {
                Selector::Consistent(LoadBalancer::from_backends(backends))
            }
            Algorithm::LeastConnections => Selector::Least(LoadBalancer::from_backends(backends)),
        };
        // Static discovery never blocks or fails: populate the selector now.
        on_lb!(&selector, lb => {
            use futures::FutureExt;
            let _ = lb.update().now_or_never();
        });
        Ok(Pool {
            config: config.clone(),
            selector,
            servers,
            started: Instant::now(),
            next_check_ms: AtomicU64::new(0),
        })
    }

    /// Name of the pool.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Picks a healthy server for `key`, skipping `exclude` (servers that
    /// failed this request) and `drained` (servers an operator drained).
    pub fn select(
        &self,
        key: &[u8],
        exclude: &[SocketAddr],
        drained: &[SocketAddr],
    ) -> Option<Backend> {
        let accept = |b: &Backend, healthy: bool| {
            healthy
                && !b
                    .addr
                    .as_inet()
                    .is_some_and(|a| exclude.contains(a) || drained.contains(a))
        };
        let max = self.servers.len() * 4 + 16;
        on_lb!(&self.selector, lb => lb.select_with(key, max, accept))
    }

    /// Health of every server.
    pub fn health(&self) -> Vec<(SocketAddr, bool)> {
        let backends = on_lb!(&self.selector, lb => lb.backends());
        self.servers
            .iter()
            .filter_map(|b| Some((*b.addr.as_inet()?, backends.ready(b))))
            .collect()
    }

    /// True when at least one server is healthy.
    pub fn any_healthy(&self) -> bool {
        self.health().iter().any(|(_, h)| *h)
    }

    /// Builds the peer for a selected server with route-level timeout overrides.
    pub fn peer(&self, b: &Backend, route: &Timeouts) -> Box<HttpPeer> {
        let addr = b
            .addr
            .as_inet()
            .copied()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let mut peer = HttpPeer::new(addr, self.config.tls, self.config.sni.clone());
        let t = &self.config.timeouts;
        peer.options.connection_timeout = route.connect.or(t.connect);
        peer.options.total_connection_timeout = route.connect.or(t.connect);
        peer.options.read_timeout = route.read.or(t.read);
        peer.options.write_timeout = route.write.or(t.write);
        Box::new(peer)
    }

    /// The hash key for consistent hashing.
    pub fn hash_key(&self) -> &HashKey {
        &self.config.hash_key
    }

    /// Runs one health-check pass if the interval elapsed. Returns true if it ran.
    pub async fn check_if_due(&self) -> bool {
        let Some(h) = &self.config.health else {
            return false;
        };
        let now = self.started.elapsed().as_millis() as u64;
        let due = self.next_check_ms.load(Ordering::Relaxed);
        if now < due
            || self
                .next_check_ms
                .compare_exchange(
                    due,
                    now + h.interval.as_millis() as u64,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return false;
        }
        let backends = on_lb!(&self.selector, lb => lb.backends());
        backends.run_health_check(true).await;
        true
    }

    /// Interval of the active health check, if any.
    pub fn check_interval(&self) -> Option<Duration> {
        self.config.health.as_ref().map(|h| h.interval)
    }
}

fn backend(addr: SocketAddr, weight: usize) -> Backend {
    let mut b = Backend::new_with_weight(&addr.to_string(), weight).expect("a SocketAddr parses");
    b.ext.insert(InFlight::default());
    b
}

/// The in-flight counter of a selected backend.
pub fn in_flight(b: &Backend) -> Option<InFlight> {
    b.ext.get::<InFlight>().cloned()
}
