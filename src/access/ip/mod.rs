//! Everything keyed by the client's address: who the client is
//! ([`client`]), the allow and deny lists ([`list`] over [`prefix`]) and the
//! country it connects from ([`geo`]).

pub mod client;
pub mod geo;
pub mod list;
pub mod prefix;
