//! Articles: reading (lists, feed, one article) and writing (publish, edit, delete,
//! favorite). Every page of articles is loaded in a fixed number of queries.

mod drafts;
mod fields;
mod list;
mod publish_batch_pg;
mod publish_pg;
mod slugs;
mod write;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{articles, favorites};
use crate::domain::profiles::{self, Profile};
use crate::domain::tags;

pub use drafts::{DRAFTS_MAX, drafts_of, publish_scheduled, publish_time};
pub use list::{
    ArticleFilter, ArticlePage, Cursor, FEATURED_MAX, PageRequest, count_matching, featured_ids,
    get, ids_in_window, list, shared_views, summary_views, viewer_marks,
};
pub use publish_batch_pg::{Publication, SQL as PUBLISH_BATCH};
pub use publish_pg::Stored as Published;
pub use slugs::{SLUG_ATTEMPTS, no_free_slug};
pub use write::{
    ArticleChanges, ArticleInput, Edited, create, delete, editable, set_favorite, update,
};

/// An article row.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = articles)]
pub struct Article {
    /// Primary key.
    pub id: i32,
    /// Unique URL name.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// One-line summary.
    pub description: String,
    /// Markdown body.
    pub body: String,
    /// Writer.
    pub author_id: i32,
    /// Maintained count of favorites, so lists never count rows.
    pub favorites_count: i32,
    /// Publication time.
    pub created_at: NaiveDateTime,
    /// Last edit.
    pub updated_at: NaiveDateTime,
    /// Hidden by staff: only staff and the author see it.
    pub hidden: bool,
    /// When staff featured it (pinned on the home page), if they did.
    pub featured_at: Option<NaiveDateTime>,
    /// Not published yet: only its author sees it, in no list.
    pub draft: bool,
    /// When a scheduled draft is to be published (by the `article.publish` job).
    pub publish_at: Option<NaiveDateTime>,
}

impl Article {
    /// The article with this slug.
    pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<Article>> {
        if !crate::domain::input::storable(slug) {
            return Ok(None);
        }
        articles::table
            .filter(articles::slug.eq(slug))
            .select(Article::as_select())
            .first(conn)
            .optional()
    }
}

/// An article as a viewer sees it, fully loaded.
#[derive(Debug, Clone)]
pub struct ArticleView {
    /// The row.
    pub article: Article,
    /// Tag names, alphabetical.
    pub tags: Vec<String>,
    /// Whether the viewer favorited it.
    pub favorited: bool,
    /// The writer, with the viewer's following state.
    pub author: Profile,
    /// Minutes to read the body, counted once here so cached views carry it.
    pub reading_minutes: u32,
}

/// Builds views for `rows` with three queries whatever their number: tags, the viewer's
/// favorites among them, and their authors with the viewer's follows.
pub(crate) fn load_views(
    conn: &mut DbConnection,
    viewer: Option<i32>,
    rows: Vec<Article>,
) -> QueryResult<Vec<ArticleView>> {
    let ids: Vec<i32> = rows.iter().map(|a| a.id).collect();
    let mut author_ids: Vec<i32> = rows.iter().map(|a| a.author_id).collect();
    author_ids.sort_unstable();
    author_ids.dedup();

    let mut tags_by_article: HashMap<i32, Vec<String>> = HashMap::new();
    for (article_id, name) in tags::for_articles(conn, &ids)? {
        tags_by_article.entry(article_id).or_default().push(name);
    }
    let favorited: HashSet<i32> = match viewer {
        Some(viewer) if !ids.is_empty() => favorites::table
            .filter(favorites::user_id.eq(viewer))
            .filter(favorites::article_id.eq_any(&ids))
            .select(favorites::article_id)
            .load::<i32>(conn)?
            .into_iter()
            .collect(),
        _ => HashSet::new(),
    };
    let followed: HashSet<i32> = profiles::followed_among(conn, viewer, &author_ids)?
        .into_iter()
        .collect();
    let authors: HashMap<i32, Profile> = profiles::users_by_ids(conn, &author_ids)?
        .iter()
        .map(|u| (u.id, Profile::of(u, followed.contains(&u.id))))
        .collect();

    rows.into_iter()
        .map(|article| {
            let author = authors
                .get(&article.author_id)
                .cloned()
                .ok_or(diesel::result::Error::NotFound)?;
            Ok(ArticleView {
                tags: tags_by_article.remove(&article.id).unwrap_or_default(),
                favorited: favorited.contains(&article.id),
                author,
                reading_minutes: crate::domain::markdown::reading_minutes(&article.body),
                article,
            })
        })
        .collect()
}
