//! IP allow and deny lists: static entries from config and list files, plus
//! runtime entries with expiry and reason (the admin API adds them). Lookups
//! are lock-free: one `ArcSwap` load and a few hash probes. Writers publish a
//! new snapshot (copy-on-write); runtime additions go to a small delta table
//! that is merged into the large base table once it grows past
//! [`DELTA_MAX`], so adding one entry to a million costs O(delta).

use crate::access::clock::SharedClock;
use crate::access::ip::prefix::{EntryKind, Hit, Rule, Table};
use arc_swap::ArcSwap;
use ipnet::IpNet;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Delta size at which runtime additions are merged into the base table.
pub const DELTA_MAX: usize = 4096;

/// The YAML of the IP lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpListConfig {
    /// Allowed addresses and CIDRs.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Denied addresses and CIDRs.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Files of allowed entries (one per line, `#` comments).
    #[serde(default)]
    pub allow_files: Vec<PathBuf>,
    /// Files of denied entries.
    #[serde(default)]
    pub deny_files: Vec<PathBuf>,
    /// Allowed clients skip the WAF.
    #[serde(default)]
    pub allow_skips_waf: bool,
}

/// Errors loading the lists.
#[derive(Debug, thiserror::Error)]
pub enum IpListError {
    /// An entry is not an IP address or CIDR.
    #[error("{origin}:{line}: {entry:?} is not an IP address or CIDR")]
    BadEntry {
        /// File name, or `config allow` / `config deny`.
        origin: String,
        /// 1-based line (or list index) of the entry.
        line: usize,
        /// The entry as written.
        entry: String,
    },
    /// A list file could not be read.
    #[error("cannot read IP list {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What the lists say about a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed by an allow entry.
    Allow {
        /// Skip WAF inspection.
        skip_waf: bool,
    },
    /// Denied by a deny entry.
    Deny {
        /// The entry's reason.
        reason: Arc<str>,
    },
    /// No entry matches.
    None,
}

/// A runtime entry as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeEntry {
    /// The network.
    pub net: IpNet,
    /// Allow or deny.
    pub kind: EntryKind,
    /// Expiry in clock microseconds (`None`: never).
    pub expires_micros: Option<u64>,
    /// The reason given.
    pub reason: Arc<str>,
}

/// Parses one entry: an address (`1.2.3.4`, `::1`) or a CIDR (`10.0.0.0/8`).
/// Host bits of a CIDR are cleared.
pub fn parse_entry(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Some(net.trunc());
    }
    s.parse::<IpAddr>().ok().map(IpNet::from)
}

/// Parses a list file's text: one entry per line, `#` starts a comment,
/// blank lines are skipped. `origin` names the source in errors.
pub fn parse_list(text: &str, origin: &str) -> Result<Vec<IpNet>, IpListError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        out.push(parse_entry(entry).ok_or_else(|| IpListError::BadEntry {
            origin: origin.to_string(),
            line: i + 1,
            entry: entry.to_string(),
        })?);
    }
    Ok(out)
}

fn read_list(path: &Path) -> Result<Vec<IpNet>, IpListError> {
    let text = std::fs::read_to_string(path).map_err(|source| IpListError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_list(&text, &path.display().to_string())
}

impl IpListConfig {
    /// Reads the files and builds the static table.
    pub fn build(&self) -> Result<Table, IpListError> {
        let mut table = Table::default();
        let allow = EntryKind::Allow {
            skip_waf: self.allow_skips_waf,
        };
        let sources = [
            (EntryKind::Deny, &self.deny, &self.deny_files, "deny"),
            (allow, &self.allow, &self.allow_files, "allow"),
        ];
        for (kind, inline, files, name) in sources {
            let reason: Arc<str> = format!("config {name} list").into();
            let text = inline.join("\n");
            let mut nets = parse_list(&text, &format!("config {name}"))?;
            for f in files {
                nets.extend(read_list(f)?);
            }
            for net in nets {
                let rule = Rule {
                    expires_micros: u64::MAX,
                    reason: reason.clone(),
                    skip_waf: false,
                };
                table.insert(net, kind, rule);
            }
        }
        Ok(table)
    }
}

#[derive(Debug, Default, Clone)]
struct Snapshot {
    statics: Arc<Table>,
    base: Arc<Table>,
    delta: Arc<Table>,
}

impl Snapshot {
    fn runtime_merged(&self) -> Table {
        let mut t = (*self.base).clone();
        t.merge_from(&self.delta);
        t
    }
}

/// The IP lists: static and runtime entries behind one `ArcSwap`.
pub struct IpLists {
    snap: ArcSwap<Snapshot>,
    clock: SharedClock,
}

impl std::fmt::Debug for IpLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (s, r) = self.len();
        write!(f, "IpLists {{ static: {s}, runtime: {r} }}")
    }
}

fn to_decision(hit: Option<Hit<'_>>) -> Decision {
    match hit {
        Some(h) if h.deny => Decision::Deny {
            reason: h.reason.clone(),
        },
        Some(h) => Decision::Allow {
            skip_waf: h.skip_waf,
        },
        None => Decision::None,
    }
}

impl IpLists {
    /// Empty lists.
    pub fn new(clock: SharedClock) -> Self {
        Self {
            snap: ArcSwap::from_pointee(Snapshot::default()),
            clock,
        }
    }

