//! PHP injection: open tags, calls of code-execution and obfuscation functions
//! with code-shaped arguments, superglobals, and serialized objects.

use std::sync::OnceLock;

use regex::Regex;

use super::norm::Norm;
use super::{Finding, InputContext, Level, Signal};

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
    super::static_regex(&R, r"(?:^|[^a-z0-9_$>.:])@?([a-z_][a-z0-9_]*)\s*\(\s*(.?)")
}

fn serialized_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(
        &R,
        r#"(?:^|[;{("'\s=|])[oc]:\+?\d+:"[a-z0-9_\\]+":\d+:\{|^a:\d+:\{[si]:"#,
    )
}

/// Detects PHP injection in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    let s = n.lower.as_str();
    // Tags need `<` (or `__halt_compiler`), calls `(`, superglobals and
    // variable variables `$`, Drupal keys `#`, serialized objects `{`: without
    // them only the file-name check can fire.
    if !s.contains(['<', '(', '$', '#', '{'])
        && !s.contains("__halt_compiler")
        && !s.contains("php]")
    {
        return upload_name(s, ctx)
            .or_else(|| ini_directive(s))
            .map(|sig| sig.finding(&n.text));
    }
    let r = tags(s)
        .or_else(|| whole_call(s))
        .or_else(|| wrapped_name_call(s))
        .or_else(|| concat_name(s))
        .or_else(|| glued_call(s))
        .or_else(|| family_call(s))
        .or_else(|| calls(s))
        .or_else(|| globals(s))
        .or_else(|| upload_name(s, ctx));
    let r = r
        .or_else(|| ini_directive(s))
        .or_else(|| concat_call(s))
        .or_else(|| var_var(s))
        .or_else(|| var_call(s))
        .or_else(|| drupal(s));
    let r = r.or_else(|| {
        serialized_re()
            .is_match(s)
            .then_some(Signal::new(Level::Pl1, "serialized PHP object"))
    });
    r.map(|sig| sig.finding(&n.text))
}

fn tags(s: &str) -> Option<Signal> {
    // `[php]...[/php]`: the BBCode-style tags of CMS plugins that run PHP.
    if s.contains("[/php]")
        || s.contains("[\\php]")
        || s.contains("[php]") && s.contains(['$', ';', '"', '\'', '('])
    {
        return Some(Signal::new(Level::Pl1, "PHP code tag"));
    }
    let open_php = s
        .match_indices("<?")
        .any(|(i, _)| s[i + 2..].trim_start().starts_with("php"));
    if open_php || s.contains("<?=") || s.contains("__halt_compiler") {
        return Some(Signal::new(Level::Pl1, "PHP open tag"));
    }
    let p = s.find("<?")?;
    let rest = &s[p + 2..];
    let decl = rest.starts_with("xml") && rest[3..].trim_start().starts_with("version");
    if !decl && rest.contains([';', '(', '$']) {
        return Some(Signal::new(Level::Pl1, "PHP open tag with code"));
    }
    let first = rest
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    if rest.starts_with(char::is_whitespace)
        && matches!(
            first,
            "echo" | "print" | "eval" | "system" | "include" | "require" | "exit" | "die"
        )
    {
        return Some(Signal::new(Level::Pl1, "PHP open tag with code"));
    }
    Some(Signal::new(Level::Pl2, "short open tag"))
}

fn calls(s: &str) -> Option<Signal> {
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
fn upload_name(s: &str, ctx: InputContext) -> Option<Signal> {
    const EXT: &[&str] = &[
        ".php", ".phtml", ".phar", ".phps", ".phpt", ".pht", ".php3", ".php4", ".php5", ".php7",
        ".inc",
    ];
    let spaced;
    let t = if s.contains(". ") {
        spaced = s.replace(". ", ".");
        spaced.as_str()
    } else {
        s
    };
    let t = t.trim().trim_end_matches(['.', ' ']);
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
        Signal::new(Level::Pl1, "PHP file name in a header")
    } else {
        Signal::new(Level::Pl3, "PHP file name")
    })
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
fn whole_call(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = super::static_regex(
        &R,
        r#"^\s*(?:\(\s*)?@?([a-z_][a-z0-9_]*)(?:\s*\))?\(\s*(?:'[^']*'|"[^"]*"|\$?[a-z_][a-z0-9_]*)\s*\)\s*;?\s*$"#,
    );
    let c = re.captures(s)?;
    let name = &c[1];
    runs_code(name).then_some(Signal::new(Level::Pl1, "PHP function call"))
}

