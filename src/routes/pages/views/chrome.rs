//! What the shared layout shows on every page: the navbar's user, the CSRF token, the
//! flash message and the `<head>`'s metadata.

use actix_session::SessionExt;
use actix_web::HttpRequest;

use super::avatar;
use super::slots::{BodyAttributes, FlashNote, NavLinks, Slot};
use crate::assets::Assets;
use crate::cache::stencil::Hole;
use crate::domain::users::User;
use crate::routes::pages::errors::PageError;
use crate::routes::pages::session::{self, CsrfToken, Flash};
use crate::state::AppState;

/// What the shared layout needs on every page.
pub struct Chrome {
    /// `<title>` prefix.
    pub title: String,
    /// Static file URLs.
    pub assets: std::sync::Arc<Assets>,
    /// The signed-in user, for the navbar.
    pub user: Option<NavUser>,
    /// The session's CSRF token, for forms.
    pub csrf: CsrfToken,
    /// A one-shot message from the previous action.
    pub flash: Option<Flash>,
    /// Which navbar entry is current (`home`, `editor`, `settings`, `login`, `register`, `me`).
    pub section: &'static str,
    /// This page's local URL, where action forms come back to.
    pub here: String,
    /// What link previews, search engines and feed readers read in the `<head>`.
    pub meta: PageMeta,
    /// Rendering the page that signed-in readers share: the reader's own parts are
    /// left as holes (see `views::slots`).
    stencil: bool,
}

/// The `<head>` metadata of a page: description, canonical URL, OpenGraph and Twitter
/// card tags, and the feeds it offers. URLs are absolute (`CONDUIT_PUBLIC_URL`).
pub struct PageMeta {
    /// The meta description (and `og:description`).
    pub description: String,
    /// The canonical URL, for pages that have one.
    pub canonical: Option<String>,
    /// `og:type`: `website`, `article` or `profile`.
    pub kind: &'static str,
    /// `og:image`, absolute.
    pub image: Option<String>,
    /// Feeds of this page (`<link rel="alternate">`), the site's own first.
    pub feeds: Vec<FeedLink>,
    /// The site's address, to make paths absolute.
    site: String,
}

/// One feed a page offers.
pub struct FeedLink {
    pub title: String,
    pub href: String,
    pub mime: &'static str,
}

impl PageMeta {
    /// No metadata: for parts of a page without a `<head>`.
    fn none() -> Self {
        Self {
            description: String::new(),
            canonical: None,
            kind: "website",
            image: None,
            feeds: Vec::new(),
            site: String::new(),
        }
    }

    fn site(site: &str) -> Self {
        let mut meta = Self {
            description: "A place to share your knowledge: articles by developers, for developers."
                .into(),
            canonical: None,
            kind: "website",
            image: None,
            feeds: Vec::new(),
            site: site.to_owned(),
        };
        meta.add_feeds("Conduit", "");
        meta
    }

    /// `path` (local) as an absolute URL; absolute URLs stay as they are.
    pub fn absolute(&self, path: &str) -> String {
        if path.starts_with('/') {
            [self.site.as_str(), path].concat()
        } else {
            path.to_owned()
        }
    }

    /// Sets this page's canonical URL, from its local path.
    pub fn set_canonical(&mut self, path: &str) {
        self.canonical = Some(self.absolute(path));
    }

    /// The RSS and Atom feeds under `prefix` (a local path, `""` for the site's).
    pub fn add_feeds(&mut self, title: &str, prefix: &str) {
        // Every page builds these: joined, not formatted (`format!` costs several
        // times as much, and this runs on every page view).
        let site = self.site.as_str();
        self.feeds.push(FeedLink {
            title: [title, " (RSS)"].concat(),
            href: [site, prefix, "/feed.xml"].concat(),
            mime: "application/rss+xml",
        });
        self.feeds.push(FeedLink {
            title: [title, " (Atom)"].concat(),
            href: [site, prefix, "/atom.xml"].concat(),
            mime: "application/atom+xml",
        });
    }
}

/// The user as the page's `data-current-user` hook shows them (a RealWorld client's
/// shape, without the token). Serialized from borrowed fields: no map is built.
#[derive(serde::Serialize)]
struct DebugUser<'a> {
    username: &'a str,
    email: &'a str,
    bio: Option<&'a str>,
    image: Option<&'a str>,
    token: Option<&'a str>,
}

/// The signed-in user as the navbar and the debug hook see them.
pub struct NavUser {
    /// Public name.
    pub username: String,
    /// Email (only ever shown to the user themself).
    pub email: String,
    /// Bio as stored.
    pub bio: Option<String>,
    /// Image as stored.
    pub image: Option<String>,
    /// Image or the default avatar.
    pub avatar: String,
    /// Moderator or admin: the navbar links the admin area.
    pub staff: bool,
    /// Unread notifications, for the bell.
    pub unread: i64,
}

impl NavUser {
    /// What `window.__conduit_debug__.getCurrentUser()` returns, for an attribute.
    pub fn debug_attribute(&self) -> DebugAttribute<'_> {
        DebugAttribute(self)
    }
}

/// A signed-in user's debug JSON, HTML-escaped for a quoted attribute (write it with
/// `|safe`). JSON is mostly quotes, each one a run of its own for the escaper: they
/// are escaped into a `String` and written to the page once.
pub struct DebugAttribute<'a>(&'a NavUser);

