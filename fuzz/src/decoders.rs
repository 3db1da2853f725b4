//! The one place the fuzz targets name decoder and normalisation functions.

use std::hint::black_box;

use rampart::waf::decode::{self, Strictness};
use rampart::waf::detect::norm;
use rampart::waf::transform::{self, Transform};

/// Every byte-level decoder of `waf::decode` (both strictnesses where it has
/// them), and every rule transformation alone and chained.
pub fn decoders(data: &[u8]) {
    black_box(decode::utf8_fold(data));
    let s = String::from_utf8_lossy(data);
    black_box(decode::percent_decode(&s, false));
    black_box(decode::percent_decode(&s, true));
    for st in [Strictness::Lenient, Strictness::Strict] {
        black_box(decode::html_entity_decode(&s, st));
        black_box(decode::js_decode(&s, st));
    }
    black_box(decode::css_decode(&s));
    black_box(decode::utf7_decode(&s));
    black_box(decode::unicode_fold(&s));
    black_box(decode::remove_nulls(&s));
    black_box(decode::base64_lenient(&s));
    black_box(decode::base64_whole_text(&s));
    black_box(decode::base64_probable_text(&s));
    black_box(decode::base64_short_text(&s));
    black_box(decode::base64_ascii_text(&s));
    for (_, t) in Transform::NAMES {
        black_box(t.apply(&s));
    }
    let all: Vec<Transform> = Transform::NAMES.iter().map(|(_, t)| *t).collect();
    black_box(transform::apply_chain(&all, &s));
}

/// The detectors' normalisation: `Norm::new` (with its base64 second look),
/// `decode_all` and the embedded-base64 search.
pub fn normalisation(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let n = norm::Norm::new(&s);
    black_box((
        &n.text,
        &n.lower,
        n.binary,
        n.alt.as_ref().map(|a| a.text.len()),
    ));
    black_box(norm::decode_all(&s));
    black_box(norm::is_binary(&s));
    black_box(norm::embedded_base64(&s));
}
