//! A refused form's messages, above the form and beside each field.

use crate::error::{AppError, FieldErrors};

/// A failed form's messages: every one in the list above the form (the RealWorld
/// `.error-messages`), and each field's own beside that field, all at once.
#[derive(Default)]
pub struct FormErrors {
    lines: Vec<String>,
    fields: Vec<(String, String)>,
}

impl FormErrors {
    /// A message about the form as a whole (wrong password, too many attempts).
    pub fn form(message: impl Into<String>) -> Self {
        Self {
            lines: vec![message.into()],
            fields: Vec::new(),
        }
    }

    /// The messages of a validation failure, by field.
    pub fn of(errors: &FieldErrors) -> Self {
        let mut form = Self::default();
        for (field, message) in errors.messages() {
            // The key the form's field is looked up by, and the words the list says.
            let (key, label) = match field {
                "tagList" => ("tags", "tags"),
                "currentPassword" => (field, "current password"),
                "publishAt" => ("publish_at", "publish time"),
                other => (other, other),
            };
            form.lines.push(format!("{label} {message}"));
            form.fields.push((key.to_owned(), message.to_owned()));
        }
        form
    }

    /// True when the form had no mistake.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Every message, one line each, as the list above the form shows them.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// What is wrong with `field`, to show beside it ("can't be blank; is too short").
    pub fn field(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .fields
            .iter()
            .filter(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }
}

/// What a visitor reads after too many failed sign-ins.
pub fn too_many_attempts(seconds: u64) -> String {
    format!(
        "too many failed sign-ins for this account; please wait {seconds} seconds and try again"
    )
}

/// The form-level messages of an error that a form can show, or the error back when it
/// is not about the input.
pub fn form_errors(err: AppError) -> Result<FormErrors, AppError> {
    match err {
        AppError::Validation(errors) | AppError::Conflict(errors) => Ok(FormErrors::of(&errors)),
        AppError::InvalidCredentials => Ok(FormErrors::form("email or password is invalid")),
        AppError::TooManyAttempts(seconds) => Ok(FormErrors::form(too_many_attempts(seconds))),
        AppError::Suspended(message) => Ok(FormErrors::form(message)),
        AppError::EmailUnverified => Ok(FormErrors::form(format!(
            "your email {}",
            crate::error::EMAIL_UNVERIFIED
        ))),
        other => Err(other),
    }
}
