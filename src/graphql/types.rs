//! The schema's object types, built from the application's views (as the REST DTOs are):
//! a resolver never reads more than its parent was loaded with, except through a loader.

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, SimpleObject};

use super::caller::Caller;
use super::errors::OrGql;
use super::loaders::CommentCounts;
use crate::app::reads;
use crate::domain::articles::{ArticleFilter, ArticlePage, ArticleView, PageRequest};
use crate::domain::comments::CommentView;
use crate::domain::profiles;
use crate::domain::time::iso8601;
use crate::domain::users::User as UserRow;
pub use crate::routes::api::notifications::NotificationJson as Notification;

/// A user as others see them.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Profile {
    /// Public name.
    pub username: String,
    /// Self-description.
    pub bio: Option<String>,
    /// Avatar URL.
    pub image: Option<String>,
    /// Whether the viewer follows them (false when anonymous).
    pub following: bool,
}

impl From<profiles::Profile> for Profile {
    fn from(p: profiles::Profile) -> Self {
        Self {
            username: p.username,
            bio: p.bio,
            image: p.image,
            following: p.following,
        }
    }
}

#[ComplexObject]
impl Profile {
    /// Their recent articles, newest first (as `articles(author:)`).
    #[graphql(complexity = "page_cost(limit, child_complexity)")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        offset: Option<i32>,
    ) -> async_graphql::Result<ArticlesPage> {
        let filter = ArticleFilter {
            author: Some(self.username.clone()),
            ..ArticleFilter::default()
        };
        ArticlesPage::load(ctx, filter, limit, offset).await
    }
}

/// The cost of a page of `limit` items, each costing `child`.
pub fn page_cost(limit: Option<i32>, child: usize) -> usize {
    let items = usize::try_from(limit.unwrap_or(20).clamp(1, 100)).unwrap_or(20);
    items.saturating_mul(child).saturating_add(1)
}

/// An article as the viewer sees it.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Article {
    #[graphql(skip)]
    pub id: i32,
    /// Unique URL name.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// One-line summary.
    pub description: String,
    /// Markdown text.
    pub body: String,
    /// Tag names, alphabetical.
    pub tag_list: Vec<String>,
    /// Publication time (ISO 8601).
    pub created_at: String,
    /// Last edit (ISO 8601).
    pub updated_at: String,
    /// Whether the viewer favorited it.
    pub favorited: bool,
    /// How many favorited it.
    pub favorites_count: i32,
    /// Minutes to read it.
    pub reading_minutes: i32,
    /// Its writer.
    pub author: Profile,
}

impl From<ArticleView> for Article {
    fn from(view: ArticleView) -> Self {
        let a = view.article;
        Self {
            id: a.id,
            slug: a.slug,
            title: a.title,
            description: a.description,
            body: a.body,
            tag_list: view.tags,
            created_at: iso8601(a.created_at),
            updated_at: iso8601(a.updated_at),
            favorited: view.favorited,
            favorites_count: a.favorites_count,
            reading_minutes: i32::try_from(view.reading_minutes).unwrap_or(i32::MAX),
            author: view.author.into(),
        }
    }
}

#[ComplexObject]
impl Article {
    /// Comments the viewer may see (batched over a whole page of articles).
    async fn comments_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let counts = ctx.data::<DataLoader<CommentCounts>>()?;
        Ok(counts.load_one(self.id).await?.unwrap_or(0))
    }

    /// Its comments, oldest first, as `GET /api/articles/{slug}/comments` lists them.
    #[graphql(complexity = "20 * child_complexity + 1")]
    async fn comments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Comment>> {
        let caller = Caller::of(ctx)?;
        let views = reads::comments(&caller.state.app, caller.viewer()?, &self.slug)
            .await
            .gql()?;
        Ok(views.into_iter().map(Comment::from).collect())
    }
}

/// A page of articles and how many match in all.
#[derive(SimpleObject)]
pub struct ArticlesPage {
    /// The page, newest first.
    pub articles: Vec<Article>,
    /// Matching articles in all.
    pub articles_count: i64,
}

impl From<ArticlePage> for ArticlesPage {
    fn from(page: ArticlePage) -> Self {
        Self {
            articles_count: page.total,
            articles: page.articles.into_iter().map(Article::from).collect(),
        }
    }
}

impl ArticlesPage {
    /// The page of `filter` the REST list would answer, with its validation of the window.
    pub async fn load(
        ctx: &Context<'_>,
        filter: ArticleFilter,
        limit: Option<i32>,
        offset: Option<i32>,
    ) -> async_graphql::Result<Self> {
        let caller = Caller::of(ctx)?;
        // The viewer first, as the REST route extracts it before reading the query.
        let viewer = caller.viewer()?;
        let (limit, offset) = (limit.map(|n| n.to_string()), offset.map(|n| n.to_string()));
        let page = PageRequest::parse(limit.as_deref(), offset.as_deref()).gql()?;
        let found = reads::article_list(&caller.state.app, viewer, filter, page)
            .await
            .gql()?;
        Ok(found.into())
    }
}

/// A comment.
#[derive(SimpleObject, Clone)]
pub struct Comment {
    /// Its id.
    pub id: i32,
    /// Text.
    pub body: String,
    /// Posting time (ISO 8601).
    pub created_at: String,
    /// Last change (ISO 8601).
    pub updated_at: String,
    /// Its writer.
    pub author: Profile,
}

impl From<CommentView> for Comment {
    fn from(view: CommentView) -> Self {
        let c = view.comment;
        Self {
            id: c.id,
            body: c.body,
            created_at: iso8601(c.created_at),
            updated_at: iso8601(c.updated_at),
            author: view.author.into(),
        }
    }
}

/// The signed-in user, with the token to send as `Authorization: Token …`.
#[derive(SimpleObject)]
pub struct User {
    /// Email address.
    pub email: String,
    /// The token presented or just issued.
    pub token: String,
    /// Public name.
    pub username: String,
    /// Self-description.
    pub bio: Option<String>,
    /// Avatar URL.
    pub image: Option<String>,
}

impl User {
    /// `user` with `token`.
    pub fn new(user: UserRow, token: String) -> Self {
        Self {
            email: user.email,
            token,
            username: user.username,
            bio: user.bio,
            image: user.image,
        }
    }
}

/// The viewer's newest notifications and the unread count.
#[derive(SimpleObject)]
pub struct Notifications {
    /// Newest first, as `GET /api/notifications`.
    pub notifications: Vec<Notification>,
    /// Unread in all.
    pub unread_count: i64,
}
