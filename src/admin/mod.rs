//! The operator's side of a running Rampart: the authenticated admin API
//! (JSON under `/admin/api/v1` on its own listener, loopback by default).
//!
//! - [`server`]: the listener's HTTP app, the route table and dispatch
//! - [`auth`]: logins, JWT access tokens, rotating refresh tokens, API
//!   tokens, roles, the login lockout; [`password`]: argon2id hashes
//! - [`views`]: read-only answers; [`changes`] and [`rules`]: validated,
//!   atomic, audited changes applied through a snapshot reload
//! - [`store`]: the state folder (runtime blocks and drains, audit log,
//!   config backups, signing key)
//! - [`client`]: the CLI's side (`rampart login`, `rampart waf ...`)
//!
//! The OpenAPI 3.1 document (`openapi.json`) lists exactly the routes of
//! [`server::ROUTES`]; a test keeps the two equal.

pub mod auth;
pub mod changes;
pub mod client;
pub mod password;
pub mod rules;
pub mod server;
pub mod store;
pub mod views;

use crate::snapshot::Shared;
use std::sync::Arc;

/// Builds the admin app for a config whose admin API is enabled: loads (or
/// creates) the signing key, opens the state folder and restores the
/// runtime blocks and drains it holds.
pub fn build(shared: &Arc<Shared>) -> Result<server::Admin, String> {
    let cfg = shared.load().config.clone();
    let a = &cfg.admin;
    let key = auth::load_or_create_key(&a.jwt_key_file)
        .map_err(|e| format!("admin: signing key {}: {e}", a.jwt_key_file.display()))?;
    let store = store::Store::open(&a.state_dir)
        .map_err(|e| format!("admin: state folder {}: {e}", a.state_dir.display()))?;
    let (blocks, drains) = futures::executor::block_on(store.restore(shared));
    if blocks + drains > 0 {
        log::info!(
            "admin: restored {blocks} IP block(s) and {drains} drained server(s) from {}",
            a.state_dir.display()
        );
    }
    Ok(server::Admin {
        shared: shared.clone(),
        auth: auth::Auth::new(&key),
        store,
        started: std::time::Instant::now(),
    })
}
