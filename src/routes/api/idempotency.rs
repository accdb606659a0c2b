//! `Idempotency-Key` on the API's POST routes. A signed-in client that repeats a POST
//! with the same key within 24 hours gets the first response again (with
//! `Idempotent-Replayed: true`) instead of a second article or comment; the same key with
//! a different request is a 422, and one still running is a 409. Only successful (2xx)
//! responses are kept: a failed request changed nothing and may be retried with its key.
//! Requests without a valid token pass through untouched (they have no "same user"), and
//! so do the POSTs in [`NOT_KEPT`].

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::domain::idempotency::{self, Begin, MAX_KEY_LEN};
use crate::error::{AppError, FieldErrors};
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "Idempotency-Key";

fn key_error(message: &str) -> ApiError {
    ApiError(AppError::Validation(FieldErrors::single(HEADER, message)))
}

async fn token_user(req: &ServiceRequest, state: &AppState) -> Option<i32> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (_, token) = value.trim().split_once(' ')?;
    super::extract::token_user(state, token.trim()).await
}

/// POSTs whose answer is never kept: creating an access token answers with its
/// secret, which is stored nowhere (only its hash); an image upload is larger than the
/// body this reads to hash (and the same file again gives back the same image anyway).
pub const NOT_KEPT: [&str; 2] = ["/api/user/tokens", "/api/images"];

/// Marks a 2xx response that reports a failure all the same (a GraphQL answer with
/// errors): like a 4xx, it is not kept, so the request may be retried with its key.
pub struct NotKept;

/// The middleware (wrapped around the `/api` scope and the GraphQL endpoint).
pub async fn replay(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(|s| s.trim().to_owned()));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let kept = req.method() == Method::POST && !NOT_KEPT.contains(&req.path());
    let (Some(key), Some(state), true) = (key, state, kept) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(user_id) = token_user(&req, &state).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match key {
        Ok(key) if !key.is_empty() && key.len() <= MAX_KEY_LEN => key,
        _ => {
            let error = key_error(&format!("must be 1 to {MAX_KEY_LEN} visible characters"));
            return Ok(req.into_response(error.error_response()));
        }
    };
    let body = req.extract::<web::Bytes>().await?;
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(req.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(&body);
    let hash = hex::encode(hasher.finalize());
    req.set_payload(actix_web::dev::Payload::from(body));

    let claim_key = key.clone();
    let begun = state
        .db
        .run(move |conn| {
            idempotency::begin(conn, user_id, &claim_key, &hash).map_err(AppError::from)
        })
        .await;
    let response = match begun.map_err(ApiError)? {
        Begin::Replay(status, body) => {
            HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
                .content_type("application/json")
                .insert_header(("Idempotent-Replayed", "true"))
                .body(body)
        }
        Begin::Mismatch => key_error("was already used for a different request").error_response(),
        Begin::InProgress => {
            let mut errors = FieldErrors::default();
            errors.add(HEADER, "a request with this key is still in progress");
            HttpResponse::Conflict().json(serde_json::json!({ "errors": errors }))
        }
        Begin::Fresh => return run_and_keep(req, next, state, user_id, key).await,
    };
    Ok(req.into_response(response))
}

async fn run_and_keep(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    state: web::Data<AppState>,
    user_id: i32,
    key: String,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let outcome = next.call(req).await;
    let response = match outcome {
        Ok(response)
            if response.status().is_success()
                && response.response().extensions().get::<NotKept>().is_none() =>
        {
            response
        }
        other => {
            let release = key.clone();
            let _ = state
                .db
                .run(move |conn| {
                    idempotency::abandon(conn, user_id, &release).map_err(AppError::from)
                })
                .await
                .map_err(|e| log::warn!("releasing an idempotency key failed: {e}"));
            return other.map(ServiceResponse::map_into_boxed_body);
        }
    };
    let status = response.status().as_u16();
    let (req, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| ApiError(AppError::Internal("unreadable response body".into())))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let kept = state
        .db
        .run(move |conn| {
            idempotency::finish(conn, user_id, &key, status, &text).map_err(AppError::from)
        })
        .await;
    if let Err(e) = kept {
        log::warn!("keeping an idempotent response failed: {e}");
    }
    let response = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(req, response))
}
