//! The rule engine: the IR every front-end produces ([`rule`]), compiled once
//! into an [`compile::Engine`] with a literal prefilter ([`literal`]), then
//! evaluated per request ([`eval`]): [`target`]s select a request's values,
//! transformation chains normalise them, [`operator`]s test them, and the
//! route's [`policy`] turns the matches into a verdict. What the engine learns
//! about a value is remembered per value (`memo`).

pub mod compile;
pub mod eval;
pub mod literal;
pub(crate) mod memo;
pub mod operator;
pub mod policy;
pub mod rule;
pub mod target;

#[cfg(test)]
mod eval_tests;
