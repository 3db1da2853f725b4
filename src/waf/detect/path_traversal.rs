//! Directory traversal: `../` steps after every encoding (double URL
//! encoding, overlong UTF-8, `%u`, backslashes, `..;/`, doubled dots,
//! Unicode slashes), judged by how many steps there are and where they lead.

use super::file_inclusion::sensitive_file;
use super::norm::Norm;
use super::{Finding, InputContext, Level};

/// Folds the separators and tricks a server would treat as `/` or `..`.
pub fn fold_path(s: &str) -> String {
    const FOLDED: [char; 6] = [
        '\\', '\u{2215}', '\u{2044}', '\u{29f5}', '\u{29f8}', '\u{2024}',
    ];
    // The character map below is the identity without these characters.
    let mut t: String = if s.contains(FOLDED) {
        s.chars()
            .map(|c| match c {
                '\\' | '\u{2215}' | '\u{2044}' | '\u{29f5}' | '\u{29f8}' => '/',
                '\u{2024}' => '.',
                _ => c,
            })
            .collect()
    } else {
        s.to_string()
    };
    // Both patterns contain `;/`: without it neither replacement applies.
    if t.contains(";/") {
        t = t.replace("..;/", "../").replace(";/", "/");
    }
    while t.contains("/./") {
        t = t.replace("/./", "/");
    }
    t
}

/// Counts `..` steps (a run of two or more dots followed by a slash).
pub fn traversal_steps(t: &str) -> usize {
    let b = t.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i + 2 < b.len() + 1 {
        if b[i] == b'.' && b.get(i + 1) == Some(&b'.') {
            let mut j = i;
            while b.get(j) == Some(&b'.') {
                j += 1;
            }
            let before_ok =
                i == 0 || matches!(b[i - 1], b'/' | b'=' | b'"' | b'\'' | b' ' | b':' | b'.');
            if before_ok && (b.get(j) == Some(&b'/') || j == b.len()) {
                n += 1;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    n
}

/// Detects directory traversal in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    // A `..` step in the folded text needs two adjacent dots (`.` or U+2024,
    // which folds to `.`) in the value: folding only ever maps those to `.`,
    // and its removals (`;` before `/`, `./` after `/`) leave a `/` between
    // the characters around them, so they never bring two dots together.
    if !n.lower.contains("..") && !n.lower.contains('\u{2024}') {
        return None;
    }
    let t = fold_path(&n.lower);
    let steps = traversal_steps(&t);
    if steps == 0 {
        return None;
    }
    let after = &t[t.rfind("../").map(|p| p + 3).unwrap_or(0)..];
    let hidden = after.starts_with('.') && after.len() > 1 && !after.starts_with("..");
    let back = n.lower.trim_start().starts_with("..\\") || n.lower.contains("..;/");
    let target = sensitive_file(after).is_some() || sensitive_file(&t).is_some() || hidden || back;
    let level = if target || steps >= 3 || steps >= 2 && ctx != InputContext::Referer {
        Level::Pl1
    } else {
        Level::Pl2
    };
    Some(Finding::new(level, "directory traversal", &t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::QueryValue).map(|f| f.level)
    }

    #[test]
    fn catches_traversal() {
        for s in [
            "../../../../etc/hosts",
            "..%252f..%252f..%252fboot.ini",
            "..%c0%af..%c0%afetc%c0%afgroup",
            "..\\..\\..\\windows\\win.ini",
            "....//....//var/log/auth.log",
            "/static/..;/..;/admin",
            "%u002e%u002e%u2215%u002e%u002e%u2215x",
            "../.ssh/id_rsa",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_benign() {
        for s in [
            "wait...",
            "version 1.2.3",
            "../images/logo.png",
            "see p. 10.. and more",
            "a/b/c.txt",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn early_exit_keeps_folded_dots() {
        for s in [
            "\u{2024}\u{2024}/\u{2024}\u{2024}/\u{2024}\u{2024}/etc/hosts",
            ".\u{2024}/.\u{2024}/srv/app/config",
            "..;/..;/..;/internal",
            "..\\..\\..\\inetpub\\logs",
            "x/%2e%2e/%2e%2e/%2e%2e/etc/motd",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
        for s in ["a.b/c.d", "./x/./y", "/./;/./", ".\\./"] {
            assert_eq!(
                detect(&Norm::new(s), InputContext::QueryValue).is_some(),
                traversal_steps(&fold_path(s)) > 0,
                "{s}"
            );
        }
        assert_eq!(fold_path("a\\b;/c/./d"), "a/b/c/d");
        assert_eq!(fold_path("plain text"), "plain text");
        assert_eq!(fold_path("x;y"), "x;y");
    }
}
