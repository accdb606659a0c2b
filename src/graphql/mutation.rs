//! Writes: each mutation is its REST twin (same application call, same permissions and
//! messages), draws on the same rate limit, and needs a token with the `write` scope.

use async_graphql::{Context, InputObject, MaybeUndefined, Object};

use super::caller::Caller;
use super::errors::OrGql;
use super::types::{Article, Comment, Profile, User};
use crate::app;
use crate::domain::articles::{ArticleChanges, ArticleInput};
use crate::domain::comments::CommentInput;
use crate::domain::users::{LoginInput, RegisterInput, UserChanges};
use crate::middleware::rate_limit::Action;

/// The mutation root.
pub struct Mutation;

/// Settings to change (`PUT /api/user`): an absent field is kept, `null` clears it.
#[derive(InputObject)]
pub struct UpdateUserInput {
    username: MaybeUndefined<String>,
    email: MaybeUndefined<String>,
    password: MaybeUndefined<String>,
    bio: MaybeUndefined<String>,
    image: MaybeUndefined<String>,
    /// Needed with a personal access token to change the email or password.
    current_password: Option<String>,
}

/// A new article (`POST /api/articles`).
#[derive(InputObject)]
pub struct NewArticleInput {
    title: Option<String>,
    description: Option<String>,
    body: Option<String>,
    tag_list: Option<Vec<String>>,
    /// `false` keeps it a draft.
    published: Option<bool>,
    /// When a draft is to be published (ISO 8601).
    publish_at: Option<String>,
}

/// Changes to an article (`PUT /api/articles/{slug}`): an absent field is kept.
#[derive(InputObject)]
pub struct UpdateArticleInput {
    title: MaybeUndefined<String>,
    description: MaybeUndefined<String>,
    body: MaybeUndefined<String>,
    tag_list: MaybeUndefined<Vec<String>>,
    published: Option<bool>,
    publish_at: MaybeUndefined<String>,
}

#[Object]
impl Mutation {
    /// Creates an account and signs it in (`POST /api/users`).
    async fn register(
        &self,
        ctx: &Context<'_>,
        username: Option<String>,
        email: Option<String>,
        password: Option<String>,
    ) -> async_graphql::Result<User> {
        let caller = Caller::of(ctx)?;
        caller.admit(Action::Register).await?;
        let state = &caller.state;
        let input = RegisterInput {
            username,
            email,
            password,
        };
        let user = app::accounts::register(&state.app, state.bcrypt_cost, input)
            .await
            .gql()?;
        let token = state.tokens.issue(user.id, user.token_generation);
        Ok(User::new(user, token))
    }

