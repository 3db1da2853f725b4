//! Per-connection limits around Pingora's HTTP app, which has none of its
//! own: a cap on concurrent connections per listener (over it, a new
//! connection is closed at once and counted), the TLS handshake under its
//! own deadline (TLS listeners are plain TCP listeners to Pingora; the
//! handshake runs here, with Pingora's rustls `Acceptor`, after admission),
//! and a total deadline and size limit for each HTTP/1 request head
//! ([`stream::HeadDeadline`]). [`Guarded`] is the `ServerApp` a listener
//! runs; it hands every admitted connection to the proxy.

pub mod stream;

use async_trait::async_trait;
use pingora_core::apps::ServerApp;
use pingora_core::listeners::tls::Acceptor;
use pingora_core::protocols::l4::stream::Stream as L4Stream;
use pingora_core::protocols::Stream;
use pingora_core::server::ShutdownWatch;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::telemetry::metrics;

/// The limits of one listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Concurrent connections admitted.
    pub max_connections: usize,
    /// Total time for one request head.
    pub header_timeout: Duration,
    /// Largest request head, in bytes.
    pub max_header_size: usize,
    /// Total time for the TLS handshake (TLS listeners).
    pub handshake_timeout: Duration,
}

/// One admitted connection; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot {
    active: Arc<AtomicUsize>,
    label: Arc<str>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
        metrics::CONNECTIONS_ACTIVE
            .with_label_values(&[&self.label])
            .dec();
    }
}

/// A listener's app: admits connections under [`Limits`], then serves them
/// with `inner`.
pub struct Guarded<A> {
    inner: Arc<A>,
    limits: Limits,
    /// TLS listeners: the handshake runs here, under `handshake_timeout`
    /// and after admission (Pingora's own TLS path has a fixed 60 s limit).
    tls: Option<Acceptor>,
    active: Arc<AtomicUsize>,
    label: Arc<str>,
}

impl<A> Guarded<A> {
    /// Wraps `inner` for the listener named `label` in metrics.
    pub fn new(inner: A, limits: Limits, tls: Option<Acceptor>, label: &str) -> Guarded<A> {
        Guarded {
            inner: Arc::new(inner),
            limits,
            tls,
            active: Arc::new(AtomicUsize::new(0)),
            label: label.into(),
        }
    }

    /// A slot for a new connection, or `None` when the listener is full.
    fn admit(&self) -> Option<Slot> {
        let prev = self.active.fetch_add(1, Ordering::Relaxed);
        if prev >= self.limits.max_connections {
            self.active.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        metrics::CONNECTIONS_ACTIVE
            .with_label_values(&[&self.label])
            .inc();
        Some(Slot {
            active: self.active.clone(),
            label: self.label.clone(),
        })
    }
}

#[async_trait]
impl<A: ServerApp + Send + Sync + 'static> ServerApp for Guarded<A> {
    async fn process_new(
        self: &Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        // A connection handed back for reuse is already admitted and wrapped.
        if stream.as_any().is::<stream::HeadDeadline>() {
            return self.inner.process_new(stream, shutdown).await;
        }
        let Some(slot) = self.admit() else {
            metrics::CONNECTIONS_REFUSED
                .with_label_values(&[&self.label])
                .inc();
            log::debug!(
                "{}: connection refused, {} connections open",
                self.label,
                self.limits.max_connections
            );
            return None;
        };
        let stream = match &self.tls {
            Some(acceptor) => {
                // Pingora hands a plain listener's connection over as its
                // concrete TCP (or Unix) stream, boxed.
                let Ok(l4) = stream.into_any().downcast::<L4Stream>() else {
                    log::error!("{}: not a TCP connection; closed", self.label);
                    return None;
                };
                match tokio::time::timeout(
                    self.limits.handshake_timeout,
                    acceptor.tls_handshake(*l4),
                )
                .await
                {
                    Ok(Ok(tls)) => Box::new(tls) as Stream,
                    Ok(Err(e)) => {
                        let reason = if e.to_string().contains("no server certificate") {
                            // Counted by the resolver as `no_certificate`.
                            None
                        } else {
                            Some("handshake_error")
                        };
                        if let Some(r) = reason {
                            metrics::TLS_HANDSHAKE_FAILURES
                                .with_label_values(&[r])
                                .inc();
                        }
                        log::debug!("{}: TLS handshake failed: {e}", self.label);
                        return None;
                    }
                    Err(_) => {
                        metrics::TLS_HANDSHAKE_FAILURES
                            .with_label_values(&["timeout"])
                            .inc();
                        log::debug!(
                            "{}: TLS handshake not done within {:?}",
                            self.label,
                            self.limits.handshake_timeout
                        );
                        return None;
                    }
                }
            }
            None => stream,
        };
        let wrapped = stream::HeadDeadline::new(stream, &self.limits, Some(slot));
        self.inner.process_new(Box::new(wrapped), shutdown).await
    }

    async fn cleanup(&self) {
        self.inner.cleanup().await
    }
}
