//! HTTPS at the edge through the real binary: certificates chosen by SNI
//! (exact, wildcard, default), HTTP/2 by ALPN with the WAF inspecting h2
//! requests and bodies, TLS 1.1 refused, redirect to HTTPS and HSTS,
//! certificate reload on SIGHUP, and 400 for an HTTP/1.1 request without
//! Host. Clients are curl and `openssl s_client` (installed by
//! `scripts/deps.sh test`).

mod support;
use std::process::Command;
use support::certs::Ca;
use support::*;

/// Certificates for `a.test`, `*.w.test` and `d.test`, signed by one CA.
fn with_certs(ca: &Ca, b: support::edge::EdgeBuilder) -> support::edge::EdgeBuilder {
    let (a, ak) = ca.leaf(&["a.test"]);
    let (w, wk) = ca.leaf(&["*.w.test"]);
    let (d, dk) = ca.leaf(&["d.test"]);
    b.file("ca.pem", ca.pem.clone())
        .file("a.pem", a)
        .file("a.key", ak)
        .file("w.pem", w)
        .file("w.key", wk)
        .file("d.pem", d)
        .file("d.key", dk)
}

fn tls_section(default: Option<&str>) -> String {
    let default = default.map_or(String::new(), |d| format!("  default_certificate: {d}\n"));
    format!(
        "tls:\n  certificates:\n    - {{ cert: a.pem, key: a.key }}\n    - {{ cert: w.pem, key: w.key }}\n    - {{ cert: d.pem, key: d.key }}\n{default}"
    )
}

fn routes(o: &Origin, route_extra: &str) -> String {
    format!(
        "upstreams:\n  a: {{ servers: [\"{}\"] }}\nwaf:\n  rules: [\"{{FILTERS}}/*.yaml\"]\nroutes:\n  - name: app\n    upstream: a\n{route_extra}",
        o.addr
    )
}

/// curl over HTTPS to `name` (resolved to the edge), trusting the test CA:
/// (status, HTTP version, response headers), or None when the handshake
/// or the verification failed.
fn curl(e: &Edge, name: &str, path: &str, args: &[&str]) -> Option<(u16, String, String)> {
    let port = e.tls_addr.unwrap().port();
    let out = Command::new("curl")
        .args(["-sS", "-D", "-", "-o", "/dev/null", "--max-time", "10"])
        .args(["-w", "\n%{http_code} %{http_version}"])
        .arg("--cacert")
        .arg(e.dir.join("ca.pem"))
        .args(["--resolve", &format!("{name}:{port}:127.0.0.1")])
        .args(args)
        .arg(format!("https://{name}:{port}{path}"))
        .output()
        .expect("curl is required (scripts/deps.sh test installs it)");
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (head, last) = text.rsplit_once('\n').unwrap();
    let (code, version) = last.split_once(' ').unwrap();
    Some((
        code.parse().unwrap(),
        version.to_string(),
        head.to_ascii_lowercase(),
    ))
}

/// The subject line `openssl s_client` prints for the served certificate,
/// or None when the handshake failed.
fn served_subject(e: &Edge, sni: Option<&str>, extra: &[&str]) -> Option<String> {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &e.tls_addr.unwrap().to_string()]);
    match sni {
        Some(n) => cmd.args(["-servername", n]),
        None => cmd.arg("-noservername"),
    };
    let out = cmd
        .args(extra)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl is required (scripts/deps.sh test installs it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let handshake = text.contains("-----BEGIN CERTIFICATE-----");
    handshake.then(|| {
        text.lines()
            .find(|l| l.starts_with("subject="))
            .unwrap_or("")
            .to_string()
    })
}

