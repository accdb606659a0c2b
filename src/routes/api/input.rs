//! The API's request bodies: the JSON names and null-versus-absent rules of the RealWorld
//! spec, turned into the domain's plain input types. Their `ToSchema` derives are the
//! OpenAPI document's request schemas.

use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use crate::domain::access_tokens::NewToken;
use crate::domain::articles::{ArticleChanges, ArticleInput};
use crate::domain::comments::CommentInput;
use crate::domain::moderation::reports::ReportInput;
use crate::domain::users::{LoginInput, RegisterInput, UserChanges};
use crate::domain::webhooks::WebhookInput;

/// Marks a field as sent, keeping `null` apart from absence.
fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Sign-up body.
#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    /// Wanted username.
    #[schema(required = true, value_type = String)]
    username: Option<String>,
    /// Email address.
    #[schema(required = true, value_type = String, format = Email)]
    email: Option<String>,
    /// Chosen password.
    #[schema(required = true, value_type = String, format = Password)]
    password: Option<String>,
}

impl From<NewUser> for RegisterInput {
    fn from(u: NewUser) -> Self {
        Self {
            username: u.username,
            email: u.email,
            password: u.password,
        }
    }
}

/// Sign-in body.
#[derive(Deserialize, ToSchema)]
pub struct LoginUser {
    /// Email address.
    #[schema(required = true, value_type = String, format = Email)]
    email: Option<String>,
    /// Password.
    #[schema(required = true, value_type = String, format = Password)]
    password: Option<String>,
}

impl From<LoginUser> for LoginInput {
    fn from(u: LoginUser) -> Self {
        Self {
            email: u.email,
            password: u.password,
        }
    }
}

/// Settings changes: absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
pub struct UpdateUser {
    /// New username.
    #[serde(default, deserialize_with = "present")]
    username: Option<Option<String>>,
    /// New email.
    #[serde(default, deserialize_with = "present")]
    #[schema(format = Email)]
    email: Option<Option<String>>,
    /// New password.
    #[serde(default, deserialize_with = "present")]
    password: Option<Option<String>>,
    /// New bio (`null` or empty clears it).
    #[serde(default, deserialize_with = "present")]
    bio: Option<Option<String>>,
    /// New avatar URL (`null` or empty clears it).
    #[serde(default, deserialize_with = "present")]
    image: Option<Option<String>>,
    /// The password as it is now: checked when given with a new email or password
    /// (422 `currentPassword` when wrong). The site's settings form always asks for it.
    #[serde(rename = "currentPassword", default)]
    #[schema(format = Password)]
    current_password: Option<String>,
}

impl From<UpdateUser> for UserChanges {
    fn from(u: UpdateUser) -> Self {
        Self {
            username: u.username,
            email: u.email,
            password: u.password,
            bio: u.bio,
            image: u.image,
            current_password: u.current_password,
        }
    }
}

/// A new article.
#[derive(Deserialize, ToSchema)]
pub struct NewArticle {
    /// Headline.
    #[schema(required = true, value_type = String)]
    title: Option<String>,
    /// Summary.
    #[schema(required = true, value_type = String)]
    description: Option<String>,
    /// Markdown body.
    #[schema(required = true, value_type = String)]
    body: Option<String>,
    /// Tags.
    #[serde(rename = "tagList", default)]
    tag_list: Option<Vec<String>>,
    /// `false` saves a draft, seen only by its author (absent: published at once).
    #[serde(default)]
    published: Option<bool>,
    /// For a draft: when to publish it (RFC 3339, e.g. `2030-01-31T09:30:00Z`).
    #[serde(rename = "publishAt", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    publish_at: Option<String>,
}

impl From<NewArticle> for ArticleInput {
    fn from(a: NewArticle) -> Self {
        Self {
            title: a.title,
            description: a.description,
            body: a.body,
            tag_list: a.tag_list,
            draft: a.published == Some(false),
            publish_at: a.publish_at,
        }
    }
}

/// Edits to an article: absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
pub struct UpdateArticle {
    /// New headline.
    #[serde(default, deserialize_with = "present")]
    title: Option<Option<String>>,
    /// New summary.
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    /// New body.
    #[serde(default, deserialize_with = "present")]
    body: Option<Option<String>>,
    /// New tags; `[]` removes all, `null` is refused.
    #[serde(rename = "tagList", default, deserialize_with = "present")]
    tag_list: Option<Option<Vec<String>>>,
    /// `true` publishes a draft now; `false` keeps it a draft (a published article
    /// cannot become one again).
    #[serde(default)]
    published: Option<bool>,
    /// For a draft: a new time to publish it (RFC 3339), or `null` to cancel.
    #[serde(rename = "publishAt", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    publish_at: Option<Option<String>>,
}

impl From<UpdateArticle> for ArticleChanges {
    fn from(a: UpdateArticle) -> Self {
        Self {
            title: a.title,
            description: a.description,
            body: a.body,
            tag_list: a.tag_list,
            published: a.published,
            publish_at: a.publish_at,
        }
    }
}

/// A new comment.
#[derive(Deserialize, ToSchema)]
pub struct NewComment {
    /// Text.
    #[schema(required = true, value_type = String)]
    body: Option<String>,
}

impl From<NewComment> for CommentInput {
    fn from(c: NewComment) -> Self {
        Self { body: c.body }
    }
}

/// A report of an article, a comment or a user.
#[derive(Deserialize, ToSchema)]
#[schema(as = ReportInput)]
pub struct NewReport {
    /// `article`, `comment` or `user`.
    kind: Option<String>,
    /// Article slug, comment id or username.
    target: Option<String>,
    /// Why.
    reason: Option<String>,
}

impl From<NewReport> for ReportInput {
    fn from(r: NewReport) -> Self {
        Self {
            kind: r.kind,
            target: r.target,
            reason: r.reason,
        }
    }
}

/// A new webhook.
#[derive(Deserialize, ToSchema)]
#[schema(as = WebhookInput)]
pub struct NewWebhook {
    /// Target URL (http or https).
    url: Option<String>,
    /// Shared secret for the signature.
    secret: Option<String>,
    /// Events wanted.
    events: Option<Vec<String>>,
    /// Every user's events (admins only).
    #[serde(rename = "siteWide", default)]
    site_wide: bool,
}

impl From<NewWebhook> for WebhookInput {
    fn from(w: NewWebhook) -> Self {
        Self {
            url: w.url,
            secret: w.secret,
            events: w.events,
            site_wide: w.site_wide,
        }
    }
}

/// A new personal access token.
#[derive(Deserialize, ToSchema)]
#[schema(as = AccessTokenInput)]
pub struct NewAccessToken {
    /// A label of 1 to 60 characters, to tell your tokens apart.
    #[schema(required = true, value_type = String, max_length = 60)]
    name: Option<String>,
    /// What it may do: `read`, `write` and `admin` (staff accounts only); at least one.
    #[schema(required = true, value_type = Vec<String>)]
    scopes: Option<Vec<String>>,
    /// Days until it stops working: 7, 30, 90 or 365; absent or `null` for never.
    #[serde(rename = "expiresInDays", default)]
    #[schema(value_type = Option<i64>)]
    expires_in_days: Option<i64>,
}

impl From<NewAccessToken> for NewToken {
    fn from(t: NewAccessToken) -> Self {
        Self {
            name: t.name,
            scopes: t.scopes.unwrap_or_default(),
            expires_in_days: t.expires_in_days,
            current_password: None,
        }
    }
}
