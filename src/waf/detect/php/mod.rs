//! PHP injection: open tags, calls of code-execution and obfuscation functions
//! with code-shaped arguments, superglobals, and serialized objects.

use std::sync::OnceLock;

use regex::Regex;

mod calls;
mod ini;
mod vars;

use super::norm::Norm;
use super::{static_regex, Finding, InputContext, Level, Signal};
use calls::{
    calls, concat_call, concat_name, family_call, glued_call, whole_call, wrapped_name_call,
};
use ini::ini_directive;
use vars::{globals, var_call, var_var};

fn serialized_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    static_regex(
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
