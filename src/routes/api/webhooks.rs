//! `/api/webhooks…`: register, list, delete, deliveries and redelivery.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::NewWebhookRequest;
use super::error::ApiError;
use super::extract::{ApiUser, wrapped_json};
use super::input::NewWebhook;
use super::openapi::{
    Forbidden, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized, Unprocessable,
};
use crate::app;
use crate::domain::access_tokens::Scope;
use crate::domain::time;
use crate::domain::webhooks::{self, Delivery, Webhook, WebhookInput};
use crate::state::AppState;

/// A webhook as the API shows it (the secret is never shown again).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookJson {
    id: i32,
    url: String,
    events: Vec<String>,
    site_wide: bool,
    created_at: String,
}

impl From<Webhook> for WebhookJson {
    fn from(hook: Webhook) -> Self {
        Self {
            events: hook.event_list(),
            id: hook.id,
            url: hook.url,
            site_wide: hook.site_wide,
            created_at: time::iso8601(hook.created_at),
        }
    }
}

/// A delivery as the API shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryJson {
    id: i32,
    event: String,
    state: String,
    attempts: i32,
    response_code: Option<i32>,
    last_error: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<Delivery> for DeliveryJson {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            event: d.event,
            state: d.state,
            attempts: d.attempts,
            response_code: d.response_code,
            last_error: d.last_error,
            created_at: time::iso8601(d.created_at),
            updated_at: time::iso8601(d.updated_at),
        }
    }
}

/// `{"webhook": …}`
#[derive(Serialize, ToSchema)]
pub struct WebhookBody {
    webhook: WebhookJson,
}

/// `{"webhooks": […]}`
#[derive(Serialize, ToSchema)]
pub struct WebhooksBody {
    webhooks: Vec<WebhookJson>,
}

/// `{"deliveries": […]}`
#[derive(Serialize, ToSchema)]
pub struct DeliveriesBody {
    deliveries: Vec<DeliveryJson>,
}

/// The id of a queued delivery.
#[derive(Serialize, ToSchema)]
pub struct DeliveryRef {
    id: i32,
}

/// `{"delivery": {"id": n}}`
#[derive(Serialize, ToSchema)]
pub struct RedeliveryBody {
    delivery: DeliveryRef,
}

/// `POST /api/webhooks` with `{"webhook": {"url", "secret", "events", "siteWide"?}}`.
#[utoipa::path(
    post,
    path = "/api/webhooks",
    tag = "Webhooks",
    operation_id = "CreateWebhook",
    summary = "Register a webhook endpoint",
    description = "Targets on private, loopback or link-local addresses are refused (422) \
        unless the server allows them. `siteWide` is for admins only (403), and an access \
        token needs the `admin` scope for it.",
    request_body = NewWebhookRequest,
    security(("Token" = [])),
    responses(
        (status = 201, description = "The webhook (its secret is never shown again)", body = WebhookBody),
        Unauthorized,
        Forbidden,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    auth: ApiUser,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: WebhookInput = wrapped_json::<NewWebhook>(&body, "webhook")?.into();
    // A staff power: an access token needs its `admin` scope.
    if input.site_wide {
        auth.require(Scope::Admin)?;
    }
    let hook = app::webhooks::create(
        &state.app,
        auth.user.id,
        &auth.user.role,
        input,
        state.webhook_allow_private,
    )
    .await?;
    Ok(HttpResponse::Created().json(WebhookBody {
        webhook: hook.into(),
    }))
}

/// `GET /api/webhooks`
#[utoipa::path(
    get,
    path = "/api/webhooks",
    tag = "Webhooks",
    operation_id = "GetWebhooks",
    summary = "The caller's webhooks",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The webhooks", body = WebhooksBody),
        Unauthorized,
    )
)]
pub async fn list(state: web::Data<AppState>, auth: ApiUser) -> Result<HttpResponse, ApiError> {
    let hooks: Vec<WebhookJson> = webhooks::list(&state.db, auth.user.id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(WebhooksBody { webhooks: hooks }))
}

/// `DELETE /api/webhooks/{id}`
#[utoipa::path(
    delete,
    path = "/api/webhooks/{id}",
    tag = "Webhooks",
    operation_id = "DeleteWebhook",
    summary = "Remove a webhook",
    params(("id" = i32, Path, description = "The webhook's id")),
    security(("Token" = [])),
    responses(
        (status = 204, description = "Removed"),
        Unauthorized,
        NotFound,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    auth: ApiUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    app::webhooks::delete(&state.app, auth.user.id, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/webhooks/{id}/deliveries`: the latest 20, newest first.
#[utoipa::path(
    get,
    path = "/api/webhooks/{id}/deliveries",
    tag = "Webhooks",
    operation_id = "GetWebhookDeliveries",
    summary = "A webhook's latest 20 deliveries, newest first",
    params(("id" = i32, Path, description = "The webhook's id")),
    security(("Token" = [])),
    responses(
        (status = 200, description = "The deliveries", body = DeliveriesBody),
        Unauthorized,
        NotFound,
        Unprocessable,
    )
)]
pub async fn deliveries(
    state: web::Data<AppState>,
    auth: ApiUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let (_, deliveries) =
        webhooks::with_deliveries(&state.db, auth.user.id, id.into_inner()).await?;
    let list: Vec<DeliveryJson> = deliveries.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(DeliveriesBody { deliveries: list }))
}

/// `POST /api/webhooks/{id}/deliveries/{delivery}/redeliver`: 202 with the new delivery id.
#[utoipa::path(
    post,
    path = "/api/webhooks/{id}/deliveries/{delivery}/redeliver",
    tag = "Webhooks",
    operation_id = "RedeliverWebhookDelivery",
    summary = "Send a past delivery's payload again, as a new delivery",
    params(
        ("id" = i32, Path, description = "The webhook's id"),
        ("delivery" = i32, Path, description = "The delivery to send again"),
    ),
    security(("Token" = [])),
    responses(
        (status = 202, description = "Queued", body = RedeliveryBody),
        Unauthorized,
        NotFound,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn redeliver(
    state: web::Data<AppState>,
    auth: ApiUser,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    let new_id = webhooks::redeliver(&state.db, auth.user.id, id, delivery).await?;
    Ok(HttpResponse::Accepted().json(RedeliveryBody {
        delivery: DeliveryRef { id: new_id },
    }))
}
