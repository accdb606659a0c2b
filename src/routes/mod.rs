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

/// Registers a route table, each endpoint in a scope named by its path's first segment
/// (`/article/{slug}` is `/{slug}` in `/article`). The router tries the routes of a
/// table one by one, and a pattern with a parameter costs a regex match: a request for
/// one of the last pages matched some thirty regexes first. A scope's prefix is a plain
/// string comparison, so a request now tries only the routes of its own first segment.
/// Order within a segment is kept. A path with no literal first segment (`/`,
/// `/sitemap-{number}.xml`) stays at the top level, after the scopes. Paths under a
/// scope that none of its routes answer get `fallback` (a nested scope would otherwise
/// answer with the application's default, not the enclosing scope's).
pub fn register(
    cfg: &mut web::ServiceConfig,
    endpoints: Vec<Endpoint>,
    fallback: impl Fn() -> Route,
) {
    let mut groups: Vec<(&'static str, Vec<(&'static str, Route)>)> = Vec::new();
    let mut top_level = Vec::new();
    for endpoint in endpoints {
        match first_segment(endpoint.path) {
            Some((prefix, rest)) => match groups.iter_mut().find(|(name, _)| *name == prefix) {
                Some((_, routes)) => routes.push((rest, endpoint.route)),
                None => groups.push((prefix, vec![(rest, endpoint.route)])),
            },
            None => top_level.push(endpoint),
        }
    }
    for (prefix, routes) in groups {
        let scope = web::scope(prefix).default_service(fallback());
        cfg.service(
            routes
                .into_iter()
                .fold(scope, |scope, (path, route)| scope.route(path, route)),
        );
    }
    for endpoint in top_level {
        cfg.route(endpoint.path, endpoint.route);
    }
}

/// `/article/{slug}` as (`/article`, `/{slug}`); `/editor` as (`/editor`, ``); None for
/// a path whose first segment is empty or holds a parameter.
fn first_segment(path: &'static str) -> Option<(&'static str, &'static str)> {
    let end = path[1..].find('/').map_or(path.len(), |i| i + 1);
    let (prefix, rest) = path.split_at(end);
    (prefix.len() > 1 && !prefix.contains('{')).then_some((prefix, rest))
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

#[cfg(test)]
mod tests {
    use super::first_segment;

    #[test]
    fn a_literal_first_segment_names_the_scope() {
        assert_eq!(
            first_segment("/article/{slug}"),
            Some(("/article", "/{slug}"))
        );
        assert_eq!(first_segment("/editor"), Some(("/editor", "")));
        assert_eq!(
            first_segment("/static/{path:.*}"),
            Some(("/static", "/{path:.*}"))
        );
        assert_eq!(first_segment("/"), None);
        assert_eq!(first_segment("/sitemap-{number}.xml"), None);
    }
}
