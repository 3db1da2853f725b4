//! What the engine learns about a value, remembered per value.
//!
//! Every detector is a pure function of (value, context), and so is every
//! transformation chain and the literal prefilter scan after it. The engine
//! asks these questions about the same values many times: each detector rule
//! runs over every argument, cookie and header, and the same User-Agent,
//! Accept-Language, cookie names and argument names come back request after
//! request. So each worker thread keeps, per value, its normalised forms
//! ([`Norm`]), the outcome of each (detector, context) already judged, and
//! the result of each (engine, transformation chain) already applied. A
//! repeated value costs a lookup, not a re-parse.
//!
//! Entries are found by content (values up to [`MAX_REMEMBERED`] bytes), so
//! an answer is only ever reused for the same text. The engine looks each
//! value up once per request and hands the [`Value`] to every rule. Memory is
//! bounded by an entry and a byte budget, in two generations (see [`Memo`]):
//! a client sending only unique values gets the uncached cost and nothing
//! worse, and the values other clients keep sending stay remembered.

use crate::waf::detect::norm::Norm;
use crate::waf::detect::{Detector, Hit, InputContext};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Values longer than this are judged without being remembered across
/// requests (a long body field rarely repeats); within a request the engine
/// still keeps their handle for every rule.
pub(crate) const MAX_REMEMBERED: usize = 1024;
/// Entry and byte budgets, per worker thread.
const MAX_ENTRIES: usize = 4096;
const MAX_BYTES: usize = 4 << 20;

/// A value after one transformation chain: the transformed text (when the
/// chain changed it) and the prefilter literals found in it (a bitset).
pub(crate) struct Scanned {
    pub text: Option<Rc<str>>,
    pub lits: Box<[u64]>,
}

/// One value: its normalised forms and the outcomes judged so far.
struct Entry {
    /// The text, shared with the memo's key.
    raw: Rc<str>,
    norm: OnceCell<Norm>,
    /// ((detector, context), outcome); a value is usually seen in one or two
    /// contexts, so a short list beats a map.
    outcomes: Kept<(Detector, InputContext), Option<Hit>>,
    /// ((engine id, chain id), result).
    scans: Kept<(u64, usize), Rc<Scanned>>,
    /// (engine id, context, bitset of test ids that do not match this value
    /// at any paranoia level).
    misses: RefCell<Vec<MissRow>>,
}

/// Results kept per key in a short list (see `Value::remembered`).
type Kept<K, V> = RefCell<Vec<(K, V)>>;

/// Test ids known not to match, for one (engine id, context).
type MissRow = (u64, InputContext, Box<[u64]>);

impl Entry {
    fn new(raw: &str) -> Rc<Entry> {
        Rc::new(Entry {
            raw: Rc::from(raw),
            norm: OnceCell::new(),
            outcomes: RefCell::new(Vec::new()),
            scans: RefCell::new(Vec::new()),
            misses: RefCell::new(Vec::new()),
        })
    }

    /// Bytes charged against the budget when an entry is made: the text
    /// (shared with the key), the normalised form's copy, decoded and
    /// lowercased forms, and some bookkeeping. Outcomes, chain results and
    /// miss sets are charged as they are added.
    fn cost(len: usize) -> usize {
        4 * len + 256
    }
}

/// Two generations: new entries and hits go to `new`; when `new` reaches
/// half the budget it becomes `old` and the previous `old` is dropped. A
/// value still in use is moved back to `new` on its next lookup, so the values
/// every request repeats stay remembered even while a client floods the memo
/// with values it never repeats.
#[derive(Default)]
struct Memo {
    new: HashMap<Rc<str>, Rc<Entry>, ahash::RandomState>,
    old: HashMap<Rc<str>, Rc<Entry>, ahash::RandomState>,
    /// Bytes charged to `new`.
    bytes: usize,
}

impl Memo {
    /// Adds `cost` bytes to the new generation, first ageing it when that
    /// would take it over half the budget.
    fn charge(&mut self, cost: usize) {
        if self.bytes + cost > MAX_BYTES / 2 {
            self.age();
        }
        self.bytes += cost;
    }

    fn age(&mut self) {
        self.old = std::mem::take(&mut self.new);
        self.bytes = 0;
    }

