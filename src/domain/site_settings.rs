//! Settings admins change from the admin area (rather than the environment): for now,
//! whether staff must use two-factor sign-in. Stored as named rows, so that a new
//! setting needs no migration; an absent row is the default.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::site_settings;
use crate::domain::time;

/// The row that says whether staff need two-factor sign-in.
const STAFF_TWO_FACTOR: &str = "staff_two_factor";

/// Every setting, as the site runs with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteSettings {
    /// Moderators and admins must turn on two-factor sign-in before the admin area.
    pub staff_two_factor: bool,
}

impl SiteSettings {
    /// The settings as stored (defaults for absent rows).
    pub fn load(conn: &mut DbConnection) -> QueryResult<Self> {
        let rows: Vec<(String, String)> = site_settings::table
            .select((site_settings::name, site_settings::value))
            .load(conn)?;
        let on = |name: &str| rows.iter().any(|(n, v)| n == name && v == "on");
        Ok(Self {
            staff_two_factor: on(STAFF_TWO_FACTOR),
        })
    }
}

/// Sets whether staff need two-factor sign-in (inside the caller's write transaction).
pub fn set_staff_two_factor(conn: &mut DbConnection, on: bool) -> QueryResult<()> {
    // Delete and insert: an upsert is not portable through diesel's MultiConnection.
    diesel::delete(site_settings::table.find(STAFF_TWO_FACTOR)).execute(conn)?;
    diesel::insert_into(site_settings::table)
        .values((
            site_settings::name.eq(STAFF_TWO_FACTOR),
            site_settings::value.eq(if on { "on" } else { "off" }),
            site_settings::updated_at.eq(time::now()),
        ))
        .execute(conn)
        .map(drop)
}
