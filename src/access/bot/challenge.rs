//! The browser challenge: a small page whose JavaScript finds a nonce so
//! that SHA-256(seed + nonce) starts with `difficulty` zero bits, stores
//! `seed.nonce` in the `rampart_pow` cookie and reloads. The server checks
//! the work and answers with a pass cookie: base64url(expiry || HMAC-SHA256
//! over (client IP, SHA-256 of the User-Agent, expiry)). Seeds are signed
//! the same way, so the server keeps no state; a forged, expired, or
//! other-client cookie fails.

use crate::access::clock::{de_duration, SharedClock};
use crate::access::ip::prefix::canonical_ip;
use crate::access::request::RequestAttrs;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::time::Duration;

type HmacSha256 = Hmac<Sha256>;

/// The cookie the page sets with its solution.
pub const POW_COOKIE: &str = "rampart_pow";

const PAGE: &str = include_str!("challenge.html");
const SCRIPT: &str = include_str!("challenge.js");

/// The YAML of the challenge.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeConfig {
    /// HMAC key, at least 32 bytes (set it from the environment).
    pub secret: String,
    /// Leading zero bits of work (1-32; default 16, ~65k hashes).
    #[serde(default = "default_difficulty")]
    pub difficulty: u8,
    /// How long a pass cookie is valid (default `1h`).
    #[serde(default = "default_pass_ttl", deserialize_with = "de_duration")]
    pub pass_ttl: Duration,
    /// How long a seed may be solved (default `5m`).
    #[serde(default = "default_seed_ttl", deserialize_with = "de_duration")]
    pub seed_ttl: Duration,
    /// Name of the pass cookie (default `rampart_pass`).
    #[serde(default = "default_cookie")]
    pub cookie_name: String,
    /// Mark the pass cookie `Secure` (HTTPS-only sites).
    #[serde(default)]
    pub secure_cookie: bool,
}

fn default_difficulty() -> u8 {
    16
}
fn default_pass_ttl() -> Duration {
    Duration::from_secs(3600)
}
fn default_seed_ttl() -> Duration {
    Duration::from_secs(300)
}
fn default_cookie() -> String {
    "rampart_pass".into()
}

/// Why a cookie or solution was refused, or the config is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// The secret is shorter than 32 bytes.
    #[error("challenge secret must be at least 32 bytes")]
    WeakSecret,
    /// Difficulty outside 1-32.
    #[error("challenge difficulty must be 1 to 32 bits, not {0}")]
    BadDifficulty(u8),
    /// Not in the expected format.
    #[error("malformed challenge token")]
    Malformed,
    /// The signature does not match (forged, or another IP or agent).
    #[error("bad signature")]
    BadSignature,
    /// Past its expiry.
    #[error("expired")]
    Expired,
    /// The hash has too few zero bits.
    #[error("not enough work")]
    NotEnoughWork,
}

/// What the challenge says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChallengeCheck {
    /// A valid pass cookie: let it through.
    Passed,
    /// A valid solution: let it through and send this `Set-Cookie` value.
    Solved {
        /// The `Set-Cookie` header value.
        set_cookie: String,
    },
    /// Serve the challenge page.
    Required,
}

/// Issues and checks challenges.
pub struct Challenger {
    cfg: ChallengeConfig,
    clock: SharedClock,
}

impl std::fmt::Debug for Challenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenger")
            .field("difficulty", &self.cfg.difficulty)
            .finish_non_exhaustive()
    }
}

fn leading_zero_bits(d: &[u8]) -> u32 {
    let mut n = 0;
    for b in d {
        n += b.leading_zeros();
        if *b != 0 {
            break;
        }
    }
    n
}

impl Challenger {
    /// A challenger with `cfg`.
    pub fn new(cfg: ChallengeConfig, clock: SharedClock) -> Result<Self, ChallengeError> {
        if cfg.secret.len() < 32 {
            return Err(ChallengeError::WeakSecret);
        }
        if !(1..=32).contains(&cfg.difficulty) {
            return Err(ChallengeError::BadDifficulty(cfg.difficulty));
        }
        Ok(Self { cfg, clock })
    }

