//! One certificate as the edge serves it: a PEM chain and its private key,
//! loaded and checked (the key matches the certificate, the chain parses),
//! with what an operator wants to know about it (names, issuer, expiry).

use pingora_rustls::sign::CertifiedKey;
use pingora_rustls::CryptoProvider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a certificate came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// PEM files named in the config.
    File {
        /// The chain.
        cert: PathBuf,
        /// The private key.
        key: PathBuf,
    },
    /// Obtained by the ACME service.
    Acme,
}

/// A certificate ready to serve.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// DNS names it covers (subject alternative names, or the common name
    /// when it has none), lowercase; wildcards as `*.example.com`.
    pub names: Vec<String>,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// End of validity, seconds since the Unix epoch.
    pub not_after: i64,
    /// Where it came from.
    pub source: CertSource,
    /// The chain and signing key rustls serves.
    pub key: Arc<CertifiedKey>,
}

/// A certificate that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// A file could not be read or holds no PEM item of the right kind.
    #[error("{path}: {what}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// The key does not belong to the certificate, or is of an unsupported kind.
    #[error("{key} does not match {cert}: {what}")]
    Mismatch {
        /// The chain.
        cert: PathBuf,
        /// The key.
        key: PathBuf,
        /// What rustls said.
        what: String,
    },
}

fn file_err(path: &Path, what: impl std::fmt::Display) -> CertError {
    CertError::File {
        path: path.to_path_buf(),
        what: what.to_string(),
    }
}

impl Certificate {
    /// Loads and checks a PEM chain (leaf first) and its private key.
    pub fn load(cert: &Path, key: &Path) -> Result<Certificate, CertError> {
        let chain = read_chain(cert)?;
        let private = read_key(key)?;
        let source = CertSource::File {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
        };
        Self::from_der(chain, private, source).map_err(|e| match e {
            Built::Leaf(what) => file_err(cert, what),
            Built::Key(what) => CertError::Mismatch {
                cert: cert.to_path_buf(),
                key: key.to_path_buf(),
                what,
            },
        })
    }

    /// Builds a certificate from PEM text already in memory (the ACME store).
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8], source: CertSource) -> Result<Self, String> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("certificate chain: {e}"))?;
        if chain.is_empty() {
            return Err("no certificate in the chain".into());
        }
        let key =
            PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("private key: {e}"))?;
        Self::from_der(chain, key, source).map_err(|e| match e {
            Built::Leaf(w) | Built::Key(w) => w,
        })
    }

    fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        source: CertSource,
    ) -> Result<Certificate, Built> {
        let (names, issuer, not_after) = describe(&chain[0]).map_err(Built::Leaf)?;
        pingora_rustls::install_default_crypto_provider();
        let provider = CryptoProvider::get_default()
            .ok_or_else(|| Built::Key("no TLS crypto provider installed".into()))?;
        let certified =
            CertifiedKey::from_der(chain, key, provider).map_err(|e| Built::Key(e.to_string()))?;
        Ok(Certificate {
            names,
            issuer,
            not_after,
            source,
            key: Arc::new(certified),
        })
    }

    /// Seconds of validity left at `now` (negative once expired).
    pub fn seconds_left(&self, now: i64) -> i64 {
        self.not_after - now
    }

    /// The name a person would call it by: its first name.
    pub fn primary_name(&self) -> &str {
        self.names.first().map_or("", String::as_str)
    }
}

/// Which half of a pair failed to build.
enum Built {
    Leaf(String),
    Key(String),
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let bytes = std::fs::read(path).map_err(|e| file_err(path, format!("cannot read: {e}")))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(path, format!("malformed PEM: {e}")))?;
    if chain.is_empty() {
        return Err(file_err(
            path,
            "no CERTIFICATE block (a PEM chain, leaf first)",
        ));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, CertError> {
    let bytes = std::fs::read(path).map_err(|e| file_err(path, format!("cannot read: {e}")))?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        file_err(
            path,
            format!("no usable private key (PKCS#8, PKCS#1 or SEC1 PEM): {e}"),
        )
    })
}

/// Names, issuer and not-after of a leaf certificate.
fn describe(leaf: &CertificateDer<'_>) -> Result<(Vec<String>, String, i64), String> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let mut names: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some(d.to_ascii_lowercase()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        let cn = cert.subject().iter_common_name().next();
        names.extend(
            cn.and_then(|c| c.as_str().ok())
                .map(str::to_ascii_lowercase),
        );
    }
    let not_after = cert.validity().not_after.timestamp();
    Ok((names, cert.issuer().to_string(), not_after))
}
