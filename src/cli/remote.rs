//! The admin client commands: `login`, `status`, `waf status|block-ip|
//! unblock-ip|rules`, `proxy`, `ssl`, `monitor`, `config`. Each maps to one
//! admin API call (`crate::admin::client`) and prints its answer as text,
//! or as JSON with `--json`.

use crate::admin::client::{self, Answer};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the admin API is and how to print.
#[derive(Args, Debug, Clone)]
pub struct Remote {
    /// Admin API base URL (default: the stored login's, else http://127.0.0.1:9091).
    #[arg(long, env = "RAMPART_ADMIN_URL")]
    pub admin_url: Option<String>,
    /// Print the JSON answer, for scripts.
    #[arg(long)]
    pub json: bool,
    /// PEM file of the CA that signs an https:// admin listener's certificate.
    #[arg(long, env = "RAMPART_ADMIN_CA")]
    pub admin_ca: Option<PathBuf>,
}

impl Remote {
    fn url(&self) -> String {
        self.admin_url
            .clone()
            .or_else(|| client::load_credentials().map(|c| c.admin_url))
            .unwrap_or_else(|| client::DEFAULT_URL.to_string())
            .trim_end_matches('/')
            .to_string()
    }
}

/// `rampart waf rules ...`
#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Loaded rule ids and the operator rules.
    List(Remote),
    /// Add the rule in FILE (YAML or JSON, one rule, filters/README.md format).
    Add {
        /// Rule file.
        file: PathBuf,
        /// Admin URL and output format.
        #[command(flatten)]
        remote: Remote,
    },
    /// Replace operator rule ID with the rule in FILE.
    Update {
        /// Rule id.
        id: u32,
        /// Rule file.
        file: PathBuf,
        /// Admin URL and output format.
        #[command(flatten)]
        remote: Remote,
    },
    /// Remove operator rule ID.
    Rm {
        /// Rule id.
        id: u32,
        /// Admin URL and output format.
        #[command(flatten)]
        remote: Remote,
    },
}

/// `rampart proxy ...`
#[derive(Subcommand, Debug)]
pub enum ProxyCommand {
    /// Listeners, routes and pools.
    Status(Remote),
    /// Every server with its health and drain state.
    Upstreams(Remote),
    /// Send a server no new requests.
    Drain {
        /// Pool name.
        pool: String,
        /// Server address:port.
        server: String,
        /// Admin URL and output format.
        #[command(flatten)]
        remote: Remote,
    },
    /// Put a drained server back.
    Undrain {
        /// Pool name.
        pool: String,
        /// Server address:port.
        server: String,
        /// Admin URL and output format.
        #[command(flatten)]
        remote: Remote,
    },
}

/// `rampart ssl ...`
#[derive(Subcommand, Debug)]
pub enum SslCommand {
    /// Certificate summary and every certificate.
    Status(Remote),
    /// Ask the ACME service to renew the certificate covering DOMAIN now.
    Renew {
        /// DNS name.
        domain: String,
        /// Admin URL and output format.
        #[command(flatten)]
        remote: Remote,
    },
}

/// `rampart monitor ...`
#[derive(Subcommand, Debug)]
pub enum MonitorCommand {
    /// Health of each component.
    Health(Remote),
}

/// `rampart config ...`
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// The running config, secrets redacted.
    Show(Remote),
    /// Validate a config file locally (as `rampart check`).
    Validate {
        /// Config file.
        #[arg(default_value = "conf/rampart.yaml")]
        file: PathBuf,
    },
    /// Send a config file (or, with --section, one section's value) to the
    /// running server: validated, backed up, written, reloaded.
    Apply {
        /// The file.
        file: PathBuf,
        /// Replace only this top-level key (the file then holds its value).
        #[arg(long)]
        section: Option<String>,
        /// Admin URL and output format.
        #[command(flatten)]
        remote: Remote,
    },
    /// Make the running server re-read its config file.
    Reload(Remote),
}

fn runtime(r: &Remote) -> tokio::runtime::Runtime {
    if let Some(ca) = &r.admin_ca {
        client::trust_ca(ca.clone());
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds")
}

/// Sends one call with the stored login and prints the answer.
fn send(r: &Remote, method: &str, path: &str, body: Option<(Vec<u8>, &str)>) -> ExitCode {
    let url = r.url();
    let result = runtime(r).block_on(async {
        let token = client::token_for(&url).await?;
        client::call(&url, method, path, token.as_deref(), body).await
    });
    print_answer(r, &url, result)
}

fn print_answer(r: &Remote, url: &str, result: Result<Answer, String>) -> ExitCode {
    match result {
        Ok(a) if (200..300).contains(&a.status) => {
            if r.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&a.body).unwrap_or_default()
                );
            } else {
                print!("{}", client::render(&a.body));
            }
            ExitCode::SUCCESS
        }
        Ok(a) => {
            if r.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&a.body).unwrap_or_default()
                );
            }
            eprintln!("{}", client::explain(&a, url));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn json_body(v: Value) -> Option<(Vec<u8>, &'static str)> {
    Some((
        serde_json::to_vec(&v).unwrap_or_default(),
        "application/json",
    ))
}

fn read(file: &PathBuf) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(file).map_err(|e| {
        eprintln!("{}: {e}", file.display());
        ExitCode::FAILURE
    })
}

