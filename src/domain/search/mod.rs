//! Full-text search over articles' titles, descriptions, bodies and tags, from the
//! database itself: SQLite's FTS5 and PostgreSQL's `tsvector` (see the `search`
//! migrations; [`index`] keeps the index in step with every write). A title match
//! weighs most, then tags and the description, then the body; ties go to the newer
//! article (the higher id: ids grow with time), so pages are stable. Hidden articles are
//! found only by their author and staff.

mod index;
mod query;

pub use index::{flush_pending, has_pending, index, index_after};

pub use query::{MAX_QUERY_CHARS, Query, Term};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};

use crate::db::DbConnection;
use crate::domain::users::User;
use crate::error::{AppError, AppResult, FieldErrors};

/// Marks the start of a matched word in a raw snippet (a private-use character, which
/// the HTML rendering turns into `<mark>`).
const MARK_START: char = '\u{E000}';
/// Marks its end.
const MARK_END: char = '\u{E001}';

/// Most results on one page.
pub const MAX_LIMIT: i64 = 50;
/// How many matches are ranked: the newest this many. Scoring every match of a common
/// word would cost a score per article (seconds at a million articles); past this many,
/// a search is narrowed by more words, a tag or an author, as on large platforms.
pub const RANKED: i64 = 1_000;
/// The furthest a search pages: to the end of the ranked matches.
pub const MAX_OFFSET: i64 = RANKED;

/// A checked search.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: Query,
    /// Only articles with this tag.
    pub tag: Option<String>,
    /// Only articles by this username.
    pub author: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl SearchRequest {
    /// Checks a search as typed (422 with every mistake at once).
    pub fn parse(
        q: Option<&str>,
        tag: Option<&str>,
        author: Option<&str>,
        limit: Option<&str>,
        offset: Option<&str>,
    ) -> AppResult<Self> {
        let mut errors = FieldErrors::default();
        let query = Query::parse(q.unwrap_or_default());
        if let Err(AppError::Validation(e)) = &query {
            errors.merge(e.clone());
        }
        let mut number = |name: &str, raw: Option<&str>, default: i64, max: i64, min: i64| match raw
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            None => default,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    errors.add(name, format!("must be a whole number from {min} to {max}"));
                    default
                }
            },
        };
        let limit = number("limit", limit, 20, MAX_LIMIT, 1);
        let offset = number("offset", offset, 0, MAX_OFFSET, 0);
        let filter = |raw: Option<&str>| {
            raw.map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
        };
        let (tag, author) = (filter(tag), filter(author));
        errors.into_result()?;
        Ok(Self {
            query: query?,
            tag,
            author,
            limit,
            offset,
        })
    }
}

impl SearchRequest {
    /// What identifies this search's answer for anonymous readers.
    pub fn cache_key(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
            self.query.fts5(),
            self.tag.as_deref().unwrap_or_default(),
            self.author.as_deref().unwrap_or_default(),
            self.limit,
            self.offset
        )
    }
}

/// Who searches: their id, and whether they are staff (who find hidden articles).
#[derive(Debug, Clone, Copy, Default)]
pub struct Searcher {
    pub id: Option<i32>,
    pub staff: bool,
}

/// One result: the article and a snippet of where it matched (raw, see
/// [`snippet_html`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub article_id: i32,
    pub snippet: String,
}

/// A page of results and how many there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// Ranked matches in all: at most [`RANKED`].
    pub total: i64,
    /// Whether more than [`RANKED`] articles match (only the newest were ranked).
    pub more: bool,
}

#[derive(QueryableByName)]
struct HitRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    snippet: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// Who may see what, the tag and the author filters, on the index's article ids only:
/// the match set never reads article rows (wide, with their bodies), only the few
/// hidden ids and draft ids (partial indexes) and the tag and author indexes. `{id}` is the index's
/// article id column, `{other}` the engine's null-safe "is not". Binds 2 to 5.
fn filters(id: &str, other: &str) -> String {
    format!(
        "{id} NOT IN (SELECT h.id FROM articles h WHERE h.hidden AND h.author_id {other} $2 AND NOT $3) \
         AND {id} NOT IN (SELECT d.id FROM articles d WHERE d.draft) \
         AND ($4 IS NULL OR {id} IN (SELECT x.article_id FROM article_tags x \
                                     JOIN tags t ON t.id = x.tag_id WHERE t.name = $4)) \
         AND ($5 IS NULL OR {id} IN (SELECT w.id FROM articles w WHERE w.author_id = $5))"
    )
}

