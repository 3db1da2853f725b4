//! Checked configuration types, built from [`super::file`] by
//! [`super::validate::validate`].

use super::tls::TlsSettings;
use super::waf::{RouteWaf, WafSettings};
use crate::access::config::{AccessConfig, RouteAccessConfig};
use crate::route::{HostPattern, PathPattern};
use http::{HeaderName, HeaderValue, Method};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// File it was read from.
    pub source: PathBuf,
    /// Process settings.
    pub server: ServerSettings,
    /// Proxy listeners.
    pub listeners: Vec<Listener>,
    /// Metrics listener address.
    pub metrics: Option<SocketAddr>,
    /// Built-in echo upstream address.
    pub demo_upstream: Option<SocketAddr>,
    /// Pools by name.
    pub upstreams: BTreeMap<String, UpstreamConfig>,
    /// Routes in file order.
    pub routes: Vec<RouteConfig>,
    /// Global WAF settings.
    pub waf: WafSettings,
    /// Access control.
    pub access: AccessConfig,
    /// Certificates of the TLS listeners.
    pub tls: TlsSettings,
    /// The ACME service, when `acme:` is set.
    pub acme: Option<super::acme::AcmeSettings>,
    /// The admin API (off unless a credential is configured).
    pub admin: super::admin::AdminSettings,
}

/// Process settings.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Pid file.
    pub pid_file: String,
    /// Upgrade socket.
    pub upgrade_sock: String,
    /// Grace period.
    pub grace_period: Duration,
    /// Graceful shutdown timeout.
    pub graceful_shutdown_timeout: Duration,
    /// Error log file.
    pub error_log: Option<String>,
    /// Default threads per listener.
    pub threads: usize,
    /// Log level.
    pub log_level: log::LevelFilter,
    /// Access log target.
    pub access_log: AccessLog,
    /// Trusted proxy CIDRs.
    pub trusted_proxies: Vec<IpNet>,
    /// Bytes of request bodies held for inspection at once.
    pub body_budget: usize,
    /// How long a body waits for room in the budget.
    pub body_budget_wait: Duration,
}

/// Where access-log lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessLog {
    /// Standard output.
    Stdout,
    /// Disabled.
    Off,
    /// Appended to a file.
    File(PathBuf),
}

/// A proxy listener.
#[derive(Debug, Clone)]
pub struct Listener {
    /// Bind address.
    pub address: SocketAddr,
    /// Worker threads.
    pub threads: usize,
    /// Terminates TLS (certificates from `tls:`).
    pub tls: bool,
    /// Offers HTTP/2 by ALPN (TLS listeners).
    pub h2: bool,
    /// Accepts HTTP/2 with prior knowledge (plain listeners).
    pub h2c: bool,
    /// Concurrent connections admitted.
    pub max_connections: usize,
    /// Total time for one HTTP/1 request head.
    pub header_timeout: Duration,
    /// Idle time of a keep-alive connection before it is closed.
    pub keepalive_timeout: Duration,
    /// Largest HTTP/1 request head, in bytes.
    pub max_header_size: usize,
    /// Total time for a TLS handshake.
    pub handshake_timeout: Duration,
}

/// Backend selection algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Round robin, weights ignored.
    RoundRobin,
    /// Weighted round robin.
    Weighted,
    /// Weighted random.
    Random,
    /// Consistent (ketama) hashing on [`HashKey`].
    ConsistentHash,
    /// Fewest in-flight requests per weight.
    LeastConnections,
}

/// What `consistent_hash` hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashKey {
    /// The client IP.
    ClientIp,
    /// A request header.
    Header(HeaderName),
    /// A cookie.
    Cookie(String),
}

/// Health-check kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthKind {
    /// TCP connect.
    Tcp,
    /// HTTP GET.
    Http {
        /// Path.
        path: String,
        /// Host header.
        host: String,
        /// Expected status.
        expected_status: u16,
    },
}

/// Active health check of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthConfig {
    /// Kind.
    pub kind: HealthKind,
    /// Interval.
    pub interval: Duration,
    /// Timeout per check.
    pub timeout: Duration,
    /// Successes to turn healthy.
    pub rise: usize,
    /// Failures to turn unhealthy.
    pub fall: usize,
}

/// One server of a pool (address not yet resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// `host:port` as written.
    pub address: String,
    /// Weight.
    pub weight: usize,
}

/// A pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamConfig {
    /// Name.
    pub name: String,
    /// Servers.
    pub servers: Vec<ServerConfig>,
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Hash key.
    pub hash_key: HashKey,
    /// Health check.
    pub health: Option<HealthConfig>,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Passive failover retries.
    pub retries: usize,
    /// TLS to servers.
    pub tls: bool,
    /// SNI.
    pub sni: String,
}

/// Upstream timeouts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Connect.
    pub connect: Option<Duration>,
    /// Read.
    pub read: Option<Duration>,
    /// Write.
    pub write: Option<Duration>,
}

/// Header changes.
#[derive(Debug, Clone, Default)]
pub struct HeaderOps {
    /// Set these.
    pub add: Vec<(HeaderName, HeaderValue)>,
    /// Remove these.
    pub remove: Vec<HeaderName>,
}

/// A route.
#[derive(Debug, Clone)]
pub struct RouteConfig {
    /// Name.
    pub name: String,
    /// Host patterns (empty = any).
    pub hosts: Vec<HostPattern>,
    /// Path pattern.
    pub path: PathPattern,
    /// Methods (empty = any).
    pub methods: Vec<Method>,
    /// Pool name.
    pub upstream: String,
    /// Prefix to strip.
    pub strip_prefix: Option<String>,
    /// Regex rewrite.
    pub rewrite: Option<(regex::Regex, String)>,
    /// Request header changes.
    pub request_headers: HeaderOps,
    /// Response header changes.
    pub response_headers: HeaderOps,
    /// Timeouts overriding the pool's.
    pub timeouts: Timeouts,
    /// WAF settings.
    pub waf: RouteWaf,
    /// Access control of this route.
    pub access: RouteAccessConfig,
    /// Redirect plain HTTP to HTTPS (308).
    pub https_redirect: bool,
    /// `Strict-Transport-Security` value for HTTPS responses.
    pub hsts: Option<String>,
}
