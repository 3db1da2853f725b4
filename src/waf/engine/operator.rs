//! Operators: the test a rule runs on one (transformed) value.

use std::collections::HashSet;
use std::net::IpAddr;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use ipnet::IpNet;
use regex::Regex;

use crate::waf::detect::{self, Detector, InputContext};

/// A numeric comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `==`
    Eq,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

impl Cmp {
    /// Compares `a` with `b`.
    pub fn test(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Lt => a < b,
            Cmp::Gt => a > b,
            Cmp::Le => a <= b,
            Cmp::Ge => a >= b,
        }
    }
}

/// How a string operator compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrOp {
    /// Whole value equal.
    Equals,
    /// Value contains the needle.
    Contains,
    /// Value starts with the needle.
    Prefix,
    /// Value ends with the needle.
    Suffix,
}

/// A compiled operator.
#[derive(Clone, Debug)]
pub enum Operator {
    /// Regular expression (`regex` crate: linear time, no backtracking).
    Regex(Regex),
    /// Any of these phrases, case-insensitive (Aho-Corasick).
    Phrases(AhoCorasick),
    /// String comparison; the needle is stored lowercased when case-insensitive.
    Str {
        /// Which comparison.
        op: StrOp,
        /// The needle.
        needle: String,
        /// Compare case-sensitively.
        case_sensitive: bool,
    },
    /// Value is an IP address inside one of these networks.
    Cidr(Vec<IpNet>),
    /// Value parsed as a number compares with this one.
    Number(Cmp, f64),
    /// Value length in characters compares with this one.
    Length(Cmp, usize),
    /// Value is one of these (lowercased unless case-sensitive).
    InList {
        /// The list.
        set: HashSet<String>,
        /// Compare case-sensitively.
        case_sensitive: bool,
    },
    /// A named detector; matches when its hit level is within the paranoia level.
    Detect(Detector),
    /// Always matches (useful for "this variable exists" and counting).
    Any,
}

/// What an operator matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpMatch {
    /// The matching part (or the whole value).
    pub evidence: String,
    /// For detectors, the reason they gave.
    pub reason: Option<&'static str>,
}

impl From<detect::Hit> for OpMatch {
    fn from(hit: detect::Hit) -> OpMatch {
        OpMatch {
            evidence: hit.evidence,
            reason: Some(hit.reason),
        }
    }
}

impl OpMatch {
    fn whole(v: &str) -> OpMatch {
        OpMatch {
            evidence: v.to_string(),
            reason: None,
        }
    }
}

/// Builds a case-insensitive phrase matcher.
pub fn phrases<S: AsRef<[u8]>>(list: &[S]) -> Result<AhoCorasick, String> {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(list)
        .map_err(|e| e.to_string())
}

impl Operator {
    /// Runs the operator on `value`, seen in context `ctx`, at paranoia level `pl`.
    pub fn eval(&self, value: &str, ctx: InputContext, pl: u8) -> Option<OpMatch> {
        match self {
            Operator::Regex(re) => re.find(value).map(|m| OpMatch::whole(m.as_str())),
            Operator::Phrases(ac) => ac.find(value).map(|m| OpMatch::whole(&value[m.range()])),
            Operator::Str {
                op,
                needle,
                case_sensitive,
            } => str_match(*op, value, needle, *case_sensitive).then(|| OpMatch::whole(value)),
            Operator::Cidr(nets) => {
                let ip: IpAddr = value.trim().parse().ok()?;
                nets.iter()
                    .any(|n| n.contains(&ip))
                    .then(|| OpMatch::whole(value))
            }
            Operator::Number(cmp, n) => {
                let v: f64 = value.trim().parse().ok()?;
                cmp.test(v, *n).then(|| OpMatch::whole(value))
            }
            Operator::Length(cmp, n) => {
                let len = value.chars().count() as f64;
                cmp.test(len, *n as f64).then(|| OpMatch::whole(value))
            }
            Operator::InList {
                set,
                case_sensitive,
            } => in_list(set, *case_sensitive, value).then(|| OpMatch::whole(value)),
            Operator::Detect(_) if plain_number(value) => None,
            Operator::Detect(d) => {
                let hit = detect::run(*d, value, ctx)?;
                (hit.level.get() <= pl).then(|| OpMatch::from(hit))
            }
            Operator::Any => Some(OpMatch::whole(value)),
        }
    }
}

/// Empty or a plain decimal number: no detector can find an attack in it, so
/// detectors are not called (JSON bodies are full of these).
pub(crate) fn plain_number(v: &str) -> bool {
    if v.is_empty() {
        return true;
    }
    let body = v.strip_prefix('-').unwrap_or(v).as_bytes();
    body.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && body.iter().filter(|b| **b == b'.').count() <= 1
        && body.iter().any(u8::is_ascii_digit)
}

