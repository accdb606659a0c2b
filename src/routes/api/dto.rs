//! The JSON shapes of the RealWorld API, built from domain views. Their `ToSchema`
//! derives are the OpenAPI document's schemas, so the document follows the code.

use serde::Serialize;
use utoipa::ToSchema;

use std::sync::Arc;

use super::input;
use crate::cache::marked::{Mark, Marked};
use crate::domain::articles::ArticleView;
use crate::domain::comments::CommentView;
use crate::domain::profiles::Profile;
use crate::domain::time::iso8601;
use crate::domain::users::User;
use crate::error::AppError;

/// `{"user": …}`
#[derive(Serialize, ToSchema)]
pub struct UserBody {
    /// The signed-in user.
    pub user: UserJson,
}

/// The signed-in user with their token.
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    email: String,
    /// The API token to send as `Authorization: Token <token>`.
    token: String,
    username: String,
    #[schema(required = true)]
    bio: Option<String>,
    #[schema(required = true)]
    image: Option<String>,
}

impl UserBody {
    /// Wraps `user` and the token to hand back.
    pub fn new(user: User, token: String) -> Self {
        Self {
            user: UserJson {
                email: user.email,
                token,
                username: user.username,
                bio: user.bio,
                image: user.image,
            },
        }
    }
}

/// A user as others see them.
#[derive(Serialize, ToSchema)]
#[schema(as = Profile)]
pub struct ProfileJson {
    /// Public name.
    username: String,
    /// Self-description.
    #[schema(required = true)]
    bio: Option<String>,
    /// Avatar URL.
    #[schema(required = true)]
    image: Option<String>,
    /// Whether the viewer follows them (false for anonymous viewers).
    following: bool,
}

impl From<Profile> for ProfileJson {
    fn from(p: Profile) -> Self {
        Self {
            username: p.username,
            bio: p.bio,
            image: p.image,
            following: p.following,
        }
    }
}

/// `{"profile": …}`
#[derive(Serialize, ToSchema)]
pub struct ProfileBody {
    /// The profile.
    pub profile: ProfileJson,
}

/// An article as lists show it: everything but the body.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleSummary {
    slug: String,
    title: String,
    description: String,
    /// Alphabetical.
    tag_list: Vec<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// Whether the caller favorited it (false when anonymous).
    favorited: bool,
    favorites_count: i32,
    author: ProfileJson,
}

impl ArticleSummary {
    /// The list entry of `view`.
    pub fn new(view: ArticleView) -> Self {
        Self::with_body(view).0
    }

    /// The list entry of a shared `view` (its body is not copied).
    pub fn of(view: &ArticleView) -> Self {
        let a = &view.article;
        Self {
            slug: a.slug.clone(),
            title: a.title.clone(),
            description: a.description.clone(),
            tag_list: view.tags.clone(),
            created_at: iso8601(a.created_at),
            updated_at: iso8601(a.updated_at),
            favorited: view.favorited,
            favorites_count: a.favorites_count,
            author: view.author.clone().into(),
        }
    }

    fn with_body(view: ArticleView) -> (Self, String) {
        let a = view.article;
        let summary = Self {
            slug: a.slug,
            title: a.title,
            description: a.description,
            tag_list: view.tags,
            created_at: iso8601(a.created_at),
            updated_at: iso8601(a.updated_at),
            favorited: view.favorited,
            favorites_count: a.favorites_count,
            author: view.author.into(),
        };
        (summary, a.body)
    }
}

/// A whole article: the list fields and the Markdown body.
#[derive(Serialize, ToSchema)]
#[schema(as = Article)]
pub struct ArticleJson {
    #[serde(flatten)]
    summary: ArticleSummary,
    /// Markdown, as written.
    body: String,
}

/// `{"article": …}`
#[derive(Serialize, ToSchema)]
pub struct ArticleBody {
    /// The article, with its body.
    pub article: ArticleJson,
}

impl From<ArticleView> for ArticleBody {
    fn from(view: ArticleView) -> Self {
        let (summary, body) = ArticleSummary::with_body(view);
        Self {
            article: ArticleJson { summary, body },
        }
    }
}

/// `{"articles": […], "articlesCount": n}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticlesBody {
    /// The page, without bodies.
    pub articles: Vec<ArticleSummary>,
    /// All matches.
    pub articles_count: i64,
}

