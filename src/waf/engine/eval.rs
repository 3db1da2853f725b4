//! Evaluating an [`Engine`] against a [`RequestView`] under a [`Policy`].
//! Each (value, transformation chain) pair is transformed and scanned by the
//! literal prefilter once per request, whatever number of rules look at it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use crate::waf::detect;
use crate::waf::engine::compile::{CCond, CRule, CTest, Engine};
use crate::waf::engine::memo::Scanned;
use crate::waf::engine::operator::{plain_number, OpMatch, Operator};
use crate::waf::engine::policy::{truncate, Match, Mode, Policy, Verdict, VerdictAction};
use crate::waf::engine::rule::{Action, Target, Var};
use crate::waf::engine::target::{items, Item};
use crate::waf::request::RequestView;
use crate::waf::transform::apply_chain;

/// Per-request scratch: the memo handle of each value, keyed by (address,
/// length). The values borrowed from the request (and the transformed texts
/// the handles hold) stay put for the whole evaluation, so within one request
/// an address and length name one text.
struct Scratch {
    values: HashMap<(usize, usize), detect::Value, BuildHasherDefault<AddrHash>>,
}

impl Scratch {
    fn value(&mut self, text: &str) -> detect::Value {
        self.values
            .entry((text.as_ptr() as usize, text.len()))
            .or_insert_with(|| detect::Value::lookup(text))
            .clone()
    }
}

/// A hasher for keys made of addresses and lengths (never client-chosen).
#[derive(Default)]
struct AddrHash(u64);

impl Hasher for AddrHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// What one test matched.
struct Hit {
    variable: String,
    value: String,
    transformed: String,
    evidence: String,
    reason: Option<&'static str>,
}

struct Ctx<'e, 'v, 'a> {
    engine: &'e Engine,
    view: &'v RequestView<'a>,
    policy: &'e Policy,
    removed: &'e [Target],
    scratch: Scratch,
    /// Items per variable (indexed by `Var as usize`) with their values'
    /// memo handles, resolved on first use.
    vars: Vec<Option<Vec<(Item<'v>, detect::Value)>>>,
}

impl Engine {
    /// Evaluates every applicable rule in priority order and decides.
    pub fn evaluate(&self, view: &RequestView<'_>, policy: &Policy) -> Verdict {
        if policy.mode == Mode::Off || skipped_path(view, policy) {
            return Verdict::skipped();
        }
        let mut ctx = Ctx {
            engine: self,
            view,
            policy,
            removed: &[],
            scratch: Scratch {
                values: HashMap::with_capacity_and_hasher(64, Default::default()),
            },
            vars: vec![None; Var::TABLE.len()],
        };
        let mut verdict = Verdict::skipped();
        verdict.skipped = false;
        for rule in self.rules.iter().filter(|r| applies(r, policy)) {
            ctx.removed = policy
                .exclusions
                .targets
                .get(&rule.id)
                .map_or(&[], Vec::as_slice);
            let mut hits = Vec::new();
            if !ctx.cond(&rule.cond, &mut hits) {
                continue;
            }
            if record(rule, hits, &mut verdict) {
                break;
            }
        }
        decide(&mut verdict, policy);
        verdict
    }
}

fn skipped_path(view: &RequestView<'_>, policy: &Policy) -> bool {
    let skip = &policy.exclusions.skip_paths;
    !skip.is_empty()
        && skip
            .iter()
            .any(|p| view.path_normalized().starts_with(p.as_str()))
}

fn applies(rule: &CRule, policy: &Policy) -> bool {
    let ex = &policy.exclusions;
    rule.paranoia <= policy.paranoia
        && !ex.rule_ids.contains(&rule.id)
        && !rule.tags.iter().any(|t| ex.tags.contains(t))
}

/// Adds the rule's match to the verdict; returns true when evaluation stops.
fn record(rule: &CRule, hits: Vec<Hit>, verdict: &mut Verdict) -> bool {
    let counts = rule.action == Action::Block;
    let first = hits.into_iter().next().unwrap_or(Hit {
        variable: String::new(),
        value: String::new(),
        transformed: String::new(),
        evidence: String::new(),
        reason: None,
    });
    verdict.matches.push(Match {
        rule_id: rule.id,
        message: rule.msg.clone(),
        tags: rule.tags.clone(),
        severity: rule.severity,
        variable: first.variable,
        value: truncate(&first.value),
        transformed: truncate(&first.transformed),
        evidence: truncate(&first.evidence),
        reason: first.reason,
        score: if counts { rule.score } else { 0 },
    });
    match rule.action {
        Action::Block => {
            verdict.score = verdict.score.saturating_add(rule.score);
            false
        }
        Action::Log | Action::Pass => false,
        Action::Allow => {
            verdict.action = VerdictAction::Allow;
            true
        }
        Action::Deny(status) => {
            verdict.status = Some(status);
            true
        }
    }
}

fn decide(verdict: &mut Verdict, policy: &Policy) {
    if verdict.action == VerdictAction::Allow {
        return;
    }
    verdict.would_block = verdict.status.is_some() || verdict.score >= policy.threshold;
    verdict.blocked = verdict.would_block && policy.mode == Mode::Block;
    if verdict.blocked {
        verdict.action = VerdictAction::Block;
    }
}

