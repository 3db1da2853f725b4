//! Shell syntax for the command detector: undoing quoting and expansion
//! tricks, and shapes that only a shell would read (download cradles,
//! `$((...))`, `${x#y}`, cmd.exe `for`/`if`, redirections into system paths).

/// Quoting or expansion tricks inside a word: only an evasion needs them.
pub(super) fn obfuscated(s: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = R.get_or_init(|| {
        regex::Regex::new(r#"[a-z](?:''|""|\\|\$\(\)|\$_|\$@|``|\^)[a-z]|\$\{?ifs\b"#)
            .expect("static regex")
    });
    re.is_match(s)
}

/// Removes the quoting and expansion tricks that do not change what runs.
pub fn deobfuscate(s: &str) -> String {
    let mut t = s
        .replace("''", "")
        .replace("\"\"", "")
        .replace("$@", "")
        .replace("$*", "");
    for empty in ["$()", "``", "$_"] {
        t = t.replace(empty, "");
    }
    for ifs in ["${ifs}", "$ifs$9", "$ifs"] {
        t = t.replace(ifs, " ");
    }
    t = strip_unknown_vars(&t);
    let b: Vec<char> = t.chars().collect();
    let mut out = String::with_capacity(t.len());
    for (i, &c) in b.iter().enumerate() {
        let prev_alpha = i > 0 && b[i - 1].is_ascii_alphanumeric();
        let next_alpha = b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic());
        if c == '\\' && prev_alpha && next_alpha {
            continue;
        }
        if c == '^' && prev_alpha && next_alpha {
            continue;
        }
        out.push(if c == '{' || c == '}' || c == ',' && in_brace(&b, i) {
            ' '
        } else {
            c
        });
    }
    out
}

fn in_brace(b: &[char], i: usize) -> bool {
    let open = b[..i].iter().rposition(|&c| c == '{');
    let close = b[..i].iter().rposition(|&c| c == '}');
    matches!((open, close), (Some(o), c) if c.is_none_or(|c| c < o))
}

/// `${x}` and `$x` that are not shell specials expand to nothing in an attack.
fn strip_unknown_vars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find("${") {
        out.push_str(&rest[..p]);
        match rest[p..].find('}') {
            Some(e)
                if e < 40
                    && rest[p + 2..p + e]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                rest = &rest[p + e + 1..]
            }
            _ => {
                out.push_str("${");
                rest = &rest[p + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub(super) fn special(s: &str) -> Option<(u8, &'static str)> {
    const STRONG: &[&str] = &[
        "/dev/tcp/",
        "/dev/udp/",
        "cmd.exe /c",
        "cmd /c",
        "cmd.exe /k",
        "%comspec%",
        "-encodedcommand",
        "invoke-expression",
        "downloadstring(",
        "downloadfile(",
        "invoke-webrequest",
        "new-object net.webclient",
        "iex(",
        "start-process",
        "certutil -urlcache",
        "bitsadmin /transfer",
        "nc -e",
        "ncat -e",
        "bash -i",
        "sh -i",
        "/bin/sh",
        "/bin/bash",
        "/usr/bin/id",
        "/bin/cat",
        "$(whoami)",
        "mkfifo /tmp",
    ];
    if STRONG.iter().any(|p| s.contains(p)) {
        return Some((1, "shell or download cradle"));
    }
    if redirect_re().is_match(s) {
        return Some((1, "redirection into a system directory"));
    }
    expansion_re()
        .is_match(s)
        .then_some((1, "shell expansion or cmd loop"))
}

fn redirect_re() -> &'static regex::Regex {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        regex::Regex::new(r"(?:^|[\s;|&])[12]?>>?\s*/(?:tmp|dev/shm|var/tmp|etc|var/www)/")
            .expect("static regex")
    })
}

fn expansion_re() -> &'static regex::Regex {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        regex::Regex::new(r"\$\(\(|\$\{[^}]{0,40}(?:[#%^,]|:[-=?+]|\$\(|`)|\$\[[^\]]*\]|\bfor\s+(?:/[dflr]\s+(?:\S+\s+)*)?%%?[a-z]\s+in\s*\(.*\)\s*do\b|\biex\s*\(|\bif\s+(?:/i\s+)?(?:not\s+)?(?:exist|defined|errorlevel)\s|\bif\s+\S+\s+(?:equ|neq|lss|leq|gtr|geq)\s|\bif\s+(?:/i\s+)?(?:not\s+)?\S+\s*==\s*\S+\s+\w|\bfor\s+.{0,40}%%?\S+\s+in\s*\(.*\)\s*do\b|[\w:]+\(\)\s*\{[^}]*\|[^}]*&\s*\}|\biwr\s+\S|\b(?:invoke-expression|invoke-webrequest)\b")
            .expect("static regex")
    })
}
