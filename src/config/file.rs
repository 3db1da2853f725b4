//! The YAML file as written: every struct mirrors one mapping of `rampart.yaml`,
//! unknown keys are errors, defaults are named constants.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Default listener address of the proxy.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:8080";
/// Default grace period of a graceful upgrade or shutdown.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(5);
/// Default upstream connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Default upstream read / write timeout.
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Default health-check interval.
pub const DEFAULT_HC_INTERVAL: Duration = Duration::from_secs(5);
/// Default health-check timeout.
pub const DEFAULT_HC_TIMEOUT: Duration = Duration::from_secs(1);
/// Default number of passive-failover retries for idempotent requests.
pub const DEFAULT_RETRIES: usize = 2;

/// The whole configuration file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Process-level settings.
    #[serde(default)]
    pub server: ServerSection,
    /// Proxy listeners.
    #[serde(default)]
    pub listeners: Vec<ListenerSection>,
    /// Metrics / health listener.
    #[serde(default)]
    pub metrics: Option<MetricsSection>,
    /// The built-in echo upstream.
    #[serde(default)]
    pub demo_upstream: Option<DemoSection>,
    /// Upstream pools by name.
    #[serde(default)]
    pub upstreams: BTreeMap<String, UpstreamSection>,
    /// Routes, in order.
    #[serde(default)]
    pub routes: Vec<RouteSection>,
    /// Access control (`crate::access::config::AccessConfig`).
    #[serde(default)]
    pub access: Option<serde_yaml::Value>,
    /// WAF settings: [`WafGlobalSection`] keys plus [`RouteWafSection`]
    /// keys, which are the defaults of every route.
    #[serde(default)]
    pub waf: Option<serde_yaml::Value>,
    /// Certificates for the TLS listeners.
    #[serde(default)]
    pub tls: Option<TlsSection>,
    /// Certificates obtained and renewed automatically over ACME.
    #[serde(default)]
    pub acme: Option<AcmeSection>,
    /// The admin API (`crate::config::admin::AdminSection`).
    #[serde(default)]
    pub admin: Option<serde_yaml::Value>,
}

/// `acme:`: the background ACME service (RFC 8555) that obtains and renews
/// certificates and publishes them to the TLS listeners.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmeSection {
    /// `letsencrypt`, `letsencrypt-staging`, or any RFC 8555 directory URL.
    pub directory: Option<String>,
    /// Contact address for the account (`ops@example.com`).
    pub email: Option<String>,
    /// Folder for the account key and the certificates (created 0700).
    pub storage: Option<String>,
    /// PEM file with the root CA that signs the directory's HTTPS
    /// certificate (private ACME servers); absent: the system's roots.
    pub ca_root: Option<String>,
    /// External Account Binding, for CAs that require it.
    pub eab: Option<EabSection>,
    /// Renew when a certificate has less than this left (default 30d).
    #[serde(default, with = "opt_duration")]
    pub renew_before: Option<Duration>,
    /// How often certificates are checked for renewal (default 12h).
    #[serde(default, with = "opt_duration")]
    pub check_interval: Option<Duration>,
    /// First delay after a failed order (default 1m); doubles per failure.
    #[serde(default, with = "opt_duration")]
    pub retry_initial: Option<Duration>,
    /// Longest delay between retries (default 6h).
    #[serde(default, with = "opt_duration")]
    pub retry_max: Option<Duration>,
    /// Answer every request but ACME challenges with 503 until each
    /// certificate has been obtained (default false: serve meanwhile).
    #[serde(default)]
    pub wait: bool,
    /// DNS-01 settings (needed for wildcard names).
    pub dns: Option<AcmeDnsSection>,
    /// The certificates to obtain.
    #[serde(default)]
    pub certificates: Vec<AcmeCertSection>,
}

/// `acme.eab`: External Account Binding credentials from the CA.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EabSection {
    /// Key identifier.
    pub kid: String,
    /// HMAC key, base64url as the CA gives it.
    pub hmac_key: String,
}

