//! Reads: each field answers what its REST twin answers, through the same cached reads.

use async_graphql::{Context, Object};

use super::caller::Caller;
use super::errors::OrGql;
use super::types::{Article, ArticlesPage, Notification, Notifications, Profile, User, page_cost};
use crate::app::reads;
use crate::domain::articles::ArticleFilter;
use crate::domain::notifications;

/// The query root.
pub struct Query;

#[Object]
impl Query {
    /// Recent articles, newest first; filters combine (`GET /api/articles`).
    #[graphql(complexity = "page_cost(limit, child_complexity)")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        tag: Option<String>,
        author: Option<String>,
        favorited: Option<String>,
        limit: Option<i32>,
        offset: Option<i32>,
    ) -> async_graphql::Result<ArticlesPage> {
        let filter = ArticleFilter {
            tag,
            author,
            favorited_by: favorited,
            feed_of: None,
        };
        ArticlesPage::load(ctx, filter, limit, offset).await
    }

    /// Recent articles by the authors the viewer follows (`GET /api/articles/feed`).
    #[graphql(complexity = "page_cost(limit, child_complexity)")]
    async fn feed(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        offset: Option<i32>,
    ) -> async_graphql::Result<ArticlesPage> {
        let viewer = Caller::of(ctx)?.user()?.user.id;
        let filter = ArticleFilter {
            feed_of: Some(viewer),
            ..ArticleFilter::default()
        };
        ArticlesPage::load(ctx, filter, limit, offset).await
    }

    /// One article (`GET /api/articles/{slug}`).
    async fn article(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<Article> {
        let caller = Caller::of(ctx)?;
        let view = reads::article(&caller.state.app, caller.viewer()?, &slug)
            .await
            .gql()?;
        Ok(view.into())
    }

    /// A user's public profile (`GET /api/profiles/{username}`).
    async fn profile(&self, ctx: &Context<'_>, username: String) -> async_graphql::Result<Profile> {
        let caller = Caller::of(ctx)?;
        let profile = reads::profile(&caller.state.app, caller.viewer()?, &username)
            .await
            .gql()?;
        Ok(profile.into())
    }

    /// The popular tags (`GET /api/tags`).
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        let caller = Caller::of(ctx)?;
        let tags = reads::popular_tags(&caller.state.app).await.gql()?;
        Ok(tags.as_ref().clone())
    }

    /// The signed-in user and the token presented (`GET /api/user`).
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let auth = Caller::of(ctx)?.user()?;
        Ok(User::new(auth.user.user.clone(), auth.token.clone()))
    }

    /// The viewer's newest notifications (`GET /api/notifications`).
    async fn notifications(&self, ctx: &Context<'_>) -> async_graphql::Result<Notifications> {
        let caller = Caller::of(ctx)?;
        let auth = caller.user()?;
        let page = notifications::list(&caller.state.db, &auth.user, 0, notifications::PAGE_SIZE)
            .await
            .gql()?;
        Ok(Notifications {
            notifications: page.views.into_iter().map(Notification::from).collect(),
            unread_count: page.unread,
        })
    }
}
