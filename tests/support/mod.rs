//! Test harness: a recording origin that can fail, delay or disappear, the real
//! `rampart` binary on ephemeral ports, and a small raw HTTP/1.1 client.
#![allow(dead_code, unused_imports, clippy::disallowed_types)]

pub mod certs;
pub mod client;
pub mod edge;
pub mod origin;
pub mod pebble;

pub use client::{get, request, Conn, Response};
pub use edge::{edge, free_port, Edge};
pub use origin::{origin, Origin};