fn in_list(set: &HashSet<String>, case_sensitive: bool, value: &str) -> bool {
    if case_sensitive || !value.chars().any(char::is_uppercase) {
        set.contains(value)
    } else {
        set.contains(&value.to_lowercase())
    }
}

/// Case-insensitive comparisons fold ASCII in place; other text is lowercased.
fn str_match(op: StrOp, value: &str, needle: &str, case_sensitive: bool) -> bool {
    if !case_sensitive && !value.is_ascii() {
        return str_match(op, &value.to_lowercase(), needle, true);
    }
    let (v, n) = (value.as_bytes(), needle.as_bytes());
    let eq = |a: &[u8], b: &[u8]| {
        if case_sensitive {
            a == b
        } else {
            a.eq_ignore_ascii_case(b)
        }
    };
    match op {
        StrOp::Equals => eq(v, n),
        StrOp::Contains => n.is_empty() || v.windows(n.len()).any(|w| eq(w, n)),
        StrOp::Prefix => v.len() >= n.len() && eq(&v[..n.len()], n),
        StrOp::Suffix => v.len() >= n.len() && eq(&v[v.len() - n.len()..], n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: InputContext = InputContext::QueryValue;

    fn hit(op: &Operator, v: &str) -> bool {
        op.eval(v, CTX, 1).is_some()
    }

    fn s(op: StrOp, needle: &str, cs: bool) -> Operator {
        let needle = if cs {
            needle.to_string()
        } else {
            needle.to_lowercase()
        };
        Operator::Str {
            op,
            needle,
            case_sensitive: cs,
        }
    }

    #[test]
    fn regex_and_phrases() {
        let re = Operator::Regex(Regex::new(r"(?i)un\w+n").unwrap());
        assert_eq!(re.eval("a UNION b", CTX, 1).unwrap().evidence, "UNION");
        assert!(!hit(&re, "onion"));
        let ph = Operator::Phrases(phrases(&["etc/passwd", "win.ini"]).unwrap());
        assert_eq!(
            ph.eval("/ETC/PASSWD", CTX, 1).unwrap().evidence,
            "ETC/PASSWD"
        );
        assert!(!hit(&ph, "/etc/hosts"));
    }

    #[test]
    fn string_ops_with_case() {
        assert!(hit(&s(StrOp::Equals, "GET", false), "get"));
        assert!(!hit(&s(StrOp::Equals, "GET", true), "get"));
        assert!(hit(&s(StrOp::Contains, "Admin", false), "/x/ADMIN/y"));
        assert!(hit(&s(StrOp::Prefix, "/api", true), "/api/v1"));
        assert!(!hit(&s(StrOp::Prefix, "/api", true), "/API/v1"));
        assert!(hit(&s(StrOp::Suffix, ".PHP", false), "index.php"));
    }

    #[test]
    fn cidr_number_length_list() {
        let cidr = Operator::Cidr(vec![
            "10.0.0.0/8".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ]);
        assert!(hit(&cidr, "10.2.3.4"));
        assert!(hit(&cidr, "::1"));
        assert!(!hit(&cidr, "11.0.0.1"));
        assert!(!hit(&cidr, "not-an-ip"));
        assert!(hit(&Operator::Number(Cmp::Gt, 5.0), "6"));
        assert!(hit(&Operator::Number(Cmp::Le, 5.0), "5"));
        assert!(!hit(&Operator::Number(Cmp::Eq, 5.0), "five"));
        assert!(hit(&Operator::Length(Cmp::Ge, 3), "héé"));
        assert!(!hit(&Operator::Length(Cmp::Lt, 3), "abc"));
        let set = ["get", "head"].iter().map(|s| s.to_string()).collect();
        let list = Operator::InList {
            set,
            case_sensitive: false,
        };
        assert!(hit(&list, "HEAD"));
        assert!(!hit(&list, "POST"));
        assert!(hit(&Operator::Any, ""));
    }

    #[test]
    fn plain_numbers_skip_detectors() {
        for v in ["", "0", "12345", "-1", "59.9", "-1.5"] {
            assert!(plain_number(v), "{v}");
        }
        for v in [
            "1 or 1", "1'", "1--", "..", "-", ".", "0x41", "1e5", "1-2-3", "1.2.3",
        ] {
            assert!(!plain_number(v), "{v}");
        }
    }

    #[test]
    fn detect_calls_detector() {
        // The placeholder detector finds nothing; the real one is tested in detect/.
        let op = Operator::Detect(Detector::Sqli);
        let _ = op.eval("1 OR 1=1", CTX, 4);
        assert_eq!(Detector::from_name("java"), Some(Detector::JavaInjection));
    }
}
