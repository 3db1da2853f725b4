//! The command line: `run`, `check`, `reload`, `waf explain`, `cert
//! status|renew`, `admin hash-password|new-token`, `completions`, `man`, and
//! the admin API client commands of [`remote`] (`login`, `status`, `waf`,
//! `proxy`, `ssl`, `monitor`, `config`). Commands only parse and call into
//! the library.

mod check;
pub mod remote;

use check::check;
pub use check::summary;

use crate::bootstrap::{self, ProcessOpts};
use crate::config::{self, Config};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Rampart: an edge reverse proxy with a built-in web application firewall.
#[derive(Parser, Debug)]
#[command(name = "rampart", version, about, long_about = None, after_help = "Examples:\n  rampart run -c conf/rampart.yaml        start the proxy\n  rampart check -c conf/rampart.yaml      validate a config and print a summary\n  rampart reload -c conf/rampart.yaml     make the running proxy re-read its config\n  rampart run -u -d -c conf/rampart.yaml  graceful upgrade: take over from a running process\n  rampart waf explain '/?q=<script>'      why would this request be blocked?\n\nEnvironment overrides: RAMPART_LISTEN, RAMPART_METRICS_LISTEN, RAMPART_LOG_LEVEL,\nRAMPART_PID_FILE, RAMPART_UPGRADE_SOCK, RAMPART_ACCESS_LOG (see conf/README.md).")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the proxy.
    Run {
        /// Config file.
        #[arg(short, long, default_value = "conf/rampart.yaml")]
        config: PathBuf,
        /// Graceful upgrade: take the listening sockets over from the running
        /// process (then send it SIGQUIT).
        #[arg(short, long)]
        upgrade: bool,
        /// Run in the background (writes the pid file).
        #[arg(short, long)]
        daemon: bool,
        /// Test the config and exit (like `check`).
        #[arg(short, long)]
        test: bool,
    },
    /// Validate a config file and print a summary; exit code 0 when valid, 1 otherwise.
    Check {
        /// Config file.
        #[arg(short, long, default_value = "conf/rampart.yaml")]
        config: PathBuf,
    },
    /// Ask the running proxy (found through the config's pid file) to re-read its config.
    Reload {
        /// Config file.
        #[arg(short, long, default_value = "conf/rampart.yaml")]
        config: PathBuf,
    },
    /// Admin tools.
    Admin {
        /// What to do.
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell),
    /// e.g. `rampart completions bash > /etc/bash_completion.d/rampart`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `rampart man | man -l -`.
    Man,
    /// Certificates.
    Cert {
        /// What to do.
        #[command(subcommand)]
        command: CertCommand,
    },
    /// WAF tools: `explain` locally; the rest through the admin API.
    Waf {
        /// What to do.
        #[command(subcommand)]
        command: WafCommand,
    },
    /// Log in to the admin API; the token is stored in
    /// $XDG_CONFIG_HOME/rampart/credentials.json (mode 0600). The password
    /// is read from stdin.
    Login {
        /// User name.
        #[arg(short, long, default_value = "admin")]
        username: String,
        /// Admin URL and output format.
        #[command(flatten)]
        remote: remote::Remote,
    },
    /// The running server's status (admin API).
    Status(remote::Remote),
    /// Routes, upstreams, drains (admin API).
    Proxy {
        /// What to do.
        #[command(subcommand)]
        command: remote::ProxyCommand,
    },
    /// Certificates on the running server (admin API).
    Ssl {
        /// What to do.
        #[command(subcommand)]
        command: remote::SslCommand,
    },
    /// Health of the running server (admin API).
    Monitor {
        /// What to do.
        #[command(subcommand)]
        command: remote::MonitorCommand,
    },
    /// Show, validate, apply or reload the config (admin API; validate is local).
    Config {
        /// What to do.
        #[command(subcommand)]
        command: remote::ConfigCommand,
    },
}

/// `rampart admin ...`
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Read a password from the first line of stdin and print its argon2id
    /// hash, for an admin user's `password_hash` in the config. The
    /// password is never echoed or logged.
    HashPassword,
    /// Print a new static API token and the SHA-256 to put in
    /// `admin.tokens[].sha256`. Only the hash goes into the config.
    NewToken,
}

