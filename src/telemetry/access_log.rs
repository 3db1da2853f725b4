//! One JSON access-log line per request, written by a background thread so
//! the request path never blocks on I/O.

use super::sink::{append, LineSink};
use crate::config::AccessLog;
use serde::Serialize;

/// One access-log record.
#[derive(Serialize, Debug)]
pub struct Record<'a> {
    /// RFC 3339 time.
    pub time: String,
    /// Request id.
    pub request_id: &'a str,
    /// Client IP.
    pub client_ip: String,
    /// Method.
    pub method: &'a str,
    /// Host header.
    pub host: &'a str,
    /// Path (with query).
    pub path: &'a str,
    /// Route name or null.
    pub route: Option<&'a str>,
    /// Upstream server or null.
    pub upstream: Option<String>,
    /// Status sent.
    pub status: u16,
    /// Response body bytes sent.
    pub bytes: usize,
    /// Duration in milliseconds.
    pub duration_ms: f64,
}

static SINK: LineSink = LineSink::new();

/// Starts the writer thread. Later calls are ignored.
pub fn init(target: &AccessLog) -> std::io::Result<()> {
    match target {
        AccessLog::Off => Ok(()),
        AccessLog::Stdout => SINK.init("access-log", Box::new(std::io::stdout())),
        AccessLog::File(p) => SINK.init("access-log", append(p)?),
    }
}

/// Queues one record.
pub fn write(r: &Record<'_>) {
    SINK.write(r);
}

/// Current time as RFC 3339 with milliseconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}
