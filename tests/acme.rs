//! Automatic certificates end to end: the real binary against a real ACME
//! server (Debian's pebble, with pebble-challtestsrv as its DNS server),
//! started per test on ephemeral ports. HTTP-01 is validated by pebble on
//! the edge's own plain listener; the issued chain is checked by curl
//! trusting pebble's issuing root (`/roots/0`).

mod support;
use std::process::Command;
use std::time::{Duration, Instant};
use support::pebble::Pebble;
use support::*;

fn body(p: &Pebble, o: &Origin, acme_extra: &str, certs: &[&str]) -> String {
    let mut s = p.acme_section(acme_extra);
    s += "  certificates:\n";
    for c in certs {
        s += &format!("    - names: [{c}]\n");
    }
    s + &format!(
        "upstreams:\n  a: {{ servers: [\"{}\"] }}\nroutes:\n  - name: app\n    upstream: a\n",
        o.addr
    )
}

/// curl over HTTPS to `name` on the edge trusting `root`: the status, or
/// None when the handshake or verification failed.
fn https_status(e: &Edge, root: &std::path::Path, name: &str) -> Option<u16> {
    https_status_at(e.tls_addr.unwrap().port(), root, name)
}

fn https_status_at(port: u16, root: &std::path::Path, name: &str) -> Option<u16> {
    let out = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
        ])
        .arg("--cacert")
        .arg(root)
        .args(["--resolve", &format!("{name}:{port}:127.0.0.1")])
        .arg(format!("https://{name}:{port}/"))
        .output()
        .expect("curl is required (scripts/deps.sh test installs it)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).parse().ok())
        .flatten()
}