/// `rampart login`: reads the password from stdin, stores the tokens.
pub fn login(username: &str, r: &Remote) -> ExitCode {
    let url = r.url();
    eprint!("Password for {username} at {url}: ");
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        eprintln!("cannot read the password from stdin");
        return ExitCode::FAILURE;
    }
    eprintln!();
    let password = line.trim_end_matches(['\r', '\n']);
    let body = json_body(json!({ "username": username, "password": password }));
    let result = runtime(r).block_on(client::call(&url, "POST", "/auth/login", None, body));
    match result {
        Ok(a) if a.status == 200 => {
            let t: crate::admin::auth::TokenResponse = match serde_json::from_value(a.body) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("unexpected login answer: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let creds = client::Credentials {
                admin_url: url.clone(),
                username: username.to_string(),
                access_token: t.access_token,
                refresh_token: t.refresh_token,
                expires_at: crate::tls::unix_now() + t.expires_in as i64,
            };
            match client::save_credentials(&creds) {
                Ok(p) => {
                    if r.json {
                        println!(
                            "{}",
                            json!({ "logged_in": username, "admin_url": url, "credentials": p.display().to_string() })
                        );
                    } else {
                        println!(
                            "logged in to {url} as {username}; token stored in {}",
                            p.display()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("cannot store the login: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        other => print_answer(r, &url, other),
    }
}

/// `rampart status`.
pub fn status(r: &Remote) -> ExitCode {
    send(r, "GET", "/status", None)
}

/// The admin-client forms of `rampart waf ...`.
pub fn waf(cmd: super::WafCommand) -> ExitCode {
    use super::WafCommand as W;
    match cmd {
        W::Status(r) => send(&r, "GET", "/waf/status", None),
        W::BlockIp {
            ip,
            duration,
            reason,
            remote,
        } => send(
            &remote,
            "POST",
            "/waf/block-ip",
            json_body(json!({ "ip": ip, "duration": duration, "reason": reason })),
        ),
        W::UnblockIp { ip, remote } => send(
            &remote,
            "DELETE",
            &format!("/waf/block-ip/{}", ip.replace('/', "%2F")),
            None,
        ),
        W::Rules { command } => rules(command),
        W::Explain { .. } => unreachable!("explain runs locally"),
    }
}

fn rules(cmd: RulesCommand) -> ExitCode {
    match cmd {
        RulesCommand::List(r) => send(&r, "GET", "/waf/rules", None),
        RulesCommand::Add { file, remote } => match read(&file) {
            Ok(b) => send(&remote, "POST", "/waf/rules", Some((b, "application/yaml"))),
            Err(c) => c,
        },
        RulesCommand::Update { id, file, remote } => match read(&file) {
            Ok(b) => send(
                &remote,
                "PUT",
                &format!("/waf/rules/{id}"),
                Some((b, "application/yaml")),
            ),
            Err(c) => c,
        },
        RulesCommand::Rm { id, remote } => {
            send(&remote, "DELETE", &format!("/waf/rules/{id}"), None)
        }
    }
}

/// `rampart proxy ...`.
pub fn proxy(cmd: ProxyCommand) -> ExitCode {
    match cmd {
        ProxyCommand::Status(r) => send(&r, "GET", "/proxy/status", None),
        ProxyCommand::Upstreams(r) => send(&r, "GET", "/proxy/upstreams", None),
        ProxyCommand::Drain {
            pool,
            server,
            remote,
        } => drain(&remote, &pool, &server, "drain"),
        ProxyCommand::Undrain {
            pool,
            server,
            remote,
        } => drain(&remote, &pool, &server, "undrain"),
    }
}

fn drain(r: &Remote, pool: &str, server: &str, verb: &str) -> ExitCode {
    send(
        r,
        "POST",
        &format!("/proxy/upstreams/{pool}/{server}/{verb}"),
        None,
    )
}

/// `rampart ssl ...`.
pub fn ssl(cmd: SslCommand) -> ExitCode {
    match cmd {
        SslCommand::Status(r) => {
            let a = send(&r, "GET", "/ssl/status", None);
            if a != ExitCode::SUCCESS {
                return a;
            }
            send(&r, "GET", "/ssl/certificates", None)
        }
        SslCommand::Renew { domain, remote } => send(
            &remote,
            "POST",
            &format!("/ssl/certificates/{domain}/renew"),
            None,
        ),
    }
}

/// `rampart monitor ...`.
pub fn monitor(cmd: MonitorCommand) -> ExitCode {
    match cmd {
        MonitorCommand::Health(r) => send(&r, "GET", "/health", None),
    }
}

/// `rampart config ...`.
pub fn config(cmd: ConfigCommand) -> ExitCode {
    match cmd {
        ConfigCommand::Show(r) => send(&r, "GET", "/config", None),
        ConfigCommand::Validate { file } => super::check(&file),
        ConfigCommand::Apply {
            file,
            section,
            remote,
        } => match read(&file) {
            Ok(b) => {
                let path = match section {
                    Some(s) => format!("/config?section={s}"),
                    None => "/config".to_string(),
                };
                send(&remote, "PUT", &path, Some((b, "application/yaml")))
            }
            Err(c) => c,
        },
        ConfigCommand::Reload(r) => send(&r, "POST", "/config/reload", None),
    }
}
