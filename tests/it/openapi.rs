//! The OpenAPI document against the live routes: every registered route is documented,
//! every documented operation is served, and the document holds together as OpenAPI 3.1.

use std::collections::BTreeSet;

use awc::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

crate::tests!(
    document_lists_exactly_the_registered_routes,
    every_documented_operation_is_served,
    document_is_structurally_valid_openapi_3_1,
    docs_page_shows_every_operation_without_inline_code,
    nul_characters_are_refused_not_a_server_error,
    idempotency_keys_are_described_on_every_post_that_takes_them,
);

async fn document(app: &TestApp) -> Value {
    let reply = app.get("/api/openapi.json", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
    );
    reply.json
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every (METHOD, path) the document describes.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

async fn document_lists_exactly_the_registered_routes(app: TestApp) {
    let documented = operations(&document(&app).await);
    let registered: BTreeSet<(String, String)> = conduit::routes::documented_endpoints()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path))
        .collect();
    assert!(
        registered.len() >= 24,
        "route tables look empty: {registered:?}"
    );
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "registered but missing from the OpenAPI document: {undocumented:?}"
    );
    let unregistered: Vec<_> = documented.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "documented but not in any route table: {unregistered:?}"
    );
}

/// Whether a reply is what an unknown route gets: the API's JSON 404 naming `route`, the
/// site's 404 page, or a 405 for a known path with another method.
fn is_unrouted(status: StatusCode, json: &Value, content_type: &str) -> bool {
    status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::NOT_FOUND
            && (json["errors"]["route"].is_array() || content_type.starts_with("text/html")))
}

async fn every_documented_operation_is_served(app: TestApp) {
    let token = app.register("router").await;
    let slug = app.publish(&token, "Routed", &[]).await;
    let doc = document(&app).await;
    for (method, template) in operations(&doc) {
        let path = template
            .replace("{slug}", &slug)
            .replace("{username}", "router")
            .replace("{id}", "1")
            .replace("{delivery}", "1");
        assert!(!path.contains('{'), "unfilled parameter in {path}");
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let body = matches!(method, Method::POST | Method::PUT).then(|| json!({}));
        let reply = app.call(method.clone(), &path, Some(&token), body).await;
        let content_type = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            !is_unrouted(reply.status, &reply.json, content_type),
            "{method} {path} is documented but not served: {} {}",
            reply.status,
            reply.text
        );
    }
    // The check can fail: an undocumented path is recognised as unrouted.
    let reply = app.get("/api/no-such-route", Some(&token)).await;
    assert!(is_unrouted(reply.status, &reply.json, "application/json"));
}

/// Resolves a local `$ref` such as `#/components/schemas/Profile`.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r);
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

async fn document_is_structurally_valid_openapi_3_1(app: TestApp) {
    let doc = document(&app).await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "openapi version: {}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 20, "expected shared schemas, found {refs:?}");
    for reference in refs {
        assert!(
            resolve(&doc, reference).is_some(),
            "dangling $ref {reference}"
        );
    }
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    assert_eq!(schemes["Token"]["type"], "apiKey");
    assert_eq!(schemes["Token"]["in"], "header");
    assert_eq!(schemes["Token"]["name"], "Authorization");
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(path.starts_with('/'), "{path}");
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let name = format!("{method} {path}");
            let id = op["operationId"].as_str().expect("operationId");
            assert!(operation_ids.insert(id.to_owned()), "duplicate id {id}");
            let responses = op["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{name} has no responses");
            for (status, response) in responses {
                assert!(status.len() == 3, "{name}: status {status}");
                assert!(response["description"].is_string(), "{name} {status}");
            }
            for tag in op["tags"].as_array().expect("tags") {
                assert!(tags.contains(tag.as_str().unwrap_or_default()), "{name}");
            }
            // Every `{param}` of the template is declared as a required path parameter.
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let param = segment.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    params
                        .iter()
                        .any(|p| p["name"] == param && p["in"] == "path" && p["required"] == true),
                    "{name}: path parameter {param} undeclared"
                );
            }
            for requirement in op["security"].as_array().into_iter().flatten() {
                for scheme in requirement.as_object().expect("requirement").keys() {
                    assert!(schemes.contains_key(scheme), "{name}: scheme {scheme}");
                }
            }
        }
    }
    // Routes behind the token say so, with the scope an access token needs and the
    // errors they really return.
    let current_user = &doc["paths"]["/api/user"]["get"];
    assert_eq!(current_user["security"], json!([{ "Token": ["read"] }]));
    let update_user = &doc["paths"]["/api/user"]["put"];
    assert_eq!(update_user["security"], json!([{ "Token": ["write"] }]));
    let create = &doc["paths"]["/api/articles"]["post"]["responses"];
    for status in ["201", "401", "422", "429"] {
        assert!(
            create.get(status).is_some(),
            "POST /api/articles lacks {status}"
        );
    }
    assert!(create["429"]["headers"].get("Retry-After").is_some());
    let error = resolve(&doc, "#/components/schemas/ErrorBody").expect("ErrorBody");
    assert_eq!(
        error["properties"]["errors"]["additionalProperties"]["items"]["type"],
        "string"
    );
}

