//! The case-blind key of every username (see the `username_keys` migration): filled in
//! for rows that have none (accounts from before the migration, bulk loads) right after
//! the migrations run. Two accounts whose names differ only by case cannot both hold the
//! key: the older keeps it, the newer is reported (and found by its exact name only)
//! until staff rename it.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::users;

/// The key a username is unique by: its lower case (Unicode-aware, the same on both
/// backends, which is why the application computes it rather than SQL's `lower`).
pub fn key(username: &str) -> String {
    username.to_lowercase()
}

/// An account whose name another account already holds regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    pub id: i32,
    pub username: String,
    /// The name of the account that holds the key.
    pub holder: String,
}

impl std::fmt::Display for Clash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "username {:?} (account {}) differs only by case from {:?}, which keeps it; \
             rename one of them",
            self.username, self.id, self.holder
        )
    }
}

/// Keys every account that has none, oldest first; answers the clashes found.
pub fn fill(conn: &mut DbConnection) -> QueryResult<Vec<Clash>> {
    let missing: Vec<(i32, String)> = users::table
        .filter(users::username_key.is_null())
        .order_by(users::id.asc())
        .select((users::id, users::username))
        .load(conn)?;
    let mut clashes = Vec::new();
    for (id, username) in missing {
        let wanted = key(&username);
        let holder: Option<String> = users::table
            .filter(users::username_key.eq(&wanted))
            .select(users::username)
            .first(conn)
            .optional()?;
        let holder = match holder {
            Some(holder) => Some(holder),
            // Another instance starting at the same time may key a clashing row first.
            None => match diesel::update(users::table.find(id))
                .set(users::username_key.eq(&wanted))
                .execute(conn)
            {
                Ok(_) => None,
                Err(e) if super::is_unique_violation(&e) => Some(
                    users::table
                        .filter(users::username_key.eq(&wanted))
                        .select(users::username)
                        .first(conn)?,
                ),
                Err(e) => return Err(e),
            },
        };
        if let Some(holder) = holder {
            clashes.push(Clash {
                id,
                username,
                holder,
            });
        }
    }
    Ok(clashes)
}
