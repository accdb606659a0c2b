//! The GraphQL API: the same rules as the REST API (a table of twins), a fixed number of
//! statements for a page of articles, cached answers, its limits, its schema file, and subscriptions
//! over WebSocket, also across instances.

mod answers;
mod limits;
mod live;
mod permissions;
mod statements;

use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, send};

pub fn tests() -> Vec<(&'static str, crate::helpers::TestFn)> {
    let mut all = Vec::new();
    all.extend(permissions::tests());
    all.extend(statements::tests());
    all.extend(limits::tests());
    all.extend(live::tests());
    all.extend(answers::tests());
    all
}

/// `POST /api/graphql` on `base` with `query` and `variables`.
pub async fn gql_at(
    client: &awc::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Reply {
    send(
        client,
        base,
        awc::http::Method::POST,
        "/api/graphql",
        token,
        Some(json!({"query": query, "variables": variables})),
    )
    .await
}

/// `POST /api/graphql` on the test's app.
pub async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Reply {
    gql_at(&app.client, &app.address, token, query, variables).await
}

/// The `data` of a reply that must have succeeded.
pub fn data(reply: &Reply) -> &Value {
    assert_eq!(reply.status, awc::http::StatusCode::OK, "{}", reply.text);
    assert!(reply.json.get("errors").is_none(), "{}", reply.text);
    &reply.json["data"]
}