    /// Lists with the static entries of `cfg`.
    pub fn from_config(cfg: &IpListConfig, clock: SharedClock) -> Result<Self, IpListError> {
        let lists = Self::new(clock);
        lists.reload_static(cfg)?;
        Ok(lists)
    }

    /// Replaces the static entries (config reload); runtime entries stay.
    /// On error nothing changes.
    pub fn reload_static(&self, cfg: &IpListConfig) -> Result<(), IpListError> {
        self.replace_static(cfg.build()?);
        Ok(())
    }

    /// Replaces the static entries with a table built by
    /// [`IpListConfig::build`]; runtime entries stay.
    pub fn replace_static(&self, table: Table) {
        let table = Arc::new(table);
        self.snap.rcu(|s| Snapshot {
            statics: table.clone(),
            ..(**s).clone()
        });
    }

    /// The decision for `ip` now.
    pub fn lookup(&self, ip: IpAddr) -> Decision {
        self.lookup_at(ip, self.clock.now_micros())
    }

    /// The decision for `ip` at clock time `now` (microseconds): the longest
    /// matching live prefix wins, deny beats allow at equal length.
    pub fn lookup_at(&self, ip: IpAddr, now: u64) -> Decision {
        let snap = self.snap.load();
        let mut best: Option<Hit<'_>> = None;
        for table in [&snap.statics, &snap.base, &snap.delta] {
            if let Some(h) = table.lookup(ip, now) {
                if best.as_ref().is_none_or(|b| h.beats(b)) {
                    best = Some(h);
                }
            }
        }
        to_decision(best)
    }

    /// Adds (or replaces) a runtime entry that expires after `ttl` (`None`:
    /// never).
    pub fn add(&self, net: IpNet, kind: EntryKind, ttl: Option<Duration>, reason: &str) {
        self.add_many([(net, kind, ttl, reason)]);
    }

    /// Adds many runtime entries in one publication.
    pub fn add_many<'a, I>(&self, entries: I)
    where
        I: IntoIterator<Item = (IpNet, EntryKind, Option<Duration>, &'a str)>,
    {
        let now = self.clock.now_micros();
        let mut batch = Table::default();
        for (net, kind, ttl, reason) in entries {
            let expires_micros = ttl.map_or(u64::MAX, |t| {
                now.saturating_add(t.as_micros().min(u128::from(u64::MAX)) as u64)
            });
            let reason = reason.into();
            let rule = Rule {
                expires_micros,
                reason,
                skip_waf: false,
            };
            batch.insert(net, kind, rule);
        }
        self.snap.rcu(|s| {
            // An entry that replaces one in the base must not leave the old
            // one behind (its expiry or kind would still apply): merge.
            let mut small = s.delta.len() + batch.len() <= DELTA_MAX;
            if small {
                batch.for_each(|n, k, _| small &= !s.base.contains(n, k));
            }
            if small {
                let mut delta = (*s.delta).clone();
                delta.merge_from(&batch);
                return Snapshot {
                    delta: Arc::new(delta),
                    ..(**s).clone()
                };
            }
            let mut base = (*s.base).clone();
            base.merge_from(&s.delta);
            base.merge_from(&batch);
            Snapshot {
                statics: s.statics.clone(),
                base: Arc::new(base),
                delta: Arc::default(),
            }
        });
    }

    /// Removes the runtime entry of `kind` for `net`; true if one existed.
    pub fn remove(&self, net: IpNet, kind: EntryKind) -> bool {
        let net = crate::access::ip::prefix::canonical_net(net.trunc());
        let deny = kind == EntryKind::Deny;
        let mut removed = false;
        self.snap.rcu(|s| {
            let mut t = s.runtime_merged();
            removed = t.retain(|n, k, _| n != net || (k == EntryKind::Deny) != deny) > 0;
            Snapshot {
                statics: s.statics.clone(),
                base: Arc::new(t),
                delta: Arc::default(),
            }
        });
        removed
    }

    /// Drops expired runtime entries (lookups already ignore them); call it
    /// from a background task. Returns how many were dropped.
    pub fn purge_expired(&self) -> usize {
        self.purge_expired_at(self.clock.now_micros())
    }

    /// [`Self::purge_expired`] at clock time `now`.
    pub fn purge_expired_at(&self, now: u64) -> usize {
        let s = self.snap.load();
        if s.base.min_expiry() > now && s.delta.min_expiry() > now {
            return 0;
        }
        let mut purged = 0;
        self.snap.rcu(|s| {
            let mut t = s.runtime_merged();
            purged = t.retain(|_, _, r| r.expires_micros > now);
            Snapshot {
                statics: s.statics.clone(),
                base: Arc::new(t),
                delta: Arc::default(),
            }
        });
        purged
    }

    /// Every runtime entry (including expired ones not yet purged).
    pub fn runtime_entries(&self) -> Vec<RuntimeEntry> {
        let t = self.snap.load().runtime_merged();
        let mut out = Vec::with_capacity(t.len());
        t.for_each(|net, kind, r| {
            out.push(RuntimeEntry {
                net,
                kind,
                expires_micros: (r.expires_micros != u64::MAX).then_some(r.expires_micros),
                reason: r.reason.clone(),
            })
        });
        out
    }

    /// (static entries, runtime entries).
    pub fn len(&self) -> (usize, usize) {
        let s = self.snap.load();
        (s.statics.len(), s.base.len() + s.delta.len())
    }
}

#[cfg(test)]
mod tests;
