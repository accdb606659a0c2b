//! The server-rendered site: every page and form action. Handlers stay thin: they read
//! the request, call the same domain functions as the API, build view models and render.
//! Every state change is a POST form carrying the session's CSRF token, answered with a
//! redirect (Post/Redirect/Get) or, when the input is refused, the form again (422).

pub mod admin;
mod article;
pub(crate) mod auth;
mod confirm;
mod discovery;
mod editor;
pub mod errors;
mod home;
pub(crate) mod images;
mod live;
mod messaging;
mod profile;
mod recovery;
mod report;
mod revisions;
mod search;
pub mod session;
mod sessions;
mod settings;
mod static_files;
mod syndication;
mod tokens;
mod two_factor;
mod verification;
pub mod views;
mod webhooks;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;

pub use errors::{PageError, PageResult, not_found, render_failures};

/// The site's route table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    admin::configure(cfg);
    cfg.route("/report", web::get().to(report::form))
        .route("/report", web::post().to(report::submit));
    cfg.route("/static/{path:.*}", web::get().to(static_files::serve))
        .route("/static/{path:.*}", web::head().to(static_files::serve))
        .route("/", web::get().to(home::home))
        .route("/search", web::get().to(search::search))
        .route("/live", web::get().to(live::stream))
        .route("/robots.txt", web::get().to(discovery::robots))
        .route("/sitemap.xml", web::get().to(discovery::index))
        .route("/sitemap-{number}.xml", web::get().to(discovery::file))
        .route("/feed.xml", web::get().to(syndication::rss))
        .route("/atom.xml", web::get().to(syndication::atom))
        .route("/tag/{tag}/feed.xml", web::get().to(syndication::tag_rss))
        .route("/tag/{tag}/atom.xml", web::get().to(syndication::tag_atom))
        .route(
            "/profile/{username}/feed.xml",
            web::get().to(syndication::author_rss),
        )
        .route(
            "/profile/{username}/atom.xml",
            web::get().to(syndication::author_atom),
        )
        .route("/tag/{tag}", web::get().to(home::tag))
        .route("/login", web::get().to(auth::login_form))
        .route("/login", web::post().to(auth::login))
        .route("/register", web::get().to(auth::register_form))
        .route("/register", web::post().to(auth::register))
        .route("/logout", web::post().to(auth::logout))
        .route("/password/forgot", web::get().to(recovery::forgot_form))
        .route("/password/forgot", web::post().to(recovery::forgot))
        .route(
            "/password/reset/{token}",
            web::get().to(recovery::reset_form),
        )
        .route("/password/reset/{token}", web::post().to(recovery::reset))
        .route(
            "/login/two-factor",
            web::get().to(two_factor::second_step_form),
        )
        .route("/login/two-factor", web::post().to(two_factor::second_step))
        .route("/settings/two-factor", web::get().to(two_factor::settings))
        .route("/settings/two-factor", web::post().to(two_factor::enable))
        .route(
            "/settings/two-factor/disable",
            web::post().to(two_factor::disable),
        )
        .route(
            "/settings/two-factor/codes",
            web::post().to(two_factor::new_codes),
        )
        .route("/settings/sessions", web::get().to(sessions::list))
        .route(
            "/settings/sessions/end-all",
            web::post().to(sessions::end_all),
        )
        .route("/settings/sessions/{id}/end", web::post().to(sessions::end))
        .route("/images/{file}", web::get().to(images::file))
        .route("/settings/images", web::get().to(images::list))
        .route("/settings/images", web::post().to(images::upload))
        .route(
            "/settings/images/{id}/delete",
            web::post().to(images::delete),
        )
        .route("/settings/picture", web::get().to(images::picture_form))
        .route("/settings/picture", web::post().to(images::picture))
        .route("/settings", web::get().to(settings::form))
        .route("/settings", web::post().to(settings::save))
        .route("/settings/email", web::post().to(messaging::save_email))
        .route(
            "/settings/verify-email",
            web::post().to(verification::resend),
        )
        .route(
            "/verify-email/{token}",
            web::get().to(verification::confirm),
        )
        .route("/settings/tokens", web::get().to(tokens::list))
        .route("/settings/tokens", web::post().to(tokens::create))
        .route(
            "/settings/tokens/{id}/revoke",
            web::post().to(tokens::revoke),
        )
        .route("/settings/webhooks", web::get().to(webhooks::list))
        .route("/settings/webhooks", web::post().to(webhooks::create))
        .route("/settings/webhooks/{id}", web::get().to(webhooks::show))
        .route(
            "/settings/webhooks/{id}/delete",
            web::post().to(webhooks::delete),
        )
        .route(
            "/settings/webhooks/{id}/deliveries/{delivery}/redeliver",
            web::post().to(webhooks::redeliver),
        )
        .route("/notifications", web::get().to(messaging::list))
        .route("/notifications/read", web::post().to(messaging::read_all))
        .route("/notifications/open", web::get().to(messaging::open))
        .route(
            "/notifications/{id}/read",
            web::post().to(messaging::read_one),
        )
        .route(
            "/unsubscribe/{token}",
            web::get().to(messaging::unsubscribe_form),
        )
        .route(
            "/unsubscribe/{token}",
            web::post().to(messaging::unsubscribe),
        )
        .route("/editor", web::get().to(editor::new_form))
        .route("/editor", web::post().to(editor::publish))
        .route("/editor/{slug}", web::get().to(editor::edit_form))
        .route("/editor/{slug}", web::post().to(editor::save))
        .route("/article/{slug}", web::get().to(article::show))
        .route("/article/{slug}/delete", web::post().to(article::delete))
        .route("/article/{slug}/history", web::get().to(revisions::history))
        .route(
            "/article/{slug}/history/diff",
            web::get().to(revisions::diff),
        )
        .route(
            "/article/{slug}/history/{number}/restore",
            web::post().to(revisions::restore),
        )
        .route(
            "/article/{slug}/favorite",
            web::post().to(article::favorite),
        )
        .route(
            "/article/{slug}/unfavorite",
            web::post().to(article::unfavorite),
        )
        .route("/article/{slug}/comments", web::post().to(article::comment))
        .route(
            "/article/{slug}/comments/{id}/delete",
            web::post().to(article::delete_comment),
        )
        .route("/profile/{username}", web::get().to(profile::articles))
        .route(
            "/profile/{username}/favorites",
            web::get().to(profile::favorites),
        )
        .route("/profile/{username}/drafts", web::get().to(profile::drafts))
        .route(
            "/profile/{username}/follow",
            web::post().to(profile::follow),
        )
        .route(
            "/profile/{username}/unfollow",
            web::post().to(profile::unfollow),
        );
}

/// A rendered page with `status`. Pages hold a CSRF token (and, signed in, the
/// viewer's own state), so `middleware::http_cache` marks them private.
pub(crate) fn html_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html)
}

/// Renders `page` with `status`.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> PageResult {
    // Pages run to several KB past the template's own text (an article's body): one
    // allocation up front instead of the string doubling its way there.
    let mut html = String::with_capacity(16 * 1024);
    page.render_into(&mut html)
        .map_err(|e| crate::error::AppError::Internal(format!("template: {e}")))?;
    Ok(html_response(status, html))
}

/// Renders `page` as a 200.
pub(crate) fn ok(page: &impl Template) -> PageResult {
    render(StatusCode::OK, page)
}

/// The answer to a successful form: go to `to` with a GET.
pub(crate) fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}
