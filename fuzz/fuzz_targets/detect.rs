//! Every detector through `detect::run` (the path the engine's detector
//! operator takes, memo included). The first byte picks the input context.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rampart::waf::detect::{self, Detector};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, value)) = data.split_first() else {
        return;
    };
    let ctx = rampart_fuzz::CONTEXTS[usize::from(sel) % rampart_fuzz::CONTEXTS.len()];
    let value = String::from_utf8_lossy(value);
    for d in Detector::ALL {
        std::hint::black_box(detect::run(d, &value, ctx));
    }
});
