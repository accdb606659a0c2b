//! Which emails each user wants, and the signed one-click unsubscribe links.

use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::schema::email_settings;
use crate::db::{DbConnection, write_transaction};
use crate::domain::time;
use crate::error::{AppError, AppResult};

/// The email kinds a user can turn off, as they appear in links and forms.
pub const KINDS: [&str; 4] = ["article", "comment", "follower", "favorite"];

/// A user's email choices. Without a stored row, the defaults apply: comments and new
/// followers on, new articles and favorites off (they can be many).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = email_settings)]
pub struct EmailSettings {
    /// A followed author published.
    #[diesel(column_name = on_article)]
    pub article: bool,
    /// Someone commented on your article.
    #[diesel(column_name = on_comment)]
    pub comment: bool,
    /// Someone followed you.
    #[diesel(column_name = on_follower)]
    pub follower: bool,
    /// Someone favorited your article.
    #[diesel(column_name = on_favorite)]
    pub favorite: bool,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            article: false,
            comment: true,
            follower: true,
            favorite: false,
        }
    }
}

/// The column that holds the choice for email of `kind` (none for kinds that are never
/// emailed).
pub fn column_of(kind: &str) -> Option<&'static str> {
    match kind {
        "article" => Some("on_article"),
        "comment" => Some("on_comment"),
        "follower" => Some("on_follower"),
        "favorite" => Some("on_favorite"),
        _ => None,
    }
}

impl EmailSettings {
    /// Whether email of `kind` is wanted (unknown kinds are not).
    pub fn wants(&self, kind: &str) -> bool {
        match kind {
            "article" => self.article,
            "comment" => self.comment,
            "follower" => self.follower,
            "favorite" => self.favorite,
            _ => false,
        }
    }

    /// These settings with `kind` (or every kind, for `all`) turned off.
    pub fn without(mut self, kind: &str) -> Self {
        let all = kind == "all";
        self.article &= !(all || kind == "article");
        self.comment &= !(all || kind == "comment");
        self.follower &= !(all || kind == "follower");
        self.favorite &= !(all || kind == "favorite");
        self
    }
}

/// `user_id`'s settings (the defaults when never saved).
pub fn load(conn: &mut DbConnection, user_id: i32) -> QueryResult<EmailSettings> {
    Ok(email_settings::table
        .find(user_id)
        .select(EmailSettings::as_select())
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

/// Stores `settings` for `user_id` (update, or insert the first time).
pub fn save(conn: &mut DbConnection, user_id: i32, settings: EmailSettings) -> AppResult<()> {
    write_transaction(conn, |conn| {
        let values = (
            email_settings::on_article.eq(settings.article),
            email_settings::on_comment.eq(settings.comment),
            email_settings::on_follower.eq(settings.follower),
            email_settings::on_favorite.eq(settings.favorite),
            email_settings::updated_at.eq(time::now()),
        );
        let updated = diesel::update(email_settings::table.find(user_id))
            .set(values)
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(email_settings::table)
                .values((email_settings::user_id.eq(user_id), values))
                .execute(conn)?;
        }
        Ok::<_, AppError>(())
    })
}

/// Turns `kind` (or `all`) off for `user_id`.
pub fn unsubscribe(conn: &mut DbConnection, user_id: i32, kind: &str) -> AppResult<()> {
    let current = load(conn, user_id)?;
    save(conn, user_id, current.without(kind))
}

/// The token of an unsubscribe link: `<user id>.<kind>.<hex HMAC-SHA256>` keyed with the
/// app secret, so it works without signing in and cannot be forged for another user.
pub fn unsubscribe_token(secret: &[u8], user_id: i32, kind: &str) -> String {
    format!(
        "{user_id}.{kind}.{}",
        hex::encode(mac(secret, user_id, kind))
    )
}

/// The user and kind a token names, if its signature is right (checked in constant time).
pub fn verify_unsubscribe(secret: &[u8], token: &str) -> Option<(i32, String)> {
    let mut parts = token.splitn(3, '.');
    let user_id: i32 = parts.next()?.parse().ok()?;
    let kind = parts.next()?;
    let signature = hex::decode(parts.next()?).ok()?;
    if kind != "all" && !KINDS.contains(&kind) {
        return None;
    }
    let mut check = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    check.update(message(user_id, kind).as_bytes());
    check.verify_slice(&signature).ok()?;
    Some((user_id, kind.to_owned()))
}

fn message(user_id: i32, kind: &str) -> String {
    format!("unsubscribe:{user_id}:{kind}")
}

fn mac(secret: &[u8], user_id: i32, kind: &str) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(message(user_id, kind).as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of any length; this arm is unreachable in practice.
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_unchanged() {
        let token = unsubscribe_token(b"secret", 7, "comment");
        assert_eq!(
            verify_unsubscribe(b"secret", &token),
            Some((7, "comment".into()))
        );
        assert_eq!(verify_unsubscribe(b"other", &token), None);
        let forged = token.replacen("7.", "8.", 1);
        assert_eq!(verify_unsubscribe(b"secret", &forged), None);
        assert_eq!(verify_unsubscribe(b"secret", "7.comment.zz"), None);
    }

    #[test]
    fn without_turns_off() {
        let all_off = EmailSettings::default().without("all");
        assert!(KINDS.iter().all(|k| !all_off.wants(k)));
        assert!(!EmailSettings::default().without("comment").comment);
        assert!(EmailSettings::default().without("comment").follower);
    }
}
