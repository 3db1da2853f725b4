//! The per-SNI certificate store: exact names, then wildcards
//! (`*.example.com` covers one label), then the default certificate.
//! Published through one `ArcSwap`, so the resolver, which rustls calls
//! synchronously in every handshake, never locks; a reload or a renewal
//! builds a new table and swaps it in.

use super::cert::Certificate;
use arc_swap::ArcSwap;
use pingora_rustls::sign::CertifiedKey;
use pingora_rustls::{ClientHello, ResolvesServerCert};
use std::collections::HashMap;
use std::sync::Arc;

/// Warn about certificates that expire within this many seconds.
pub const EXPIRY_WARNING_SECS: i64 = 7 * 24 * 3600;

#[derive(Default)]
struct Table {
    exact: HashMap<String, Arc<Certificate>>,
    /// Keyed by the suffix after `*.`.
    wildcard: HashMap<String, Arc<Certificate>>,
    default: Option<Arc<Certificate>>,
    all: Vec<Arc<Certificate>>,
}

/// What the table is built from: the config's files and what the ACME
/// service obtained (files win a name both cover).
#[derive(Default, Clone)]
struct Inputs {
    files: Vec<Arc<Certificate>>,
    /// By certificate id (`AcmeCert::id`).
    acme: Vec<(String, Arc<Certificate>)>,
    default: Option<String>,
}

/// Every certificate the TLS listeners serve.
#[derive(Default)]
pub struct CertStore {
    table: ArcSwap<Table>,
    /// What `table` was built from (reload and the ACME service write it,
    /// each through `rcu`); handshakes read only `table`.
    inputs: ArcSwap<Inputs>,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertStore")
            .field("certificates", &self.table.load().all.len())
            .finish()
    }
}

impl CertStore {
    /// An empty store (every handshake fails until something is published).
    pub fn new() -> Arc<CertStore> {
        Arc::new(CertStore::default())
    }

    /// Replaces the certificates from files. `default` names the
    /// certificate served to clients without SNI or with an unknown name (by
    /// one of its names); `None` refuses those handshakes. Earlier
    /// certificates win a name that two certificates share, and files win
    /// over ACME.
    pub fn publish(&self, certs: Vec<Arc<Certificate>>, default: Option<&str>) {
        let default = default.map(str::to_ascii_lowercase);
        self.update(|i| {
            i.files = certs.clone();
            i.default = default.clone();
        });
    }

    /// Adds or replaces the ACME certificate `id`.
    pub fn publish_acme(&self, id: &str, cert: Arc<Certificate>) {
        self.update(|i| match i.acme.iter_mut().find(|(i, _)| i == id) {
            Some(slot) => slot.1 = cert.clone(),
            None => i.acme.push((id.to_string(), cert.clone())),
        });
    }

    fn update(&self, change: impl Fn(&mut Inputs)) {
        self.inputs.rcu(|old| {
            let mut i = Inputs::clone(old);
            change(&mut i);
            i
        });
        // Two writers may interleave: rebuild until the table was built from
        // the inputs that are current.
        loop {
            let inputs = self.inputs.load_full();
            self.rebuild(&inputs);
            if Arc::ptr_eq(&inputs, &self.inputs.load()) {
                break;
            }
        }
    }

    /// The ACME certificate `id`, when one is published.
    pub fn acme(&self, id: &str) -> Option<Arc<Certificate>> {
        let inputs = self.inputs.load();
        inputs
            .acme
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, c)| c.clone())
    }

    fn rebuild(&self, inputs: &Inputs) {
        let certs: Vec<Arc<Certificate>> = inputs
            .files
            .iter()
            .cloned()
            .chain(inputs.acme.iter().map(|(_, c)| c.clone()))
            .collect();
        let mut t = Table::default();
        for c in &certs {
            for n in &c.names {
                let slot = match n.strip_prefix("*.") {
                    Some(suffix) => t.wildcard.entry(suffix.to_string()),
                    None => t.exact.entry(n.clone()),
                };
                slot.or_insert_with(|| c.clone());
            }
        }
        t.default = inputs
            .default
            .as_ref()
            .and_then(|d| certs.iter().find(|c| c.names.contains(d)).cloned());
        crate::telemetry::metrics::TLS_CERT_EXPIRY.reset();
        for c in &certs {
            crate::telemetry::metrics::TLS_CERT_EXPIRY
                .with_label_values(&[c.primary_name()])
                .set(c.not_after);
        }
        t.all = certs;
        self.table.store(Arc::new(t));
    }

    /// The certificate for a server name (`None`: no SNI).
    pub fn select(&self, sni: Option<&str>) -> Option<Arc<Certificate>> {
        let t = self.table.load();
        let found = sni.and_then(|name| {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            t.exact.get(&name).cloned().or_else(|| {
                let (_, parent) = name.split_once('.')?;
                t.wildcard.get(parent).cloned()
            })
        });
        found.or_else(|| t.default.clone())
    }

    /// Every certificate, in the order published.
    pub fn list(&self) -> Vec<Arc<Certificate>> {
        self.table.load().all.clone()
    }

    /// Logs a warning for each certificate expired or expiring within
    /// [`EXPIRY_WARNING_SECS`] at `now` (seconds since the epoch).
    pub fn warn_expiring(&self, now: i64) {
        for c in self.list() {
            let left = c.seconds_left(now);
            if left <= 0 {
                log::warn!(
                    "tls: certificate for {} EXPIRED {} days ago ({:?})",
                    c.names.join(", "),
                    -left / 86_400,
                    c.source
                );
            } else if left <= EXPIRY_WARNING_SECS {
                log::warn!(
                    "tls: certificate for {} expires in {} hours ({:?})",
                    c.names.join(", "),
                    left / 3600,
                    c.source
                );
            }
        }
    }
}

/// The rustls side of the store.
#[derive(Debug)]
pub struct Resolver(pub Arc<CertStore>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let chosen = self.0.select(hello.server_name());
        if chosen.is_none() {
            crate::telemetry::metrics::TLS_HANDSHAKE_FAILURES
                .with_label_values(&["no_certificate"])
                .inc();
        }
        chosen.map(|c| c.key.clone())
    }
}
