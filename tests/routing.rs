//! Route matching, precedence, 404s, header manipulation, forwarded headers,
//! request ids, metrics and the access log, through the real proxy.

mod support;
use support::*;

fn routes_yaml(a: &Origin, b: &Origin, c: &Origin) -> String {
    format!(
        r#"
upstreams:
  a: {{ servers: ["{}"] }}
  b: {{ servers: ["{}"] }}
  c: {{ servers: ["{}"] }}
routes:
  - name: catch-all
    upstream: a
  - name: api
    path_prefix: /api/
    upstream: b
    strip_prefix: /api
    request_headers:
      add: {{ X-Route: api }}
      remove: [X-Secret]
    response_headers:
      add: {{ X-Served-By: rampart }}
      remove: [X-Upstream-Header]
  - name: api-login-exact
    path_exact: /api/login
    upstream: c
  - name: wildcard-host
    hosts: ["*.example.com"]
    upstream: b
  - name: exact-host
    hosts: ["shop.example.com"]
    upstream: c
  - name: versioned
    path_regex: "^/v[0-9]+/"
    methods: [POST]
    upstream: c
    rewrite: {{ regex: "^/v([0-9]+)/(.*)$", replace: "/version-$1/$2" }}
  - name: only-here
    hosts: ["only.test"]
    path_prefix: /x
    upstream: a
"#,
        a.addr, b.addr, c.addr
    )
}

fn origin_of(r: &Response) -> String {
    r.header("x-origin").unwrap_or("").to_string()
}

#[test]
fn precedence_host_then_path_then_method() {
    let (a, b, c) = (
        origin().name("a").spawn(),
        origin().name("b").spawn(),
        origin().name("c").spawn(),
    );
    let e = edge(&routes_yaml(&a, &b, &c)).spawn();
    let go = |host: &str, method: &str, path: &str| {
        let r = request(e.addr, method, path, &[("Host", host)], b"").unwrap();
        (r.status, origin_of(&r))
    };
    assert_eq!(go("localhost", "GET", "/"), (200, "a".into()));
    assert_eq!(go("localhost", "GET", "/api/users"), (200, "b".into()));
    assert_eq!(go("localhost", "GET", "/api/login"), (200, "c".into()));
    assert_eq!(go("www.example.com", "GET", "/"), (200, "b".into()));
    assert_eq!(go("shop.example.com:8080", "GET", "/"), (200, "c".into()));
    assert_eq!(
        go("example.com", "GET", "/"),
        (200, "a".into()),
        "bare domain is not *.example.com"
    );
    assert_eq!(go("localhost", "POST", "/v2/items"), (200, "c".into()));
    assert_eq!(
        go("localhost", "GET", "/v2/items"),
        (200, "a".into()),
        "method restriction"
    );
    assert_eq!(
        c.requests()[0].uri,
        "/api/login",
        "exact route does not strip"
    );
}

#[test]
fn no_route_is_a_clean_404() {
    let a = origin().spawn();
    let e = edge(&format!("upstreams:\n  a: {{ servers: [\"{}\"] }}\nroutes:\n  - name: r\n    hosts: [only.test]\n    upstream: a\n", a.addr)).spawn();
    let mut conn = Conn::open(e.addr).unwrap();
    let r = conn
        .send("GET", "/", &[("Host", "other.test")], b"")
        .unwrap();
    assert_eq!(r.status, 404);
    assert!(r.text().contains("no route"), "{}", r.text());
    assert!(r.header("x-request-id").is_some());
    // The connection stays usable after a local 404.
    let r = conn
        .send("GET", "/", &[("Host", "only.test")], b"")
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(a.hits(), 1);
}

