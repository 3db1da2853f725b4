//! Who-is-asking checks, run before any inspection work is spent. One folder
//! per concept:
//!
//! - [`ip`]: the client's identity ([`ip::client`], trusted
//!   X-Forwarded-For), allow and deny lists with expiry ([`ip::list`] over the
//!   longest-prefix tables in [`ip::prefix`]) and geo blocking ([`ip::geo`]).
//! - [`ban`]: fail2ban-style auto-bans from strikes, with a log of recent bans.
//! - [`ratelimit`]: GCRA rate limits in memory over the lock-free [`slots`] table.
//! - [`fleet`]: the Redis side of limits and bans, shared by several instances.
//! - [`bot`]: bot scoring, per-client behaviour, the per-route bot policy and
//!   the proof-of-work browser challenge.
//!
//! The proxy calls two entry points, named after the phases they serve:
//! [`early`] (IP lists, bans, global geo; `early_request_filter`) and
//! [`after_route`] (route geo, rate limits, bots; `request_filter` after the
//! route match). [`config`] is the `access:` section of the YAML and
//! [`state`] everything built from it. Every check reads a
//! [`request::RequestAttrs`] and takes time from a [`clock::Clock`]; nothing on
//! the request path locks.

pub mod after_route;
pub mod ban;
pub mod bot;
pub mod clock;
pub mod config;
pub mod early;
pub mod fleet;
pub mod ip;
pub mod ratelimit;
pub mod request;
pub mod slots;
pub mod state;
