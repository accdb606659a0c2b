//! Personal access tokens: created through the API or the settings page (the secret
//! shown once, only its hash stored), scoped (`read` cannot write, `admin` is for staff),
//! expiring, listed with their last use and revoked, refused at once on every instance;
//! a warm check runs no SQL.

mod api;
mod lifecycle;
mod page;

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestFn};
use crate::jobs::db_of;

/// Every access token test.
pub fn tests() -> Vec<(&'static str, TestFn)> {
    [api::tests(), lifecycle::tests(), page::tests()]
        .into_iter()
        .flatten()
        .collect()
}

/// Creates a token with `jwt`; returns the `token` object of the answer (with `secret`).
pub async fn create(app: &TestApp, jwt: &str, name: &str, scopes: &[&str], days: Value) -> Value {
    let reply = app
        .post(
            "/api/user/tokens",
            Some(jwt),
            json!({"token": {"name": name, "scopes": scopes, "expiresInDays": days}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["token"].clone()
}

pub fn secret(token: &Value) -> String {
    token["secret"].as_str().expect("secret").to_owned()
}

/// The `tokens` list of `jwt`'s account.
pub async fn list(app: &TestApp, jwt: &str) -> Vec<Value> {
    let reply = app.get("/api/user/tokens", Some(jwt)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["tokens"].as_array().cloned().unwrap_or_default()
}

pub fn sql(app: &TestApp, statement: &str) {
    db_of(app)
        .conn()
        .expect("conn")
        .batch_execute(statement)
        .expect(statement);
}

/// Waits until `jwt`'s token `id` shows a last use; returns it.
pub async fn last_used(app: &TestApp, jwt: &str, id: &Value) -> String {
    let started = Instant::now();
    loop {
        let tokens = list(app, jwt).await;
        let token = tokens.iter().find(|t| t["id"] == *id).expect("listed");
        if let Some(at) = token["lastUsedAt"].as_str() {
            return at.to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no last use");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}