#[test]
fn header_operations_and_rewrites() {
    let (a, b, c) = (
        origin().name("a").spawn(),
        origin().name("b").spawn(),
        origin().name("c").spawn(),
    );
    let e = edge(&routes_yaml(&a, &b, &c)).spawn();
    let r = request(
        e.addr,
        "GET",
        "/api/items?q=1",
        &[("X-Secret", "s3"), ("X-Keep", "k")],
        b"",
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-served-by"), Some("rampart"));
    assert_eq!(
        r.header("x-upstream-header"),
        None,
        "response header removed"
    );
    let got = b.requests().pop().unwrap();
    assert_eq!(got.uri, "/items?q=1", "strip_prefix keeps the query");
    assert_eq!(got.header("x-route"), Some("api"));
    assert_eq!(got.header("x-secret"), None);
    assert_eq!(got.header("x-keep"), Some("k"));
    request(e.addr, "POST", "/v3/a/b?z=2", &[], b"x").unwrap();
    assert_eq!(c.requests().pop().unwrap().uri, "/version-3/a/b?z=2");
}

#[test]
fn forwarded_headers_and_request_ids() {
    let a = origin().spawn();
    let body = format!(
        "upstreams:\n  a: {{ servers: [\"{}\"] }}\nroutes:\n  - name: r\n    upstream: a\n",
        a.addr
    );
    // Untrusted peer: incoming X-Forwarded-For is replaced.
    let e = edge(&body).spawn();
    let r = request(
        e.addr,
        "GET",
        "/",
        &[("X-Forwarded-For", "6.6.6.6"), ("Host", "site.test")],
        b"",
    )
    .unwrap();
    let got = a.requests().pop().unwrap();
    assert_eq!(got.header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(got.header("x-forwarded-proto"), Some("http"));
    assert_eq!(got.header("x-forwarded-host"), Some("site.test"));
    let id = r.header("x-request-id").unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(got.header("x-request-id"), Some(id.as_str()));
    let r = request(e.addr, "GET", "/", &[("X-Request-Id", "given-id-1")], b"").unwrap();
    assert_eq!(r.header("x-request-id"), Some("given-id-1"));
    drop(e);
    // Trusted peer: the chain is extended.
    let e = edge(&body)
        .server("  trusted_proxies: [\"127.0.0.0/8\"]")
        .spawn();
    request(e.addr, "GET", "/", &[("X-Forwarded-For", "6.6.6.6")], b"").unwrap();
    assert_eq!(
        a.requests().pop().unwrap().header("x-forwarded-for"),
        Some("6.6.6.6, 127.0.0.1")
    );
}

#[test]
fn metrics_health_and_access_log() {
    let a = origin().spawn();
    let e = edge(&format!("upstreams:\n  a: {{ servers: [\"{}\"] }}\nroutes:\n  - name: main\n    hosts: [h.test]\n    upstream: a\n", a.addr)).spawn();
    request(e.addr, "GET", "/p?x=1", &[("Host", "h.test")], b"").unwrap();
    request(e.addr, "GET", "/", &[("Host", "nope.test")], b"").unwrap();
    assert_eq!(get(e.metrics, "/healthz").unwrap().status, 200);
    let ready = get(e.metrics, "/readyz").unwrap();
    assert_eq!(ready.status, 200, "{}", ready.text());
    // Requests are counted in the logging phase, after the response has gone
    // out, so the second count can trail the client by a moment.
    let mut m = String::new();
    for _ in 0..100 {
        m = e.metrics_text();
        if m.contains(r#"rampart_requests_total{route="none",status="4xx"} 1"#) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        m.contains(r#"rampart_requests_total{route="main",status="2xx"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"rampart_requests_total{route="none",status="4xx"} 1"#),
        "{m}"
    );
    assert!(m.contains("rampart_request_duration_seconds_bucket"), "{m}");
    let mut lines = String::new();
    for _ in 0..100 {
        lines = e.access_log();
        if lines.lines().count() >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["path"], "/p?x=1");
    assert_eq!(first["route"], "main");
    assert_eq!(first["status"], 200);
    assert_eq!(first["method"], "GET");
    assert_eq!(first["client_ip"], "127.0.0.1");
    assert_eq!(first["upstream"], a.addr.to_string());
    for key in ["time", "request_id", "host", "bytes", "duration_ms"] {
        assert!(!first[key].is_null(), "{key} missing in {first}");
    }
}

#[test]
fn servers_given_by_hostname_are_resolved() {
    let a = origin().spawn();
    let port = a.addr.port();
    let e = edge(&format!(
        "upstreams:\n  a:\n    servers: [\"localhost:{port}\"]\n    health_check: {{ type: tcp, interval: 200ms }}\nroutes:\n  - name: r\n    upstream: a\n"
    ))
    .spawn();
    for _ in 0..5 {
        assert_eq!(get(e.addr, "/").unwrap().status, 200);
    }
    assert!(a.hits() >= 5);
    // A name that does not resolve is a clear startup error.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "listeners: [{address: \"127.0.0.1:1\"}]\nupstreams: {a: {servers: [\"no-such-host.invalid:80\"]}}\nroutes: [{name: r, upstream: a}]\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["run", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("cannot resolve server `no-such-host.invalid:80`"));
}
