//! Who a GraphQL operation runs for: the token-authenticated user (the same checks as the
//! REST extractor) and the client address, for rate limits and the audit log.

use std::net::IpAddr;

use actix_web::web;
use async_graphql::Context;

use super::errors::{OrGql, with_body};
use crate::domain::access_tokens::Scope;
use crate::error::AppError;
use crate::middleware::rate_limit::{Action, too_many_body};
use crate::routes::api::error::ApiError;
use crate::routes::api::extract::ApiUser;
use crate::state::AppState;

/// The caller of one HTTP request or one WebSocket connection.
pub struct Caller {
    /// The application.
    pub state: web::Data<AppState>,
    /// The signed-in user if a token was presented, or why the token was refused: only
    /// the fields that read the viewer fail then (as only the REST routes that read it
    /// do; signing up or in ignores the header).
    auth: Result<Option<ApiUser>, async_graphql::Error>,
    /// The client address the rate limits count by.
    pub ip: IpAddr,
}

impl Caller {
    /// `auth` (the API's extractor's verdict) calling from `ip`.
    pub fn new(
        state: web::Data<AppState>,
        auth: Result<Option<ApiUser>, ApiError>,
        ip: IpAddr,
    ) -> Self {
        Self {
            state,
            auth: auth.map_err(super::errors::of),
            ip,
        }
    }

    /// The caller of the operation being resolved.
    pub fn of<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
        ctx.data::<Caller>()
    }

    /// The signed-in user, if any; the token's refusal if it was refused.
    pub fn auth(&self) -> async_graphql::Result<Option<&ApiUser>> {
        self.auth.as_ref().map(Option::as_ref).map_err(Clone::clone)
    }

    /// The viewer's id, if signed in.
    pub fn viewer(&self) -> async_graphql::Result<Option<i32>> {
        Ok(self.auth()?.map(|a| a.user.id))
    }

    /// The signed-in user; 401 (`token is missing`) otherwise.
    pub fn user(&self) -> async_graphql::Result<&ApiUser> {
        self.auth()?.ok_or(AppError::MissingToken).gql()
    }

    /// The signed-in user allowed to write: REST's 401 without a token, 403 for a token
    /// without the `write` scope, and 429 past the REST twin's rate limit (`action`).
    pub async fn writer(&self, action: Action) -> async_graphql::Result<&ApiUser> {
        // As the REST middleware does: the limit before the token.
        self.admit(action).await?;
        let auth = self.user()?;
        auth.require(Scope::Write).gql()?;
        Ok(auth)
    }

    /// Draws on the allowance of `action`, as the REST route would.
    pub async fn admit(&self, action: Action) -> async_graphql::Result<()> {
        let account = self.viewer().ok().flatten().map(|id| id.to_string());
        let verdict = (self.state.rate_limits)
            .admit(&self.state.db, action, self.ip, account)
            .await;
        verdict.map_err(|wait| with_body(429, &too_many_body(wait)))
    }

    /// The client address as the audit log records it.
    pub fn address(&self) -> Option<String> {
        Some(self.ip.to_string())
    }
}
