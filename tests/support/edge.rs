//! Runs the real `rampart` binary on ephemeral loopback ports.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Builder for an edge process.
pub struct EdgeBuilder {
    body: String,
    server_extra: String,
    files: Vec<(String, Vec<u8>)>,
    tls: Option<String>,
    listener: String,
    admin: Option<String>,
}

/// Starts building an edge whose config has `body` (upstreams, routes, ...)
/// after a generated `server`, `listeners` and `metrics` section.
pub fn edge(body: &str) -> EdgeBuilder {
    EdgeBuilder {
        body: body.to_string(),
        server_extra: String::new(),
        files: Vec::new(),
        tls: None,
        listener: String::new(),
        admin: None,
    }
}

impl EdgeBuilder {
    /// Extra lines for the `server:` section (indented by the caller with two spaces).
    pub fn server(mut self, extra: &str) -> Self {
        self.server_extra = extra.to_string();
        self
    }

    /// Extra lines for the plain listener's entry (indented by four spaces).
    pub fn listener(mut self, extra: &str) -> Self {
        self.listener = extra.to_string();
        self
    }

    /// A file written into the edge's folder before it starts.
    pub fn file(mut self, name: &str, contents: impl Into<Vec<u8>>) -> Self {
        self.files.push((name.to_string(), contents.into()));
        self
    }

    /// Adds a TLS listener (its address is `Edge::tls_addr`) with `extra`
    /// lines for its listener entry (indented by four spaces).
    pub fn tls(mut self, extra: &str) -> Self {
        self.tls = Some(extra.to_string());
        self
    }

    /// Adds an `admin:` section on a fresh loopback port (`Edge::admin_addr`)
    /// with `extra` lines (indented by two spaces; `{DIR}` is the edge's folder).
    pub fn admin(mut self, extra: &str) -> Self {
        self.admin = Some(extra.to_string());
        self
    }

    /// Starts the edge on fresh ephemeral ports. The ports are picked by
    /// binding port 0 and releasing it, so another process may take one
    /// before Rampart binds it: a start that fails to bind is retried on new
    /// ports.
    pub fn spawn(self) -> Edge {
        const ATTEMPTS: usize = 5;
        for attempt in 1..=ATTEMPTS {
            let dir = tempfile::tempdir().unwrap().keep();
            let (port, mport) = (free_port(), free_port());
            for (name, contents) in &self.files {
                std::fs::write(dir.join(name), contents).unwrap();
            }
            let mut e = Edge {
                dir,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
                metrics: SocketAddr::from(([127, 0, 0, 1], mport)),
                tls_addr: self
                    .tls
                    .as_ref()
                    .map(|_| SocketAddr::from(([127, 0, 0, 1], free_port()))),
                tls_extra: self.tls.clone().unwrap_or_default(),
                admin_addr: self
                    .admin
                    .as_ref()
                    .map(|_| SocketAddr::from(([127, 0, 0, 1], free_port()))),
                admin_extra: self.admin.clone().unwrap_or_default(),
                listener_extra: self.listener.clone(),
                children: Vec::new(),
                server_extra: self.server_extra.clone(),
            };
            e.write_config(&self.body);
            let child = e.start(false);
            e.children.push(child);
            match e.wait_ready() {
                Ok(()) => return e,
                Err(Exit::BindFailed) if attempt < ATTEMPTS => {
                    eprintln!("edge ports {port}/{mport} taken; retrying on new ports");
                }
                Err(why) => panic!("rampart did not become ready ({why:?}); log:\n{}", e.log()),
            }
        }
        unreachable!("the last attempt returns or panics")
    }
}

/// Why an edge did not become ready.
#[derive(Debug)]
pub enum Exit {
    /// The process exited because a listener could not bind its port.
    BindFailed,
    /// The process exited for another reason.
    Exited,
    /// Still not answering after the deadline.
    TimedOut,
}

/// A running edge.
pub struct Edge {
    pub dir: PathBuf,
    pub addr: SocketAddr,
    pub metrics: SocketAddr,
    /// The TLS listener, when the builder asked for one.
    pub tls_addr: Option<SocketAddr>,
    tls_extra: String,
    /// The admin listener, when the builder asked for one.
    pub admin_addr: Option<SocketAddr>,
    admin_extra: String,
    listener_extra: String,
    children: Vec<Child>,
    server_extra: String,
}

impl Edge {
    pub fn config_path(&self) -> PathBuf {
        self.dir.join("rampart.yaml")
    }

