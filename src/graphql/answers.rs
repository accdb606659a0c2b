//! Running a GraphQL request over HTTP, with the answers to queries cached per viewer
//! (`Caches::graphql`): the same query asked again before anything changes is served
//! as the bytes sent last time. Every change drops every answer, on every instance (the
//! same invalidations as the rest of the caches), so an answer is never older than the
//! last write; mutations, and answers with errors, are never kept.

use actix_web::web::Bytes;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Data, Request};
use sha2::{Digest, Sha256};

use super::ApiSchema;
use crate::cache::{Caches, GraphqlKey};

/// A request's answer, serialized.
pub struct Answer {
    /// The JSON body.
    pub body: Bytes,
    /// Whether it carries errors (a failed mutation changed nothing).
    pub failed: bool,
}

/// Who asks, as far as the cache goes.
pub enum Asker {
    /// No token.
    Anonymous,
    /// A working token.
    Token(String),
    /// A token that did not work: never served from the cache (the answer is its
    /// refusal, not the anonymous one).
    Refused,
}

/// Runs `request` against `schema` with the data `data` builds, unless the same query by
/// the same asker is cached.
pub async fn run(
    caches: &Caches,
    schema: &ApiSchema,
    mut request: Request,
    asker: Asker,
    data: impl FnOnce() -> Data,
) -> Answer {
    let key = match asker {
        Asker::Anonymous => Some(key_of(&request, None)),
        Asker::Token(token) => Some(key_of(&request, Some(&token))),
        Asker::Refused => None,
    };
    if let Some(key) = &key
        && let Some(body) = caches.graphql.get(key).await
    {
        return Answer {
            body,
            failed: false,
        };
    }
    let stamp = key.as_ref().map(|k| caches.graphql.stamp(k));
    let name = request.operation_name.clone();
    let query = request
        .parsed_query()
        .is_ok_and(|doc| is_query(doc, name.as_deref()));
    request.data = data();
    let response = schema.execute(request).await;
    let failed = response.is_err();
    let body = match serde_json::to_vec(&response) {
        Ok(json) => Bytes::from(json),
        Err(e) => {
            log::error!("serializing a GraphQL response failed: {e}");
            Bytes::from_static(br#"{"errors":[{"message":"the answer could not be written"}]}"#)
        }
    };
    if let (Some(key), Some(stamp)) = (key, stamp)
        && query
        && !failed
    {
        caches.graphql.put_if_fresh(key, body.clone(), stamp).await;
    }
    Answer { body, failed }
}

fn key_of(request: &Request, token: Option<&str>) -> GraphqlKey {
    let variables = serde_json::to_string(&request.variables).unwrap_or_default();
    GraphqlKey {
        viewer: token.map(|t| {
            let digest = Sha256::digest(t.as_bytes());
            let mut half = [0u8; 16];
            half.copy_from_slice(&digest[..16]);
            half
        }),
        request: format!(
            "{}\0{}\0{}",
            request.query,
            request.operation_name.as_deref().unwrap_or_default(),
            variables
        ),
    }
}

/// Whether the operation `name` selects (the only one, without a name) is a query.
fn is_query(doc: &ExecutableDocument, name: Option<&str>) -> bool {
    let operation = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.is_some_and(|op| op.node.ty == OperationType::Query)
}
