//! The ACME background service (a Pingora `BackgroundService` in the same
//! server as the proxy). Every second it reads the current snapshot's
//! `acme:` section (so a reload that adds a certificate is picked up), and
//! for each certificate:
//!
//! - publishes the stored certificate if it is not served yet (a restart
//!   reuses it: no order while a valid stored certificate exists);
//! - orders one when none is stored, when the stored one is inside the
//!   renewal window (checked at start and every `check_interval`), or when
//!   `rampart cert renew` asked for it;
//! - after a failure, waits `retry_initial × 2^(failures-1)` (at most
//!   `retry_max`), with ±25% jitter, and never less than the CA's
//!   `Retry-After`, while the old certificate keeps serving.
//!
//! Each attempt's time, result and error are kept in `status.json` for
//! `rampart cert status`.

use super::client::{Client, RetryAfter};
use super::order;
use super::storage::{write_atomic, CertRecord, Storage};
use super::Runtime;
use crate::config::acme::{AcmeCert, AcmeSettings};
use crate::snapshot::Shared;
use crate::telemetry::metrics;
use crate::tls::{unix_now, CertSource, Certificate};
use async_trait::async_trait;
use instant_acme::{Account, AccountCredentials, ExternalAccountKey, NewAccount};
use pingora_core::server::ShutdownWatch;
use pingora_core::services::background::BackgroundService;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The service.
pub struct AcmeService {
    /// Config snapshots and the certificate store.
    pub shared: Arc<Shared>,
    /// The challenge store and the wait flag, shared with the proxy.
    pub runtime: Arc<Runtime>,
}

/// Per-certificate schedule, in memory.
#[derive(Default)]
struct Schedule {
    /// The next expiry check.
    next_check: Option<Instant>,
    /// No order before this (backoff).
    not_before: Option<Instant>,
    failures: u32,
}

struct Session {
    key: (String, Option<std::path::PathBuf>),
    account: Account,
    retry_after: RetryAfter,
}

#[async_trait]
impl BackgroundService for AcmeService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut schedules: HashMap<String, Schedule> = HashMap::new();
        let mut session: Option<Session> = None;
        let mut storage_error_logged = false;
        loop {
            let snap = self.shared.load();
            if let Some(settings) = snap.config.acme.as_ref() {
                let storage = Storage::new(&settings.storage);
                match storage.ensure() {
                    Ok(()) => {
                        storage_error_logged = false;
                        self.tick(settings, &storage, &mut schedules, &mut session)
                            .await;
                    }
                    Err(e) if !storage_error_logged => {
                        log::error!(
                            "acme: cannot use storage {}: {e}",
                            settings.storage.display()
                        );
                        storage_error_logged = true;
                    }
                    Err(_) => {}
                }
            } else {
                self.runtime.set_holding(false);
            }
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}