    /// Signs in with email and password (`POST /api/users/login`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: Option<String>,
        password: Option<String>,
    ) -> async_graphql::Result<User> {
        let caller = Caller::of(ctx)?;
        caller.admit(Action::Login).await?;
        let state = &caller.state;
        let input = LoginInput { email, password };
        let user = app::accounts::api_login(&state.db, state.bcrypt_cost, input, caller.address())
            .await
            .gql()?;
        let token = state.tokens.issue(user.id, user.token_generation);
        Ok(User::new(user, token))
    }

    /// Changes the viewer's settings (`PUT /api/user`).
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        input: UpdateUserInput,
    ) -> async_graphql::Result<User> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Account).await?;
        let changes = UserChanges {
            username: input.username.into(),
            email: input.email.into(),
            password: input.password.into(),
            bio: input.bio.into(),
            image: input.image.into(),
            current_password: input.current_password,
        };
        let user = app::accounts::update(
            &caller.state.app,
            caller.state.bcrypt_cost,
            auth.user.id,
            changes,
            auth.reauth(),
            caller.address(),
        )
        .await
        .gql()?;
        Ok(User::new(user, auth.token.clone()))
    }

    /// Publishes an article, or saves a draft (`POST /api/articles`).
    async fn create_article(
        &self,
        ctx: &Context<'_>,
        input: NewArticleInput,
    ) -> async_graphql::Result<Article> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Write).await?;
        let input = ArticleInput {
            title: input.title,
            description: input.description,
            body: input.body,
            tag_list: input.tag_list,
            draft: input.published == Some(false),
            publish_at: input.publish_at,
        };
        let view = app::articles::create(&caller.state.app, auth.user.id, input)
            .await
            .gql()?;
        Ok(view.into())
    }

    /// Edits an article, its author only (`PUT /api/articles/{slug}`).
    async fn update_article(
        &self,
        ctx: &Context<'_>,
        slug: String,
        input: UpdateArticleInput,
    ) -> async_graphql::Result<Article> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Write).await?;
        let changes = ArticleChanges {
            title: input.title.into(),
            description: input.description.into(),
            body: input.body.into(),
            tag_list: input.tag_list.into(),
            published: input.published,
            publish_at: input.publish_at.into(),
        };
        let edited = app::articles::update(&caller.state.app, auth.user.id, slug, changes)
            .await
            .gql()?;
        Ok(edited.view.into())
    }

    /// Deletes an article, its author only (`DELETE /api/articles/{slug}`); true when done.
    async fn delete_article(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<bool> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Write).await?;
        app::articles::delete(&caller.state.app, auth.user.id, slug)
            .await
            .gql()?;
        Ok(true)
    }

    /// Favorites an article (`POST /api/articles/{slug}/favorite`).
    async fn favorite_article(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Article> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Write).await?;
        let view = app::articles::favorite(&caller.state.app, auth.user.id, slug)
            .await
            .gql()?;
        Ok(view.into())
    }

    /// Removes a favorite (`DELETE /api/articles/{slug}/favorite`).
    async fn unfavorite_article(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Article> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Write).await?;
        let view = app::articles::unfavorite(&caller.state.app, auth.user.id, slug)
            .await
            .gql()?;
        Ok(view.into())
    }

    /// Follows a user (`POST /api/profiles/{username}/follow`).
    async fn follow_user(
        &self,
        ctx: &Context<'_>,
        username: String,
    ) -> async_graphql::Result<Profile> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Write).await?;
        let profile = app::profiles::follow(&caller.state.app, auth.user.id, username)
            .await
            .gql()?;
        Ok(profile.into())
    }

    /// Stops following a user (`DELETE /api/profiles/{username}/follow`).
    async fn unfollow_user(
        &self,
        ctx: &Context<'_>,
        username: String,
    ) -> async_graphql::Result<Profile> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Write).await?;
        let profile = app::profiles::unfollow(&caller.state.app, auth.user.id, username)
            .await
            .gql()?;
        Ok(profile.into())
    }

    /// Comments on an article (`POST /api/articles/{slug}/comments`).
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        slug: String,
        body: Option<String>,
    ) -> async_graphql::Result<Comment> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Write).await?;
        let input = CommentInput { body };
        let view = app::comments::add(&caller.state.app, auth.user.id, slug, input)
            .await
            .gql()?;
        Ok(view.into())
    }

    /// Deletes a comment, by its writer or the article's author
    /// (`DELETE /api/articles/{slug}/comments/{id}`); true when done.
    async fn delete_comment(
        &self,
        ctx: &Context<'_>,
        slug: String,
        id: i32,
    ) -> async_graphql::Result<bool> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Write).await?;
        app::comments::delete(&caller.state.app, auth.user.id, slug, id)
            .await
            .gql()?;
        Ok(true)
    }

    /// Marks notifications read, all or the given ones (`POST /api/notifications/read`);
    /// answers the unread count left.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        ids: Option<Vec<i32>>,
    ) -> async_graphql::Result<i64> {
        let caller = Caller::of(ctx)?;
        let auth = caller.writer(Action::Write).await?;
        app::notifications::mark_read(&caller.state.app, auth.user.id, ids)
            .await
            .gql()
    }
}