/// A function name in brackets or parentheses, then called:
/// `[system][0]('id')`, `("exec")(x)`.
fn wrapped_name_call(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = super::static_regex(
        &R,
        r#"[(\[{]\s*['"]?([a-z_][a-z0-9_]*)['"]?\s*[)\]}](?:[)\]}\s]|\[\s*\d+\s*\]|\{[^{}]{0,40}\})*\(|['"]([a-z_][a-z0-9_]*)['"]\s*\(\s*[$'"a-z]"#,
    );
    re.captures_iter(s)
        .any(|c| runs_code(c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str())))
        .then_some(Signal::new(Level::Pl1, "call of a wrapped function name"))
}

/// A value that opens with a call of a function from one of PHP's extension
/// families (`array_diff (`, `sodium_crypto_box(`, `tidy_parse_string()`).
fn family_call(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = super::static_regex(
        &R,
        r"^\s*@?(?:array|date|odbc|sodium|tidy|mb|str|preg|curl|mysqli|openssl|posix|pcntl|proc|stream|socket|ftp|ldap|imap|iconv|gz|bz|zip|libxml|simplexml|json|hash|mcrypt|ob|ini|apache|zlib|ctype|func|spl|iterator|escapeshell|image|exif|finfo|pg|sqlite|oci|mssql|dba|mysql|xmlrpc|xsl|intl|grapheme|pspell|readline|shmop|sysvmsg|sem|msg|shm|apcu|opcache|phpversion|php_uname|highlight|show|parse|unserialize|serialize|base64|convert_uu|quoted_printable)_[a-z0-9_]+\s*\(",
    );
    re.is_match(s)
        .then_some(Signal::new(Level::Pl1, "PHP function call"))
}

