//! Runtime state compiled from a validated config and published in ONE
//! `ArcSwap`. A reload builds a new snapshot, then stores it; a published
//! snapshot is never mutated.

use crate::access::after_route::RoutePolicy;
use crate::access::clock::SystemClock;
use crate::access::state::{AccessError, AccessState};
use crate::config::{Config, RouteConfig, RouteWaf};
use crate::route::{Matcher, Router};
use crate::tls::CertStore;
use crate::upstream::{Pool, PoolError};
use crate::waf::checks::csrf::CsrfPolicy;
use crate::waf::engine::compile::Engine;
use crate::waf::engine::policy::Policy;
use crate::waf::yaml::{self, RuleError};
use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A route with its pool and WAF policy resolved.
pub struct Route {
    /// The route's configuration.
    pub config: RouteConfig,
    /// The pool it forwards to.
    pub pool: Arc<Pool>,
    /// The WAF policy it runs with.
    pub policy: Policy,
    /// CSRF protection, when the route asks for it.
    pub csrf: Option<CsrfPolicy>,
    /// Access-control policy (route geo, bots).
    pub access: RoutePolicy,
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
    /// The compiled WAF rules.
    pub waf: Arc<Engine>,
    /// Access-control state (lists, bans, limits, bots); stateful parts carry over reloads.
    pub access: Arc<AccessState>,
    /// Version number (1 for the first load, +1 per reload).
    pub version: u64,
}

/// Errors compiling a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A pool could not be built.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// Access-control lists, databases or policies are invalid.
    #[error("{file}: access: {source}")]
    Access {
        /// Config file.
        file: String,
        /// What is wrong.
        source: AccessError,
    },
    /// A rule file or inline rule is invalid.
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// The admin API's key or state folder cannot be used.
    #[error("{0}")]
    Admin(String),
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
        let waf = Arc::new(compile_rules(&config)?);
        let file = config.source.display().to_string();
        let access = match previous {
            Some(p) => p.access.reload(&config.access),
            None => AccessState::build(&config.access, SystemClock::shared()),
        }
        .map_err(|source| SnapshotError::Access {
            file: file.clone(),
            source,
        })?;
        let access = Arc::new(access);
        let mut routes = Vec::new();
        for (index, r) in config.routes.iter().enumerate() {
            let policy = policy(&r.waf);
            let csrf = r.waf.csrf.as_ref().map(|c| CsrfPolicy {
                allowed_origins: c.allowed_origins.clone(),
                cookie: c.cookie.clone(),
                header: c.header.to_ascii_lowercase(),
            });
            let pool = pools[&r.upstream].clone();
            let route_access =
                RoutePolicy::new(&r.access, &access).map_err(|source| SnapshotError::Access {
                    file: format!("{file}: routes[{index}].access"),
                    source,
                })?;
            routes.push(Arc::new(Route {
                config: r.clone(),
                pool,
                policy,
                csrf,
                access: route_access,
            }));
        }
        let router = router(&config.routes);
        let version = previous.map_or(1, |p| p.version + 1);
        Ok(Snapshot {
            config: Arc::new(config),
            router,
            routes,
            pools,
            waf,
            access,
            version,
        })
    }

    /// True when every pool has at least one healthy server.
    pub fn ready(&self) -> bool {
        self.pools.values().all(|p| p.any_healthy())
    }
}

/// The router over `routes` (index `i` is `routes[i]`).
pub fn router(routes: &[RouteConfig]) -> Router {
    Router::new(
        routes
            .iter()
            .map(|r| Matcher {
                hosts: r.hosts.clone(),
                path: r.path.clone(),
                methods: r.methods.clone(),
            })
            .collect(),
    )
}

/// Loads the rule files, the operator rule file (`admin.rules_file`, when it
/// exists) and the inline custom rules of a config, and compiles them.
pub fn compile_rules(config: &Config) -> Result<Engine, RuleError> {
    compile_rules_with(config, None)
}

