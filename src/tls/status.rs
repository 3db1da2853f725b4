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
    /// The certificate file.
    pub path: Option<String>,
    /// ACME: the last order attempt (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_attempt: Option<String>,
    /// ACME: the last attempt's error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// ACME: when the next attempt is due after a failure (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<String>,
}

impl CertStatus {
    /// An ACME certificate with nothing stored: `why` in place of the issuer.
    pub fn missing(names: Vec<String>, why: &str) -> CertStatus {
        CertStatus {
            names,
            issuer: why.to_string(),
            not_after: "-".into(),
            seconds_left: 0,
            source: "acme",
            path: None,
            last_attempt: None,
            last_error: None,
            next_attempt: None,
        }
    }
}

/// Seconds since the epoch as RFC 3339.
pub fn rfc3339(secs: i64) -> String {
    let t =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(secs).unwrap_or(0));
    humantime::format_rfc3339_seconds(t).to_string()
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
            CertStatus {
                names: c.names.clone(),
                issuer: c.issuer.clone(),
                not_after: rfc3339(c.not_after),
                seconds_left: c.seconds_left(now),
                source,
                path,
                last_attempt: None,
                last_error: None,
                next_attempt: None,
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
        if let Some(a) = &r.last_attempt {
            out += &format!("    last ACME attempt {a}");
            match &r.last_error {
                Some(e) => out += &format!(": FAILED: {e}"),
                None => out += ": ok",
            }
            if let Some(n) = &r.next_attempt {
                out += &format!(" (next attempt {n})");
            }
            out.push('\n');
        }
    }
    out
}
