//! TLS termination: certificates loaded from PEM files (or stored by the
//! ACME service) and checked ([`cert`]), and the per-SNI [`store::CertStore`]
//! whose [`store::Resolver`] rustls asks in every handshake. This module
//! knows no routes and no WAF.

pub mod cert;
pub mod status;
pub mod store;

pub use cert::{CertError, CertSource, Certificate};
pub use store::{CertStore, Resolver};

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
