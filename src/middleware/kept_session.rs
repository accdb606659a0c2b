//! The cookies of signing in that actix-session does not set: the browser's device id
//! (see `routes::pages::session::DEVICE_COOKIE`), and "Keep me signed in": the session
//! cookie outlives the browser only for sessions that asked. actix-session sets one lifecycle for every session, so this wraps it and gives
//! the session cookie of a kept session a `Max-Age` whenever it is sent (every sign-in,
//! and again at least every few minutes of use: see the page session's last-visit
//! mark), which keeps it alive for as long as the session's own idle limit.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

use crate::domain::sessions::KEPT_IDLE_DAYS;
use crate::routes::pages::session::DEVICE_COOKIE;
use crate::startup::SESSION_COOKIE;

/// Left in a request's extensions by the page session when its session is a kept one.
#[derive(Debug, Clone, Copy)]
pub struct KeptSession;

/// Left by a sign-in from a browser without a device id: the id it gets.
#[derive(Debug, Clone)]
pub struct NewDevice(pub String);

/// How long a device id lasts.
const DEVICE_DAYS: i64 = 400;

/// Sets a new device id, and gives a kept session's cookie its lifetime.
pub async fn keep_sessions(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    let device = res.request().extensions().get::<NewDevice>().cloned();
    if let Some(NewDevice(id)) = device {
        let secure = res.request().connection_info().scheme() == "https";
        let cookie = Cookie::build(DEVICE_COOKIE, id)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(Duration::days(DEVICE_DAYS))
            .finish();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            res.headers_mut().append(SET_COOKIE, value);
        }
    }
    if res.request().extensions().get::<KeptSession>().is_none() {
        return Ok(res);
    }
    let headers = res.headers_mut();
    let sent: Vec<HeaderValue> = headers.get_all(SET_COOKIE).cloned().collect();
    if sent.is_empty() {
        return Ok(res);
    }
    headers.remove(SET_COOKIE);
    for value in sent {
        let kept = value
            .to_str()
            .ok()
            .and_then(|text| Cookie::parse(text.to_owned()).ok())
            // A removal already carries its own (zero) lifetime.
            .filter(|cookie| cookie.name() == SESSION_COOKIE && cookie.max_age().is_none())
            .and_then(|mut cookie| {
                cookie.set_max_age(Duration::days(KEPT_IDLE_DAYS));
                HeaderValue::from_str(&cookie.to_string()).ok()
            });
        headers.append(SET_COOKIE, kept.unwrap_or(value));
    }
    Ok(res)
}
