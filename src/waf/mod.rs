//! The WAF engine: a pure, synchronous library (no Pingora types, no locks, no
//! I/O). A [`RequestView`] exposes the request lazily decoded; rules (the IR in
//! [`rule`], produced by the YAML front-end in [`rules`]) are compiled once into
//! an [`Engine`]; [`Engine::evaluate`] returns a [`Verdict`] under a [`Policy`].
//! Detectors live in [`detect`].

pub mod compile;
pub mod csrf;
pub mod detect;
pub mod eval;
pub mod literal;
pub(crate) mod memo;
pub mod operator;
pub mod policy;
pub mod protocol;
pub mod redact;
pub mod request;
pub mod rule;
pub mod rules;
pub mod target;
pub mod transform;

pub use compile::Engine;
pub use policy::{Exclusions, Match, Mode, Policy, Verdict, VerdictAction};
pub use redact::{is_secret, redact, redact_match, redact_value};
pub use request::{Anomaly, RequestView};
pub use rules::{load_engine, load_files, RuleError};

#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod filters_tests;
#[cfg(test)]
mod fuzz_tests;
