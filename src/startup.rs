//! Builds the running application; `main` and the tests both come through here.

use std::net::TcpListener;

use actix_identity::IdentityMiddleware;
use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware, web};

use crate::cache::Caches;
use crate::cache::broadcast::Broadcast;
use crate::cache::listener::{Backoff, Listener};
use crate::config::Config;
use crate::db::Db;
use crate::routes;
use crate::state::AppState;

/// Seconds in-flight requests get to finish after SIGTERM.
pub const SHUTDOWN_GRACE_SECS: u64 = 30;

/// Largest request body accepted (articles are capped well below this).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Name of the site's session cookie (sign-in, CSRF token, flash messages).
pub const SESSION_COOKIE: &str = "conduit_session";

/// The site's session: one encrypted, signed cookie that ends with the browser session,
/// HttpOnly, SameSite=Lax, and Secure when the site is served over HTTPS.
fn session_middleware(key: Key, secure: bool) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_name(SESSION_COOKIE.to_owned())
        .cookie_content_security(CookieContentSecurity::Private)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_secure(secure)
        .session_lifecycle(BrowserSession::default())
        .build()
}

/// Blocking threads per HTTP worker: a pool's worth of database calls, plus room for
/// bcrypt and the odd file operation.
fn blocking_threads(db_pool_size: u32) -> usize {
    db_pool_size as usize + 4
}

/// Closes `hub` on SIGTERM or SIGINT (actix-web hears them too, and begins its graceful
/// stop): open streams end at once instead of holding the stop for its whole grace.
async fn close_live_on_signal(hub: std::sync::Arc<crate::live::Hub>) {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    hub.close();
}

/// A bound, migrated, ready-to-run server.
pub struct Application {
    server: Server,
    port: u16,
    workers: Option<std::sync::Arc<crate::jobs::WorkerPool>>,
    cache_listener: Option<Listener>,
    /// Held for as long as the server runs.
    _search_flusher: crate::app::search::IndexFlusher,
    /// Live streams, ended when the server begins to stop.
    live: std::sync::Arc<crate::live::Hub>,
}

impl Application {
    /// Connects, migrates and binds `config.bind` (port 0 picks a free port).
    pub fn build(config: Config) -> Result<Self, String> {
        let db = Db::connect(&config.database_url, config.db_pool_size)?;
        let applied = db.migrate()?;
        if applied > 0 {
            log::info!("applied {applied} migration(s)");
        }
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        // Install the metrics recorder before the first request is counted.
        crate::telemetry::handle();
        let workers = match config.jobs.workers {
            0 => None,
            n => Some(crate::jobs::start_workers(&config, n)?),
        };
        let caches = std::sync::Arc::new(Caches::new(
            config.cache_max_mb,
            std::time::Duration::from_secs(u64::from(config.cache_ttl_secs)),
        ));
        let broadcast = Broadcast::for_db(&db)?.serving();
        // This instance must hear every other writer's invalidations: to drop its cached
        // entries and, caches on or off, to tell its live connections (SSE, GraphQL
        // subscriptions) what changed elsewhere.
        let cache_listener = Some(
            Listener::start(
                &config.database_url,
                &broadcast,
                &caches,
                Backoff {
                    first: std::time::Duration::from_millis(u64::from(config.listener_backoff_ms)),
                },
            )
            .map_err(|e| format!("cannot start the cache listener: {e}"))?,
        );
        let search_flusher = crate::app::search::IndexFlusher::start(db.clone())?;
        let app = crate::app::App::new(db, caches, broadcast)
            .requiring_verified_email(config.require_verified_email);
        let state = web::Data::new(AppState::new(
            &config,
            app,
            workers.clone(),
            cache_listener.clone(),
        ));
        let live = std::sync::Arc::clone(&state.live);
        let cookie_key = Key::derive_from(config.secret_key.expose());
        let https = config.https;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .wrap(middleware::from_fn(routes::pages::render_failures))
                .wrap(middleware::from_fn(
                    crate::middleware::http_cache::conditional_get,
                ))
                .wrap(middleware::from_fn(
                    crate::middleware::rate_limit::limit_rate,
                ))
                .wrap(
                    // The idle timeout is `routes::pages::session`'s own: actix-identity's
                    // rewrites the session cookie on every request.
                    IdentityMiddleware::builder()
                        .logout_behavior(actix_identity::config::LogoutBehavior::DeleteIdentityKeys)
                        .build(),
                )
                .wrap(session_middleware(cookie_key.clone(), https))
                .wrap(middleware::from_fn(
                    crate::middleware::kept_session::keep_sessions,
                ))
                .wrap(crate::middleware::security::headers(https))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(
                    crate::middleware::request_log::log_requests,
                ))
                .configure(routes::configure)
        })
        // On SIGTERM or SIGINT: stop accepting, let in-flight requests finish for up to
        // this long, then exit (the pool closes when the state is dropped).
        .shutdown_timeout(SHUTDOWN_GRACE_SECS)
        // Blocking work is database calls (bounded by the pool) and bcrypt (bounded by
        // its own permits): more threads than that only wait on the pool, and each one
        // costs a stack and, under load, malloc arenas that hold on to memory.
        .worker_max_blocking_threads(blocking_threads(config.db_pool_size))
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run();
        log::info!(
            "listening on {}",
            config.bind.replace(":0", &format!(":{port}"))
        );
        Ok(Self {
            server,
            port,
            workers,
            cache_listener,
            _search_flusher: search_flusher,
            live,
        })
    }

    /// A handle to stop the server (tests stop theirs before the process exits).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The in-process job workers, if any (tests stop them with the server).
    pub fn workers(&self) -> Option<std::sync::Arc<crate::jobs::WorkerPool>> {
        self.workers.clone()
    }

    /// Serves until stopped; then lets running jobs finish, within the same grace period.
    pub async fn run(self) -> std::io::Result<()> {
        // Live streams never finish on their own: they end as the stop begins, so that
        // the graceful stop waits only for real requests.
        let closer = actix_web::rt::spawn(close_live_on_signal(std::sync::Arc::clone(&self.live)));
        let served = self.server.await;
        self.live.close();
        closer.abort();
        if let Some(listener) = &self.cache_listener {
            listener.stop();
        }
        if let Some(workers) = self.workers {
            let grace = std::time::Duration::from_secs(SHUTDOWN_GRACE_SECS);
            let _ = web::block(move || workers.shutdown(grace)).await;
        }
        served
    }
}
