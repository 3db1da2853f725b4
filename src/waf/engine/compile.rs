//! Compiling rules into an [`Engine`]: priority order, interned transformation
//! chains, and one Aho-Corasick automaton over every prefilter literal.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::waf::engine::literal::required_literals;
use crate::waf::engine::operator::Operator;
use crate::waf::engine::rule::{Action, Cond, Rule, Severity, Test};
use crate::waf::transform::Transform;

/// A compiled test: the IR test plus its chain id and prefilter literal ids.
#[derive(Debug)]
pub(crate) struct CTest {
    /// Index of this test in its engine (for remembered misses).
    pub id: usize,
    pub test: Test,
    pub chain: usize,
    /// `None`: always run the operator. `Some(ids)`: run it only when one of
    /// these literals occurs in the transformed value.
    pub lits: Option<Vec<usize>>,
}

/// A compiled condition tree.
#[derive(Debug)]
pub(crate) enum CCond {
    Test(Box<CTest>),
    All(Vec<CCond>),
    Any(Vec<CCond>),
    Not(Box<CCond>),
}

/// A compiled rule.
#[derive(Debug)]
pub(crate) struct CRule {
    pub id: u32,
    pub msg: String,
    pub tags: Vec<String>,
    pub severity: Severity,
    pub score: u32,
    pub paranoia: u8,
    pub action: Action,
    pub cond: CCond,
}

/// Rules compiled once at load; evaluate many times (see `eval`).
#[derive(Debug)]
pub struct Engine {
    /// Unique per compiled engine, so remembered transformation results
    /// (see `memo`) are never reused by an engine with other chains.
    pub(crate) id: u64,
    pub(crate) rules: Vec<CRule>,
    pub(crate) chains: Vec<Vec<Transform>>,
    pub(crate) literals: Option<AhoCorasick>,
    pub(crate) literal_count: usize,
    /// Number of compiled tests (ids `0..test_count`).
    pub(crate) test_count: usize,
}

#[derive(Default)]
struct Builder {
    chains: Vec<Vec<Transform>>,
    literals: Vec<String>,
    literal_ids: HashMap<String, usize>,
    tests: usize,
}

impl Builder {
    fn chain(&mut self, chain: &[Transform]) -> usize {
        match self.chains.iter().position(|c| c == chain) {
            Some(i) => i,
            None => {
                self.chains.push(chain.to_vec());
                self.chains.len() - 1
            }
        }
    }

    fn literal(&mut self, lit: &str) -> usize {
        let lit = lit.to_ascii_lowercase();
        if let Some(id) = self.literal_ids.get(&lit) {
            return *id;
        }
        self.literals.push(lit.clone());
        self.literal_ids.insert(lit, self.literals.len() - 1);
        self.literals.len() - 1
    }

    fn test(&mut self, test: Test) -> CTest {
        let chain = self.chain(&test.transforms);
        let wanted = match (&test.prefilter, &test.op) {
            (Some(list), _) if !list.is_empty() => Some(list.clone()),
            (None, Operator::Regex(re)) if !test.negate => required_literals(re.as_str()),
            _ => None,
        };
        let lits = wanted.map(|l| l.iter().map(|s| self.literal(s)).collect());
        self.tests += 1;
        CTest {
            id: self.tests - 1,
            test,
            chain,
            lits,
        }
    }

    fn cond(&mut self, c: Cond) -> CCond {
        match c {
            Cond::Test(t) => CCond::Test(Box::new(self.test(*t))),
            Cond::All(v) => CCond::All(v.into_iter().map(|c| self.cond(c)).collect()),
            Cond::Any(v) => CCond::Any(v.into_iter().map(|c| self.cond(c)).collect()),
            Cond::Not(c) => CCond::Not(Box::new(self.cond(*c))),
        }
    }
}

impl Engine {
    /// Compiles rules: stable-sorted by priority (lower first), so rules of
    /// equal priority keep their load order.
    pub fn compile(mut rules: Vec<Rule>) -> Engine {
        rules.sort_by_key(|r| r.priority);
        let mut b = Builder::default();
        let compiled = rules
            .into_iter()
            .map(|r| CRule {
                id: r.id,
                msg: r.msg,
                tags: r.tags,
                severity: r.severity,
                score: r.score,
                paranoia: r.paranoia,
                action: r.action,
                cond: b.cond(r.cond),
            })
            .collect();
        let literals = (!b.literals.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&b.literals)
                    .ok()
            })
            .flatten();
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Engine {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            rules: compiled,
            chains: b.chains,
            test_count: b.tests,
            literal_count: if literals.is_some() {
                b.literals.len()
            } else {
                0
            },
            literals,
        }
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Rule ids in evaluation order.
    pub fn rule_ids(&self) -> Vec<u32> {
        self.rules.iter().map(|r| r.id).collect()
    }

    /// Ids of literals found in `text` (a bitset of `literal_count` bits).
    pub(crate) fn scan_literals(&self, text: &str) -> Box<[u64]> {
        let mut bits = vec![0u64; self.literal_count.div_ceil(64)].into_boxed_slice();
        if let Some(ac) = &self.literals {
            for m in ac.find_overlapping_iter(text) {
                let id = m.pattern().as_usize();
                bits[id / 64] |= 1 << (id % 64);
            }
        }
        bits
    }
}
