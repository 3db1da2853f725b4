//! Per-connection limits around Pingora's HTTP app, which has none of its
//! own: a cap on concurrent connections per listener (over it, a new
//! connection is closed at once and counted) and a total deadline for each
//! HTTP/1 request head ([`stream::HeadDeadline`]). [`Guarded`] is the
//! `ServerApp` a listener runs; it hands every admitted connection to the
//! proxy.

pub mod stream;

use async_trait::async_trait;
use pingora_core::apps::ServerApp;
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
    active: Arc<AtomicUsize>,
    label: Arc<str>,
}

impl<A> Guarded<A> {
    /// Wraps `inner` for the listener named `label` in metrics.
    pub fn new(inner: A, limits: Limits, label: &str) -> Guarded<A> {
        Guarded {
            inner: Arc::new(inner),
            limits,
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
        let wrapped = stream::HeadDeadline::new(stream, &self.limits, Some(slot));
        self.inner.process_new(Box::new(wrapped), shutdown).await
    }

    async fn cleanup(&self) {
        self.inner.cleanup().await
    }
}
