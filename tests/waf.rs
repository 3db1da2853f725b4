//! The WAF through the real proxy: bodies held and inspected before anything
//! goes upstream, modes, exclusions, custom rules, CSRF, audit records,
//! protocol checks, and byte-exact forwarding of what passes.

mod support;
use support::*;

fn waf_yaml(o: &Origin, waf_extra: &str, routes: &str) -> String {
    format!(
        "upstreams:\n  a: {{ servers: [\"{}\"] }}\nwaf:\n  rules: [\"{{FILTERS}}/*.yaml\"]\n  audit_log: \"{{DIR}}/audit.log\"\n{waf_extra}routes:\n{routes}",
        o.addr
    )
}

const DEFAULT_ROUTE: &str = "  - name: app\n    upstream: a\n";

fn post(e: &Edge, path: &str, ctype: &str, body: &[u8]) -> Response {
    request(e.addr, "POST", path, &[("Content-Type", ctype)], body).unwrap()
}

const SQLI: &str = "1' OR '1'='1' --";

#[test]
fn attacks_in_each_body_type_never_reach_the_origin() {
    let o = origin().spawn();
    let e = edge(&waf_yaml(&o, "", DEFAULT_ROUTE)).spawn();
    let form = format!(
        "user=bob&id={}",
        SQLI.replace(' ', "+")
            .replace('\'', "%27")
            .replace('=', "%3D")
    );
    let multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\n<script>alert(document.cookie)</script>\r\n--XyZ--\r\n".to_string();
    let json = format!(
        "{{\"user\": {{\"name\": \"{}\"}}}}",
        SQLI.replace('\'', "\\u0027")
    );
    let xml =
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
    let cases: [(&str, &[u8]); 4] = [
        ("application/x-www-form-urlencoded", form.as_bytes()),
        ("multipart/form-data; boundary=XyZ", multipart.as_bytes()),
        ("application/json", json.as_bytes()),
        ("application/xml", xml.as_bytes()),
    ];
    for (ctype, body) in cases {
        let r = post(&e, "/submit", ctype, body);
        assert_eq!(r.status, 403, "{ctype} not blocked");
        assert!(
            r.text().contains(r.header("x-request-id").unwrap()),
            "block page carries the request id"
        );
    }
    // Chunked upload carrying an attack.
    let chunked = format!(
        "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\n{{\"q\": \"x\r\n{:x}\r\n{}\r\n0\r\n\r\n",
        "' UNION SELECT password FROM users --\"}".len(),
        "' UNION SELECT password FROM users --\"}"
    );
    assert_eq!(
        Conn::open(e.addr)
            .unwrap()
            .raw(chunked.as_bytes())
            .unwrap()
            .status,
        403
    );
    assert_eq!(
        o.hits(),
        0,
        "a blocked request must not send one byte upstream"
    );
    // A benign request on the same setup passes.
    assert_eq!(
        post(
            &e,
            "/submit",
            "application/json",
            b"{\"user\": {\"name\": \"O'Brien\"}}"
        )
        .status,
        200
    );
    assert_eq!(o.hits(), 1);
}

