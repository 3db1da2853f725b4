//! The operator's side of a running Rampart. So far: password hashing for
//! admin users ([`password`]), used by `rampart admin hash-password`; the
//! authenticated admin API (issue 13) builds on it.

pub mod password;
