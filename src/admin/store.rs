//! What the admin API writes to disk, under `admin.state_dir` (0700):
//!
//! ```text
//! state.json      runtime IP blocks and drained servers (restored at start)
//! audit.log       one JSON line per change: who, from where, when, what
//! backups/        the config file as it was before each `PUT config`
//! jwt.key         the token signing key (0600), unless admin.jwt_key_file says otherwise
//! ```
//!
//! Files are replaced atomically (temporary file, fsync, rename) with mode
//! 0600; changes are serialised by one async lock so two concurrent writers
//! never interleave.

use crate::access::ip::prefix::EntryKind;
use crate::snapshot::Shared;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Creates `dir` (and parents) with mode 0700 if missing.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// A runtime block.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Block {
    /// Address or CIDR.
    pub net: String,
    /// Expiry (Unix seconds); `None`: until removed.
    pub until: Option<i64>,
    /// Why.
    pub reason: String,
    /// Who added it.
    pub by: String,
}

/// A drained server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Drain {
    /// Pool name.
    pub pool: String,
    /// Server address.
    pub server: SocketAddr,
}

/// The runtime state that survives restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// IP blocks.
    #[serde(default)]
    pub blocks: Vec<Block>,
    /// Drained servers.
    #[serde(default)]
    pub drains: Vec<Drain>,
}

impl State {
    /// Drops the blocks that have expired at `now` (Unix seconds).
    fn drop_expired(&mut self, now: i64) {
        self.blocks.retain(|b| b.until.is_none_or(|u| u > now));
    }
}

/// One audit record.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    /// RFC 3339 time.
    pub time: String,
    /// User or token name.
    pub actor: &'a str,
    /// Client address.
    pub client: String,
    /// What was done (`waf.block-ip`, `config.apply`, ...).
    pub action: &'a str,
    /// What it was done to.
    pub target: String,
    /// `ok` or the error.
    pub result: String,
    /// The state before, where small.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub before: serde_json::Value,
    /// The state after, where small.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub after: serde_json::Value,
}

/// The admin state folder.
pub struct Store {
    dir: PathBuf,
    state: tokio::sync::Mutex<State>,
    /// Serialises config and rule-file applies.
    pub apply: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.dir.display())
    }
}

impl Store {
    /// Opens (creating) the folder and reads `state.json`.
    pub fn open(dir: &Path) -> std::io::Result<Store> {
        ensure_private_dir(dir)?;
        let path = dir.join("state.json");
        let state = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| {
                std::io::Error::other(format!("{}: not a state file: {e}", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e),
        };
        Ok(Store {
            dir: dir.to_path_buf(),
            state: tokio::sync::Mutex::new(state),
            apply: tokio::sync::Mutex::new(()),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Applies the stored blocks (those not expired) and drains to the
    /// running server; returns how many of each.
    pub async fn restore(&self, shared: &Shared) -> (usize, usize) {
        let mut st = self.state.lock().await;
        let now = crate::tls::unix_now();
        st.drop_expired(now);
        let lists = shared.load().access.gate.lists.clone();
        for b in &st.blocks {
            if let Ok(net) = b.net.parse::<IpNet>() {
                let ttl = b
                    .until
                    .map(|u| Duration::from_secs((u - now).max(1) as u64));
                lists.add(net, EntryKind::Deny, ttl, &b.reason);
            }
        }
        for d in &st.drains {
            shared.drains.set(&d.pool, d.server, true);
        }
        (st.blocks.len(), st.drains.len())
    }

    /// A copy of the state, without expired blocks.
    pub async fn state(&self) -> State {
        let mut st = self.state.lock().await.clone();
        st.drop_expired(crate::tls::unix_now());
        st
    }

    /// Changes the state and writes it; on a write error the change is undone.
    pub async fn update<T>(&self, change: impl FnOnce(&mut State) -> T) -> std::io::Result<T> {
        let mut st = self.state.lock().await;
        let mut next = st.clone();
        let out = change(&mut next);
        next.drop_expired(crate::tls::unix_now());
        let body = serde_json::to_vec_pretty(&next).map_err(std::io::Error::other)?;
        crate::acme::storage::write_atomic(&self.dir.join("state.json"), &body)?;
        *st = next;
        Ok(out)
    }

    /// Appends an audit record (and logs it).
    pub fn audit(&self, rec: &AuditRecord<'_>) {
        let line = serde_json::to_string(rec).unwrap_or_default();
        log::info!("admin audit: {line}");
        let path = self.dir.join("audit.log");
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = written {
            log::error!(
                "admin: cannot write the audit record to {}: {e}",
                path.display()
            );
        }
    }

    /// Saves a copy of `file` under `backups/` with a timestamp; returns its path.
    pub fn backup(&self, file: &Path) -> std::io::Result<PathBuf> {
        let dir = self.dir.join("backups");
        ensure_private_dir(&dir)?;
        let stamp = crate::tls::status::rfc3339(crate::tls::unix_now()).replace(':', "");
        let name = file
            .file_name()
            .map_or_else(|| "config".into(), |n| n.to_string_lossy().to_string());
        let mut path = dir.join(format!("{name}.{stamp}"));
        let mut n = 1;
        while path.exists() {
            path = dir.join(format!("{name}.{stamp}.{n}"));
            n += 1;
        }
        let bytes = std::fs::read(file)?;
        crate::acme::storage::write_atomic(&path, &bytes)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn state_round_trips_privately() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("admin");
        let s = Store::open(&dir).unwrap();
        s.update(|st| {
            st.blocks.push(Block {
                net: "10.0.0.0/8".into(),
                until: None,
                reason: "r".into(),
                by: "ops".into(),
            });
            st.blocks.push(Block {
                net: "10.0.0.9/32".into(),
                until: Some(1),
                reason: "expired".into(),
                by: "ops".into(),
            });
        })
        .await
        .unwrap();
        let mode = std::fs::metadata(dir.join("state.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let again = Store::open(&dir).unwrap();
        let st = again.state().await;
        assert_eq!(st.blocks.len(), 1);
        assert_eq!(st.blocks[0].net, "10.0.0.0/8");
    }
}
