//! `application/x-www-form-urlencoded` bodies through `RequestView::body`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rampart_fuzz::parse_body("application/x-www-form-urlencoded", data);
});
