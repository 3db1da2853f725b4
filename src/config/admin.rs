//! The checked `admin:` section: the admin API's listener, its users and API
//! tokens, token lifetimes, the login lockout, and where its state lives.
//! Without a credential (no user, no token, no `RAMPART_ADMIN_PASSWORD`) the
//! admin API stays off.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

type R<T> = Result<T, (String, String)>;

/// Default admin listener (loopback only).
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:9091";
/// Default state folder (relative to the config file's folder).
pub const DEFAULT_STATE_DIR: &str = "admin";
/// Default lifetime of an access token.
pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
/// Default lifetime of a refresh token.
pub const DEFAULT_REFRESH_TTL: Duration = Duration::from_secs(24 * 3600);
/// Default failed logins per client before a lockout.
pub const DEFAULT_MAX_FAILURES: u32 = 5;
/// Default lockout.
pub const DEFAULT_LOCKOUT: Duration = Duration::from_secs(300);
/// Default file of the operator rules managed through the API.
pub const DEFAULT_RULES_FILE: &str = "90-operator.yaml";
/// The environment variable that sets the password of user `admin`.
pub const PASSWORD_ENV: &str = "RAMPART_ADMIN_PASSWORD";
/// The environment variable that sets `admin.address` (any address: setting
/// it is the operator's explicit choice, as `allow_remote` is in the file).
pub const LISTEN_ENV: &str = "RAMPART_ADMIN_LISTEN";
/// The environment variable that sets `admin.state_dir`.
pub const STATE_DIR_ENV: &str = "RAMPART_ADMIN_STATE_DIR";

/// What a credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read everything.
    Viewer,
    /// Read and change.
    Admin,
}

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }
}

/// `admin:` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AdminSection {
    /// Listener address (default 127.0.0.1:9091).
    pub address: Option<String>,
    /// A non-loopback address must be allowed explicitly.
    #[serde(default)]
    pub allow_remote: bool,
    /// Serve HTTPS with the certificates of `tls:` / `acme:` (by SNI).
    #[serde(default)]
    pub tls: bool,
    /// Users who log in with a password.
    #[serde(default)]
    pub users: Vec<UserSection>,
    /// Static API tokens for automation.
    #[serde(default)]
    pub tokens: Vec<TokenSection>,
    /// Folder for the signing key, the runtime state, the audit log and
    /// config backups (created 0700; default `admin` beside the config).
    pub state_dir: Option<String>,
    /// HS256 signing key of the access tokens (a file with at least 32
    /// bytes; default: generated at first start as `STATE_DIR/jwt.key`).
    pub jwt_key_file: Option<String>,
    /// Access-token lifetime (default 15m).
    #[serde(default, with = "super::file::opt_duration")]
    pub access_token_ttl: Option<Duration>,
    /// Refresh-token lifetime (default 24h).
    #[serde(default, with = "super::file::opt_duration")]
    pub refresh_token_ttl: Option<Duration>,
    /// Failed logins from one client before it is locked out (default 5).
    pub max_login_failures: Option<u32>,
    /// How long a locked-out client waits (default 5m).
    #[serde(default, with = "super::file::opt_duration")]
    pub lockout: Option<Duration>,
    /// The rule file the API manages (default `90-operator.yaml` in the
    /// folder of the first `waf.rules` entry).
    pub rules_file: Option<String>,
}

/// One user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSection {
    /// Login name.
    pub name: String,
    /// Argon2id PHC string from `rampart admin hash-password`.
    pub password_hash: String,
    /// `admin` or `viewer` (default viewer).
    pub role: Option<Role>,
}

/// One API token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSection {
    /// Name shown in audit records.
    pub name: String,
    /// SHA-256 of the token, hex (`rampart admin new-token` prints both).
    pub sha256: String,
    /// `admin` or `viewer` (default viewer).
    pub role: Option<Role>,
}

/// A checked user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminUser {
    /// Login name.
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
}

/// A checked API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminToken {
    /// Name.
    pub name: String,
    /// SHA-256 of the token.
    pub sha256: [u8; 32],
    /// Role.
    pub role: Role,
}

