//! The WAF: a pure, synchronous library (no Pingora types, no locks, no I/O).
//!
//! - [`request`]: the [`RequestView`], the request lazily decoded, with its
//!   bodies parsed (form, multipart, JSON, XML).
//! - [`decode`]: the one byte-level decoder set (percent, `%u`, overlong
//!   UTF-8, HTML entities, JS and CSS escapes, base64, Unicode folding) that
//!   both the detectors' normalisation and the rule transformations call.
//! - [`transform`]: the transformation chains rules apply before an operator.
//! - [`engine`]: the rule IR, its compilation with a literal prefilter,
//!   operators, targets, evaluation, the per-value memo and the per-route
//!   [`Policy`] that turns matches into a [`Verdict`].
//! - [`detect`]: the attack detectors (`detect_sqli`, `detect_xss`...).
//! - [`yaml`]: the `filters/*.yaml` front-end that produces the rule IR.
//! - [`checks`]: checks outside the rules (CSRF, protocol framing).
//! - [`redact`]: which matched values an audit record must not show.

pub mod checks;
pub mod decode;
pub mod detect;
pub mod engine;
pub mod redact;
pub mod request;
pub mod transform;
pub mod yaml;

pub use engine::compile::Engine;
pub use engine::policy::{Exclusions, Match, Mode, Policy, Verdict, VerdictAction};
pub use redact::{is_secret, redact, redact_match, redact_value};
pub use request::{Anomaly, RequestView};
pub use yaml::{load_engine, load_files, RuleError};

#[cfg(test)]
mod fuzz_tests;