impl AcmeService {
    async fn tick(
        &self,
        settings: &AcmeSettings,
        storage: &Storage,
        schedules: &mut HashMap<String, Schedule>,
        session: &mut Option<Session>,
    ) {
        let mut records = storage.records();
        let mut changed = false;
        let renewals = storage.take_renewals();
        for id in &renewals {
            if settings.certificates.iter().any(|c| c.id() == *id) {
                log::info!("acme: renewal of {id} requested");
            } else {
                log::warn!(
                    "acme: renewal requested for {id}, which acme.certificates does not name"
                );
            }
        }
        for cert in &settings.certificates {
            let id = cert.id();
            let sched = schedules.entry(id.clone()).or_default();
            let served = self.served(storage, cert, &id);
            let now = Instant::now();
            let forced = renewals.contains(&id);
            let due = match &served {
                None => true,
                Some(c) => {
                    let check = sched.next_check.is_none_or(|t| now >= t);
                    if check {
                        sched.next_check = Some(now + settings.schedule.check_interval);
                    }
                    check
                        && c.seconds_left(unix_now())
                            < settings.schedule.renew_before.as_secs() as i64
                }
            };
            if !(forced || due && sched.not_before.is_none_or(|t| now >= t)) {
                if due {
                    // Not yet: keep it due until the backoff has passed.
                    sched.next_check = None;
                }
                continue;
            }
            let why = if forced {
                "requested"
            } else if served.is_none() {
                "no certificate yet"
            } else {
                "inside the renewal window"
            };
            log::info!(
                "acme: ordering a certificate for {} ({why})",
                cert.names.join(", ")
            );
            let record = records.entry(id.clone()).or_default();
            record.last_attempt = Some(unix_now());
            changed = true;
            match self.order(settings, storage, cert, &id, session).await {
                Ok(c) => {
                    metrics::ACME_ORDERS
                        .with_label_values(&[&id, "success"])
                        .inc();
                    log::info!(
                        "acme: certificate for {} obtained, valid until {} ({} days)",
                        cert.names.join(", "),
                        c.not_after,
                        c.seconds_left(unix_now()) / 86_400
                    );
                    self.shared.certs.publish_acme(&id, Arc::new(c));
                    *sched = Schedule {
                        next_check: Some(Instant::now() + settings.schedule.check_interval),
                        ..Schedule::default()
                    };
                    record.last_success = record.last_attempt;
                    record.last_error = None;
                    record.failures = 0;
                    record.next_attempt = None;
                }
                Err(e) => {
                    metrics::ACME_ORDERS
                        .with_label_values(&[&id, "failure"])
                        .inc();
                    sched.failures += 1;
                    let server_wait = session.as_ref().and_then(|s| s.retry_after.take());
                    let delay = backoff(settings, sched.failures, server_wait);
                    sched.not_before = Some(Instant::now() + delay);
                    sched.next_check = None;
                    log::warn!(
                        "acme: order for {} failed (attempt {}): {e}; next attempt in {:.1}s{}",
                        cert.names.join(", "),
                        sched.failures,
                        delay.as_secs_f64(),
                        if server_wait.is_some() {
                            " (the CA's Retry-After)"
                        } else {
                            ""
                        }
                    );
                    record.last_error = Some(e);
                    record.failures = sched.failures;
                    record.next_attempt = Some(unix_now() + delay.as_secs() as i64);
                }
            }
        }
        if changed {
            if let Err(e) = storage.save_records(&records) {
                log::warn!("acme: cannot write status.json: {e}");
            }
        }
        let missing = settings
            .certificates
            .iter()
            .any(|c| self.shared.certs.acme(&c.id()).is_none());
        self.runtime.set_holding(settings.wait && missing);
    }

    /// The served certificate of `cert`, loading the stored one first if
    /// none is served yet (and it covers every configured name).
    fn served(&self, storage: &Storage, cert: &AcmeCert, id: &str) -> Option<Arc<Certificate>> {
        let covers = |c: &Certificate| cert.names.iter().all(|n| c.names.contains(n));
        if let Some(c) = self.shared.certs.acme(id).filter(|c| covers(c)) {
            return Some(c);
        }
        match storage.load_cert(id) {
            Ok(Some(c)) if covers(&c) && c.seconds_left(unix_now()) > 0 => {
                log::info!(
                    "acme: serving the stored certificate for {} ({} days left)",
                    cert.names.join(", "),
                    c.seconds_left(unix_now()) / 86_400
                );
                let c = Arc::new(c);
                self.shared.certs.publish_acme(id, c.clone());
                Some(c)
            }
            Ok(_) => None,
            Err(e) => {
                log::warn!("acme: stored certificate unusable, ordering anew: {e}");
                None
            }
        }
    }

    async fn order(
        &self,
        settings: &AcmeSettings,
        storage: &Storage,
        cert: &AcmeCert,
        id: &str,
        session: &mut Option<Session>,
    ) -> Result<Certificate, String> {
        let key = (settings.directory.clone(), settings.ca_root.clone());
        if session.as_ref().is_none_or(|s| s.key != key) {
            *session = Some(
                account(settings, storage)
                    .await
                    .map(|(account, retry_after)| Session {
                        key,
                        account,
                        retry_after,
                    })?,
            );
        }
        let s = session.as_ref().ok_or("no account")?;
        let mut result = order::obtain(
            &s.account,
            cert,
            &self.runtime.challenges,
            settings.dns.as_ref(),
        )
        .await;
        if result
            .as_ref()
            .is_err_and(|e| e.contains("accountDoesNotExist"))
        {
            // The CA forgot the stored account (a reset test CA, a
            // deactivated account): register a new one and try again.
            log::warn!("acme: the CA does not know the stored account; registering a new one");
            let _ = std::fs::remove_file(storage.account_path(&settings.directory));
            let (account, retry_after) = account(settings, storage).await?;
            *session = Some(Session {
                key: (settings.directory.clone(), settings.ca_root.clone()),
                account,
                retry_after,
            });
            let s = session.as_ref().ok_or("no account")?;
            result = order::obtain(
                &s.account,
                cert,
                &self.runtime.challenges,
                settings.dns.as_ref(),
            )
            .await;
        }
        let issued = result?;
        let c = Certificate::from_pem(
            issued.chain_pem.as_bytes(),
            issued.key_pem.as_bytes(),
            CertSource::Acme,
        )
        .map_err(|e| format!("the issued certificate: {e}"))?;
        storage
            .save_cert(id, &issued.chain_pem, &issued.key_pem)
            .map_err(|e| format!("storing {}: {e}", storage.cert_path(id).display()))?;
        Ok(c)
    }
}

