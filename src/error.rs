//! The domain's error type. Routes map it to HTTP in exactly one place per surface
//! (`routes::api::error` for JSON); the cause of internal errors goes to the log only.

use std::collections::BTreeMap;

use crate::db::DbError;

/// Messages per input field, in the RealWorld `{"errors": {field: [message]}}` shape.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// One message for one field.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    /// Adds a message for `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// True when nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when empty, else these errors as a validation failure.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }

    /// Adds every message of `other`, after this one's own.
    pub fn merge(&mut self, other: FieldErrors) {
        for (field, messages) in other.0 {
            self.0.entry(field).or_default().extend(messages);
        }
    }

    /// Field name and message pairs, for forms that list them.
    pub fn messages(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|(field, msgs)| msgs.iter().map(move |m| (field.as_str(), m.as_str())))
    }
}

/// What can go wrong in a Conduit operation.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input broke a rule (422).
    #[error("validation failed")]
    Validation(FieldErrors),
    /// Input clashes with existing data, such as a taken username (409).
    #[error("conflict")]
    Conflict(FieldErrors),
    /// No credentials were presented where they are required (401).
    #[error("authentication required")]
    MissingToken,
    /// The presented token is malformed, expired or its user is gone (401).
    #[error("invalid token")]
    InvalidToken,
    /// Email and password do not match an account (401).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed sign-ins for this account: wait this many seconds (429).
    #[error("too many failed attempts")]
    TooManyAttempts(u64),
    /// The named thing does not exist (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The account is suspended; the text says why and until when (403).
    #[error("account suspended")]
    Suspended(String),
    /// Staff asked this account to choose a new password on the site first (403).
    #[error("password reset required")]
    PasswordResetRequired,
    /// The caller may not act on the named thing (403).
    #[error("{0} forbidden")]
    Forbidden(&'static str),
    /// The access token presented lacks the named scope for this request (403).
    #[error("token lacks the {0} scope")]
    InsufficientScope(&'static str),
    /// The site asks for a proved email address before publishing or commenting (403).
    #[error("email address not verified")]
    EmailUnverified,
    /// Signing in to the API with a password, for an account with two-factor sign-in:
    /// API clients use a personal access token instead (403).
    #[error("two-factor sign-in is on")]
    TwoFactorOn,
    /// The site asks staff to turn on two-factor sign-in before the admin area (403).
    #[error("two-factor sign-in required")]
    TwoFactorRequired,
    /// A failure that is ours, not the caller's (500); the text is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        Self::Internal(format!("database query: {err}"))
    }
}

/// What an account with an unproved address is told when the site requires one.
pub const EMAIL_UNVERIFIED: &str = "must be confirmed before you publish or comment: follow the link we emailed you, or ask for a new one in your settings";

/// What an API client signing in with a password to a two-factor account is told.
pub const TWO_FACTOR_ON: &str = "is on for this account: API clients sign in with a personal access token instead (create one in Settings, under Access tokens)";

/// What staff without two-factor sign-in are told at the admin area, when it is required.
pub const TWO_FACTOR_REQUIRED: &str = "The admin area asks staff to turn on two-factor sign-in first: Settings, under Two-factor sign-in.";

/// Shorthand for domain results.
pub type AppResult<T> = Result<T, AppError>;