    /// Writes a new config body (same listeners and server section).
    /// `{DIR}` in `body` becomes the edge's temp folder, `{FILTERS}` the
    /// repository's `filters/` folder.
    pub fn write_config(&self, body: &str) {
        let d = self.dir.display();
        let body = body
            .replace("{DIR}", &d.to_string())
            .replace("{FILTERS}", concat!(env!("CARGO_MANIFEST_DIR"), "/filters"));
        let tls = match self.tls_addr {
            Some(a) => format!("  - address: {a}\n    tls: true\n{}", self.tls_extra),
            None => String::new(),
        };
        let admin = match self.admin_addr {
            Some(a) => format!(
                "admin:\n  address: {a}\n{}\n",
                self.admin_extra.replace("{DIR}", &d.to_string())
            ),
            None => String::new(),
        };
        let yaml = format!(
            "{admin}server:\n  pid_file: {d}/rampart.pid\n  upgrade_sock: {d}/upgrade.sock\n  grace_period: 1s\n  graceful_shutdown_timeout: 1s\n  threads: 2\n  access_log: {d}/access.log\n{}\nlisteners:\n  - address: {}\n{}{tls}metrics:\n  address: {}\n{body}\n",
            self.server_extra, self.addr, self.listener_extra, self.metrics
        );
        std::fs::write(self.config_path(), yaml).unwrap();
    }

    /// Writes raw text as the config file.
    pub fn write_raw_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).unwrap();
    }

    fn start(&self, upgrade: bool) -> Child {
        let n = self.children.len();
        let log = std::fs::File::create(self.dir.join(format!("stderr-{n}.log"))).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
        cmd.arg("run").arg("-c").arg(self.config_path());
        if upgrade {
            cmd.arg("-u");
        }
        cmd.stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start rampart")
    }

    /// Waits until the proxy and the metrics listener answer, or the newest
    /// process exits.
    pub fn wait_ready(&mut self) -> Result<(), Exit> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let up = TcpStream::connect(self.addr).is_ok()
                && self
                    .admin_addr
                    .is_none_or(|a| TcpStream::connect(a).is_ok())
                && super::get(self.metrics, "/healthz")
                    .map(|r| r.status == 200)
                    .unwrap_or(false);
            let exited = self
                .children
                .last_mut()
                .is_some_and(|c| c.try_wait().ok().flatten().is_some());
            if exited {
                let log = self.log();
                let bind = log.contains("bind() failed") || log.contains("in use");
                return Err(if bind { Exit::BindFailed } else { Exit::Exited });
            }
            if up {
                // Every port answers, but one of them may be another
                // process's (a port picked by free_port and taken by a
                // parallel test before this process bound it): a process
                // whose bind failed exits within moments, so look again.
                std::thread::sleep(Duration::from_millis(300));
                let gone = self
                    .children
                    .last_mut()
                    .is_some_and(|c| c.try_wait().ok().flatten().is_some());
                if !gone {
                    return Ok(());
                }
                continue;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Err(Exit::TimedOut)
    }

    /// The error log of every process started so far.
    pub fn log(&self) -> String {
        (0..=self.children.len())
            .filter_map(|n| std::fs::read_to_string(self.dir.join(format!("stderr-{n}.log"))).ok())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The access log.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }

    /// Audit records (from `{DIR}/audit.log`), waiting up to 2 s for at least `n`.
    pub fn audit(&self, n: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let text = std::fs::read_to_string(self.dir.join("audit.log")).unwrap_or_default();
            let recs: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            if recs.len() >= n || Instant::now() > deadline {
                return recs;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops every process of this edge and starts a fresh one on the same
    /// ports, folder and config (a restart, not an upgrade).
    pub fn restart(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let child = self.start(false);
        self.children.push(child);
        if let Err(why) = self.wait_ready() {
            panic!(
                "restarted rampart did not become ready ({why:?}); log:\n{}",
                self.log()
            );
        }
    }

    fn pid(&self) -> u32 {
        self.children.last().unwrap().id()
    }

    /// Sends SIGHUP through `rampart reload` and waits for the log line.
    pub fn reload(&self) -> bool {
        let before = self.log().matches("config reload").count();
        let st = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(["reload", "-c"])
            .arg(self.config_path())
            .output()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let log = self.log();
            if log.matches("config reload").count() > before {
                return st.status.success()
                    && log
                        .rsplit("config reload")
                        .next()
                        .is_some_and(|t| t.starts_with("ed"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "no reload log line; reload output: {:?}\nlog:\n{}",
            st,
            self.log()
        );
    }

    /// Sends SIGHUP directly (for configs `rampart reload` would refuse).
    pub fn sighup(&self) {
        let before = self.log().matches("config reload").count();
        Command::new("kill")
            .args(["-HUP", &self.pid().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.log().matches("config reload").count() == before {
            assert!(
                Instant::now() < deadline,
                "no reload log line within 10 s of SIGHUP; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Graceful upgrade: start a new process with `-u`, then SIGQUIT the old one.
    pub fn upgrade(&mut self) {
        let old = self.pid();
        let child = self.start(true);
        self.children.push(child);
        // The new process waits on the upgrade socket; the old one hands over on SIGQUIT.
        std::thread::sleep(Duration::from_millis(300));
        Command::new("kill")
            .args(["-QUIT", &old.to_string()])
            .status()
            .unwrap();
        let idx = self.children.len() - 2;
        let old_child = &mut self.children[idx];
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if old_child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "old process did not exit after upgrade; log:\n{}",
            self.log()
        );
    }

    /// Metric text.
    pub fn metrics_text(&self) -> String {
        super::get(self.metrics, "/metrics").unwrap().text()
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