#[test]
fn sni_picks_exact_then_wildcard_then_default() {
    let ca = Ca::new();
    let o = origin().spawn();
    let body = format!("{}{}", routes(&o, ""), tls_section(Some("d.test")));
    let e = with_certs(&ca, edge(&body)).tls("").spawn();
    // curl verifies the name against the certificate: success means the
    // right one was served.
    assert_eq!(curl(&e, "a.test", "/", &[]).map(|r| r.0), Some(200));
    assert_eq!(curl(&e, "x.w.test", "/", &[]).map(|r| r.0), Some(200));
    // A wildcard covers one label only.
    assert!(served_subject(&e, Some("y.x.w.test"), &[])
        .unwrap()
        .contains("d.test"));
    assert!(served_subject(&e, Some("unknown.test"), &[])
        .unwrap()
        .contains("d.test"));
    assert!(served_subject(&e, None, &[]).unwrap().contains("d.test"));
    assert!(served_subject(&e, Some("A.TEST"), &[])
        .unwrap()
        .contains("a.test"));
}

#[test]
fn without_a_default_an_unknown_name_fails_the_handshake_cleanly() {
    let ca = Ca::new();
    let o = origin().spawn();
    let body = format!("{}{}", routes(&o, ""), tls_section(None));
    let e = with_certs(&ca, edge(&body)).tls("").spawn();
    assert_eq!(served_subject(&e, Some("unknown.test"), &[]), None);
    assert_eq!(curl(&e, "a.test", "/", &[]).map(|r| r.0), Some(200));
    let m = e.metrics_text();
    assert!(
        m.contains("rampart_tls_handshake_failures_total{reason=\"no_certificate\"} 1"),
        "{m}"
    );
    assert!(m.contains("rampart_tls_certificate_expiry_timestamp_seconds{certificate=\"a.test\"}"));
}

#[test]
fn tls_1_1_is_refused_and_1_2_and_1_3_are_served() {
    let ca = Ca::new();
    let o = origin().spawn();
    let body = format!("{}{}", routes(&o, ""), tls_section(Some("a.test")));
    let e = with_certs(&ca, edge(&body)).tls("").spawn();
    // SECLEVEL=0 lets this client really offer TLS 1.1, so a failure is
    // the server's refusal.
    let old = ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"];
    assert_eq!(served_subject(&e, Some("a.test"), &old), None);
    assert!(served_subject(&e, Some("a.test"), &["-tls1_2"]).is_some());
    assert!(served_subject(&e, Some("a.test"), &["-tls1_3"]).is_some());
}

#[test]
fn http2_by_alpn_is_inspected_like_http1() {
    let ca = Ca::new();
    let o = origin().spawn();
    let body = format!("{}{}", routes(&o, ""), tls_section(Some("a.test")));
    let e = with_certs(&ca, edge(&body)).tls("").spawn();
    let h2 = curl(&e, "a.test", "/hello", &["--http2"]).unwrap();
    assert_eq!((h2.0, h2.1.as_str()), (200, "2"));
    let h1 = curl(&e, "a.test", "/hello", &["--http1.1"]).unwrap();
    assert_eq!((h1.0, h1.1.as_str()), (200, "1.1"));
    let seen = o.hits();
    let attack = "/search?q=1'%20OR%20'1'='1'%20--";
    for v in ["--http2", "--http1.1"] {
        assert_eq!(curl(&e, "a.test", attack, &[v]).unwrap().0, 403, "{v}");
    }
    // A body attack over h2, with and without a declared length.
    let form = "comment=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E";
    for extra in [&[][..], &["-H", "Transfer-Encoding: chunked"][..]] {
        let mut args = vec!["--http2", "--data-binary", form];
        args.extend_from_slice(extra);
        let r = curl(&e, "a.test", "/post", &args).unwrap();
        assert_eq!((r.0, r.1.as_str()), (403, "2"), "{extra:?}");
    }
    assert_eq!(o.hits(), seen, "no blocked request reached the origin");
    // A benign h2 body is forwarded whole.
    let r = curl(
        &e,
        "a.test",
        "/post",
        &["--http2", "--data-binary", "a=1&b=two"],
    )
    .unwrap();
    assert_eq!(r.0, 200);
    let last = o.requests().pop().unwrap();
    assert_eq!(last.body, b"a=1&b=two");
}

