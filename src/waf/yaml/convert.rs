//! Checked conversion of the YAML shape into the rule IR. Errors are
//! `(field, message)`; the loader adds the file, rule id and line.

use std::collections::HashSet;

use ipnet::IpNet;

use super::file::{CmpDef, CondDef, LeafDef, RuleDef};
use crate::waf::detect::Detector;
use crate::waf::engine::operator::{phrases, Cmp, Operator, StrOp};
use crate::waf::engine::rule::{Action, Cond, Rule, Severity, Target, Test};
use crate::waf::transform::Transform;

/// A field error: which key, and what is wrong.
pub type FieldError = (&'static str, String);

/// Default rule priority.
pub const DEFAULT_PRIORITY: i32 = 100;
/// Default `deny` status.
pub const DEFAULT_DENY_STATUS: u16 = 403;

fn err<T>(field: &'static str, msg: impl Into<String>) -> Result<T, FieldError> {
    Err((field, msg.into()))
}

/// Converts one rule.
pub fn rule(def: &RuleDef, source: &str) -> Result<Rule, FieldError> {
    let severity = match &def.severity {
        None => Severity::Critical,
        Some(s) => match Severity::from_name(s) {
            Some(sev) => sev,
            None => {
                return err(
                    "severity",
                    format!("unknown severity `{s}` (critical, error, warning, notice, info)"),
                )
            }
        },
    };
    let paranoia = def.paranoia.unwrap_or(1);
    if !(1..=4).contains(&paranoia) {
        return err("paranoia", format!("must be 1 to 4, not {paranoia}"));
    }
    Ok(Rule {
        id: def.id,
        msg: def.msg.clone().unwrap_or_default(),
        tags: def.tags.clone().unwrap_or_default(),
        severity,
        score: def.score.unwrap_or(severity.default_score()),
        paranoia,
        priority: def.priority.unwrap_or(DEFAULT_PRIORITY),
        action: action(def)?,
        cond: rule_cond(def)?,
        source: source.to_string(),
    })
}

fn action(def: &RuleDef) -> Result<Action, FieldError> {
    let name = def.action.as_deref().unwrap_or("block");
    if let Some(s) = def.status {
        if name != "deny" {
            return err("status", "only a `deny` rule takes a status");
        }
        if !(100..=599).contains(&s) {
            return err("status", format!("{s} is not an HTTP status"));
        }
    }
    Ok(match name {
        "block" => Action::Block,
        "log" => Action::Log,
        "pass" => Action::Pass,
        "allow" => Action::Allow,
        "deny" => Action::Deny(def.status.unwrap_or(DEFAULT_DENY_STATUS)),
        other => {
            return err(
                "action",
                format!("unknown action `{other}` (block, log, pass, allow, deny)"),
            )
        }
    })
}

fn rule_cond(def: &RuleDef) -> Result<Cond, FieldError> {
    let leaf = def.leaf();
    let main = match (&def.when, leaf.is_empty()) {
        (Some(_), false) => {
            return err("when", "use either `when` or the rule's own test, not both")
        }
        (Some(w), true) => cond(w)?,
        (None, true) => return err("operator", format!("no operator (one of {})", OPERATORS)),
        (None, false) => Cond::Test(Box::new(test(&leaf)?)),
    };
    match &def.chain {
        None => Ok(main),
        Some(list) => {
            let mut all = vec![main];
            for c in list {
                all.push(cond(c)?);
            }
            Ok(Cond::All(all))
        }
    }
}

const OPERATORS: &str =
    "regex, phrases, equals, contains, prefix, suffix, cidr, number, length, in, detect, exists";

fn cond(def: &CondDef) -> Result<Cond, FieldError> {
    let leaf = def.leaf();
    let kinds = [
        def.all.is_some(),
        def.any.is_some(),
        def.not.is_some(),
        !leaf.is_empty(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return err(
            "when",
            "a condition needs exactly one of `all`, `any`, `not`, or a test",
        );
    }
    let list = |v: &Vec<CondDef>| v.iter().map(cond).collect::<Result<Vec<_>, _>>();
    Ok(if let Some(v) = &def.all {
        Cond::All(list(v)?)
    } else if let Some(v) = &def.any {
        Cond::Any(list(v)?)
    } else if let Some(n) = &def.not {
        Cond::Not(Box::new(cond(n)?))
    } else {
        Cond::Test(Box::new(test(&leaf)?))
    })
}

/// Converts one test.
pub fn test(leaf: &LeafDef) -> Result<Test, FieldError> {
    let (targets, exclude) = targets(leaf)?;
    let transforms = leaf
        .transforms
        .iter()
        .flatten()
        .map(|n| {
            Transform::from_name(n)
                .ok_or_else(|| ("transforms", format!("unknown transformation `{n}`")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let prefilter = match &leaf.prefilter {
        Some(list) if list.is_empty() || list.iter().any(|s| s.is_empty()) => {
            return err("prefilter", "literals must be non-empty")
        }
        other => other.clone(),
    };
    Ok(Test {
        targets,
        exclude,
        transforms,
        op: operator(leaf)?,
        negate: leaf.negate.unwrap_or(false),
        prefilter,
        only_transformed: leaf.only_transformed.unwrap_or(false),
    })
}

fn targets(leaf: &LeafDef) -> Result<(Vec<Target>, Vec<Target>), FieldError> {
    let specs: Vec<&String> = leaf
        .target
        .iter()
        .chain(leaf.targets.iter().flatten())
        .collect();
    let (mut inc, mut exc) = (Vec::new(), Vec::new());
    for spec in specs {
        let (list, s) = match spec.strip_prefix('!') {
            Some(rest) => (&mut exc, rest),
            None => (&mut inc, spec.as_str()),
        };
        list.push(s.parse::<Target>().map_err(|e| ("targets", e))?);
    }
    if inc.is_empty() {
        return err("targets", "at least one target is needed");
    }
    Ok((inc, exc))
}

fn cmp(field: &'static str, c: &CmpDef) -> Result<(Cmp, f64), FieldError> {
    let set: Vec<(Cmp, f64)> = [
        (Cmp::Eq, c.eq),
        (Cmp::Lt, c.lt),
        (Cmp::Gt, c.gt),
        (Cmp::Le, c.le),
        (Cmp::Ge, c.ge),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    match set.as_slice() {
        [one] => Ok(*one),
        _ => err(field, "exactly one of eq, lt, gt, le, ge"),
    }
}

fn operator(leaf: &LeafDef) -> Result<Operator, FieldError> {
    let names = leaf.operator_names();
    match names.len() {
        0 => return err("operator", format!("no operator (one of {OPERATORS})")),
        1 => {}
        _ => {
            return err(
                "operator",
                format!("more than one operator: {}", names.join(", ")),
            )
        }
    }
    let cs = leaf.case_sensitive.unwrap_or(false);
    let none = CmpDef::default();
    Ok(match names[0] {
        "regex" => regex_op(leaf.regex.as_deref().unwrap_or_default(), cs)?,
        "phrases" => phrase_op(leaf.phrases.as_deref().unwrap_or_default())?,
        "cidr" => cidr_op(leaf.cidr.as_deref().unwrap_or_default())?,
        "number" => {
            let (c, v) = cmp("number", leaf.number.as_ref().unwrap_or(&none))?;
            Operator::Number(c, v)
        }
        "length" => length_op(leaf.length.as_ref().unwrap_or(&none))?,
        "detect" => detect_op(leaf.detect.as_deref().unwrap_or_default())?,
        "exists" => match leaf.exists {
            Some(true) => Operator::Any,
            _ => {
                return err(
                    "exists",
                    "only `exists: true` is meaningful (use `negate` for absence)",
                )
            }
        },
        _ => string_op(leaf, cs),
    })
}

/// `equals`, `contains`, `prefix`, `suffix` and `in`; needles lowercased unless case-sensitive.
fn string_op(leaf: &LeafDef, cs: bool) -> Operator {
    let fold = |v: &String| if cs { v.clone() } else { v.to_lowercase() };
    if let Some(list) = &leaf.in_list {
        let set: HashSet<String> = list.iter().map(fold).collect();
        return Operator::InList {
            set,
            case_sensitive: cs,
        };
    }
    let (op, needle) = match (&leaf.equals, &leaf.contains, &leaf.prefix, &leaf.suffix) {
        (Some(v), ..) => (StrOp::Equals, v),
        (_, Some(v), ..) => (StrOp::Contains, v),
        (_, _, Some(v), _) => (StrOp::Prefix, v),
        (.., Some(v)) => (StrOp::Suffix, v),
        _ => (StrOp::Equals, &String::new()),
    };
    Operator::Str {
        op,
        needle: fold(needle),
        case_sensitive: cs,
    }
}

fn regex_op(pattern: &str, case_sensitive: bool) -> Result<Operator, FieldError> {
    let full = if case_sensitive {
        pattern.to_string()
    } else {
        format!("(?i){pattern}")
    };
    let re = regex::RegexBuilder::new(&full)
        .size_limit(10 << 20)
        .build()
        .map_err(|e| ("regex", format!("invalid regex: {e}")))?;
    Ok(Operator::Regex(re))
}

fn phrase_op(list: &[String]) -> Result<Operator, FieldError> {
    if list.is_empty() || list.iter().any(|p| p.is_empty()) {
        return err(
            "phrases",
            "the list must be non-empty and hold no empty phrase",
        );
    }
    phrases(list)
        .map(Operator::Phrases)
        .map_err(|e| ("phrases", e))
}

fn cidr_op(list: &[String]) -> Result<Operator, FieldError> {
    let mut nets = Vec::with_capacity(list.len());
    for s in list {
        let net = match s.parse::<IpNet>() {
            Ok(n) => n,
            Err(_) => match s.parse::<std::net::IpAddr>() {
                Ok(ip) => IpNet::from(ip),
                Err(_) => return err("cidr", format!("`{s}` is not an address or CIDR")),
            },
        };
        nets.push(net);
    }
    if nets.is_empty() {
        return err("cidr", "the list must be non-empty");
    }
    Ok(Operator::Cidr(nets))
}

fn length_op(c: &CmpDef) -> Result<Operator, FieldError> {
    let (c, v) = cmp("length", c)?;
    if v < 0.0 || v.fract() != 0.0 {
        return err("length", "must be a whole number >= 0");
    }
    Ok(Operator::Length(c, v as usize))
}

fn detect_op(name: &str) -> Result<Operator, FieldError> {
    match Detector::from_name(name) {
        Some(d) => Ok(Operator::Detect(d)),
        None => {
            let all: Vec<&str> = Detector::ALL.iter().map(|d| d.name()).collect();
            err(
                "detect",
                format!("unknown detector `{name}` ({})", all.join(", ")),
            )
        }
    }
}
