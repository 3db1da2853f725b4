//! The whole engine on a raw HTTP/1.1 request: parsed by the crate's own
//! `explain::Sample::from_raw` (what `rampart waf explain` uses), viewed with
//! `RequestView::new`, evaluated by the SHIPPED rules (`filters/*.yaml`) at
//! paranoia 4 so every rule runs.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rampart::explain::Sample;
use rampart::waf::{Policy, RequestView};

fn one(data: &[u8]) {
    let engine = rampart_fuzz::shipped_engine();
    let Ok(sample) = Sample::from_raw(data) else {
        return;
    };
    let body = (!sample.body.is_empty()).then_some(sample.body.as_slice());
    let view = RequestView::new(
        &sample.method,
        &sample.target,
        &sample.headers,
        body,
        rampart_fuzz::client(),
    );
    let policy = Policy {
        paranoia: 4,
        ..Policy::default()
    };
    let verdict = engine.evaluate(&view, &policy);
    for m in &verdict.matches {
        assert!(m.value.chars().count() <= 129, "match value over its bound");
    }
    rampart_fuzz::exercise(&view);
}

fuzz_target!(
    // Load the rules (or panic) before the first input, not on it.
    init: {
        rampart_fuzz::shipped_engine();
    },
    |data: &[u8]| one(data)
);
