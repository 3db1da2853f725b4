//! PHP variables: calling a variable (`$f(...)`, `$_[x](...)`), variable
//! variables (`${'name'}`), and superglobals.

use std::sync::OnceLock;

use regex::Regex;

use super::calls::strip_comments;
use crate::waf::detect::{static_regex, Level, Signal};

/// Calling a variable (`$f(...)`, `$_[x](...)`): how PHP web shells run input.
pub(super) fn var_call(s: &str) -> Option<Signal> {
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
    let bare = static_regex(&BARE, r"\$[a-z_][a-z0-9_]*\s*\(");
    if commented && bare.is_match(s) {
        return Some(Signal::new(
            Level::Pl1,
            "variable function call behind a comment",
        ));
    }
    let re = static_regex(
        &R,
        r"\$_[a-z0-9_]*\s*(?:\[(?:[^\[\]]|\[[^\]]*\]){0,40}\]\s*|\{[^{}]{0,40}\}\s*)*\(|\$\s*\{[^}]{1,40}\}\s*\(|\(\s*\$[a-z_][a-z0-9_]*\s*\)\s*\(|::\s*\$[a-z_][a-z0-9_]*\s*\(|@\$[a-z_][a-z0-9_]*\s*\(|\$[a-z_][a-z0-9_]*\s*\{[^}]{1,20}\}\s*\(|\$[a-z][a-z0-9_]*\s*(?:\[[^\]]{0,40}\]\s*)+\(|@\{\s*\[|\$[a-z_][a-z0-9_]*\s*\(\s*\d|->\s*\$[a-z_][a-z0-9_]*\s*\(",
    );
    re.is_match(s)
        .then_some(Signal::new(Level::Pl1, "variable function call"))
}

/// PHP variable variables: `${'name'}`, `${$a}`.
pub(super) fn var_var(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = static_regex(&R, r#"\$\s*\{\s*(?:['"][a-z_]|\$[a-z_])"#);
    re.is_match(s)
        .then_some(Signal::new(Level::Pl1, "PHP variable variable"))
}

pub(super) fn globals(s: &str) -> Option<Signal> {
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