/// The checked `admin:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSettings {
    /// Listener address.
    pub address: SocketAddr,
    /// HTTPS with the shared certificate store.
    pub tls: bool,
    /// Users (with `admin` from `RAMPART_ADMIN_PASSWORD` when set).
    pub users: Vec<AdminUser>,
    /// API tokens.
    pub tokens: Vec<AdminToken>,
    /// State folder.
    pub state_dir: PathBuf,
    /// Signing key file.
    pub jwt_key_file: PathBuf,
    /// Access-token lifetime.
    pub access_ttl: Duration,
    /// Refresh-token lifetime.
    pub refresh_ttl: Duration,
    /// Failed logins before a lockout.
    pub max_failures: u32,
    /// Lockout.
    pub lockout: Duration,
    /// The operator rule file.
    pub rules_file: PathBuf,
}

impl AdminSettings {
    /// True when some credential exists, so the listener runs.
    pub fn enabled(&self) -> bool {
        !self.users.is_empty() || !self.tokens.is_empty()
    }
}

/// Checks `admin:`, with `RAMPART_ADMIN_PASSWORD`, `RAMPART_ADMIN_LISTEN`
/// and `RAMPART_ADMIN_STATE_DIR` read through `env`; `rules_dir` is the
/// folder of the first rule file pattern.
pub fn settings(
    v: Option<serde_yaml::Value>,
    dir: &Path,
    rules_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> R<AdminSettings> {
    let mut s: AdminSection = match v {
        Some(v) => super::from_value("admin", v)?,
        None => AdminSection::default(),
    };
    if let Some(a) = env(LISTEN_ENV).filter(|a| !a.is_empty()) {
        s.address = Some(a);
        s.allow_remote = true;
    }
    if let Some(d) = env(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
        s.state_dir = Some(d);
    }
    let env_password = env(PASSWORD_ENV);
    let address: SocketAddr = s
        .address
        .as_deref()
        .unwrap_or(DEFAULT_ADDRESS)
        .parse()
        .map_err(|e| {
            (
                "admin.address".to_string(),
                format!("not a socket address ({e}); expected host:port such as 127.0.0.1:9091"),
            )
        })?;
    if !address.ip().is_loopback() && !s.allow_remote {
        return Err((
            "admin.address".into(),
            format!("{address} is not a loopback address; set admin.allow_remote: true to expose the admin API"),
        ));
    }
    let mut users = Vec::new();
    for (i, u) in s.users.iter().enumerate() {
        let key = format!("admin.users[{i}]");
        if u.name.is_empty() || users.iter().any(|x: &AdminUser| x.name == u.name) {
            return Err((
                format!("{key}.name"),
                format!("empty or duplicate user name `{}`", u.name),
            ));
        }
        if !u.password_hash.starts_with("$argon2id$")
            || argon2::PasswordHash::new(&u.password_hash).is_err()
        {
            return Err((
                format!("{key}.password_hash"),
                "not an argon2id hash; make one with `rampart admin hash-password`".into(),
            ));
        }
        users.push(AdminUser {
            name: u.name.clone(),
            password_hash: u.password_hash.clone(),
            role: u.role.unwrap_or(Role::Viewer),
        });
    }
    if let Some(pw) = env_password.filter(|p| !p.is_empty()) {
        let hash = crate::admin::password::hash(&pw).map_err(|e| {
            (
                "admin".to_string(),
                format!("{PASSWORD_ENV}: cannot hash: {e}"),
            )
        })?;
        users.retain(|u| u.name != "admin");
        users.push(AdminUser {
            name: "admin".into(),
            password_hash: hash,
            role: Role::Admin,
        });
    }
    let mut tokens = Vec::new();
    for (i, t) in s.tokens.iter().enumerate() {
        let key = format!("admin.tokens[{i}]");
        let sha256 = parse_sha256(&t.sha256).ok_or_else(|| {
            (
                format!("{key}.sha256"),
                "expected 64 hex digits (the SHA-256 that `rampart admin new-token` prints)".into(),
            )
        })?;
        tokens.push(AdminToken {
            name: t.name.clone(),
            sha256,
            role: t.role.unwrap_or(Role::Viewer),
        });
    }
    let state_dir = dir.join(s.state_dir.as_deref().unwrap_or(DEFAULT_STATE_DIR));
    let jwt_key_file = s
        .jwt_key_file
        .as_deref()
        .map_or_else(|| state_dir.join("jwt.key"), |f| dir.join(f));
    let positive = |key: &str, d: Option<Duration>, default: Duration| match d {
        Some(d) if d.is_zero() => Err((format!("admin.{key}"), "must be more than 0s".to_string())),
        d => Ok(d.unwrap_or(default)),
    };
    Ok(AdminSettings {
        address,
        tls: s.tls,
        users,
        tokens,
        jwt_key_file,
        access_ttl: positive("access_token_ttl", s.access_token_ttl, DEFAULT_ACCESS_TTL)?,
        refresh_ttl: positive(
            "refresh_token_ttl",
            s.refresh_token_ttl,
            DEFAULT_REFRESH_TTL,
        )?,
        max_failures: s.max_login_failures.unwrap_or(DEFAULT_MAX_FAILURES).max(1),
        lockout: positive("lockout", s.lockout, DEFAULT_LOCKOUT)?,
        rules_file: s
            .rules_file
            .as_deref()
            .map_or_else(|| rules_dir.join(DEFAULT_RULES_FILE), |f| dir.join(f)),
        state_dir,
    })
}

/// 64 hex digits to bytes.
pub fn parse_sha256(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The section `s` (YAML; empty: absent) checked with config folder
    /// `/c`, rules folder `/f` and `env` as RAMPART_ADMIN_PASSWORD.
    fn check(s: &str, env: Option<&str>) -> R<AdminSettings> {
        let v = (!s.is_empty()).then(|| serde_yaml::from_str(s).unwrap());
        let env = |k: &str| {
            (k == PASSWORD_ENV)
                .then(|| env.map(str::to_string))
                .flatten()
        };
        settings(v, Path::new("/c"), Path::new("/f"), &env)
    }

    #[test]
    fn off_without_credentials_and_loopback_by_default() {
        let s = check("", None).unwrap();
        assert!(!s.enabled());
        assert_eq!(s.address.to_string(), DEFAULT_ADDRESS);
        assert_eq!(s.state_dir, Path::new("/c/admin"));
        assert_eq!(s.rules_file, Path::new("/f/90-operator.yaml"));
        let e = check("address: 0.0.0.0:9091", None).unwrap_err();
        assert_eq!(e.0, "admin.address");
        assert!(check("address: 0.0.0.0:9091\nallow_remote: true", None).is_ok());
    }

    #[test]
    fn env_sets_the_listener_and_state_folder() {
        let env = |k: &str| match k {
            LISTEN_ENV => Some("0.0.0.0:9091".to_string()),
            STATE_DIR_ENV => Some("/var/lib/rampart/admin".to_string()),
            _ => None,
        };
        let s = settings(None, Path::new("/c"), Path::new("/f"), &env).unwrap();
        assert_eq!(s.address.to_string(), "0.0.0.0:9091");
        assert_eq!(s.state_dir, Path::new("/var/lib/rampart/admin"));
    }

    #[test]
    fn env_password_makes_an_admin_user() {
        let s = check("", Some("s3cret")).unwrap();
        assert!(s.enabled());
        assert_eq!(s.users[0].name, "admin");
        assert_eq!(s.users[0].role, Role::Admin);
        assert!(!s.users[0].password_hash.contains("s3cret"));
        assert!(crate::admin::password::verify(
            "s3cret",
            &s.users[0].password_hash
        ));
    }

    #[test]
    fn bad_credentials_name_their_key() {
        let e = check("users: [{name: a, password_hash: plain}]", None).unwrap_err();
        assert_eq!(e.0, "admin.users[0].password_hash");
        let e = check("tokens: [{name: t, sha256: abc}]", None).unwrap_err();
        assert_eq!(e.0, "admin.tokens[0].sha256");
        let e = check("userz: []", None).unwrap_err();
        assert_eq!(e.0, "admin.userz");
    }
}
