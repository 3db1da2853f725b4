//! Automatic certificates over ACME (RFC 8555, with instant-acme): a
//! background service in the same Pingora server ([`service`]) orders,
//! stores ([`storage`]) and renews certificates and publishes them to
//! `tls::CertStore`; HTTP-01 answers come from the [`challenges`] store the
//! proxy consults before routing, access control and the WAF; DNS-01 goes
//! through the operator's hook ([`dns`]). This module touches the request
//! pipeline only through [`Runtime`].

pub mod challenges;
pub mod client;
pub mod dns;
pub mod order;
pub mod service;
pub mod storage;

pub use challenges::ChallengeStore;
pub use service::AcmeService;
pub use storage::Storage;

use std::sync::atomic::{AtomicBool, Ordering};

/// What the proxy shares with the ACME service.
#[derive(Debug, Default)]
pub struct Runtime {
    /// Pending HTTP-01 answers.
    pub challenges: ChallengeStore,
    /// `acme.wait` is set and some certificate is still missing: the proxy
    /// answers 503 to everything but challenges.
    holding: AtomicBool,
}

impl Runtime {
    /// Whether traffic is held until the first certificates arrive.
    pub fn holding(&self) -> bool {
        self.holding.load(Ordering::Relaxed)
    }

    /// Sets [`Runtime::holding`].
    pub fn set_holding(&self, on: bool) {
        self.holding.store(on, Ordering::Relaxed);
    }
}
