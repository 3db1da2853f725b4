//! Access control through the real proxy: IP lists, auto-ban, rate limits,
//! geo, and fleet limits shared through a real redis-server.

mod support;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::*;

fn base(o: &Origin, access: &str, route_extra: &str) -> String {
    format!(
        "upstreams:\n  a: {{ servers: [\"{}\"] }}\nwaf:\n  rules: [\"{{FILTERS}}/*.yaml\"]\n  audit_log: off\naccess:\n{access}routes:\n  - name: app\n    upstream: a\n{route_extra}",
        o.addr
    )
}

/// Requests as if from `ip`, through a trusted X-Forwarded-For.
fn from(e: &Edge, ip: &str, path: &str) -> Response {
    request(e.addr, "GET", path, &[("X-Forwarded-For", ip)], b"").unwrap()
}

const TRUST: &str = "  trusted_proxies: [\"127.0.0.1/32\"]";
const SQLI: &str = "/?q=1%27%20OR%20%271%27%3D%271";

#[test]
fn ip_lists_from_config_and_files_and_allow_skips_the_waf() {
    let o = origin().spawn();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("deny.txt");
    std::fs::write(
        &list,
        "# blocked networks\n203.0.113.0/24\n\n2001:db8:bad::/48  # v6 too\n",
    )
    .unwrap();
    let access = format!(
        "  ip_lists:\n    deny: [198.51.100.7]\n    deny_files: [\"{}\"]\n    allow: [192.0.2.10]\n    allow_skips_waf: true\n",
        list.display()
    );
    let e = edge(&base(&o, &access, "")).server(TRUST).spawn();
    assert_eq!(from(&e, "198.51.100.7", "/").status, 403);
    assert_eq!(from(&e, "203.0.113.99", "/").status, 403);
    assert_eq!(from(&e, "2001:db8:bad::1", "/").status, 403);
    assert_eq!(from(&e, "198.51.100.8", "/").status, 200);
    assert_eq!(
        from(&e, "198.51.100.8", SQLI).status,
        403,
        "the WAF still runs for others"
    );
    assert_eq!(
        from(&e, "192.0.2.10", SQLI).status,
        200,
        "allow-listed client skips the WAF"
    );
    assert!(e
        .metrics_text()
        .contains("rampart_access_denied_total{check=\"ip_list\"} 3"));
}

#[test]
fn waf_blocks_lead_to_an_auto_ban_that_expires() {
    let o = origin().spawn();
    let access = "  auto_ban: { strikes: 3, window: 10s, ban_for: 2s }\n";
    let e = edge(&base(&o, access, "")).server(TRUST).spawn();
    let ip = "198.51.100.20";
    for _ in 0..3 {
        assert_eq!(from(&e, ip, SQLI).status, 403);
    }
    let banned = from(&e, ip, "/");
    assert_eq!(banned.status, 403, "banned after 3 WAF blocks");
    assert!(banned.header("retry-after").is_some());
    assert_eq!(
        from(&e, "198.51.100.21", "/").status,
        200,
        "others are not banned"
    );
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(from(&e, ip, "/").status, 200, "the ban expired");
}

#[test]
fn rate_limits_by_ip_header_and_log_only() {
    let o = origin().spawn();
    let access = "  rate_limits:\n    - { name: per_ip, key: [ip], rate: 5, window: 10s }\n    - { name: api_key, key: [\"header:x-api-key\"], rate: 3, window: 10s }\n    - { name: watch, key: [global], rate: 1, window: 10s, action: log }\n";
    let e = edge(&base(&o, access, "")).server(TRUST).spawn();
    let statuses: Vec<u16> = (0..7)
        .map(|_| from(&e, "198.51.100.30", "/").status)
        .collect();
    assert_eq!(&statuses[..5], &[200; 5], "{statuses:?}");
    assert_eq!(statuses[5], 429);
    let limited = from(&e, "198.51.100.30", "/");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "retry-after {retry}");
    // A key from a header, across client addresses.
    let key = |ip: &str| {
        request(
            e.addr,
            "GET",
            "/",
            &[("X-Forwarded-For", ip), ("X-Api-Key", "k1")],
            b"",
        )
        .unwrap()
        .status
    };
    let got: Vec<u16> = [
        "198.51.100.40",
        "198.51.100.41",
        "198.51.100.42",
        "198.51.100.43",
    ]
    .iter()
    .map(|i| key(i))
    .collect();
    assert_eq!(got, vec![200, 200, 200, 429]);
    // The global `log` limit (rate 1) never refused anything above.
    assert!(
        e.log().contains("rate limit watch exceeded (log only)"),
        "{}",
        e.log()
    );
}

fn write_mmdb(path: &std::path::Path) {
    use mmdb_writer::{Value, Writer};
    let mut w = Writer::new("Test-Country");
    for (net, cc) in [
        ("198.51.100.0/24", "KP"),
        ("192.0.2.0/24", "GB"),
        ("2001:db8::/32", "FR"),
    ] {
        let value = Value::map([(
            "country",
            Value::map([("iso_code", Value::from(cc.to_string()))]),
        )]);
        w.insert_value(net.parse::<ipnet::IpNet>().unwrap(), value)
            .unwrap();
    }
    std::fs::write(path, w.to_bytes().unwrap()).unwrap();
}

