//! Who is calling the admin API: password logins that answer short-lived
//! JWTs (HS256, jsonwebtoken) with rotating refresh tokens, static API tokens
//! stored as SHA-256, roles, and a per-client login lockout.
//!
//! Refresh tokens are opaque random strings kept (hashed) in memory, grouped
//! in families: each refresh answers a new token of the same family and
//! marks the old one used; presenting a used token again means it was
//! stolen or replayed, so the whole family is revoked (RFC 6819 §5.2.2.3).
//! A restart ends every session (the signing key persists, so access tokens
//! stay valid until they expire).

use crate::config::admin::{AdminSettings, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::Mutex;

/// Prefix of static API tokens (tells them apart from JWTs).
pub const TOKEN_PREFIX: &str = "rmp_";
/// Most refresh tokens and lockout entries kept; older ones are dropped first.
const MAX_ENTRIES: usize = 10_000;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User or token name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// `password` (a JWT from a login) or `token` (a static API token).
    pub via: &'static str,
}

/// Why a call is refused. The texts say why without telling an attacker
/// which part of a credential was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("missing bearer token: send `Authorization: Bearer TOKEN` (POST /admin/api/v1/auth/login gives one)")]
    Missing,
    /// Not a token this server issued (malformed, forged, unknown).
    #[error("invalid token")]
    Invalid,
    /// A JWT past its expiry.
    #[error("token expired: refresh it or log in again")]
    Expired,
    /// Wrong user name or password.
    #[error("invalid username or password")]
    BadLogin,
    /// Too many failed logins from this client.
    #[error("too many failed logins from this client; try again in {0} s")]
    LockedOut(u64),
    /// A refresh token that is unknown, expired or revoked.
    #[error("invalid or expired refresh token: log in again")]
    BadRefresh,
    /// A refresh token used twice: its family is revoked.
    #[error("refresh token reuse detected: every token of this session is revoked, log in again")]
    Reused,
    /// The role may not do this.
    #[error("forbidden: role `{0}` may only read; this call needs role `admin`")]
    Forbidden(&'static str),
}

impl AuthError {
    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Forbidden(_) => 403,
            AuthError::LockedOut(_) => 429,
            _ => 401,
        }
    }
}

/// The body of a login or refresh answer (OAuth2 token response shape).
#[derive(Debug, Serialize, Deserialize)]
pub struct TokenResponse {
    /// JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    /// Opaque refresh token.
    pub refresh_token: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    iat: u64,
    exp: u64,
    iss: String,
    jti: String,
}

#[derive(Debug)]
struct RefreshEntry {
    family: u64,
    user: String,
    expires: Instant,
    used: bool,
}

#[derive(Debug, Default)]
struct Failures {
    count: u32,
    last: Option<Instant>,
    locked_until: Option<Instant>,
}

/// Issues and checks credentials.
pub struct Auth {
    encoding: EncodingKey,
    decoding: DecodingKey,
    refresh: Mutex<HashMap<[u8; 32], RefreshEntry>>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
    dummy_hash: String,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth { .. }")
    }
}

