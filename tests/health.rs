//! Active health checks (removal and recovery) and passive failover.

mod support;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}

fn origins_hit(e: &Edge, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            get(e.addr, "/")
                .unwrap()
                .header("x-origin")
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

#[test]
fn http_health_check_removes_and_restores_a_server() {
    let a = origin().name("a").spawn();
    let b = origin().name("b").spawn();
    let e = edge(&format!(
        "upstreams:\n  p:\n    servers: [\"{}\", \"{}\"]\n    health_check: {{ type: http, path: /healthz, interval: 100ms, timeout: 500ms, rise: 2, fall: 1 }}\nroutes:\n  - name: r\n    upstream: p\n",
        a.addr, b.addr
    ))
    .spawn();
    wait_until("both serve", || {
        origins_hit(&e, 4).contains(&"b".to_string())
    });
    b.set_health(503);
    wait_until("b removed", || origins_hit(&e, 6).iter().all(|o| o == "a"));
    let m = e.metrics_text();
    assert!(
        m.contains(&format!(
            "rampart_upstream_healthy{{pool=\"p\",server=\"{}\"}} 0",
            b.addr
        )),
        "{m}"
    );
    assert_eq!(
        get(e.metrics, "/readyz").unwrap().status,
        200,
        "one healthy server keeps the pool ready"
    );
    b.set_health(200);
    wait_until("b restored", || {
        origins_hit(&e, 6).contains(&"b".to_string())
    });
}

#[test]
fn tcp_health_check_follows_an_origin_that_dies_and_returns() {
    let a = origin().name("a").spawn();
    let b = origin().name("b").spawn();
    let e = edge(&format!(
        "upstreams:\n  p:\n    servers: [\"{}\", \"{}\"]\n    retries: 0\n    health_check: {{ type: tcp, interval: 100ms, timeout: 300ms }}\nroutes:\n  - name: r\n    upstream: p\n",
        a.addr, b.addr
    ))
    .spawn();
    a.stop();
    wait_until("a removed", || origins_hit(&e, 6).iter().all(|o| o == "b"));
    b.stop();
    wait_until("readyz says not ready", || {
        get(e.metrics, "/readyz").unwrap().status == 503
    });
    assert_eq!(get(e.addr, "/").unwrap().status, 502);
    a.restart();
    b.restart();
    wait_until("both back", || {
        let hits = origins_hit(&e, 6);
        hits.contains(&"a".to_string()) && hits.contains(&"b".to_string())
    });
    assert_eq!(get(e.metrics, "/readyz").unwrap().status, 200);
}

#[test]
fn passive_failover_loses_no_idempotent_request() {
    let origins: Vec<Origin> = ["a", "b", "c"]
        .iter()
        .map(|n| origin().name(n).spawn())
        .collect();
    let servers: Vec<String> = origins.iter().map(|o| format!("\"{}\"", o.addr)).collect();
    // No active health check: only passive failover protects the requests.
    let e = edge(&format!(
        "upstreams:\n  p:\n    servers: [{}]\n    retries: 2\n    connect_timeout: 500ms\nroutes:\n  - name: r\n    upstream: p\n",
        servers.join(", ")
    ))
    .spawn();
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let addr = e.addr;
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr).unwrap();
                while !stop.load(Ordering::SeqCst) {
                    // Half the workers reuse a connection, half open new ones.
                    let r = if i % 2 == 0 {
                        conn.send("GET", "/", &[], b"")
                    } else {
                        get(addr, "/")
                    };
                    match r {
                        Ok(r) if r.status == 200 => ok.fetch_add(1, Ordering::SeqCst),
                        other => {
                            eprintln!("failed: {other:?}");
                            failed.fetch_add(1, Ordering::SeqCst)
                        }
                    };
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    origins[1].stop();
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    assert!(
        ok.load(Ordering::SeqCst) > 200,
        "only {} requests",
        ok.load(Ordering::SeqCst)
    );
    assert_eq!(failed.load(Ordering::SeqCst), 0, "log:\n{}", e.log());
    assert!(e
        .metrics_text()
        .contains("rampart_upstream_errors_total{kind=\"connect\",pool=\"p\"}"));
}
