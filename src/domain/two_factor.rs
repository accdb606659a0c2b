//! Two-factor sign-in with time-based codes (TOTP, RFC 6238: SHA-1, six digits, 30 s
//! steps, one step of clock drift either way, as every authenticator app expects), and
//! ten single-use recovery codes stored hashed.
//!
//! The key is stored sealed (see `auth::sealed`), so a copy of the database alone
//! cannot make codes. A code works once: the last accepted time step is stored, and a code of that step or
//! an earlier one is refused (RFC 6238 §5.2). Both the step and the recovery codes are
//! spent by a conditional `UPDATE`, so two instances checking the same code at once
//! cannot both accept it. Wrong codes count as failed sign-ins (see
//! `domain::sign_in_events`), so guessing meets the same growing delay as passwords.

use diesel::prelude::*;
use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Builder, Secret, Totp};

use crate::auth::link_token::stored_hash;
use crate::auth::sealed::Sealer;
use crate::db::DbConnection;
use crate::db::schema::{recovery_codes, two_factor, users};
use crate::domain::time;
use crate::error::{AppError, AppResult, FieldErrors};

/// Recovery codes made at enrolment (and when asked for new ones).
pub const RECOVERY_CODES: usize = 10;

/// What an authenticator app needs to start: the secret, as a QR code and as text.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32, for typing in by hand.
    pub secret: String,
    /// The `otpauth://` URL the QR code holds.
    pub url: String,
    /// The QR code as an SVG element (our own markup, safe to embed).
    pub qr_svg: String,
}

/// A fresh secret (160 random bits, as RFC 4226 recommends), base32.
pub fn new_secret() -> String {
    Secret::from(rand::random::<[u8; 20]>()).to_base32()
}

fn totp(secret: &str, account: &str) -> AppResult<Totp> {
    let secret = Secret::try_from_base32(secret)
        .map_err(|e| AppError::Internal(format!("stored TOTP secret: {e}")))?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some("Conduit"))
        .build()
        .map_err(|e| AppError::Internal(format!("TOTP: {e}")))
}

/// The enrolment screen's contents for `secret`, labelled with the account `account`.
pub fn enrolment(secret: &str, account: &str) -> AppResult<Enrolment> {
    let url = totp(secret, account)?
        .to_url()
        .map_err(|e| AppError::Internal(format!("TOTP URL: {e}")))?;
    let code =
        QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(format!("QR code: {e}")))?;
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in HTML: the XML declaration has no place there.
    let qr_svg = match drawn.find("<svg") {
        Some(start) => drawn[start..].to_owned(),
        None => drawn,
    };
    Ok(Enrolment {
        secret: secret.to_owned(),
        url,
        qr_svg,
    })
}

/// The time step `code` belongs to, if it is right for `secret` now (within a step).
fn step_of(secret: &str, code: &str) -> AppResult<Option<u64>> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(secret, "")?.check_current(&digits))
}

fn step_column(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

/// Turns two-factor sign-in on for `user_id` with `secret`, once `code` proves the app
/// has it (422 on `code` otherwise). Returns the recovery codes, shown once.
pub fn enable(
    conn: &mut DbConnection,
    sealer: &Sealer,
    user_id: i32,
    secret: &str,
    code: &str,
) -> AppResult<Vec<String>> {
    let Some(step) = step_of(secret, code)? else {
        return Err(AppError::Validation(FieldErrors::single(
            "code",
            "is not the code your app shows: check the app and try again",
        )));
    };
    diesel::delete(two_factor::table.find(user_id)).execute(conn)?;
    diesel::insert_into(two_factor::table)
        .values((
            two_factor::user_id.eq(user_id),
            two_factor::secret.eq(sealer.seal(secret)),
            two_factor::last_step.eq(step_column(step)),
        ))
        .execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set(users::two_factor_since.eq(time::now()))
        .execute(conn)?;
    Ok(replace_recovery_codes(conn, user_id)?)
}

/// Turns two-factor sign-in off for `user_id`.
pub fn disable(conn: &mut DbConnection, user_id: i32) -> QueryResult<()> {
    diesel::delete(two_factor::table.find(user_id)).execute(conn)?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set(users::two_factor_since.eq(None::<chrono::NaiveDateTime>))
        .execute(conn)
        .map(drop)
}

/// New recovery codes for `user_id`, voiding the old ones; shown once, stored hashed.
pub fn replace_recovery_codes(conn: &mut DbConnection, user_id: i32) -> QueryResult<Vec<String>> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    // One row at a time: SQLite through diesel's MultiConnection has no multi-row insert.
    for code in &codes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(stored_hash(&normalized(code))),
            ))
            .execute(conn)?;
    }
    Ok(codes)
}

