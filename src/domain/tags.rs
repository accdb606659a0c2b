//! Tags: the popular list and attaching tags to articles.

use diesel::prelude::*;

use crate::db::schema::{article_tags, tags};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};

/// How many tags the popular list shows.
pub const POPULAR_LIMIT: i64 = 100;

/// Tags in use, most used first (ties by name).
pub async fn popular(db: &Db) -> AppResult<Vec<String>> {
    db.run(|conn| {
        let names = tags::table
            .inner_join(article_tags::table)
            .group_by((tags::id, tags::name))
            .select(tags::name)
            .order_by((diesel::dsl::count_star().desc(), tags::name.asc()))
            .limit(POPULAR_LIMIT)
            .load::<String>(conn)?;
        Ok::<_, AppError>(names)
    })
    .await
}

/// The id of each tag name, creating the missing ones. Tags are few per article, so a
/// row at a time keeps this portable (no multi-row insert or upsert through the enum).
pub fn ensure_ids(conn: &mut DbConnection, names: &[String]) -> QueryResult<Vec<i32>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let existing = tags::table
            .filter(tags::name.eq(name))
            .select(tags::id)
            .first::<i32>(conn)
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                insert_if_missing(conn, name)?;
                tags::table
                    .filter(tags::name.eq(name))
                    .select(tags::id)
                    .first(conn)?
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Adds tag `name` unless it exists. On PostgreSQL a concurrent writer may add it first
/// (and this insert then waits for its commit): `ON CONFLICT DO NOTHING` keeps that from
/// failing the transaction. SQLite has one writer at a time.
fn insert_if_missing(conn: &mut DbConnection, name: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query("INSERT INTO tags (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
                .bind::<diesel::sql_types::Text, _>(name)
                .execute(pg)
                .map(drop)
        }
        DbConnection::Sqlite(sqlite) => diesel::insert_into(tags::table)
            .values(tags::name.eq(name))
            .execute(sqlite)
            .map(drop),
    }
}

/// Replaces the tags of an article.
pub fn set_for_article(
    conn: &mut DbConnection,
    article_id: i32,
    names: &[String],
) -> QueryResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(article_id)))
        .execute(conn)?;
    for tag_id in ensure_ids(conn, names)? {
        diesel::insert_into(article_tags::table)
            .values((
                article_tags::article_id.eq(article_id),
                article_tags::tag_id.eq(tag_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// `(article_id, tag name)` pairs for a page of articles, names in order (one query).
pub fn for_articles(
    conn: &mut DbConnection,
    article_ids: &[i32],
) -> QueryResult<Vec<(i32, String)>> {
    if article_ids.is_empty() {
        return Ok(Vec::new());
    }
    article_tags::table
        .inner_join(tags::table)
        .filter(article_tags::article_id.eq_any(article_ids))
        .select((article_tags::article_id, tags::name))
        .order_by(tags::name.asc())
        .load(conn)
}

/// The id of a tag, if it exists.
pub fn id_by_name(conn: &mut DbConnection, name: &str) -> QueryResult<Option<i32>> {
    if !crate::domain::input::storable(name) {
        return Ok(None);
    }
    tags::table
        .filter(tags::name.eq(name))
        .select(tags::id)
        .first(conn)
        .optional()
}