#[test]
fn plain_http_redirects_to_https_and_https_carries_hsts() {
    let ca = Ca::new();
    let o = origin().spawn();
    let route = "    https_redirect: true\n    hsts: { max_age: 1d, include_subdomains: true }\n";
    let body = format!("{}{}", routes(&o, route), tls_section(Some("a.test")));
    let e = with_certs(&ca, edge(&body)).tls("").spawn();
    let port = e.tls_addr.unwrap().port();
    let r = request(
        e.addr,
        "GET",
        "/p/q?x=1&y=2",
        &[("Host", "a.test:8080")],
        b"",
    )
    .unwrap();
    assert_eq!(r.status, 308);
    assert_eq!(
        r.header("location"),
        Some(format!("https://a.test:{port}/p/q?x=1&y=2").as_str())
    );
    let hits = o.hits();
    // The ACME challenge path is never redirected.
    let r = get(e.addr, "/.well-known/acme-challenge/abc").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(o.hits(), hits + 1);
    let (status, _, head) = curl(&e, "a.test", "/", &[]).unwrap();
    assert_eq!(status, 200);
    assert!(
        head.contains("strict-transport-security: max-age=86400; includesubdomains"),
        "{head}"
    );
    assert!(e
        .metrics_text()
        .contains("rampart_https_redirects_total{route=\"app\"} 1"));
}

#[test]
fn certificate_files_reload_on_sighup() {
    let ca = Ca::new();
    let o = origin().spawn();
    let body = format!("{}{}", routes(&o, ""), tls_section(Some("a.test")));
    let e = with_certs(&ca, edge(&body)).tls("").spawn();
    assert!(served_subject(&e, Some("b.test"), &[])
        .unwrap()
        .contains("a.test"));
    // The file for a.test now holds a certificate for a.test and b.test.
    let (both, key) = ca.leaf(&["a.test", "b.test"]);
    std::fs::write(e.dir.join("a.pem"), both).unwrap();
    std::fs::write(e.dir.join("a.key"), key).unwrap();
    assert!(e.reload(), "reload accepted: {}", e.log());
    assert_eq!(curl(&e, "b.test", "/", &[]).map(|r| r.0), Some(200));
    // A key that does not match is refused and the old pair keeps serving.
    let (_, other_key) = ca.leaf(&["a.test"]);
    std::fs::write(e.dir.join("a.key"), other_key).unwrap();
    e.sighup();
    let log = e.log();
    assert!(
        log.contains("config reload rejected") && log.contains("tls.certificates[0].key"),
        "{log}"
    );
    assert_eq!(curl(&e, "b.test", "/", &[]).map(|r| r.0), Some(200));
}

