//! Tags: the popular list and attaching tags to articles.

use diesel::prelude::*;

use crate::db::schema::{article_tags, tags};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};

/// How many tags the popular list shows.
pub const POPULAR_LIMIT: i64 = 100;

/// Tags in use, most used first (ties by name); drafts' tags do not count (the few
/// draft ids come from their partial index).
pub async fn popular(db: &Db) -> AppResult<Vec<String>> {
    use crate::db::schema::articles;
    db.run(|conn| {
        let names = tags::table
            .inner_join(article_tags::table)
            .filter(
                article_tags::article_id.ne_all(
                    articles::table
                        .filter(articles::draft.eq(true))
                        .select(articles::id),
                ),
            )
            .group_by((tags::id, tags::name))
            .select(tags::name)
            .order_by((diesel::dsl::count_star().desc(), tags::name.asc()))
            .limit(POPULAR_LIMIT)
            .load::<String>(conn)?;
        Ok::<_, AppError>(names)
    })
    .await
}

/// The id of each tag name (in the order given), creating the missing ones: two
/// statements whatever the number of names.
pub fn ensure_ids(conn: &mut DbConnection, names: &[String]) -> QueryResult<Vec<i32>> {
    add_missing(conn, names)?;
    let found: std::collections::HashMap<String, i32> = tags::table
        .filter(tags::name.eq_any(names))
        .select((tags::name, tags::id))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    names
        .iter()
        .map(|name| {
            found
                .get(name)
                .copied()
                .ok_or(diesel::result::Error::NotFound)
        })
        .collect()
}

/// Adds the tags among `names` that do not exist yet, in one statement. A concurrent
/// writer may add the same names first (the insert then waits for its commit): the
/// conflict is ignored instead of failing the transaction, which PostgreSQL could not
/// use again. Names go in sorted, so two writers adding overlapping sets take the
/// unique index's entries in the same order and never deadlock.
fn add_missing(conn: &mut DbConnection, names: &[String]) -> QueryResult<()> {
    let mut sorted: Vec<&str> = names.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Pg(pg) => crate::db::prepared(
            "INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(sorted)
        .execute(pg)
        .map(drop),
        DbConnection::Sqlite(sqlite) => {
            let list = json_list(&sorted)?;
            crate::db::prepared("INSERT OR IGNORE INTO tags (name) SELECT value FROM json_each($1)")
                .bind::<diesel::sql_types::Text, _>(list)
                .execute(sqlite)
                .map(drop)
        }
    }
}

/// Replaces the tags of an article: three statements whatever the number of tags.
pub fn set_for_article(
    conn: &mut DbConnection,
    article_id: i32,
    names: &[String],
) -> QueryResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(article_id)))
        .execute(conn)?;
    attach_to_new_article(conn, article_id, names)
}

/// Tags an article that has no tags yet with `names`, creating the missing tags: one
/// statement fewer than [`set_for_article`], for a new article.
pub fn attach_to_new_article(
    conn: &mut DbConnection,
    article_id: i32,
    names: &[String],
) -> QueryResult<()> {
    if names.is_empty() {
        return Ok(());
    }
    add_missing(conn, names)?;
    match conn {
        DbConnection::Pg(pg) => diesel::insert_into(article_tags::table)
            .values(tags::table.filter(tags::name.eq_any(names)).select((
                article_id.into_sql::<diesel::sql_types::Integer>(),
                tags::id,
            )))
            .into_columns((article_tags::article_id, article_tags::tag_id))
            .execute(pg)
            .map(drop),
        // SQLite spells `eq_any` as one placeholder per name, a text diesel will not
        // keep prepared; the names as one JSON array make the statement's text fixed.
        DbConnection::Sqlite(sqlite) => crate::db::prepared(
            "INSERT INTO article_tags (article_id, tag_id) \
             SELECT $1, id FROM tags WHERE name IN (SELECT value FROM json_each($2))",
        )
        .bind::<diesel::sql_types::Integer, _>(article_id)
        .bind::<diesel::sql_types::Text, _>(json_list(names)?)
        .execute(sqlite)
        .map(drop),
    }
}

fn json_list<T: serde::Serialize>(names: &[T]) -> QueryResult<String> {
    serde_json::to_string(names).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// The tags of one article, names in order (one statement, prepared once per
/// connection, which [`for_articles`]' list of ids is not on SQLite).
pub fn of_article(conn: &mut DbConnection, article_id: i32) -> QueryResult<Vec<String>> {
    article_tags::table
        .inner_join(tags::table)
        .filter(article_tags::article_id.eq(article_id))
        .select(tags::name)
        .order_by(tags::name.asc())
        .load(conn)
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
