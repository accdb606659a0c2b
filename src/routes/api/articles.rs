//! `/api/articles…`: lists, the feed, one article, writes and favorites.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{ArticleBody, ArticleSummary, ArticlesBody, mark_ids, marked_json};
use super::dto::{NewArticleRequest, UpdateArticleRequest};
use super::error::ApiError;
use super::extract::{ApiUser, MaybeApiUser, wrapped_json};
use super::input::{NewArticle, UpdateArticle};
use super::openapi::{
    Forbidden, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized, Unprocessable,
};
use crate::app::{self, answers, reads};
use crate::domain::articles::{ArticleFilter, ArticlePage, PageRequest};
use crate::error::AppError;
use crate::state::AppState;

/// Query string of `GET /api/articles`; numbers are parsed by the domain for clear errors.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only articles with this tag.
    tag: Option<String>,
    /// Only articles by this username.
    author: Option<String>,
    /// Only articles this username favorited.
    favorited: Option<String>,
    /// Page size.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// Articles to skip.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10_000_000, default = 0)]
    offset: Option<String>,
}

/// Query string of the feed: only the page.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// Articles to skip.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10_000_000, default = 0)]
    offset: Option<String>,
}

fn page(limit: Option<&str>, offset: Option<&str>) -> Result<PageRequest, ApiError> {
    Ok(PageRequest::parse(limit, offset)?)
}

fn page_body(page: ArticlePage) -> ArticlesBody {
    ArticlesBody {
        articles_count: page.total,
        articles: page.articles.into_iter().map(ArticleSummary::new).collect(),
    }
}

fn page_response(page: ArticlePage) -> HttpResponse {
    HttpResponse::Ok().json(page_body(page))
}

const JSON: &str = "application/json";

/// `GET /api/articles`
#[utoipa::path(
    get,
    path = "/api/articles",
    tag = "Articles",
    operation_id = "GetArticles",
    summary = "Recent articles, filtered",
    description = "Newest first; filters combine.",
    params(ListQuery),
    security((), ("Token" = [])),
    responses(
        (status = 200, description = "A page of articles, newest first", body = ArticlesBody),
        Unauthorized,
        Unprocessable,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    viewer: MaybeApiUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page(query.limit.as_deref(), query.offset.as_deref())?;
    let query = query.into_inner();
    let filter = ArticleFilter {
        tag: query.tag,
        author: query.author,
        favorited_by: query.favorited,
        feed_of: None,
    };
    let reader = viewer.0.as_ref().map(|auth| &*auth.user);
    let shared = answers::list_answer(&state.app, reader, filter.clone(), page, |list| {
        let ids = mark_ids(&list.articles);
        marked_json(&page_body(list), &ids)
    })
    .await?;
    if let Some((body, reader)) = shared {
        return Ok(body.response(JSON, reader.as_deref()));
    }
    Ok(page_response(
        reads::article_list(&state.app, viewer.id(), filter, page).await?,
    ))
}

/// `GET /api/articles/feed`: articles by followed authors.
#[utoipa::path(
    get,
    path = "/api/articles/feed",
    tag = "Articles",
    operation_id = "GetArticlesFeed",
    summary = "Recent articles by followed authors",
    params(PageQuery),
    security(("Token" = [])),
    responses(
        (status = 200, description = "A page of articles, newest first", body = ArticlesBody),
        Unauthorized,
        Unprocessable,
    )
)]
pub async fn feed(
    state: web::Data<AppState>,
    auth: ApiUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page(query.limit.as_deref(), query.offset.as_deref())?;
    let shared = answers::feed_answer(&state.app, &auth.user, page, |view| {
        let ids = mark_ids(std::slice::from_ref(view));
        marked_json(&ArticleSummary::of(view), &ids)
    })
    .await?;
    if let Some((entries, total, reader)) = shared {
        let close = format!("],\"articlesCount\":{total}}}");
        return entries
            .respond(b"{\"articles\":[", close.as_bytes(), &reader, JSON)
            .ok_or_else(|| AppError::Internal("a kept feed page did not unpack".into()).into());
    }
    let filter = ArticleFilter {
        feed_of: Some(auth.user.id),
        ..ArticleFilter::default()
    };
    Ok(page_response(
        reads::article_list(&state.app, Some(auth.user.id), filter, page).await?,
    ))
}