async fn docs_page_shows_every_operation_without_inline_code(app: TestApp) {
    let doc = document(&app).await;
    let reply = app.get("/api/docs", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = &reply.text;
    for item in doc["paths"].as_object().expect("paths").values() {
        for method in METHODS {
            if let Some(id) = item.get(method).and_then(|op| op["operationId"].as_str()) {
                assert!(html.contains(&format!("id=\"op-{id}\"")), "{id} missing");
            }
        }
    }
    assert!(html.contains("id=\"schema-ErrorBody\""));
    assert!(html.contains("href=\"/api/openapi.json\""));
    // The strict CSP holds: no inline script or style, no third-party asset.
    assert!(reply.headers.contains_key("content-security-policy"));
    assert!(!html.contains("style="), "inline style");
    assert!(!html.contains("<style"), "inline stylesheet");
    for tag in html.split("<script").skip(1) {
        assert!(
            tag.trim_start().starts_with("src=\"/static/"),
            "inline or foreign script"
        );
    }
    assert!(!html.contains("src=\"http"), "asset from another host");
}

async fn nul_characters_are_refused_not_a_server_error(app: TestApp) {
    let token = app.register("nul").await;
    let reply = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": "A\u{0}B", "description": "d\u{0}", "body": "b\u{0}", "tagList": ["t\u{0}"]}}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    for field in ["title", "description", "body", "tagList"] {
        assert!(
            reply.json["errors"][field].is_array(),
            "{field}: {}",
            reply.text
        );
    }
    let reply = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "nul\u{0}@example.com", "password": "password123\u{0}"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    for path in [
        "/api/articles/a%00b",
        "/api/articles/a%00b/comments",
        "/api/profiles/a%00b",
    ] {
        let reply = app.get(path, Some(&token)).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text
        );
    }
    let reply = app.get("/api/articles?tag=a%00&author=b%00", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["articlesCount"], 0);
    let reply = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"bio": "b\u{0}", "password": "p\u{0}ssword123"}}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
}

async fn idempotency_keys_are_described_on_every_post_that_takes_them(app: TestApp) {
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().expect("paths");
    let mut described = Vec::new();
    for (path, item) in paths {
        let Some(post) = item.get("post") else {
            continue;
        };
        let takes_token = post["security"]
            .as_array()
            .is_some_and(|all| !all.is_empty() && all.iter().all(|r| r.get("Token").is_some()));
        let key = post["parameters"].as_array().and_then(|ps| {
            ps.iter()
                .find(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
        });
        if !takes_token {
            assert!(key.is_none(), "{path}: no token, no key");
            continue;
        }
        // Answers never kept (a token's secret, an upload too large to hash): no key.
        if conduit::routes::api::idempotency::NOT_KEPT.contains(&path.as_str()) {
            assert!(key.is_none(), "{path}: never replayed");
            continue;
        }
        let key = key.unwrap_or_else(|| panic!("{path}: Idempotency-Key is not described"));
        assert_eq!(key["required"], false);
        assert_eq!(key["schema"]["maxLength"], 200);
        let responses = post["responses"].as_object().expect("responses");
        let ok = responses
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .collect::<Vec<_>>();
        assert!(!ok.is_empty(), "{path}");
        for (status, response) in ok {
            assert!(
                response["headers"]["Idempotent-Replayed"].is_object(),
                "{path} {status}: Idempotent-Replayed"
            );
        }
        for status in ["409", "422"] {
            let text = responses[status]["description"]
                .as_str()
                .unwrap_or_default();
            assert!(text.contains("Idempotency-Key"), "{path} {status}: {text}");
        }
        described.push(path.clone());
    }
    for expected in [
        "/api/articles",
        "/api/articles/{slug}/comments",
        "/api/reports",
    ] {
        assert!(
            described.iter().any(|p| p == expected),
            "{expected}: {described:?}"
        );
    }
    assert!(
        !described
            .iter()
            .any(|p| p == "/api/users" || p == "/api/users/login")
    );
}