impl askama::FastWritable for DebugAttribute<'_> {
    fn write_into(
        &self,
        dest: &mut dyn std::fmt::Write,
        _: &dyn askama::Values,
    ) -> askama::Result<()> {
        use askama::filters::Escaper;
        let user = self.0;
        let json = serde_json::to_string(&DebugUser {
            username: &user.username,
            email: &user.email,
            bio: user.bio.as_deref(),
            image: user.image.as_deref(),
            token: None,
        })
        .map_err(|e| askama::Error::Custom(Box::new(e)))?;
        let mut escaped = String::with_capacity(json.len() * 2);
        askama::filters::Html.write_escaped_str(&mut escaped, &json)?;
        Ok(dest.write_str(&escaped)?)
    }
}

impl std::fmt::Display for DebugAttribute<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        askama::FastWritable::write_into(self, f, &()).map_err(|_| std::fmt::Error)
    }
}

impl Chrome {
    /// The layout data for a page titled `title` seen by `user`; takes the flash message.
    pub fn new(
        state: &AppState,
        req: &HttpRequest,
        user: Option<&User>,
        title: impl Into<String>,
        section: &'static str,
    ) -> Result<Self, PageError> {
        let mut chrome = Self::reader_parts(state, req, user, section)?;
        chrome.title = title.into();
        chrome.meta = PageMeta::site(&state.public_url);
        Ok(chrome)
    }

    /// Only what is `user`'s own (the navbar, the CSRF token, the flash message, which
    /// it takes), for writing into a page members share: no title or `<head>`.
    pub fn reader_parts(
        state: &AppState,
        req: &HttpRequest,
        user: Option<&User>,
        section: &'static str,
    ) -> Result<Self, PageError> {
        use actix_web::HttpMessage;
        let unread = req
            .extensions()
            .get::<session::UnreadCount>()
            .map_or(0, |u| u.0);
        let user = user.map(|u| NavUser {
            unread,
            username: u.username.clone(),
            email: u.email.clone(),
            bio: u.bio.clone(),
            image: u.image.clone(),
            avatar: avatar(&state.assets, u.image.as_deref()),
            staff: u.is_staff(),
        });
        let session = req.get_session();
        // Anonymous readers get no session: a cookie made on every visit would turn
        // each read into a session write. Their only forms (sign-in, sign-up,
        // unsubscribe) ask for a token with `with_csrf`; the rest send them to /login.
        let csrf = if user.is_some() {
            session::csrf_token(&session)?
        } else {
            CsrfToken::default()
        };
        let here = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        Ok(Self {
            title: String::new(),
            assets: std::sync::Arc::clone(&state.assets),
            user,
            csrf,
            flash: session::take_flash(&session),
            section,
            here,
            meta: PageMeta::none(),
            stencil: false,
        })
    }

    /// The layout data of the page signed-in readers share, titled `title`: no reader,
    /// and holes where each one's own parts go. Reads nothing of the request's session.
    pub fn stencil(state: &AppState, title: impl Into<String>, section: &'static str) -> Self {
        Self {
            title: title.into(),
            assets: std::sync::Arc::clone(&state.assets),
            user: None,
            csrf: CsrfToken::default(),
            flash: None,
            section,
            here: String::new(),
            meta: PageMeta::site(&state.public_url),
            stencil: true,
        }
    }

    /// Whether this is the page signed-in readers share.
    pub fn is_stencil(&self) -> bool {
        self.stencil
    }

    /// `part`, or its hole on the page signed-in readers share.
    pub fn slot<T>(&self, hole: Hole, part: impl FnOnce() -> T) -> Slot<T> {
        if self.stencil {
            Slot::Hole(hole)
        } else {
            Slot::Filled(part())
        }
    }

    /// The `<body>`'s attributes.
    pub fn body_attributes(&self) -> Slot<BodyAttributes<'_>> {
        self.slot(Hole::BodyAttributes, || BodyAttributes {
            user: self.user.as_ref(),
        })
    }

    /// The navbar's links.
    pub fn nav_links(&self) -> Slot<NavLinks<'_>> {
        self.slot(Hole::NavLinks, || NavLinks {
            user: self.user.as_ref(),
            section: self.section,
        })
    }

    /// The flash message, if any.
    pub fn flash_note(&self) -> Slot<FlashNote<'_>> {
        self.slot(Hole::Flash, || FlashNote {
            flash: self.flash.as_ref(),
        })
    }

    /// Describes this page for link previews (see [`PageMeta`]).
    pub fn with_meta(mut self, describe: impl FnOnce(&mut PageMeta)) -> Self {
        describe(&mut self.meta);
        self
    }

    /// A CSRF token even for an anonymous visitor, for pages with a form they submit.
    pub fn with_csrf(mut self, req: &HttpRequest) -> Result<Self, PageError> {
        if self.csrf.is_empty() {
            self.csrf = session::csrf_token(&req.get_session())?;
        }
        Ok(self)
    }

    /// Whether `username` is the signed-in user.
    pub fn is_me(&self, username: &str) -> bool {
        self.user.as_ref().is_some_and(|u| u.username == username)
    }
}
