//! Keeping the index in step: every write that changes what a search reads (an article's
//! title, description, body or tags) re-indexes the article once, at its end and inside
//! its transaction, so an edit is found by its new words at once. (Triggers did this per
//! changed row, and FTS5 re-tokenizes a whole row on each update: a new article with
//! three tags was tokenized seven times.) Deletions and tag renames keep their triggers.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text};

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

/// (Re-)indexes these articles as they are now.
pub fn index(conn: &mut DbConnection, article_ids: &[i32]) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(sqlite) => {
            let ids = serde_json::to_string(article_ids)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
            diesel::sql_query(sqlite_rows("a.id IN (SELECT value FROM json_each(?))"))
                .bind::<Text, _>(ids)
                .execute(sqlite)
                .map(drop)
        }
        DbConnection::Pg(pg) => {
            diesel::sql_query("SELECT article_search_refresh(id) FROM unnest($1) AS id")
                .bind::<Array<Integer>, _>(article_ids)
                .execute(pg)
                .map(drop)
        }
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
