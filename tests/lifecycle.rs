//! Config errors from the CLI, SIGHUP reload, and zero-downtime graceful
//! upgrade and reload under load.

mod support;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::*;

fn simple(o: &Origin, extra_route: &str) -> String {
    format!("upstreams:\n  a: {{ servers: [\"{}\"] }}\nroutes:\n  - name: main\n    hosts: [main.test]\n    upstream: a\n{extra_route}", o.addr)
}

/// `rampart check` on `text`: exit code, stderr and stdout (the file's
/// path written `FILE`).
fn check_output(text: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("check")
        .arg("-c")
        .arg(&path)
        .output()
        .unwrap();
    let clean = |b: &[u8]| String::from_utf8_lossy(b).replace(&path.display().to_string(), "FILE");
    (
        out.status.code().unwrap_or(-1),
        clean(&out.stderr),
        clean(&out.stdout),
    )
}

fn check(text: &str) -> (i32, String) {
    let (code, err, _) = check_output(text);
    (code, err)
}

const GOOD: &str = "listeners:\n  - address: 127.0.0.1:1\nupstreams:\n  a:\n    servers: [\"127.0.0.1:2\"]\nroutes:\n  - name: r\n    upstream: a\n";

#[test]
fn check_accepts_good_config_and_prints_summary() {
    let (code, _, text) = check_output(GOOD);
    assert_eq!(code, 0);
    for part in [
        "listeners:",
        "127.0.0.1:1",
        "routes:",
        "r: hosts *",
        "upstreams:",
        "a: RoundRobin",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
}

#[test]
fn each_config_error_kind_names_file_line_and_key() {
    let cases: [(&str, &str, &str); 8] = [
        (
            "    upstream: a\n",
            "    upstream: a\n    colour: red\n",
            "FILE:9: routes[0]: unknown field `colour`",
        ),
        (
            "upstream: a\n",
            "upstream: b\n",
            "FILE:8: routes[0].upstream: unknown upstream `b`, expected one of: a",
        ),
        (
            "127.0.0.1:1",
            "localhost",
            "FILE:2: listeners[0].address: invalid address `localhost`",
        ),
        (
            "servers: [\"127.0.0.1:2\"]",
            "servers: []",
            "FILE:5: upstreams.a.servers: a pool needs at least one server",
        ),
        (
            "  a:\n",
            "  a:\n    algorithm: fastest\n",
            "FILE:5: upstreams.a.algorithm: unknown algorithm `fastest`",
        ),
        (
            "    upstream: a\n",
            "    upstream: a\n    path_regex: \"[\"\n",
            "FILE:9: routes[0].path_regex: invalid regex",
        ),
        (
            "  a:\n",
            "  a:\n    connect_timeout: later\n",
            "invalid duration `later`",
        ),
        ("routes:", "routes: [", "FILE:"),
    ];
    for (from, to, want) in cases {
        let (code, err) = check(&GOOD.replace(from, to));
        assert_eq!(code, 1, "{want}: {err}");
        assert!(err.contains(want), "want `{want}` in `{err}`");
    }
    let (code, err) = check("");
    assert_eq!(code, 1);
    assert!(
        err.contains("listeners: at least one listener is required"),
        "{err}"
    );
}

#[test]
fn sighup_reload_adds_a_route_and_rejects_a_bad_file() {
    let o = origin().spawn();
    let e = edge(&simple(&o, "")).spawn();
    let go = |host: &str| {
        request(e.addr, "GET", "/", &[("Host", host)], b"")
            .unwrap()
            .status
    };
    assert_eq!(go("new.test"), 404);
    e.write_config(&simple(
        &o,
        "  - name: added\n    hosts: [new.test]\n    upstream: a\n",
    ));
    assert!(e.reload(), "reload failed:\n{}", e.log());
    assert_eq!(go("new.test"), 200);
    assert!(e
        .metrics_text()
        .contains("rampart_config_reloads_total{result=\"ok\"} 1"));
    // An invalid file is rejected; the old routes keep working.
    e.write_config(&simple(&o, "  - name: broken\n    upstream: missing\n"));
    e.sighup();
    assert!(e.log().contains("config reload rejected"), "{}", e.log());
    assert!(
        e.log()
            .contains("routes[1].upstream: unknown upstream `missing`"),
        "{}",
        e.log()
    );
    assert_eq!(go("new.test"), 200);
    assert_eq!(go("main.test"), 200);
    // `rampart reload` refuses to signal with a config it can tell is bad.
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("reload")
        .arg("-c")
        .arg(e.config_path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// Runs clients (half keep-alive, half new connections) until `stop`; returns
/// (ok, failed). Like every HTTP client, a keep-alive client retries an
/// idempotent request once on a new connection when the server closed the idle
/// connection before answering (RFC 9112 §9.3.1): a process that shuts down
/// closes idle keep-alive connections, and a request can cross that close.
fn load(
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<(usize, usize)>> {
    (0..4)
        .map(|i| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let (mut ok, mut failed) = (0, 0);
                let mut conn: Option<Conn> = None;
                while !stop.load(Ordering::SeqCst) {
                    let r = if i % 2 == 0 {
                        keep_alive_get(addr, &mut conn)
                    } else {
                        request(addr, "GET", "/", &[("Host", "main.test")], b"")
                    };
                    match r {
                        Ok(r) if r.status == 200 => ok += 1,
                        other => {
                            eprintln!("failed: {other:?}");
                            failed += 1;
                            conn = None;
                        }
                    }
                }
                (ok, failed)
            })
        })
        .collect()
}

fn keep_alive_get(
    addr: std::net::SocketAddr,
    conn: &mut Option<Conn>,
) -> std::io::Result<Response> {
    let reused = conn.is_some();
    let c = match conn.as_mut() {
        Some(c) => c,
        None => conn.insert(Conn::open(addr)?),
    };
    let r = match c.send("GET", "/", &[("Host", "main.test")], b"") {
        Err(e)
            if reused
                && matches!(
                    e.kind(),
                    std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::BrokenPipe
                ) =>
        {
            *conn = None;
            return keep_alive_get(addr, conn);
        }
        r => r,
    };
    if r.as_ref().map_or(true, |resp| {
        resp.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }) {
        *conn = None;
    }
    r
}

fn finish(workers: Vec<std::thread::JoinHandle<(usize, usize)>>) -> (usize, usize) {
    workers
        .into_iter()
        .map(|w| w.join().unwrap())
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

#[test]
fn graceful_upgrade_under_load_loses_nothing() {
    let o = origin().spawn();
    let mut e = edge(&simple(&o, "")).spawn();
    let stop = Arc::new(AtomicBool::new(false));
    let workers = load(e.addr, stop.clone());
    std::thread::sleep(Duration::from_millis(1500));
    e.upgrade();
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::SeqCst);
    let (ok, failed) = finish(workers);
    assert_eq!(failed, 0, "log:\n{}", e.log());
    // Traffic flowed throughout (how fast is a benchmark's business, not
    // this test's: a loaded CI machine serves fewer).
    assert!(ok >= 200, "only {ok} requests");
    assert_eq!(
        get(e.addr, "/").unwrap().status,
        404,
        "the new process serves"
    );
}

#[test]
fn reload_under_load_loses_nothing() {
    let o = origin().spawn();
    let e = edge(&simple(&o, "")).spawn();
    let stop = Arc::new(AtomicBool::new(false));
    let workers = load(e.addr, stop.clone());
    let reloads = AtomicUsize::new(0);
    for i in 0..5 {
        std::thread::sleep(Duration::from_millis(300));
        e.write_config(&simple(
            &o,
            &format!("  - name: r{i}\n    hosts: [r{i}.test]\n    upstream: a\n"),
        ));
        assert!(e.reload());
        reloads.fetch_add(1, Ordering::SeqCst);
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let (ok, failed) = finish(workers);
    assert_eq!(failed, 0, "log:\n{}", e.log());
    // Traffic flowed throughout (how fast is a benchmark's business, not
    // this test's: a loaded CI machine serves fewer).
    assert!(ok >= 200, "only {ok} requests");
    assert_eq!(
        request(e.addr, "GET", "/", &[("Host", "r4.test")], b"")
            .unwrap()
            .status,
        200
    );
}

#[test]
fn every_shipped_config_is_valid() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/conf");
    let mut checked = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "yaml") {
            assert_checks(&path);
            checked += 1;
        }
    }
    // Examples run beside the files they name: a copy in a folder of its
    // own, with a certificate made here for the HTTPS one.
    let ca = support::certs::Ca::new();
    for entry in std::fs::read_dir(format!("{root}/examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(&path).unwrap().replace(
            "../../filters/",
            concat!(env!("CARGO_MANIFEST_DIR"), "/filters/"),
        );
        let (cert, key) = ca.leaf(&["localhost"]);
        std::fs::write(dir.path().join("localhost.pem"), cert).unwrap();
        std::fs::write(dir.path().join("localhost.key"), key).unwrap();
        let copy = dir.path().join(path.file_name().unwrap());
        std::fs::write(&copy, text).unwrap();
        assert_checks(&copy);
        checked += 1;
    }
    assert!(checked >= 3, "found {checked} configs");
}

fn assert_checks(path: &std::path::Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("check")
        .arg("-c")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
