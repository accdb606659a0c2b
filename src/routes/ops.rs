//! Endpoints for load balancers, orchestrators and monitoring.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::state::AppState;

/// How long readiness waits for a pooled connection before saying "not ready".
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Health and readiness routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

/// `GET /healthz`: the process is alive and serving.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and every migration is applied; 503 otherwise.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let outcome = web::block(move || db.check_ready(READY_TIMEOUT))
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    let mut response = match &outcome {
        Ok(()) => HttpResponse::Ok(),
        Err(_) => HttpResponse::ServiceUnavailable(),
    };
    response.insert_header(("Cache-Control", "no-store"));
    match outcome {
        Ok(()) => response.json(json!({ "status": "ready", "checks": { "database": "ok" } })),
        Err(cause) => {
            log::warn!("not ready: {cause}");
            response.json(json!({ "status": "unavailable", "checks": { "database": "failing" } }))
        }
    }
}

/// `GET /metrics`: Prometheus text format, for `Authorization: Bearer <CONDUIT_METRICS_TOKEN>`
/// only (compared in constant time); absent when no token is configured.
async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
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
