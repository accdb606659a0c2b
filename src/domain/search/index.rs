//! Keeping the index in step with the articles. Every write that changes what a search
//! reads (an article's title, description, body or tags) calls [`index`] once, at its
//! end and inside its transaction; deletions and tag renames are left to triggers.
//!
//! [`index`] records the article in `search_pending` (a plain row), and
//! [`flush_pending`] indexes the pending articles together: before every search, so a
//! search always sees the writes committed before it, and every second in the
//! background. Indexing costs several plain rows' worth (FTS5 writes a segment and its
//! merge work, PostgreSQL builds a weighted tsvector and upserts it); paid once per
//! batch, article writes stay nearly as fast as without search (see
//! `docs/benchmarks.md`). On PostgreSQL several instances may flush at once: each takes
//! the pending rows with their row locks, in id order, so a search waits for another
//! instance's flush to commit rather than skipping what it is indexing.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Text};

use crate::db::DbConnection;

/// The FTS5 row of each article chosen by `{which}`, tags as one space-separated column.
fn sqlite_rows(which: &str) -> String {
    format!(
        "INSERT OR REPLACE INTO article_search (rowid, title, description, body, tags) \
         SELECT a.id, a.title, a.description, a.body, \
                COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags x \
                          JOIN tags t ON t.id = x.tag_id WHERE x.article_id = a.id), '') \
         FROM articles a WHERE {which}"
    )
}

fn json_ids(ids: &[i32]) -> QueryResult<String> {
    serde_json::to_string(ids).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// Marks these articles for (re-)indexing as they are at commit (see the module).
pub fn index(conn: &mut DbConnection, article_ids: &[i32]) -> QueryResult<()> {
    let mut ids = article_ids.to_vec();
    // Rows locked in id order, as the flush takes them.
    ids.sort_unstable();
    match conn {
        DbConnection::Sqlite(sqlite) => crate::db::prepared(
            "INSERT OR IGNORE INTO search_pending (article_id) SELECT value FROM json_each($1)",
        )
        .bind::<Text, _>(json_ids(&ids)?)
        .execute(sqlite)
        .map(drop),
        DbConnection::Pg(pg) => crate::db::prepared(
            "INSERT INTO search_pending (article_id) SELECT unnest($1) ON CONFLICT DO NOTHING",
        )
        .bind::<Array<Integer>, _>(ids)
        .execute(pg)
        .map(drop),
    }
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    set: bool,
}

/// Whether articles wait to be indexed.
pub fn has_pending(conn: &mut DbConnection) -> QueryResult<bool> {
    Ok(
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM search_pending) AS \"set\"")
            .get_result::<Flag>(conn)?
            .set,
    )
}

/// Indexes every pending article (inside the caller's write transaction); answers how
/// many there were. Deleted articles' entries are gone already (a trigger, a cascade).
pub fn flush_pending(conn: &mut DbConnection) -> QueryResult<usize> {
    match conn {
        DbConnection::Sqlite(sqlite) => {
            diesel::sql_query(sqlite_rows(
                "a.id IN (SELECT article_id FROM search_pending)",
            ))
            .execute(sqlite)?;
            diesel::sql_query("DELETE FROM search_pending").execute(sqlite)
        }
        DbConnection::Pg(pg) => diesel::sql_query(
            "WITH taken AS (DELETE FROM search_pending WHERE article_id IN \
                 (SELECT article_id FROM search_pending ORDER BY article_id FOR UPDATE) \
                 RETURNING article_id) \
             SELECT article_search_refresh(article_id) FROM taken",
        )
        .execute(pg),
    }
}

/// Indexes every article whose id is above `after` (a bulk load's new rows), in one
/// statement.
pub fn index_after(conn: &mut DbConnection, after: i64) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(sqlite) => diesel::sql_query(sqlite_rows("a.id > ?"))
            .bind::<BigInt, _>(after)
            .execute(sqlite)
            .map(drop),
        DbConnection::Pg(pg) => {
            diesel::sql_query("SELECT article_search_refresh(id) FROM articles WHERE id > $1")
                .bind::<BigInt, _>(after)
                .execute(pg)
                .map(drop)
        }
    }
}
