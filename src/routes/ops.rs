//! Endpoints for load balancers and orchestrators.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

/// How long readiness waits for a pooled connection before saying "not ready".
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Health and readiness routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
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