/// A comment.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Comment)]
pub struct CommentJson {
    id: i32,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    body: String,
    author: ProfileJson,
}

impl From<CommentView> for CommentJson {
    fn from(view: CommentView) -> Self {
        let c = view.comment;
        Self {
            id: c.id,
            created_at: iso8601(c.created_at),
            updated_at: iso8601(c.updated_at),
            body: c.body,
            author: view.author.into(),
        }
    }
}

/// `{"comment": …}`
#[derive(Serialize, ToSchema)]
pub struct CommentBody {
    /// The comment.
    pub comment: CommentJson,
}

/// `{"comments": […]}`
#[derive(Serialize, ToSchema)]
pub struct CommentsBody {
    /// Oldest first.
    pub comments: Vec<CommentJson>,
}

/// `{"tags": […]}`
#[derive(Serialize, ToSchema)]
pub struct TagsBody {
    /// Most used first.
    pub tags: Vec<String>,
}

/// Request bodies: the RealWorld API wraps each input object in a key. Handlers read the
/// inner object with `extract::wrapped_json(body, key)`, whose key must match the field
/// name here; the inner types are in [`super::input`].
macro_rules! wrapped_request {
    ($(#[$doc:meta] $name:ident { $key:ident: $inner:ty })*) => {$(
        #[$doc]
        #[derive(ToSchema)]
        #[expect(dead_code, reason = "describes the request for OpenAPI only")]
        pub struct $name {
            $key: $inner,
        }
    )*};
}

wrapped_request! {
    /// `{"user": …}` to sign up.
    NewUserRequest { user: input::NewUser }
    /// `{"user": …}` to sign in.
    LoginRequest { user: input::LoginUser }
    /// `{"user": …}` with the settings to change; absent fields stay as they are.
    UpdateUserRequest { user: input::UpdateUser }
    /// `{"article": …}` to publish.
    NewArticleRequest { article: input::NewArticle }
    /// `{"article": …}` with the fields to change.
    UpdateArticleRequest { article: input::UpdateArticle }
    /// `{"comment": …}` to comment.
    NewCommentRequest { comment: input::NewComment }
    /// `{"report": …}` to report an article, a comment or a user.
    NewReportRequest { report: input::NewReport }
    /// `{"webhook": …}` to register a webhook endpoint.
    NewWebhookRequest { webhook: input::NewWebhook }
    /// `{"token": …}` to create a personal access token.
    NewAccessTokenRequest { token: input::NewAccessToken }
}

/// `value` serialized as an anonymous reader gets it, with the places of each reader's
/// marks: `articles` gives (article id, author id) in the order the articles appear, each
/// with its `"favorited":false` and then its author's `"following":false` (key names
/// cannot occur unescaped inside strings, so the scan finds exactly these).
pub fn marked_json(
    value: &impl Serialize,
    articles: &[(i32, i32)],
) -> Result<Arc<Marked>, AppError> {
    const FAVORITED: &[u8] = b"\"favorited\":false";
    const FOLLOWING: &[u8] = b"\"following\":false";
    let bytes = serde_json::to_vec(value)
        .map_err(|e| AppError::Internal(format!("serializing a response: {e}")))?;
    let mut marks = Vec::with_capacity(articles.len() * 2);
    let mut pending = articles.iter();
    let mut current = None;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(FAVORITED) {
            current = pending.next();
            let article = current.map(|(a, _)| *a).ok_or_else(too_many)?;
            marks.push(Mark::Favorited {
                at: i + FAVORITED.len() - 5,
                article,
            });
            i += FAVORITED.len();
        } else if rest.starts_with(FOLLOWING) {
            let user = current.map(|(_, u)| *u).ok_or_else(too_many)?;
            marks.push(Mark::Following {
                at: i + FOLLOWING.len() - 5,
                user,
            });
            i += FOLLOWING.len();
        } else {
            i += 1;
        }
    }
    if marks.len() != articles.len() * 2 {
        return Err(too_many());
    }
    Ok(Marked::new(bytes, marks))
}

fn too_many() -> AppError {
    AppError::Internal("marks in a response do not match its articles".into())
}

/// (article id, author id) of each view, in order.
pub fn mark_ids(views: &[ArticleView]) -> Vec<(i32, i32)> {
    views
        .iter()
        .map(|v| (v.article.id, v.article.author_id))
        .collect()
}
