//! The checked `acme:` section: directory presets, storage folder, renewal
//! window and retry schedule, and each certificate's names and challenge.

use super::file::AcmeSection;
use std::path::{Path, PathBuf};
use std::time::Duration;

type R<T> = Result<T, (String, String)>;

/// Let's Encrypt production.
pub const LETSENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt staging (untrusted certificates, generous rate limits).
pub const LETSENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";
/// Default storage folder (relative to the config file's folder).
pub const DEFAULT_STORAGE: &str = "acme";
/// Default renewal window.
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);
/// Default renewal check interval.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(12 * 3600);
/// Default first retry delay.
pub const DEFAULT_RETRY_INITIAL: Duration = Duration::from_secs(60);
/// Default longest retry delay.
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(6 * 3600);
/// Default DNS-01 propagation wait.
pub const DEFAULT_PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

/// How a certificate's names are proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// A token served on the plain listeners under
    /// `/.well-known/acme-challenge/`.
    Http01,
    /// A TXT record at `_acme-challenge.NAME`, set by the DNS hook.
    Dns01,
}

/// One certificate to obtain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeCert {
    /// Lowercase DNS names; the first names the certificate (its file
    /// and its `cert renew` argument).
    pub names: Vec<String>,
    /// How the names are proven.
    pub challenge: Challenge,
}

impl AcmeCert {
    /// The certificate's name: its first DNS name (`*` spelled `_` so it
    /// can name a file).
    pub fn id(&self) -> String {
        self.names[0].replace('*', "_")
    }
}

/// DNS-01 settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeDns {
    /// The hook command.
    pub hook: PathBuf,
    /// DNS server polled for the TXT record.
    pub resolver: Option<String>,
    /// Longest wait for the record.
    pub propagation_timeout: Duration,
}

/// When certificates are renewed and retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Renew with less than this left.
    pub renew_before: Duration,
    /// How often expiry is checked.
    pub check_interval: Duration,
    /// Wait after the first failed order; doubles per failure.
    pub retry_initial: Duration,
    /// Longest wait between retries.
    pub retry_max: Duration,
}

/// The checked `acme:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeSettings {
    /// Directory URL.
    pub directory: String,
    /// Contact (`mailto:` added).
    pub contact: Option<String>,
    /// Storage folder (absolute or relative to the working directory).
    pub storage: PathBuf,
    /// Extra root CA for the directory's HTTPS.
    pub ca_root: Option<PathBuf>,
    /// External Account Binding (key id, HMAC key bytes).
    pub eab: Option<(String, Vec<u8>)>,
    /// When to renew, and the waits after failed orders.
    pub schedule: Schedule,
    /// Hold traffic (503) until every certificate is present.
    pub wait: bool,
    /// DNS-01 settings.
    pub dns: Option<AcmeDns>,
    /// The certificates.
    pub certificates: Vec<AcmeCert>,
}

