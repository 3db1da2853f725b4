//! Shell syntax for the command detector: undoing quoting and expansion
//! tricks, and shapes that only a shell would read (download cradles,
//! `$((...))`, `${x#y}`, cmd.exe `for`/`if`, redirections into system paths).

use crate::waf::detect::{Level, Signal};

/// `ca't'`, `c"a"t`: quotes that only split a word.
fn unquote_inside_words(s: &str) -> String {
    let b: Vec<char> = s.chars().collect();
    let singles = b.iter().filter(|&&c| c == '\'').count();
    let doubles = b.iter().filter(|&&c| c == '"').count();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in b.iter().enumerate() {
        let quote = c == '\'' || c == '"';
        let prev = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == '/');
        let next = b
            .get(i + 1)
            .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '/');
        let even = if c == '"' {
            doubles % 2 == 0
        } else {
            singles % 2 == 0
        };
        if quote && (prev || next) && even {
            continue;
        }
        out.push(c);
    }
    out
}

/// Quoting or expansion tricks inside a word: only an evasion needs them.
pub(super) fn obfuscated(s: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = crate::waf::detect::static_regex(
        &R,
        r#"[a-z](?:''|""|\\|\$\(\)|\$_|\$@|\$\$|\$-|``|\^)[a-z]|[a-z](?:``|\$\(\))(?:\s|$)|\[\?\]|\$\{?ifs\b"#,
    );
    re.is_match(s)
}

/// Removes the quoting and expansion tricks that do not change what runs.
pub fn deobfuscate(s: &str) -> String {
    // Every rewrite below needs one of these characters: without them the
    // text comes back unchanged.
    if !s.contains(['\'', '"', '$', '`', '(', '\\', '^', '{', '}', '[']) {
        return s.to_string();
    }
    // Each step below returns its input unchanged when the text lacks what
    // it rewrites, so it is skipped then (same result, no copy).
    let mut t = s.to_string();
    for empty in [
        "''", "\"\"", "$@", "$*", "$()", "``", "$_", "$?", ">()", "<()", "$$", "$-",
    ] {
        if t.contains(empty) {
            t = t.replace(empty, "");
        }
    }
    if t.contains("[?]") {
        t = t.replace("[?]", "?");
    }
    if t.contains('[') {
        t = single_char_classes(&t);
    }
    if t.contains(['\'', '"']) {
        t = unquote_inside_words(&t);
    }
    for ifs in ["${ifs}", "$ifs$9", "$ifs"] {
        if t.contains(ifs) {
            t = t.replace(ifs, " ");
        }
    }
    if t.contains("${") {
        t = strip_unknown_vars(&t);
    }
    // The loop below only drops `\` and `^` and rewrites `{`, `}` and `,`
    // inside braces.
    if !t.contains(['{', '}', '\\', '^']) {
        return t;
    }
    let b: Vec<char> = t.chars().collect();
    let mut out = String::with_capacity(t.len());
    let mut brace = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            '{' => brace = true,
            '}' => brace = false,
            _ => {}
        }
        let prev_alpha = i > 0 && b[i - 1].is_ascii_alphanumeric();
        let next_alpha = b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic());
        if c == '\\' && prev_alpha && next_alpha {
            continue;
        }
        if c == '^' && prev_alpha && next_alpha {
            continue;
        }
        out.push(if c == '{' || c == '}' || c == ',' && brace {
            ' '
        } else {
            c
        });
    }
    out
}

/// `adduse[r]`, `/usr/bin/[u]name`: a one-character bracket class inside a
/// word is that character.
fn single_char_classes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'['
            && i + 2 < b.len()
            && b[i + 2] == b']'
            && b[i + 1].is_ascii_alphanumeric()
            && (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'/')
                || b.get(i + 3).is_some_and(|c| c.is_ascii_alphanumeric()))
        {
            out.push(b[i + 1] as char);
            i += 3;
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
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

/// Shapes only a shell reads: download cradles, reverse shells, expansions,
/// cmd.exe loops and conditions, redirections into system directories.
pub fn special(s: &str) -> Option<Signal> {
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
        "$shell -c",
        "${shell} -c",
    ];
    static M: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    let strong = M.get_or_init(|| aho_corasick::AhoCorasick::new(STRONG).expect("static patterns"));
    // One pass for the whole list (same answer as `contains` on each).
    if strong.is_match(s) {
        return Some(Signal::new(Level::Pl1, "shell or download cradle"));
    }
    // The redirection pattern needs a `>`.
    if s.contains('>') && redirect_re().is_match(s) {
        return Some(Signal::new(
            Level::Pl1,
            "redirection into a system directory",
        ));
    }
    expansion(s).then_some(Signal::new(Level::Pl1, "shell expansion or cmd loop"))
}

