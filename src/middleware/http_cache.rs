//! HTTP caching for pages and API reads: a strong ETag on every successful GET (the
//! SHA-256 of the body, or the one a cached response already carries), `304 Not
//! Modified` when the client's `If-None-Match` names it, and a `Cache-Control` that
//! fits who asked:
//!
//! - signed-in pages hold the viewer's CSRF token and navbar: `private, no-store`;
//! - anonymous pages may hold a sign-in form's CSRF token or a flash message:
//!   `private, no-cache` (the browser may keep them and revalidate, no shared cache may);
//! - API reads with a token: `private, no-cache`; anonymous API reads are the same
//!   for everyone: `public, no-cache`, with `Vary: Authorization`;
//! - anything else (errors, redirects, writes) that set nothing: `no-store`.
//!
//! Feeds and sitemaps (XML) set their own `public, no-cache` and validators; they get the
//! same `304` for `If-None-Match`, and for `If-Modified-Since` against their
//! `Last-Modified`.
//!
//! The ETag is taken before compression, so it names the content whatever the encoding.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse};

use crate::middleware::request_log::LoggedUser;

/// Whether an `If-None-Match` value names `etag` (weak comparison, as the header wants).
pub fn none_match_hits(header_value: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let wanted = bare(etag);
    header_value
        .split(',')
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == wanted)
}

fn cache_control(status: StatusCode, is_api: bool, signed_in: bool) -> &'static str {
    match (status == StatusCode::OK, is_api, signed_in) {
        (false, _, _) => "no-store",
        (true, false, true) => "private, no-store",
        (true, false, false) => "private, no-cache",
        (true, true, true) => "private, no-cache",
        (true, true, false) => "public, no-cache",
    }
}

/// The middleware (use with `actix_web::middleware::from_fn`).
pub async fn conditional_get(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let if_modified_since = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut res = next.call(req).await?.map_into_boxed_body();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if is_read && res.status() == StatusCode::OK && is_document(content_type) {
        if unchanged(&res, if_none_match.as_deref(), if_modified_since.as_deref()) {
            return Ok(not_modified(res));
        }
        return Ok(res);
    }
    if !(content_type.starts_with("text/html") || content_type.starts_with("application/json")) {
        return Ok(res);
    }
    let is_api = res.request().path().starts_with("/api/");
    let signed_in = res.request().extensions().get::<LoggedUser>().is_some();
    let status = res.status();
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        let value = cache_control(
            if is_read {
                status
            } else {
                StatusCode::ACCEPTED
            },
            is_api,
            signed_in,
        );
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    if !is_read || status != StatusCode::OK {
        return Ok(res);
    }
    let vary = if is_api { "Authorization" } else { "Cookie" };
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static(vary));
    // A signed-in page is `no-store`: no browser keeps it to revalidate, so it gets no
    // ETag (which would cost a hash of every page served).
    if signed_in && !is_api {
        return Ok(res);
    }

    let etag = match res.headers().get(header::ETAG) {
        Some(tag) => tag.to_str().unwrap_or_default().to_owned(),
        None => {
            let (request, response) = res.into_parts();
            let (response, body) = response.into_parts();
            let bytes = match body.try_into_bytes() {
                Ok(bytes) => bytes,
                // A streamed body is left alone (none of ours is).
                Err(body) => {
                    return Ok(ServiceResponse::new(request, response.set_body(body)));
                }
            };
            let etag = crate::cache::etag_for(&bytes);
            let mut response = response.set_body(BoxBody::new(bytes));
            if let Ok(value) = HeaderValue::from_str(&etag) {
                response.headers_mut().insert(header::ETAG, value);
            }
            res = ServiceResponse::new(request, response);
            etag
        }
    };
    if let Some(wanted) = if_none_match
        && none_match_hits(&wanted, &etag)
    {
        return Ok(not_modified(res));
    }
    Ok(res)
}

/// Feeds and sitemaps: documents for everyone that carry their own validators.
fn is_document(content_type: &str) -> bool {
    [
        "application/rss+xml",
        "application/atom+xml",
        "application/xml",
    ]
    .iter()
    .any(|t| content_type.starts_with(t))
}

/// Whether the client's copy is current: its `If-None-Match` names the ETag, or, without
/// one, its `If-Modified-Since` is no older than `Last-Modified`.
fn unchanged(
    res: &ServiceResponse<BoxBody>,
    none_match: Option<&str>,
    since: Option<&str>,
) -> bool {
    let headers = res.headers();
    if let Some(wanted) = none_match {
        return headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|etag| none_match_hits(wanted, etag));
    }
    let date = |value: &str| chrono::DateTime::parse_from_rfc2822(value).ok();
    let modified = headers
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(date);
    matches!((modified, since.and_then(date)), (Some(m), Some(s)) if m <= s)
}

/// A `304 Not Modified` carrying the headers of `res` but its body.
fn not_modified(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let (request, response) = res.into_parts();
    let mut not_modified = HttpResponse::NotModified();
    for (name, value) in response.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            not_modified.append_header((name.clone(), value.clone()));
        }
    }
    ServiceResponse::new(request, not_modified.finish())
}

#[cfg(test)]
mod tests {
    use super::none_match_hits;

    #[test]
    fn if_none_match_lists_and_wildcards() {
        assert!(none_match_hits("\"a\"", "\"a\""));
        assert!(none_match_hits("\"x\", W/\"a\"", "\"a\""));
        assert!(none_match_hits("*", "\"a\""));
        assert!(!none_match_hits("\"b\"", "\"a\""));
        assert!(!none_match_hits("", "\"a\""));
    }
}
