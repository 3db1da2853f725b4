use super::*;
use crate::access::clock::ManualClock;
use crate::access::request::SimpleRequest;
use std::sync::Arc;

const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0";

fn challenger(bits: u8) -> (Challenger, Arc<ManualClock>) {
    let yaml = format!("{{secret: '0123456789abcdef0123456789abcdef', difficulty: {bits}}}");
    let cfg: ChallengeConfig = serde_yaml::from_str(&yaml).unwrap();
    let clock = ManualClock::new(1_700_000_000_000_000);
    (Challenger::new(cfg, clock.clone()).unwrap(), clock)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn solve(seed: &str, bits: u32, want_ok: bool) -> String {
    (0u64..)
        .find(|n| {
            let d = Sha256::new()
                .chain_update(seed)
                .chain_update(n.to_string())
                .finalize();
            (leading_zero_bits(&d) >= bits) == want_ok
        })
        .unwrap()
        .to_string()
}

#[test]
fn pass_cookies_are_bound_to_ip_agent_and_time() {
    let (c, clock) = challenger(8);
    let a = ip("192.0.2.1");
    let pass = c.issue_pass(a, UA);
    assert_eq!(c.verify_pass(a, UA, &pass), Ok(()));
    assert_eq!(c.verify_pass(ip("::ffff:192.0.2.1"), UA, &pass), Ok(()));
    assert_eq!(
        c.verify_pass(ip("192.0.2.2"), UA, &pass),
        Err(ChallengeError::BadSignature)
    );
    assert_eq!(
        c.verify_pass(a, "curl/8", &pass),
        Err(ChallengeError::BadSignature)
    );
    let mut raw = B64.decode(&pass).unwrap();
    raw[7] ^= 1;
    let forged = B64.encode(&raw);
    assert_eq!(
        c.verify_pass(a, UA, &forged),
        Err(ChallengeError::BadSignature)
    );
    assert_eq!(
        c.verify_pass(a, UA, "not base64!"),
        Err(ChallengeError::Malformed)
    );
    assert_eq!(c.verify_pass(a, UA, "AAAA"), Err(ChallengeError::Malformed));
    clock.advance(Duration::from_secs(3600));
    assert_eq!(c.verify_pass(a, UA, &pass), Err(ChallengeError::Expired));
}

#[test]
fn another_secret_does_not_verify() {
    let (c, _) = challenger(8);
    let cfg = ChallengeConfig {
        secret: "another secret that is long enough!!".into(),
        ..c.cfg.clone()
    };
    let other = Challenger::new(cfg, ManualClock::new(1_700_000_000_000_000)).unwrap();
    let pass = other.issue_pass(ip("192.0.2.1"), UA);
    let err = c.verify_pass(ip("192.0.2.1"), UA, &pass);
    assert_eq!(err, Err(ChallengeError::BadSignature));
}

#[test]
fn solutions_need_work_a_valid_seed_and_the_same_client() {
    let (c, clock) = challenger(10);
    let a = ip("2001:db8::1");
    let seed = c.new_seed(a, UA);
    let good = solve(&seed, 10, true);
    let lazy = solve(&seed, 10, false);
    assert_eq!(c.verify_solution(a, UA, &seed, &good), Ok(()));
    let err = c.verify_solution(a, UA, &seed, &lazy);
    assert_eq!(err, Err(ChallengeError::NotEnoughWork));
    let err = c.verify_solution(ip("2001:db8::2"), UA, &seed, &good);
    assert_eq!(err, Err(ChallengeError::BadSignature));
    let err = c.verify_solution(a, UA, &seed, "12x");
    assert_eq!(err, Err(ChallengeError::Malformed));
    clock.advance(Duration::from_secs(300));
    assert_eq!(
        c.verify_solution(a, UA, &seed, &good),
        Err(ChallengeError::Expired)
    );
}

#[test]
fn the_flow_from_page_to_pass() {
    let (c, _) = challenger(8);
    let req = SimpleRequest::new("198.51.100.4").with_header("User-Agent", UA);
    assert_eq!(c.evaluate(&req), ChallengeCheck::Required);
    let page = c.page(&req);
    let seed = page
        .split("data-seed=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(page.contains("data-bits=\"8\"") && page.contains("function sha256"));
    assert!(!page.contains("{{"));
    let nonce = solve(seed, 8, true);
    let cookie = format!("{POW_COOKIE}={seed}.{nonce}");
    let solved = req.clone().with_header("Cookie", &cookie);
    let ChallengeCheck::Solved { set_cookie } = c.evaluate(&solved) else {
        panic!("a valid solution passes");
    };
    assert!(set_cookie.starts_with("rampart_pass=") && set_cookie.contains("HttpOnly"));
    let pass = set_cookie.split(';').next().unwrap();
    let with_pass = req.clone().with_header("Cookie", pass);
    assert_eq!(c.evaluate(&with_pass), ChallengeCheck::Passed);
    let mut stolen = with_pass.clone();
    stolen.ip = ip("198.51.100.5");
    assert_eq!(c.evaluate(&stolen), ChallengeCheck::Required);
    let bad = req.with_header("Cookie", &format!("{POW_COOKIE}={seed}.0x1"));
    assert_eq!(c.evaluate(&bad), ChallengeCheck::Required);
}