fn chunked(path: &str, ctype: &str, chunks: &[&[u8]]) -> Vec<u8> {
    let mut raw = format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {ctype}\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes();
    for c in chunks {
        raw.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        raw.extend_from_slice(c);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    raw
}

#[test]
fn chunked_bodies_over_the_replay_buffer_are_inspected_whole() {
    let o = origin().spawn();
    let routes = "  - name: app\n    upstream: a\n  - name: small\n    path_prefix: /small/\n    upstream: a\n    waf: { body_limit: 100000 }\n";
    let e = edge(&waf_yaml(&o, "", routes)).spawn();
    let filler: Vec<u8> = (0..50_000u32)
        .map(|i| b"lorem ipsum dolor sit amet 0123456789\n"[(i % 38) as usize])
        .collect();
    let mut conn = Conn::open(e.addr).unwrap();
    // 300 KB of benign text: held, inspected, forwarded byte-exact with its length.
    let chunks: Vec<&[u8]> = vec![&filler; 6];
    let r = conn
        .raw(&chunked("/upload", "text/plain", &chunks))
        .unwrap();
    assert_eq!(r.status, 200);
    let got = o.requests().pop().unwrap();
    assert!(got.body == chunks.concat(), "body altered");
    let header = |n: &str| {
        got.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("content-length"), Some("300000".to_string()));
    assert_eq!(header("transfer-encoding"), None);
    assert_eq!(
        r.header("x-request-id").map(str::to_string),
        header("x-request-id")
    );
    // An attack in the last chunk, 250 KB in: blocked, nothing upstream,
    // on the same keep-alive connection.
    let hits = o.hits();
    let form_tail = b"&note=1' UNION SELECT password FROM users --";
    let mut first = b"a=".to_vec();
    first.extend_from_slice(&filler);
    let chunks: Vec<&[u8]> = vec![&first, &filler, &filler, &filler, &filler, form_tail];
    let r = conn
        .raw(&chunked(
            "/upload",
            "application/x-www-form-urlencoded",
            &chunks,
        ))
        .unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(o.hits(), hits, "a blocked chunked body reached the origin");
    // Over the route's limit, chunked bodies still follow the 413 policy.
    let chunks: Vec<&[u8]> = vec![&filler; 3];
    let r = Conn::open(e.addr)
        .unwrap()
        .raw(&chunked("/small/x", "text/plain", &chunks))
        .unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(o.hits(), hits);
}

#[test]
fn forwarded_bodies_are_byte_exact() {
    let o = origin().spawn();
    let routes = "  - name: app\n    upstream: a\n  - name: raw\n    path_prefix: /raw/\n    upstream: a\n    waf: off\n  - name: prefix\n    path_prefix: /prefix/\n    upstream: a\n    waf: { over_limit: inspect_prefix, body_limit: 4096 }\n";
    let e = edge(&waf_yaml(&o, "", routes)).spawn();
    let pattern: Vec<u8> = (0..200_000u32)
        .map(|i| b"abcdefghij klmnopqrstuvwxyz0123456789\n"[(i % 38) as usize])
        .collect();
    for (path, len) in [
        ("/json", 10),
        ("/small", 60_000),
        ("/tail", 70_000),
        ("/big", 200_000),
        ("/prefix/x", 150_000),
    ] {
        let body = &pattern[..len];
        let r = post(&e, path, "text/plain", body);
        assert_eq!(r.status, 200, "{path}");
        let got = o.requests().pop().unwrap();
        assert_eq!(got.body.len(), len, "{path}: length");
        assert!(got.body == body, "{path}: bytes differ");
    }
    // Chunked, within Pingora's 64 KiB replay buffer.
    let chunk = &pattern[..30_000];
    let raw = chunked("/chunked", "text/plain", &[chunk, chunk]);
    assert_eq!(Conn::open(e.addr).unwrap().raw(&raw).unwrap().status, 200);
    assert_eq!(o.requests().pop().unwrap().body, [chunk, chunk].concat());
    // Tens of MiB on an uninspected route stream through unchanged.
    let huge: Vec<u8> = pattern.iter().cycle().take(24 << 20).copied().collect();
    assert_eq!(
        post(&e, "/raw/upload", "application/octet-stream", &huge).status,
        200
    );
    let got = o.requests().pop().unwrap();
    assert_eq!(got.body.len(), huge.len());
    assert!(got.body == huge, "large body altered");
}

#[test]
fn body_over_the_limit_gets_413_or_prefix_inspection() {
    let o = origin().spawn();
    let routes = "  - name: app\n    upstream: a\n  - name: prefix\n    path_prefix: /prefix/\n    upstream: a\n    waf: { over_limit: inspect_prefix }\n";
    let e = edge(&waf_yaml(&o, "  body_limit: 2048\n", routes)).spawn();
    let big = vec![b'a'; 5000];
    assert_eq!(post(&e, "/x", "text/plain", &big).status, 413);
    assert_eq!(o.hits(), 0);
    // Attack inside the inspected prefix: blocked; beyond it: passes (documented).
    let mut early = format!("q={}&pad=", SQLI.replace(' ', "+")).into_bytes();
    early.extend(vec![b'a'; 5000]);
    assert_eq!(
        post(&e, "/prefix/x", "application/x-www-form-urlencoded", &early).status,
        403
    );
    assert_eq!(
        post(&e, "/prefix/x", "application/x-www-form-urlencoded", &big).status,
        200
    );
    assert_eq!(o.requests().pop().unwrap().body, big);
}

#[test]
fn detect_mode_forwards_and_logs() {
    let o = origin().spawn();
    let routes = "  - name: watch\n    upstream: a\n    waf: detect\n";
    let e = edge(&waf_yaml(&o, "", routes)).spawn();
    let r = request(e.addr, "GET", "/?id=1%27%20OR%20%271%27%3D%271", &[], b"").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(o.hits(), 1);
    let recs = e.audit(1);
    assert_eq!(recs[0]["action"], "would_block");
    assert_eq!(recs[0]["mode"], "detect");
    assert!(e
        .metrics_text()
        .contains("rampart_waf_detected_total{route=\"watch\"} 1"));
}

#[test]
fn exclusions_lift_a_block() {
    let o = origin().spawn();
    let routes = "  - name: by-target\n    path_prefix: /search\n    upstream: a\n    waf:\n      exclusions:\n        targets: [{ rule: 200001, target: \"args:q\" }]\n  - name: by-path\n    path_prefix: /docs/\n    upstream: a\n    waf: { exclusions: { skip_paths: [/docs/sql/] } }\n  - name: by-tag\n    path_prefix: /tagged\n    upstream: a\n    waf: { exclusions: { tags: [attack-sqli] } }\n  - name: app\n    upstream: a\n";
    let e = edge(&waf_yaml(&o, "", routes)).spawn();
    let q = "q=1%27%20OR%20%271%27%3D%271";
    let status = |p: &str| request(e.addr, "GET", p, &[], b"").unwrap().status;
    assert_eq!(status(&format!("/other?{q}")), 403);
    assert_eq!(status(&format!("/search?{q}")), 200);
    assert_eq!(
        status(&format!("/search?other={}", &q[2..])),
        403,
        "only args:q is excluded"
    );
    assert_eq!(status(&format!("/docs/sql/page?{q}")), 200);
    assert_eq!(status(&format!("/tagged?{q}")), 200);
}

#[test]
fn custom_rules_allow_deny_and_priority() {
    let o = origin().spawn();
    let custom = "  custom_rules:\n    - { id: 900001, msg: trusted scanner, priority: 1, action: allow, target: \"headers:x-internal-scan\", equals: yes-please }\n    - { id: 900002, msg: no admin, priority: 5, action: deny, status: 401, target: path, prefix: /admin }\n    - { id: 900003, msg: allow admin health, priority: 2, action: allow, target: path, equals: /admin/health }\n";
    let e = edge(&waf_yaml(&o, custom, DEFAULT_ROUTE)).spawn();
    let go = |p: &str, h: &[(&str, &str)]| request(e.addr, "GET", p, h, b"").unwrap().status;
    assert_eq!(go("/admin/users", &[]), 401);
    assert_eq!(
        go("/admin/health", &[]),
        200,
        "higher-priority allow wins over the deny"
    );
    assert_eq!(
        go(
            "/?id=1%27%20OR%20%271%27%3D%271",
            &[("X-Internal-Scan", "yes-please")]
        ),
        200,
        "allow skips the rest"
    );
    assert_eq!(go("/?id=1%27%20OR%20%271%27%3D%271", &[]), 403);
}

#[test]
fn csrf_needs_an_allowed_origin_or_a_token() {
    let o = origin().spawn();
    let routes = "  - name: app\n    upstream: a\n    waf:\n      csrf: { allowed_origins: [\"https://app.example.com\"], cookie: csrf, header: X-CSRF }\n";
    let e = edge(&waf_yaml(&o, "", routes)).spawn();
    let go = |m: &str, h: &[(&str, &str)]| {
        let mut h = h.to_vec();
        h.push(("Content-Type", "application/x-www-form-urlencoded"));
        let body: &[u8] = if m == "GET" { b"" } else { b"a=1" };
        request(e.addr, m, "/transfer", &h, body).unwrap().status
    };
    assert_eq!(go("GET", &[]), 200, "safe methods pass");
    assert_eq!(go("POST", &[("Origin", "https://app.example.com")]), 200);
    assert_eq!(
        go("POST", &[("Referer", "https://app.example.com/form")]),
        200
    );
    assert_eq!(go("POST", &[("Origin", "https://evil.example.net")]), 403);
    assert_eq!(go("POST", &[]), 403);
    assert_eq!(
        go("POST", &[("Cookie", "csrf=t0k3n"), ("X-CSRF", "t0k3n")]),
        200
    );
    assert_eq!(
        go("POST", &[("Cookie", "csrf=t0k3n"), ("X-CSRF", "other")]),
        403
    );
}

#[test]
fn audit_records_carry_the_match_and_redact_secrets() {
    let o = origin().spawn();
    let e = edge(&waf_yaml(&o, "", DEFAULT_ROUTE)).spawn();
    let r = request(
        e.addr,
        "POST",
        "/login?next=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", "Bearer s3cr3t"),
            ("Accept", "application/json"),
        ],
        b"password=%27%20OR%20%271%27%3D%271%20--",
    )
    .unwrap();
    assert_eq!(r.status, 403);
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body["request_id"],
        r.header("x-request-id").unwrap(),
        "JSON block body by Accept"
    );
    let rec = &e.audit(1)[0];
    for k in [
        "time",
        "request_id",
        "client_ip",
        "method",
        "host",
        "uri",
        "route",
        "mode",
        "action",
        "score",
        "matches",
    ] {
        assert!(!rec[k].is_null(), "{k} missing: {rec}");
    }
    assert_eq!(rec["action"], "blocked");
    assert_eq!(rec["request_id"], r.header("x-request-id").unwrap());
    let matches = rec["matches"].as_array().unwrap();
    let xss = matches
        .iter()
        .find(|m| m["variable"] == "ARGS:next")
        .expect("xss match on ARGS:next");
    assert!(xss["value"].as_str().unwrap().contains("<script>"));
    let pw = matches
        .iter()
        .find(|m| m["variable"].as_str().unwrap().contains("password"));
    if let Some(pw) = pw {
        assert!(
            !pw["value"].as_str().unwrap().contains("OR"),
            "password value must be redacted: {pw}"
        );
    }
    assert!(
        !rec.to_string().contains("s3cr3t"),
        "authorization must never be logged"
    );
}

