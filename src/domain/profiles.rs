//! Public profiles and following.

use diesel::prelude::*;

use crate::db::schema::{follows, users};
use crate::db::{Db, DbConnection, is_unique_violation, savepoint};
use crate::domain::users::User;
use crate::domain::{events, time};
use crate::error::{AppError, AppResult, FieldErrors};

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Public name.
    pub username: String,
    /// Self-description.
    pub bio: Option<String>,
    /// Avatar URL.
    pub image: Option<String>,
    /// Whether the viewer follows them (false for anonymous viewers).
    pub following: bool,
}

impl Profile {
    /// The profile of `user` as seen by a viewer who does or does not follow them.
    pub fn of(user: &User, following: bool) -> Self {
        Self {
            username: user.username.clone(),
            bio: user.bio.clone(),
            image: user.image.clone(),
            following,
        }
    }
}

/// Whether `follower` follows `followee`.
pub fn is_following(
    conn: &mut DbConnection,
    follower: Option<i32>,
    followee: i32,
) -> QueryResult<bool> {
    let Some(follower) = follower else {
        return Ok(false);
    };
    diesel::select(diesel::dsl::exists(
        follows::table.find((follower, followee)),
    ))
    .get_result(conn)
}

/// Of `followees`, those that `viewer` follows: one query for a whole page.
pub fn followed_among(
    conn: &mut DbConnection,
    viewer: Option<i32>,
    followees: &[i32],
) -> QueryResult<Vec<i32>> {
    let Some(viewer) = viewer else {
        return Ok(Vec::new());
    };
    if followees.is_empty() {
        return Ok(Vec::new());
    }
    follows::table
        .filter(follows::follower_id.eq(viewer))
        .filter(follows::followee_id.eq_any(followees))
        .select(follows::followee_id)
        .load(conn)
}

/// The profile of `username` for `viewer`.
pub async fn get(db: &Db, viewer: Option<i32>, username: String) -> AppResult<Profile> {
    db.run(move |conn| {
        let user = User::find_by_username(conn, &username)?.ok_or(AppError::NotFound("profile"))?;
        let following = is_following(conn, viewer, user.id)?;
        Ok(Profile::of(&user, following))
    })
    .await
}

/// Makes `follower` follow `username` (`follow`) or stop following them, idempotent
/// both ways, inside the caller's write transaction. Following yourself is refused.
pub fn set_following(
    conn: &mut DbConnection,
    follower: i32,
    username: &str,
    follow: bool,
) -> AppResult<Profile> {
    let user = User::find_by_username(conn, username)?.ok_or(AppError::NotFound("profile"))?;
    if user.id == follower {
        return Err(AppError::Validation(FieldErrors::single(
            "profile",
            "you cannot follow yourself",
        )));
    }
    let already = is_following(conn, Some(follower), user.id)?;
    if follow && !already && insert_follow(conn, follower, user.id)? {
        let name = User::find(conn, follower)?
            .map(|u| u.username)
            .unwrap_or_default();
        events::followed(conn, follower, &name, user.id, &user.username)?;
    } else if !follow && already {
        diesel::delete(follows::table.find((follower, user.id))).execute(conn)?;
    }
    Ok(Profile::of(&user, follow))
}

/// Adds the follow; false when a concurrent request added it first (its transaction
/// tells the followee, this one does not).
fn insert_follow(conn: &mut DbConnection, follower: i32, followee: i32) -> QueryResult<bool> {
    let inserted = savepoint(conn, |conn| {
        diesel::insert_into(follows::table)
            .values((
                follows::follower_id.eq(follower),
                follows::followee_id.eq(followee),
                follows::created_at.eq(time::now()),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Loads the users with these ids (one query).
pub fn users_by_ids(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)
}
