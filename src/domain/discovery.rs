//! What search engines are given: the articles everyone may read, in sitemap pages of
//! at most [`URLS_PER_SITEMAP`] (the sitemap protocol's limit), each with the time of
//! its newest change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::articles;

/// URLs in one sitemap file, as the protocol allows at most.
pub const URLS_PER_SITEMAP: i64 = 50_000;

/// One sitemap file of the index: its 1-based number and its newest change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapPage {
    pub number: i64,
    pub lastmod: Option<NaiveDateTime>,
}

#[derive(QueryableByName)]
struct PageRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    page: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    lastmod: NaiveDateTime,
}

/// The sitemap files needed for every visible article, by id order, with each one's
/// newest change, counted by the database in one pass (nothing per article comes back).
pub fn sitemap_pages(conn: &mut DbConnection) -> QueryResult<Vec<SitemapPage>> {
    // Integers only are formatted into the statement.
    let sql = format!(
        "SELECT CAST((rn - 1) / {URLS_PER_SITEMAP} + 1 AS BIGINT) AS page, MAX(updated_at) AS lastmod \
         FROM (SELECT updated_at, ROW_NUMBER() OVER (ORDER BY id) AS rn \
               FROM articles WHERE hidden = FALSE AND draft = FALSE) numbered \
         GROUP BY 1 ORDER BY 1"
    );
    let rows: Vec<PageRow> = diesel::sql_query(sql).load(conn)?;
    let mut pages: Vec<SitemapPage> = rows
        .into_iter()
        .map(|row| SitemapPage {
            number: row.page,
            lastmod: Some(row.lastmod),
        })
        .collect();
    if pages.is_empty() {
        pages.push(SitemapPage {
            number: 1,
            lastmod: None,
        });
    }
    Ok(pages)
}

/// The slugs and edit times of sitemap file `number` (1-based): visible articles in id
/// order, [`URLS_PER_SITEMAP`] a file. Empty past the last file.
pub fn sitemap_entries(
    conn: &mut DbConnection,
    number: i64,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    if number < 1 {
        return Ok(Vec::new());
    }
    articles::table
        .filter(articles::hidden.eq(false))
        .filter(articles::draft.eq(false))
        .order(articles::id.asc())
        .offset((number - 1) * URLS_PER_SITEMAP)
        .limit(URLS_PER_SITEMAP)
        .select((articles::slug, articles::updated_at))
        .load(conn)
}
