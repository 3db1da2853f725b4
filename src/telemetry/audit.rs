//! The WAF audit log: one JSON record per request that matched a rule in
//! block or detect mode, written by a background thread.

use super::sink::{append, LineSink};
use crate::config::AuditLog;
use serde::Serialize;

/// One matched rule in an audit record.
#[derive(Serialize, Debug)]
pub struct AuditMatch {
    /// Rule id.
    pub rule_id: u32,
    /// Rule message.
    pub message: String,
    /// Variable (`ARGS:q`, `REQUEST_HEADERS:user-agent`).
    pub variable: String,
    /// Matched value, truncated, secrets redacted.
    pub value: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Score added.
    pub score: u32,
}

/// One audit record.
#[derive(Serialize, Debug)]
pub struct AuditRecord<'a> {
    /// RFC 3339 time.
    pub time: String,
    /// Request id.
    pub request_id: &'a str,
    /// Client IP.
    pub client_ip: String,
    /// Method.
    pub method: &'a str,
    /// Host.
    pub host: &'a str,
    /// URI (path and query).
    pub uri: &'a str,
    /// Route name.
    pub route: &'a str,
    /// `block` or `detect`.
    pub mode: &'static str,
    /// What happened: `blocked`, `would_block`, `logged`, `allowed`.
    pub action: &'static str,
    /// Total anomaly score.
    pub score: u32,
    /// Matched rules.
    pub matches: Vec<AuditMatch>,
}

static SINK: LineSink = LineSink::new();

/// Starts the writer thread. Later calls are ignored.
pub fn init(target: &AuditLog) -> std::io::Result<()> {
    match target {
        AuditLog::Off => Ok(()),
        AuditLog::Stdout => SINK.init("audit-log", Box::new(std::io::stdout())),
        AuditLog::Stderr => SINK.init("audit-log", Box::new(std::io::stderr())),
        AuditLog::File(p) => SINK.init("audit-log", append(p)?),
    }
}

/// Queues one record.
pub fn write(r: &AuditRecord<'_>) {
    SINK.write(r);
}
