//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the DTOs' `ToSchema` derives, served at `GET /api/openapi.json`.
//!
//! The error responses below describe what the shared layers really send: the
//! extractors (401), the domain errors mapped in `error.rs` (403, 404, 409, 422), the
//! transport's body limit (413) and the rate limiter (429).

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

use super::error::ErrorBody;
use super::openapi_idempotency::IdempotencyKeys;
use super::openapi_scopes::TokenScopes;
use super::{
    articles, comments, docs, drafts, images, notifications, profiles, reports, revisions, search,
    tags, tokens, users, webhooks,
};
use crate::routes::ops;

/// The whole document. Every handler in the route tables is listed in `paths`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Conduit API",
        description = "The RealWorld Conduit JSON API with Conduit's extensions, plus the \
            operations endpoints. Errors always have the shape \
            `{\"errors\": {\"field\": [\"message\"]}}`. Send the token from sign-up or \
            sign-in as `Authorization: Token <jwt>`, or a personal access token (created \
            at `POST /api/user/tokens` or in the site's settings) as \
            `Authorization: Token cdt_…`."
    ),
    paths(
        users::register,
        users::login,
        users::current,
        users::update,
        tokens::list,
        tokens::create,
        tokens::revoke,
        images::upload,
        images::mine,
        images::delete,
        drafts::list,
        profiles::get,
        profiles::follow,
        profiles::unfollow,
        articles::list,
        articles::create,
        articles::feed,
        articles::get,
        articles::update,
        articles::delete,
        articles::favorite,
        articles::unfavorite,
        revisions::list,
        comments::list,
        comments::add,
        comments::delete,
        tags::list,
        search::search,
        reports::create,
        reports::open,
        notifications::list,
        notifications::read,
        webhooks::create,
        webhooks::list,
        webhooks::delete,
        webhooks::deliveries,
        webhooks::redeliver,
        document,
        docs::page,
        ops::healthz,
        ops::readyz,
        ops::metrics,
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes, &IdempotencyKeys, &TokenScopes),
    tags(
        (name = "User and Authentication", description = "Sign up, sign in and settings."),
        (name = "Profile", description = "Public profiles and following."),
        (name = "Articles", description = "Reading and writing articles."),
        (name = "Favorites", description = "Favoriting articles."),
        (name = "Comments", description = "Comments on articles."),
        (name = "Tags", description = "Tags in use."),
        (name = "Images", description = "Uploading images for articles."),
        (name = "Reports", description = "Reporting content to the moderators."),
        (name = "Notifications", description = "The signed-in user's notifications."),
        (name = "Webhooks", description = "Signed HTTP callbacks for integrations."),
        (name = "Documentation", description = "This document and its HTML rendering."),
        (name = "Operations", description = "Health, readiness and metrics, for load \
            balancers, orchestrators and monitoring."),
    )
)]
pub struct ApiDoc;

/// The security schemes: the RealWorld `Token` header, and the metrics bearer token.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "Token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Token <jwt>` with the token returned by sign-up or sign-in, or \
                 `Token cdt_…` with a personal access token (`Bearer` is accepted too). \
                 Each operation lists the scope it needs: `read` (every token reads), \
                 `write` (every method but GET and HEAD) or `admin` (staff actions; \
                 staff accounts only). A sign-in token has every scope; an access token \
                 only those chosen when it was created, and a request beyond them gets \
                 403 with the error under `token`.",
            ))),
        );
        components.add_security_scheme(
            "MetricsToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The value of `CONDUIT_METRICS_TOKEN`."))
                    .build(),
            ),
        );
    }
}

/// The document as JSON, rendered once: it is a function of the code alone.
pub static JSON: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|e| format!(r#"{{"error":"cannot render the OpenAPI document: {e}"}}"#))
});

/// `GET /api/openapi.json`
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "Documentation",
    operation_id = "GetOpenApiDocument",
    summary = "This OpenAPI 3.1 document",
    responses((status = 200, description = "The document", body = Object))
)]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(JSON.as_str())
}

/// The token is missing, malformed or expired, or its account is gone.
#[derive(IntoResponses)]
#[response(
    status = 401,
    headers(("WWW-Authenticate" = String, description = "Always `Token`"))
)]
pub struct Unauthorized(pub ErrorBody);

/// The caller is not the owner of the resource named in the error key.
#[derive(IntoResponses)]
#[response(status = 403)]
pub struct Forbidden(pub ErrorBody);

/// The resource named in the error key (`article`, `profile`, `comment`) does not exist.
#[derive(IntoResponses)]
#[response(status = 404)]
pub struct NotFound(pub ErrorBody);

/// The username or email is already taken.
#[derive(IntoResponses)]
#[response(status = 409)]
pub struct Conflict(pub ErrorBody);

/// The request body is larger than the server accepts (1 MiB).
#[derive(IntoResponses)]
#[response(status = 413, content_type = "text/plain")]
pub struct PayloadTooLarge(pub String);

/// The input could not be read or broke a rule; each field lists its problems.
#[derive(IntoResponses)]
#[response(status = 422)]
pub struct Unprocessable(pub ErrorBody);

/// Too many requests from this address or account (or failed sign-ins for this account).
#[derive(IntoResponses)]
#[response(
    status = 429,
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))
)]
pub struct TooManyRequests(pub ErrorBody);
