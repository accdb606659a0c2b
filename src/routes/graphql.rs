//! `/api/graphql`: POST runs a query or mutation; GET upgrades to a WebSocket for
//! subscriptions (graphql-ws), or, from a browser, shows the explorer. The same
//! `Authorization: Token …` header as the REST API (in the `connection_init` payload over
//! WebSocket), the same CORS and idempotency keys as the `/api` scope.

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use async_graphql::Data;
use async_graphql::dataloader::DataLoader;
use async_graphql_actix_web::GraphQLRequest;

use crate::graphql::answers::{self, Asker};
use crate::graphql::{Caller, CommentCounts};
use crate::middleware::rate_limit::client_ip;
use crate::routes::api::error::{ApiError, ErrorBody};
use crate::routes::api::extract::{ApiUser, MaybeApiUser, authenticate_token};
use crate::routes::api::idempotency::{self, NotKept};
use crate::routes::pages::session::MaybeUser;
use crate::routes::pages::views::Chrome;
use crate::routes::pages::{PageResult, ok};
use crate::state::AppState;

/// Where the endpoint lives.
pub const PATH: &str = "/api/graphql";

/// Registers the endpoint (before the `/api` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(PATH)
            .wrap(actix_web::middleware::from_fn(idempotency::replay))
            .wrap(crate::routes::api::cors())
            .route(web::post().to(execute))
            .route(web::get().to(get)),
    );
}

/// The per-operation data: who asks, and the loaders that batch their reads.
fn operation_data(
    state: &web::Data<AppState>,
    ip: IpAddr,
    auth: Result<Option<ApiUser>, ApiError>,
) -> Data {
    let caller = Caller::new(state.clone(), auth, ip);
    let counts = CommentCounts {
        state: state.clone(),
        viewer: caller.viewer().ok().flatten(),
    };
    let mut data = Data::default();
    data.insert(caller);
    data.insert(DataLoader::new(counts, |task| actix_web::rt::spawn(task)));
    data
}

/// `POST /api/graphql`
async fn execute(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Result<MaybeApiUser, ApiError>,
    request: GraphQLRequest,
) -> HttpResponse {
    let ip = client_ip(&req, state.trust_proxy);
    let viewer = viewer.map(|v| v.0);
    let asker = match &viewer {
        Ok(None) => Asker::Anonymous,
        Ok(Some(user)) => Asker::Token(user.token.clone()),
        Err(_) => Asker::Refused,
    };
    let answer = answers::run(
        state.app.caches(),
        &state.graphql.schema,
        request.into_inner(),
        asker,
        || operation_data(&state, ip, viewer),
    )
    .await;
    let mut http = HttpResponse::Ok()
        .content_type("application/graphql-response+json")
        .body(answer.body);
    if answer.failed {
        // A mutation that failed changed nothing: its idempotency key stays free.
        http.extensions_mut().insert(NotKept);
    }
    http
}

/// `GET /api/graphql`: a WebSocket upgrade subscribes; anything else is the explorer.
async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
    viewer: MaybeUser,
) -> Result<HttpResponse, actix_web::Error> {
    let upgrade = req
        .headers()
        .get(actix_web::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return Ok(explorer(&state, &req, viewer)?);
    }
    subscribe(state, req, payload)
}

/// The upgrade: one slot of the client address's cap for the connection's life, then
/// one of the account's once `connection_init` names it.
fn subscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let ip = client_ip(&req, state.trust_proxy);
    let caps = state.graphql.caps.clone();
    let Some(address_slot) = caps.for_address(ip) else {
        return Ok(HttpResponse::TooManyRequests().json(ErrorBody::one(
            "connections",
            format!(
                "at most {} live connections per address",
                caps.per_address()
            ),
        )));
    };
    let mut data = Data::default();
    data.insert(std::sync::Arc::new(address_slot));
    let init_state = state.clone();
    let bounds = crate::routes::graphql_socket::Bounds {
        buffer: state.live.config().buffer,
        heartbeat: state.live.config().heartbeat,
        closing: state.live.closing(),
    };
    let on_init = move |payload: serde_json::Value| async move {
        let token = connection_token(&payload);
        let auth = match token {
            Some(token) => Some(
                authenticate_token(&init_state, token)
                    .await
                    .map_err(crate::graphql::error_of)?,
            ),
            None => None,
        };
        let slot = match &auth {
            Some(auth) => Some(caps.for_user(auth.user.id).ok_or_else(|| {
                async_graphql::Error::new(format!(
                    "at most {} live connections per account",
                    caps.per_user()
                ))
            })?),
            None => None,
        };
        let mut data = operation_data(&init_state, ip, Ok(auth));
        data.insert(std::sync::Arc::new(slot));
        Ok(data)
    };
    crate::routes::graphql_socket::start(
        &req,
        payload,
        state.graphql.schema.clone(),
        data,
        on_init,
        bounds,
    )
}

/// The token of a `connection_init` payload: `{"Authorization": "Token …"}` (as the HTTP
/// header) or `{"token": "…"}`.
fn connection_token(payload: &serde_json::Value) -> Option<String> {
    let header = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(|v| v.as_str())
        .and_then(|v| v.trim().split_once(' ').map(|(_, t)| t.trim().to_owned()));
    let bare = payload
        .get("token")
        .and_then(|v| v.as_str())
        .map(|t| t.trim().to_owned());
    header.or(bare).filter(|t| !t.is_empty())
}

#[derive(Template)]
#[template(path = "pages/graphql_explorer.html")]
struct ExplorerPage {
    chrome: Chrome,
    sdl: String,
    max_depth: usize,
    max_complexity: usize,
}

/// The explorer: the schema, readable without script, and a query form that
/// `static/graphql_explorer.js` runs against the endpoint.
fn explorer(state: &AppState, req: &HttpRequest, viewer: MaybeUser) -> PageResult {
    let chrome = Chrome::new(state, req, viewer.0.as_ref(), "GraphQL explorer", "")?;
    ok(&ExplorerPage {
        chrome,
        sdl: state.graphql.schema.sdl(),
        max_depth: crate::graphql::MAX_DEPTH,
        max_complexity: crate::graphql::MAX_COMPLEXITY,
    })
}
