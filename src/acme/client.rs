//! The ACME client's HTTP stack: hyper over rustls, trusting the system's
//! roots or the configured `acme.ca_root`, and remembering the last
//! `Retry-After` an error response carried (instant-acme's `Problem` drops
//! it), so a failed order waits at least as long as the CA asked.

use bytes::Bytes;
use hyper_util::client::legacy::Client as HyperClient;
use instant_acme::{BodyWrapper, BytesResponse, HttpClient};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

type Inner = HyperClient<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    BodyWrapper<Bytes>,
>;

/// An `HttpClient` for instant-acme.
pub struct Client {
    inner: Inner,
    retry_after: Arc<AtomicU64>,
}

/// Reads (and clears) the `Retry-After` the client last saw on an error:
/// its time in milliseconds since the epoch, 0 for none.
#[derive(Clone, Default)]
pub struct RetryAfter(Arc<AtomicU64>);

impl RetryAfter {
    /// The time left until the CA's `Retry-After`, taken once.
    pub fn take(&self) -> Option<Duration> {
        let ms = self.0.swap(0, Ordering::Relaxed);
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(ms);
        (ms > 0)
            .then(|| at.duration_since(SystemTime::now()).ok())
            .flatten()
    }
}

/// An HTTP/1 and HTTP/2 connector whose TLS trusts `ca_root` (a PEM file)
/// or else the system's roots; `https_only` refuses plain `http://` URLs.
/// Shared by the ACME client and the admin CLI.
pub fn connector(
    ca_root: Option<&Path>,
    https_only: bool,
) -> Result<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, String>
{
    pingora_rustls::install_default_crypto_provider();
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = match ca_root {
        Some(p) => {
            let mut roots = pingora_rustls::RootCertStore::empty();
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{}: {e}", p.display()))?;
            if certs.is_empty() {
                return Err(format!("{}: no certificate", p.display()));
            }
            for c in certs {
                roots.add(c).map_err(|e| format!("{}: {e}", p.display()))?;
            }
            builder.with_tls_config(
                pingora_rustls::ClientConfig::builder()
                    .with_root_certificates(roots)
                    .with_no_client_auth(),
            )
        }
        None => builder
            .try_with_platform_verifier()
            .map_err(|e| format!("system roots: {e}"))?,
    };
    let builder = if https_only {
        builder.https_only()
    } else {
        builder.https_or_http()
    };
    Ok(builder.enable_http1().enable_http2().build())
}

impl Client {
    /// A client trusting `ca_root` (a PEM file) or else the system's roots.
    pub fn new(ca_root: Option<&Path>) -> Result<(Client, RetryAfter), String> {
        let connector = connector(ca_root, true)?;
        let inner = HyperClient::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        let shared = RetryAfter::default();
        Ok((
            Client {
                inner,
                retry_after: shared.0.clone(),
            },
            shared,
        ))
    }
}

impl HttpClient for Client {
    fn request(
        &self,
        req: http::Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let fut = self.inner.request(req);
        let slot = self.retry_after.clone();
        Box::pin(async move {
            let rsp = fut
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?;
            let rsp = BytesResponse::from(rsp);
            if rsp.parts.status.as_u16() >= 400 {
                if let Some(at) = rsp
                    .parts
                    .headers
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(retry_after)
                {
                    let ms = at
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as u64);
                    slot.store(ms, Ordering::Relaxed);
                }
            }
            Ok(rsp)
        })
    }
}

/// `Retry-After: 120` or an HTTP date.
fn retry_after(v: &str) -> Option<SystemTime> {
    let v = v.trim();
    match v.parse::<u64>() {
        Ok(secs) => Some(SystemTime::now() + Duration::from_secs(secs)),
        Err(_) => httpdate::parse_http_date(v).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::now();
        let s = retry_after("120").unwrap();
        let d = s.duration_since(now).unwrap();
        assert!(d >= Duration::from_secs(119) && d <= Duration::from_secs(121));
        let t = retry_after("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            784_111_777
        );
        assert_eq!(retry_after("soon"), None);
    }
}
