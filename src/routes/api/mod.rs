//! The RealWorld JSON API under `/api`, and its OpenAPI description.

mod articles;
mod comments;
mod docs;
mod drafts;
mod dto;
pub mod error;
pub mod extract;
pub mod idempotency;
mod images;
mod input;
pub mod notifications;
pub mod openapi;
mod openapi_idempotency;
mod openapi_scopes;
mod profiles;
mod reports;
mod revisions;
mod search;
mod tags;
mod tokens;
mod users;
mod webhooks;

use actix_web::http::Method;
use actix_web::{HttpResponse, web};

use super::Endpoint;
use error::{ApiError, ErrorBody};

/// Where the API lives.
pub const PREFIX: &str = "/api";

/// The API's route table. Every row must also be described in the OpenAPI document
/// (`#[utoipa::path]` on the handler, listed in [`openapi::ApiDoc`]); a test fails when
/// the two disagree.
pub fn table() -> Vec<Endpoint> {
    use Method as M;
    vec![
        Endpoint::new(M::POST, "/users", users::register),
        Endpoint::new(M::POST, "/users/login", users::login),
        Endpoint::new(M::GET, "/user", users::current),
        Endpoint::new(M::PUT, "/user", users::update),
        Endpoint::new(M::GET, "/user/tokens", tokens::list),
        Endpoint::new(M::POST, "/user/tokens", tokens::create),
        Endpoint::new(M::DELETE, "/user/tokens/{id}", tokens::revoke),
        Endpoint::new(M::POST, "/images", images::upload),
        Endpoint::new(M::GET, "/user/images", images::mine),
        Endpoint::new(M::DELETE, "/images/{id}", images::delete),
        Endpoint::new(M::GET, "/user/drafts", drafts::list),
        Endpoint::new(M::GET, "/profiles/{username}", profiles::get),
        Endpoint::new(M::POST, "/profiles/{username}/follow", profiles::follow),
        Endpoint::new(M::DELETE, "/profiles/{username}/follow", profiles::unfollow),
        Endpoint::new(M::GET, "/articles", articles::list),
        Endpoint::new(M::POST, "/articles", articles::create),
        Endpoint::new(M::GET, "/articles/feed", articles::feed),
        Endpoint::new(M::GET, "/articles/{slug}", articles::get),
        Endpoint::new(M::PUT, "/articles/{slug}", articles::update),
        Endpoint::new(M::DELETE, "/articles/{slug}", articles::delete),
        Endpoint::new(M::POST, "/articles/{slug}/favorite", articles::favorite),
        Endpoint::new(M::DELETE, "/articles/{slug}/favorite", articles::unfavorite),
        Endpoint::new(M::GET, "/articles/{slug}/revisions", revisions::list),
        Endpoint::new(M::GET, "/articles/{slug}/comments", comments::list),
        Endpoint::new(M::POST, "/articles/{slug}/comments", comments::add),
        Endpoint::new(
            M::DELETE,
            "/articles/{slug}/comments/{id}",
            comments::delete,
        ),
        Endpoint::new(M::GET, "/tags", tags::list),
        Endpoint::new(M::GET, "/search", search::search),
        Endpoint::new(M::POST, "/reports", reports::create),
        Endpoint::new(M::GET, "/reports", reports::open),
        Endpoint::new(M::GET, "/notifications", notifications::list),
        Endpoint::new(M::POST, "/notifications/read", notifications::read),
        Endpoint::new(M::POST, "/webhooks", webhooks::create),
        Endpoint::new(M::GET, "/webhooks", webhooks::list),
        Endpoint::new(M::DELETE, "/webhooks/{id}", webhooks::delete),
        Endpoint::new(M::GET, "/webhooks/{id}/deliveries", webhooks::deliveries),
        Endpoint::new(
            M::POST,
            "/webhooks/{id}/deliveries/{delivery}/redeliver",
            webhooks::redeliver,
        ),
        Endpoint::new(M::GET, "/openapi.json", openapi::document),
        Endpoint::new(M::GET, "/docs", docs::page),
    ]
}

/// Registers [`table`] under [`PREFIX`], with CORS and JSON errors for unreadable input.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let scope = web::scope(PREFIX)
        .wrap(actix_web::middleware::from_fn(idempotency::replay))
        .wrap(cors())
        .app_data(
            web::QueryConfig::default()
                .error_handler(|err, _| ApiError::unreadable("query", err.to_string()).into()),
        )
        .app_data(
            web::PathConfig::default()
                .error_handler(|err, _| ApiError::unreadable("path", err.to_string()).into()),
        );
    let scope = scope.configure(|cfg| super::register(cfg, table(), || web::to(unknown_route)));
    cfg.service(scope.default_service(web::to(unknown_route)));
}

async fn unknown_route() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody::one("route", "not found"))
}

/// Any origin may call the API: it authenticates with a header token, never a cookie.
pub(crate) fn cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
            actix_web::http::header::HeaderName::from_static("idempotency-key"),
        ])
        .max_age(3600)
}
