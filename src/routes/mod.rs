//! HTTP handlers: thin layers that parse, call the domain and render.

pub mod api;

use actix_web::web;

/// Every route of the application.
pub fn configure(cfg: &mut web::ServiceConfig) {
    api::configure(cfg);
}
