//! The detectors' normalisation (`Norm::new`, `decode_all` and its rounds).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rampart_fuzz::decoders::normalisation(data);
});
