//! Endpoints for load balancers, orchestrators and monitoring.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use subtle::ConstantTimeEq;

use super::Endpoint;
use crate::state::AppState;

/// How long readiness waits for a pooled connection before saying "not ready".
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The liveness answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(value_type = String, example = "ok")]
    status: &'static str,
}

/// The readiness answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    status: ReadyState,
    checks: Checks,
}

/// Overall readiness.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReadyState {
    /// Every check passed.
    Ready,
    /// A check failed.
    Unavailable,
}

/// One result per dependency.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Checks {
    /// The database answers and is fully migrated.
    database: CheckState,
    /// The in-process job workers.
    workers: WorkersState,
    /// The connection that hears other instances' cache invalidations.
    listener: ListenerState,
}

/// The cache listener's state.
#[derive(Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListenerState {
    /// Receiving invalidations.
    Up,
    /// Lost its connection: caches are bypassed until it is back (not ready).
    Down,
    /// No listener runs in this process (only a state built by hand, as in tests).
    Off,
}

/// The in-process job workers' state.
#[derive(Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkersState {
    /// All running.
    Running,
    /// A worker thread has stopped: not ready.
    Stopped,
    /// `CONDUIT_WORKERS=0`: jobs are left to `conduit worker` processes.
    Disabled,
}

/// A dependency's state.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    /// Working.
    Ok,
    /// Not answering or not migrated.
    Failing,
}

/// The operations routes: health, readiness and metrics.
pub fn table() -> Vec<Endpoint> {
    vec![
        Endpoint::new(Method::GET, "/healthz", healthz),
        Endpoint::new(Method::GET, "/readyz", readyz),
        Endpoint::new(Method::GET, "/metrics", metrics),
    ]
}

/// Registers [`table`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    for endpoint in table() {
        cfg.route(endpoint.path, endpoint.route);
    }
    cfg.route("/bench/ceiling", web::get().to(bench_ceiling));
}

/// `GET /bench/ceiling`: a fixed body of `CONDUIT_BENCH_CEILING_BYTES` bytes through the
/// same middleware as every route, so the benchmark can compare a route with the most
/// this server could answer; 404 unless that variable is set.
async fn bench_ceiling(state: web::Data<AppState>) -> HttpResponse {
    match &state.bench_ceiling {
        Some(body) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(body.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `GET /healthz`: the process is alive and serving.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "Operations",
    operation_id = "Healthz",
    summary = "Liveness: the process is serving",
    responses((status = 200, description = "Alive", body = Health))
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health { status: "ok" })
}

/// `GET /readyz`: the database answers, every migration is applied, the in-process job
/// workers (if configured) are running and the cache listener is connected; 503
/// otherwise.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "Operations",
    operation_id = "Readyz",
    summary = "Readiness: the database answers and is migrated, the job workers run and the cache listener is connected",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready", body = Readiness),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let outcome = web::block(move || db.check_ready(READY_TIMEOUT))
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    let workers = match &state.workers {
        None => WorkersState::Disabled,
        Some(pool) if pool.healthy() => WorkersState::Running,
        Some(_) => WorkersState::Stopped,
    };
    let listener = match &state.listener {
        None => ListenerState::Off,
        Some(l) if l.is_up() => ListenerState::Up,
        Some(_) => ListenerState::Down,
    };
    let ready =
        outcome.is_ok() && workers != WorkersState::Stopped && listener != ListenerState::Down;
    let mut response = if ready {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    response.insert_header(("Cache-Control", "no-store"));
    let database = match outcome {
        Ok(()) => CheckState::Ok,
        Err(cause) => {
            log::warn!("not ready: {cause}");
            CheckState::Failing
        }
    };
    if workers == WorkersState::Stopped {
        log::warn!("not ready: job workers are not running");
    }
    if listener == ListenerState::Down {
        log::warn!("not ready: the cache listener is reconnecting");
    }
    response.json(Readiness {
        status: if ready {
            ReadyState::Ready
        } else {
            ReadyState::Unavailable
        },
        checks: Checks {
            database,
            workers,
            listener,
        },
    })
}

/// `GET /metrics`: Prometheus text format, for `Authorization: Bearer <CONDUIT_METRICS_TOKEN>`
/// only (compared in constant time); absent when no token is configured.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "Operations",
    operation_id = "Metrics",
    summary = "Prometheus metrics",
    description = "Only when `CONDUIT_METRICS_TOKEN` is set (404 otherwise).",
    security(("MetricsToken" = [])),
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "Wrong or missing bearer token"),
        (status = 404, description = "Metrics are off"),
    )
)]
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Some(expected) = &state.metrics_token else {
        return HttpResponse::NotFound().finish();
    };
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(presented.as_bytes().ct_eq(expected.expose())) {
        return HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Bearer"))
            .finish();
    }
    crate::cache::record_usage(&state.caches).await;
    let db = state.db.clone();
    match web::block(move || crate::telemetry::render(&db)).await {
        Ok(text) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(e) => {
            log::error!("rendering metrics failed: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}
