//! Runtime state compiled from a validated config and published in ONE
//! `ArcSwap`. A reload builds a new snapshot, then stores it; a published
//! snapshot is never mutated.

use crate::config::{Config, RouteConfig};
use crate::route::{Matcher, Router};
use crate::upstream::{Pool, PoolError};
use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A route with its pool resolved.
pub struct Route {
    /// The route's configuration.
    pub config: RouteConfig,
    /// The pool it forwards to.
    pub pool: Arc<Pool>,
}

/// Everything a request needs, in one consistent version.
pub struct Snapshot {
    /// The config it was built from.
    pub config: Arc<Config>,
    /// Router over `routes`.
    pub router: Router,
    /// Routes in file order.
    pub routes: Vec<Arc<Route>>,
    /// Pools by name.
    pub pools: HashMap<String, Arc<Pool>>,
    /// Version number (1 for the first load, +1 per reload).
    pub version: u64,
}

/// Errors compiling a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A pool could not be built.
    #[error(transparent)]
    Pool(#[from] PoolError),
}

impl Snapshot {
    /// Compiles a config, reusing unchanged pools (and their health state) from `previous`.
    pub fn build(config: Config, previous: Option<&Snapshot>) -> Result<Snapshot, SnapshotError> {
        let mut pools = HashMap::new();
        for (name, u) in &config.upstreams {
            let reuse = previous
                .and_then(|p| p.pools.get(name))
                .filter(|p| p.config == *u);
            let pool = match reuse {
                Some(p) => p.clone(),
                None => Arc::new(Pool::build(u)?),
            };
            pools.insert(name.clone(), pool);
        }
        let routes: Vec<Arc<Route>> = config
            .routes
            .iter()
            .map(|r| {
                Arc::new(Route {
                    config: r.clone(),
                    pool: pools[&r.upstream].clone(),
                })
            })
            .collect();
        let router = Router::new(
            routes
                .iter()
                .map(|r| Matcher {
                    hosts: r.config.hosts.clone(),
                    path: r.config.path.clone(),
                    methods: r.config.methods.clone(),
                })
                .collect(),
        );
        let version = previous.map_or(1, |p| p.version + 1);
        Ok(Snapshot {
            config: Arc::new(config),
            router,
            routes,
            pools,
            version,
        })
    }

    /// True when every pool has at least one healthy server.
    pub fn ready(&self) -> bool {
        self.pools.values().all(|p| p.any_healthy())
    }
}

/// The published snapshot, shared by every phase and service.
pub struct Shared {
    current: ArcSwap<Snapshot>,
    reloads: AtomicU64,
}

impl Shared {
    /// Publishes the first snapshot.
    pub fn new(s: Snapshot) -> Arc<Shared> {
        Arc::new(Shared {
            current: ArcSwap::from_pointee(s),
            reloads: AtomicU64::new(0),
        })
    }

    /// The current snapshot (load once per request).
    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Re-reads the config file, compiles it and publishes it; on any error the
    /// old snapshot keeps serving and the error is returned.
    pub fn reload(&self) -> Result<u64, String> {
        let old = self.load();
        let config = crate::config::load(&old.config.source).map_err(|e| e.to_string())?;
        if config.listeners.iter().map(|l| l.address).ne(old
            .config
            .listeners
            .iter()
            .map(|l| l.address))
        {
            log::warn!("listener changes need a graceful upgrade (`rampart run -u`); keeping the old listeners");
        }
        let new = Snapshot::build(config, Some(&old)).map_err(|e| e.to_string())?;
        let v = new.version;
        self.current.store(Arc::new(new));
        self.reloads.fetch_add(1, Ordering::Relaxed);
        Ok(v)
    }
}