/// 80 random bits as four groups of four hex digits: `1f2e-3d4c-5b6a-7980`.
fn new_recovery_code() -> String {
    let hex = hex::encode(rand::random::<[u8; 10]>());
    let groups: Vec<&str> = (0..5).map(|i| &hex[i * 4..i * 4 + 4]).collect();
    groups.join("-")
}

/// A recovery code as typed, reduced to what is hashed: lowercase hex digits only.
fn normalized(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// How a sign-in proved the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A code from the app.
    AppCode,
    /// One of the recovery codes (now spent).
    RecoveryCode,
}

/// Checks `code` (from the app, or a recovery code) for `user_id` and spends it: a
/// code of a step already used, or a used recovery code, is refused. `None`: refused.
pub fn verify(
    conn: &mut DbConnection,
    sealer: &Sealer,
    user_id: i32,
    code: &str,
) -> AppResult<Option<Proof>> {
    let Some(sealed) = two_factor::table
        .find(user_id)
        .select(two_factor::secret)
        .first::<String>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    // Sealed under another site key (it was changed): only recovery codes still work.
    let secret = sealer.open(&sealed).unwrap_or_default();
    if let Some(step) = step_of(&secret, code).unwrap_or(None) {
        let step = step_column(step);
        let spent = diesel::update(
            two_factor::table
                .find(user_id)
                .filter(two_factor::last_step.lt(step)),
        )
        .set(two_factor::last_step.eq(step))
        .execute(conn)?;
        return Ok((spent == 1).then_some(Proof::AppCode));
    }
    let typed = normalized(code);
    if typed.len() != 20 {
        return Ok(None);
    }
    let spent = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(stored_hash(&typed)))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(time::now()))
    .execute(conn)?;
    Ok((spent == 1).then_some(Proof::RecoveryCode))
}

/// Recovery codes `user_id` has left.
pub fn recovery_codes_left(conn: &mut DbConnection, user_id: i32) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_draws_an_inline_svg_of_an_otpauth_url() {
        let secret = new_secret();
        let enrolment = enrolment(&secret, "alice@example.com").expect("enrolment");
        assert!(
            enrolment.url.starts_with("otpauth://totp/Conduit:"),
            "{}",
            enrolment.url
        );
        assert!(
            enrolment.qr_svg.starts_with("<svg"),
            "{}",
            &enrolment.qr_svg[..40]
        );
        assert!(
            !enrolment.qr_svg.contains("style="),
            "our CSP forbids inline styles"
        );
    }

    #[test]
    fn codes_are_checked_for_shape_and_value() {
        let secret = new_secret();
        let now = totp(&secret, "")
            .expect("totp")
            .generate_current()
            .to_string();
        assert!(step_of(&secret, &now).expect("check").is_some());
        assert!(step_of(&secret, "12345").expect("check").is_none());
        assert!(step_of(&secret, "abcdef").expect("check").is_none());
        assert_eq!(
            normalized("1F2E-3d4c 5b6a-7980-aaaa"),
            "1f2e3d4c5b6a7980aaaa"
        );
        assert_eq!(new_recovery_code().len(), 24);
    }
}
