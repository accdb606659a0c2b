//! A reader's own parts of a page: the templates of the places where one signed-in
//! reader's page differs from another's. A page writes each one where it goes
//! ([`Slot::Filled`]); a page rendered to be shared by signed-in readers writes only a
//! mark there ([`Slot::Hole`], see `crate::cache::stencil`), and each request writes
//! the same templates into the holes. Either way the reader gets the same bytes.

use std::fmt;

use askama::{FastWritable, Template};

use super::chrome::{Chrome, NavUser};
use crate::cache::stencil::Hole;
use crate::routes::pages::session::{CsrfToken, Flash};

/// A reader's own part of a page, or the mark of where it goes.
pub enum Slot<T> {
    /// The part, written out.
    Filled(T),
    /// Only its mark: the page is being rendered to be shared.
    Hole(Hole),
}

impl<T: FastWritable> Slot<T> {
    /// Appends this part (or its mark) to `out`.
    pub fn write(&self, out: &mut String) -> askama::Result<()> {
        self.write_into(out, &())
    }
}

impl<T: FastWritable> FastWritable for Slot<T> {
    fn write_into(
        &self,
        dest: &mut dyn fmt::Write,
        values: &dyn askama::Values,
    ) -> askama::Result<()> {
        match self {
            Slot::Filled(part) => part.write_into(dest, values),
            Slot::Hole(hole) => Ok(hole.write_mark(dest)?),
        }
    }
}

impl<T: FastWritable> fmt::Display for Slot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_into(f, &()).map_err(|_| fmt::Error)
    }
}

/// The `<body>`'s attributes: whether someone is signed in, and who, for scripts.
#[derive(Template)]
#[template(path = "partials/body_attributes.html")]
pub struct BodyAttributes<'a> {
    pub user: Option<&'a NavUser>,
}

/// The navbar's links, the current one marked.
#[derive(Template)]
#[template(path = "partials/nav_links.html")]
pub struct NavLinks<'a> {
    pub user: Option<&'a NavUser>,
    pub section: &'a str,
}

/// A one-shot message from the reader's previous action.
#[derive(Template)]
#[template(path = "partials/flash.html")]
pub struct FlashNote<'a> {
    pub flash: Option<&'a Flash>,
}

/// An article's buttons: follow and favorite (or the way to sign in), or edit and
/// delete for its author.
#[derive(Template)]
#[template(path = "partials/article_actions.html")]
pub struct ArticleActions<'a> {
    pub chrome: &'a Chrome,
    pub slug: &'a str,
    pub title: &'a str,
    /// The author's name.
    pub author: &'a str,
    /// The author's name percent-encoded for a path ([`url_part`]).
    pub author_url: &'a str,
    /// The slug percent-encoded for a query ([`url_part`]).
    pub slug_url: &'a str,
    /// Whether the reader follows the author.
    pub following: bool,
    /// Whether the reader favorited it.
    pub favorited: bool,
    pub favorites_count: i32,
    /// Whether the reader wrote it.
    pub is_author: bool,
}

/// `text` percent-encoded as one part of a URL: only ASCII letters, digits and `-._~`
/// are left, so it needs no HTML escaping either.
pub fn url_part(text: &str) -> String {
    askama::filters::urlencode_strict(text)
        .map(|encoded| encoded.to_string())
        .unwrap_or_default()
}

/// The comment form, or for a visitor the way to it.
#[derive(Template)]
#[template(path = "partials/comment_form.html")]
pub struct CommentForm<'a> {
    pub chrome: &'a Chrome,
    pub slug: &'a str,
    /// A refused comment's text, kept.
    pub draft: &'a str,
}

/// What the reader may do with a comment: delete it (its writer, and the article's
/// author), report it (anyone else signed in).
#[derive(Template)]
#[template(path = "partials/comment_options.html")]
pub struct CommentOptions<'a> {
    /// The article's slug.
    pub slug: &'a str,
    /// The comment's id.
    pub id: i32,
    /// Its writer's name.
    pub author: &'a str,
    /// Whether the reader wrote the article.
    pub is_author: bool,
    /// The reader's name, if signed in.
    pub reader: Option<&'a str>,
    /// The reader's CSRF token.
    pub csrf: &'a CsrfToken,
}

impl CommentOptions<'_> {
    /// Whether the reader wrote the comment.
    fn mine(&self) -> bool {
        self.reader == Some(self.author)
    }
}