/// The serial of the certificate the edge serves for `name`.
fn serial(e: &Edge, name: &str) -> Option<String> {
    let s_client = Command::new("openssl")
        .args(["s_client", "-connect", &e.tls_addr.unwrap().to_string()])
        .args(["-servername", name])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .expect("openssl is required");
    let mut x509 = Command::new("openssl")
        .args(["x509", "-noout", "-serial"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    x509.stdin
        .take()
        .unwrap()
        .write_all(&s_client.stdout)
        .unwrap();
    let out = x509.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    text.strip_prefix("serial=").map(str::to_string)
}

/// Starts pebble validating on the edge's plain port; returns the file
/// with pebble's issuing root, for clients.
fn run_pebble(p: &mut Pebble, e: &Edge) -> std::path::PathBuf {
    p.run(e.addr.port());
    let root = e.dir.join("pebble-root.pem");
    p.write_root(&root);
    root
}

fn wait_for(what: &str, e: &Edge, secs: u64, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{what} within {secs} s; log:\n{}", e.log());
}

/// The `rampart_acme_orders_total` sample for a certificate and result.
fn orders(e: &Edge, cert: &str, result: &str) -> u64 {
    let needle =
        format!("rampart_acme_orders_total{{certificate=\"{cert}\",result=\"{result}\"}} ");
    e.metrics_text()
        .lines()
        .find_map(|l| l.strip_prefix(&needle))
        .map_or(0, |v| v.trim().parse().unwrap())
}

fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn rampart(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .output()
        .unwrap()
}

/// First issuance over HTTP-01 served for the right SNI; the account and
/// certificate stored 0600; a second domain added by reload; `cert status`
/// from the store; a restart that reuses the stored certificate (same
/// serial, no new order); a renewal by `rampart cert renew` swapped in
/// while a client keeps making HTTPS requests, with zero failures.
#[test]
fn issues_reloads_restarts_and_renews_without_a_failed_request() {
    let o = origin().spawn();
    let mut p = Pebble::new();
    let mut e = edge(&body(&p, &o, "", &["a.test"])).tls("").spawn();
    let root = run_pebble(&mut p, &e);

    wait_for("a certificate for a.test", &e, 60, || {
        https_status(&e, &root, "a.test") == Some(200)
    });
    assert_eq!(orders(&e, "a.test", "success"), 1);
    let acme = e.dir.join("acme");
    assert_eq!(mode(&acme), 0o700);
    assert_eq!(mode(&acme.join("certificates/a.test.pem")), 0o600);
    assert_eq!(
        mode(
            &acme
                .join("accounts")
                .join(format!("127.0.0.1_{}.json", p.port))
        ),
        0o600
    );
    // pebble saw the challenge answered by the edge itself.
    assert!(
        e.log().contains("answered the HTTP-01 challenge"),
        "{}",
        e.log()
    );
    // b.test is not covered yet: no certificate, a failed handshake.
    assert_eq!(https_status(&e, &root, "b.test"), None);

    // A second domain, added by reload.
    e.write_config(&body(&p, &o, "", &["a.test", "b.test"]));
    e.sighup();
    wait_for("a certificate for b.test after reload", &e, 60, || {
        https_status(&e, &root, "b.test") == Some(200)
    });

    let cfg = e.config_path();
    let cfg = cfg.to_str().unwrap();
    let status = rampart(&["cert", "status", "-c", cfg, "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for r in rows {
        assert_eq!(r["source"], "acme");
        assert!(r["issuer"].as_str().unwrap().contains("Pebble"), "{r}");
        assert!(r["seconds_left"].as_i64().unwrap() > 86_400);
        assert!(
            r["last_attempt"].is_string() && r.get("last_error").is_none(),
            "{r}"
        );
    }

    // Restart: the stored certificate is served again, without an order.
    let before = serial(&e, "a.test").expect("a serial");
    e.restart();
    wait_for("the stored certificate after restart", &e, 20, || {
        https_status(&e, &root, "a.test") == Some(200)
    });
    assert_eq!(serial(&e, "a.test").as_deref(), Some(before.as_str()));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(orders(&e, "a.test", "success"), 0, "a restart ordered anew");
    assert_eq!(orders(&e, "a.test", "failure"), 0);
    assert!(e
        .log()
        .contains("serving the stored certificate for a.test"));

    // Renewal on request while a client keeps making HTTPS requests.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = {
        let stop = stop.clone();
        let (port, root) = (e.tls_addr.unwrap().port(), root.clone());
        std::thread::spawn(move || {
            let (mut ok, mut failed) = (0, 0);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if https_status_at(port, &root, "a.test") == Some(200) {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
            (ok, failed)
        })
    };
    let renew = rampart(&["cert", "renew", "a.test", "-c", cfg, "--wait", "90s"]);
    assert!(
        renew.status.success(),
        "cert renew: {}{}\nlog:\n{}",
        String::from_utf8_lossy(&renew.stdout),
        String::from_utf8_lossy(&renew.stderr),
        e.log()
    );
    wait_for("the renewed certificate served", &e, 10, || {
        serial(&e, "a.test").is_some_and(|s| s != before)
    });
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (ok, failed) = client.join().unwrap();
    assert!(ok > 0, "the client made no request");
    assert_eq!(
        failed,
        0,
        "{failed} of {} requests failed during the renewal",
        ok + failed
    );
    assert_eq!(orders(&e, "a.test", "success"), 1);
    // The renewal after the restart used the stored account.
    assert!(e.log().contains("using the stored account"), "{}", e.log());
    assert_eq!(e.log().matches("created account").count(), 1);
}

/// pebble stopped at renewal time: the old certificate keeps serving and
/// the retries are logged with growing delays; when pebble is back the
/// renewal goes through.
#[test]
fn renewal_failures_back_off_and_the_old_certificate_keeps_serving() {
    let o = origin().spawn();
    let mut p = Pebble::new();
    // A renewal window longer than any certificate's life: renew at every
    // check (every 2 s).
    let extra =
        "  renew_before: 100000d\n  check_interval: 2s\n  retry_initial: 1s\n  retry_max: 8s\n";
    let section =
        body(&p, &o, "", &["a.test"]).replace("  retry_initial: 1s\n  retry_max: 4s\n", extra);
    let e = edge(&section).tls("").spawn();
    let root = run_pebble(&mut p, &e);
    wait_for("a first certificate", &e, 60, || {
        https_status(&e, &root, "a.test") == Some(200)
    });
    wait_for("a renewal inside the window", &e, 60, || {
        orders(&e, "a.test", "success") >= 2
    });
    p.stop();
    let failures = orders(&e, "a.test", "failure");
    let log_before = e.log().len();
    wait_for("four failed renewals", &e, 90, || {
        orders(&e, "a.test", "failure") >= failures + 4
    });
    // Still served, by the old certificate, during the outage.
    assert_eq!(https_status(&e, &root, "a.test"), Some(200));
    let delays: Vec<f64> = e.log()[log_before..]
        .lines()
        .filter(|l| l.contains("acme: order for a.test failed"))
        .filter_map(|l| {
            let rest = l.split("next attempt in ").nth(1)?;
            rest.split('s').next()?.parse().ok()
        })
        .collect();
    assert!(delays.len() >= 4, "{delays:?}\n{}", e.log());
    // 1 s, 2 s, 4 s, 8 s, each ±25%.
    for (d, base) in delays.iter().zip([1.0, 2.0, 4.0, 8.0]) {
        assert!(
            *d >= base * 0.75 - 0.01 && *d <= base * 1.25 + 0.01,
            "{delays:?}"
        );
    }
    let cfg = e.config_path();
    let status = rampart(&["cert", "status", "-c", cfg.to_str().unwrap(), "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(rows[0]["last_error"].is_string(), "{rows}");
    assert!(rows[0]["next_attempt"].is_string(), "{rows}");

    // pebble back (with a new root): the next attempt succeeds.
    p.resume();
    let successes = orders(&e, "a.test", "success");
    wait_for("a renewal after pebble is back", &e, 60, || {
        orders(&e, "a.test", "success") > successes
    });
    p.write_root(&root);
    wait_for("the certificate from the new root", &e, 20, || {
        https_status(&e, &root, "a.test") == Some(200)
    });
}

/// A DNS-01 hook (lego's `exec` convention) that sets and clears the TXT
/// record through pebble-challtestsrv's management API on `mgmt`, logging
/// each call beside itself.
fn hook_script(mgmt: u16) -> String {
    format!(
        "#!/bin/sh\n# present|cleanup FQDN VALUE\necho \"$@\" >> \"$(dirname \"$0\")/hook.log\"\ncase \"$1\" in\n  present) curl -sS --fail -d \"{{\\\"host\\\":\\\"$2\\\",\\\"value\\\":\\\"$3\\\"}}\" http://127.0.0.1:{m}/set-txt ;;\n  cleanup) curl -sS --fail -d \"{{\\\"host\\\":\\\"$2\\\"}}\" http://127.0.0.1:{m}/clear-txt ;;\nesac\n",
        m = mgmt
    )
}

/// A wildcard certificate through DNS-01: a hook script written by the test
/// sets the TXT record in pebble-challtestsrv, Rampart waits until its DNS
/// server answers it, then pebble validates.
#[test]
fn wildcard_certificate_through_dns01_and_a_hook() {
    let o = origin().spawn();
    let mut p = Pebble::new();
    let hook = hook_script(p.dns_mgmt_port);
    let dns = format!(
        "  dns:\n    hook: hook.sh\n    resolver: 127.0.0.1:{}\n    propagation_timeout: 30s\n",
        p.dns_port
    );
    let mut s = p.acme_section(&dns);
    s += "  certificates:\n    - names: [\"*.w.test\", w.test]\n      challenge: dns-01\n";
    s += &format!(
        "upstreams:\n  a: {{ servers: [\"{}\"] }}\nroutes:\n  - name: app\n    upstream: a\n",
        o.addr
    );
    let e = edge(&s).file("hook.sh", hook).tls("").spawn();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            e.dir.join("hook.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    let root = run_pebble(&mut p, &e);
    wait_for("a wildcard certificate", &e, 90, || {
        https_status(&e, &root, "x.w.test") == Some(200)
    });
    assert_eq!(https_status(&e, &root, "w.test"), Some(200));
    let hook_log = std::fs::read_to_string(e.dir.join("hook.log")).unwrap();
    // Both names share _acme-challenge.w.test.: two presents, two cleanups.
    assert_eq!(
        hook_log.matches("present _acme-challenge.w.test.").count(),
        2,
        "{hook_log}"
    );
    assert_eq!(
        hook_log.matches("cleanup _acme-challenge.w.test.").count(),
        2,
        "{hook_log}"
    );
    assert_eq!(orders(&e, "_.w.test", "success"), 1);
}

/// `acme.wait: true`: until the certificate exists, every request but the
/// challenge is answered 503; then traffic flows. pebble rejects half of
/// the good nonces here: the client retries `badNonce`.
#[test]
fn wait_holds_traffic_until_the_first_certificate() {
    let o = origin().spawn();
    let mut p = Pebble::with_nonce_reject(50);
    let e = edge(&body(&p, &o, "  wait: true\n", &["a.test"]))
        .tls("")
        .spawn();
    let held = get(e.addr, "/").unwrap();
    assert_eq!(held.status, 503);
    assert_eq!(held.header("retry-after"), Some("10"));
    assert_eq!(o.hits(), 0);
    let root = run_pebble(&mut p, &e);
    wait_for("the certificate", &e, 60, || {
        https_status(&e, &root, "a.test") == Some(200)
    });
    wait_for("traffic released", &e, 5, || {
        get(e.addr, "/").unwrap().status == 200
    });
}

/// A CA that requires External Account Binding: without `acme.eab` the
/// account is refused (and the error kept for `cert status`); with it the
/// certificate is issued.
#[test]
fn external_account_binding() {
    const KID: &str = "kid-1";
    const KEY: &str = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
    let o = origin().spawn();
    let mut p = Pebble::new();
    p.require_eab(KID, KEY);
    let e = edge(&body(&p, &o, "", &["a.test"])).tls("").spawn();
    p.run(e.addr.port());
    wait_for("an account refused for want of EAB", &e, 30, || {
        e.log().contains("externalAccountRequired")
    });
    let cfg = e.config_path();
    let status = rampart(&["cert", "status", "-c", cfg.to_str().unwrap(), "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(
        rows[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("externalAccountRequired"),
        "{rows}"
    );
    e.write_config(&body(
        &p,
        &o,
        &format!("  eab: {{ kid: {KID}, hmac_key: {KEY} }}\n"),
        &["a.test"],
    ));
    e.sighup();
    let root = e.dir.join("pebble-root.pem");
    p.write_root(&root);
    wait_for("a certificate through EAB", &e, 60, || {
        https_status(&e, &root, "a.test") == Some(200)
    });
}

/// A renewal asked for through the admin API (`POST ssl/certificates/{domain}/renew`)
/// and through `rampart ssl renew`: a new certificate is served and the API
/// shows the attempt.
#[test]
fn renewal_through_the_admin_api() {
    let o = origin().spawn();
    let mut p = Pebble::new();
    let hash = rampart::admin::password::hash("pw").unwrap();
    let admin = format!(
        "  state_dir: {{DIR}}/admin\n  users:\n    - {{ name: ops, password_hash: \"{hash}\", role: admin }}\n"
    );
    let e = edge(&body(&p, &o, "", &["a.test"]))
        .tls("")
        .admin(&admin)
        .spawn();
    let root = run_pebble(&mut p, &e);
    wait_for("the certificate", &e, 60, || {
        https_status(&e, &root, "a.test") == Some(200)
    });
    let first = serial(&e, "a.test").unwrap();
    let api = e.admin_addr.unwrap();
    let login = request(
        api,
        "POST",
        "/admin/api/v1/auth/login",
        &[],
        br#"{"username": "ops", "password": "pw"}"#,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&login.body).unwrap();
    let auth = format!("Bearer {}", v["access_token"].as_str().unwrap());
    let call = |method: &str, path: &str| {
        let auth = [("Authorization", auth.as_str())];
        request(api, method, &format!("/admin/api/v1{path}"), &auth, b"").unwrap()
    };
    let r = call("POST", "/ssl/certificates/a.test/renew");
    assert_eq!(r.status, 202, "{}", r.text());
    wait_for("a renewed certificate", &e, 60, || {
        serial(&e, "a.test").is_some_and(|s| s != first)
    });
    let r = call("GET", "/ssl/certificates/a.test");
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["certificate"]["source"], "acme", "{v}");
    assert!(v["certificate"]["last_attempt"].is_string(), "{v}");
    assert!(v["certificate"]["last_error"].is_null(), "{v}");
    // The CLI's form of the same request.
    let second = serial(&e, "a.test").unwrap();
    let home = tempfile::tempdir().unwrap();
    let url = format!("http://{api}");
    let mut login = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["login", "-u", "ops", "--admin-url", &url])
        .env("XDG_CONFIG_HOME", home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    login.stdin.take().unwrap().write_all(b"pw\n").unwrap();
    assert!(login.wait().unwrap().success());
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["ssl", "renew", "a.test", "--admin-url", &url])
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for("a second renewal", &e, 60, || {
        serial(&e, "a.test").is_some_and(|s| s != second)
    });
}
