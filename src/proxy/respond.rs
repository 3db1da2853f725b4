//! Responses Rampart writes itself (no route, WAF and access blocks,
//! refusals, challenges), keeping the connection alive where it can.

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
    write_with(session, ctx, status, content_type, body, &[]).await
}

/// [`write`] with extra response headers.
pub async fn write_with(
    session: &mut Session,
    ctx: &mut RequestCtx,
    status: u16,
    content_type: &str,
    body: Bytes,
    extra: &[(&str, String)],
) -> Result<()> {
    let mut resp = ResponseHeader::build(status, Some(4 + extra.len()))?;
    for (k, v) in extra {
        resp.insert_header(k.to_string(), v.as_str())?;
    }
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

/// A permanent redirect (308: the method and body are kept) to `location`.
pub async fn redirect(session: &mut Session, ctx: &mut RequestCtx, location: &str) -> Result<()> {
    let body = format!("308 Permanent Redirect: {location}\n");
    let extra = [("location", location.to_string())];
    write_with(
        session,
        ctx,
        308,
        "text/plain; charset=utf-8",
        Bytes::from(body),
        &extra,
    )
    .await
}

/// Reason phrases for the statuses Rampart answers itself.
fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// A refusal (WAF block, 405, 413, ...): small HTML or JSON chosen by Accept,
/// carrying the request id and nothing that helps an attacker.
pub async fn refuse(session: &mut Session, ctx: &mut RequestCtx, status: u16) -> Result<()> {
    refuse_with(session, ctx, status, &[]).await
}

/// [`refuse`] with extra response headers (`Retry-After`).
pub async fn refuse_with(
    session: &mut Session,
    ctx: &mut RequestCtx,
    status: u16,
    extra: &[(&str, String)],
) -> Result<()> {
    let json = session
        .req_header()
        .headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    let phrase = reason(status);
    let id = &ctx.request_id;
    let (ctype, body) = if json {
        let b = serde_json::json!({"error": phrase, "status": status, "request_id": id});
        ("application/json", format!("{b}\n"))
    } else {
        let b = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{status} {phrase}</title></head>\
             <body><h1>{status} {phrase}</h1><p>This request was refused.</p>\
             <p>Request id: <code>{id}</code></p></body></html>\n"
        );
        ("text/html; charset=utf-8", b)
    };
    write_with(session, ctx, status, ctype, Bytes::from(body), extra).await
}
