//! Keeping the index in step with the articles. Every write that changes what a search
//! reads (an article's title, description, body or tags) calls [`index`] once, at its
//! end and inside its transaction; deletions and tag renames are left to triggers.
//!
//! On PostgreSQL that re-indexes the article there and then. On SQLite it records the
//! article in `search_pending` (a plain row), and [`flush_pending`] indexes the pending
//! articles together: before every search, so a search always sees the latest writes,
//! and every second in the background. An FTS5 commit costs several plain rows' worth
//! (a new segment, merge work, the content copy); paid once per batch, article writes
//! stay nearly as fast as without search (see `docs/benchmarks.md`).

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
    match conn {
        DbConnection::Sqlite(sqlite) => diesel::sql_query(
            "INSERT OR IGNORE INTO search_pending (article_id) SELECT value FROM json_each(?)",
        )
        .bind::<Text, _>(json_ids(article_ids)?)
        .execute(sqlite)
        .map(drop),
        DbConnection::Pg(pg) => {
            diesel::sql_query("SELECT article_search_refresh(id) FROM unnest($1) AS id")
                .bind::<Array<Integer>, _>(article_ids)
                .execute(pg)
                .map(drop)
        }
    }
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    set: bool,
}

/// Whether articles wait to be indexed (never on PostgreSQL).
pub fn has_pending(conn: &mut DbConnection) -> QueryResult<bool> {
    match conn {
        DbConnection::Sqlite(sqlite) => Ok(diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM search_pending) AS \"set\"",
        )
        .get_result::<Flag>(sqlite)?
        .set),
        DbConnection::Pg(_) => Ok(false),
    }
}

/// Indexes every pending article (inside the caller's write transaction); answers how
/// many there were. Deleted articles' entries are gone already (a trigger).
pub fn flush_pending(conn: &mut DbConnection) -> QueryResult<usize> {
    match conn {
        DbConnection::Sqlite(sqlite) => {
            diesel::sql_query(sqlite_rows(
                "a.id IN (SELECT article_id FROM search_pending)",
            ))
            .execute(sqlite)?;
            diesel::sql_query("DELETE FROM search_pending").execute(sqlite)
        }
        DbConnection::Pg(_) => Ok(0),
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