/// Long PHP function names that appear in nothing but PHP code, called even
/// when glued to other text (`xcall_user_func(`).
fn glued_call(s: &str) -> Option<Signal> {
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
fn concat_name(s: &str) -> Option<Signal> {
    if !s.contains('.') {
        return None;
    }
    static R: OnceLock<Regex> = OnceLock::new();
    let re = super::static_regex(&R, r#"(?:['"][a-z0-9_]*['"]\s*\.\s*)+['"][a-z0-9_]*['"]"#);
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

/// A line that sets a php.ini directive (`allow_url_include=1`), as sent to
/// CGI front ends and `.user.ini` writers.
fn ini_directive(s: &str) -> Option<Signal> {
    if !s.contains('=') {
        return None;
    }
    const KEYS: &[&str] = &[
        "allow_url_include",
        "allow_url_fopen",
        "auto_prepend_file",
        "auto_append_file",
        "disable_functions",
        "disable_classes",
        "open_basedir",
        "safe_mode",
        "display_errors",
        "display_startup_errors",
        "error_reporting",
        "error_log",
        "log_errors",
        "html_errors",
        "memory_limit",
        "max_execution_time",
        "max_input_time",
        "post_max_size",
        "upload_max_filesize",
        "upload_tmp_dir",
        "file_uploads",
        "extension_dir",
        "zend_extension",
        "include_path",
        "short_open_tag",
        "expose_php",
        "register_globals",
        "magic_quotes_gpc",
        "sendmail_path",
        "unserialize_max_depth",
        "default_charset",
        "output_buffering",
        "user_ini.filename",
        "enable_dl",
        "cgi.force_redirect",
    ];
    const SECTIONS: &[&str] = &[
        "session.",
        "opcache.",
        "phar.",
        "mail.",
        "pcre.",
        "zend.",
        "xdebug.",
        "mysqli.",
        "pdo_mysql.",
        "suhosin.",
        "apc.",
        "date.",
        "assert.",
        "mbstring.",
        "filter.",
    ];
    s.lines()
        .any(|line| {
            let Some((k, v)) = line.split_once('=') else {
                return false;
            };
            let k = k.trim();
            !v.trim().is_empty()
                && (KEYS.contains(&k)
                    || SECTIONS.iter().any(|p| {
                        k.strip_prefix(p).is_some_and(|r| {
                            r.len() >= 3 && r.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        })
                    }))
        })
        .then_some(Signal::new(Level::Pl1, "php.ini directive"))
}

/// Calling a variable (`$f(...)`, `$_[x](...)`): how PHP web shells run input.
fn var_call(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let stripped;
    let commented = s.contains("/*") || s.contains("//") || s.contains('#');
    let s = if commented {
        stripped = strip_comments(s);
        stripped.as_str()
    } else {
        s
    };
    // A comment between a variable and its call parenthesis (`$a/**/()`) is
    // only ever obfuscation.
    static BARE: OnceLock<Regex> = OnceLock::new();
    let bare = super::static_regex(&BARE, r"\$[a-z_][a-z0-9_]*\s*\(");
    if commented && bare.is_match(s) {
        return Some(Signal::new(
            Level::Pl1,
            "variable function call behind a comment",
        ));
    }
    let re = super::static_regex(
        &R,
        r"\$_[a-z0-9_]*\s*(?:\[(?:[^\[\]]|\[[^\]]*\]){0,40}\]\s*|\{[^{}]{0,40}\}\s*)*\(|\$\s*\{[^}]{1,40}\}\s*\(|\(\s*\$[a-z_][a-z0-9_]*\s*\)\s*\(|::\s*\$[a-z_][a-z0-9_]*\s*\(|@\$[a-z_][a-z0-9_]*\s*\(|\$[a-z_][a-z0-9_]*\s*\{[^}]{1,20}\}\s*\(|\$[a-z][a-z0-9_]*\s*(?:\[[^\]]{0,40}\]\s*)+\(|@\{\s*\[|\$[a-z_][a-z0-9_]*\s*\(\s*\d|->\s*\$[a-z_][a-z0-9_]*\s*\(",
    );
    re.is_match(s)
        .then_some(Signal::new(Level::Pl1, "variable function call"))
}

/// Drupal render-array callbacks smuggled in as form keys.
fn drupal(s: &str) -> Option<Signal> {
    const KEYS: &[&str] = &[
        "#post_render",
        "#pre_render",
        "#lazy_builder",
        "#access_callback",
        "#value_callback",
    ];
    KEYS.iter()
        .any(|k| s.contains(k))
        .then_some(Signal::new(Level::Pl1, "render-array callback"))
}

/// Calling a string built by concatenation: `("sys"."tem")('id')`.
fn concat_call(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = super::static_regex(
        &R,
        r#"\([^()]*\.[^()]*\)\s*(?:/\*.*?\*/\s*)?\(\s*['"]|['"]\s*\.\s*['"][^'"]*['"]\s*\(\s*['"]|\(\s*['"][a-z_][a-z0-9_]*['"]\s*\)\s*\("#,
    );
    re.is_match(s)
        .then_some(Signal::new(Level::Pl1, "call of a concatenated name"))
}

/// PHP variable variables: `${'name'}`, `${$a}`.
fn var_var(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = super::static_regex(&R, r#"\$\s*\{\s*(?:['"][a-z_]|\$[a-z_])"#);
    re.is_match(s)
        .then_some(Signal::new(Level::Pl1, "PHP variable variable"))
}

fn globals(s: &str) -> Option<Signal> {
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
        .then_some(Signal::new(Level::Pl1, "PHP superglobal"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::BodyValue).map(|f| f.level)
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
            "system(hostname)",
            "(passthru)('uname');",
            "[shell_exec][0](id)",
            "$n = 'shell' . '_exec'; $n('id');",
            "$x = 'pass'.'thru';",
            "allow_url_include=1",
            "session.save_path = /tmp/x",
            "$_q[$_w[2]](9)",
            "$v/*z*/(1)",
            "Klass::$fn()",
            "<? \techo 'x'",
            "return\"passthru\"($c)",
            "xyzgzinflate(\"abc\")",
            "zlib_decode=(q)",
            "[php]echo 1;[/php]",
            "$q/**/()",
            "$b #x\n()",
            "$__[_]{_}(1)",
            "$ {@x}(2);",
            "(['passthru'])[0]('id');",
            "{[shell_exec][0]} ('id');",
            "array_map (",
            "sodium_crypto_box_keypair()",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_benign() {
        for s in [
            "the system (linux) works",
            "include (optional) fields",
            "evaluation of options",
            "<?xml version=\"1.0\"?>",
            "system (beta)",
            "the system(s) we run",
            "mail(me)",
            "memory limit = 4GB",
            "my.email = test",
            "'a' . 'b'",
            "photo. Nice",
            "I like [php] and [js]",
            "price $5 (approx)",
            "array (of things)",
            "#hashtag (fun)",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }
}