/// The account for the directory: the stored one, or a new one stored 0600.
async fn account(
    settings: &AcmeSettings,
    storage: &Storage,
) -> Result<(Account, RetryAfter), String> {
    let (client, retry_after) = Client::new(settings.ca_root.as_deref())?;
    let path = storage.account_path(&settings.directory);
    if let Ok(bytes) = std::fs::read(&path) {
        let creds: AccountCredentials =
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let account = Account::builder_with_http(Box::new(client))
            .from_credentials(creds)
            .await
            .map_err(|e| format!("restoring the account from {}: {e}", path.display()))?;
        log::info!("acme: using the stored account {}", account.id());
        return Ok((account, retry_after));
    }
    let contact: Vec<&str> = settings.contact.iter().map(String::as_str).collect();
    let eab = settings
        .eab
        .as_ref()
        .map(|(kid, key)| ExternalAccountKey::new(kid.clone(), key));
    let (account, creds) = Account::builder_with_http(Box::new(client))
        .create(
            &NewAccount {
                contact: &contact,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            settings.directory.clone(),
            eab.as_ref(),
        )
        .await
        .map_err(|e| format!("creating an account at {}: {e}", settings.directory))?;
    let json = serde_json::to_vec(&creds).map_err(|e| e.to_string())?;
    write_atomic(&path, &json).map_err(|e| format!("{}: {e}", path.display()))?;
    log::info!(
        "acme: created account {} at {}, stored in {}",
        account.id(),
        settings.directory,
        path.display()
    );
    Ok((account, retry_after))
}

/// The wait before attempt `failures + 1`.
fn backoff(settings: &AcmeSettings, failures: u32, server: Option<Duration>) -> Duration {
    let exp = settings
        .schedule
        .retry_initial
        .saturating_mul(1u32 << failures.saturating_sub(1).min(20));
    let base = exp.min(settings.schedule.retry_max);
    let jitter = 0.75 + rand::random::<f64>() * 0.5;
    let d = base.mul_f64(jitter);
    server.map_or(d, |s| d.max(s))
}

/// The status of every ACME certificate from the storage alone (for
/// `rampart cert status`, without a running server).
pub fn status(settings: &AcmeSettings, now: i64) -> Vec<crate::tls::status::CertStatus> {
    use crate::tls::status::{rfc3339, CertStatus};
    let storage = Storage::new(&settings.storage);
    let records: BTreeMap<String, CertRecord> = storage.records();
    settings
        .certificates
        .iter()
        .map(|cert| {
            let id = cert.id();
            let path = storage.cert_path(&id).display().to_string();
            let mut row = match storage.load_cert(&id) {
                Ok(Some(c)) => crate::tls::status::status(&[Arc::new(c)], now)
                    .pop()
                    .unwrap_or_else(|| CertStatus::missing(cert.names.clone(), "")),
                Ok(None) => CertStatus::missing(cert.names.clone(), "(not obtained yet)"),
                Err(e) => CertStatus::missing(cert.names.clone(), &format!("(unreadable: {e})")),
            };
            row.path = Some(path);
            if let Some(r) = records.get(&id) {
                row.last_attempt = r.last_attempt.map(rfc3339);
                row.last_error = r.last_error.clone();
                row.next_attempt = r
                    .next_attempt
                    .filter(|_| r.last_error.is_some())
                    .map(rfc3339);
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> AcmeSettings {
        crate::config::acme::settings(
            Some(&serde_yaml::from_str("retry_initial: 10s\nretry_max: 100s\n").unwrap()),
            std::path::Path::new("/tmp"),
        )
        .unwrap()
        .unwrap()
    }

    #[test]
    fn backoff_grows_caps_and_honours_retry_after() {
        let s = settings();
        for (failures, base) in [
            (1, 10.0),
            (2, 20.0),
            (3, 40.0),
            (4, 80.0),
            (5, 100.0),
            (40, 100.0),
        ] {
            for _ in 0..50 {
                let d = backoff(&s, failures, None).as_secs_f64();
                assert!(d >= base * 0.75 && d <= base * 1.25, "{failures}: {d}");
            }
        }
        let d = backoff(&s, 1, Some(Duration::from_secs(3600)));
        assert_eq!(d, Duration::from_secs(3600));
    }
}
