//! Responses Rampart writes itself (no route, later: blocks), keeping the
//! connection alive.

use super::RequestCtx;
use bytes::Bytes;
use pingora_error::Result;
use pingora_http::ResponseHeader;
use pingora_proxy::Session;

/// Writes a small response with `status`, `content_type` and `body`.
pub async fn write(
    session: &mut Session,
    ctx: &mut RequestCtx,
    status: u16,
    content_type: &str,
    body: Bytes,
) -> Result<()> {
    let mut resp = ResponseHeader::build(status, Some(4))?;
    resp.insert_header("content-type", content_type)?;
    resp.insert_header("content-length", body.len().to_string())?;
    resp.insert_header("x-request-id", &ctx.request_id)?;
    resp.insert_header("cache-control", "no-store")?;
    ctx.local_status = Some(status);
    session.write_response_header(Box::new(resp), false).await?;
    session.write_response_body(Some(body), true).await?;
    Ok(())
}

/// The clean 404 for a request that matches no route.
pub async fn not_found(session: &mut Session, ctx: &mut RequestCtx) -> Result<()> {
    let body = format!(
        "404 Not Found: no route for this host and path (request id {})\n",
        ctx.request_id
    );
    write(
        session,
        ctx,
        404,
        "text/plain; charset=utf-8",
        Bytes::from(body),
    )
    .await
}
