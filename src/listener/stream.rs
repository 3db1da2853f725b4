//! A client connection with a deadline for each HTTP/1 request head.
//!
//! Pingora's `read_timeout` applies to each read, so a client that sends one
//! header byte every few seconds is never cut off (slowloris). This wrapper
//! sits under Pingora's HTTP/1 parser and gives every request head one total
//! deadline, as nginx's `client_header_timeout` does:
//! - the first head must be complete within the timeout of the connection's
//!   start; a later one within the timeout of its first byte (the wait
//!   between requests is the keep-alive timeout's business);
//! - a head ends at the first `\r\n\r\n`; the body that follows has no
//!   deadline here (read timeouts and the body limit govern it);
//! - the next head starts after Rampart writes a final response (a
//!   `100 Continue` does not end the request);
//! - HTTP/2 (by ALPN or the h2c preface) and upgraded connections (`101`)
//!   leave the wrapper inert: their framing is not HTTP/1 heads.
//!
//! Over the deadline, the pending read fails with `TimedOut` and Pingora
//! closes the connection. A head longer than the listener's
//! `max_header_size` is answered `431` (written here, below the parser, which
//! would otherwise buffer up to Pingora's fixed 1 MiB) and the connection
//! closed.

use async_trait::async_trait;
use pingora_core::protocols::raw_connect::ProxyDigest;
use pingora_core::protocols::tls::SslDigest;
use pingora_core::protocols::{
    GetProxyDigest, GetSocketDigest, GetTimingDigest, SocketDigest, TimingDigest,
};
use pingora_core::protocols::{Peek, Shutdown, Ssl, Stream, UniqueID, UniqueIDType, ALPN};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The h2c connection preface's first bytes.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0";

/// Where the connection is in its request/response cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a head; the deadline runs.
    Head,
    /// The head is in; body and response follow.
    Body,
    /// A response was written: the next byte read starts a new head.
    Idle,
    /// Not HTTP/1 heads (h2, upgraded): nothing to watch.
    Off,
    /// The head is over the size limit: writing the 431, `.0` bytes so far.
    Reject(usize),
}

/// The answer to a head over `max_header_size`.
const TOO_LARGE: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// A stream with a total deadline per request head (see the module docs).
pub struct HeadDeadline {
    inner: Stream,
    timeout: Duration,
    max_head: usize,
    phase: Phase,
    /// The last bytes of the head read so far (to find `\r\n\r\n` across reads).
    tail: [u8; 3],
    /// Bytes of the current head seen (to spot the h2c preface).
    seen: usize,
    sleep: Pin<Box<Sleep>>,
    /// Held for the connection's life (the listener's connection count).
    _slot: Option<super::Slot>,
}

impl std::fmt::Debug for HeadDeadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadDeadline")
            .field("inner", &self.inner)
            .field("phase", &self.phase)
            .finish()
    }
}

impl HeadDeadline {
    /// Wraps a freshly accepted stream; the first head's deadline starts now.
    pub fn new(inner: Stream, limits: &super::Limits, slot: Option<super::Slot>) -> HeadDeadline {
        let h2 = matches!(inner.selected_alpn_proto(), Some(ALPN::H2));
        let timeout = limits.header_timeout;
        HeadDeadline {
            inner,
            timeout,
            max_head: limits.max_header_size,
            phase: if h2 { Phase::Off } else { Phase::Head },
            tail: [0; 3],
            seen: 0,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            _slot: slot,
        }
    }

    /// Follows the head through newly read bytes.
    fn observe_read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.phase == Phase::Idle {
            self.phase = Phase::Head;
            self.tail = [0; 3];
            self.seen = 0;
            let deadline = Instant::now() + self.timeout;
            self.sleep.as_mut().reset(deadline);
        }
        if self.phase != Phase::Head {
            return;
        }
        if self.seen < H2_PREFACE.len() {
            let n = (H2_PREFACE.len() - self.seen).min(bytes.len());
            let matches = bytes[..n] == H2_PREFACE[self.seen..self.seen + n];
            if matches && self.seen + n == H2_PREFACE.len() {
                self.phase = Phase::Off;
                return;
            }
            if !matches {
                self.seen = H2_PREFACE.len();
            }
        }
        self.seen = self.seen.saturating_add(bytes.len());
        // `\r\n\r\n` inside this read, or across the previous read's tail.
        let mut joint = [0u8; 6];
        joint[..3].copy_from_slice(&self.tail);
        let k = bytes.len().min(3);
        joint[3..3 + k].copy_from_slice(&bytes[..k]);
        let end = joint[..3 + k]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 4 - 3)
            .or_else(|| {
                bytes
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map(|p| p + 4)
            });
        match end {
            Some(_) => self.phase = Phase::Body,
            None => {
                let mut t = [0u8; 3];
                let n = bytes.len();
                if n >= 3 {
                    t.copy_from_slice(&bytes[n - 3..]);
                } else {
                    t[..3 - n].copy_from_slice(&self.tail[n..]);
                    t[3 - n..].copy_from_slice(bytes);
                }
                self.tail = t;
                if self.seen > self.max_head {
                    self.phase = Phase::Reject(0);
                }
            }
        }
    }

    /// Follows the response through written bytes.
    fn observe_write(&mut self, bytes: &[u8]) {
        if self.phase == Phase::Off || bytes.is_empty() {
            return;
        }
        if bytes.starts_with(b"HTTP/1.1 101") || bytes.starts_with(b"HTTP/1.0 101") {
            self.phase = Phase::Off;
        } else if !(bytes.starts_with(b"HTTP/1.1 100") || bytes.starts_with(b"HTTP/1.0 100")) {
            self.phase = Phase::Idle;
        }
    }
}

