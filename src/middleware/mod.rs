//! Middleware applied to every response: security headers and the request log.

pub mod request_log;
pub mod security;
