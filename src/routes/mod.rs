//! HTTP handlers: thin layers that parse, call the domain and render.

pub mod api;
pub mod graphql;
pub mod graphql_socket;
pub mod multipart;
pub mod ops;
pub mod pages;

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, Route, web};

/// Every route of the application: the JSON API under `/api`, then the site; any other
/// path gets the site's 404 page (unknown `/api` paths get the API's JSON 404).
pub fn configure(cfg: &mut web::ServiceConfig) {
    ops::configure(cfg);
    // Before the API's scope, which would otherwise answer `/api/graphql` itself.
    graphql::configure(cfg);
    api::configure(cfg);
    pages::configure(cfg);
    cfg.default_service(web::to(pages::not_found));
}

/// One row of a route table: the method and path it answers, and its handler. Tables
/// made of these both register the routes and list them, so the OpenAPI document can
/// be checked against what is really served.
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// The path template within the table's scope (`{name}` segments are parameters).
    pub path: &'static str,
    route: Route,
}

impl Endpoint {
    /// `method path` served by `handler`.
    pub fn new<F, Args>(method: Method, path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Self {
            route: web::method(method.clone()).to(handler),
            method,
            path,
        }
    }
}

/// Every endpoint the OpenAPI document must describe, as (method, full path): the
/// operations routes and the whole API.
pub fn documented_endpoints() -> Vec<(Method, String)> {
    let ops = ops::table()
        .into_iter()
        .map(|e| (e.method, e.path.to_owned()));
    let api = api::table()
        .into_iter()
        .map(|e| (e.method, format!("{}{}", api::PREFIX, e.path)));
    ops.chain(api).collect()
}