/// `GET /api/articles/{slug}`
#[utoipa::path(
    get,
    path = "/api/articles/{slug}",
    tag = "Articles",
    operation_id = "GetArticle",
    summary = "One article",
    params(("slug" = String, Path, description = "The article's slug")),
    security((), ("Token" = [])),
    responses(
        (status = 200, description = "The article", body = ArticleBody),
        Unauthorized,
        NotFound,
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    viewer: MaybeApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let shared = answers::article_answer(&state.app, viewer.account(), &slug, |view| {
        let ids = mark_ids(std::slice::from_ref(&view));
        marked_json(&ArticleBody::from(view), &ids)
    })
    .await?;
    if let Some((body, reader)) = shared {
        return Ok(body.response(JSON, reader.as_deref()));
    }
    let view = reads::article(&state.app, viewer.id(), &slug).await?;
    Ok(HttpResponse::Ok().json(ArticleBody::from(view)))
}

/// `POST /api/articles`
#[utoipa::path(
    post,
    path = "/api/articles",
    tag = "Articles",
    operation_id = "CreateArticle",
    summary = "Publish an article",
    request_body = NewArticleRequest,
    security(("Token" = [])),
    responses(
        (status = 201, description = "The new article", body = ArticleBody),
        Unauthorized,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    auth: ApiUser,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewArticle = wrapped_json(&body, "article")?;
    let view = app::articles::create(&state.app, auth.user.id, input.into()).await?;
    Ok(HttpResponse::Created().json(ArticleBody::from(view)))
}

/// `PUT /api/articles/{slug}`
#[utoipa::path(
    put,
    path = "/api/articles/{slug}",
    tag = "Articles",
    operation_id = "UpdateArticle",
    summary = "Edit an article (its author only)",
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = UpdateArticleRequest,
    security(("Token" = [])),
    responses(
        (status = 200, description = "The edited article (a new title gives a new slug)", body = ArticleBody),
        Unauthorized,
        Forbidden,
        NotFound,
        PayloadTooLarge,
        Unprocessable,
        TooManyRequests,
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let changes: UpdateArticle = wrapped_json(&body, "article")?;
    let edited =
        app::articles::update(&state.app, auth.user.id, slug.into_inner(), changes.into()).await?;
    Ok(HttpResponse::Ok().json(ArticleBody::from(edited.view)))
}

/// `DELETE /api/articles/{slug}`
#[utoipa::path(
    delete,
    path = "/api/articles/{slug}",
    tag = "Articles",
    operation_id = "DeleteArticle",
    summary = "Delete an article (its author only)",
    params(("slug" = String, Path, description = "The article's slug")),
    security(("Token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Unauthorized,
        Forbidden,
        NotFound,
        TooManyRequests,
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    app::articles::delete(&state.app, auth.user.id, slug.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/articles/{slug}/favorite`
#[utoipa::path(
    post,
    path = "/api/articles/{slug}/favorite",
    tag = "Favorites",
    operation_id = "CreateArticleFavorite",
    summary = "Favorite an article",
    params(("slug" = String, Path, description = "The article's slug")),
    security(("Token" = [])),
    responses(
        (status = 200, description = "The article", body = ArticleBody),
        Unauthorized,
        NotFound,
        TooManyRequests,
    )
)]
pub async fn favorite(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = app::articles::favorite(&state.app, auth.user.id, slug.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ArticleBody::from(view)))
}

/// `DELETE /api/articles/{slug}/favorite`
#[utoipa::path(
    delete,
    path = "/api/articles/{slug}/favorite",
    tag = "Favorites",
    operation_id = "DeleteArticleFavorite",
    summary = "Remove a favorite",
    params(("slug" = String, Path, description = "The article's slug")),
    security(("Token" = [])),
    responses(
        (status = 200, description = "The article", body = ArticleBody),
        Unauthorized,
        NotFound,
        TooManyRequests,
    )
)]
pub async fn unfavorite(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = app::articles::unfavorite(&state.app, auth.user.id, slug.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ArticleBody::from(view)))
}