#[test]
fn config_is_checked() {
    let clock = ManualClock::new(0);
    let weak: ChallengeConfig = serde_yaml::from_str("{secret: short}").unwrap();
    let e = Challenger::new(weak, clock.clone()).unwrap_err();
    assert_eq!(e, ChallengeError::WeakSecret);
    let (c, _) = challenger(8);
    let hard = ChallengeConfig {
        difficulty: 33,
        ..c.cfg.clone()
    };
    assert!(Challenger::new(hard, clock).is_err());
    assert!(serde_yaml::from_str::<ChallengeConfig>("{secret: x, difficult: 3}").is_err());
}

/// The page's own JavaScript solves a seed that Rust then accepts (runs
/// under `node`; `scripts/deps.sh test` installs it).
#[test]
fn the_page_script_solves_what_the_server_verifies() {
    let out = std::process::Command::new("node")
        .arg("--version")
        .output()
        .expect("node is required for this test: run scripts/deps.sh test");
    assert!(out.status.success());
    let (c, _) = challenger(12);
    let a = ip("192.0.2.77");
    let seed = c.new_seed(a, UA);
    let js = format!("{SCRIPT}\nconsole.log(search({seed:?}, 12, 0, 10000000));");
    let out = std::process::Command::new("node")
        .arg("-e")
        .arg(js)
        .output()
        .unwrap();
    let nonce = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(
        c.verify_solution(a, UA, &seed, &nonce),
        Ok(()),
        "nonce {nonce:?}"
    );
}

/// The test server's answer: status line, extra headers, body.
fn respond(c: &Challenger, req: &SimpleRequest) -> (&'static str, String, String) {
    let ok = "ORIGIN OK".to_string();
    match c.evaluate(req) {
        ChallengeCheck::Passed => ("200 OK", String::new(), ok),
        ChallengeCheck::Solved { set_cookie } => {
            ("200 OK", format!("Set-Cookie: {set_cookie}\r\n"), ok)
        }
        ChallengeCheck::Required => ("403 Forbidden", String::new(), c.page(req)),
    }
}

/// Serves `c` on a loopback port: the challenge page, or "ORIGIN OK" once
/// the challenge is passed or solved. Returns the address and a hit counter.
async fn serve(c: Arc<Challenger>) -> (std::net::SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let origin_hits = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut s, peer)) = listener.accept().await {
            let mut buf = vec![0u8; 16384];
            let mut n = 0;
            while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") && n < buf.len() {
                match s.read(&mut buf[n..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k,
                }
            }
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            let mut req = SimpleRequest::new(&peer.ip().to_string());
            for line in text.lines().skip(1) {
                if let Some((k, v)) = line.split_once(':') {
                    req = req.with_header(k.trim(), v.trim());
                }
            }
            let (status, extra, body) = respond(&c, &req);
            if status.starts_with("200") {
                origin_hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Cache-Control: no-store\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(body.as_bytes()).await;
        }
    });
    (addr, hits)
}

/// Headless Chromium runs the challenge and reaches the origin; a plain
/// client without the cookie does not (`scripts/deps.sh test` installs chromium).
#[tokio::test]
async fn headless_chromium_passes_the_challenge() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let chromium = chromium.expect("chromium is required for this test: run scripts/deps.sh test");
    let yaml = "{secret: '0123456789abcdef0123456789abcdef', difficulty: 14}";
    let cfg: ChallengeConfig = serde_yaml::from_str(yaml).unwrap();
    let c = Arc::new(Challenger::new(cfg, crate::access::clock::SystemClock::shared()).unwrap());
    let (addr, hits) = serve(c).await;
    let url = format!("http://{addr}/");
    let raw = plain_get(addr).await;
    assert!(
        raw.starts_with("HTTP/1.1 403") && raw.contains("data-seed"),
        "{raw}"
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    let profile = tempfile::tempdir().unwrap();
    let dir = profile.path().display().to_string();
    let run = move || chromium_dump_dom(chromium, &dir, &url);
    let out = tokio::time::timeout(Duration::from_secs(90), tokio::task::spawn_blocking(run));
    let out = out.await.unwrap().unwrap().unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("ORIGIN OK"),
        "dom: {dom}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

fn chromium_dump_dom(
    chromium: &str,
    dir: &str,
    url: &str,
) -> std::io::Result<std::process::Output> {
    std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
        ])
        .args(["--no-first-run", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={dir}"))
        .args(["--virtual-time-budget=20000", "--dump-dom", url])
        .output()
}

async fn plain_get(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8.5.0\r\nCookie: rampart_pass=AAAA\r\n\r\n",
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}