    fn mac(&self, tag: &[u8], ip: IpAddr, ua: &str, expiry: u64, extra: &[u8]) -> HmacSha256 {
        let ip16 = match canonical_ip(ip) {
            IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            IpAddr::V6(a) => a.octets(),
        };
        let mut m = HmacSha256::new_from_slice(self.cfg.secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        m.update(tag);
        m.update(&ip16);
        m.update(&Sha256::digest(ua.as_bytes()));
        m.update(&expiry.to_be_bytes());
        m.update(extra);
        m
    }

    fn now_secs(&self) -> u64 {
        self.clock.now_micros() / 1_000_000
    }

    /// A signed token: expiry (8 bytes) || extra || mac (32 bytes).
    fn sign(&self, tag: &[u8], ip: IpAddr, ua: &str, ttl: Duration, extra: &[u8]) -> String {
        let expiry = self.now_secs() + ttl.as_secs().max(1);
        let mac = self.mac(tag, ip, ua, expiry, extra).finalize().into_bytes();
        let mut raw = expiry.to_be_bytes().to_vec();
        raw.extend_from_slice(extra);
        raw.extend_from_slice(&mac);
        B64.encode(raw)
    }

    fn verify(
        &self,
        tag: &[u8],
        ip: IpAddr,
        ua: &str,
        token: &str,
        extra_len: usize,
    ) -> Result<(), ChallengeError> {
        let raw = B64.decode(token).map_err(|_| ChallengeError::Malformed)?;
        if raw.len() != 8 + extra_len + 32 {
            return Err(ChallengeError::Malformed);
        }
        let (head, mac) = raw.split_at(8 + extra_len);
        let expiry = u64::from_be_bytes(
            head[..8]
                .try_into()
                .map_err(|_| ChallengeError::Malformed)?,
        );
        self.mac(tag, ip, ua, expiry, &head[8..])
            .verify_slice(mac)
            .map_err(|_| ChallengeError::BadSignature)?;
        if expiry <= self.now_secs() {
            return Err(ChallengeError::Expired);
        }
        Ok(())
    }

    /// A pass cookie value for `ip` and `ua`.
    pub fn issue_pass(&self, ip: IpAddr, ua: &str) -> String {
        self.sign(b"pass", ip, ua, self.cfg.pass_ttl, &[])
    }

    /// Checks a pass cookie value.
    pub fn verify_pass(&self, ip: IpAddr, ua: &str, value: &str) -> Result<(), ChallengeError> {
        self.verify(b"pass", ip, ua, value, 0)
    }

    /// A fresh seed bound to `ip` and `ua`.
    pub fn new_seed(&self, ip: IpAddr, ua: &str) -> String {
        let salt: [u8; 16] = rand::random();
        self.sign(b"seed", ip, ua, self.cfg.seed_ttl, &salt)
    }

    /// Checks a solution: the seed is ours, unexpired, for this client, and
    /// SHA-256(seed + nonce) has enough leading zero bits.
    pub fn verify_solution(
        &self,
        ip: IpAddr,
        ua: &str,
        seed: &str,
        nonce: &str,
    ) -> Result<(), ChallengeError> {
        if nonce.is_empty() || nonce.len() > 20 || !nonce.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ChallengeError::Malformed);
        }
        self.verify(b"seed", ip, ua, seed, 16)?;
        let digest = Sha256::new()
            .chain_update(seed)
            .chain_update(nonce)
            .finalize();
        if leading_zero_bits(&digest) < u32::from(self.cfg.difficulty) {
            return Err(ChallengeError::NotEnoughWork);
        }
        Ok(())
    }

    /// Pass cookie, then solution cookie, else a challenge is required.
    pub fn evaluate(&self, req: &impl RequestAttrs) -> ChallengeCheck {
        let ip = req.client_ip();
        let ua = req.header("user-agent").unwrap_or("");
        if let Some(v) = req.cookie(&self.cfg.cookie_name) {
            if self.verify_pass(ip, ua, v).is_ok() {
                return ChallengeCheck::Passed;
            }
        }
        let solved = req
            .cookie(POW_COOKIE)
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(seed, nonce)| self.verify_solution(ip, ua, seed, nonce).is_ok());
        if !solved {
            return ChallengeCheck::Required;
        }
        ChallengeCheck::Solved {
            set_cookie: self.set_cookie(&self.issue_pass(ip, ua)),
        }
    }

    /// The `Set-Cookie` value carrying a pass.
    pub fn set_cookie(&self, value: &str) -> String {
        let secure = if self.cfg.secure_cookie {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
            self.cfg.cookie_name,
            self.cfg.pass_ttl.as_secs()
        )
    }

    /// The challenge page (HTML) for this request, with a fresh seed. Serve
    /// it with status 403, `Content-Type: text/html; charset=utf-8` and
    /// `Cache-Control: no-store`.
    pub fn page(&self, req: &impl RequestAttrs) -> String {
        let seed = self.new_seed(req.client_ip(), req.header("user-agent").unwrap_or(""));
        PAGE.replace("{{SEED}}", &seed)
            .replace("{{BITS}}", &self.cfg.difficulty.to_string())
            .replace("{{COOKIE}}", POW_COOKIE)
            .replace("{{SCRIPT}}", SCRIPT)
    }
}

#[cfg(test)]
mod tests;
