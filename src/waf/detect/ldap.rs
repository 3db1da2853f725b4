//! LDAP filter injection: a value that closes the application's filter and
//! opens a new one (`*)(`, `)(|(`, `)(&(`), or carries a whole filter.

use std::sync::OnceLock;

use regex::Regex;

use super::norm::Norm;
use super::{Finding, InputContext, Level};

fn break_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(
        &R,
        r"\)\s*\(\s*[|&!]|\)\s*[&|!]\s*\(\s*[a-z][a-z0-9;.-]*\s*[~<>]?=|\*\s*\)+\s*\(|\)\s*\(\s*[a-z][a-z0-9;.-]*\s*[~<>]?=|^\s*\(\s*[|&]\s*\(\s*[a-z][a-z0-9;.-]*\s*[~<>]?=|^\s*\*\s*\)+\s*(?:\x00|$)|\(\s*[|&]\s*\(\s*(?:objectclass|uid|cn|mail|userpassword|samaccountname)\s*=",
    )
}

/// Detects LDAP filter injection in one value.
pub fn detect(n: &Norm, _ctx: InputContext) -> Option<Finding> {
    let s = n.lower.as_str();
    if extensible_match(s) {
        return Some(Finding::new(Level::Pl1, "LDAP extensible match filter", s));
    }
    if !s.contains('(') && !s.contains(')') {
        return None;
    }
    let m = break_re().find(s)?;
    let level = if m.as_str().contains('=')
        || m.as_str().contains('*')
        || m.as_str().contains(['|', '&'])
    {
        Level::Pl1
    } else {
        Level::Pl2
    };
    Some(Finding::new(level, "LDAP filter break-out", s))
}

/// `attr:1.2.840.113556.1.4.803:=value` or `attr:dn:=value`.
fn extensible_match(s: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = super::static_regex(
        &R,
        r"[a-z][a-z0-9-]*(?::dn)?:(?:\d+(?:\.\d+)+|dn|caseexactmatch|caseignorematch):=",
    );
    re.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::QueryValue).map(|f| f.level)
    }

    #[test]
    fn catches_ldap() {
        for s in [
            "*)(uid=*",
            "bob)(|(mail=*))",
            "x)(&(objectClass=user)",
            "*))",
            "(|(cn=*))",
            "userAccountControl:1.2.840.113556.1.4.803:=2",
            "x)|(uid=*",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_benign() {
        for s in ["(see above) (and below)", "f(x) = 2", "smile :)", "a (b) c"] {
            assert_eq!(lvl(s), None, "{s}");
        }
    }
}
