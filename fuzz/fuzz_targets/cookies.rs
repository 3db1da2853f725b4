//! The request target and cookies: the first line is the request target
//! (path, query, fragment), each further line one `Cookie` header.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rampart::waf::RequestView;

fuzz_target!(|data: &[u8]| {
    let (target, rest) = rampart_fuzz::split_line(data);
    let target = String::from_utf8_lossy(target);
    let headers: Vec<(String, String)> = String::from_utf8_lossy(rest)
        .split('\n')
        .map(|c| ("cookie".to_string(), c.to_string()))
        .collect();
    let view = RequestView::new("GET", &target, &headers, None, rampart_fuzz::client());
    rampart_fuzz::exercise(&view);
});