#[test]
fn http11_without_host_is_400_before_any_rule() {
    let o = origin().spawn();
    let e = edge(&routes(&o, "")).spawn();
    let mut c = Conn::open(e.addr).unwrap();
    let r = c
        .raw(b"GET /?q=<script> HTTP/1.1\r\nUser-Agent: t\r\n\r\n")
        .unwrap();
    assert_eq!(r.status, 400);
    let mut c = Conn::open(e.addr).unwrap();
    let r = c
        .raw(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nUser-Agent: t\r\n\r\n")
        .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(o.hits(), 0);
    let r = get(e.addr, "/").unwrap();
    assert_eq!(r.status, 200);
}

#[test]
fn bad_certificate_files_are_config_errors_with_their_line() {
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = ca.leaf(&["a.test"]);
    let (_, other) = ca.leaf(&["a.test"]);
    std::fs::write(dir.path().join("a.pem"), a).unwrap();
    std::fs::write(dir.path().join("other.key"), other).unwrap();
    std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
    let check = |tls: &str| {
        let cfg = dir.path().join("r.yaml");
        let text = format!(
            "listeners:\n  - address: 127.0.0.1:1\n    tls: true\nupstreams:\n  a: {{ servers: [\"127.0.0.1:2\"] }}\nroutes:\n  - name: r\n    upstream: a\n{tls}"
        );
        std::fs::write(&cfg, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(["check", "-c"])
            .arg(&cfg)
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let mismatch = check("tls:\n  certificates:\n    - cert: a.pem\n      key: other.key\n");
    assert!(
        mismatch.contains("r.yaml:12") && mismatch.contains("tls.certificates[0].key"),
        "{mismatch}"
    );
    let junk = check("tls:\n  certificates:\n    - cert: junk.pem\n      key: other.key\n");
    assert!(
        junk.contains("r.yaml:11") && junk.contains("junk.pem"),
        "{junk}"
    );
    let missing = check("tls:\n  certificates:\n    - cert: nope.pem\n      key: other.key\n");
    assert!(
        missing.contains("nope.pem") && missing.contains("cannot read"),
        "{missing}"
    );
    let none = check("");
    assert!(none.contains("listeners[0].tls"), "{none}");
}

#[test]
fn cert_status_reads_the_config_without_a_server() {
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let (a, ak) = ca.leaf(&["a.test", "www.a.test"]);
    std::fs::write(dir.path().join("a.pem"), a).unwrap();
    std::fs::write(dir.path().join("a.key"), ak).unwrap();
    let cfg = dir.path().join("r.yaml");
    std::fs::write(
        &cfg,
        "listeners:\n  - address: 127.0.0.1:1\n    tls: true\nupstreams:\n  a: { servers: [\"127.0.0.1:2\"] }\nroutes:\n  - name: r\n    upstream: a\ntls:\n  certificates:\n    - { cert: a.pem, key: a.key }\n",
    )
    .unwrap();
    let run = |json: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
        cmd.args(["cert", "status", "-c"]).arg(&cfg);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let rows: serde_json::Value = serde_json::from_str(&run(true)).unwrap();
    assert_eq!(
        rows[0]["names"],
        serde_json::json!(["a.test", "www.a.test"])
    );
    assert_eq!(rows[0]["source"], "file");
    assert!(rows[0]["issuer"]
        .as_str()
        .unwrap()
        .contains("Rampart test CA"));
    // rcgen's default validity runs to 4096: many years left.
    assert!(rows[0]["seconds_left"].as_i64().unwrap() > 365 * 86_400);
    let table = run(false);
    assert!(
        table.contains("a.test,www.a.test") && table.contains("file"),
        "{table}"
    );
}

/// The TLS handshake has its own deadline (`handshake_timeout`): a client
/// that connects and sends nothing, or half a ClientHello, is closed after
/// it; a client that speaks no TLS fails the handshake. Both are counted by
/// reason, and a normal client is served meanwhile.
#[test]
fn a_stalled_handshake_is_closed_by_handshake_timeout_and_counted() {
    use std::io::{Read, Write};
    let ca = Ca::new();
    let o = origin().spawn();
    let body = format!("{}{}", routes(&o, ""), tls_section(Some("a.test")));
    let e = with_certs(&ca, edge(&body))
        .tls("    handshake_timeout: 1s\n")
        .spawn();
    let addr = e.tls_addr.unwrap();
    let silent = std::net::TcpStream::connect(addr).unwrap();
    let mut half = std::net::TcpStream::connect(addr).unwrap();
    // A TLS record header announcing 512 bytes, then 5 of them.
    half.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 1, 0, 1, 0xfc, 3])
        .unwrap();
    let start = std::time::Instant::now();
    assert_eq!(curl(&e, "a.test", "/", &[]).map(|r| r.0), Some(200));
    for mut s in [silent, half] {
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap_or(0);
        assert_eq!(n, 0, "expected a close");
    }
    let waited = start.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(900),
        "{waited:?}"
    );
    let mut plain = std::net::TcpStream::connect(addr).unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    plain
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let _ = plain.read_to_end(&mut buf);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let m = e.metrics_text();
    assert!(
        m.contains("rampart_tls_handshake_failures_total{reason=\"timeout\"} 2"),
        "{m}"
    );
    assert!(
        m.contains("rampart_tls_handshake_failures_total{reason=\"handshake_error\"} 1"),
        "{m}"
    );
}
