//! HTTP handlers: thin layers that parse, call the domain and render.

pub mod api;
pub mod ops;
pub mod pages;

use actix_web::web;

/// Every route of the application: the JSON API under `/api`, then the site; any other
/// path gets the site's 404 page (unknown `/api` paths get the API's JSON 404).
pub fn configure(cfg: &mut web::ServiceConfig) {
    ops::configure(cfg);
    api::configure(cfg);
    pages::configure(cfg);
    cfg.default_service(web::to(pages::not_found));
}