/// The page of results of `request` as `searcher` may see them, and how many there are
/// (two statements, each reading at most [`RANKED`] + 1 matches). The newest
/// [`RANKED`] matches are scored; equal scores go to the newer article (ids grow with
/// time), so pages are stable.
pub fn search(
    conn: &mut DbConnection,
    searcher: Searcher,
    request: &SearchRequest,
) -> QueryResult<Found> {
    // The author by name, regardless of case; an unknown name matches nothing (ids
    // start at 1).
    let author_id = match &request.author {
        None => None,
        Some(name) => Some(User::id_by_username(conn, name)?.unwrap_or(0)),
    };
    let (hits_sql, count_sql, query) = match conn {
        DbConnection::Sqlite(_) => {
            let matched = format!(
                "FROM article_search WHERE article_search MATCH $1 AND {}",
                filters("article_search.rowid", "IS NOT")
            );
            // FTS5 walks the matches newest first and stops at the bound, scoring only
            // those; snippets are made for the page's rows only, in one more walk over
            // the rowid range they span (looking each up by rowid evaluates the match
            // once per row, which for a prefix means merging every term it covers).
            let hits = format!(
                "WITH ranked AS (SELECT article_search.rowid AS id, \
                        bm25(article_search, 10.0, 4.0, 1.0, 6.0) AS rank {matched} \
                    ORDER BY article_search.rowid DESC LIMIT {RANKED}), \
                 page AS (SELECT id, rank FROM ranked ORDER BY rank, id DESC LIMIT $6 OFFSET $7) \
                 SELECT page.id AS id, \
                        snippet(article_search, -1, char(57344), char(57345), '…', 24) AS snippet \
                 FROM article_search CROSS JOIN page ON page.id = article_search.rowid \
                 WHERE article_search MATCH $1 \
                   AND article_search.rowid BETWEEN (SELECT MIN(id) FROM page) \
                                                AND (SELECT MAX(id) FROM page) \
                 ORDER BY page.rank, page.id DESC"
            );
            let count = format!(
                "SELECT COUNT(*) AS total FROM (SELECT 1 {matched} LIMIT {})",
                RANKED + 1
            );
            (sqlite(&hits), sqlite(&count), request.query.fts5())
        }
        DbConnection::Pg(_) => {
            let matched = format!(
                "FROM article_search s WHERE s.document @@ to_tsquery('english', $1) AND {}",
                filters("s.article_id", "IS DISTINCT FROM")
            );
            // The newest matches first (the planner walks the primary key backwards when
            // a word is common, the GIN index when it is rare), then scored.
            let hits = format!(
                "WITH newest AS (SELECT s.article_id AS id, s.document {matched} \
                    ORDER BY s.article_id DESC LIMIT {RANKED}) \
                 SELECT page.id AS id, ts_headline('english', a.body, to_tsquery('english', $1), \
                        'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || \
                        ', MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet \
                 FROM (SELECT id, ts_rank(document, to_tsquery('english', $1)) AS rank FROM newest \
                       ORDER BY rank DESC, id DESC LIMIT $6 OFFSET $7) page \
                 JOIN articles a ON a.id = page.id \
                 ORDER BY page.rank DESC, page.id DESC"
            );
            let count = format!(
                "SELECT COUNT(*) AS total FROM (SELECT 1 {matched} LIMIT {}) m",
                RANKED + 1
            );
            (hits, count, request.query.tsquery())
        }
    };
    let rows: Vec<HitRow> = diesel::sql_query(hits_sql)
        .bind::<Text, _>(&query)
        .bind::<Nullable<Integer>, _>(searcher.id)
        .bind::<Bool, _>(searcher.staff)
        .bind::<Nullable<Text>, _>(request.tag.as_deref())
        .bind::<Nullable<Integer>, _>(author_id)
        .bind::<BigInt, _>(request.limit)
        .bind::<BigInt, _>(request.offset)
        .load(conn)?;
    let count: CountRow = diesel::sql_query(count_sql)
        .bind::<Text, _>(&query)
        .bind::<Nullable<Integer>, _>(searcher.id)
        .bind::<Bool, _>(searcher.staff)
        .bind::<Nullable<Text>, _>(request.tag.as_deref())
        .bind::<Nullable<Integer>, _>(author_id)
        .get_result(conn)?;
    let hits = rows
        .into_iter()
        .map(|row| Hit {
            article_id: row.id,
            snippet: row.snippet,
        })
        .collect();
    Ok(Found {
        hits,
        total: count.total.min(RANKED),
        more: count.total > RANKED,
    })
}

/// SQLite numbers its parameters `?N`.
fn sqlite(sql: &str) -> String {
    let mut out = sql.to_owned();
    for n in (1..=7).rev() {
        out = out.replace(&format!("${n}"), &format!("?{n}"));
    }
    out
}

/// A raw snippet as HTML: everything escaped, the matched words in `<mark>`, always
/// balanced (whatever private-use characters an article holds), so nothing from a body
/// reaches a page as markup.
pub fn snippet_html(raw: &str) -> String {
    let mut html = String::with_capacity(raw.len() + 16);
    let mut open = false;
    for c in raw.chars() {
        match c {
            MARK_START if !open => {
                html.push_str("<mark>");
                open = true;
            }
            MARK_END if open => {
                html.push_str("</mark>");
                open = false;
            }
            MARK_START | MARK_END => {}
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '&' => html.push_str("&amp;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            other => html.push(other),
        }
    }
    if open {
        html.push_str("</mark>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_escape_everything_but_their_marks() {
        let raw = "a <script>x</script> \u{E000}rust\u{E001} & \u{E001}\u{E000}more";
        assert_eq!(
            snippet_html(raw),
            "a &lt;script&gt;x&lt;/script&gt; <mark>rust</mark> &amp; <mark>more</mark>"
        );
    }

    #[test]
    fn requests_report_every_mistake() {
        let err = SearchRequest::parse(Some(""), None, None, Some("0"), Some("x")).unwrap_err();
        let AppError::Validation(errors) = err else {
            panic!("a 422");
        };
        let fields: Vec<&str> = errors.messages().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["limit", "offset", "q"]);
        let ok = SearchRequest::parse(Some("rust"), Some(" web "), None, None, None).expect("ok");
        assert_eq!(
            (ok.limit, ok.offset, ok.tag.as_deref()),
            (20, 0, Some("web"))
        );
    }
}
