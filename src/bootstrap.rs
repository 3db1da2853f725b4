//! Builds the Pingora `Server` from a validated config: proxy listeners, the
//! metrics endpoint, the demo upstream, and background services (health
//! checks, SIGHUP reload).

use crate::config::Config;
use crate::listener::{Guarded, Limits};
use crate::proxy::EdgeProxy;
use crate::snapshot::{Shared, Snapshot, SnapshotError};
use crate::telemetry::{endpoint::Endpoint, metrics};
use crate::tls::Resolver;
use async_trait::async_trait;
use pingora_core::apps::http_app::HttpServer;
use pingora_core::listeners::tls::TlsSettings;
use pingora_core::server::configuration::{Opt, ServerConf};
use pingora_core::server::{Server, ShutdownWatch};
use pingora_core::services::background::{background_service, BackgroundService};
use pingora_core::services::listening::Service;
use std::sync::Arc;
use std::time::Duration;

/// Pingora's own process options from the CLI.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessOpts {
    /// Take over listeners from a running process (`-u`).
    pub upgrade: bool,
    /// Run in the background (`-d`).
    pub daemon: bool,
}

/// Builds the server. The returned server is ready for `run_forever`.
pub fn build(config: Config, opts: ProcessOpts) -> Result<Server, SnapshotError> {
    let mut conf = ServerConf::new().expect("default server conf");
    let s = &config.server;
    conf.pid_file = s.pid_file.clone();
    conf.upgrade_sock = s.upgrade_sock.clone();
    conf.grace_period_seconds = Some(s.grace_period.as_secs());
    conf.graceful_shutdown_timeout_seconds = Some(s.graceful_shutdown_timeout.as_secs());
    conf.error_log = s.error_log.clone();
    conf.threads = s.threads;
    let opt = Opt {
        upgrade: opts.upgrade,
        daemon: opts.daemon,
        nocapture: false,
        test: false,
        conf: None,
    };
    let mut server = Server::new_with_opt_and_conf(opt, conf);
    server.bootstrap();

    metrics::init();
    let listeners = config.listeners.clone();
    let metrics_addr = config.metrics;
    let demo = config.demo_upstream;
    let acme_wait = config.acme.as_ref().is_some_and(|a| a.wait);
    let shared = Shared::new(Snapshot::build(config, None)?);
    let acme = Arc::new(crate::acme::Runtime::default());
    acme.set_holding(acme_wait);

    for (i, l) in listeners.iter().enumerate() {
        let proxy = EdgeProxy {
            shared: shared.clone(),
            keepalive_secs: l.keepalive_timeout.as_secs(),
            acme: acme.clone(),
        };
        let mut app = pingora_proxy::http_proxy(&server.configuration, proxy);
        let mut opts = app.server_options.take().unwrap_or_default();
        opts.h2c = l.h2c;
        opts.h2_idle_timeout = Some(l.keepalive_timeout);
        app.server_options = Some(opts);
        let limits = Limits {
            max_connections: l.max_connections,
            header_timeout: l.header_timeout,
            max_header_size: l.max_header_size,
            handshake_timeout: l.handshake_timeout,
        };
        let acceptor = l.tls.then(|| tls_settings(&shared, l).build());
        let guarded = Guarded::new(app, limits, acceptor, &l.address.to_string());
        let mut svc = Service::new(format!("proxy-{i}"), guarded);
        svc.add_tcp(&l.address.to_string());
        svc.threads = Some(l.threads);
        server.add_service(svc);
    }
    if let Some(addr) = metrics_addr {
        let mut svc = Service::new(
            "metrics".into(),
            HttpServer::new_app(Endpoint {
                shared: shared.clone(),
            }),
        );
        svc.add_tcp(&addr.to_string());
        svc.threads = Some(1);
        server.add_service(svc);
    }
    add_admin(&mut server, &shared)?;
    if let Some(addr) = demo {
        let mut svc = Service::new(
            "demo-upstream".into(),
            HttpServer::new_app(crate::demo::Echo),
        );
        svc.add_tcp(&addr.to_string());
        svc.threads = Some(1);
        server.add_service(svc);
    }
    server.add_service(background_service(
        "health-checks",
        HealthChecks {
            shared: shared.clone(),
        },
    ));
    server.add_service(background_service(
        "access-maintenance",
        AccessMaintenance {
            shared: shared.clone(),
        },
    ));
    server.add_service(background_service(
        "acme",
        crate::acme::AcmeService {
            shared: shared.clone(),
            runtime: acme,
        },
    ));
    server.add_service(background_service("reload", Reloader { shared }));
    Ok(server)
}

