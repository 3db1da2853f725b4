//! Shared pieces of the fuzz targets: building a `RequestView` from fuzz
//! bytes, touching every parsed field, the shipped-rules engine, and (in
//! [`decoders`]) the one place that names the decoder functions.

pub mod decoders;

use std::hint::black_box;
use std::net::IpAddr;
use std::sync::OnceLock;

use rampart::waf::detect::InputContext;
use rampart::waf::request::{MAX_FIELDS, MAX_PARTS};
use rampart::waf::{Engine, RequestView};

/// The client address every fuzzed request comes from.
pub fn client() -> IpAddr {
    IpAddr::from([192, 0, 2, 7])
}

/// Every input context a detector can be asked about.
pub const CONTEXTS: [InputContext; 12] = [
    InputContext::Path,
    InputContext::QueryName,
    InputContext::QueryValue,
    InputContext::BodyName,
    InputContext::BodyValue,
    InputContext::Json,
    InputContext::Xml,
    InputContext::Cookie,
    InputContext::Header,
    InputContext::UserAgent,
    InputContext::Referer,
    InputContext::Raw,
];

/// Splits `data` at its first `\n`: (first line, rest). No `\n`: (all, empty).
pub fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Parses `body` as a POST to `/` with this Content-Type, and touches every
/// field, file and anomaly.
pub fn parse_body(content_type: &str, body: &[u8]) {
    let headers = vec![("content-type".to_string(), content_type.to_string())];
    let view = RequestView::new("POST", "/", &headers, Some(body), client());
    exercise(&view);
}

/// Forces every lazily decoded part of the view and checks the parsers'
/// documented bounds.
pub fn exercise(view: &RequestView<'_>) {
    black_box(view.path_raw());
    black_box(view.path());
    black_box(view.path_normalized());
    black_box(view.query_string());
    black_box(view.host());
    let args = view.query_args();
    assert!(args.len() <= MAX_FIELDS, "{} query args", args.len());
    for f in args {
        black_box((f.name.len(), f.value.len()));
    }
    for c in view.cookies() {
        black_box((c.name.as_str(), c.value.as_str()));
    }
    let body = view.body();
    black_box(body.kind);
    assert!(
        body.fields.len() <= MAX_FIELDS,
        "{} body fields",
        body.fields.len()
    );
    if body.kind == rampart::waf::request::BodyKind::Multipart {
        let parts = body.fields.len() + body.files.len();
        assert!(parts <= MAX_PARTS, "{parts} multipart parts");
    }
    for f in &body.fields {
        black_box((f.name.as_str(), f.value.as_str()));
    }
    for f in &body.files {
        black_box((
            f.field.as_str(),
            f.filename.as_str(),
            f.content_type.as_str(),
        ));
    }
    black_box(view.body_raw());
    for a in view.anomalies() {
        black_box(a.name());
    }
}

/// The engine compiled from the shipped `filters/*.yaml`, once per process.
/// A load failure panics: fuzzing an empty engine would prove nothing.
pub fn shipped_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let glob = concat!(env!("CARGO_MANIFEST_DIR"), "/../filters/*.yaml");
        let rules = rampart::waf::load_files(&[glob])
            .unwrap_or_else(|e| panic!("loading the shipped rules {glob}: {e}"));
        let engine = Engine::compile(rules);
        assert!(!engine.is_empty(), "no rules in {glob}");
        engine
    })
}