/// `acme.dns`: how DNS-01 challenges are presented.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmeDnsSection {
    /// Command run as `HOOK present|cleanup FQDN VALUE` (lego's `exec`
    /// convention), e.g. a script calling the DNS provider's API.
    pub hook: String,
    /// DNS server polled for the TXT record before the CA is told to check
    /// (`host:port`; default: the first `nameserver` in /etc/resolv.conf).
    pub resolver: Option<String>,
    /// Longest wait for the record to appear (default 2m).
    #[serde(default, with = "opt_duration")]
    pub propagation_timeout: Option<Duration>,
}

/// One certificate of `acme.certificates`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmeCertSection {
    /// DNS names; the first names the certificate.
    pub names: Vec<String>,
    /// `http-01` (default; answered by the plain listeners) or `dns-01`
    /// (required for wildcards; through `acme.dns.hook`).
    #[serde(default)]
    pub challenge: Option<String>,
}

/// `tls:`: the certificates every TLS listener serves, chosen by SNI.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// PEM certificate chains and their keys.
    #[serde(default)]
    pub certificates: Vec<CertSection>,
    /// A name of the certificate served to clients without SNI or with a
    /// name no certificate covers; absent: those handshakes are refused.
    pub default_certificate: Option<String>,
}

/// One certificate of `tls.certificates`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertSection {
    /// PEM chain, leaf first (relative to the config file's folder).
    pub cert: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: String,
}

/// `hsts:` of a route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HstsSection {
    /// `max-age` (default 365 days).
    #[serde(default, with = "opt_duration")]
    pub max_age: Option<Duration>,
    /// Add `includeSubDomains`.
    #[serde(default)]
    pub include_subdomains: bool,
    /// Add `preload`.
    #[serde(default)]
    pub preload: bool,
}

/// Default HSTS `max-age`: one year.
pub const DEFAULT_HSTS_MAX_AGE: Duration = Duration::from_secs(365 * 24 * 3600);

/// Default request-body inspection limit (bytes).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default maximum number of request headers.
pub const DEFAULT_MAX_HEADERS: usize = 100;
/// Default maximum total size of request headers (bytes).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 32 * 1024;

/// Keys of `waf:` that only exist globally.
pub const WAF_GLOBAL_KEYS: &[&str] = &[
    "rules",
    "audit_log",
    "max_headers",
    "max_header_bytes",
    "custom_rules",
];

/// The global-only part of `waf:`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WafGlobalSection {
    /// Rule files: paths or `dir/*.yaml` globs, relative to the config file.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Audit log: `stdout`, `stderr`, `off` or a file path.
    pub audit_log: Option<String>,
    /// Maximum number of request headers (more: 400).
    pub max_headers: Option<usize>,
    /// Maximum total bytes of request headers (more: 400).
    pub max_header_bytes: Option<usize>,
    /// Custom rules written inline, in the `filters/` rule format.
    #[serde(default)]
    pub custom_rules: Vec<serde_yaml::Value>,
}

/// WAF settings of a route (a mapping; `waf: block` is short for `{mode: block}`).
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RouteWafSection {
    /// `block`, `detect` or `off`.
    pub mode: Option<String>,
    /// Paranoia level 1-4.
    pub paranoia: Option<u8>,
    /// Anomaly score threshold.
    pub threshold: Option<u32>,
    /// Body inspection limit in bytes.
    pub body_limit: Option<usize>,
    /// Over the limit: `reject` (413) or `inspect_prefix`.
    pub over_limit: Option<String>,
    /// Status of a block response.
    pub block_status: Option<u16>,
    /// False-positive tuning.
    pub exclusions: Option<ExclusionSection>,
    /// Allowed methods (others: 405).
    pub allowed_methods: Option<Vec<String>>,
    /// CSRF protection.
    pub csrf: Option<CsrfSection>,
}

/// `exclusions:` of a route.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExclusionSection {
    /// Rule ids that do not run.
    #[serde(default)]
    pub rule_ids: Vec<u32>,
    /// Rules with these tags do not run.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Targets removed from one rule.
    #[serde(default)]
    pub targets: Vec<TargetExclusion>,
    /// Path prefixes that are not inspected.
    #[serde(default)]
    pub skip_paths: Vec<String>,
}

/// One target removed from one rule.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct TargetExclusion {
    /// Rule id.
    pub rule: u32,
    /// Target such as `args:password`.
    pub target: String,
}

