//! Holding a request body for inspection BEFORE anything goes upstream.
//!
//! Pingora writes the upstream request header before its body loop, so the
//! WAF reads the body itself in `request_filter` and hands it back to Pingora:
//! * length known: retry buffering is enabled before the last ≤ 64 KiB, so
//!   Pingora replays that tail once with end-of-stream; `request_body_filter`
//!   swaps it for the whole inspected body ([`Forward::Whole`]);
//! * chunked: retry buffering from the start; a body that ends within 64 KiB
//!   (Pingora's fixed replay-buffer size) is forwarded the same way; a longer
//!   one (up to the limit) is forwarded through a subrequest (`super::pipe`);
//! * over the limit: either 413 before the body is read, or the prefix is
//!   inspected and then prepended to the first chunk Pingora streams
//!   ([`Forward::Prepend`]); such a request is never retried.

use super::budget::Permit;
pub use crate::config::OverLimit;
use bytes::{Bytes, BytesMut};
use pingora_error::Result;
use pingora_proxy::Session;

/// Pingora's replay buffer size (`BODY_BUF_LIMIT`, not configurable).
pub const REPLAY_LIMIT: usize = 64 * 1024;

/// The result of reading a body for inspection.
#[derive(Debug)]
pub enum Held {
    /// The request has no body.
    None,
    /// The whole body.
    Whole(Bytes),
    /// Only the first part (the rest is still unread).
    Prefix(Bytes),
    /// Too large under the reject policy.
    TooLarge,
    /// No room in the held-body budget (`super::budget`) in time.
    Busy,
}

/// How `request_body_filter` forwards a held body.
#[derive(Debug, Default)]
pub enum Forward {
    /// Nothing held: stream as is.
    #[default]
    Stream,
    /// Replace the replayed tail with the whole body; send nothing before it.
    Whole(Bytes),
    /// Prepend this to the first streamed chunk.
    Prepend(Bytes),
}

/// Declared body framing of the request.
fn framing(session: &Session) -> (Option<usize>, bool) {
    let h = &session.req_header().headers;
    let len = h
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let chunked = h.get_all(http::header::TRANSFER_ENCODING).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains("chunked"))
    });
    (len, chunked)
}

/// How much a body may hold: the route's limit and policy, and the global
/// budget with its wait.
#[derive(Debug)]
pub struct HoldLimits {
    /// The route's `body_limit`.
    pub limit: usize,
    /// The route's `over_limit` policy.
    pub over: OverLimit,
    /// Longest wait for room in the budget.
    pub wait: std::time::Duration,
}

/// Reads the body (up to `limit` bytes) before any byte goes upstream; every
/// byte held is covered by `permit` first.
pub async fn hold(session: &mut Session, l: &HoldLimits, permit: &mut Permit) -> Result<Held> {
    let (limit, over) = (l.limit, l.over);
    let (len, chunked) = framing(session);
    let declared = match (len, chunked) {
        (_, true) => None,
        (Some(0), false) => return Ok(Held::None),
        (Some(n), false) => Some(n),
        // HTTP/1 without a length has no body; HTTP/2 may still have one.
        (None, false) if session.as_mut().is_body_empty() => return Ok(Held::None),
        (None, false) => None,
    };
    if over == OverLimit::Reject && declared.is_some_and(|n| n > limit) {
        return Ok(Held::TooLarge);
    }
    // A declared length is covered before anything is read (up to the limit).
    if let Some(n) = declared {
        if !permit.cover(n.min(limit), l.wait).await {
            return Ok(Held::Busy);
        }
    }
    continue_if_expected(session).await?;
    if declared.is_none_or(|n| n <= REPLAY_LIMIT) {
        session.as_mut().enable_retry_buffering();
    }
    let mut buf = BytesMut::new();
    loop {
        if let Some(n) = declared {
            let remaining = n.saturating_sub(buf.len());
            if n <= limit && remaining <= REPLAY_LIMIT {
                session.as_mut().enable_retry_buffering();
            }
        }
        if buf.len() >= limit && (declared.is_none() || declared.is_some_and(|n| n > limit)) {
            // Over the hold limit with the body not finished.
            return Ok(match over {
                OverLimit::Reject => Held::TooLarge,
                OverLimit::InspectPrefix => Held::Prefix(buf.freeze()),
            });
        }
        match session
            .read_request_body()
            .await
            .map_err(|e| e.into_down())?
        {
            Some(chunk) => {
                if !permit.cover(buf.len() + chunk.len(), l.wait).await {
                    return Ok(Held::Busy);
                }
                buf.extend_from_slice(&chunk);
            }
            None => return Ok(Held::Whole(buf.freeze())),
        }
    }
}

/// Sends `100 Continue` when the client waits for it (Pingora does not).
async fn continue_if_expected(session: &mut Session) -> Result<()> {
    let expects = session
        .req_header()
        .headers
        .get(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if expects {
        session.as_mut().write_continue_response().await?;
    }
    Ok(())
}

/// Rewrites one body chunk in `request_body_filter` according to `fwd`.
pub fn forward(fwd: &mut Forward, body: &mut Option<Bytes>, end_of_stream: bool) {
    match fwd {
        Forward::Stream => {}
        Forward::Whole(all) => {
            // Clone, do not take: a retry to another server replays the tail again.
            *body = Some(if end_of_stream {
                all.clone()
            } else {
                Bytes::new()
            });
        }
        Forward::Prepend(prefix) => {
            let mut joined =
                BytesMut::with_capacity(prefix.len() + body.as_ref().map_or(0, |b| b.len()));
            joined.extend_from_slice(prefix);
            if let Some(b) = body.as_ref() {
                joined.extend_from_slice(b);
            }
            *body = Some(joined.freeze());
            *fwd = Forward::Stream;
        }
    }
}

/// Whether a whole held body must go through a subrequest: Pingora's replay
/// buffer overflowed (a chunked body over 64 KiB), so its body loop would
/// send nothing.
pub fn needs_pipe(session: &Session, body: &Bytes) -> bool {
    !body.is_empty() && session.as_ref().retry_buffer_truncated()
}

/// How to forward an inspected prefix: when Pingora's replay buffer still holds
/// it (a small body limit), Pingora replays it itself; otherwise prepend it.
pub fn prefix_forward(session: &Session, prefix: Bytes) -> Forward {
    if session.as_ref().get_retry_buffer().is_some() {
        Forward::Stream
    } else {
        Forward::Prepend(prefix)
    }
}
