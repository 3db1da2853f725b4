//! The ACME service's state on disk, under `acme.storage`:
//!
//! ```text
//! accounts/HOST.json        account credentials per directory host (0600)
//! certificates/NAME.pem     private key + chain of one certificate (0600)
//! status.json               last attempt, result and error per certificate
//! renew/NAME                a renewal asked for by `rampart cert renew NAME`
//! ```
//!
//! Every file is written atomically (temporary file in the same folder,
//! fsync, rename, fsync of the folder) with mode 0600; folders are 0700.
//! A crash mid-write leaves the old file, never half a key.

use crate::tls::{CertSource, Certificate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What happened to one certificate, kept across restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CertRecord {
    /// Last order attempt, seconds since the epoch.
    pub last_attempt: Option<i64>,
    /// Last successful order.
    pub last_success: Option<i64>,
    /// The last attempt's error (`None` after a success).
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub failures: u32,
    /// When the next attempt is due, seconds since the epoch.
    pub next_attempt: Option<i64>,
}

/// The storage folder.
#[derive(Debug, Clone)]
pub struct Storage {
    dir: PathBuf,
}

impl Storage {
    /// The storage at `dir` (nothing is created until [`Storage::ensure`]).
    pub fn new(dir: &Path) -> Storage {
        Storage {
            dir: dir.to_path_buf(),
        }
    }

    /// Creates the folders (0700).
    pub fn ensure(&self) -> std::io::Result<()> {
        for d in [
            self.dir.clone(),
            self.dir.join("accounts"),
            self.dir.join("certificates"),
            self.dir.join("renew"),
        ] {
            fs::create_dir_all(&d)?;
            fs::set_permissions(&d, fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }

    /// Where the account for `directory` (a URL) is kept.
    pub fn account_path(&self, directory: &str) -> PathBuf {
        let host = directory
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.authority().map(|a| a.to_string()))
            .unwrap_or_else(|| "default".into());
        self.dir
            .join("accounts")
            .join(format!("{}.json", file_name(&host)))
    }

    /// The certificate file of `id`.
    pub fn cert_path(&self, id: &str) -> PathBuf {
        self.dir
            .join("certificates")
            .join(format!("{}.pem", file_name(id)))
    }

    /// The stored certificate `id`, when there is a readable one.
    pub fn load_cert(&self, id: &str) -> Result<Option<Certificate>, String> {
        let path = self.cert_path(id);
        let pem = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Certificate::from_pem(&pem, &pem, CertSource::Acme)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Stores a certificate: its key, then its chain, in one file.
    pub fn save_cert(&self, id: &str, chain_pem: &str, key_pem: &str) -> std::io::Result<()> {
        let mut body = key_pem.trim_end().to_string();
        body.push('\n');
        body.push_str(chain_pem.trim_end());
        body.push('\n');
        write_atomic(&self.cert_path(id), body.as_bytes())
    }

    /// Every certificate's record.
    pub fn records(&self) -> BTreeMap<String, CertRecord> {
        fs::read(self.dir.join("status.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Replaces every certificate's record.
    pub fn save_records(&self, r: &BTreeMap<String, CertRecord>) -> std::io::Result<()> {
        let body = serde_json::to_vec_pretty(r).map_err(std::io::Error::other)?;
        write_atomic(&self.dir.join("status.json"), &body)
    }

    /// Asks the running server to renew `id` (the file is the request).
    pub fn request_renewal(&self, id: &str) -> std::io::Result<()> {
        write_atomic(
            &self.dir.join("renew").join(file_name(id)),
            format!("{}\n", crate::tls::unix_now()).as_bytes(),
        )
    }

    /// Takes the pending renewal requests (their files are removed).
    pub fn take_renewals(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(self.dir.join("renew")) else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if fs::remove_file(e.path()).is_ok() {
                ids.push(name);
            }
        }
        ids
    }
}

/// A name safe as one path component.
fn file_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

/// Writes `path` atomically with mode 0600: a temporary file beside it,
/// fsync, rename over `path`, fsync of the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().to_string());
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{:x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_are_private_and_replace() {
        let d = tempfile::tempdir().unwrap();
        let s = Storage::new(&d.path().join("acme"));
        s.ensure().unwrap();
        let mode = fs::metadata(d.path().join("acme"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        let p = d.path().join("acme/status.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(d.path().join("acme"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            names.iter().all(|n| !n.to_string_lossy().contains(".tmp")),
            "{names:?}"
        );
    }

    #[test]
    fn records_and_renewal_requests_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let s = Storage::new(d.path());
        s.ensure().unwrap();
        assert!(s.records().is_empty());
        let mut r = BTreeMap::new();
        r.insert(
            "a.test".to_string(),
            CertRecord {
                last_attempt: Some(5),
                last_error: Some("boom".into()),
                failures: 2,
                ..CertRecord::default()
            },
        );
        s.save_records(&r).unwrap();
        assert_eq!(s.records(), r);
        s.request_renewal("a.test").unwrap();
        s.request_renewal("_.wild.test").unwrap();
        let mut got = s.take_renewals();
        got.sort();
        assert_eq!(got, ["_.wild.test", "a.test"]);
        assert!(s.take_renewals().is_empty());
    }

    #[test]
    fn names_stay_inside_the_folder() {
        assert_eq!(file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(file_name("_.example.com"), "_.example.com");
        let s = Storage::new(Path::new("/x"));
        assert_eq!(
            s.account_path("https://127.0.0.1:14000/dir"),
            Path::new("/x/accounts/127.0.0.1_14000.json")
        );
    }
}
