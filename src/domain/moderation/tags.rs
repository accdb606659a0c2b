//! Renaming and merging tags.

use diesel::dsl::exists;
use diesel::prelude::*;

use crate::db::schema::{article_tags, tags};
use crate::db::{Db, DbConnection, is_unique_violation, savepoint};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::input;
use crate::error::{AppError, AppResult, FieldErrors};

/// A tag with how many articles carry it.
#[derive(Debug, Clone)]
pub struct TagUsage {
    /// Tag id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Articles tagged with it.
    pub articles: i64,
}

/// Every tag with its article count, by name (two queries).
pub async fn all(db: &Db) -> AppResult<Vec<TagUsage>> {
    db.run(|conn| {
        let counts: Vec<(i32, i64)> = article_tags::table
            .group_by(article_tags::tag_id)
            .select((article_tags::tag_id, diesel::dsl::count_star()))
            .load(conn)?;
        let counts: std::collections::HashMap<i32, i64> = counts.into_iter().collect();
        let rows: Vec<(i32, String)> = tags::table
            .order(tags::name.asc())
            .select((tags::id, tags::name))
            .load(conn)?;
        Ok::<_, AppError>(
            rows.into_iter()
                .map(|(id, name)| TagUsage {
                    id,
                    articles: counts.get(&id).copied().unwrap_or(0),
                    name,
                })
                .collect(),
        )
    })
    .await
}

fn tag_name(errors: &mut FieldErrors, field: &str, raw: &str) -> String {
    input::required_text(errors, field, Some(raw), input::TAG_MAX)
}

fn find(conn: &mut DbConnection, name: &str) -> AppResult<i32> {
    tags::table
        .filter(tags::name.eq(name))
        .select(tags::id)
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("tag"))
}

/// Renames tag `from` to `to` (staff only); 409 when `to` already exists (merge them
/// instead). The audit row is written first: when the rename then fails, both roll back.
/// Runs inside the caller's write transaction.
pub fn rename(conn: &mut DbConnection, actor: &Actor, from: &str, to: &str) -> AppResult<()> {
    actor.require_staff()?;
    let mut errors = FieldErrors::default();
    let to = tag_name(&mut errors, "name", to);
    errors.into_result()?;
    let from = from.trim();
    let id = find(conn, from)?;
    audit::record(
        conn,
        actor,
        AuditEntry::on("tag.rename", "tag", id, &to)
            .change(format!("name={from}"), format!("name={to}")),
    )?;
    savepoint(conn, |conn| {
        diesel::update(tags::table.find(id))
            .set(tags::name.eq(&to))
            .execute(conn)
    })
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Conflict(FieldErrors::single(
                "name",
                "is already a tag (merge the two instead)",
            ))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// The two tag names of a merge, checked (422 when either is unusable, or when a tag
/// would be merged into itself), so a form can refuse them before asking to confirm.
pub fn merge_names(from: &str, into: &str) -> AppResult<(String, String)> {
    let mut errors = FieldErrors::default();
    let from = tag_name(&mut errors, "from", from);
    let into = tag_name(&mut errors, "into", into);
    if errors.is_empty() && from == into {
        errors.add("into", "must be another tag");
    }
    errors.into_result()?;
    Ok((from, into))
}

/// Merges tag `from` into `into` (staff only): every article tagged `from` is tagged
/// `into` (once), and `from` is removed. Runs inside the caller's write transaction.
pub fn merge(conn: &mut DbConnection, actor: &Actor, from: &str, into: &str) -> AppResult<()> {
    actor.require_staff()?;
    let (from, into) = merge_names(from, into)?;
    let from_id = find(conn, &from)?;
    let into_id = find(conn, &into)?;
    let article_ids: Vec<i32> = article_tags::table
        .filter(article_tags::tag_id.eq(from_id))
        .select(article_tags::article_id)
        .load(conn)?;
    audit::record(
        conn,
        actor,
        AuditEntry::on("tag.merge", "tag", into_id, &into).change(
            format!("{from} ({} articles)", article_ids.len()),
            format!("merged into {into}"),
        ),
    )?;
    // One row at a time: no multi-row insert or upsert through the enum.
    for &article_id in &article_ids {
        let has_into: bool =
            diesel::select(exists(article_tags::table.find((article_id, into_id))))
                .get_result(conn)?;
        if !has_into {
            diesel::insert_into(article_tags::table)
                .values((
                    article_tags::article_id.eq(article_id),
                    article_tags::tag_id.eq(into_id),
                ))
                .execute(conn)?;
        }
    }
    diesel::delete(article_tags::table.filter(article_tags::tag_id.eq(from_id))).execute(conn)?;
    diesel::delete(tags::table.find(from_id)).execute(conn)?;
    crate::domain::search::index(conn, &article_ids)?;
    Ok(())
}