#[test]
fn protocol_checks_refuse_bad_framing_methods_and_header_floods() {
    let o = origin().spawn();
    let routes = "  - name: ro\n    path_prefix: /ro/\n    upstream: a\n    waf: { allowed_methods: [GET, HEAD] }\n  - name: app\n    upstream: a\n";
    let e = edge(&waf_yaml(&o, "  max_headers: 20\n", routes)).spawn();
    let smuggle = b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n";
    assert_eq!(
        Conn::open(e.addr).unwrap().raw(smuggle).unwrap().status,
        400
    );
    assert_eq!(
        request(e.addr, "DELETE", "/ro/x", &[], b"").unwrap().status,
        405
    );
    assert_eq!(
        request(e.addr, "GET", "/ro/x", &[], b"").unwrap().status,
        200
    );
    let many: Vec<(String, String)> = (0..30)
        .map(|i| (format!("X-Flood-{i}"), "v".into()))
        .collect();
    let h: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(request(e.addr, "GET", "/", &h, b"").unwrap().status, 431);
    assert_eq!(o.hits(), 1);
}

#[test]
fn expect_continue_is_answered_before_the_body_is_read() {
    let o = origin().spawn();
    let e = edge(&waf_yaml(&o, "", DEFAULT_ROUTE)).spawn();
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(e.addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    s.write_all(b"POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 100"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    s.write_all(b"hello").unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(
        String::from_utf8_lossy(&rest).starts_with("HTTP/1.1 200"),
        "{:?} then {:?}",
        String::from_utf8_lossy(&buf[..n]),
        String::from_utf8_lossy(&rest)
    );
    let got = o.requests().pop().unwrap();
    assert_eq!(got.body, b"hello");
    assert_eq!(got.header("expect"), None);
}

#[test]
fn rules_reload_with_the_config_and_a_bad_rule_keeps_the_old_set() {
    let o = origin().spawn();
    let rule = |path: &str| {
        format!("  custom_rules:\n    - {{ id: 900010, msg: closed, action: deny, status: 410, target: path, prefix: {path} }}\n")
    };
    let e = edge(&waf_yaml(&o, &rule("/old"), DEFAULT_ROUTE)).spawn();
    let status = |p: &str| request(e.addr, "GET", p, &[], b"").unwrap().status;
    assert_eq!(status("/old/x"), 410);
    assert_eq!(status("/new/x"), 200);
    e.write_config(&waf_yaml(&o, &rule("/new"), DEFAULT_ROUTE));
    assert!(e.reload(), "{}", e.log());
    assert_eq!(status("/old/x"), 200);
    assert_eq!(status("/new/x"), 410);
    // A rule with an unknown operator is rejected by the running process; the old rules stay.
    let bad = "  custom_rules:\n    - { id: 900011, msg: broken, target: path, resembles: /x }\n";
    e.write_config(&waf_yaml(&o, bad, DEFAULT_ROUTE));
    e.sighup();
    assert!(e.log().contains("config reload rejected"), "{}", e.log());
    assert!(
        e.log().contains("waf.custom_rules") && e.log().contains("unknown field `resembles`"),
        "{}",
        e.log()
    );
    assert_eq!(status("/new/x"), 410);
}
