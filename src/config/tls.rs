//! The checked TLS settings: certificates loaded from their PEM files (a
//! file that cannot be read, a malformed PEM or a key that does not match is
//! an error at the config line that names it), and per-route HSTS.

use super::file::{self, TlsSection, DEFAULT_HSTS_MAX_AGE};
use super::model::Listener;
use crate::tls::Certificate;
use std::path::Path;
use std::sync::Arc;

type R<T> = Result<T, (String, String)>;

/// What the TLS listeners serve.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// Certificates, in config order (an earlier one wins a shared name).
    pub certificates: Vec<Arc<Certificate>>,
    /// A name of the certificate for clients without a known SNI name.
    pub default_certificate: Option<String>,
}

/// Loads every certificate of `tls:` (paths relative to `dir`) and checks the
/// listeners against it and the names the ACME service will obtain
/// (`acme_names`).
pub fn global(
    section: Option<&TlsSection>,
    dir: &Path,
    listeners: &[Listener],
    acme_names: &[String],
) -> R<TlsSettings> {
    let empty = TlsSection::default();
    let s = section.unwrap_or(&empty);
    let mut certificates = Vec::new();
    for (i, c) in s.certificates.iter().enumerate() {
        let (cert, key) = (dir.join(&c.cert), dir.join(&c.key));
        let loaded = Certificate::load(&cert, &key).map_err(|e| {
            let field = match e {
                crate::tls::CertError::File { ref path, .. } if *path == key => "key",
                crate::tls::CertError::Mismatch { .. } => "key",
                _ => "cert",
            };
            (format!("tls.certificates[{i}].{field}"), e.to_string())
        })?;
        if loaded.names.is_empty() {
            return Err((
                format!("tls.certificates[{i}].cert"),
                format!("{}: the certificate names no DNS name", cert.display()),
            ));
        }
        certificates.push(Arc::new(loaded));
    }
    if let Some(d) = &s.default_certificate {
        let d = d.to_ascii_lowercase();
        if !certificates.iter().any(|c| c.names.contains(&d)) && !acme_names.contains(&d) {
            return Err((
                "tls.default_certificate".into(),
                format!("no certificate in tls.certificates or acme.certificates covers `{d}`"),
            ));
        }
    }
    if let Some(i) = listeners.iter().position(|l| l.tls) {
        if certificates.is_empty() && acme_names.is_empty() {
            return Err((
                format!("listeners[{i}].tls"),
                "a TLS listener needs at least one entry in tls.certificates or acme.certificates"
                    .into(),
            ));
        }
    }
    Ok(TlsSettings {
        certificates,
        default_certificate: s.default_certificate.clone(),
    })
}

/// The `Strict-Transport-Security` value of a route's `hsts:`.
pub fn hsts(key: &str, h: Option<&file::HstsSection>) -> R<Option<String>> {
    let Some(h) = h else { return Ok(None) };
    let age = h.max_age.unwrap_or(DEFAULT_HSTS_MAX_AGE).as_secs();
    if h.preload && (age < 31_536_000 || !h.include_subdomains) {
        return Err((
            format!("{key}.hsts.preload"),
            "preload lists require max_age of at least 365d and include_subdomains: true".into(),
        ));
    }
    let mut v = format!("max-age={age}");
    if h.include_subdomains {
        v.push_str("; includeSubDomains");
    }
    if h.preload {
        v.push_str("; preload");
    }
    Ok(Some(v))
}