    fn insert(&mut self, e: &Rc<Entry>) {
        self.charge(Entry::cost(e.raw.len()));
        if self.new.len() >= MAX_ENTRIES / 2 {
            self.age();
        }
        self.new.insert(Rc::clone(&e.raw), Rc::clone(e));
    }
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// A value being judged: a handle on its remembered normalisations and
/// outcomes. The engine looks a value up once per request and keeps the
/// handle for every rule that inspects it.
#[derive(Clone)]
pub struct Value(Rc<Entry>);

impl Value {
    /// The remembered entry for `input`, or a new one (remembered when
    /// `input` is short enough).
    pub fn lookup(input: &str) -> Value {
        if input.len() > MAX_REMEMBERED {
            return Value(Entry::new(input));
        }
        MEMO.with(|m| {
            let mut m = m.borrow_mut();
            if let Some(e) = m.new.get(input) {
                return Value(Rc::clone(e));
            }
            let e = match m.old.remove(input) {
                Some(e) => e,
                None => Entry::new(input),
            };
            m.insert(&e);
            Value(e)
        })
    }

    /// The value's text.
    pub fn text(&self) -> &str {
        &self.0.raw
    }

    /// Whether test `test` of engine `engine` is known not to match this
    /// value in `ctx`.
    pub(crate) fn known_miss(&self, engine: u64, ctx: InputContext, test: usize) -> bool {
        self.0
            .misses
            .borrow()
            .iter()
            .find(|(e, c, _)| *e == engine && *c == ctx)
            .and_then(|(_, _, bits)| bits.get(test / 64))
            .is_some_and(|w| w & (1 << (test % 64)) != 0)
    }

    /// Records that test `test` (of `tests` in engine `engine`) does not
    /// match this value in `ctx`.
    pub(crate) fn set_miss(&self, engine: u64, ctx: InputContext, test: usize, tests: usize) {
        let mut misses = self.0.misses.borrow_mut();
        let i = match misses
            .iter()
            .position(|(e, c, _)| *e == engine && *c == ctx)
        {
            Some(i) => i,
            None => {
                let words = tests.div_ceil(64);
                if self.0.raw.len() <= MAX_REMEMBERED {
                    MEMO.with(|m| m.borrow_mut().charge(8 * words + 32));
                }
                misses.push((engine, ctx, vec![0; words].into_boxed_slice()));
                misses.len() - 1
            }
        };
        if let Some(w) = misses[i].2.get_mut(test / 64) {
            *w |= 1 << (test % 64);
        }
    }

    /// The value after chain `chain` of engine `engine`: remembered, or
    /// computed by `apply` and remembered.
    pub(crate) fn scanned(
        &self,
        engine: u64,
        chain: usize,
        apply: impl FnOnce(&str) -> Scanned,
    ) -> Rc<Scanned> {
        let e = &self.0;
        self.remembered(
            &e.scans,
            (engine, chain),
            || Rc::new(apply(&e.raw)),
            |s| s.text.as_ref().map_or(0, |t| t.len()) + 8 * s.lits.len() + 64,
        )
    }

    /// The outcome of `detector` on this value in `ctx`.
    pub fn run(&self, detector: Detector, ctx: InputContext) -> Option<Hit> {
        self.run_with(detector, ctx, crate::waf::detect::judge)
    }

    fn run_with(
        &self,
        detector: Detector,
        ctx: InputContext,
        judge: fn(Detector, &str, &Norm, InputContext) -> Option<Hit>,
    ) -> Option<Hit> {
        let e = &self.0;
        self.remembered(
            &e.outcomes,
            (detector, ctx),
            || {
                judge(
                    detector,
                    &e.raw,
                    e.norm.get_or_init(|| Norm::new(&e.raw)),
                    ctx,
                )
            },
            |hit| 64 + hit.as_ref().map_or(0, |h| h.evidence.len()),
        )
    }

