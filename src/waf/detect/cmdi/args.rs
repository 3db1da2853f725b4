//! Argument shapes after a command word: options (`-x`, `--name`), system
//! paths, shell-only arguments, and the shapes of a whole command line.

/// The arguments after the first one.
pub(super) fn after_first(arg: &str) -> &str {
    let a = arg.trim_start();
    a.find(char::is_whitespace)
        .map(|p| a[p..].trim_start())
        .unwrap_or("")
}

/// `--name`: a GNU long option.
pub(super) fn long_flag(arg: &str) -> bool {
    arg.split_whitespace()
        .next()
        .and_then(|a| a.strip_prefix("--"))
        .is_some_and(|r| r.len() >= 2 && r.starts_with(|c: char| c.is_ascii_lowercase()))
}

/// A `-x` option among the first `n` arguments, before any shell separator.
pub(super) fn flag_within(arg: &str, n: usize) -> bool {
    arg.split(['|', ';', '&', '\n'])
        .next()
        .unwrap_or("")
        .split_whitespace()
        .take(n)
        .any(|a| {
            a.len() >= 2
                && a.len() <= 24
                && a.starts_with('-')
                && a[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
                && a[1..].starts_with(|c: char| c.is_ascii_alphabetic())
        })
}

/// `/etc/passwd`, `/?tc/pa?swd`: an absolute path into the system, or a
/// globbed one.
pub(super) fn system_path_arg(arg: &str) -> bool {
    let a = arg.split_whitespace().next().unwrap_or("");
    a.starts_with('/')
        && (a.matches('/').count() >= 2
            && a[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '?' || c == '*')
            || a.contains(['?', '*']))
}

/// `cmd args\n`: a single line ended by a newline, as a shell reads it.
pub(super) fn one_line_command(rest: &str) -> bool {
    let body = rest.trim_end_matches(['\n', '\r']);
    rest.len() > body.len() && !body.contains(['\n', '\r']) && body.split_whitespace().count() <= 6
}

/// A command-shaped word alone (`;lastlog`, `|'rmt' --version`).
pub(super) fn lone_word(rest: &str) -> bool {
    let t = rest.trim();
    let w = t
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(['\'', '"']);
    let tail = t.split_whitespace().skip(1).collect::<Vec<_>>();
    (2..=20).contains(&w.len())
        && w.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && tail.len() <= 3
}

/// `word -flag ...`: the shape of a command line, whatever the binary.
pub(super) fn flag_shape(rest: &str) -> bool {
    let mut w = rest.split_whitespace();
    let cmd = w.next().unwrap_or("");
    let arg = w.next().unwrap_or("");
    (2..=20).contains(&cmd.len())
        && cmd
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && arg.len() >= 2
        && arg.starts_with('-')
        && arg[1..].starts_with(|c: char| c.is_ascii_alphabetic())
}

pub(super) fn arg_plain(arg: &str) -> bool {
    arg.split_whitespace().next().is_some_and(|w| w.len() <= 24)
        && arg.split_whitespace().take(4).count() <= 3
}

pub(super) fn shelly_arg(arg: &str, name: &str) -> bool {
    let a = arg.split_whitespace().next().unwrap_or("");
    if a.is_empty() {
        return false;
    }
    let first = a.chars().next().unwrap_or(' ');
    if "-/~$%\\>".contains(first) && a.len() > 1 || a.starts_with("./") || a.starts_with("../") {
        return true;
    }
    // `if=/etc/passwd`: a key set to an absolute path (dd, find -name=...).
    if a.split_once('=').is_some_and(|(k, v)| {
        !k.is_empty() && k.chars().all(|c| c.is_ascii_alphabetic()) && v.starts_with('/')
    }) {
        return true;
    }
    if a.len() > 2 && a.as_bytes()[1] == b':' && a.as_bytes()[2] == b'\\' {
        return true;
    }
    let netty = matches!(
        name,
        "ping" | "host" | "dig" | "nslookup" | "curl" | "wget" | "nc" | "telnet" | "whois"
    );
    if netty && a.contains('.') {
        return true;
    }
    matches!(name, "sleep" | "timeout" | "ping") && a.chars().all(|c| c.is_ascii_digit())
}