/// `csrf:` of a route.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct CsrfSection {
    /// Origins allowed for unsafe methods (`https://app.example.com`).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Double-submit token cookie name.
    pub cookie: Option<String>,
    /// Double-submit token header name.
    pub header: Option<String>,
}

/// `server:` process settings.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Pid file (used by `rampart reload` and upgrades).
    pub pid_file: Option<String>,
    /// Unix socket over which listeners pass during a graceful upgrade.
    pub upgrade_sock: Option<String>,
    /// Time the old process keeps serving after a graceful upgrade / shutdown starts.
    #[serde(default, with = "opt_duration")]
    pub grace_period: Option<Duration>,
    /// Time allowed for in-flight requests to finish after the grace period.
    #[serde(default, with = "opt_duration")]
    pub graceful_shutdown_timeout: Option<Duration>,
    /// File for the error log (stderr when absent).
    pub error_log: Option<String>,
    /// Default worker threads per listener.
    pub threads: Option<usize>,
    /// Log level: error, warn, info, debug, trace.
    pub log_level: Option<String>,
    /// Access log: `stdout`, `off`, or a file path.
    pub access_log: Option<String>,
    /// CIDRs of proxies whose X-Forwarded-For is believed.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Bytes of request bodies held for inspection at once, over all
    /// requests (default: an eighth of the memory available).
    pub body_budget: Option<usize>,
    /// How long a body waits for room in the budget before a 503 (default 1s).
    #[serde(default, with = "opt_duration")]
    pub body_budget_wait: Option<Duration>,
}

/// One `listeners:` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerSection {
    /// `ip:port` to bind.
    pub address: String,
    /// Worker threads for this listener.
    pub threads: Option<usize>,
    /// Terminate TLS with the `tls:` certificates.
    #[serde(default)]
    pub tls: bool,
    /// Offer HTTP/2 by ALPN on a TLS listener (default true).
    pub h2: Option<bool>,
    /// Accept HTTP/2 with prior knowledge on a plain listener (default false).
    #[serde(default)]
    pub h2c: bool,
    /// Concurrent connections admitted (default [`DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: Option<usize>,
    /// Total time for one HTTP/1 request head (default [`DEFAULT_HEADER_TIMEOUT`]).
    #[serde(default, with = "opt_duration")]
    pub header_timeout: Option<Duration>,
    /// How long an idle keep-alive connection waits for its next request
    /// (default [`DEFAULT_KEEPALIVE_TIMEOUT`]).
    #[serde(default, with = "opt_duration")]
    pub keepalive_timeout: Option<Duration>,
    /// Largest HTTP/1 request head in bytes (default [`DEFAULT_MAX_HEADER_SIZE`]).
    pub max_header_size: Option<usize>,
    /// Total time for a TLS handshake (default [`DEFAULT_HANDSHAKE_TIMEOUT`]).
    #[serde(default, with = "opt_duration")]
    pub handshake_timeout: Option<Duration>,
}

/// Default total time for a TLS handshake (nginx's `ssl_handshake_timeout`).
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// Default largest request head a listener reads (request line and headers).
pub const DEFAULT_MAX_HEADER_SIZE: usize = 64 * 1024;

/// Default idle time of a keep-alive connection (nginx's `keepalive_timeout`).
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(75);

/// Default cap on a listener's concurrent connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default total time for a request head (nginx's `client_header_timeout`).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(60);

/// `metrics:` listener.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// `ip:port` serving /metrics, /healthz, /readyz.
    pub address: String,
}

/// `demo_upstream:` the built-in echo service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSection {
    /// `ip:port` the echo service listens on.
    pub address: String,
}

/// One upstream pool.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSection {
    /// Servers of the pool.
    pub servers: Vec<ServerEntry>,
    /// Selection algorithm.
    #[serde(default)]
    pub algorithm: Option<String>,
    /// Hash key for `consistent_hash`: `client_ip`, `header:NAME`, `cookie:NAME`.
    #[serde(default)]
    pub hash_key: Option<String>,
    /// Active health check.
    #[serde(default)]
    pub health_check: Option<HealthCheckSection>,
    /// Connect timeout.
    #[serde(default, with = "opt_duration")]
    pub connect_timeout: Option<Duration>,
    /// Read timeout.
    #[serde(default, with = "opt_duration")]
    pub read_timeout: Option<Duration>,
    /// Write timeout.
    #[serde(default, with = "opt_duration")]
    pub write_timeout: Option<Duration>,
    /// Retries on another server for idempotent requests after a connect failure.
    pub retries: Option<usize>,
    /// Use TLS to the servers.
    #[serde(default)]
    pub tls: bool,
    /// SNI / Host for TLS and health checks.
    pub sni: Option<String>,
}