/// `rampart cert ...`
#[derive(Subcommand, Debug)]
pub enum CertCommand {
    /// Each certificate of a config: names, issuer, not-after, days left,
    /// source. Reads the files; needs no running server.
    Status {
        /// Config file.
        #[arg(short, long, default_value = "conf/rampart.yaml")]
        config: PathBuf,
        /// JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Asks the running server to renew an ACME certificate now (by its
    /// first name), through a request file in `acme.storage`; the server
    /// picks it up within a second. Waits for the attempt and prints its
    /// result.
    Renew {
        /// The certificate's first name in `acme.certificates`.
        name: String,
        /// Config file.
        #[arg(short, long, default_value = "conf/rampart.yaml")]
        config: PathBuf,
        /// Longest wait for the attempt's result (0: do not wait).
        #[arg(long, default_value = "180s", value_parser = humantime::parse_duration)]
        wait: std::time::Duration,
    },
}

/// `rampart waf ...`
#[derive(Subcommand, Debug)]
pub enum WafCommand {
    /// Show which rules a request matches, on which variable, with which
    /// transformed value and score, and the decision, using the config's rules
    /// and the route the request would take.
    ///
    /// Examples:
    ///   rampart waf explain "http://localhost/?id=1' OR '1'='1"
    ///   rampart waf explain -X POST -H 'Content-Type: application/json' -d '{"q":"<script>"}' /api
    ///   rampart waf explain --raw request.txt
    Explain {
        /// Config file.
        #[arg(short, long, default_value = "conf/rampart.yaml")]
        config: PathBuf,
        /// URL or path of the request (unless --raw).
        url: Option<String>,
        /// Method.
        #[arg(short = 'X', long, default_value = "GET")]
        method: String,
        /// Header `Name: value` (repeatable).
        #[arg(short = 'H', long = "header")]
        headers: Vec<String>,
        /// Request body.
        #[arg(short, long)]
        data: Option<String>,
        /// A file with a raw HTTP request (`-` for stdin).
        #[arg(long)]
        raw: Option<PathBuf>,
        /// Client IP to evaluate with.
        #[arg(long, default_value = "127.0.0.1")]
        client_ip: std::net::IpAddr,
    },
    /// Counters, top rules, top blocked clients, mode per route.
    Status(remote::Remote),
    /// Block an address or CIDR on the running server (persists across restarts).
    BlockIp {
        /// Address or CIDR.
        ip: String,
        /// How long (`30m`, `1h`, `7d`); absent: until unblocked.
        #[arg(long)]
        duration: Option<String>,
        /// Why (shown in audit records).
        #[arg(long)]
        reason: Option<String>,
        /// Admin URL and output format.
        #[command(flatten)]
        remote: remote::Remote,
    },
    /// Remove a runtime block.
    UnblockIp {
        /// Address or CIDR.
        ip: String,
        /// Admin URL and output format.
        #[command(flatten)]
        remote: remote::Remote,
    },
    /// The operator rules: list, add, update, rm.
    Rules {
        /// What to do.
        #[command(subcommand)]
        command: remote::RulesCommand,
    },
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run {
            config,
            upgrade,
            daemon,
            test,
        } => {
            if test {
                return check(&config);
            }
            serve(&config, ProcessOpts { upgrade, daemon })
        }
        Command::Check { config } => check(&config),
        Command::Reload { config } => reload(&config),
        Command::Cert {
            command: CertCommand::Status { config, json },
        } => {
            let Some(cfg) = load_or_report(&config) else {
                return ExitCode::FAILURE;
            };
            let now = crate::tls::unix_now();
            let mut rows = crate::tls::status::status(&cfg.tls.certificates, now);
            if let Some(a) = &cfg.acme {
                rows.extend(crate::acme::service::status(a, now));
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).unwrap_or_default()
                );
            } else {
                print!("{}", crate::tls::status::table(&rows));
            }
            ExitCode::SUCCESS
        }
        Command::Admin {
            command: AdminCommand::HashPassword,
        } => hash_password(),
        Command::Admin {
            command: AdminCommand::NewToken,
        } => {
            let (token, hash) = crate::admin::auth::new_api_token();
            println!("token:  {token}\nsha256: {hash}");
            ExitCode::SUCCESS
        }
        Command::Login { username, remote } => remote::login(&username, &remote),
        Command::Status(r) => remote::status(&r),
        Command::Proxy { command } => remote::proxy(command),
        Command::Ssl { command } => remote::ssl(command),
        Command::Monitor { command } => remote::monitor(command),
        Command::Config { command } => remote::config(command),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "rampart",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Man => {
            use clap::CommandFactory;
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("cannot write the manual page: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Cert {
            command: CertCommand::Renew { name, config, wait },
        } => {
            let Some(cfg) = load_or_report(&config) else {
                return ExitCode::FAILURE;
            };
            cert_renew(&cfg, &name, wait)
        }
        Command::Waf {
            command:
                WafCommand::Explain {
                    config,
                    url,
                    method,
                    headers,
                    data,
                    raw,
                    client_ip,
                },
        } => {
            let Some(cfg) = load_or_report(&config) else {
                return ExitCode::FAILURE;
            };
            let sample = match (raw, url) {
                (Some(p), _) => read_raw(&p).and_then(|b| crate::explain::Sample::from_raw(&b)),
                (None, Some(u)) => crate::explain::Sample::from_url(
                    &method,
                    &u,
                    &headers,
                    data.unwrap_or_default().as_bytes(),
                ),
                (None, None) => Err("give a URL or --raw FILE".to_string()),
            };
            match sample.and_then(|s| crate::explain::explain(&cfg, &s, client_ip)) {
                Ok((text, verdict)) => {
                    print!("{text}");
                    if verdict.blocked {
                        ExitCode::from(2)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Waf { command } => remote::waf(command),
    }
}

fn read_raw(p: &Path) -> Result<Vec<u8>, String> {
    if p == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map_err(|e| e.to_string())?;
        Ok(buf)
    } else {
        std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
    }
}

fn load_or_report(path: &Path) -> Option<Config> {
    match config::load(path) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    }
}

fn serve(path: &Path, opts: ProcessOpts) -> ExitCode {
    let Some(cfg) = load_or_report(path) else {
        return ExitCode::FAILURE;
    };
    crate::telemetry::logging::init(&cfg);
    if let Err(e) = crate::telemetry::access_log::init(&cfg.server.access_log) {
        eprintln!("error: cannot open the access log: {e}");
        return ExitCode::FAILURE;
    }
    if let Err(e) = crate::telemetry::audit::init(&cfg.waf.audit_log) {
        eprintln!("error: cannot open the audit log: {e}");
        return ExitCode::FAILURE;
    }
    log::info!(
        "rampart {} starting with {}",
        env!("CARGO_PKG_VERSION"),
        path.display()
    );
    let pid_file = cfg.server.pid_file.clone();
    match bootstrap::build(cfg, opts) {
        Ok(server) => {
            // Pingora writes the pid file itself when it daemonizes.
            if !opts.daemon {
                if let Err(e) = std::fs::write(&pid_file, format!("{}\n", std::process::id())) {
                    log::warn!("cannot write pid file {pid_file}: {e}");
                }
            }
            server.run_forever()
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn reload(path: &Path) -> ExitCode {
    let Some(cfg) = load_or_report(path) else {
        eprintln!("not reloading: fix the config first (the running proxy would reject it)");
        return ExitCode::FAILURE;
    };
    let pid_file = &cfg.server.pid_file;
    let pid = match std::fs::read_to_string(pid_file) {
        Ok(p) => p.trim().to_string(),
        Err(e) => {
            eprintln!("error: cannot read pid file {pid_file}: {e} (is rampart running?)");
            return ExitCode::FAILURE;
        }
    };
    if pid.is_empty() || !pid.chars().all(|c| c.is_ascii_digit()) {
        eprintln!("error: pid file {pid_file} does not hold a pid");
        return ExitCode::FAILURE;
    }
    match std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
    {
        Ok(s) if s.success() => {
            println!("sent SIGHUP to rampart (pid {pid})");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("error: could not signal pid {pid}");
            ExitCode::FAILURE
        }
    }
}

/// `rampart cert renew NAME`: drops a request file the running server's
/// ACME service takes within a second, then waits for the attempt's record.
fn cert_renew(cfg: &crate::config::Config, name: &str, wait: std::time::Duration) -> ExitCode {
    let Some(acme) = &cfg.acme else {
        eprintln!("{}: no acme: section", cfg.source.display());
        return ExitCode::FAILURE;
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let Some(cert) = acme.certificates.iter().find(|c| c.names[0] == name) else {
        let known: Vec<&str> = acme
            .certificates
            .iter()
            .map(|c| c.names[0].as_str())
            .collect();
        eprintln!(
            "no ACME certificate named `{name}`; expected one of: {}",
            known.join(", ")
        );
        return ExitCode::FAILURE;
    };
    let id = cert.id();
    let storage = crate::acme::Storage::new(&acme.storage);
    let before = storage.records().get(&id).and_then(|r| r.last_attempt);
    let asked = crate::tls::unix_now();
    if let Err(e) = storage.ensure().and_then(|()| storage.request_renewal(&id)) {
        eprintln!(
            "cannot write the renewal request in {}: {e}",
            acme.storage.display()
        );
        return ExitCode::FAILURE;
    }
    println!("renewal of {name} requested");
    if wait.is_zero() {
        return ExitCode::SUCCESS;
    }
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(250));
        let records = storage.records();
        let Some(r) = records.get(&id) else { continue };
        let attempted = r
            .last_attempt
            .is_some_and(|t| t >= asked && Some(t) != before);
        let finished = r.last_success == r.last_attempt || r.last_error.is_some();
        if attempted && finished && r.last_attempt.is_some() {
            if let Some(e) = &r.last_error {
                eprintln!("renewal of {name} failed: {e}");
                return ExitCode::FAILURE;
            }
            println!("renewed {name}; the running server serves the new certificate");
            return ExitCode::SUCCESS;
        }
    }
    eprintln!(
        "no result within {}s: is the server running with this config? (the request stays in {})",
        wait.as_secs(),
        acme.storage.join("renew").display()
    );
    ExitCode::FAILURE
}

/// `rampart admin hash-password`: the first line of stdin, hashed.
fn hash_password() -> ExitCode {
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        eprintln!("cannot read the password from stdin: {e}");
        return ExitCode::FAILURE;
    }
    let password = line.trim_end_matches(['\n', '\r']);
    match crate::admin::password::hash(password) {
        Ok(h) => {
            println!("{h}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot hash: {e}");
            ExitCode::FAILURE
        }
    }
}
