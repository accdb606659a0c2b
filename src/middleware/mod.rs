//! Middleware applied to every request: security headers, rate limits, HTTP caching
//! (ETags, `Cache-Control`) and the request log.

pub mod http_cache;
pub mod kept_session;
pub mod rate_limit;
pub mod request_log;
pub mod security;
