//! Profile pages: a writer's articles and favorites, and following them.

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::article::NextForm;
use super::home::path_segment;
use super::session::{CsrfForm, CurrentUser, MaybeUser, local_next};
use super::views::{ArticleCard, Chrome, Pagination, avatar, page_number, page_request};
use super::{PageResult, ok, redirect};
use crate::app::{self, reads};
use crate::domain::articles::ArticleFilter;

use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/profile.html")]
struct ProfilePage {
    chrome: Chrome,
    username: String,
    bio: Option<String>,
    avatar: String,
    following: bool,
    is_me: bool,
    /// `true` on the Favorited tab.
    favorites: bool,
    /// The owner's drafts, on the Drafts tab only (`None` on the other tabs).
    drafts: Option<Vec<DraftLine>>,
    /// URL-encoded username for links.
    path: String,
    articles: Vec<ArticleCard>,
    pagination: Pagination,
}

/// One draft on its author's Drafts tab.
struct DraftLine {
    slug: String,
    title: String,
    description: String,
    /// Last edit, as shown.
    edited: String,
    /// When it is scheduled to be published (UTC), if it is.
    scheduled: Option<String>,
}

/// Query string of the profile lists.
#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    after: Option<String>,
}

/// `GET /profile/{username}`
pub async fn articles(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> PageResult {
    show(
        &state,
        &req,
        &viewer,
        username.into_inner(),
        false,
        (query.page.as_deref(), query.after.as_deref()),
    )
    .await
}

/// `GET /profile/{username}/favorites`
pub async fn favorites(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> PageResult {
    show(
        &state,
        &req,
        &viewer,
        username.into_inner(),
        true,
        (query.page.as_deref(), query.after.as_deref()),
    )
    .await
}

async fn show(
    state: &AppState,
    req: &HttpRequest,
    viewer: &MaybeUser,
    username: String,
    favorites: bool,
    (page, after): (Option<&str>, Option<&str>),
) -> PageResult {
    let profile = reads::profile(&state.app, viewer.id(), &username).await?;
    let filter = if favorites {
        ArticleFilter {
            favorited_by: Some(profile.username.clone()),
            ..ArticleFilter::default()
        }
    } else {
        ArticleFilter {
            author: Some(profile.username.clone()),
            ..ArticleFilter::default()
        }
    };
    let page = page_number(page);
    let list =
        reads::article_list(&state.app, viewer.id(), filter, page_request(page, after)?).await?;
    let path = path_segment(&profile.username);
    let base = if favorites {
        format!("/profile/{path}/favorites")
    } else {
        format!("/profile/{path}")
    };
    let picture = avatar(&state.assets, profile.image.as_deref());
    let chrome = Chrome::new(
        state,
        req,
        viewer.0.as_ref(),
        profile.username.clone(),
        "profile",
    )?
    .with_meta(|meta| {
        meta.description = match profile.bio.as_deref().map(str::trim) {
            Some(bio) if !bio.is_empty() => bio.to_owned(),
            _ => format!("Articles by {} on Conduit.", profile.username),
        };
        meta.kind = "profile";
        meta.set_canonical(&base);
        meta.image = Some(meta.absolute(&picture));
        meta.add_feeds(
            &format!("Articles by {}", profile.username),
            &format!("/profile/{path}"),
        );
    });
    ok(&ProfilePage {
        is_me: chrome.is_me(&profile.username),
        chrome,
        avatar: picture,
        username: profile.username,
        bio: profile.bio,
        following: profile.following,
        favorites,
        drafts: None,
        articles: ArticleCard::all(&state.assets, &list.articles),
        pagination: Pagination::new(&base, page, list.total).with_older(
            &base,
            page,
            list.total,
            list.articles.last(),
        ),
        path,
    })
}

/// `GET /profile/{username}/drafts`: the owner's unpublished articles; 404 to anyone
/// else, as if the tab did not exist.
pub async fn drafts(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    username: web::Path<String>,
) -> PageResult {
    let profile = reads::profile(&state.app, Some(user.0.id), &username).await?;
    if profile.username != user.0.username {
        return Err(crate::error::AppError::NotFound("profile").into());
    }
    let drafts = app::articles::drafts(&state.app, user.0.id).await?;
    let path = path_segment(&profile.username);
    let chrome = Chrome::new(&state, &req, Some(&user.0), "Your drafts", "profile")?;
    ok(&ProfilePage {
        is_me: true,
        chrome,
        avatar: avatar(&state.assets, profile.image.as_deref()),
        username: profile.username,
        bio: profile.bio,
        following: false,
        favorites: false,
        drafts: Some(
            drafts
                .iter()
                .map(|d| DraftLine {
                    slug: d.article.slug.clone(),
                    title: d.article.title.clone(),
                    description: d.article.description.clone(),
                    edited: d
                        .article
                        .updated_at
                        .format("%B %-d, %Y %H:%M UTC")
                        .to_string(),
                    scheduled: d
                        .article
                        .publish_at
                        .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string()),
                })
                .collect(),
        ),
        articles: Vec::new(),
        pagination: Pagination::new(&format!("/profile/{path}/drafts"), 1, 0),
        path,
    })
}

/// `POST /profile/{username}/follow`
pub async fn follow(
    state: web::Data<AppState>,
    user: CurrentUser,
    username: web::Path<String>,
    form: CsrfForm<NextForm>,
) -> PageResult {
    let username = username.into_inner();
    let back = local_next(
        form.0.next.as_deref(),
        &format!("/profile/{}", path_segment(&username)),
    );
    app::profiles::follow(&state.app, user.0.id, username).await?;
    Ok(redirect(&back))
}

/// `POST /profile/{username}/unfollow`
pub async fn unfollow(
    state: web::Data<AppState>,
    user: CurrentUser,
    username: web::Path<String>,
    form: CsrfForm<NextForm>,
) -> PageResult {
    let username = username.into_inner();
    let back = local_next(
        form.0.next.as_deref(),
        &format!("/profile/{}", path_segment(&username)),
    );
    app::profiles::unfollow(&state.app, user.0.id, username).await?;
    Ok(redirect(&back))
}
