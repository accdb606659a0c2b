//! `GET /api/docs`: the OpenAPI document rendered as a page of the site, server-side
//! (no script, no CDN), so it reads the same document clients get and cannot drift.

use actix_web::{HttpRequest, web};
use askama::Template;
use serde_json::Value;

use super::openapi::JSON;
use crate::routes::pages::session::MaybeUser;
use crate::routes::pages::views::Chrome;
use crate::routes::pages::{PageResult, ok};
use crate::state::AppState;

/// `GET /api/docs`
#[utoipa::path(
    get,
    path = "/api/docs",
    tag = "Documentation",
    operation_id = "GetApiDocs",
    summary = "This document as a web page",
    responses((status = 200, description = "HTML", body = String, content_type = "text/html"))
)]
pub async fn page(state: web::Data<AppState>, req: HttpRequest, viewer: MaybeUser) -> PageResult {
    let doc: Value = serde_json::from_str(&JSON)
        .map_err(|e| crate::error::AppError::Internal(format!("OpenAPI document: {e}")))?;
    let chrome = Chrome::new(&state, &req, viewer.0.as_ref(), "API documentation", "")?;
    ok(&DocsPage::new(chrome, &doc))
}

#[derive(Template)]
#[template(path = "pages/api_docs.html")]
struct DocsPage {
    chrome: Chrome,
    title: String,
    version: String,
    description: Prose,
    sections: Vec<Section>,
    schemas: Vec<SchemaView>,
}

/// The operations of one tag.
struct Section {
    name: String,
    anchor: String,
    description: Prose,
    operations: Vec<Operation>,
}

struct Operation {
    anchor: String,
    /// Lower case, for the badge's class.
    method: String,
    path: String,
    summary: String,
    description: Prose,
    auth: String,
    params: Vec<Field>,
    body: Option<TypeRef>,
    responses: Vec<ResponseView>,
}

/// A parameter, or a property of a schema.
struct Field {
    name: String,
    /// `path`, `query`… for parameters; empty for properties.
    location: String,
    ty: TypeRef,
    required: bool,
    description: Prose,
}

struct ResponseView {
    status: String,
    /// `2xx`, `4xx`… for the badge's colour.
    class: String,
    description: Prose,
    content_type: String,
    ty: Option<TypeRef>,
    headers: Vec<(String, Prose)>,
}

struct SchemaView {
    name: String,
    anchor: String,
    description: Prose,
    /// Other schemas whose fields this one includes (`allOf`).
    includes: Vec<TypeRef>,
    fields: Vec<Field>,
    /// For schemas that are not objects (enums): their type.
    ty: Option<TypeRef>,
}

/// Text from the document, split on backticks so `code` spans can be shown as code:
/// (is code, text) pairs.
struct Prose(Vec<(bool, String)>);

impl Prose {
    fn new(text: &str) -> Self {
        Self(
            text.split('`')
                .enumerate()
                .filter(|(_, part)| !part.is_empty())
                .map(|(i, part)| (i % 2 == 1, part.to_owned()))
                .collect(),
        )
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A type written out, linked to the schema it names, if any.
struct TypeRef {
    text: String,
    link: Option<String>,
}

fn prose(v: &Value, key: &str) -> Prose {
    Prose::new(v.get(key).and_then(Value::as_str).unwrap_or_default())
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn anchor(kind: &str, name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{kind}-{slug}")
}

fn schema_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// `Profile`, `string | null`, `array of Comment`, `"ok" | "failing"`…
fn type_ref(schema: &Value) -> TypeRef {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = schema_name(reference);
        return TypeRef {
            text: name.to_owned(),
            link: Some(format!("#{}", anchor("schema", name))),
        };
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<TypeRef> = parts.iter().map(type_ref).collect();
            let joiner = if key == "allOf" { " & " } else { " | " };
            return TypeRef {
                text: parts
                    .iter()
                    .map(|p| p.text.as_str())
                    .collect::<Vec<_>>()
                    .join(joiner),
                link: parts.into_iter().find_map(|p| p.link),
            };
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let text = values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" | ");
        return TypeRef { text, link: None };
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec!["any"],
    };
    let mut link = None;
    let texts: Vec<String> = types
        .into_iter()
        .map(|t| match t {
            "array" => {
                let item = type_ref(schema.get("items").unwrap_or(&Value::Null));
                link = link.take().or(item.link);
                format!("array of {}", item.text)
            }
            "object" if schema.get("additionalProperties").is_some() => {
                let value = type_ref(schema.get("additionalProperties").unwrap_or(&Value::Null));
                link = link.take().or(value.link);
                format!("map of string to {}", value.text)
            }
            other => match schema.get("format").and_then(Value::as_str) {
                Some(format) => format!("{other} ({format})"),
                None => other.to_owned(),
            },
        })
        .collect();
    TypeRef {
        text: texts.join(" | "),
        link,
    }
}

fn properties(schema: &Value) -> Vec<Field> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, prop)| Field {
            name: name.clone(),
            location: String::new(),
            ty: type_ref(prop),
            required: required.contains(&name.as_str()),
            description: prose(prop, "description"),
        })
        .collect()
}

