//! Shared application state, handed to every handler.

use crate::app::App;
use crate::assets::Assets;
use crate::auth::token::TokenKeys;
use crate::cache::Caches;
use crate::cache::listener::Listener;
use crate::config::{Config, Secret};
use crate::db::Db;
use crate::middleware::rate_limit::RateLimits;

/// What handlers share: the database and the keys.
#[derive(Clone)]
pub struct AppState {
    /// The pool.
    pub db: Db,
    /// The application layer: every write, and the reads that go through the caches.
    pub app: App,
    /// API token signer.
    pub tokens: TokenKeys,
    /// bcrypt work factor.
    pub bcrypt_cost: u32,
    /// Seconds after signing in during which settings need not re-ask the password.
    pub reauth_window_secs: i64,
    /// Staff need two-factor sign-in for the admin area (`CONDUIT_REQUIRE_STAFF_2FA`).
    pub require_staff_two_factor: bool,
    /// Fingerprinted URLs of the static files, hashed once at start-up.
    pub assets: std::sync::Arc<Assets>,
    /// Bearer token for `GET /metrics`, if metrics are on.
    pub metrics_token: Option<Secret>,
    /// Per-IP and per-account limits on sign-in, sign-up, settings and writes.
    pub rate_limits: std::sync::Arc<RateLimits>,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy only).
    pub trust_proxy: bool,
    /// The in-process job workers (`None` when `CONDUIT_WORKERS=0`), for readiness.
    pub workers: Option<std::sync::Arc<crate::jobs::WorkerPool>>,
    /// Webhooks may target private addresses (`CONDUIT_WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
    /// Key that signs unsubscribe links (the app secret).
    pub link_key: Secret,
    /// Seals the TOTP keys of two-factor sign-in at rest.
    pub totp_sealer: crate::auth::sealed::Sealer,
    /// The site's address as readers reach it (`CONDUIT_PUBLIC_URL`, no trailing `/`):
    /// feeds, sitemaps and link previews carry absolute URLs.
    pub public_url: String,
    /// The shared read caches (see `crate::cache`), the same as `app`'s: only metrics
    /// read them here; writes go through `app`.
    pub caches: std::sync::Arc<Caches>,
    /// The thread receiving other instances' invalidations (`None` with caches off).
    pub listener: Option<Listener>,
    /// Byte limits of image uploads and each member's storage quota.
    pub image_limits: crate::app::images::ImageLimits,
    /// The fixed body of `GET /bench/ceiling`, when the benchmark asked for one.
    pub bench_ceiling: Option<actix_web::web::Bytes>,
    /// This instance's live streams (caps, shutdown).
    pub live: std::sync::Arc<crate::live::Hub>,
    /// The GraphQL schema and its live-connection caps, shared by every worker.
    pub graphql: crate::graphql::Graphql,
}

impl AppState {
    /// State for `config` over `app` (its database already migrated).
    pub fn new(
        config: &Config,
        app: App,
        workers: Option<std::sync::Arc<crate::jobs::WorkerPool>>,
        listener: Option<Listener>,
    ) -> Self {
        Self {
            db: app.db().clone(),
            caches: std::sync::Arc::clone(app.caches()),
            app,
            listener,
            tokens: TokenKeys::new(&config.secret_key, config.token_ttl_days),
            bcrypt_cost: config.bcrypt_cost,
            reauth_window_secs: i64::from(config.reauth_window_secs),
            require_staff_two_factor: config.require_staff_two_factor,
            assets: std::sync::Arc::new(Assets::fingerprint()),
            metrics_token: config.metrics_token.clone(),
            rate_limits: std::sync::Arc::new(RateLimits::new(config.rate_limit_per_minute)),
            trust_proxy: config.trust_proxy,
            workers,
            webhook_allow_private: config.jobs.webhook_allow_private,
            link_key: config.secret_key.clone(),
            totp_sealer: crate::auth::sealed::Sealer::new(&config.secret_key, "totp"),
            public_url: config.jobs.public_url.clone(),
            image_limits: crate::app::images::ImageLimits {
                max_bytes: config.image_max_bytes as usize,
                quota_bytes: u64::from(config.image_quota_bytes),
            },
            live: std::sync::Arc::new(crate::live::Hub::new(config.live.clone())),
            graphql: crate::graphql::Graphql::new(&config.live),
            bench_ceiling: config
                .bench_ceiling_bytes
                .map(|n| actix_web::web::Bytes::from(vec![b'x'; n as usize])),
        }
    }
}

impl AppState {
    /// The client address of `req` as the audit log records it (honouring
    /// `CONDUIT_TRUST_PROXY` like the rate limits).
    pub fn client_ip(&self, req: &actix_web::HttpRequest) -> Option<String> {
        Some(crate::middleware::rate_limit::client_ip(req, self.trust_proxy).to_string())
    }
}
