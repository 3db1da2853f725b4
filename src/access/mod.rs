//! Who-is-asking checks, run before any inspection work is spent: IP lists
//! with expiry (`iplist` over `prefix`), auto-ban (`ban`), geo blocking
//! (`geo`), rate limits in memory (`ratelimit` over the lock-free `slots`
//! table) and fleet-wide through Redis (`fleet` over `resp`), bot scoring
//! (`bot`, `behaviour`, `botpolicy`) and the proof-of-work browser
//! challenge (`challenge`). Every check reads a [`request::RequestAttrs`]
//! and takes time from a [`clock::Clock`]; nothing on the request path locks.

pub mod ban;
pub mod banlog;
pub mod behaviour;
pub mod bot;
pub mod botpolicy;
pub mod challenge;
pub mod client;
pub mod clock;
pub mod config;
pub mod decide;
pub mod fleet;
pub mod gate;
pub mod geo;
pub mod iplist;
pub mod prefix;
pub mod ratelimit;
pub mod request;
pub mod resp;
pub mod slots;
