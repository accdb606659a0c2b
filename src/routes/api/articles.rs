//! `/api/articles…`: lists, the feed, one article, writes and favorites.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::dto::{ArticleBody, ArticleJson, ArticlesBody};
use super::error::ApiError;
use super::extract::{ApiUser, MaybeApiUser, wrapped_json};
use crate::domain::articles::{self, ArticleFilter, ArticlePage, PageRequest};
use crate::state::AppState;

/// Query string of the list routes; numbers are parsed by the domain for clear errors.
#[derive(Deserialize)]
pub struct ListQuery {
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

impl ListQuery {
    fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::parse(
            self.limit.as_deref(),
            self.offset.as_deref(),
        )?)
    }
}

fn page_response(page: ArticlePage) -> HttpResponse {
    HttpResponse::Ok().json(ArticlesBody {
        articles_count: page.total,
        articles: page
            .articles
            .into_iter()
            .map(|view| ArticleJson::new(view, false))
            .collect(),
    })
}

/// `GET /api/articles`
pub async fn list(
    state: web::Data<AppState>,
    viewer: MaybeApiUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.page()?;
    let query = query.into_inner();
    let filter = ArticleFilter {
        tag: query.tag,
        author: query.author,
        favorited_by: query.favorited,
        feed_of: None,
    };
    Ok(page_response(
        articles::list(&state.db, viewer.id(), filter, page).await?,
    ))
}

/// `GET /api/articles/feed`: articles by followed authors.
pub async fn feed(
    state: web::Data<AppState>,
    auth: ApiUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.page()?;
    let filter = ArticleFilter {
        feed_of: Some(auth.user.id),
        ..ArticleFilter::default()
    };
    Ok(page_response(
        articles::list(&state.db, Some(auth.user.id), filter, page).await?,
    ))
}

/// `GET /api/articles/{slug}`
pub async fn get(
    state: web::Data<AppState>,
    viewer: MaybeApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = articles::get(&state.db, viewer.id(), slug.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ArticleBody::from(view)))
}

/// `POST /api/articles`
pub async fn create(
    state: web::Data<AppState>,
    auth: ApiUser,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = wrapped_json(&body, "article")?;
    let view = articles::create(&state.db, auth.user.id, input).await?;
    Ok(HttpResponse::Created().json(ArticleBody::from(view)))
}

/// `PUT /api/articles/{slug}`
pub async fn update(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let changes = wrapped_json(&body, "article")?;
    let view = articles::update(&state.db, auth.user.id, slug.into_inner(), changes).await?;
    Ok(HttpResponse::Ok().json(ArticleBody::from(view)))
}

/// `DELETE /api/articles/{slug}`
pub async fn delete(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    articles::delete(&state.db, auth.user.id, slug.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/articles/{slug}/favorite`
pub async fn favorite(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = articles::favorite(&state.db, auth.user.id, slug.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ArticleBody::from(view)))
}

/// `DELETE /api/articles/{slug}/favorite`
pub async fn unfavorite(
    state: web::Data<AppState>,
    auth: ApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = articles::unfavorite(&state.db, auth.user.id, slug.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ArticleBody::from(view)))
}