impl HeadDeadline {
    /// Writes the 431, then fails the read so Pingora closes the connection.
    fn poll_reject(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let fail = || {
            Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request header over max_header_size",
            )))
        };
        while let Phase::Reject(done) = self.phase {
            if done == TOO_LARGE.len() {
                return match Pin::new(&mut self.inner).poll_flush(cx) {
                    Poll::Pending => Poll::Pending,
                    _ => fail(),
                };
            }
            match Pin::new(&mut self.inner).poll_write(cx, &TOO_LARGE[done..]) {
                Poll::Ready(Ok(n)) if n > 0 => self.phase = Phase::Reject(done + n),
                Poll::Pending => return Poll::Pending,
                _ => return fail(),
            }
        }
        fail()
    }
}

impl AsyncRead for HeadDeadline {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Phase::Reject(_) = this.phase {
            return this.poll_reject(cx);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if matches!(this.phase, Phase::Head | Phase::Idle) {
                    this.observe_read(&buf.filled()[before..]);
                }
                if let Phase::Reject(_) = this.phase {
                    buf.set_filled(before);
                    return this.poll_reject(cx);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.phase == Phase::Head => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "request header timeout",
                ))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

impl AsyncWrite for HeadDeadline {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            this.observe_write(&buf[..*n]);
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // A status line is all `observe_write` looks at.
        let mut start = [0u8; 12];
        let first = bufs.first().map_or(&[][..], |b| &b[..]);
        let len = first.len().min(start.len());
        start[..len].copy_from_slice(&first[..len]);
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = &r {
            this.observe_write(&start[..(*n).min(len)]);
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[async_trait]
impl Shutdown for HeadDeadline {
    async fn shutdown(&mut self) {
        self.inner.shutdown().await
    }
}

impl UniqueID for HeadDeadline {
    fn id(&self) -> UniqueIDType {
        self.inner.id()
    }
}

impl Ssl for HeadDeadline {
    fn get_ssl(&self) -> Option<&pingora_core::protocols::tls::TlsRef> {
        self.inner.get_ssl()
    }

    fn get_ssl_digest(&self) -> Option<Arc<SslDigest>> {
        self.inner.get_ssl_digest()
    }

    fn selected_alpn_proto(&self) -> Option<ALPN> {
        self.inner.selected_alpn_proto()
    }
}

impl GetTimingDigest for HeadDeadline {
    fn get_timing_digest(&self) -> Vec<Option<TimingDigest>> {
        self.inner.get_timing_digest()
    }

    fn get_read_pending_time(&self) -> Duration {
        self.inner.get_read_pending_time()
    }

    fn get_write_pending_time(&self) -> Duration {
        self.inner.get_write_pending_time()
    }
}

impl GetProxyDigest for HeadDeadline {
    fn get_proxy_digest(&self) -> Option<Arc<ProxyDigest>> {
        self.inner.get_proxy_digest()
    }

    fn set_proxy_digest(&mut self, digest: ProxyDigest) {
        self.inner.set_proxy_digest(digest)
    }
}

impl GetSocketDigest for HeadDeadline {
    fn get_socket_digest(&self) -> Option<Arc<SocketDigest>> {
        self.inner.get_socket_digest()
    }

    fn set_socket_digest(&mut self, digest: SocketDigest) {
        self.inner.set_socket_digest(digest)
    }
}

#[async_trait]
impl Peek for HeadDeadline {
    async fn try_peek(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        self.inner.try_peek(buf).await
    }
}
