//! The scope each operation needs, written into its `Token` security requirement
//! (OpenAPI 3.1 lets a requirement of any scheme list the roles it needs): `read` for
//! GET, `write` for every other method. That is the rule the extractor enforces for
//! every route (`extract::ApiUser`), so one modifier states it for all of them, with
//! the 403 that refuses a token beyond its scopes (or a suspended account), and a new
//! route is described without anyone remembering to. An operation that names its
//! scopes itself (the staff-only ones, with `admin`) keeps them.

use serde_json::Value;
use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::SecurityRequirement;

use super::openapi_idempotency::mention;
use crate::domain::access_tokens::Scope;

/// The security scheme of API tokens.
const TOKEN: &str = "Token";

/// Adds the scope to every operation that takes the token.
pub struct TokenScopes;

impl Modify for TokenScopes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                (&mut item.get, Scope::Read),
                (&mut item.head, Scope::Read),
                (&mut item.post, Scope::Write),
                (&mut item.put, Scope::Write),
                (&mut item.patch, Scope::Write),
                (&mut item.delete, Scope::Write),
            ];
            for (operation, scope) in operations {
                if let Some(operation) = operation.as_mut() {
                    needs(operation, scope);
                }
            }
        }
    }
}

fn needs(operation: &mut Operation, scope: Scope) {
    let Some(requirements) = operation.security.as_mut() else {
        return;
    };
    let mut named = None;
    for requirement in requirements.iter_mut() {
        // The requirement's names are private in utoipa; its JSON form is `{"Token": []}`.
        let json = serde_json::to_value(&*requirement).unwrap_or_default();
        match json.get(TOKEN).and_then(Value::as_array) {
            Some(scopes) if scopes.is_empty() => {
                *requirement = SecurityRequirement::new(TOKEN, [scope.as_str()]);
                named = Some(scope.as_str().to_owned());
            }
            Some(scopes) => {
                let names: Vec<&str> = scopes.iter().filter_map(Value::as_str).collect();
                named = Some(names.join("` and `"));
            }
            None => {}
        }
    }
    let Some(named) = named else { return };
    let responses = &mut operation.responses.responses;
    if scope != Scope::Read || named != Scope::Read.as_str() {
        mention(
            responses,
            "403",
            &format!("The access token lacks the `{named}` scope (under `token`)."),
        );
    }
    mention(
        responses,
        "403",
        "The account is suspended, or must choose a new password on the site first.",
    );
}
