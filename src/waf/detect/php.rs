//! PHP injection: open tags, calls of code-execution and obfuscation functions
//! with code-shaped arguments, superglobals, and serialized objects.

use std::sync::OnceLock;

use regex::Regex;

use super::normalize::Norm;
use super::{evidence, Finding, InputContext};

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
    R.get_or_init(|| {
        Regex::new(r"(?:^|[^a-z0-9_$>.:])@?([a-z_][a-z0-9_]*)\s*\(\s*(.?)").expect("static regex")
    })
}

fn serialized_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r#"(?:^|[;{("'\s=|])[oc]:\+?\d+:"[a-z0-9_\\]+":\d+:\{|^a:\d+:\{[si]:"#)
            .expect("static regex")
    })
}

/// Detects PHP injection in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    let s = n.lower.as_str();
    // Tags need `<` (or `__halt_compiler`), calls `(`, superglobals and
    // variable variables `$`, Drupal keys `#`, serialized objects `{`: without
    // them only the file-name check can fire.
    if !s.contains(['<', '(', '$', '#', '{']) && !s.contains("__halt_compiler") {
        return upload_name(s, ctx).map(|(l, why)| (l, why, evidence(&n.text)));
    }
    let r = tags(s)
        .or_else(|| calls(s))
        .or_else(|| globals(s))
        .or_else(|| upload_name(s, ctx));
    let r = r
        .or_else(|| concat_call(s))
        .or_else(|| var_var(s))
        .or_else(|| var_call(s))
        .or_else(|| drupal(s));
    let r = r.or_else(|| {
        serialized_re()
            .is_match(s)
            .then_some((1, "serialized PHP object"))
    });
    r.map(|(l, why)| (l, why, evidence(&n.text)))
}

fn tags(s: &str) -> Option<(u8, &'static str)> {
    let open_php = s
        .match_indices("<?")
        .any(|(i, _)| s[i + 2..].trim_start().starts_with("php"));
    if open_php || s.contains("<?=") || s.contains("__halt_compiler") {
        return Some((1, "PHP open tag"));
    }
    let p = s.find("<?")?;
    let rest = &s[p + 2..];
    let decl = rest.starts_with("xml") && rest[3..].trim_start().starts_with("version");
    if !decl && rest.contains([';', '(', '$']) {
        return Some((1, "PHP open tag with code"));
    }
    Some((2, "short open tag"))
}

fn calls(s: &str) -> Option<(u8, &'static str)> {
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
        return Some((1, "value opens with a PHP function call"));
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
            return Some((1, "PHP function call"));
        }
        best = Some((2, "PHP function name"));
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
fn strip_comments(s: &str) -> String {
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

/// A file name with a PHP-executable extension (trailing dots and spaces are
/// dropped by some file systems), sent in a header.
fn upload_name(s: &str, ctx: InputContext) -> Option<(u8, &'static str)> {
    const EXT: &[&str] = &[
        ".php", ".phtml", ".phar", ".phps", ".phpt", ".pht", ".php3", ".php4", ".php5", ".php7",
        ".inc",
    ];
    let t = s.trim().trim_end_matches(['.', ' ']);
    let t = t.trim_end_matches(|c: char| c.is_ascii_digit());
    let named = !t.contains(['?', '&', '=', ' '])
        && !t.contains("://")
        && EXT
            .iter()
            .any(|e| t.ends_with(e.trim_end_matches(|c: char| c.is_ascii_digit())));
    if !named {
        return None;
    }
    Some(if ctx == InputContext::Header {
        (1, "PHP file name in a header")
    } else {
        (3, "PHP file name")
    })
}

/// Calling a variable (`$f(...)`, `$_[x](...)`): how PHP web shells run input.
fn var_call(s: &str) -> Option<(u8, &'static str)> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| {
        Regex::new(r"\$_[a-z0-9_]*\s*(?:\[[^\]]{0,40}\]\s*)*\(|@\$[a-z_][a-z0-9_]*\s*\(|\$\{[^}]{1,40}\}\s*\(|\$[a-z_][a-z0-9_]*\s*\{[^}]{1,20}\}\s*\(|\$[a-z][a-z0-9_]*\s*(?:\[[^\]]{0,40}\]\s*)+\(|@\{\[|\$[a-z_][a-z0-9_]*\s*\(\s*\d|->\s*\$[a-z_][a-z0-9_]*\s*\(").expect("static regex")
    });
    re.is_match(s).then_some((1, "variable function call"))
}

/// Drupal render-array callbacks smuggled in as form keys.
fn drupal(s: &str) -> Option<(u8, &'static str)> {
    const KEYS: &[&str] = &[
        "#post_render",
        "#pre_render",
        "#lazy_builder",
        "#access_callback",
        "#value_callback",
    ];
    KEYS.iter()
        .any(|k| s.contains(k))
        .then_some((1, "render-array callback"))
}

/// Calling a string built by concatenation: `("sys"."tem")('id')`.
fn concat_call(s: &str) -> Option<(u8, &'static str)> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| {
        Regex::new(r#"\([^()]*\.[^()]*\)\s*(?:/\*.*?\*/\s*)?\(\s*['"]|['"]\s*\.\s*['"][^'"]*['"]\s*\(\s*['"]|\(\s*['"][a-z_][a-z0-9_]*['"]\s*\)\s*\("#).expect("static regex")
    });
    re.is_match(s).then_some((1, "call of a concatenated name"))
}

/// PHP variable variables: `${'name'}`, `${$a}`.
fn var_var(s: &str) -> Option<(u8, &'static str)> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re =
        R.get_or_init(|| Regex::new(r#"\$\s*\{\s*(?:['"][a-z_]|\$[a-z_])"#).expect("static regex"));
    re.is_match(s).then_some((1, "PHP variable variable"))
}

fn globals(s: &str) -> Option<(u8, &'static str)> {
    const G: &[&str] = &[
        "$_get",
        "$_post",
        "$_request",
        "$_cookie",
        "$_server",
        "$_files",
        "$_env",
        "$_session",
        "$globals",
    ];
    G.iter()
        .any(|g| {
            s.match_indices(g)
                .any(|(i, _)| !s[i + g.len()..].starts_with(|c: char| c.is_ascii_alphanumeric()))
        })
        .then_some((1, "PHP superglobal"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<u8> {
        detect(&Norm::new(s), InputContext::BodyValue).map(|f| f.0)
    }

    #[test]
    fn catches_php() {
        for s in [
            "<?php echo 1; ?>",
            "system('id');",
            "eval(base64_decode('ZWNobyAx'));",
            "O:8:\"Example1\":1:{s:1:\"a\";i:1;}",
            "@assert($_POST[x])",
            "phpinfo()",
            "passthru(\"ls\")",
            "$_[a]($_[b])",
            "$fn['a']('x')",
            "shell_exec /* c */ (x)",
            "passthru#x\n(y)",
            "(\"pass\".\"thru\")('ls')",
            "<?  php echo 1;",
            "(\"passthru\")(\"id\")",
            "exec /* x */ (y)",
            "$f(101).$f(102)",
        ] {
            assert_eq!(lvl(s), Some(1), "{s}");
        }
    }

    #[test]
    fn passes_benign() {
        for s in [
            "the system (linux) works",
            "include (optional) fields",
            "evaluation of options",
            "<?xml version=\"1.0\"?>",
        ] {
            assert_ne!(lvl(s), Some(1), "{s}");
        }
    }
}