/// One server of a pool: `"host:port"` or `{address, weight}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ServerEntry {
    /// Just the address.
    Plain(String),
    /// Address and weight.
    Full(ServerFull),
}

/// A server with a weight.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFull {
    /// `host:port`.
    pub address: String,
    /// Relative weight (default 1).
    pub weight: Option<usize>,
}

/// `health_check:` of a pool.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckSection {
    /// `tcp` or `http`.
    #[serde(rename = "type")]
    pub kind: String,
    /// HTTP path (http only).
    pub path: Option<String>,
    /// HTTP Host header (http only).
    pub host: Option<String>,
    /// Expected HTTP status (http only; default 200).
    pub expected_status: Option<u16>,
    /// Interval between checks.
    #[serde(default, with = "opt_duration")]
    pub interval: Option<Duration>,
    /// Timeout of one check.
    #[serde(default, with = "opt_duration")]
    pub timeout: Option<Duration>,
    /// Consecutive successes to become healthy.
    pub rise: Option<usize>,
    /// Consecutive failures to become unhealthy.
    pub fall: Option<usize>,
}

/// One route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSection {
    /// Route name (used in logs and metrics).
    pub name: String,
    /// Hosts: exact names or `*.example.com`; absent or `*` matches all.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Path prefix match.
    pub path_prefix: Option<String>,
    /// Exact path match.
    pub path_exact: Option<String>,
    /// Regex path match.
    pub path_regex: Option<String>,
    /// Methods (absent: all).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Upstream pool name.
    pub upstream: String,
    /// Prefix removed from the path before forwarding.
    pub strip_prefix: Option<String>,
    /// Regex path rewrite.
    pub rewrite: Option<RewriteSection>,
    /// Request header changes.
    #[serde(default)]
    pub request_headers: HeaderOps,
    /// Response header changes.
    #[serde(default)]
    pub response_headers: HeaderOps,
    /// Per-route timeouts overriding the pool's.
    #[serde(default)]
    pub timeouts: Option<TimeoutSection>,
    /// Access control of this route (`crate::access::config::RouteAccessConfig`).
    #[serde(default)]
    pub access: Option<serde_yaml::Value>,
    /// WAF settings: `block`, `detect`, `off`, or a mapping (see [`RouteWafSection`]).
    #[serde(default)]
    pub waf: Option<serde_yaml::Value>,
    /// Answer plain-HTTP requests with a 308 to the same URL over HTTPS.
    #[serde(default)]
    pub https_redirect: bool,
    /// Send `Strict-Transport-Security` on HTTPS responses.
    pub hsts: Option<HstsSection>,
}

/// `rewrite:` of a route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewriteSection {
    /// Regex on the path.
    pub regex: String,
    /// Replacement (`$1` for groups).
    pub replace: String,
}

/// Header additions and removals.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HeaderOps {
    /// Headers to set (replacing existing values).
    #[serde(default)]
    pub add: BTreeMap<String, String>,
    /// Headers to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// `timeouts:` of a route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeoutSection {
    /// Connect timeout.
    #[serde(default, with = "opt_duration")]
    pub connect: Option<Duration>,
    /// Read timeout.
    #[serde(default, with = "opt_duration")]
    pub read: Option<Duration>,
    /// Write timeout.
    #[serde(default, with = "opt_duration")]
    pub write: Option<Duration>,
}

/// Durations written as `500ms`, `2s`, `1m`.
pub(crate) mod opt_duration {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => humantime::parse_duration(s.trim()).map(Some).map_err(|e| {
                serde::de::Error::custom(format!(
                    "invalid duration `{s}` ({e}); expected a duration such as `500ms`, `5s`, `1m`"
                ))
            }),
        }
    }
}
