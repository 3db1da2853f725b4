//! Geo blocking: country lookup in a MaxMind-format database (GeoIP2,
//! GeoLite2 or DB-IP country/city) whose reader is published through an
//! `ArcSwap` and swapped when the file changes on disk ([`GeoDb::maybe_reload`],
//! called periodically by a background task); allow-list or deny-list
//! policies of ISO codes with a policy for unknown countries.

use arc_swap::ArcSwap;
use maxminddb::{PathElement, Reader};
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

/// A two-letter ISO 3166-1 country code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses `gb` / `GB`; `None` unless two ASCII letters.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => None,
        }
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors opening the database or reading a policy.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// The database could not be read or parsed.
    #[error("geo database {path}: {message}")]
    Database {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A country code is not two letters.
    #[error("geo policy: {0:?} is not a two-letter ISO country code")]
    BadCode(String),
    /// Both `allow` and `deny` were given.
    #[error("geo policy: give either allow or deny, not both")]
    BothLists,
}

/// (mtime in ns, length, inode): a change of any means a new file.
type Stamp = (u128, u64, u64);

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let m = std::fs::metadata(path)?;
    let mtime = m.modified()?.duration_since(UNIX_EPOCH).unwrap_or_default();
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let ino = 0;
    Ok((mtime.as_nanos(), m.len(), ino))
}

struct Loaded {
    reader: Reader<Vec<u8>>,
    stamp: Stamp,
}

/// The country database, reloaded when its file changes.
pub struct GeoDb {
    path: PathBuf,
    current: ArcSwap<Loaded>,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoDb").field("path", &self.path).finish()
    }
}

fn load(path: &Path) -> Result<Loaded, GeoError> {
    let err = |message: String| GeoError::Database {
        path: path.to_path_buf(),
        message,
    };
    let stamp = stamp(path).map_err(|e| err(e.to_string()))?;
    let reader = Reader::open_readfile(path).map_err(|e| err(e.to_string()))?;
    Ok(Loaded { reader, stamp })
}

const COUNTRY: [PathElement<'static>; 2] =
    [PathElement::Key("country"), PathElement::Key("iso_code")];
const REGISTERED: [PathElement<'static>; 2] = [
    PathElement::Key("registered_country"),
    PathElement::Key("iso_code"),
];

impl GeoDb {
    /// Opens the database at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, GeoError> {
        let path = path.into();
        let loaded = load(&path)?;
        Ok(Self {
            path,
            current: ArcSwap::from_pointee(loaded),
        })
    }

    /// The country of `ip` (the `country`, else `registered_country`), if
    /// the database knows it.
    pub fn country(&self, ip: IpAddr) -> Option<CountryCode> {
        let db = self.current.load();
        let found = db
            .reader
            .lookup(crate::access::ip::prefix::canonical_ip(ip))
            .ok()?;
        let code = found
            .decode_path::<&str>(&COUNTRY)
            .ok()
            .flatten()
            .or_else(|| found.decode_path::<&str>(&REGISTERED).ok().flatten())?;
        CountryCode::parse(code)
    }

    /// Reloads the file if it changed since it was loaded. `Ok(true)` when a
    /// new database is in use; on error the old one stays in use.
    pub fn maybe_reload(&self) -> Result<bool, GeoError> {
        let now = stamp(&self.path).map_err(|e| GeoError::Database {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        if now == self.current.load().stamp {
            return Ok(false);
        }
        match load(&self.path) {
            Ok(loaded) => {
                self.current.store(Arc::new(loaded));
                log::info!("geo database {} reloaded", self.path.display());
                Ok(true)
            }
            Err(e) => {
                log::warn!("{e}; keeping the previous database");
                Err(e)
            }
        }
    }

    /// The database type from its metadata (e.g. `GeoLite2-Country`).
    pub fn database_type(&self) -> String {
        self.current.load().reader.metadata().database_type.clone()
    }
}

/// What to do with clients whose country is unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownPolicy {
    /// Let them through (default).
    #[default]
    Allow,
    /// Refuse them.
    Deny,
}

/// The YAML of a geo policy (global or per route): either `allow` (only
/// these countries) or `deny` (all but these).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoPolicyConfig {
    /// Only these countries are allowed.
    #[serde(default)]
    pub allow: Vec<String>,
    /// These countries are refused.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Policy for addresses the database does not know.
    #[serde(default)]
    pub unknown: UnknownPolicy,
}

/// A checked geo policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeoPolicy {
    list: Vec<CountryCode>,
    allow_list: bool,
    unknown: UnknownPolicy,
}

/// A geo verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeoDecision {
    /// Let it through.
    Allow,
    /// Refuse; the country if known.
    Deny(Option<CountryCode>),
}

impl TryFrom<&GeoPolicyConfig> for GeoPolicy {
    type Error = GeoError;
    fn try_from(c: &GeoPolicyConfig) -> Result<Self, GeoError> {
        if !c.allow.is_empty() && !c.deny.is_empty() {
            return Err(GeoError::BothLists);
        }
        let allow_list = !c.allow.is_empty();
        let codes = if allow_list { &c.allow } else { &c.deny };
        let list = codes
            .iter()
            .map(|s| CountryCode::parse(s).ok_or_else(|| GeoError::BadCode(s.clone())))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            list,
            allow_list,
            unknown: c.unknown,
        })
    }
}

impl GeoPolicy {
    /// The verdict for a client from `country`.
    pub fn decide(&self, country: Option<CountryCode>) -> GeoDecision {
        let Some(cc) = country else {
            return match self.unknown {
                UnknownPolicy::Allow => GeoDecision::Allow,
                UnknownPolicy::Deny => GeoDecision::Deny(None),
            };
        };
        if self.list.contains(&cc) == self.allow_list {
            GeoDecision::Allow
        } else {
            GeoDecision::Deny(Some(cc))
        }
    }
}

#[cfg(test)]
mod tests;
