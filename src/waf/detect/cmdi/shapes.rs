//! Command shapes judged apart from the command word's arguments: SQLite
//! shell dot-commands, variables run as commands, wrappers with options,
//! shell expansions alone, and whole-value shapes (aliases, package installs,
//! binaries in a `bin/` directory).

use super::args::flag_within;
use super::names::{is_clear, split_path};
use super::words::ENGLISHY;
use crate::waf::detect::{Level, Signal};

/// Tools that run a command given after their own options
/// (`flock -u / whoami`, `cpulimit -l 50 -f id`).
pub(super) const OPTION_WRAPPERS: &[&str] = &[
    "flock", "cpulimit", "stdbuf", "ionice", "chrt", "setsid", "taskset", "numactl", "unbuffer",
    "firejail", "runuser", "timeout", "sudo", "doas", "nice", "nohup", "env", "strace", "ltrace",
    "xargs", "watch",
];

/// The sqlite3 shell's dot-commands after a statement separator: `.shell`,
/// `.system` and `.sh` then a known binary run it; `.databases`, `.tables`,
/// `.dump` and `.schema` alone list the database. Quotes or a backslash
/// between the dot and the name are read the same by the shell.
pub(super) fn sqlite_dot_command(rest: &str) -> bool {
    let Some(after) = rest.strip_prefix('.') else {
        return false;
    };
    let after = after.trim_start_matches(['\\', '"', '\'']);
    let end = after
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(after.len());
    let (name, tail) = after.split_at(end);
    let arg = tail.trim_start_matches(['\\', '"', '\'', ' ', '\t']);
    let first = arg
        .split(|c: char| c.is_whitespace() || "\\\"';|&".contains(c))
        .next()
        .unwrap_or("");
    match name.to_ascii_lowercase().as_str() {
        "shell" | "system" | "sh" => {
            tail.starts_with([' ', '\t', '\\', '"', '\'']) && is_clear(first)
        }
        "databases" | "tables" | "dump" | "schema" => {
            tail.trim_start_matches([' ', '\t']).is_empty() || tail.starts_with(['\n', '\r', ';'])
        }
        _ => false,
    }
}

/// A value that is nothing but shell expansions: directory-stack entries
/// (`~+2`, `~-1`) or history references (`!-1!-2`).
pub(super) fn expansion_only(s: &str) -> Option<Signal> {
    let b = s.as_bytes();
    let dirstack = b.len() >= 3
        && b.len() <= 5
        && b[0] == b'~'
        && matches!(b[1], b'+' | b'-')
        && b[2..].iter().all(u8::is_ascii_digit);
    let history = b.len() >= 6
        && s.starts_with('!')
        && s.split('!').skip(1).count() >= 2
        && s.split('!').skip(1).all(|p| {
            let p = p.strip_prefix('-').unwrap_or(p);
            !p.is_empty() && p.len() <= 4 && p.bytes().all(|c| c.is_ascii_digit())
        });
    (dirstack || history).then_some(Signal::new(Level::Pl1, "shell expansion alone"))
}

/// `flock -u / whoami`: a wrapper, its options, then a known binary.
pub(super) fn wrapped_command(rest: &str) -> Option<Signal> {
    let mut words = rest.split_whitespace();
    let first = words.next()?;
    if !OPTION_WRAPPERS.contains(&first) {
        return None;
    }
    for w in words.take(6) {
        let (_, name) = split_path(w);
        if is_clear(name) && !ENGLISHY.contains(&name) {
            return Some(Signal::new(Level::Pl1, "command run through a wrapper"));
        }
        // Only the wrapper's options and their values may come between.
        let option = w.starts_with(['-', '+', '/'])
            || w.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',');
        if !option {
            return None;
        }
    }
    None
}

/// `$a -x`: a variable holding a command, run with options.
pub(super) fn var_run(rest: &str) -> bool {
    let Some(r) = rest.strip_prefix('$') else {
        return false;
    };
    let r = r.trim_start_matches('{');
    let name_end = r
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(r.len());
    if name_end == 0 {
        return false;
    }
    let after = r[name_end..].trim_start_matches('}');
    after.starts_with([' ', '\t'])
        && flag_within(after, 1)
        && !after.trim_start()[1..].starts_with(|c: char| c.is_ascii_digit())
}

/// Whole-value shapes that only a shell reads: `alias x=...`, a package-manager install, a binary in a
/// `bin/` directory.
pub(super) fn start_shapes(rest: &str) -> Option<Signal> {
    let mut words = rest.split_whitespace();
    let first = words.next()?;
    let second = words.next().unwrap_or("");
    if first == "alias" {
        let def = rest
            .split_whitespace()
            .skip(1)
            .find(|w| !w.starts_with(['-', '+']))
            .unwrap_or("");
        let name_end = def.find('=').unwrap_or(0);
        if name_end > 0
            && def[..name_end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Some(Signal::new(Level::Pl1, "shell alias definition"));
        }
    }
    const INSTALLERS: &[&str] = &[
        "pip", "pip3", "pipx", "npm", "npx", "pnpm", "yarn", "gem", "apt", "apt-get", "yum", "dnf",
        "apk", "brew", "cargo", "conda", "composer",
    ];
    if INSTALLERS.contains(&first)
        && matches!(second, "install" | "uninstall" | "remove" | "add" | "i")
        && rest.split_whitespace().count() <= 6
    {
        return Some(Signal::new(Level::Pl1, "package installation command"));
    }
    let (dir, _) = first.rsplit_once('/')?;
    let dir = dir.trim_start_matches(['"', '\'']);
    let binny = dir == "bin" || dir == "sbin" || dir.ends_with("/bin") || dir.ends_with("/sbin");
    let name = &first[dir.len() + 1..];
    (binny
        && (2..=24).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
    .then_some(Signal::new(Level::Pl1, "binary in a bin directory"))
}
