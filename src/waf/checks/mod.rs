//! Checks outside the rules: CSRF origin and token checks for the routes that
//! ask for them ([`csrf`]), and protocol checks on the request head: header
//! limits and the framing shapes of request smuggling ([`protocol`]).

pub mod csrf;
pub mod protocol;
