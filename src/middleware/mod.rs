//! Middleware applied to every request: security headers, rate limits and the request log.

pub mod rate_limit;
pub mod request_log;
pub mod security;
