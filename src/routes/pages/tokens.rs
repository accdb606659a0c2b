//! The access tokens section of the settings: the list (never a secret), a form to
//! create one, and a "Revoke" button per token. A new token's secret is shown on the
//! page answering the form, once: it is stored nowhere, not even in the session, so
//! that page is the one form answer here that is not a redirect (signed-in pages are
//! `no-store` already, see `middleware::http_cache`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;

use super::auth::EmptyForm;
use super::session::{self, CsrfForm, CurrentUser, FlashKind};
use super::views::{Chrome, FormErrors, date, form_errors};
use super::{PageError, PageResult, ok, redirect, render};
use crate::domain::access_tokens::{AccessToken, EXPIRY_DAYS, NewToken, Scope};
use crate::domain::time;
use crate::domain::users::Reauth;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenLine>,
    errors: FormErrors,
    form: TokenForm,
    /// Scopes the form offers (`admin` to staff only).
    scopes: Vec<&'static str>,
    /// Expiry choices: (value, label).
    expiries: Vec<(String, String)>,
    /// The form asks for the password (the sign-in is not fresh).
    needs_password: bool,
    /// The token just created, with its secret.
    created: Option<Created>,
}

/// A token as the page lists it.
struct TokenLine {
    id: i32,
    name: String,
    scopes: String,
    created: String,
    last_used: String,
    expires: String,
    expired: bool,
}

impl From<AccessToken> for TokenLine {
    fn from(t: AccessToken) -> Self {
        Self {
            expired: t.expired(time::now()),
            scopes: t.scopes().names().join(", "),
            created: date(t.created_at),
            last_used: t.last_used_at.map_or("never".into(), date),
            expires: t.expires_at.map_or("never".into(), date),
            id: t.id,
            name: t.name,
        }
    }
}

/// What the create form shows (never the password).
struct TokenForm {
    name: String,
    scopes: Vec<String>,
    /// Days, or `never`.
    expires: String,
}

impl Default for TokenForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            scopes: vec![Scope::Read.as_str().to_owned()],
            expires: "30".into(),
        }
    }
}

/// A token just made.
struct Created {
    name: String,
    secret: String,
}

async fn page(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    errors: FormErrors,
    form: TokenForm,
    created: Option<Created>,
) -> Result<TokensPage, PageError> {
    let scopes = Scope::ALL
        .into_iter()
        .filter(|s| *s != Scope::Admin || user.0.is_staff())
        .map(Scope::as_str)
        .collect();
    let mut expiries: Vec<(String, String)> = EXPIRY_DAYS
        .iter()
        .map(|d| (d.to_string(), format!("{d} days")))
        .collect();
    expiries.push(("never".into(), "Never".into()));
    Ok(TokensPage {
        chrome: Chrome::new(state, req, Some(&user.0), "Access tokens", "settings")?,
        tokens: crate::app::access_tokens::list(&state.app, user.0.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        errors,
        form,
        scopes,
        expiries,
        needs_password: session::reauth(req, state.reauth_window_secs) == Reauth::Required,
        created,
    })
}

/// `GET /settings/tokens`
pub async fn list(state: web::Data<AppState>, req: HttpRequest, user: CurrentUser) -> PageResult {
    ok(&page(
        &state,
        &req,
        &user,
        FormErrors::default(),
        TokenForm::default(),
        None,
    )
    .await?)
}

/// `POST /settings/tokens`: the answer shows the new secret, once.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    // Read as pairs: `scopes` repeats, once per checked box.
    let fields = form.0;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let kept = TokenForm {
        name: field("name").unwrap_or_default(),
        scopes: fields
            .iter()
            .filter(|(k, _)| k == "scopes")
            .map(|(_, v)| v.clone())
            .collect(),
        expires: field("expires").unwrap_or_default(),
    };
    let raw = NewToken {
        name: Some(kept.name.clone()),
        scopes: kept.scopes.clone(),
        // Anything but a number of days is "never" or a mistake the rules report.
        expires_in_days: match kept.expires.as_str() {
            "never" | "" => None,
            days => Some(days.parse().unwrap_or(0)),
        },
        current_password: field("current_password"),
    };
    let proved = raw.current_password.as_ref().is_some_and(|p| !p.is_empty());
    let created = crate::app::access_tokens::create(
        &state.app,
        state.bcrypt_cost,
        user.0.clone(),
        raw,
        session::reauth(&req, state.reauth_window_secs),
        state.client_ip(&req),
    )
    .await;
    match created {
        Ok((token, secret)) => {
            if proved {
                session::reauthenticated(&req);
            }
            let shown = Created {
                name: token.name,
                secret,
            };
            let page = page(
                &state,
                &req,
                &user,
                FormErrors::default(),
                TokenForm::default(),
                Some(shown),
            )
            .await?;
            ok(&page)
        }
        Err(err) => {
            let errors = form_errors(err)?;
            let page = page(&state, &req, &user, errors, kept, None).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// `POST /settings/tokens/{id}/revoke`
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    _form: CsrfForm<EmptyForm>,
) -> PageResult {
    let ip = state.client_ip(&req);
    crate::app::access_tokens::revoke(&state.app, user.0, id.into_inner(), ip).await?;
    session::flash(
        &req,
        FlashKind::Info,
        "The token was revoked: it no longer works.",
    );
    Ok(redirect("/settings/tokens"))
}
