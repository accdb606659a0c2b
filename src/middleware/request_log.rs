//! Request metrics (count by route pattern, method and status; latency by route) and
//! one log line per request: request id, method, route pattern, status, latency and
//! the user id when signed in. Never the query string, headers, cookies or bodies, so no
//! token or password can reach the log.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

/// The request's id, in request extensions, for anything that wants to log it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The signed-in user's id, put in request extensions by the authentication extractors.
#[derive(Debug, Clone, Copy)]
pub struct LoggedUser(pub i32);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A caller's id is kept when it is short and plain; anything else is replaced, so log
/// lines cannot be forged through it.
fn accept_request_id(value: Option<&HeaderValue>) -> Option<String> {
    let text = value?.to_str().ok()?;
    let plain = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plain.then(|| text.to_owned())
}

fn new_request_id() -> String {
    hex::encode(rand::random::<[u8; 8]>())
}

/// The middleware (use with `actix_web::middleware::from_fn`).
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = accept_request_id(req.headers().get(&REQUEST_ID)).unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let mut response = next.call(req).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".into());
    let user = response
        .request()
        .extensions()
        .get::<LoggedUser>()
        .map(|u| u.0);
    let status = response.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    let latency_ms = elapsed * 1000.0;
    metrics::counter!(
        "http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!(
        "http_request_duration_seconds",
        "method" => method.clone(),
        "route" => route.clone()
    )
    .record(elapsed);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    log::info!(
        target: "conduit::request",
        request_id = id.as_str(),
        method = method.as_str(),
        route = route.as_str(),
        status = status,
        latency_ms = (latency_ms * 1000.0).round() / 1000.0,
        user_id = user;
        "{method} {route} {status} {latency_ms:.1}ms"
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_request_ids_are_kept() {
        let ok = HeaderValue::from_static("abc-123_X.y");
        assert_eq!(accept_request_id(Some(&ok)).as_deref(), Some("abc-123_X.y"));
        let forged = HeaderValue::from_static("x\" status=200");
        assert_eq!(accept_request_id(Some(&forged)), None);
        assert_eq!(accept_request_id(None), None);
        assert_eq!(new_request_id().len(), 16);
    }
}