impl Ctx<'_, '_, '_> {
    fn cond(&mut self, c: &CCond, hits: &mut Vec<Hit>) -> bool {
        match c {
            CCond::Test(t) => match self.test(t) {
                Some(h) => {
                    hits.extend(h);
                    true
                }
                None => false,
            },
            CCond::All(list) => list.iter().all(|c| self.cond(c, hits)),
            CCond::Any(list) => list.iter().any(|c| self.cond(c, hits)),
            CCond::Not(inner) => !self.cond(inner, &mut Vec::new()),
        }
    }

    /// `Some(hit)` when the test matches (`Some(None)` for a negated test).
    fn test(&mut self, t: &CTest) -> Option<Option<Hit>> {
        let mut found = None;
        for target in &t.test.targets {
            let idx = target.var as usize;
            if self.vars[idx].is_none() {
                let mut list = Vec::new();
                items(self.view, target.var, &mut list);
                let scratch = &mut self.scratch;
                let with_handles = list
                    .into_iter()
                    .map(|it| {
                        let v = scratch.value(it.value);
                        (it, v)
                    })
                    .collect();
                self.vars[idx] = Some(with_handles);
            }
            let list = self.vars[idx].as_deref().unwrap_or_default();
            let exclude = &t.test.exclude;
            let wanted = list.iter().filter(|(it, _)| {
                target.selector.as_ref().is_none_or(|s| s.matches(it.name))
                    && !exclude.iter().any(|x| x.covers(it.source, it.name))
                    && !self.removed.iter().any(|x| x.covers(it.source, it.name))
            });
            let shared = Shared {
                engine: self.engine,
                policy: self.policy,
            };
            found = wanted
                .into_iter()
                .find_map(|(it, v)| shared.item(&mut self.scratch, t, it, v));
            if found.is_some() {
                break;
            }
        }
        match (found, t.test.negate) {
            (Some(h), false) => Some(Some(h)),
            (None, true) => Some(None),
            _ => None,
        }
    }
}

/// The read-only parts of an evaluation.
struct Shared<'e> {
    engine: &'e Engine,
    policy: &'e Policy,
}

impl Shared<'_> {
    fn item(
        &self,
        scratch: &mut Scratch,
        t: &CTest,
        it: &Item<'_>,
        v: &detect::Value,
    ) -> Option<Hit> {
        let engine = self.engine.id;
        if v.known_miss(engine, it.ctx, t.id) {
            return None;
        }
        match self.judge(scratch, t, it, v) {
            Outcome::Hit(h) => Some(h),
            Outcome::Miss => {
                v.set_miss(engine, it.ctx, t.id, self.engine.test_count);
                None
            }
            Outcome::AbovePolicy => None,
        }
    }

    fn judge(&self, scratch: &mut Scratch, t: &CTest, it: &Item<'_>, v: &detect::Value) -> Outcome {
        let chain = &self.engine.chains[t.chain];
        let need_scan = t.lits.is_some() && self.engine.literals.is_some();
        if chain.is_empty() && !need_scan && !t.test.only_transformed {
            return self.run(scratch, t, it, it.value, Some(v));
        }
        let engine = self.engine;
        let scanned = v.scanned(engine.id, t.chain, |v| {
            let text = match apply_chain(chain, v) {
                Cow::Borrowed(_) => None,
                Cow::Owned(s) => Some(Rc::from(s)),
            };
            let lits = engine.scan_literals(text.as_deref().unwrap_or(v));
            Scanned { text, lits }
        });
        if t.test.only_transformed && scanned.text.is_none() {
            return Outcome::Miss;
        }
        if need_scan {
            let ids = t.lits.as_deref().unwrap_or_default();
            if !ids
                .iter()
                .any(|id| scanned.lits[id / 64] & (1 << (id % 64)) != 0)
            {
                return Outcome::Miss;
            }
        }
        match &scanned.text {
            Some(text) => self.run(scratch, t, it, text, None),
            None => self.run(scratch, t, it, it.value, Some(v)),
        }
    }

    /// Runs the operator on `text` (the item's value, whose handle `v` is,
    /// or its transformed form).
    fn run(
        &self,
        scratch: &mut Scratch,
        t: &CTest,
        it: &Item<'_>,
        text: &str,
        v: Option<&detect::Value>,
    ) -> Outcome {
        let m = match &t.test.op {
            Operator::Detect(d) => {
                if plain_number(text) {
                    return Outcome::Miss;
                }
                let hit = match v {
                    Some(v) => v.run(*d, it.ctx),
                    None => scratch.value(text).run(*d, it.ctx),
                };
                match hit {
                    None => return Outcome::Miss,
                    Some(h) if h.level.get() > self.policy.paranoia => return Outcome::AbovePolicy,
                    Some(h) => OpMatch::from(h),
                }
            }
            // Only detectors read the paranoia level.
            op => match op.eval(text, it.ctx, self.policy.paranoia) {
                Some(m) => m,
                None => return Outcome::Miss,
            },
        };
        Outcome::Hit(Hit {
            variable: it.var_name(),
            value: it.value.to_string(),
            transformed: text.to_string(),
            evidence: m.evidence,
            reason: m.reason,
        })
    }
}

/// What one test found in one value.
enum Outcome {
    Hit(Hit),
    /// No match at any paranoia level: remembered for the value.
    Miss,
    /// A detector hit above the route's paranoia level.
    AbovePolicy,
}
