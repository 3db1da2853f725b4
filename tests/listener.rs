//! Listener limits through the real binary: a total deadline per request
//! head (slowloris), which neither the wait between keep-alive requests nor
//! a body after `100 Continue` counts against, and the per-listener
//! connection cap with its metrics.

mod support;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::*;

fn body(o: &Origin) -> String {
    format!(
        "upstreams:\n  a: {{ servers: [\"{}\"] }}\nroutes:\n  - name: app\n    upstream: a\n",
        o.addr
    )
}

/// An edge in front of `o` with `extra` lines in its plain listener's entry.
fn limited(o: &Origin, extra: &str) -> Edge {
    edge(&body(o)).listener(extra).spawn()
}

/// True when the server has closed `s` (read gives EOF or an error) within `wait`.
fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 512];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn a_head_sent_one_byte_at_a_time_is_cut_off_by_the_header_timeout() {
    let o = origin().spawn();
    let e = limited(&o, "    header_timeout: 1s\n");
    let mut s = TcpStream::connect(e.addr).unwrap();
    let start = Instant::now();
    let head = b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut cut = None;
    for b in head {
        if s.write_all(&[*b]).is_err() || closed_within(&mut s, Duration::from_millis(200)) {
            cut = Some(start.elapsed());
            break;
        }
    }
    let cut = cut.expect("the slow head was never cut off");
    assert!(cut >= Duration::from_millis(900), "cut after {cut:?}");
    assert!(cut < Duration::from_secs(5), "cut after {cut:?}");
    assert_eq!(o.hits(), 0);
}

#[test]
fn idle_keepalive_and_a_slow_body_after_continue_are_not_cut_off() {
    let o = origin().spawn();
    let e = limited(&o, "    header_timeout: 1s\n");
    let mut c = Conn::open(e.addr).unwrap();
    let r = c.raw(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(r.status, 200);
    // Longer than the header timeout between requests: the keep-alive
    // timeout's business, not the head deadline's.
    std::thread::sleep(Duration::from_millis(1500));
    let r = c.raw(b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(r.status, 200);
    // A body sent slowly after 100 Continue.
    let mut s = TcpStream::connect(e.addr).unwrap();
    s.write_all(b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 64];
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let n = s.read(&mut buf).unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 100"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    for b in b"abcdef" {
        std::thread::sleep(Duration::from_millis(300));
        s.write_all(&[*b]).unwrap();
    }
    let mut resp = Vec::new();
    let mut chunk = [0u8; 4096];
    while !resp.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before answering");
        resp.extend_from_slice(&chunk[..n]);
    }
    assert!(
        resp.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&resp)
    );
    assert_eq!(o.requests().last().unwrap().body, b"abcdef");
}

#[test]
fn an_idle_keepalive_connection_is_closed_after_keepalive_timeout() {
    let o = origin().spawn();
    let e = limited(&o, "    keepalive_timeout: 1s\n");
    let mut c = Conn::open(e.addr).unwrap();
    assert_eq!(
        c.raw(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap().status,
        200
    );
    let mut s = TcpStream::connect(e.addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    let mut buf = [0u8; 4096];
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    assert!(s.read(&mut buf).unwrap() > 0);
    let start = Instant::now();
    assert!(
        closed_within(&mut s, Duration::from_secs(5)),
        "idle connection kept"
    );
    let idle = start.elapsed();
    assert!(
        idle >= Duration::from_millis(800) && idle < Duration::from_secs(4),
        "{idle:?}"
    );
}

#[test]
fn the_connection_cap_refuses_the_next_connection_and_counts_it() {
    let o = origin().spawn();
    let e = limited(&o, "    max_connections: 2\n");
    let mut held: Vec<Conn> = (0..2).map(|_| Conn::open(e.addr).unwrap()).collect();
    for c in &mut held {
        assert_eq!(
            c.raw(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap().status,
            200
        );
    }
    let mut third = TcpStream::connect(e.addr).unwrap();
    let _ = third.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(
        closed_within(&mut third, Duration::from_secs(3)),
        "third connection served"
    );
    let m = e.metrics_text();
    let listener = format!("listener=\"{}\"", e.addr);
    assert!(
        m.contains(&format!(
            "rampart_connections_refused_total{{{listener}}} 1"
        )),
        "{m}"
    );
    assert!(
        m.contains(&format!("rampart_connections_active{{{listener}}} 2")),
        "{m}"
    );
    // A slot frees when a connection closes.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut c = Conn::open(e.addr).unwrap();
        if let Ok(r) = c.raw(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n") {
            assert_eq!(r.status, 200);
            break;
        }
        assert!(Instant::now() < deadline, "no slot freed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A request head over the listener's `max_header_size` is answered 431 and
/// the connection closed, in one read or spread over many; a head under it
/// is served on the same listener.
#[test]
fn a_head_over_max_header_size_gets_431_and_a_close() {
    let o = origin().spawn();
    let e = limited(&o, "    max_header_size: 4096\n");
    let small = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(2000)
    );
    let served = Conn::open(e.addr).unwrap().raw(small.as_bytes()).unwrap();
    assert_eq!(served.status, 200);
    let hits = o.hits();

    for chunk in [usize::MAX, 100] {
        let big = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: {}\r\n\r\n",
            "b".repeat(6000)
        );
        let mut s = TcpStream::connect(e.addr).unwrap();
        for part in big.as_bytes().chunks(chunk.min(big.len())) {
            if s.write_all(part).is_err() {
                break;
            }
        }
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 431"), "chunk {chunk}: {text:?}");
    }
    assert_eq!(o.hits(), hits, "an oversized head reached the origin");
}