/// Checks `acme:` (paths relative to `dir`).
pub fn settings(section: Option<&AcmeSection>, dir: &Path) -> R<Option<AcmeSettings>> {
    let Some(s) = section else { return Ok(None) };
    let directory = match s.directory.as_deref().unwrap_or("letsencrypt") {
        "letsencrypt" => LETSENCRYPT.to_string(),
        "letsencrypt-staging" => LETSENCRYPT_STAGING.to_string(),
        url if url.starts_with("https://") && url.parse::<http::Uri>().is_ok() => url.to_string(),
        other => {
            return Err((
                "acme.directory".into(),
                format!(
                    "`{other}` is neither `letsencrypt`, `letsencrypt-staging` nor an https:// URL"
                ),
            ))
        }
    };
    let contact = match &s.email {
        Some(e) if !e.contains('@') || e.contains(char::is_whitespace) => {
            return Err((
                "acme.email".into(),
                format!("`{e}` is not an e-mail address"),
            ))
        }
        Some(e) => Some(format!("mailto:{}", e.trim_start_matches("mailto:"))),
        None => None,
    };
    let ca_root = match &s.ca_root {
        Some(p) => {
            let p = dir.join(p);
            if let Err(e) = std::fs::metadata(&p) {
                return Err(("acme.ca_root".into(), format!("{}: {e}", p.display())));
            }
            Some(p)
        }
        None => None,
    };
    let eab = match &s.eab {
        Some(e) => {
            use base64::Engine;
            let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(e.hmac_key.trim_end_matches('='))
                .map_err(|err| {
                    (
                        "acme.eab.hmac_key".to_string(),
                        format!("not base64url: {err}"),
                    )
                })?;
            Some((e.kid.clone(), key))
        }
        None => None,
    };
    let dns = s.dns.as_ref().map(|d| AcmeDns {
        hook: dir.join(&d.hook),
        resolver: d.resolver.clone(),
        propagation_timeout: d.propagation_timeout.unwrap_or(DEFAULT_PROPAGATION_TIMEOUT),
    });
    if let Some(r) = dns.as_ref().and_then(|d| d.resolver.as_ref()) {
        if r.parse::<std::net::SocketAddr>().is_err() {
            return Err((
                "acme.dns.resolver".into(),
                format!("`{r}` is not an address such as 127.0.0.1:53"),
            ));
        }
    }
    let mut certificates: Vec<AcmeCert> = Vec::new();
    for (i, c) in s.certificates.iter().enumerate() {
        let key = format!("acme.certificates[{i}]");
        if c.names.is_empty() {
            return Err((format!("{key}.names"), "at least one DNS name".into()));
        }
        let mut names = Vec::new();
        for (j, n) in c.names.iter().enumerate() {
            let n = n.trim().trim_end_matches('.').to_ascii_lowercase();
            if !valid_name(&n) {
                return Err((
                    format!("{key}.names[{j}]"),
                    format!("`{n}` is not a DNS name (letters, digits, `-`, dots; `*.` only as the first label)"),
                ));
            }
            names.push(n);
        }
        let challenge = match c.challenge.as_deref() {
            None | Some("http-01") => Challenge::Http01,
            Some("dns-01") => Challenge::Dns01,
            Some(o) => {
                return Err((
                    format!("{key}.challenge"),
                    format!("`{o}`: expected `http-01` or `dns-01`"),
                ))
            }
        };
        if challenge == Challenge::Http01 && names.iter().any(|n| n.starts_with("*.")) {
            return Err((
                format!("{key}.challenge"),
                "a wildcard name needs `challenge: dns-01`".into(),
            ));
        }
        if challenge == Challenge::Dns01 && dns.is_none() {
            return Err((
                format!("{key}.challenge"),
                "dns-01 needs `acme.dns.hook`".into(),
            ));
        }
        let cert = AcmeCert { names, challenge };
        if certificates.iter().any(|o| o.id() == cert.id()) {
            return Err((
                format!("{key}.names[0]"),
                format!("another certificate is already named `{}`", cert.names[0]),
            ));
        }
        certificates.push(cert);
    }
    let retry_initial = s.retry_initial.unwrap_or(DEFAULT_RETRY_INITIAL);
    let retry_max = s.retry_max.unwrap_or(DEFAULT_RETRY_MAX).max(retry_initial);
    let check_interval = s.check_interval.unwrap_or(DEFAULT_CHECK_INTERVAL);
    if check_interval < Duration::from_secs(1) {
        return Err(("acme.check_interval".into(), "at least 1s".into()));
    }
    Ok(Some(AcmeSettings {
        directory,
        contact,
        storage: dir.join(s.storage.as_deref().unwrap_or(DEFAULT_STORAGE)),
        ca_root,
        eab,
        schedule: Schedule {
            renew_before: s.renew_before.unwrap_or(DEFAULT_RENEW_BEFORE),
            check_interval,
            retry_initial,
            retry_max,
        },
        wait: s.wait,
        dns,
        certificates,
    }))
}

fn valid_name(n: &str) -> bool {
    let body = n.strip_prefix("*.").unwrap_or(n);
    !body.is_empty()
        && n.len() <= 253
        && body.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["example.com", "*.example.com", "a-b.c", "localhost"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "*.",
            "a..b",
            "-a.b",
            "a*.b",
            "exa mple.com",
            "*.*.a",
            "a_b.c",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
