//! The OpenAPI description of `Idempotency-Key` (see `idempotency.rs`): every POST that
//! requires the token takes the header, may answer a replay marked
//! `Idempotent-Replayed: true`, a 409 while the first request still runs, and a 422
//! for a key reused with a different request. Added to each such operation by one
//! modifier, so a new POST route is described without anyone remembering to.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Content, HeaderBuilder, Ref, RefOr, Required, ResponseBuilder};

use super::idempotency::{HEADER, NOT_KEPT};
use crate::domain::idempotency::MAX_KEY_LEN;

/// The response header on a replayed answer.
pub const REPLAYED: &str = "Idempotent-Replayed";

/// Describes idempotency keys on every POST that requires a token (but those whose
/// answers are never kept, see [`NOT_KEPT`]).
pub struct IdempotencyKeys;

impl Modify for IdempotencyKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if let Some(post) = item.post.as_mut()
                && needs_token(post)
                && !NOT_KEPT.contains(&path.as_str())
            {
                describe(post);
            }
        }
    }
}

/// Whether the operation requires the `Token` scheme (sign-up and sign-in do not, so
/// they have no "same user" to key by).
fn needs_token(operation: &Operation) -> bool {
    let Some(security) = &operation.security else {
        return false;
    };
    // The requirement's names are private in utoipa; its JSON form is `{"Token": []}`.
    let names = serde_json::to_value(security).unwrap_or_default();
    let all = names.as_array().cloned().unwrap_or_default();
    !all.is_empty() && all.iter().all(|r| r.get("Token").is_some())
}

fn error_body(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build(),
    )
}

fn describe(operation: &mut Operation) {
    let key = ParameterBuilder::new()
        .name(HEADER)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(format!(
            "Makes the request safe to retry: a repeat with the same key within 24 hours \
             (same user, method, path and body) answers the first, successful response \
             again with `{REPLAYED}: true` instead of acting twice. 1 to {MAX_KEY_LEN} \
             characters."
        )))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(MAX_KEY_LEN)),
        ))
        .build();
    operation.parameters.get_or_insert_with(Vec::new).push(key);
    let replayed = HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["true"])),
        )
        .description(Some(format!(
            "`true` when this is the stored answer to an earlier request with the same \
             `{HEADER}`"
        )))
        .build();
    for (status, response) in operation.responses.responses.iter_mut() {
        if status.starts_with('2')
            && let RefOr::T(response) = response
        {
            response
                .headers
                .insert(REPLAYED.to_owned(), replayed.clone());
        }
    }
    let responses = &mut operation.responses.responses;
    mention(
        responses,
        "409",
        &format!("A request with this `{HEADER}` is still running; retry later."),
    );
    mention(
        responses,
        "422",
        &format!("The `{HEADER}` is malformed, or was already used for a different request."),
    );
}

/// Adds `what` to the `status` answer: a new error answer, or one more case of an
/// existing one.
pub(super) fn mention(
    responses: &mut std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>>,
    status: &str,
    what: &str,
) {
    match responses.get_mut(status) {
        Some(RefOr::T(response)) => {
            response.description = format!("{} Also: {what}", response.description.trim_end());
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            responses.insert(status.to_owned(), error_body(what));
        }
    }
}