fn schema_view(name: &str, schema: &Value) -> SchemaView {
    let parts = schema.get("allOf").and_then(Value::as_array);
    let (includes, fields) = match parts {
        Some(parts) => (
            parts
                .iter()
                .filter(|p| p.get("$ref").is_some())
                .map(type_ref)
                .collect(),
            parts.iter().flat_map(properties).collect(),
        ),
        None => (Vec::new(), properties(schema)),
    };
    let is_object = schema.get("properties").is_some() || parts.is_some();
    SchemaView {
        name: name.to_owned(),
        anchor: anchor("schema", name),
        description: prose(schema, "description"),
        includes,
        fields,
        ty: (!is_object).then(|| type_ref(schema)),
    }
}

fn auth_of(operation: &Value) -> String {
    let Some(requirements) = operation.get("security").and_then(Value::as_array) else {
        return "none".into();
    };
    let anonymous = requirements
        .iter()
        .any(|r| r.as_object().is_some_and(|o| o.is_empty()));
    let named = requirements
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.iter())
        .next();
    let token = |scopes: &Value| {
        let scopes: Vec<&str> = scopes
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        format!(
            "Authorization: Token <jwt or access token> (scope: {})",
            scopes.join(", ")
        )
    };
    match (anonymous, named) {
        (_, None) => "none".into(),
        (true, Some((_, scopes))) => format!("optional: {}", token(scopes)),
        (false, Some((name, scopes))) if name == "Token" => {
            format!("required: {}", token(scopes))
        }
        (false, Some(_)) => "required: Authorization: Bearer <CONDUIT_METRICS_TOKEN>".into(),
    }
}

fn operation(method: &str, path: &str, op: &Value) -> Operation {
    let params = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| Field {
            name: text(p, "name"),
            location: text(p, "in"),
            ty: type_ref(p.get("schema").unwrap_or(&Value::Null)),
            required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
            description: prose(p, "description"),
        })
        .collect();
    let first_content = |v: &Value| {
        v.get("content")
            .and_then(Value::as_object)
            .and_then(|c| c.iter().next())
            .map(|(ct, media)| (ct.clone(), media.get("schema").map(type_ref)))
    };
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(status, response)| {
            let (content_type, ty) = first_content(response).unwrap_or_default();
            let headers = response
                .get("headers")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(name, h)| (name.clone(), prose(h, "description")))
                .collect();
            ResponseView {
                class: format!("{}xx", status.chars().next().unwrap_or('x')),
                status: status.clone(),
                description: prose(response, "description"),
                content_type,
                ty,
                headers,
            }
        })
        .collect();
    Operation {
        anchor: anchor("op", &text(op, "operationId")),
        method: method.to_owned(),
        path: path.to_owned(),
        summary: text(op, "summary"),
        description: prose(op, "description"),
        auth: auth_of(op),
        params,
        body: op
            .get("requestBody")
            .and_then(first_content)
            .and_then(|(_, ty)| ty),
        responses,
    }
}

impl DocsPage {
    fn new(chrome: Chrome, doc: &Value) -> Self {
        let info = doc.get("info").unwrap_or(&Value::Null);
        let tags: Vec<&Value> = doc
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().collect())
            .unwrap_or_default();
        let mut sections: Vec<Section> = tags
            .iter()
            .map(|t| Section {
                name: text(t, "name"),
                anchor: anchor("tag", &text(t, "name")),
                description: prose(t, "description"),
                operations: Vec::new(),
            })
            .collect();
        let paths = doc.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            for method in ["get", "put", "post", "delete", "patch"] {
                let Some(op) = item.get(method) else { continue };
                let tag = op
                    .get("tags")
                    .and_then(|t| t.get(0))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if let Some(section) = sections.iter_mut().find(|s| s.name == tag) {
                    section.operations.push(operation(method, path, op));
                }
            }
        }
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, schema)| schema_view(name, schema))
            .collect();
        Self {
            chrome,
            title: text(info, "title"),
            version: text(info, "version"),
            description: prose(info, "description"),
            sections,
            schemas,
        }
    }
}
