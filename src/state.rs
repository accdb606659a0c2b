//! Shared application state, handed to every handler.

use crate::assets::Assets;
use crate::auth::token::TokenKeys;
use crate::config::{Config, Secret};
use crate::db::Db;

/// What handlers share: the database and the keys.
#[derive(Clone)]
pub struct AppState {
    /// The pool.
    pub db: Db,
    /// API token signer.
    pub tokens: TokenKeys,
    /// bcrypt work factor.
    pub bcrypt_cost: u32,
    /// Fingerprinted URLs of the static files, hashed once at start-up.
    pub assets: Assets,
    /// Bearer token for `GET /metrics`, if metrics are on.
    pub metrics_token: Option<Secret>,
}

impl AppState {
    /// State for `config` over an already-migrated `db`.
    pub fn new(config: &Config, db: Db) -> Self {
        Self {
            db,
            tokens: TokenKeys::new(&config.secret_key, config.token_ttl_days),
            bcrypt_cost: config.bcrypt_cost,
            assets: Assets::fingerprint(),
            metrics_token: config.metrics_token.clone(),
        }
    }
}
