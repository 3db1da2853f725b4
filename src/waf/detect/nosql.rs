//! NoSQL (MongoDB) injection: query operators smuggled in through argument
//! names (`user[$ne]=`), JSON keys or JSON text, JavaScript in `$where`, and
//! string breaks into server-side JavaScript.

use std::sync::OnceLock;

use regex::Regex;

use super::norm::Norm;
use super::{Finding, InputContext, Level};

const OPS: &[&str] = &[
    "ne",
    "eq",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "nin",
    "regex",
    "where",
    "exists",
    "expr",
    "or",
    "and",
    "not",
    "nor",
    "elemmatch",
    "all",
    "size",
    "type",
    "mod",
    "text",
    "function",
    "lookup",
    "accumulator",
    "jsonschema",
    "options",
    "comment",
    "search",
];

fn op_key_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(&R, r#"(?:\[|[{,]\s*["']?)\$([a-z]+)(?:\]|["']?\s*:)"#)
}

fn js_break_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(
        &R,
        r#"['"]\s*(?:;|\|\||&&)\s*(?:return\b|while\s*\(|sleep\s*\(|this\.|var\s|['"]\w*['"]\s*==|\d+\s*==)|\bdb\.[a-z_]+\.(?:find|insert|drop|remove|update)\w*\s*\(|this\.[a-z_]+\s*==|\bdo\s*\{[^}]{0,200}\}\s*while\s*\(|new\s+date\s*\(\s*\)[^;]{0,40};[^;]{0,80}while\s*\(|\bsleep\s*\(\s*\d+\s*\)\s*;|\bwhile\s*\(\s*[!+\-]*\s*(?:true|false|\d+|infinity|new\s+date|\[\]|\{\}|this|null|undefined|nan|""|'')\s*\)"#,
    )
}

/// Detects NoSQL operator injection in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    let s = n.lower.as_str();
    // Every check below needs `$` (operators, `$where`) or, for the
    // JavaScript breaks, a quote, `(`, `=` or `{`.
    if !s.contains(['$', '\'', '"', '(', '=', '{']) {
        return None;
    }
    let t = s.trim();
    if matches!(
        ctx,
        InputContext::Json | InputContext::QueryName | InputContext::BodyName
    ) && t.strip_prefix('$').is_some_and(|op| OPS.contains(&op))
    {
        return Some(Finding::new(Level::Pl1, "query operator as a key", t));
    }
    for c in op_key_re().captures_iter(s) {
        if OPS.contains(&&c[1]) {
            return Some(Finding::new(Level::Pl1, "query operator", s));
        }
    }
    if s.contains("$where") || js_break_re().is_match(s) {
        return Some(Finding::new(Level::Pl1, "server-side JavaScript", s));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str, ctx: InputContext) -> Option<Level> {
        detect(&Norm::new(s), ctx).map(|f| f.level)
    }

    #[test]
    fn catches_nosql() {
        assert_eq!(lvl("login[$ne]", InputContext::QueryName), Some(Level::Pl1));
        assert_eq!(lvl("$gt", InputContext::Json), Some(Level::Pl1));
        assert_eq!(
            lvl("{\"pass\": {\"$regex\": \"^a\"}}", InputContext::Raw),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("'; return true; var z='", InputContext::QueryValue),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("x' || 'a'=='a", InputContext::QueryValue),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("db.users.find({})", InputContext::QueryValue),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("while(!null)", InputContext::QueryValue),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl(
                "1;var t=new Date(); do{x=new Date();}while(x-t<5000)",
                InputContext::QueryValue
            ),
            Some(Level::Pl1)
        );
    }

    #[test]
    fn passes_benign() {
        for s in [
            "$5 off",
            "price[usd]",
            "{\"amount\": \"$10\"}",
            "where are you",
            "$money$",
        ] {
            assert_eq!(lvl(s, InputContext::QueryValue), None, "{s}");
        }
        assert_eq!(lvl("$price", InputContext::Json), None);
    }
}
