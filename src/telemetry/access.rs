//! One JSON access-log line per request, written by a background thread so
//! the request path never blocks on I/O.

use crate::config::AccessLog;
use once_cell::sync::OnceCell;
use serde::Serialize;
use std::io::Write;
use std::sync::mpsc::{channel, Sender};

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

static SINK: OnceCell<Sender<String>> = OnceCell::new();

/// Starts the writer thread. Later calls are ignored.
pub fn init(target: &AccessLog) -> std::io::Result<()> {
    let mut out: Box<dyn Write + Send> = match target {
        AccessLog::Off => return Ok(()),
        AccessLog::Stdout => Box::new(std::io::stdout()),
        AccessLog::File(p) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)?,
        ),
    };
    let (tx, rx) = channel::<String>();
    if SINK.set(tx).is_err() {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("access-log".into())
        .spawn(move || {
            while let Ok(line) = rx.recv() {
                let _ = out.write_all(line.as_bytes());
                while let Ok(more) = rx.try_recv() {
                    let _ = out.write_all(more.as_bytes());
                }
                let _ = out.flush();
            }
        })?;
    Ok(())
}

/// Queues one record.
pub fn write(r: &Record<'_>) {
    if let Some(tx) = SINK.get() {
        if let Ok(mut s) = serde_json::to_string(r) {
            s.push('\n');
            let _ = tx.send(s);
        }
    }
}

/// Current time as RFC 3339 with milliseconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}
