//! XSS in JavaScript: a string or statement broken out of and followed by a
//! sink, obfuscated global calls, JSFuck, event handlers holding code, and
//! script that reaches into the page.

use std::sync::OnceLock;

use regex::Regex;

use super::squeeze;
use crate::waf::detect::{static_regex, Level, Signal};

pub(super) fn global_call_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    static_regex(
        &R,
        r#"(?:^|[^a-z0-9_$])(?:self|top|this|window|frames|parent|globalthis|content|opener)\s*\[.{1,600}?\]\s*(?:\(|`)|\.constructor\s*\.\s*constructor|\.\s*(?:call|apply|bind)\s*`|\$\{\s*(?:alert|prompt|confirm|eval)\s*\}|\.constructor\s*\(|(?:\[\s*\]|!\s*\[\s*\]|\+\s*\[\s*\]){4}"#,
    )
}

pub(super) fn bare_handler_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    static_regex(
        &R,
        r#"(?:^|[\s"'/;>`])on[a-z]{3,}\s*=\s*["'`]?\s*[(]?[a-z_$][\w$.]*\s*\)?\s*(?:\?\.\s*)?(?:\(|`)"#,
    )
}

pub(super) fn sink_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    static_regex(
        &R,
        r#"(?:^|[^a-z0-9_.$])(alert|prompt|confirm|eval|settimeout|setinterval|execscript|msgbox|fetch|atob|document\.write(?:ln)?|string\.fromcharcode|import)\s*\)?\s*(?:\.\s*(?:call|apply|bind)\s*)?(?:\?\.\s*)?(?:\(|`)|document\s*\)?\s*(?:\?\.|\.|\[\s*["'`])\s*(?:cookie|domain|location)|\.constructor\s*\("#,
    )
}

/// Code built only from `[]()!+` (JSFuck and its relatives).
pub(super) fn jsfuck(s: &str) -> bool {
    let sq = squeeze(s);
    let sym = sq.chars().filter(|c| "[]()!+{}".contains(*c)).count();
    let pairs = sq.matches("[]").count();
    let len = sq.chars().count();
    pairs >= 5 && sym * 100 >= len * 60 || pairs >= 3 && sym * 100 >= len * 90
}

pub(super) fn js_break(s: &str) -> Option<Signal> {
    let m = sink_re().find(s)?;
    let lead = m.as_str().chars().next().map_or(0, char::len_utf8);
    let before = s[..m.start() + lead].trim_end();
    let tail: String = before
        .chars()
        .rev()
        .filter(|c| !c.is_whitespace())
        .take(3)
        .collect();
    let prev = s[..m.start() + lead]
        .trim_end_matches(char::is_alphanumeric)
        .trim_end()
        .chars()
        .last();
    if m.as_str().contains("document") {
        return Some(Signal::new(Level::Pl1, "document property access"));
    }
    let prefix_ok = before.len() <= 1
        || prev.is_some_and(|c| !c.is_alphanumeric())
        || tail.chars().any(|c| {
            matches!(
                c,
                '"' | '\'' | '`' | ';' | '>' | '}' | ')' | '+' | '-' | '|' | '&' | '*' | ','
            )
        });
    let called = s[m.end()..]
        .trim_start()
        .chars()
        .next()
        .is_some_and(|c| c != ' ');
    if prefix_ok && (called || m.as_str().contains('(')) {
        return Some(Signal::new(
            Level::Pl1,
            "JavaScript sink after a context break",
        ));
    }
    Some(Signal::new(Level::Pl2, "JavaScript sink"))
}

/// Script that reaches into the page (`window.location`, `document.body.
/// appendChild(...)`, `document.querySelector(...)`) at the start of the value
/// or right after a quote or tag end: injected, not quoted source code.
pub(super) fn dom_code(s: &str) -> Option<Signal> {
    if !s.contains("document") && !s.contains("window") {
        return None;
    }
    static R: OnceLock<Regex> = OnceLock::new();
    let re = static_regex(
        &R,
        r#"(?:^\s*|["'`>]\s*;?\s*)(?:window\.location\b|(?:window|document)\.(?:location|cookie|domain)\s*(?:=|\.|\[)|document\.(?:body|head|documentelement|queryselector(?:all)?|getelementby[a-z]+|createelement|forms|scripts)\s*[.(\[])"#,
    );
    re.is_match(s)
        .then_some(Signal::new(Level::Pl1, "script access to the page"))
}
