//! XML bodies (`application/xml`, `text/xml` or `+xml` by the first byte).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let ct = ["application/xml", "text/xml", "application/soap+xml"][usize::from(sel % 3)];
    rampart_fuzz::parse_body(ct, body);
});