fn redirect_re() -> &'static regex::Regex {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    crate::waf::detect::static_regex(
        &R,
        r"(?:^|[\s;|&])[12]?>>?\s*/(?:tmp|dev/shm|var/tmp|etc|var/www)/",
    )
}

/// Shell-only shapes, each behind a cheap literal guard so that large
/// bodies without the literal never reach the regex. `IF_WORD` stands for
/// `if_word` (the `if` patterns need `if` then a space or `/`), `IEX` for the
/// three literals of the PowerShell pattern, `FOR%` for both `for` and `%`.
const EXPANSIONS: &[(&str, &str)] = &[
    ("$((", r"\$\(\("),
    ("${", r"\$\{[^}]{0,40}(?:[#%^,]|:[-=?+]|\$\(|`)"),
    ("$[", r"\$\[[^\]]*\]"),
    (
        "%",
        r"%(?:systemroot|windir|comspec|userprofile|programfiles|appdata|temp|systemdrive)%",
    ),
    ("{", r"^\s*\{[a-z]+,[^}]*\}"),
    // `{,cmd,arg}`: a brace list whose empty first item vanishes.
    ("{,", r#"\{,[$'"]?[a-z/][^{}\s]{0,80}\}"#),
    (
        "IF_WORD",
        r"\bif\s+(?:/i\s+)?(?:not\s+)?(?:exist|defined|errorlevel|cmdextversion)\s",
    ),
    ("IF_WORD", r"\bif\s+\S+\s+(?:equ|neq|lss|leq|gtr|geq)\s"),
    (
        "==",
        r#"\bif\s+(?:/i\s+)?(?:not\s+)?(?:"[^"]*"|\S+)\s*==\s*(?:"[^"]*"|\S+)\s+\w"#,
    ),
    (
        "IF_WORD",
        r"\bif(?:\s*/i)?\s+(?:not\s+)?(?:\(\s*)?\S+\s*(?:==|\s(?:equ|neq|lss|leq|gtr|geq)\s)\s*\S+(?:\s*\))?\s+\S",
    ),
    (
        "FOR%",
        r"\bfor\s+[^%\n]{0,40}%%?\S+\s+in\s*\([^)\n]*\)\s*do\b",
    ),
    ("()", r"[\w:]+\(\)\s*\{[^}]*\|[^}]*&\s*\}"),
    ("()", r"[\w:]+\s*\(\)\s*\{[^}]*[|&][^}]*\}\s*;"),
    ("()", r"^\s*\(\)\s*\{"),
    (
        "IEX",
        r"\biex\s*\(|\biwr\s+\S|\b(?:invoke-expression|invoke-webrequest)\b",
    ),
];

fn expansion(s: &str) -> bool {
    static R: std::sync::OnceLock<Vec<regex::Regex>> = std::sync::OnceLock::new();
    let res = R.get_or_init(|| {
        EXPANSIONS
            .iter()
            .map(|(_, p)| regex::Regex::new(p).expect("static regex"))
            .collect()
    });
    EXPANSIONS
        .iter()
        .zip(res)
        .any(|((guard, _), re)| guard_holds(guard, s) && re.is_match(s))
}

/// Whether `s` has what the regex behind `guard` needs (see `EXPANSIONS`).
fn guard_holds(guard: &str, s: &str) -> bool {
    match guard {
        "IF_WORD" => if_word(s),
        "==" => s.contains("==") && if_word(s),
        "FOR%" => s.contains('%') && s.contains("for"),
        "IEX" => s.contains("iex") || s.contains("iwr") || s.contains("invoke-"),
        _ => s.contains(guard),
    }
}

/// `if` followed by a character other than an ASCII letter, digit or `_`:
/// what `if\s` and `if/` need.
fn if_word(s: &str) -> bool {
    // A byte of a non-ASCII character is never ASCII alphanumeric or `_`.
    let b = s.as_bytes();
    (2..b.len()).any(|i| {
        b[i - 2] == b'i' && b[i - 1] == b'f' && !(b[i].is_ascii_alphanumeric() || b[i] == b'_')
    })
}