/// The admin listener, when a credential is configured; otherwise one log
/// line saying how to turn it on.
fn add_admin(server: &mut Server, shared: &Arc<Shared>) -> Result<(), SnapshotError> {
    let cfg = shared.load().config.clone();
    let a = &cfg.admin;
    if !a.enabled() {
        log::info!(
            "admin API is off: no credential configured; add admin.users (password hashes from `rampart admin hash-password`) or admin.tokens, or set {}, to serve it on {}",
            crate::config::admin::PASSWORD_ENV,
            a.address
        );
        return Ok(());
    }
    let app = crate::admin::build(shared).map_err(SnapshotError::Admin)?;
    let mut svc = Service::new("admin".into(), HttpServer::new_app(app));
    if a.tls {
        let mut settings = TlsSettings::intermediate("", "").expect("settings without files");
        settings.set_cert_resolver(Arc::new(Resolver(shared.certs.clone())));
        settings.set_alpn(pingora_core::protocols::ALPN::H1);
        svc.add_tls_with_settings(&a.address.to_string(), None, settings);
    } else {
        svc.add_tcp(&a.address.to_string());
    }
    svc.threads = Some(1);
    server.add_service(svc);
    log::info!(
        "admin API on {}://{}/admin/api/v1 ({} user(s), {} token(s))",
        if a.tls { "https" } else { "http" },
        a.address,
        a.users.len(),
        a.tokens.len()
    );
    Ok(())
}

/// A TLS listener's settings: TLS 1.2 and 1.3 (Pingora's rustls default),
/// certificates by SNI from the shared store, HTTP/2 by ALPN when enabled.
fn tls_settings(shared: &Arc<Shared>, l: &crate::config::Listener) -> TlsSettings {
    let mut settings = TlsSettings::intermediate("", "").expect("settings without files");
    settings.set_cert_resolver(Arc::new(Resolver(shared.certs.clone())));
    if l.h2 {
        settings.enable_h2();
    } else {
        settings.set_alpn(pingora_core::protocols::ALPN::H1);
    }
    settings
}

/// Runs every pool's active health checks at its interval.
struct HealthChecks {
    shared: Arc<Shared>,
}

#[async_trait]
impl BackgroundService for HealthChecks {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        loop {
            let snap = self.shared.load();
            for pool in snap.pools.values() {
                let pool = pool.clone();
                tokio::spawn(async move {
                    if pool.check_if_due().await {
                        for (addr, healthy) in pool.health() {
                            metrics::UPSTREAM_HEALTHY
                                .with_label_values(&[pool.name(), &addr.to_string()])
                                .set(i64::from(healthy));
                        }
                    }
                });
            }
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
    }
}

/// Access-control housekeeping: purge expired list entries, pull fleet bans,
/// watch the geo database, sweep counter tables.
struct AccessMaintenance {
    shared: Arc<Shared>,
}

#[async_trait]
impl BackgroundService for AccessMaintenance {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        loop {
            self.shared.load().access.maintain().await;
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }
}

/// Re-reads the config on SIGHUP; a bad file is logged and the old config keeps serving.
struct Reloader {
    shared: Arc<Shared>,
}

#[async_trait]
impl BackgroundService for Reloader {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            log::error!("cannot install the SIGHUP handler; live reload is disabled");
            return;
        };
        log::info!("SIGHUP reloads the config");
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = hup.recv() => self.reload(),
            }
        }
    }
}

impl Reloader {
    fn reload(&self) {
        let shared = self.shared.clone();
        // Building pools resolves names (blocking DNS): keep it off the runtime threads.
        std::thread::spawn(move || match shared.reload() {
            Ok(v) => log::info!("config reloaded: version {v} is serving"),
            Err(e) => log::error!("config reload rejected, the old config keeps serving: {e}"),
        });
    }
}
