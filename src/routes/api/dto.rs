//! The JSON shapes of the RealWorld API, built from domain views.

use serde::Serialize;

use crate::domain::articles::ArticleView;
use crate::domain::comments::CommentView;
use crate::domain::profiles::Profile;
use crate::domain::time::iso8601;
use crate::domain::users::User;

/// `{"user": …}`
#[derive(Serialize)]
pub struct UserBody {
    /// The signed-in user.
    pub user: UserJson,
}

/// The signed-in user with their token.
#[derive(Serialize)]
pub struct UserJson {
    email: String,
    token: String,
    username: String,
    bio: Option<String>,
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

/// `{"profile": …}`
#[derive(Serialize)]
pub struct ProfileBody {
    /// The profile.
    pub profile: Profile,
}

/// An article; the body is left out of lists.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleJson {
    slug: String,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    tag_list: Vec<String>,
    created_at: String,
    updated_at: String,
    favorited: bool,
    favorites_count: i32,
    author: Profile,
}

impl ArticleJson {
    /// The JSON of `view`, with or without its body.
    pub fn new(view: ArticleView, with_body: bool) -> Self {
        let a = view.article;
        Self {
            slug: a.slug,
            title: a.title,
            description: a.description,
            body: with_body.then_some(a.body),
            tag_list: view.tags,
            created_at: iso8601(a.created_at),
            updated_at: iso8601(a.updated_at),
            favorited: view.favorited,
            favorites_count: a.favorites_count,
            author: view.author,
        }
    }
}

/// `{"article": …}`
#[derive(Serialize)]
pub struct ArticleBody {
    /// The article, with its body.
    pub article: ArticleJson,
}

impl From<ArticleView> for ArticleBody {
    fn from(view: ArticleView) -> Self {
        Self {
            article: ArticleJson::new(view, true),
        }
    }
}

/// `{"articles": […], "articlesCount": n}`
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticlesBody {
    /// The page, without bodies.
    pub articles: Vec<ArticleJson>,
    /// All matches.
    pub articles_count: i64,
}

/// A comment.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentJson {
    id: i32,
    created_at: String,
    updated_at: String,
    body: String,
    author: Profile,
}

impl From<CommentView> for CommentJson {
    fn from(view: CommentView) -> Self {
        let c = view.comment;
        Self {
            id: c.id,
            created_at: iso8601(c.created_at),
            updated_at: iso8601(c.updated_at),
            body: c.body,
            author: view.author,
        }
    }
}

/// `{"comment": …}`
#[derive(Serialize)]
pub struct CommentBody {
    /// The comment.
    pub comment: CommentJson,
}

/// `{"comments": […]}`
#[derive(Serialize)]
pub struct CommentsBody {
    /// Oldest first.
    pub comments: Vec<CommentJson>,
}

/// `{"tags": […]}`
#[derive(Serialize)]
pub struct TagsBody {
    /// Most used first.
    pub tags: Vec<String>,
}
