//! A real ACME server for one test: Debian's `pebble` with
//! `pebble-challtestsrv` as its DNS server (every name resolves to
//! 127.0.0.1; TXT records are set through its management API), on ephemeral
//! ports, with a TLS certificate the test makes. `http_port` is the edge's
//! plain listener, where pebble validates HTTP-01.

use super::certs::Ca;
use super::free_port;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running pebble and challtestsrv.
pub struct Pebble {
    /// ACME port (`https://127.0.0.1:PORT/dir`).
    pub port: u16,
    /// Management port (`/roots/0`).
    pub mgmt_port: u16,
    /// challtestsrv's DNS port (UDP and TCP).
    pub dns_port: u16,
    /// challtestsrv's management port (`/set-txt`, `/clear-txt`).
    pub dns_mgmt_port: u16,
    /// The PEM file that signs pebble's HTTPS certificate (`acme.ca_root`).
    pub ca_root: PathBuf,
    dir: PathBuf,
    http_port: u16,
    nonce_reject: u8,
    eab: Option<(String, String)>,
    pebble: Option<Child>,
    challtestsrv: Child,
}

fn wait_port(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "{what} did not listen on {port}; log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

impl Pebble {
    /// Starts challtestsrv and picks pebble's ports; pebble itself starts
    /// with [`Pebble::run`], once the edge's plain port is known. Random
    /// nonce rejection is off (`PEBBLE_WFE_NONCEREJECT=0`).
    pub fn new() -> Pebble {
        Self::with_nonce_reject(0)
    }

    /// [`Pebble::new`] rejecting `nonce_reject`% of good nonces (the
    /// client must retry `badNonce`).
    pub fn with_nonce_reject(nonce_reject: u8) -> Pebble {
        let dir = tempfile::tempdir().unwrap().keep();
        let ca = Ca::new();
        let (cert, key) = ca.leaf(&["localhost", "127.0.0.1"]);
        std::fs::write(dir.join("ca.pem"), &ca.pem).unwrap();
        std::fs::write(dir.join("cert.pem"), cert).unwrap();
        std::fs::write(dir.join("key.pem"), key).unwrap();
        let (dns_port, dns_mgmt_port) = (free_port(), free_port());
        let log = dir.join("challtestsrv.log");
        let challtestsrv = Command::new("pebble-challtestsrv")
            .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
            .args(["-management", &format!("127.0.0.1:{dns_mgmt_port}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            // A records only: the edge listens on 127.0.0.1.
            .args(["-defaultIPv6", ""])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("pebble-challtestsrv is required (scripts/deps.sh test installs pebble)");
        wait_port(dns_mgmt_port, "pebble-challtestsrv", &log);
        Pebble {
            port: free_port(),
            mgmt_port: free_port(),
            dns_port,
            dns_mgmt_port,
            ca_root: dir.join("ca.pem"),
            dir,
            http_port: 0,
            nonce_reject,
            eab: None,
            pebble: None,
            challtestsrv,
        }
    }

    /// Starts pebble, validating HTTP-01 on `http_port` (the edge's plain
    /// listener).
    pub fn run(&mut self, http_port: u16) {
        self.http_port = http_port;
        self.resume();
    }

    /// Makes pebble require External Account Binding with this key id and
    /// base64url HMAC key (before [`Pebble::run`]).
    pub fn require_eab(&mut self, kid: &str, hmac_key: &str) {
        self.eab = Some((kid.to_string(), hmac_key.to_string()));
    }

    /// The directory URL.
    pub fn directory(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.port)
    }

    /// Stops pebble (challtestsrv stays).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.pebble.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts pebble again on the same ports (a new root CA: pebble makes one
    /// per launch).
    pub fn resume(&mut self) {
        let mut config = serde_json::json!({
            "pebble": {
                "listenAddress": format!("127.0.0.1:{}", self.port),
                "managementListenAddress": format!("127.0.0.1:{}", self.mgmt_port),
                "certificate": self.dir.join("cert.pem"),
                "privateKey": self.dir.join("key.pem"),
                "httpPort": self.http_port,
                "tlsPort": 1,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false
            }
        });
        if let Some((kid, key)) = &self.eab {
            config["pebble"]["externalAccountBindingRequired"] = true.into();
            config["pebble"]["externalAccountMACKeys"] = serde_json::json!({ kid.as_str(): key });
        }
        std::fs::write(self.dir.join("pebble.json"), config.to_string()).unwrap();
        let log = self.dir.join("pebble.log");
        let child = Command::new("pebble")
            .arg("-config")
            .arg(self.dir.join("pebble.json"))
            .args(["-dnsserver", &format!("127.0.0.1:{}", self.dns_port)])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", self.nonce_reject.to_string())
            .env("PEBBLE_AUTHZREUSE", "0")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("pebble is required (scripts/deps.sh test installs it)");
        self.pebble = Some(child);
        wait_port(self.port, "pebble", &log);
        wait_port(self.mgmt_port, "pebble management", &log);
    }

    /// pebble's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pebble.log")).unwrap_or_default()
    }

    /// Writes pebble's current issuing root to `path` (for a client's trust).
    pub fn write_root(&self, path: &Path) {
        let out = Command::new("curl")
            .args(["-sS", "--fail", "--max-time", "10", "--cacert"])
            .arg(&self.ca_root)
            .arg(format!("https://127.0.0.1:{}/roots/0", self.mgmt_port))
            .output()
            .expect("curl is required");
        assert!(
            out.status.success(),
            "GET /roots/0: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(path, out.stdout).unwrap();
    }

    /// The `acme:` lines for an edge config using this pebble (indented for
    /// the top level), before `certificates:`.
    pub fn acme_section(&self, extra: &str) -> String {
        format!(
            "acme:\n  directory: {}\n  ca_root: {}\n  storage: {{DIR}}/acme\n  retry_initial: 1s\n  retry_max: 4s\n{extra}",
            self.directory(),
            self.ca_root.display()
        )
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        self.stop();
        let _ = self.challtestsrv.kill();
        let _ = self.challtestsrv.wait();
    }
}