/// As [`compile_rules`], with `operator` in place of the operator rule
/// file's contents (to validate a change before it is written).
pub fn compile_rules_with(config: &Config, operator: Option<&str>) -> Result<Engine, RuleError> {
    let op_path = &config.admin.rules_file;
    let op_canon = std::fs::canonicalize(op_path).ok();
    let is_operator = |p: &std::path::Path| {
        p == op_path.as_path() || op_canon.is_some() && std::fs::canonicalize(p).ok() == op_canon
    };
    let mut files = Vec::new();
    for pattern in &config.waf.rules {
        for f in yaml::expand(pattern)? {
            if !is_operator(&f) {
                files.push(f.display().to_string());
            }
        }
    }
    let mut all = yaml::load_files(&files)?;
    let text = match operator {
        Some(t) => Some(t.to_string()),
        None => std::fs::read_to_string(op_path).ok(),
    };
    if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
        let name = op_path.display().to_string();
        let ids: HashMap<u32, String> = all.iter().map(|r| (r.id, r.source.to_string())).collect();
        for rule in yaml::load_str(&name, &text)? {
            if let Some(first) = ids.get(&rule.id) {
                return Err(RuleError::DuplicateId {
                    file: name,
                    id: rule.id,
                    first: first.clone(),
                });
            }
            all.push(rule);
        }
    }
    if let Some(text) = &config.waf.custom_rules {
        let name = format!("{}: waf.custom_rules", config.source.display());
        all.extend(yaml::load_str(&name, &format!("rules:\n{text}"))?);
    }
    Ok(Engine::compile(all))
}

/// The engine policy of a route's WAF settings.
pub fn policy(w: &RouteWaf) -> Policy {
    Policy {
        paranoia: w.paranoia,
        threshold: w.threshold,
        mode: w.mode,
        exclusions: w.exclusions.clone(),
    }
}

/// The published snapshot, shared by every phase and service.
pub struct Shared {
    current: ArcSwap<Snapshot>,
    reloads: AtomicU64,
    /// The certificates every TLS listener resolves from, republished with
    /// each snapshot (the listeners themselves outlive reloads).
    pub certs: Arc<CertStore>,
    /// Servers drained through the admin API (outlive reloads).
    pub drains: crate::upstream::drain::Drains,
}

impl Shared {
    /// Publishes the first snapshot.
    pub fn new(s: Snapshot) -> Arc<Shared> {
        let certs = CertStore::new();
        publish_outside(&certs, &s.config);
        Arc::new(Shared {
            current: ArcSwap::from_pointee(s),
            reloads: AtomicU64::new(0),
            certs,
            drains: Default::default(),
        })
    }

    /// The current snapshot (load once per request).
    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Re-reads the config file, compiles it and publishes it; on any error the
    /// old snapshot keeps serving and the error is returned.
    /// Counts the attempt in `rampart_config_reloads_total` (SIGHUP and the
    /// admin API alike).
    pub fn reload(&self) -> Result<u64, String> {
        let result = self.rebuild();
        let label = if result.is_ok() { "ok" } else { "error" };
        crate::telemetry::metrics::RELOADS
            .with_label_values(&[label])
            .inc();
        result
    }

    fn rebuild(&self) -> Result<u64, String> {
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
        publish_outside(&self.certs, &new.config);
        self.current.store(Arc::new(new));
        self.reloads.fetch_add(1, Ordering::Relaxed);
        Ok(v)
    }
}

/// Publishes the parts of a config that live outside the snapshot: the
/// held-body budget's limit, and the certificates, with their expiry as
/// metrics and a warning for any that expire soon.
fn publish_outside(store: &CertStore, config: &Config) {
    crate::proxy::budget::BUDGET.set_limit(config.server.body_budget);
    let tls = &config.tls;
    store.publish(tls.certificates.clone(), tls.default_certificate.as_deref());
    store.warn_expiring(crate::tls::unix_now());
}
