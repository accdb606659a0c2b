//! Shared application state, handed to every handler.

use crate::assets::Assets;
use crate::auth::token::TokenKeys;
use crate::config::{Config, Secret};
use crate::db::Db;
use crate::middleware::rate_limit::RateLimits;

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
    /// Per-IP and per-account limits on sign-in, sign-up, settings and writes.
    pub rate_limits: std::sync::Arc<RateLimits>,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy only).
    pub trust_proxy: bool,
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
            rate_limits: std::sync::Arc::new(RateLimits::new(config.rate_limit_per_minute)),
            trust_proxy: config.trust_proxy,
        }
    }
}
