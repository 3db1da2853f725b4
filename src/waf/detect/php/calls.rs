//! PHP calls: code-execution and obfuscation functions called with
//! code-shaped arguments, and function names hidden by wrapping, gluing or
//! concatenation (`("sys"."tem")('id')`, `[system][0]('id')`).

use std::sync::OnceLock;

use regex::Regex;

use crate::waf::detect::{static_regex, Level, Signal};

const EXEC: &[&str] = &[
    "system",
    "exec",
    "shell_exec",
    "passthru",
    "popen",
    "proc_open",
    "pcntl_exec",
    "eval",
    "assert",
    "create_function",
    "call_user_func",
    "call_user_func_array",
    "phpinfo",
    "base64_decode",
    "gzinflate",
    "gzuncompress",
    "str_rot13",
    "file_get_contents",
    "file_put_contents",
    "fopen",
    "fwrite",
    "readfile",
    "highlight_file",
    "show_source",
    "include",
    "include_once",
    "require",
    "require_once",
    "unserialize",
    "preg_replace",
    "move_uploaded_file",
    "ini_set",
    "putenv",
    "symlink",
    "chmod",
    "array_map",
    "usort",
    "var_dump",
    "print_r",
    "die",
    "hex2bin",
    "posix_getpwuid",
    "dl",
    "mail",
    "curl_exec",
    "fsockopen",
];

fn call_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    static_regex(&R, r"(?:^|[^a-z0-9_$>.:])@?([a-z_][a-z0-9_]*)\s*\(\s*(.?)")
}

pub(super) fn calls(s: &str) -> Option<Signal> {
    let bare = strip_comments(s);
    let lead: String = bare
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let opens = bare.trim_start()[lead.len()..]
        .trim_start()
        .starts_with('(');
    let wordy = matches!(
        lead.as_str(),
        "system"
            | "exec"
            | "assert"
            | "include"
            | "include_once"
            | "require"
            | "require_once"
            | "mail"
            | "die"
            | "dl"
            | "chmod"
            | "usort"
            | "array_map"
            | "var_dump"
            | "print_r"
            | "file"
            | "fopen"
    );
    let commented = bare.len() != s.len();
    let known = EXEC.contains(&lead.as_str())
        || MORE.contains(&lead.as_str())
        || lead.starts_with("posix_");
    if opens && known && (!wordy || commented) {
        return Some(Signal::new(
            Level::Pl1,
            "value opens with a PHP function call",
        ));
    }
    let mut best = None;
    for c in call_re().captures_iter(s) {
        let name = &c[1];
        if !EXEC.contains(&name) {
            continue;
        }
        let arg = c.get(2).map(|m| m.as_str()).unwrap_or("");
        let codey = matches!(arg, "$" | "\"" | "'" | "_" | ")" | "`")
            || arg.starts_with(|ch: char| ch.is_ascii_alphabetic())
                && nested_call(s, c.get(2).map(|m| m.start()).unwrap_or(0));
        let exec = !matches!(
            name,
            "include"
                | "require"
                | "mail"
                | "die"
                | "dl"
                | "chmod"
                | "usort"
                | "array_map"
                | "var_dump"
                | "print_r"
        );
        if codey && exec {
            return Some(Signal::new(Level::Pl1, "PHP function call"));
        }
        best = Some(Signal::new(Level::Pl2, "PHP function name"));
    }
    best
}

/// Less common PHP functions that only code would open a value with.
const MORE: &[&str] = &[
    "bzdecompress",
    "gzdecode",
    "pfsockopen",
    "stream_socket_client",
    "proc_nice",
    "proc_terminate",
    "get_defined_vars",
    "get_defined_functions",
    "strrev",
    "getenv",
    "ob_start",
    "array_filter",
    "register_shutdown_function",
    "escapeshellcmd",
];

