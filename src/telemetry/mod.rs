//! Telemetry: Prometheus metrics (in the registry Pingora's exporter serves),
//! the JSON access log, and the metrics/health endpoint.

pub mod access_log;
pub mod audit;
pub mod endpoint;
pub mod logging;
pub mod metrics;
pub mod recent;
pub mod sink;