#[test]
fn geo_deny_globally_and_allow_per_route() {
    let o = origin().spawn();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("test.mmdb");
    write_mmdb(&db);
    let access = format!(
        "  geo:\n    database: \"{}\"\n    policy: {{ deny: [KP], unknown: allow }}\n",
        db.display()
    );
    let route = "  - name: uk-only\n    path_prefix: /uk/\n    upstream: a\n    access: { geo: { allow: [GB], unknown: deny } }\n";
    let e = edge(&base(&o, &access, route)).server(TRUST).spawn();
    for (ip, path, want, why) in [
        ("198.51.100.1", "/", 403, "KP denied everywhere"),
        ("192.0.2.1", "/", 200, "GB allowed"),
        ("2001:db8::1", "/", 200, "FR allowed globally"),
        ("203.0.113.1", "/", 200, "unknown country allowed globally"),
        ("192.0.2.1", "/uk/x", 200, "GB on the route"),
        ("2001:db8::1", "/uk/x", 403, "the route allows GB only"),
        ("203.0.113.1", "/uk/x", 403, "unknown denied on the route"),
    ] {
        assert_eq!(from(&e, ip, path).status, want, "{why}");
    }
}

struct Redis(Child, u16);

impl Redis {
    /// A redis-server on a fresh ephemeral port; a start whose port was
    /// taken in the meantime (redis exits) is retried on another port.
    fn start() -> Redis {
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .stdout(Stdio::null())
                .spawn()
                .expect("redis-server is required (scripts/deps.sh test installs it)");
            let mut redis = Redis(child, port);
            for _ in 0..300 {
                if redis.0.try_wait().ok().flatten().is_some() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return redis;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("redis-server did not start");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn fleet_shares_limits_and_bans_and_survives_redis_dying() {
    let o = origin().spawn();
    let mut redis = Redis::start();
    let access = format!(
        "  rate_limits:\n    - {{ name: per_ip, key: [ip], rate: 20, window: 30s }}\n  auto_ban: {{ strikes: 2, window: 30s, ban_for: 30s }}\n  fleet: {{ redis: \"127.0.0.1:{}\", timeout: 50ms, batch: 2 }}\n",
        redis.1
    );
    let body = base(&o, &access, "");
    let (a, b) = (
        edge(&body).server(TRUST).spawn(),
        edge(&body).server(TRUST).spawn(),
    );
    // One client alternating between the two instances: the combined allowed
    // count stays within the limit (batches can only make it smaller).
    let mut ok = 0;
    for i in 0..40 {
        let e = if i % 2 == 0 { &a } else { &b };
        if from(e, "198.51.100.50", "/").status == 200 {
            ok += 1;
        }
    }
    assert!(
        (16..=20).contains(&ok),
        "fleet admitted {ok} of a 20-request limit"
    );
    // A ban earned on one instance is enforced by the other within a second.
    for _ in 0..2 {
        assert_eq!(from(&a, "198.51.100.60", SQLI).status, 403);
    }
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        from(&b, "198.51.100.60", "/").status,
        403,
        "ban shared through redis"
    );
    // Redis dies: local limits take over, no request fails.
    let _ = redis.0.kill();
    let _ = redis.0.wait();
    for i in 0..10 {
        let e = if i % 2 == 0 { &a } else { &b };
        let s = from(e, &format!("198.51.100.{}", 70 + i), "/").status;
        assert_eq!(s, 200, "request {i} failed while redis is down");
    }
    // ... and they are enforced: one client over the limit on one instance
    // is refused by that instance's own counters.
    let statuses: Vec<u16> = (0..25)
        .map(|_| from(&a, "198.51.100.90", "/").status)
        .collect();
    // 20 admitted, then 429; two limit hits are two strikes, so the
    // auto-ban (local too) answers 403 after that.
    assert!(statuses[..20].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        statuses[20], 429,
        "local limit of 20 in force: {statuses:?}"
    );
    assert!(
        statuses[21..].iter().all(|s| *s == 429 || *s == 403),
        "{statuses:?}"
    );
    assert_eq!(statuses[24], 403, "local auto-ban in force: {statuses:?}");
    assert!(
        a.log().contains("using local limits") || b.log().contains("using local limits"),
        "fallback is logged: {}",
        a.log()
    );
}

#[test]
fn headless_chromium_passes_the_challenge_and_curl_does_not() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("chromium is required (scripts/deps.sh test installs it)");
    let o = origin().name("challenged-origin").spawn();
    let access =
        "  challenge: { secret: \"0123456789abcdef0123456789abcdef-test\", difficulty: 12 }\n";
    let route = "    access: { bots: { challenge_at: 0 } }\n  - name: api\n    path_prefix: /api/\n    upstream: a\n    access: { bots: { challenge_at: 0, api: true } }\n";
    let e = edge(&base(&o, access, route)).spawn();
    // curl without the cookie gets the challenge page, not the origin.
    let r = request(e.addr, "GET", "/page", &[("User-Agent", "curl/8.5.0")], b"").unwrap();
    assert_eq!(r.status, 403);
    assert!(
        r.text().contains("<script"),
        "challenge page expected: {}",
        r.text()
    );
    // A forged pass cookie is refused the same way.
    let forged = request(
        e.addr,
        "GET",
        "/page",
        &[("Cookie", "rampart_pass=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")],
        b"",
    )
    .unwrap();
    assert_eq!(forged.status, 403);
    assert_eq!(o.hits(), 0);
    // API routes are never challenged.
    assert_eq!(
        request(e.addr, "GET", "/api/x", &[], b"").unwrap().status,
        200
    );
    // A real browser runs the proof of work, gets the cookie and reaches the origin.
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=20000", "--dump-dom"])
        .arg(format!("http://{}/page", e.addr))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("challenged-origin GET /page"),
        "dom: {dom}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rate_limit_keys_on_cookie_and_route_combinations() {
    let o = origin().spawn();
    let access = "  rate_limits:\n    - { name: per_session, key: [\"cookie:sid\"], rate: 2, window: 10s }\n    - { name: login, key: [ip, route], rate: 1, window: 10s, routes: [login] }\n";
    let route = "  - name: login\n    path_prefix: /login\n    upstream: a\n";
    let e = edge(&base(&o, access, route)).server(TRUST).spawn();
    let with_sid = |ip: &str, sid: &str| {
        request(
            e.addr,
            "GET",
            "/",
            &[("X-Forwarded-For", ip), ("Cookie", &format!("sid={sid}"))],
            b"",
        )
        .unwrap()
        .status
    };
    assert_eq!(
        vec![
            with_sid("198.51.100.80", "s1"),
            with_sid("198.51.100.81", "s1"),
            with_sid("198.51.100.82", "s1")
        ],
        vec![200, 200, 429],
        "the cookie is the key, whatever the address"
    );
    assert_eq!(
        with_sid("198.51.100.80", "s2"),
        200,
        "another session has its own budget"
    );
    // ip + route: one login per address, other routes unaffected.
    assert_eq!(from(&e, "198.51.100.90", "/login").status, 200);
    assert_eq!(from(&e, "198.51.100.90", "/login").status, 429);
    assert_eq!(from(&e, "198.51.100.91", "/login").status, 200);
    assert_eq!(from(&e, "198.51.100.90", "/other").status, 200);
}

#[test]
fn bot_scores_block_attack_tools_and_log_suspicious_clients() {
    let o = origin().spawn();
    let route = "    access: { bots: { log_at: 20, block_at: 80 } }\n";
    let e = edge(&base(&o, "  bots: {}\n", route)).server(TRUST).spawn();
    let ua = |agent: &str, extra: &[(&str, &str)]| {
        let mut h = vec![("User-Agent", agent), ("X-Forwarded-For", "198.51.100.100")];
        h.extend_from_slice(extra);
        request(e.addr, "GET", "/", &h, b"").unwrap().status
    };
    let browser = [
        ("Accept", "text/html"),
        ("Accept-Language", "en"),
        ("Accept-Encoding", "gzip"),
        ("Sec-Fetch-Mode", "navigate"),
    ];
    assert_eq!(
        ua(
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            &browser
        ),
        200
    );
    assert_eq!(
        ua("sqlmap/1.8 (https://sqlmap.org)", &[]),
        403,
        "attack tools are blocked"
    );
    assert_eq!(ua("", &[]), 200, "an empty agent only scores into the log");
    assert!(e.log().contains("bot score"), "{}", e.log());
    assert!(e
        .metrics_text()
        .contains("rampart_access_denied_total{check=\"bot\"} 1"));
}

#[test]
fn rate_limit_by_subnet_and_global() {
    let o = origin().spawn();
    let access = "  rate_limits:\n    - { name: per_net, key: [subnet], rate: 2, window: 10s }\n    - { name: all, key: [global], rate: 5, window: 10s }\n";
    let e = edge(&base(&o, access, "")).server(TRUST).spawn();
    // Two addresses of one /24 share the subnet budget; another /24 does not.
    assert_eq!(from(&e, "198.51.100.1", "/").status, 200);
    assert_eq!(from(&e, "198.51.100.2", "/").status, 200);
    assert_eq!(from(&e, "198.51.100.3", "/").status, 429);
    assert_eq!(from(&e, "192.0.2.1", "/").status, 200);
    assert_eq!(from(&e, "203.0.113.1", "/").status, 200);
    // The global limit (5) counts every admitted client.
    assert_eq!(from(&e, "2001:db8:1::1", "/").status, 200);
    assert_eq!(from(&e, "2001:db8:2::1", "/").status, 429);
}
