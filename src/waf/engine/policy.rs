//! What the caller decides per route (`Policy`: paranoia, threshold, mode,
//! exclusions) and what evaluation returns (`Verdict` with its `Match`es).

use std::collections::{HashMap, HashSet};

use crate::waf::engine::rule::{Severity, Target};

/// Default paranoia level.
pub const DEFAULT_PARANOIA: u8 = 1;
/// Default anomaly threshold: one critical match blocks.
pub const DEFAULT_THRESHOLD: u32 = 5;
/// Longest matched value kept in a `Match` (characters).
pub const MAX_VALUE_CHARS: usize = 128;

/// How the WAF acts on a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Block requests whose verdict says so.
    #[default]
    Block,
    /// Evaluate and report, never block.
    Detect,
    /// Do not evaluate.
    Off,
}

impl Mode {
    /// Parses `block`, `detect` or `off`.
    pub fn from_name(s: &str) -> Option<Mode> {
        match s {
            "block" => Some(Mode::Block),
            "detect" => Some(Mode::Detect),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }
}

/// False-positive tuning for a route.
#[derive(Clone, Debug, Default)]
pub struct Exclusions {
    /// Rules that never run.
    pub rule_ids: HashSet<u32>,
    /// Rules with any of these tags never run.
    pub tags: HashSet<String>,
    /// Values a rule does not inspect: rule id -> targets (`args:password`).
    pub targets: HashMap<u32, Vec<Target>>,
    /// Requests whose normalised path starts with one of these are not inspected.
    pub skip_paths: Vec<String>,
}

impl Exclusions {
    /// Removes a target (`args:password`, `headers:/^x-/`) from rule `rule`.
    pub fn remove_target(&mut self, rule: u32, spec: &str) -> Result<(), String> {
        let target: Target = spec.parse()?;
        self.targets.entry(rule).or_default().push(target);
        Ok(())
    }
}

/// Per-route evaluation settings.
#[derive(Clone, Debug)]
pub struct Policy {
    /// 1 (default, few false positives) to 4 (most detection).
    pub paranoia: u8,
    /// Total score at which a request is blocked.
    pub threshold: u32,
    /// Block, detect or off.
    pub mode: Mode,
    /// Exclusions.
    pub exclusions: Exclusions,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            paranoia: DEFAULT_PARANOIA,
            threshold: DEFAULT_THRESHOLD,
            mode: Mode::Block,
            exclusions: Exclusions::default(),
        }
    }
}

/// The decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictAction {
    /// An `allow` rule matched: forward without further checks.
    Allow,
    /// Block the request (only in block mode).
    Block,
    /// Forward (nothing decisive matched, detect mode, or WAF off/skipped).
    Pass,
}

/// One matched rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Rule id.
    pub rule_id: u32,
    /// Rule message.
    pub message: String,
    /// Rule tags.
    pub tags: Vec<String>,
    /// Rule severity.
    pub severity: Severity,
    /// Where: `ARGS:q`, `REQUEST_HEADERS:user-agent`, `JSON:user.name`.
    pub variable: String,
    /// The value as seen in the request, truncated to 128 characters.
    pub value: String,
    /// The value after the rule's transformations, truncated to 128 characters.
    pub transformed: String,
    /// What the operator matched (or the detector's evidence), truncated.
    pub evidence: String,
    /// For a detector match, the detector's reason.
    pub reason: Option<&'static str>,
    /// Score added (0 for log/pass/allow/deny rules).
    pub score: u32,
}

/// The result of evaluating a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Sum of the scores of counting matches.
    pub score: u32,
    /// The proxy must block (block mode, and the threshold was reached or a deny rule matched).
    pub blocked: bool,
    /// The rules say block, whatever the mode (detect mode logs this).
    pub would_block: bool,
    /// Allow, block or pass.
    pub action: VerdictAction,
    /// Status from a `deny` rule; `None` means the route's default.
    pub status: Option<u16>,
    /// Matches in evaluation order.
    pub matches: Vec<Match>,
    /// The WAF did not inspect this request (mode off or a skipped path).
    pub skipped: bool,
}

impl Verdict {
    /// A verdict for an uninspected request.
    pub fn skipped() -> Verdict {
        Verdict {
            score: 0,
            blocked: false,
            would_block: false,
            action: VerdictAction::Pass,
            status: None,
            matches: Vec::new(),
            skipped: true,
        }
    }
}

impl std::fmt::Display for Verdict {
    /// A human-readable report (for `rampart waf explain`); values are not redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.skipped {
            return writeln!(f, "not inspected (WAF off or path skipped)");
        }
        writeln!(
            f,
            "action {:?}, score {}, blocked {}, would block {}{}",
            self.action,
            self.score,
            self.blocked,
            self.would_block,
            self.status
                .map(|s| format!(", status {s}"))
                .unwrap_or_default()
        )?;
        for m in &self.matches {
            writeln!(
                f,
                "  rule {} (+{}) {}: {}",
                m.rule_id, m.score, m.variable, m.message
            )?;
            writeln!(f, "    value       {:?}", m.value)?;
            if m.transformed != m.value {
                writeln!(f, "    transformed {:?}", m.transformed)?;
            }
            let reason = m.reason.map(|r| format!(" ({r})")).unwrap_or_default();
            writeln!(f, "    matched     {:?}{reason}", m.evidence)?;
        }
        Ok(())
    }
}

/// Truncates to [`MAX_VALUE_CHARS`] characters (a `…` marks the cut).
pub fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_VALUE_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let p = Policy::default();
        assert_eq!((p.paranoia, p.threshold, p.mode), (1, 5, Mode::Block));
        assert_eq!(Mode::from_name("detect"), Some(Mode::Detect));
        assert_eq!(Mode::from_name("Block"), None);
        let v = Verdict::skipped();
        assert!(v.skipped && !v.blocked);
        assert!(v.to_string().starts_with("not inspected"));
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate("short"), "short");
        let long = "é".repeat(200);
        let t = truncate(&long);
        assert_eq!(t.chars().count(), MAX_VALUE_CHARS + 1);
    }

    #[test]
    fn remove_target_parses() {
        let mut e = Exclusions::default();
        e.remove_target(942100, "args:password").unwrap();
        assert_eq!(e.targets[&942100].len(), 1);
        assert!(e.remove_target(1, "bogus:x").is_err());
    }
}
