//! Forwarding an inspected body that Pingora cannot replay itself.
//!
//! Pingora's replay buffer holds 64 KiB, so a chunked body (no declared
//! length) longer than that cannot be handed back to its body loop once the
//! WAF has read it. Such a body is sent through a subrequest instead
//! (`pingora_proxy::subrequest::pipe`): the child runs the proxy pipeline with
//! the parent's route, request id and client (no second access check or
//! inspection), reads the held body as a preset input, and its response is
//! piped back to the client. The child sends the body with a Content-Length;
//! it is never retried on another server (it has no replay buffer either).
//! The parent writes the access log line; the child only reports the upstream
//! it used.

use super::{respond, RequestCtx};
use crate::snapshot::{Route, Snapshot};
use bytes::Bytes;
use pingora_error::{Error, ErrorType, Result};
use pingora_proxy::subrequest::pipe::{pipe_subrequest, InputBody, InputBodyType};
use pingora_proxy::subrequest::{BodyMode, Ctx as SubrequestCtx};
use pingora_proxy::Session;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

/// What the parent hands its subrequest.
pub struct Child {
    /// The parent's snapshot (the child sees the same version).
    pub snapshot: Arc<Snapshot>,
    /// The route the parent matched.
    pub route: Arc<Route>,
    /// The parent's request id.
    pub request_id: String,
    /// The client as the parent saw it.
    pub client_ip: Option<IpAddr>,
    /// Length of the held body (sent as Content-Length).
    pub body_len: usize,
    /// The upstream server the child used, for the parent's access log.
    pub upstream: Arc<OnceLock<SocketAddr>>,
}

/// Takes the parent's context over into a child's fresh one, when `session`
/// is a subrequest started by [`forward`].
pub fn adopt(session: &Session, ctx: &mut RequestCtx) -> bool {
    let Some(child) = session
        .subrequest_ctx
        .as_ref()
        .and_then(|c| c.user_ctx())
        .and_then(|u| u.downcast_ref::<Child>())
    else {
        return false;
    };
    ctx.snapshot = Some(child.snapshot.clone());
    ctx.route = Some(child.route.clone());
    ctx.request_id = child.request_id.clone();
    ctx.client_ip = child.client_ip;
    ctx.no_retry = true;
    ctx.skip_waf = true;
    ctx.allow_listed = true;
    ctx.piped = Some((child.body_len, child.upstream.clone()));
    true
}

/// Sends the inspected `body` upstream through a subrequest and pipes its
/// response to the client. Rampart has answered when this returns `Ok`.
pub async fn forward(session: &mut Session, ctx: &mut RequestCtx, body: Bytes) -> Result<()> {
    let (Some(snapshot), Some(route)) = (ctx.snapshot.clone(), ctx.route.clone()) else {
        return Error::e_explain(ErrorType::InternalError, "pipe without a route");
    };
    as_http11(session, body.len());
    let upstream = Arc::new(OnceLock::new());
    let child = Child {
        snapshot,
        route,
        request_id: ctx.request_id.clone(),
        client_ip: ctx.client_ip,
        body_len: body.len(),
        upstream: upstream.clone(),
    };
    let sub_ctx = SubrequestCtx::builder()
        .body_mode(BodyMode::ExpectBody)
        .user_ctx(Box::new(child))
        .build();
    let Some(spawner) = session.subrequest_spawner.as_ref() else {
        return Error::e_explain(ErrorType::InternalError, "subrequests not enabled");
    };
    let (sub, handle) = spawner.create_subrequest(session.as_downstream(), sub_ctx);
    let input = InputBodyType::Preset(InputBody::Bytes(vec![body]));
    let result = pipe_subrequest(session, sub, handle, |t| Ok(Some(t)), input).await;
    ctx.upstream = upstream.get().copied();
    match result {
        Ok(state) => {
            reap(state.join_handle, state.pipe_rx);
            Ok(())
        }
        Err(e) => {
            reap(e.state.join_handle, e.state.pipe_rx);
            if session.response_written().is_some() {
                return Err(e.error);
            }
            log::warn!("piped request {} failed: {}", ctx.request_id, e.error);
            session.set_keepalive(None);
            respond::refuse(session, ctx, 502).await
        }
    }
}

/// An HTTP/2 request is re-read as HTTP/1.1 by the subrequest: give it a
/// version, a Host and a Content-Length it can parse. (HTTP/1 requests are
/// re-read from their raw header bytes; the child fixes the framing upstream.)
fn as_http11(session: &mut Session, len: usize) {
    let req = session.req_header_mut();
    if req.version != http::Version::HTTP_2 {
        return;
    }
    req.set_version(http::Version::HTTP_11);
    if let Some(host) = req.uri.authority().map(|a| a.to_string()) {
        let _ = req.insert_header(http::header::HOST, host);
    }
    let _ = req.insert_header(http::header::CONTENT_LENGTH, len.to_string());
}

/// Lets the child finish in the background (draining what it still sends).
fn reap(
    join: Option<tokio::task::JoinHandle<()>>,
    rx: Option<tokio::sync::mpsc::Receiver<pingora_core::protocols::http::HttpTask>>,
) {
    tokio::spawn(async move {
        if let Some(mut rx) = rx {
            while rx.recv().await.is_some() {}
        }
        if let Some(j) = join {
            let _ = j.await;
        }
    });
}

/// The upstream request of a child: the body goes with its known length.
pub fn fix_framing(upstream: &mut pingora_http::RequestHeader, len: usize) {
    let _ = upstream.remove_header(&http::header::TRANSFER_ENCODING);
    let _ = upstream.insert_header(http::header::CONTENT_LENGTH, len.to_string());
}