fn sha256(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A random URL-safe string with `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// A new static API token and the SHA-256 hex to put in `admin.tokens`.
pub fn new_api_token() -> (String, String) {
    let token = format!("{TOKEN_PREFIX}{}", random_token(32));
    let hex = sha256(&token).iter().map(|b| format!("{b:02x}")).collect();
    (token, hex)
}

/// Reads the signing key, or creates one (32 random bytes, mode 0600).
pub fn load_or_create_key(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(k) if k.len() >= 32 => Ok(k),
        Ok(_) => Err(std::io::Error::other(format!(
            "{}: a signing key needs at least 32 bytes",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                crate::admin::store::ensure_private_dir(dir)?;
            }
            let key: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
            crate::acme::storage::write_atomic(path, &key)?;
            log::info!("admin: created the token signing key {}", path.display());
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

impl Auth {
    /// An authority signing with `key`.
    pub fn new(key: &[u8]) -> Auth {
        Auth {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            refresh: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            dummy_hash: crate::admin::password::hash("rampart-dummy").unwrap_or_default(),
        }
    }

    /// A password login from `client`: tokens, or why not.
    pub async fn login(
        &self,
        cfg: &AdminSettings,
        client: IpAddr,
        user: &str,
        password: &str,
    ) -> Result<TokenResponse, AuthError> {
        self.check_lockout(client).await?;
        let found = cfg.users.iter().find(|u| u.name == user);
        // Verify against a dummy hash for unknown users so both take as long.
        let hash = found.map_or(self.dummy_hash.as_str(), |u| u.password_hash.as_str());
        let password = password.to_string();
        let phc = hash.to_string();
        let ok =
            tokio::task::spawn_blocking(move || crate::admin::password::verify(&password, &phc))
                .await
                .unwrap_or(false);
        match found {
            Some(u) if ok => {
                self.failures.lock().await.remove(&client);
                let family = rand::random::<u64>();
                Ok(self.issue(cfg, &u.name, u.role, family).await)
            }
            _ => {
                self.record_failure(cfg, client).await;
                Err(AuthError::BadLogin)
            }
        }
    }

    async fn check_lockout(&self, client: IpAddr) -> Result<(), AuthError> {
        let mut f = self.failures.lock().await;
        if let Some(until) = f.get(&client).and_then(|x| x.locked_until) {
            let now = Instant::now();
            if until > now {
                return Err(AuthError::LockedOut((until - now).as_secs().max(1)));
            }
            f.remove(&client);
        }
        Ok(())
    }

    async fn record_failure(&self, cfg: &AdminSettings, client: IpAddr) {
        let mut map = self.failures.lock().await;
        let now = Instant::now();
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, f| f.last.is_some_and(|l| now - l < cfg.lockout));
        }
        let f = map.entry(client).or_default();
        // Failures older than the lockout period are forgotten.
        if f.last.is_some_and(|l| now - l > cfg.lockout) {
            f.count = 0;
        }
        f.count += 1;
        f.last = Some(now);
        if f.count >= cfg.max_failures {
            f.locked_until = Some(now + cfg.lockout);
            log::warn!(
                "admin: {client} locked out for {}s after {} failed logins",
                cfg.lockout.as_secs(),
                f.count
            );
        }
    }

    async fn issue(
        &self,
        cfg: &AdminSettings,
        user: &str,
        role: Role,
        family: u64,
    ) -> TokenResponse {
        let now = unix_now();
        let claims = Claims {
            sub: user.to_string(),
            role,
            iat: now,
            exp: now + cfg.access_ttl.as_secs(),
            iss: "rampart".into(),
            jti: random_token(12),
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .expect("HS256 signing with a byte key cannot fail");
        let refresh_token = random_token(32);
        let mut map = self.refresh.lock().await;
        let now_i = Instant::now();
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, e| e.expires > now_i && !e.used);
        }
        map.insert(
            sha256(&refresh_token),
            RefreshEntry {
                family,
                user: user.to_string(),
                expires: now_i + cfg.refresh_ttl,
                used: false,
            },
        );
        TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: cfg.access_ttl.as_secs(),
            refresh_token,
        }
    }

    /// Rotates a refresh token.
    pub async fn refresh(
        &self,
        cfg: &AdminSettings,
        token: &str,
    ) -> Result<TokenResponse, AuthError> {
        let (family, user) = {
            let mut map = self.refresh.lock().await;
            let key = sha256(token);
            let Some(e) = map.get_mut(&key) else {
                return Err(AuthError::BadRefresh);
            };
            if e.used {
                let family = e.family;
                map.retain(|_, x| x.family != family);
                log::warn!("admin: a refresh token was used twice; its session is revoked");
                return Err(AuthError::Reused);
            }
            if e.expires <= Instant::now() {
                map.remove(&key);
                return Err(AuthError::BadRefresh);
            }
            e.used = true;
            (e.family, e.user.clone())
        };
        // The user's role is taken from the current config (it may have changed).
        let Some(u) = cfg.users.iter().find(|u| u.name == user) else {
            return Err(AuthError::BadRefresh);
        };
        Ok(self.issue(cfg, &u.name, u.role, family).await)
    }

    /// Checks an `Authorization` header value.
    pub fn authenticate(
        &self,
        cfg: &AdminSettings,
        header: Option<&str>,
    ) -> Result<Principal, AuthError> {
        let value = header.ok_or(AuthError::Missing)?.trim();
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthError::Missing)?
            .trim();
        if token.starts_with(TOKEN_PREFIX) {
            let h = sha256(token);
            let mut found = None;
            for t in &cfg.tokens {
                if bool::from(t.sha256.ct_eq(&h)) {
                    found = Some(t);
                }
            }
            return found
                .map(|t| Principal {
                    name: t.name.clone(),
                    role: t.role,
                    via: "token",
                })
                .ok_or(AuthError::Invalid);
        }
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.set_issuer(&["rampart"]);
        v.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &v).map_err(|e| {
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                    _ => AuthError::Invalid,
                }
            })?;
        // A user removed from the config loses access at once; the role is the config's.
        let u = cfg
            .users
            .iter()
            .find(|u| u.name == data.claims.sub)
            .ok_or(AuthError::Invalid)?;
        Ok(Principal {
            name: u.name.clone(),
            role: u.role.min(data.claims.role),
            via: "password",
        })
    }

    /// An access token for `user` that expired `ago` ago (tests of expiry).
    pub fn expired_token_for_tests(&self, user: &str, ago: Duration) -> String {
        let now = unix_now();
        let claims = Claims {
            sub: user.into(),
            role: Role::Admin,
            iat: now - 2 * ago.as_secs(),
            exp: now - ago.as_secs(),
            iss: "rampart".into(),
            jti: random_token(12),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }
}

/// Refuses a change by a viewer.
pub fn require(p: &Principal, role: Role) -> Result<(), AuthError> {
    if p.role >= role {
        Ok(())
    } else {
        Err(AuthError::Forbidden(p.role.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::admin::{AdminToken, AdminUser};

    fn cfg() -> AdminSettings {
        let mut s = crate::config::admin::settings(None, Path::new("/"), Path::new("/"), &|_| None)
            .unwrap();
        s.users.push(AdminUser {
            name: "ops".into(),
            password_hash: crate::admin::password::hash("pw").unwrap(),
            role: Role::Admin,
        });
        s.users.push(AdminUser {
            name: "eye".into(),
            password_hash: crate::admin::password::hash("pw2").unwrap(),
            role: Role::Viewer,
        });
        s.max_failures = 3;
        s
    }

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[tokio::test]
    async fn login_refresh_and_reuse_revokes_the_family() {
        let (c, a) = (cfg(), Auth::new(&[7; 32]));
        let t = a.login(&c, IP, "ops", "pw").await.unwrap();
        let p = a
            .authenticate(&c, Some(&format!("Bearer {}", t.access_token)))
            .unwrap();
        assert_eq!((p.name.as_str(), p.role), ("ops", Role::Admin));
        let t2 = a.refresh(&c, &t.refresh_token).await.unwrap();
        assert_ne!(t2.refresh_token, t.refresh_token);
        // The old refresh token again: reuse, and the new one dies with it.
        assert_eq!(
            a.refresh(&c, &t.refresh_token).await.unwrap_err(),
            AuthError::Reused
        );
        assert_eq!(
            a.refresh(&c, &t2.refresh_token).await.unwrap_err(),
            AuthError::BadRefresh
        );
    }

    #[tokio::test]
    async fn bad_logins_lock_the_client_out() {
        let (c, a) = (cfg(), Auth::new(&[7; 32]));
        assert_eq!(
            a.login(&c, IP, "nobody", "pw").await.unwrap_err(),
            AuthError::BadLogin
        );
        assert_eq!(
            a.login(&c, IP, "ops", "wrong").await.unwrap_err(),
            AuthError::BadLogin
        );
        assert_eq!(
            a.login(&c, IP, "ops", "wrong").await.unwrap_err(),
            AuthError::BadLogin
        );
        let e = a.login(&c, IP, "ops", "pw").await.unwrap_err();
        assert!(matches!(e, AuthError::LockedOut(s) if s > 0), "{e:?}");
        // Another client is not affected.
        let other = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
        assert!(a.login(&c, other, "ops", "pw").await.is_ok());
    }

    #[test]
    fn tokens_forged_expired_and_static() {
        let (mut c, a) = (cfg(), Auth::new(&[7; 32]));
        let forger = Auth::new(&[8; 32]);
        let forged = forger.expired_token_for_tests("ops", Duration::from_secs(0));
        assert!(a
            .authenticate(&c, Some(&format!("Bearer {forged}")))
            .is_err());
        let old = a.expired_token_for_tests("ops", Duration::from_secs(60));
        assert_eq!(
            a.authenticate(&c, Some(&format!("Bearer {old}")))
                .unwrap_err(),
            AuthError::Expired
        );
        assert_eq!(a.authenticate(&c, None).unwrap_err(), AuthError::Missing);
        assert_eq!(
            a.authenticate(&c, Some("Bearer x.y.z")).unwrap_err(),
            AuthError::Invalid
        );
        let (token, hex) = new_api_token();
        c.tokens.push(AdminToken {
            name: "ci".into(),
            sha256: crate::config::admin::parse_sha256(&hex).unwrap(),
            role: Role::Viewer,
        });
        let p = a
            .authenticate(&c, Some(&format!("Bearer {token}")))
            .unwrap();
        assert_eq!(
            (p.name.as_str(), p.role, p.via),
            ("ci", Role::Viewer, "token")
        );
        assert_eq!(require(&p, Role::Admin).unwrap_err().status(), 403);
        assert!(a
            .authenticate(&c, Some(&format!("Bearer {token}x")))
            .is_err());
    }
}
