//! The global held-body budget through the real proxy: bodies held for
//! inspection by concurrent requests never exceed `server.body_budget`; a
//! body that finds no room within `server.body_budget_wait` gets 503 with
//! `Retry-After` (and never reaches the origin); the room comes back when
//! the holder finishes; the held bytes are a metric.

mod support;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::*;

fn metric(e: &Edge, name: &str) -> f64 {
    e.metrics_text()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ok() {
        assert!(Instant::now() < deadline, "not within 5 s: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn concurrent_bodies_stay_within_the_budget() {
    let o = origin().spawn();
    let body = format!(
        "upstreams:\n  a: {{ servers: [\"{}\"] }}\nwaf:\n  rules: [\"{{FILTERS}}/*.yaml\"]\n  audit_log: off\nroutes:\n  - name: app\n    upstream: a\n",
        o.addr
    );
    let e = edge(&body)
        .server("  body_budget: 100000\n  body_budget_wait: 300ms\n")
        .spawn();
    let post = |path: &str, body: &[u8]| {
        request(
            e.addr,
            "POST",
            path,
            &[("Content-Type", "text/plain")],
            body,
        )
        .unwrap()
    };
    // A slow client declares 60,000 bytes and sends 100: its 60,000 are held.
    let mut slow = TcpStream::connect(e.addr).unwrap();
    write!(
        slow,
        "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 60000\r\n\r\n{}",
        "a".repeat(100)
    )
    .unwrap();
    wait_until("the slow body is held", || {
        metric(&e, "rampart_body_held_bytes") >= 60000.0
    });
    // Another 60,000 would pass the budget: it waits 300 ms, then 503.
    let big = vec![b'b'; 60000];
    let started = Instant::now();
    let r = post("/second", &big);
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(
        o.requests().iter().all(|q| q.uri != "/second"),
        "the refused body reached the origin"
    );
    assert_eq!(metric(&e, "rampart_body_budget_refusals_total"), 1.0);
    // A small one still fits.
    let r = post("/small", b"hello");
    assert_eq!(r.status, 200);
    // The slow client finishes: answered, and its bytes come back.
    slow.write_all(&vec![b'a'; 59900]).unwrap();
    let mut buf = [0u8; 12];
    slow.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");
    drop(slow);
    wait_until("the held bytes are released", || {
        metric(&e, "rampart_body_held_bytes") == 0.0
    });
    let r = post("/second", &big);
    assert_eq!(r.status, 200);
}
