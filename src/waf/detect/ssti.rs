//! Server-side template injection: template delimiters of the common engines
//! (`{{ }}`, `${ }`, `#{ }`, `*{ }`, `<%= %>`, `{% %}`, FreeMarker `<#...>`,
//! Velocity `#set`, Smarty `{php}`) whose content is an expression rather
//! than a plain variable name: arithmetic, object-graph walks (`__class__`,
//! `__globals__`, `config`, `self`), or calls into the runtime.

use std::sync::OnceLock;

use regex::Regex;

use super::norm::Norm;
use super::{Finding, InputContext, Level, Signal};

fn delim_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    // The last form is OGNL's: a `{...}` expression concatenated into a
    // string it breaks out of (`'+{7*7}+'`).
    super::static_regex(
        &R,
        r#"(?s)\{\{(.{1,300}?)\}\}|\$\{(.{1,300}?)\}|[#*@~]\{(.{1,300}?)\}|<%=?(.{1,300}?)%>|\{%(.{1,300}?)%\}|['"]\s*\+\s*\{(.{1,300}?)\}\s*\+"#,
    )
}

fn arith_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(&R, r#"(?:\d|['"])\s*[*+/%-]\s*(?:\d|['"])"#)
}

const MARKERS: &[&str] = &[
    "__class__",
    "__mro__",
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__init__",
    "__import__",
    "__base__",
    "config.",
    "config}",
    "config ",
    "self.",
    "self}",
    "self ",
    "request.",
    "request[",
    "lipsum",
    "cycler",
    "joiner",
    "namespace",
    "|attr",
    "getattr",
    "popen",
    "os.system",
    "subprocess",
    "import ",
    "constructor",
    "_self.env",
    "registerundefinedfiltercallback",
    ".getclass",
    "t(java",
    "runtime",
    "freemarker",
    "?new",
    "class.forname",
    "processbuilder",
    "eval(",
    "exec(",
    "system(",
    "require(",
    "process.",
    "global.",
    "mainmodule",
    "url_for",
    "get_flashed_messages",
    "settings.",
    "range(",
    "dump(",
    "app.",
    "_context",
    "object.",
    "invoke(",
    "getruntime",
    "this.",
    "new ",
];

/// Detects template injection in one value.
pub fn detect(n: &Norm, _ctx: InputContext) -> Option<Finding> {
    let s = n.lower.as_str();
    // Every directive holds `<`, `{`, `#`, `$` or `freemarker`; every
    // delimiter holds `{` or `<`.
    if !s.contains(['{', '<', '#', '$']) && !s.contains("freemarker") {
        return None;
    }
    let r = directives(s).or_else(|| delimited(s));
    r.map(|sig| sig.finding(&n.text))
}

fn directives(s: &str) -> Option<Signal> {
    const STRONG: &[&str] = &[
        "<#assign",
        "<#import",
        "<#include",
        "freemarker.template.utility",
        "#set(",
        "#set (",
        "$class.inspect",
        "{php}",
        "{/php}",
        "{$smarty",
        "{system(",
        "{{#with",
        "#foreach(",
        "$rt.exec",
        "{{=",
        "{%import",
        "{% import",
        "{% debug",
        "{%debug",
        "{{_self",
        "{% set",
        "{%set",
        "{{self",
        "{{config",
        "#evaluate(",
        "<!--#exec",
        "<!--#include",
        "<!--#echo",
        "<!--#printenv",
        "<!--#config",
        "<!--#set",
        "<!--#fsize",
        "<!--#flastmod",
        "{% endif",
        "{%endif",
        "<% endif",
        "<%endif",
    ];
    static M: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let strong = M.get_or_init(|| aho_corasick::AhoCorasick::new(STRONG).expect("static patterns"));
    // One pass for the whole list (same answer as `contains` on each).
    strong
        .is_match(s)
        .then_some(Signal::new(Level::Pl1, "template directive"))
}

fn delimited(s: &str) -> Option<Signal> {
    let mut best = None;
    for c in delim_re().captures_iter(s) {
        let body = c
            .iter()
            .skip(1)
            .flatten()
            .next()
            .map(|m| m.as_str())
            .unwrap_or("");
        if body.trim_start().starts_with("jndi:") {
            continue;
        }
        if arith_re().is_match(body) || MARKERS.iter().any(|m| body.contains(m)) {
            return Some(Signal::new(Level::Pl1, "template expression"));
        }
        if body.contains(['(', '[', '|']) {
            best = Some(Signal::new(Level::Pl2, "template expression with a call"));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::QueryValue).map(|f| f.level)
    }

    #[test]
    fn catches_ssti() {
        for s in [
            "{{ 6*7 }}",
            "${9*9}",
            "<%= 3*3 %>",
            "#{5*5}",
            "x'+{81*81}+'",
            "{{ ''.__class__.__mro__[1] }}",
            "{{config.items()}}",
            "<#assign x=\"freemarker.template.utility.Execute\"?new()>${x(\"id\")}",
            "#set($x = 1)",
            "{{request.application.__globals__}}",
            "*{T(java.lang.System).getenv()}",
            "{% if 1 %}yes{% endif %}",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn early_exit_keeps_keyword_directives() {
        assert_eq!(
            lvl("freemarker.template.utility.ObjectConstructor"),
            Some(Level::Pl1)
        );
        assert_eq!(lvl("x #set($a = 2)"), Some(Level::Pl1));
        assert_eq!(lvl("plain words only"), None);
    }

    #[test]
    fn passes_benign() {
        for s in [
            "{{ username }}",
            "Hello ${name}",
            "price {a} and {b}",
            "'a'+{b}+'c'",
            "see #{ticket}",
            "50% off {today}",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }
}
