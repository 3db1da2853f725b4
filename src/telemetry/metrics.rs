//! Every metric Rampart exports. Labels are bounded: route and pool names come
//! from the config, never from requests.

use once_cell::sync::Lazy;
use pingora_prometheus::prometheus::{
    register_histogram_vec, register_int_counter, register_int_counter_vec, register_int_gauge,
    register_int_gauge_vec, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
};

/// Requests by route and status class.
pub static REQUESTS: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_requests_total",
        "Requests handled, by route and status class",
        &["route", "status"]
    )
    .expect("metric registers once")
});

/// Request duration by route.
pub static DURATION: Lazy<HistogramVec> = Lazy::new(|| {
    register_histogram_vec!(
        "rampart_request_duration_seconds",
        "Time from request start to the end of the response, by route",
        &["route"],
        vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
    )
    .expect("metric registers once")
});

/// Upstream errors by pool and kind.
pub static UPSTREAM_ERRORS: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_upstream_errors_total",
        "Upstream failures by pool and kind (connect, proxy)",
        &["pool", "kind"]
    )
    .expect("metric registers once")
});

/// Health of each server (1 healthy, 0 unhealthy).
pub static UPSTREAM_HEALTHY: Lazy<IntGaugeVec> = Lazy::new(|| {
    register_int_gauge_vec!(
        "rampart_upstream_healthy",
        "1 when the server passes health checks",
        &["pool", "server"]
    )
    .expect("metric registers once")
});

/// Config reloads by result.
pub static RELOADS: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_config_reloads_total",
        "Config reloads by result (ok, error)",
        &["result"]
    )
    .expect("metric registers once")
});

/// WAF blocks by route.
pub static WAF_BLOCKS: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_waf_blocked_total",
        "Requests blocked by WAF rules, by route",
        &["route"]
    )
    .expect("metric registers once")
});

/// WAF refusals before rule evaluation (protocol, body size), by route and reason.
pub static WAF_REFUSALS: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_waf_refused_total",
        "Requests refused by protocol checks (protocol, body_too_large), by route and reason",
        &["route", "reason"]
    )
    .expect("metric registers once")
});

/// WAF matches in detect mode (would have blocked), by route.
pub static WAF_DETECTED: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_waf_detected_total",
        "Requests a detect-mode route would have blocked, by route",
        &["route"]
    )
    .expect("metric registers once")
});

/// Access-control refusals by check.
pub static ACCESS_DENIED: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_access_denied_total",
        "Requests refused by access control, by check (ip_list, ban, geo, rate_limit, bot, challenge)",
        &["check"]
    )
    .expect("metric registers once")
});

/// TLS handshakes refused by Rampart, by reason (`no_certificate`).
pub static TLS_HANDSHAKE_FAILURES: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_tls_handshake_failures_total",
        "TLS handshakes that failed on Rampart's side, by reason",
        &["reason"]
    )
    .expect("metric registers once")
});

/// Not-after of each served certificate, by its first name.
pub static TLS_CERT_EXPIRY: Lazy<IntGaugeVec> = Lazy::new(|| {
    register_int_gauge_vec!(
        "rampart_tls_certificate_expiry_timestamp_seconds",
        "End of validity of each served certificate (Unix time), by its first name",
        &["certificate"]
    )
    .expect("metric registers once")
});

/// Requests redirected from plain HTTP to HTTPS, by route.
pub static HTTPS_REDIRECTS: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_https_redirects_total",
        "Plain-HTTP requests answered with a redirect to HTTPS, by route",
        &["route"]
    )
    .expect("metric registers once")
});

/// Open client connections, by listener address.
pub static CONNECTIONS_ACTIVE: Lazy<IntGaugeVec> = Lazy::new(|| {
    register_int_gauge_vec!(
        "rampart_connections_active",
        "Client connections open, by listener",
        &["listener"]
    )
    .expect("metric registers once")
});

/// Bytes of request bodies held for inspection now (all requests).
pub static BODY_HELD_BYTES: Lazy<IntGauge> = Lazy::new(|| {
    register_int_gauge!(
        "rampart_body_held_bytes",
        "Bytes of request bodies held for inspection now, over all requests (bounded by server.body_budget)"
    )
    .expect("metric registers once")
});

/// Requests answered 503 because the held-body budget was full.
pub static BODY_BUDGET_REFUSALS: Lazy<IntCounter> = Lazy::new(|| {
    register_int_counter!(
        "rampart_body_budget_refusals_total",
        "Requests answered 503 because server.body_budget had no room for their body within server.body_budget_wait"
    )
    .expect("metric registers once")
});

/// Connections closed at once because the listener was full.
pub static CONNECTIONS_REFUSED: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_connections_refused_total",
        "Client connections closed on accept because the listener had max_connections open",
        &["listener"]
    )
    .expect("metric registers once")
});

/// Status class label of a status code.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    }
}

/// ACME orders by certificate and result (`success`, `failure`).
pub static ACME_ORDERS: Lazy<IntCounterVec> = Lazy::new(|| {
    register_int_counter_vec!(
        "rampart_acme_orders_total",
        "ACME orders finished, by certificate (its first name) and result",
        &["certificate", "result"]
    )
    .expect("metric registers once")
});

/// ACME HTTP-01 challenges answered.
pub static ACME_CHALLENGES_SERVED: Lazy<IntCounter> = Lazy::new(|| {
    register_int_counter!(
        "rampart_acme_http01_answers_total",
        "HTTP-01 challenge requests answered from the challenge store"
    )
    .expect("metric registers once")
});

/// Touches every metric so they appear before the first request.
pub fn init() {
    Lazy::force(&REQUESTS);
    Lazy::force(&DURATION);
    Lazy::force(&UPSTREAM_ERRORS);
    Lazy::force(&UPSTREAM_HEALTHY);
    Lazy::force(&RELOADS);
    Lazy::force(&WAF_BLOCKS);
    Lazy::force(&WAF_REFUSALS);
    Lazy::force(&WAF_DETECTED);
    Lazy::force(&ACCESS_DENIED);
    Lazy::force(&TLS_HANDSHAKE_FAILURES);
    Lazy::force(&TLS_CERT_EXPIRY);
    Lazy::force(&HTTPS_REDIRECTS);
    Lazy::force(&CONNECTIONS_ACTIVE);
    Lazy::force(&CONNECTIONS_REFUSED);
    Lazy::force(&ACME_ORDERS);
    Lazy::force(&ACME_CHALLENGES_SERVED);
}
