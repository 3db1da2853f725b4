//! What an operator asks about certificates: per certificate its names,
//! issuer, not-after, seconds left and source, as a table or JSON
//! (`rampart cert status`). Works from the config alone, without a running
//! server.

use super::{CertSource, Certificate};
use serde::Serialize;

/// One certificate's status.
#[derive(Debug, Serialize)]
pub struct CertStatus {
    /// DNS names covered.
    pub names: Vec<String>,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Not-after, RFC 3339.
    pub not_after: String,
    /// Seconds of validity left (negative once expired).
    pub seconds_left: i64,
    /// `file` or `acme`.
    pub source: &'static str,
    /// The certificate file, for file certificates.
    pub path: Option<String>,
}

/// The status of each certificate at `now` (seconds since the epoch).
pub fn status(certs: &[std::sync::Arc<Certificate>], now: i64) -> Vec<CertStatus> {
    certs
        .iter()
        .map(|c| {
            let (source, path) = match &c.source {
                CertSource::File { cert, .. } => ("file", Some(cert.display().to_string())),
                CertSource::Acme => ("acme", None),
            };
            let secs = u64::try_from(c.not_after).unwrap_or(0);
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            CertStatus {
                names: c.names.clone(),
                issuer: c.issuer.clone(),
                not_after: humantime::format_rfc3339_seconds(t).to_string(),
                seconds_left: c.seconds_left(now),
                source,
                path,
            }
        })
        .collect()
}

/// A table for people.
pub fn table(rows: &[CertStatus]) -> String {
    let mut out = format!(
        "{:<40} {:<22} {:>9} {:<6} {}\n",
        "NAMES", "NOT AFTER", "DAYS LEFT", "SOURCE", "ISSUER"
    );
    for r in rows {
        out += &format!(
            "{:<40} {:<22} {:>9} {:<6} {}\n",
            r.names.join(","),
            r.not_after,
            r.seconds_left / 86_400,
            r.source,
            r.issuer
        );
    }
    out
}
