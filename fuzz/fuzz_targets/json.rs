//! JSON bodies (`application/json`; `+json` when the first byte is odd).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let ct = if sel & 1 == 1 {
        "application/vnd.api+json; charset=utf-8"
    } else {
        "application/json"
    };
    rampart_fuzz::parse_body(ct, body);
});
