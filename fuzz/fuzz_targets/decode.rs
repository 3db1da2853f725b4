//! The byte-level decoders and every rule transformation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rampart_fuzz::decoders::decoders(data);
});
