//! Local and remote file inclusion: sensitive system files named by path,
//! stream wrappers (`php://`, `file://`, `expect://`, `zip://`, `phar://`,
//! `data://`...), and remote URLs shaped like an include (an IP host, a
//! trailing `?` or NUL that cuts off the suffix the application appends).

use super::norm::Norm;
use super::path_traversal::fold_path;
use super::{Finding, InputContext, Level, Signal};

const FILES: &[&str] = &[
    "etc/passwd",
    "etc/shadow",
    "etc/group",
    "etc/hosts",
    "etc/issue",
    "etc/hostname",
    "etc/motd",
    "etc/crontab",
    "etc/sudoers",
    "etc/ssh/",
    "etc/security/",
    "etc/mysql/",
    "etc/apache2/",
    "etc/httpd/",
    "etc/nginx/",
    "etc/profile",
    "etc/fstab",
    "etc/resolv.conf",
    "etc/environment",
    "proc/self/",
    "proc/version",
    "proc/cpuinfo",
    "proc/meminfo",
    "proc/net/",
    "proc/sched_debug",
    "win.ini",
    "boot.ini",
    "system.ini",
    "windows/system32",
    "winnt/system32",
    "system32/drivers/etc",
    "system32/config/",
    ".htpasswd",
    ".htaccess",
    "web.config",
    "wp-config.php",
    ".bash_history",
    ".ssh/id_rsa",
    ".ssh/id_dsa",
    "authorized_keys",
    "var/log/",
    ".aws/credentials",
    ".git/config",
    ".git/head",
    ".svn/entries",
    "etc/php",
    "php.ini",
    "my.cnf",
    ".env",
    "inetpub/",
    "applicationhost.config",
    "var/run/secrets",
    "usr/local/etc/",
    ".docker/config.json",
    "web-inf/",
    "meta-inf/",
    "etc/subuid",
    "etc/subgid",
    ".kube/config",
    "id_rsa",
    "shadow.bak",
];

const WRAPPERS: &[&str] = &[
    "php://",
    "file://",
    "file:/",
    "expect://",
    "zip://",
    "phar://",
    "glob://",
    "compress.zlib://",
    "compress.bzip2://",
    "ogg://",
    "rar://",
    "ssh2.shell://",
    "ssh2.exec://",
    "jar:file:",
    "netdoc:/",
    "data://text/plain",
    "ssh2.sftp://",
    "ssh2.scp://",
    "ssh2.tunnel://",
    "data:text/plain;base64",
];

/// The sensitive file a path names, if any (must start at a path boundary).
pub fn sensitive_file(t: &str) -> Option<&'static str> {
    static M: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    let any = M.get_or_init(|| aho_corasick::AhoCorasick::new(FILES).expect("static patterns"));
    // One pass: no name occurs at all in most values.
    if !any.is_match(t) {
        return None;
    }
    FILES.iter().copied().find(|f| {
        t.match_indices(f).any(|(i, _)| {
            let before_ok = i == 0 || f.starts_with(['/', '.']) || t.as_bytes()[i - 1] == b'/';
            let end = i + f.len();
            let after_ok = f.ends_with('/')
                || end == t.len()
                || !(t.as_bytes()[end].is_ascii_alphanumeric()
                    || *f == ".env" && t.as_bytes()[end] == b'.');
            before_ok && after_ok
        })
    })
}

/// Detects file inclusion in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    let t = fold_path(&n.lower);
    let r = wrapper(&t)
        .or_else(|| hidden_dir(&t, ctx))
        .or_else(|| local(&t, ctx))
        .or_else(|| globbed(&t))
        .or_else(|| unc(&t))
        .or_else(|| remote(&t, ctx));
    r.map(|sig| sig.finding(&t))
}

/// A request path into a hidden (dot) directory, other than `.well-known`.
fn hidden_dir(t: &str, ctx: InputContext) -> Option<Signal> {
    if ctx != InputContext::Path {
        return None;
    }
    let segs: Vec<&str> = t.split('/').collect();
    let dirs = &segs[..segs.len().saturating_sub(1)];
    let hidden = dirs.iter().any(|seg| {
        seg.len() > 1 && seg.starts_with('.') && !seg.starts_with("..") && *seg != ".well-known"
    });
    hidden.then_some(Signal::new(
        Level::Pl1,
        "hidden file or directory in the path",
    ))
}

/// Shell globs that name a sensitive file (`/e?c/pa[s]swd`, `/etc/[!q]asswd`).
fn globbed(t: &str) -> Option<Signal> {
    const TARGETS: &[&str] = &[
        "/etc/passwd",
        "/etc/shadow",
        "/etc/group",
        "/etc/hosts",
        "/etc/issue",
        "/bin/sh",
        "/bin/bash",
        "/proc/self/environ",
        "/bin/cat",
        "/usr/bin/id",
    ];
    if !t.contains(['?', '*', '[']) {
        return None;
    }
    let hit = t
        .split(|c: char| c.is_whitespace() || c == '=' || c == ';' || c == '|')
        .any(|w| {
            w.starts_with('/')
                && w.contains(['?', '*', '['])
                && TARGETS
                    .iter()
                    .any(|f| super::glob::glob(w.as_bytes(), f.as_bytes()))
        });
    hit.then_some(Signal::new(Level::Pl1, "globbed path to a sensitive file"))
}

