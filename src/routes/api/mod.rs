//! The RealWorld JSON API under `/api`.

mod articles;
mod comments;
mod dto;
pub mod error;
pub mod extract;
mod profiles;
mod tags;
mod users;

use actix_web::{HttpResponse, web};

use error::ApiError;

/// The API's route table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .wrap(cors())
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|err, _| ApiError::unreadable("query", err.to_string()).into()),
            )
            .app_data(
                web::PathConfig::default()
                    .error_handler(|err, _| ApiError::unreadable("path", err.to_string()).into()),
            )
            .route("/users", web::post().to(users::register))
            .route("/users/login", web::post().to(users::login))
            .route("/user", web::get().to(users::current))
            .route("/user", web::put().to(users::update))
            .route("/profiles/{username}", web::get().to(profiles::get))
            .route(
                "/profiles/{username}/follow",
                web::post().to(profiles::follow),
            )
            .route(
                "/profiles/{username}/follow",
                web::delete().to(profiles::unfollow),
            )
            .route("/articles", web::get().to(articles::list))
            .route("/articles", web::post().to(articles::create))
            .route("/articles/feed", web::get().to(articles::feed))
            .route("/articles/{slug}", web::get().to(articles::get))
            .route("/articles/{slug}", web::put().to(articles::update))
            .route("/articles/{slug}", web::delete().to(articles::delete))
            .route(
                "/articles/{slug}/favorite",
                web::post().to(articles::favorite),
            )
            .route(
                "/articles/{slug}/favorite",
                web::delete().to(articles::unfavorite),
            )
            .route("/articles/{slug}/comments", web::get().to(comments::list))
            .route("/articles/{slug}/comments", web::post().to(comments::add))
            .route(
                "/articles/{slug}/comments/{id}",
                web::delete().to(comments::delete),
            )
            .route("/tags", web::get().to(tags::list))
            .default_service(web::to(unknown_route)),
    );
}

async fn unknown_route() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "errors": { "route": ["not found"] } }))
}

/// Any origin may call the API: it authenticates with a header token, never a cookie.
fn cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
        ])
        .max_age(3600)
}
