//! An in-process app over a test's database with a pool of its own, so that the
//! statements one request runs can be counted (`Db::queries_executed`). Its caches have
//! no listener: a test clears them before a cold count. Sessions and tokens from the
//! test's real server are accepted (same secret).

/// `(db, caches, service)` for `app: &TestApp` (and optionally a cache budget in MiB);
/// call the service with
/// `actix_web::test::call_service`. A macro, since the service's type cannot be named.
#[macro_export]
macro_rules! counted_service {
    ($app:expr) => {{
        let app: &$crate::helpers::TestApp = $app;
        $crate::counted_service!(app, app.config.cache_max_mb)
    }};
    // With caches of `$cache_mb` MiB instead of the configured budget.
    ($app:expr, $cache_mb:expr) => {{
        let app: &$crate::helpers::TestApp = $app;
        let db = conduit::db::Db::connect(&app.config.database_url, 1).expect("connect");
        let caches = std::sync::Arc::new(conduit::cache::Caches::new(
            $cache_mb,
            std::time::Duration::from_secs(300),
        ));
        let broadcast = conduit::cache::broadcast::Broadcast::for_db(&db)
            .expect("broadcast")
            .serving();
        let counted = conduit::app::App::new(db.clone(), caches, broadcast);
        let state = actix_web::web::Data::new(conduit::state::AppState::new(
            &app.config,
            counted,
            None,
            None,
        ));
        let caches = state.caches.clone();
        let key = actix_web::cookie::Key::derive_from(app.config.secret_key.expose());
        let service = actix_web::test::init_service(
            actix_web::App::new()
                .app_data(state)
                .wrap(actix_web::middleware::from_fn(
                    conduit::routes::pages::render_failures,
                ))
                .wrap(actix_identity::IdentityMiddleware::default())
                .wrap(
                    actix_session::SessionMiddleware::builder(
                        actix_session::storage::CookieSessionStore::default(),
                        key,
                    )
                    .cookie_name("conduit_session".to_owned())
                    .build(),
                )
                .configure(conduit::routes::configure),
        )
        .await;
        (db, caches, service)
    }};
}