/// A UNC path to an administrative share (`//host/c$/...`).
fn unc(t: &str) -> Option<Signal> {
    // Every share name below ends in `$`.
    if !t.contains('$') {
        return None;
    }
    let admin = t.contains("/c$") || t.contains("/admin$") || t.contains("/ipc$");
    (t.trim_start().starts_with("//") && admin).then_some(Signal::new(
        Level::Pl1,
        "UNC path to an administrative share",
    ))
}

fn wrapper(t: &str) -> Option<Signal> {
    // `data:` and every name in `WRAPPERS` contain a colon.
    if !t.contains(':') {
        return None;
    }
    if t.trim_start().starts_with("data:text/") || t.trim_start().starts_with("data:application/") {
        return Some(Signal::new(Level::Pl1, "data: URI as a resource"));
    }
    let w = WRAPPERS.iter().find(|w| t.contains(*w))?;
    let pos = t.find(w).unwrap_or(0);
    let before_ok = pos == 0 || !t.as_bytes()[pos - 1].is_ascii_alphanumeric();
    before_ok.then_some(Signal::new(Level::Pl1, "stream wrapper"))
}

fn local(t: &str, ctx: InputContext) -> Option<Signal> {
    let f = sensitive_file(t)?;
    let absolute = t.trim_start().starts_with(['/', '~'])
        || t.contains(":/")
        || t.contains("../")
        || t.contains(&format!("/{}", f.trim_start_matches('/')));
    let dotfile = f.starts_with('.') || f == "id_rsa";
    if absolute || dotfile || ctx == InputContext::Path {
        return Some(Signal::new(Level::Pl1, "sensitive file"));
    }
    Some(Signal::new(Level::Pl2, "sensitive file name"))
}

fn remote(t: &str, ctx: InputContext) -> Option<Signal> {
    if ctx == InputContext::Path || ctx == InputContext::Referer || ctx.is_header() {
        return None;
    }
    let v = t.trim();
    let scheme_end = v.find("://")?;
    if !matches!(&v[..scheme_end], "http" | "https" | "ftp" | "ftps" | "smb") {
        return None;
    }
    let rest = &v[scheme_end + 3..];
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or("");
    let ip_host = !host.is_empty() && host.chars().all(|c| c.is_ascii_digit() || c == '.');
    let truncated = v.ends_with('?') || v.ends_with("?#");
    let file = rest.split(['?', '#']).next().unwrap_or("");
    let script = [".txt", ".php", ".sh", ".jsp", ".asp"]
        .iter()
        .any(|e| file.ends_with(e))
        && (truncated || ip_host);
    if truncated || script || ctx != InputContext::Header && ip_host && host.split('.').count() == 4
    {
        return Some(Signal::new(Level::Pl1, "remote file include"));
    }
    Some(Signal::new(Level::Pl3, "URL in a parameter"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::QueryValue).map(|f| f.level)
    }

    #[test]
    fn catches_inclusion() {
        for s in [
            "/etc/shadow",
            "php://filter/convert.base64-encode/resource=index",
            "expect://ls",
            "http://203.0.113.9/shell.txt?",
            "file:///c:/windows/win.ini",
            "/proc/self/environ",
            "c:\\boot.ini",
            "zip://upload/a.zip#x.php",
            "https://evil.example/inc?",
            "cat /e[t]c/pa??wd",
            "data:text/plain;charset=utf-8,hi",
            "/etc/[!q]roup",
            "\\\\10.0.0.1\\c$\\windows",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_benign() {
        for s in [
            "my password file",
            "https://example.com/page?x=1",
            "/home/user/docs/readme.txt",
            "environment variables",
            "hosts file explained",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    /// Found by `fuzz/run` (detect and engine targets): many stars made the
    /// recursive matcher exponential; 14 took 27 s, 40 would take years.
    /// The linear matcher (`detect::glob`) answers at once.
    #[test]
    fn many_stars_finish() {
        let value = format!("/{}q", "*".repeat(4000));
        assert_eq!(lvl(&value), None);
        let spaced = format!("/{}", "*a".repeat(2000));
        assert_eq!(lvl(&spaced), None);
        assert!(lvl(&format!("/e{}tc/passw?", "*".repeat(500))).is_some());
    }

    #[test]
    fn guards_keep_wrappers_and_shares() {
        for s in [
            "php://filter/read=string.rot13/resource=conf",
            "expect://uname",
            "data:text/plain,hi",
            "DATA:application/x-thing,1",
            "compress.zlib:///srv/data.gz",
            "//files01/admin$/backup",
            "\\\\files01\\c$\\temp",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }
}
