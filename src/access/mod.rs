//! Who-is-asking checks. Today: the client identity every check uses.

pub mod client;