/// PHP comments (`/* */`, `#`, `//` to end of line) removed.
pub(super) fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find(['#', '/']) {
        out.push_str(&rest[..p]);
        let tail = &rest[p..];
        let end = if tail.starts_with("/*") {
            tail.find("*/").map(|e| e + 2)
        } else if tail.starts_with('#') || tail.starts_with("//") {
            Some(tail.find('\n').unwrap_or(tail.len()))
        } else {
            out.push('/');
            Some(0)
        };
        match end {
            Some(0) => rest = &tail[1..],
            Some(e) => rest = &tail[e..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

fn nested_call(s: &str, from: usize) -> bool {
    let rest = &s[from..];
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    EXEC.contains(&word.as_str()) && rest[word.len()..].trim_start().starts_with('(')
}

/// Code-execution functions that are also words or harmless calls.
const NOT_EXEC: &[&str] = &[
    "mail",
    "die",
    "dl",
    "chmod",
    "usort",
    "array_map",
    "var_dump",
    "print_r",
    "include",
    "require",
    "fopen",
];

/// A function that runs code or commands and is not also a word.
fn runs_code(name: &str) -> bool {
    EXEC.contains(&name) && !NOT_EXEC.contains(&name)
}

/// The whole value is one call of a code-execution function with a plain
/// argument: `system(whoami)`, `(exec)('id');`.
pub(super) fn whole_call(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = static_regex(
        &R,
        r#"^\s*(?:\(\s*)?@?([a-z_][a-z0-9_]*)(?:\s*\))?\(\s*(?:'[^']*'|"[^"]*"|\$?[a-z_][a-z0-9_]*)\s*\)\s*;?\s*$"#,
    );
    let c = re.captures(s)?;
    let name = &c[1];
    runs_code(name).then_some(Signal::new(Level::Pl1, "PHP function call"))
}

/// A function name in brackets or parentheses, then called:
/// `[system][0]('id')`, `("exec")(x)`.
pub(super) fn wrapped_name_call(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = static_regex(
        &R,
        r#"[(\[{]\s*['"]?([a-z_][a-z0-9_]*)['"]?\s*[)\]}](?:[)\]}\s]|\[\s*\d+\s*\]|\{[^{}]{0,40}\})*\(|['"]([a-z_][a-z0-9_]*)['"]\s*\(\s*[$'"a-z]"#,
    );
    re.captures_iter(s)
        .any(|c| runs_code(c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str())))
        .then_some(Signal::new(Level::Pl1, "call of a wrapped function name"))
}

/// A value that opens with a call of a function from one of PHP's extension
/// families (`array_diff (`, `sodium_crypto_box(`, `tidy_parse_string()`).
pub(super) fn family_call(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = static_regex(
        &R,
        r"^\s*@?(?:array|date|odbc|sodium|tidy|mb|str|preg|curl|mysqli|openssl|posix|pcntl|proc|stream|socket|ftp|ldap|imap|iconv|gz|bz|zip|libxml|simplexml|json|hash|mcrypt|ob|ini|apache|zlib|ctype|func|spl|iterator|escapeshell|image|exif|finfo|pg|sqlite|oci|mssql|dba|mysql|xmlrpc|xsl|intl|grapheme|pspell|readline|shmop|sysvmsg|sem|msg|shm|apcu|opcache|phpversion|php_uname|highlight|show|parse|unserialize|serialize|base64|convert_uu|quoted_printable)_[a-z0-9_]+\s*\(",
    );
    re.is_match(s)
        .then_some(Signal::new(Level::Pl1, "PHP function call"))
}

/// Long PHP function names that appear in nothing but PHP code, called even
/// when glued to other text (`xcall_user_func(`).
pub(super) fn glued_call(s: &str) -> Option<Signal> {
    const NAMES: &[&str] = &[
        "call_user_func",
        "create_function",
        "fsockopen",
        "gzinflate",
        "gzdecode",
        "gzuncompress",
        "zlib_decode",
        "shell_exec",
        "proc_open",
        "pcntl_exec",
        "base64_decode",
        "str_rot13",
        "file_get_contents",
        "file_put_contents",
        "move_uploaded_file",
        "highlight_file",
        "show_source",
        "posix_getpwuid",
        "stream_socket_client",
        "preg_replace_callback",
        "assert_options",
        "register_shutdown_function",
    ];
    static M: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let m = M.get_or_init(|| aho_corasick::AhoCorasick::new(NAMES).expect("static patterns"));
    m.find_iter(s)
        .any(|f| {
            let rest = s[f.end()..].trim_start_matches(|c: char| c.is_whitespace() || c == '=');
            rest.starts_with('(')
                || rest.starts_with("_array") && rest[6..].trim_start().starts_with('(')
        })
        .then_some(Signal::new(Level::Pl1, "PHP function call"))
}

/// Quoted fragments joined with `.` that spell a code-execution function:
/// `'sys' . 'tem'`.
pub(super) fn concat_name(s: &str) -> Option<Signal> {
    if !s.contains('.') {
        return None;
    }
    static R: OnceLock<Regex> = OnceLock::new();
    let re = static_regex(&R, r#"(?:['"][a-z0-9_]*['"]\s*\.\s*)+['"][a-z0-9_]*['"]"#);
    re.find_iter(s)
        .any(|m| {
            let name: String = m
                .as_str()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            runs_code(&name)
        })
        .then_some(Signal::new(
            Level::Pl1,
            "function name built by concatenation",
        ))
}

/// Calling a string built by concatenation: `("sys"."tem")('id')`.
pub(super) fn concat_call(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = static_regex(
        &R,
        r#"\([^()]*\.[^()]*\)\s*(?:/\*.*?\*/\s*)?\(\s*['"]|['"]\s*\.\s*['"][^'"]*['"]\s*\(\s*['"]|\(\s*['"][a-z_][a-z0-9_]*['"]\s*\)\s*\("#,
    );
    re.is_match(s)
        .then_some(Signal::new(Level::Pl1, "call of a concatenated name"))
}
