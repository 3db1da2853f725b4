//! Load-balancing algorithms' distributions through the real proxy.

mod support;
use std::collections::HashMap;
use std::time::Duration;
use support::*;

fn pool_yaml(origins: &[&Origin], weights: &[usize], algo: &str, extra: &str) -> String {
    let servers: String = origins
        .iter()
        .zip(weights)
        .map(|(o, w)| format!("      - {{ address: \"{}\", weight: {w} }}\n", o.addr))
        .collect();
    format!("upstreams:\n  p:\n    algorithm: {algo}\n{extra}    servers:\n{servers}routes:\n  - name: r\n    upstream: p\n")
}

fn three() -> (Origin, Origin, Origin) {
    (
        origin().name("a").spawn(),
        origin().name("b").spawn(),
        origin().name("c").spawn(),
    )
}

fn send_many(e: &Edge, n: usize) {
    let mut conn = Conn::open(e.addr).unwrap();
    for _ in 0..n {
        let r = conn.send("GET", "/", &[], b"").unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
    }
}

fn within(got: usize, want: usize, tol: usize, what: &str) {
    assert!(
        got.abs_diff(want) <= tol,
        "{what}: got {got}, want {want} ± {tol}"
    );
}

#[test]
fn round_robin_ignores_weights_and_spreads_evenly() {
    let (a, b, c) = three();
    let e = edge(&pool_yaml(&[&a, &b, &c], &[1, 5, 1], "round_robin", "")).spawn();
    send_many(&e, 300);
    for o in [&a, &b, &c] {
        within(o.hits(), 100, 5, &o.name);
    }
}

#[test]
fn weighted_follows_weights() {
    let (a, b, c) = three();
    let e = edge(&pool_yaml(&[&a, &b, &c], &[1, 2, 3], "weighted", "")).spawn();
    send_many(&e, 1200);
    // 1,000 requests over weights 1:2:3 land within 5% of 1/6, 2/6, 3/6.
    within(a.hits(), 200, 60, "a");
    within(b.hits(), 400, 60, "b");
    within(c.hits(), 600, 60, "c");
}

#[test]
fn random_is_weighted_within_tolerance() {
    let (a, b, c) = three();
    let e = edge(&pool_yaml(&[&a, &b, &c], &[1, 1, 2], "random", "")).spawn();
    send_many(&e, 1000);
    // Binomial sd is ~14 for 250 and ~16 for 500: allow ~5 sd.
    within(a.hits(), 250, 70, "a");
    within(b.hits(), 250, 70, "b");
    within(c.hits(), 500, 80, "c");
}

#[test]
fn consistent_hash_is_sticky_and_spreads_keys() {
    let (a, b, c) = three();
    let e = edge(&pool_yaml(
        &[&a, &b, &c],
        &[1, 1, 1],
        "consistent_hash",
        "    hash_key: header:X-User\n",
    ))
    .spawn();
    let mut owner: HashMap<String, String> = HashMap::new();
    let mut conn = Conn::open(e.addr).unwrap();
    for round in 0..3 {
        for u in 0..200 {
            let user = format!("user-{u}");
            let r = conn.send("GET", "/", &[("X-User", &user)], b"").unwrap();
            let o = r.header("x-origin").unwrap().to_string();
            if round == 0 {
                owner.insert(user, o);
            } else {
                assert_eq!(owner[&user], o, "key moved between servers");
            }
        }
    }
    for o in [&a, &b, &c] {
        assert!(
            o.hits() >= 600 / 3 / 3,
            "{} got only {} of 600",
            o.name,
            o.hits()
        );
    }
}

#[test]
fn consistent_hash_on_cookie() {
    let (a, b, c) = three();
    let e = edge(&pool_yaml(
        &[&a, &b, &c],
        &[1, 1, 1],
        "consistent_hash",
        "    hash_key: cookie:sid\n",
    ))
    .spawn();
    let first = request(e.addr, "GET", "/", &[("Cookie", "x=1; sid=abc")], b"").unwrap();
    for _ in 0..20 {
        let r = request(e.addr, "GET", "/", &[("Cookie", "sid=abc")], b"").unwrap();
        assert_eq!(r.header("x-origin"), first.header("x-origin"));
    }
}

#[test]
fn least_connections_prefers_the_idle_server() {
    let slow = origin().name("slow").spawn();
    let fast = origin().name("fast").spawn();
    slow.delay(Duration::from_millis(150));
    let e = edge(&pool_yaml(
        &[&slow, &fast],
        &[1, 1],
        "least_connections",
        "",
    ))
    .spawn();
    let addr = e.addr;
    let threads: Vec<_> = (0..6)
        .map(|_| {
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr).unwrap();
                for _ in 0..15 {
                    let r = conn.send("GET", "/", &[], b"").unwrap();
                    assert_eq!(r.status, 200, "{}", r.text());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(slow.hits() + fast.hits(), 90);
    // Round robin would give 45/45; least connections keeps the slow server near one in flight.
    assert!(
        fast.hits() > 3 * slow.hits(),
        "fast {} slow {}",
        fast.hits(),
        slow.hits()
    );
}

/// An origin that answers the first request on each connection and closes
/// the connection, without a word, when a second one arrives (as a server
/// at its per-connection request limit does). Returns its address and a
/// count of the requests it answered.
fn closing_origin() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::io::{BufRead, BufReader, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = answered.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let count = count.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut w = s;
                let mut line = String::new();
                // Read the first request head.
                loop {
                    line.clear();
                    if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // Wait for a second request on this connection, then close.
                line.clear();
                let _ = r.read_line(&mut line);
            });
        }
    });
    (addr, answered)
}

/// A request sent on a pooled upstream connection that the server has
/// closed is retried on a new connection to the same server, even when the
/// pool has only that server: clients see no 502.
#[test]
fn a_stale_pooled_connection_is_retried_on_the_same_server() {
    let (addr, answered) = closing_origin();
    let e = edge(&format!(
        "upstreams:\n  a: {{ servers: [\"{addr}\"] }}\nroutes:\n  - name: r\n    upstream: a\n"
    ))
    .spawn();
    let mut c = Conn::open(e.addr).unwrap();
    for i in 0..20 {
        let r = c.send("GET", &format!("/n{i}"), &[], b"").unwrap();
        assert_eq!(r.status, 200, "request {i}: {}", r.text());
    }
    assert_eq!(answered.load(std::sync::atomic::Ordering::SeqCst), 20);
}

/// A client that hangs up while the origin is still working is not an
/// upstream failure: nothing is retried and nothing counts against the server.
#[test]
fn a_client_that_hangs_up_is_not_an_upstream_failure() {
    use std::io::Write;
    let o = origin().spawn();
    o.delay(Duration::from_millis(400));
    let e = edge(&format!(
        "upstreams:\n  a: {{ servers: [\"{}\"] }}\nroutes:\n  - name: r\n    upstream: a\n",
        o.addr
    ))
    .spawn();
    let mut s = std::net::TcpStream::connect(e.addr).unwrap();
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(s);
    std::thread::sleep(Duration::from_millis(800));
    let m = e.metrics_text();
    assert!(
        !m.contains("rampart_upstream_errors_total{kind=\"proxy\"")
            && !m.contains("kind=\"no_healthy_server\""),
        "{}",
        m.lines()
            .filter(|l| l.contains("upstream_errors"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(o.hits(), 1, "not retried");
}