    /// The result kept in `list` under `key`, or `make()`'s, which is kept
    /// there and charged to the budget (`cost` bytes) when this value is
    /// remembered across requests.
    fn remembered<K: PartialEq, V: Clone>(
        &self,
        list: &Kept<K, V>,
        key: K,
        make: impl FnOnce() -> V,
        cost: impl FnOnce(&V) -> usize,
    ) -> V {
        if let Some((_, v)) = list.borrow().iter().find(|(k, _)| *k == key) {
            return v.clone();
        }
        let v = make();
        if self.0.raw.len() <= MAX_REMEMBERED {
            let c = cost(&v);
            MEMO.with(|m| m.borrow_mut().charge(c));
        }
        list.borrow_mut().push((key, v.clone()));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static CALLS: Cell<usize> = const { Cell::new(0) };
    }

    fn counting(d: Detector, input: &str, n: &Norm, ctx: InputContext) -> Option<Hit> {
        CALLS.with(|c| c.set(c.get() + 1));
        crate::waf::detect::judge(d, input, n, ctx)
    }

    fn calls() -> usize {
        CALLS.with(Cell::get)
    }

    #[test]
    fn remembers_outcomes_per_detector_and_context() {
        let before = calls();
        let a = String::from("1' or '1'='1 -- memo test");
        let first = Value::lookup(&a).run_with(Detector::Sqli, InputContext::QueryValue, counting);
        assert!(first.is_some());
        // Same text at another address: found by content, not recomputed.
        let b = Value::lookup(&a.clone());
        let again = b.run_with(Detector::Sqli, InputContext::QueryValue, counting);
        assert_eq!(again.map(|h| h.level), first.map(|h| h.level));
        assert_eq!(calls(), before + 1);
        // Another context or detector is judged on its own.
        b.run_with(Detector::Sqli, InputContext::Path, counting);
        b.run_with(Detector::Xss, InputContext::QueryValue, counting);
        assert_eq!(calls(), before + 3);
    }

    #[test]
    fn misses_are_kept_per_engine_context_and_test() {
        let v = Value::lookup("misses test value");
        assert!(!v.known_miss(7, InputContext::QueryValue, 70));
        v.set_miss(7, InputContext::QueryValue, 70, 100);
        let again = Value::lookup("misses test value");
        assert!(again.known_miss(7, InputContext::QueryValue, 70));
        assert!(!again.known_miss(7, InputContext::QueryValue, 69));
        assert!(!again.known_miss(8, InputContext::QueryValue, 70));
        assert!(!again.known_miss(7, InputContext::Cookie, 70));
        // A test id past the engine's count is never a known miss.
        assert!(!again.known_miss(7, InputContext::QueryValue, 1000));
    }

    #[test]
    fn a_value_in_use_survives_a_flood_of_new_ones() {
        let hot = "hot value kept through a flood";
        let before = calls();
        for i in 0..(3 * MAX_ENTRIES) {
            if i % 256 == 0 {
                Value::lookup(hot).run_with(Detector::Sqli, InputContext::Cookie, counting);
            }
            Value::lookup(&format!("flood {i}"));
        }
        assert_eq!(calls(), before + 1);
    }

    #[test]
    fn a_reused_buffer_never_gives_a_stale_answer() {
        let mut s = String::with_capacity(64);
        s.push_str("<script>alert(1)</script>");
        assert!(Value::lookup(&s)
            .run(Detector::Xss, InputContext::QueryValue)
            .is_some());
        // Same buffer, same length, different text.
        s.clear();
        s.push_str("just some plain text here");
        assert!(Value::lookup(&s)
            .run(Detector::Xss, InputContext::QueryValue)
            .is_none());
    }

    #[test]
    fn stays_within_its_budgets() {
        for i in 0..(MAX_ENTRIES + 100) {
            let v = format!("value number {i}");
            Value::lookup(&v).run(Detector::Ldap, InputContext::QueryValue);
        }
        MEMO.with(|m| {
            let m = m.borrow();
            assert!(m.new.len() + m.old.len() <= MAX_ENTRIES);
            assert!(m.bytes <= MAX_BYTES / 2);
        });
        // A value too long to remember across requests is still judged.
        let long = format!("{}<script>x()</script>", "a".repeat(MAX_REMEMBERED));
        assert!(Value::lookup(&long)
            .run(Detector::Xss, InputContext::QueryValue)
            .is_some());
        MEMO.with(|m| assert!(!m.borrow().new.contains_key(long.as_str())));
    }
}
