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

use super::Endpoint;

pub use errors::{PageError, PageResult, not_found, render_failures};

/// The site's route table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    admin::configure(cfg);
    super::register(cfg, table(), || web::to(not_found));
}

/// Every page and form action. Routes under one first segment are matched in this
/// order (see [`super::register`]).
fn table() -> Vec<Endpoint> {
    use actix_web::http::Method as M;
    vec![
        Endpoint::new(M::GET, "/report", report::form),
        Endpoint::new(M::POST, "/report", report::submit),
        Endpoint::new(M::GET, "/static/{path:.*}", static_files::serve),
        Endpoint::new(M::HEAD, "/static/{path:.*}", static_files::serve),
        Endpoint::new(M::GET, "/", home::home),
        Endpoint::new(M::GET, "/search", search::search),
        Endpoint::new(M::GET, "/live", live::stream),
        Endpoint::new(M::GET, "/robots.txt", discovery::robots),
        Endpoint::new(M::GET, "/sitemap.xml", discovery::index),
        Endpoint::new(M::GET, "/sitemap-{number}.xml", discovery::file),
        Endpoint::new(M::GET, "/feed.xml", syndication::rss),
        Endpoint::new(M::GET, "/atom.xml", syndication::atom),
        Endpoint::new(M::GET, "/tag/{tag}/feed.xml", syndication::tag_rss),
        Endpoint::new(M::GET, "/tag/{tag}/atom.xml", syndication::tag_atom),
        Endpoint::new(
            M::GET,
            "/profile/{username}/feed.xml",
            syndication::author_rss,
        ),
        Endpoint::new(
            M::GET,
            "/profile/{username}/atom.xml",
            syndication::author_atom,
        ),
        Endpoint::new(M::GET, "/tag/{tag}", home::tag),
        Endpoint::new(M::GET, "/login", auth::login_form),
        Endpoint::new(M::POST, "/login", auth::login),
        Endpoint::new(M::GET, "/register", auth::register_form),
        Endpoint::new(M::POST, "/register", auth::register),
        Endpoint::new(M::POST, "/logout", auth::logout),
        Endpoint::new(M::GET, "/password/forgot", recovery::forgot_form),
        Endpoint::new(M::POST, "/password/forgot", recovery::forgot),
        Endpoint::new(M::GET, "/password/reset/{token}", recovery::reset_form),
        Endpoint::new(M::POST, "/password/reset/{token}", recovery::reset),
        Endpoint::new(M::GET, "/login/two-factor", two_factor::second_step_form),
        Endpoint::new(M::POST, "/login/two-factor", two_factor::second_step),
        Endpoint::new(M::GET, "/settings/two-factor", two_factor::settings),
        Endpoint::new(M::POST, "/settings/two-factor", two_factor::enable),
        Endpoint::new(M::POST, "/settings/two-factor/disable", two_factor::disable),
        Endpoint::new(M::POST, "/settings/two-factor/codes", two_factor::new_codes),
        Endpoint::new(M::GET, "/settings/sessions", sessions::list),
        Endpoint::new(M::POST, "/settings/sessions/end-all", sessions::end_all),
        Endpoint::new(M::POST, "/settings/sessions/{id}/end", sessions::end),
        Endpoint::new(M::GET, "/images/{file}", images::file),
        Endpoint::new(M::GET, "/settings/images", images::list),
        Endpoint::new(M::POST, "/settings/images", images::upload),
        Endpoint::new(M::POST, "/settings/images/{id}/delete", images::delete),
        Endpoint::new(M::GET, "/settings/picture", images::picture_form),
        Endpoint::new(M::POST, "/settings/picture", images::picture),
        Endpoint::new(M::GET, "/settings", settings::form),
        Endpoint::new(M::POST, "/settings", settings::save),
        Endpoint::new(M::POST, "/settings/email", messaging::save_email),
        Endpoint::new(M::POST, "/settings/verify-email", verification::resend),
        Endpoint::new(M::GET, "/verify-email/{token}", verification::confirm),
        Endpoint::new(M::GET, "/settings/tokens", tokens::list),
        Endpoint::new(M::POST, "/settings/tokens", tokens::create),
        Endpoint::new(M::POST, "/settings/tokens/{id}/revoke", tokens::revoke),
        Endpoint::new(M::GET, "/settings/webhooks", webhooks::list),
        Endpoint::new(M::POST, "/settings/webhooks", webhooks::create),
        Endpoint::new(M::GET, "/settings/webhooks/{id}", webhooks::show),
        Endpoint::new(M::POST, "/settings/webhooks/{id}/delete", webhooks::delete),
        Endpoint::new(
            M::POST,
            "/settings/webhooks/{id}/deliveries/{delivery}/redeliver",
            webhooks::redeliver,
        ),
        Endpoint::new(M::GET, "/notifications", messaging::list),
        Endpoint::new(M::POST, "/notifications/read", messaging::read_all),
        Endpoint::new(M::GET, "/notifications/open", messaging::open),
        Endpoint::new(M::POST, "/notifications/{id}/read", messaging::read_one),
        Endpoint::new(M::GET, "/unsubscribe/{token}", messaging::unsubscribe_form),
        Endpoint::new(M::POST, "/unsubscribe/{token}", messaging::unsubscribe),
        Endpoint::new(M::GET, "/editor", editor::new_form),
        Endpoint::new(M::POST, "/editor", editor::publish),
        Endpoint::new(M::GET, "/editor/{slug}", editor::edit_form),
        Endpoint::new(M::POST, "/editor/{slug}", editor::save),
        Endpoint::new(M::GET, "/article/{slug}", article::show),
        Endpoint::new(M::POST, "/article/{slug}/delete", article::delete),
        Endpoint::new(M::GET, "/article/{slug}/history", revisions::history),
        Endpoint::new(M::GET, "/article/{slug}/history/diff", revisions::diff),
        Endpoint::new(
            M::POST,
            "/article/{slug}/history/{number}/restore",
            revisions::restore,
        ),
        Endpoint::new(M::POST, "/article/{slug}/favorite", article::favorite),
        Endpoint::new(M::POST, "/article/{slug}/unfavorite", article::unfavorite),
        Endpoint::new(M::POST, "/article/{slug}/comments", article::comment),
        Endpoint::new(
            M::POST,
            "/article/{slug}/comments/{id}/delete",
            article::delete_comment,
        ),
        Endpoint::new(M::GET, "/profile/{username}", profile::articles),
        Endpoint::new(M::GET, "/profile/{username}/favorites", profile::favorites),
        Endpoint::new(M::GET, "/profile/{username}/drafts", profile::drafts),
        Endpoint::new(M::POST, "/profile/{username}/follow", profile::follow),
        Endpoint::new(M::POST, "/profile/{username}/unfollow", profile::unfollow),
    ]
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
