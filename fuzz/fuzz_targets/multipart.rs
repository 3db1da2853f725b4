//! `multipart/form-data` bodies. The first line is appended to the
//! Content-Type (`; boundary=zz`), the rest is the body.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (params, body) = rampart_fuzz::split_line(data);
    let ct = format!("multipart/form-data{}", String::from_utf8_lossy(params));
    rampart_fuzz::parse_body(&ct, body);
});
