//! The admin CLI through the real binary against a running server: login
//! (token stored 0600 under XDG_CONFIG_HOME), status, blocks, upstreams,
//! drains, rules and config with `--json` parsed here, and the messages for
//! connection refused, an expired login and a viewer's change.

mod support;
use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::*;

struct Cli {
    home: tempfile::TempDir,
    url: String,
}

impl Cli {
    fn new(e: &Edge) -> Cli {
        Cli {
            home: tempfile::tempdir().unwrap(),
            url: format!("http://{}", e.admin_addr.unwrap()),
        }
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(args)
            .arg("--admin-url")
            .arg(&self.url)
            .env("XDG_CONFIG_HOME", self.home.path())
            .env_remove("RAMPART_ADMIN_TOKEN")
            .env_remove("RAMPART_ADMIN_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.run(&a, "");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
    }

    fn creds(&self) -> std::path::PathBuf {
        self.home.path().join("rampart/credentials.json")
    }
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

fn start(origins: &[&Origin]) -> Edge {
    let ops = rampart::admin::password::hash("ops-pw").unwrap();
    let eye = rampart::admin::password::hash("eye-pw").unwrap();
    let servers: Vec<String> = origins.iter().map(|o| format!("\"{}\"", o.addr)).collect();
    let body = format!(
        "upstreams:\n  a: {{ servers: [{}] }}\nwaf:\n  rules: [\"{{FILTERS}}/*.yaml\"]\n  audit_log: off\nroutes:\n  - name: app\n    upstream: a\n",
        servers.join(", ")
    );
    let admin = format!(
        "  state_dir: {{DIR}}/admin\n  rules_file: {{DIR}}/operator.yaml\n  access_token_ttl: 2s\n  users:\n    - {{ name: ops, password_hash: \"{ops}\", role: admin }}\n    - {{ name: eye, password_hash: \"{eye}\", role: viewer }}\n"
    );
    edge(&body)
        .server("  trusted_proxies: [\"127.0.0.1/32\"]")
        .admin(&admin)
        .spawn()
}

#[test]
fn an_operator_logs_in_blocks_drains_and_applies_from_the_terminal() {
    let (o1, o2) = (origin().spawn(), origin().spawn());
    let e = start(&[&o1, &o2]);
    let cli = Cli::new(&e);
    let out = cli.run(&["login", "-u", "ops"], "wrong\n");
    assert!(!out.status.success());
    assert!(
        text(&out).contains("invalid username or password"),
        "{}",
        text(&out)
    );
    let out = cli.run(&["login", "-u", "ops"], "ops-pw\n");
    assert!(out.status.success(), "{}", text(&out));
    let mode = std::fs::metadata(cli.creds()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let dir_mode = std::fs::metadata(cli.creds().parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700);
    assert!(!std::fs::read_to_string(cli.creds())
        .unwrap()
        .contains("ops-pw"));

    let st = cli.json(&["status"]);
    assert_eq!(st["routes"], 1);
    let human = cli.run(&["status"], "");
    assert!(text(&human).contains("routes: 1"), "{}", text(&human));

    let b = cli.json(&[
        "waf",
        "block-ip",
        "198.51.100.0/24",
        "--duration",
        "10m",
        "--reason",
        "cli test",
    ]);
    assert_eq!(b["blocked"]["net"], "198.51.100.0/24");
    let refused = request(
        e.addr,
        "GET",
        "/",
        &[("X-Forwarded-For", "198.51.100.9")],
        b"",
    )
    .unwrap();
    assert_eq!(refused.status, 403);
    assert!(cli.json(&["waf", "unblock-ip", "198.51.100.0/24"])["unblocked"].is_string());

    let ups = cli.json(&["proxy", "upstreams"]);
    assert_eq!(ups["pools"][0]["servers"].as_array().unwrap().len(), 2);
    let server = o1.addr.to_string();
    assert_eq!(cli.json(&["proxy", "drain", "a", &server])["drained"], true);
    let before = o1.hits();
    for _ in 0..6 {
        get(e.addr, "/").unwrap();
    }
    assert_eq!(o1.hits(), before);
    assert_eq!(
        cli.json(&["proxy", "undrain", "a", &server])["drained"],
        false
    );

    let rule = cli.home.path().join("rule.yaml");
    std::fs::write(
        &rule,
        "id: 990010\nmsg: cli rule\ntargets: [args]\ncontains: kumquat-7\naction: deny\n",
    )
    .unwrap();
    cli.json(&["waf", "rules", "add", rule.to_str().unwrap()]);
    assert_eq!(get(e.addr, "/?x=kumquat-7").unwrap().status, 403);
    let list = cli.json(&["waf", "rules", "list"]);
    assert_eq!(list["operator_rules"][0]["id"], 990010);
    cli.json(&["waf", "rules", "rm", "990010"]);
    assert_eq!(get(e.addr, "/?x=kumquat-7").unwrap().status, 200);

    // A config section with a mistake: refused with file, line and key.
    let bad = cli.home.path().join("waf.yaml");
    std::fs::write(&bad, "mode: sometimes\n").unwrap();
    let out = cli.run(
        &["config", "apply", bad.to_str().unwrap(), "--section", "waf"],
        "",
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("waf.mode") && text(&out).contains("nothing changed"),
        "{}",
        text(&out)
    );
    let cfg = cli.json(&["config", "show"]);
    assert_eq!(
        cfg["config"]["admin"]["users"][0]["password_hash"],
        "<redacted>"
    );
    assert_eq!(cli.json(&["monitor", "health"])["status"], "ok");
    let ws = cli.json(&["waf", "status"]);
    assert_eq!(ws["routes"][0]["mode"], "block");
    assert!(cli.json(&["config", "reload"])["version"].as_u64().unwrap() >= 2);
    let certs = cli.run(&["ssl", "status"], "");
    assert!(certs.status.success(), "{}", text(&certs));
}

#[test]
fn the_cli_says_what_went_wrong() {
    let o = origin().spawn();
    let e = start(&[&o]);
    let cli = Cli::new(&e);
    // Not logged in.
    let out = cli.run(&["status"], "");
    assert!(!out.status.success());
    assert!(text(&out).contains("rampart login"), "{}", text(&out));
    // A viewer may look but not change.
    assert!(cli
        .run(&["login", "-u", "eye"], "eye-pw\n")
        .status
        .success());
    assert!(cli.run(&["status"], "").status.success());
    let out = cli.run(&["waf", "block-ip", "192.0.2.1"], "");
    assert!(!out.status.success());
    assert!(
        text(&out).contains("forbidden") && text(&out).contains("admin"),
        "{}",
        text(&out)
    );
    // An expired login whose refresh token was revoked: log in again.
    let mut c: Value = serde_json::from_slice(&std::fs::read(cli.creds()).unwrap()).unwrap();
    c["expires_at"] = 0.into();
    c["refresh_token"] = "revoked".into();
    std::fs::write(cli.creds(), c.to_string()).unwrap();
    let out = cli.run(&["status"], "");
    assert!(!out.status.success());
    assert!(
        text(&out).contains("expired") && text(&out).contains("rampart login"),
        "{}",
        text(&out)
    );
    // An expired access token with a good refresh token is renewed silently.
    assert!(cli
        .run(&["login", "-u", "eye"], "eye-pw\n")
        .status
        .success());
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert!(cli.run(&["status"], "").status.success(), "refreshed");
    // Nothing listening.
    let dead = Cli {
        home: tempfile::tempdir().unwrap(),
        url: format!("http://127.0.0.1:{}", free_port()),
    };
    let out = dead.run(&["status"], "");
    assert!(!out.status.success());
    assert!(text(&out).contains("connection refused"), "{}", text(&out));
    assert!(Path::new(env!("CARGO_BIN_EXE_rampart")).exists());
}

#[test]
fn the_admin_listener_can_serve_https() {
    let ca = support::certs::Ca::new();
    let (cert, key) = ca.leaf(&["localhost"]);
    let o = origin().spawn();
    let ops = rampart::admin::password::hash("ops-pw").unwrap();
    let body = format!(
        "upstreams:\n  a: {{ servers: [\"{}\"] }}\nroutes:\n  - name: app\n    upstream: a\ntls:\n  certificates:\n    - {{ cert: c.pem, key: c.key }}\n",
        o.addr
    );
    let admin = format!("  tls: true\n  state_dir: {{DIR}}/admin\n  users:\n    - {{ name: ops, password_hash: \"{ops}\", role: admin }}\n");
    let e = edge(&body)
        .file("c.pem", cert)
        .file("c.key", key)
        .file("ca.pem", ca.pem.clone())
        .admin(&admin)
        .spawn();
    let port = e.admin_addr.unwrap().port();
    let cli = Cli {
        home: tempfile::tempdir().unwrap(),
        url: format!("https://localhost:{port}"),
    };
    let ca_file = e.dir.join("ca.pem");
    let ca_arg = ca_file.to_str().unwrap();
    let out = cli.run(&["login", "-u", "ops", "--admin-ca", ca_arg], "ops-pw\n");
    assert!(out.status.success(), "{}", text(&out));
    let out = cli.run(&["status", "--json", "--admin-ca", ca_arg], "");
    assert!(out.status.success(), "{}", text(&out));
    let st: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["routes"], 1);
    // Without the CA the certificate is not trusted.
    let out = cli.run(&["status"], "");
    assert!(!out.status.success());
    // Plain HTTP to the TLS listener gets nothing useful.
    assert!(get(e.admin_addr.unwrap(), "/admin/api/v1/status").map_or(true, |r| r.status != 200));
}
