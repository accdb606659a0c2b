//! View models: plain structs built from domain results before rendering, so that a
//! template only formats what it is given and never queries.

use actix_session::SessionExt;
use actix_web::HttpRequest;

use super::errors::PageError;
use super::session::{self, Flash};
use crate::assets::Assets;
use crate::domain::articles::ArticleView;
use crate::domain::comments::CommentView;
use crate::domain::profiles::Profile;
use crate::domain::users::User;
use crate::error::{AppError, FieldErrors};
use crate::state::AppState;

/// Articles per page on every list.
pub const PAGE_SIZE: i64 = 10;

/// What the shared layout needs on every page.
pub struct Chrome {
    /// `<title>` prefix.
    pub title: String,
    /// Static file URLs.
    pub assets: std::sync::Arc<Assets>,
    /// The signed-in user, for the navbar.
    pub user: Option<NavUser>,
    /// The session's CSRF token, for forms.
    pub csrf: String,
    /// A one-shot message from the previous action.
    pub flash: Option<Flash>,
    /// Which navbar entry is current (`home`, `editor`, `settings`, `login`, `register`, `me`).
    pub section: &'static str,
    /// This page's local URL, where action forms come back to.
    pub here: String,
    /// What link previews, search engines and feed readers read in the `<head>`.
    pub meta: PageMeta,
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
    /// JSON for `window.__conduit_debug__.getCurrentUser()` (escaped into an attribute).
    pub debug_json: String,
    /// Moderator or admin: the navbar links the admin area.
    pub staff: bool,
    /// Unread notifications, for the bell.
    pub unread: i64,
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
            debug_json: serde_json::to_string(&DebugUser {
                username: &u.username,
                email: &u.email,
                bio: u.bio.as_deref(),
                image: u.image.as_deref(),
                token: None,
            })
            .unwrap_or_default(),
            staff: u.is_staff(),
        });
        let session = req.get_session();
        // Anonymous readers get no session: a cookie made on every visit would turn
        // each read into a session write. Their only forms (sign-in, sign-up,
        // unsubscribe) ask for a token with `with_csrf`; the rest send them to /login.
        let csrf = if user.is_some() {
            session::csrf_token(&session)?
        } else {
            String::new()
        };
        let here = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        Ok(Self {
            title: title.into(),
            assets: std::sync::Arc::clone(&state.assets),
            user,
            csrf,
            flash: session::take_flash(&session),
            section,
            here,
            meta: PageMeta::site(&state.public_url),
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

/// The image URL, or the default avatar when it is missing or empty.
pub fn avatar(assets: &Assets, image: Option<&str>) -> String {
    match image.map(str::trim) {
        Some(url) if !url.is_empty() => url.to_owned(),
        _ => assets.default_avatar.clone(),
    }
}

/// Dates as readers read them.
pub fn date(at: chrono::NaiveDateTime) -> String {
    // As `%B %-d, %Y` would, without parsing that format on every card of every page.
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!(
        "{} {}, {}",
        MONTHS[at.month0() as usize],
        at.day(),
        at.year()
    )
}

/// Someone shown next to content.
pub struct AuthorView {
    /// Public name.
    pub username: String,
    /// Avatar URL.
    pub avatar: String,
    /// Whether the viewer follows them.
    pub following: bool,
}

impl AuthorView {
    fn of(assets: &Assets, profile: &Profile) -> Self {
        Self {
            username: profile.username.clone(),
            avatar: avatar(assets, profile.image.as_deref()),
            following: profile.following,
        }
    }
}

/// An article as a card in a list, or the head of its own page.
pub struct ArticleCard {
    /// URL name.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Tag names.
    pub tags: Vec<String>,
    /// Favorite count.
    pub favorites_count: i32,
    /// Whether the viewer favorited it.
    pub favorited: bool,
    /// Publication date.
    pub date: String,
    /// Writer.
    pub author: AuthorView,
    /// Hidden by staff (only staff and the author get to see it at all).
    pub hidden: bool,
    /// Minutes to read it.
    pub reading_minutes: u32,
    /// Not published yet (only its author sees it).
    pub draft: bool,
}

impl ArticleCard {
    /// The card for `view`.
    pub fn of(assets: &Assets, view: &ArticleView) -> Self {
        Self {
            slug: view.article.slug.clone(),
            title: view.article.title.clone(),
            description: view.article.description.clone(),
            tags: view.tags.clone(),
            favorites_count: view.article.favorites_count,
            favorited: view.favorited,
            date: date(view.article.created_at),
            author: AuthorView::of(assets, &view.author),
            hidden: view.article.hidden,
            reading_minutes: view.reading_minutes,
            draft: view.article.draft,
        }
    }

    /// This card as a reader with these marks sees it.
    pub fn with_marks(mut self, favorited: bool, following: bool) -> Self {
        self.favorited = favorited;
        self.author.following = following;
        self
    }

    /// Cards for a whole page (the domain loaded it in a fixed number of queries).
    pub fn all(assets: &Assets, views: &[ArticleView]) -> Vec<Self> {
        views.iter().map(|v| Self::of(assets, v)).collect()
    }
}

/// A comment under an article.
pub struct CommentCard {
    /// Id, for deleting.
    pub id: i32,
    /// Plain text (escaped when shown).
    pub body: String,
    /// Posting date.
    pub date: String,
    /// Writer.
    pub author: AuthorView,
    /// Hidden by staff.
    pub hidden: bool,
}

impl CommentCard {
    /// The card for `view`.
    pub fn of(assets: &Assets, view: &CommentView) -> Self {
        Self {
            id: view.comment.id,
            body: view.comment.body.clone(),
            date: date(view.comment.created_at),
            author: AuthorView::of(assets, &view.author),
            hidden: view.comment.hidden,
        }
    }
}

/// One button of the pagination bar.
pub struct PageLink {
    /// Page number shown, and sent as `?page=`.
    pub number: i64,
    /// Whether it is the page shown.
    pub active: bool,
    /// Whether pages are skipped just before this one (shown as an ellipsis).
    pub gap_before: bool,
}

/// A query parameter the pagination form carries along (a feed, a filter).
pub struct HiddenField {
    pub name: String,
    pub value: String,
}

/// The pagination bar: a GET form of page buttons, so `?page=N` lands in the URL with
/// no script (as in the reference frontend); empty when everything fits on one page.
pub struct Pagination {
    /// Where the form goes: the list's path.
    pub action: String,
    /// The list's other query parameters, kept on every page.
    pub hidden: Vec<HiddenField>,
    /// Buttons, in order.
    pub links: Vec<PageLink>,
    /// "Older articles": the next page by keyset (its URL names the last article shown),
    /// so reading on page after page costs the same at any depth.
    pub older: Option<String>,
}

/// Pages shown on each side of the current one when there are many.
const PAGE_WINDOW: i64 = 2;

impl Pagination {
    /// Links for `total` items seen on page `current`, to `base` (a path that may already
    /// have a query string). With many pages, only the first, the last and those near
    /// the current one are linked.
    pub fn new(base: &str, current: i64, total: i64) -> Self {
        Self::sized(base, current, total, PAGE_SIZE)
    }

    /// As [`Pagination::new`], for lists of `size` items a page.
    pub fn sized(base: &str, current: i64, total: i64, size: i64) -> Self {
        let (action, query) = base.split_once('?').unwrap_or((base, ""));
        let hidden = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .unwrap_or_default()
            .into_iter()
            .filter(|(name, _)| name != "page" && name != "after")
            .map(|(name, value)| HiddenField { name, value })
            .collect();
        let mut bar = Self {
            action: action.to_owned(),
            hidden,
            links: Vec::new(),
            older: None,
        };
        let pages = (total + size - 1) / size;
        if pages <= 1 {
            return bar;
        }
        // The first page, the window around the current one and the last, in order:
        // never a walk over every page (a million articles make 100,000 of them).
        let window = (current - PAGE_WINDOW).max(1)..=(current + PAGE_WINDOW).min(pages);
        let mut numbers: Vec<i64> = std::iter::once(1)
            .chain(window)
            .chain(std::iter::once(pages))
            .collect();
        numbers.dedup();
        let mut previous = 0;
        for number in numbers {
            bar.links.push(PageLink {
                number,
                active: number == current,
                gap_before: number > previous + 1,
            });
            previous = number;
        }
        bar
    }

    /// Adds the keyset link to the page after `current`, which ends with `last`, when
    /// there is one.
    pub fn with_older(
        mut self,
        base: &str,
        current: i64,
        total: i64,
        last: Option<&ArticleView>,
    ) -> Self {
        let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
        if let Some(last) = last
            && current < pages
        {
            let sep = if base.contains('?') { '&' } else { '?' };
            let cursor = crate::domain::articles::Cursor::after(&last.article).encode();
            self.older = Some(format!("{base}{sep}page={}&after={cursor}", current + 1));
        }
        self
    }
}

/// The 1-based page number from `?page=`; anything unusable means page 1.
pub fn page_number(raw: Option<&str>) -> i64 {
    raw.and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1)
}

/// The domain's page window for a 1-based page number, by keyset when `after` (from an
/// "Older articles" link) names where the previous page ended; an unreadable one falls
/// back to the page number.
pub fn page_request(
    page: i64,
    after: Option<&str>,
) -> Result<crate::domain::articles::PageRequest, PageError> {
    let offset = ((page - 1) * PAGE_SIZE).to_string();
    let mut request =
        crate::domain::articles::PageRequest::parse(Some(&PAGE_SIZE.to_string()), Some(&offset))?;
    request.after = after.and_then(crate::domain::articles::Cursor::parse);
    Ok(request)
}

/// A failed form's messages: every one in the list above the form (the RealWorld
/// `.error-messages`), and each field's own beside that field, all at once.
#[derive(Default)]
pub struct FormErrors {
    lines: Vec<String>,
    fields: Vec<(String, String)>,
}

impl FormErrors {
    /// A message about the form as a whole (wrong password, too many attempts).
    pub fn form(message: impl Into<String>) -> Self {
        Self {
            lines: vec![message.into()],
            fields: Vec::new(),
        }
    }

    /// The messages of a validation failure, by field.
    pub fn of(errors: &FieldErrors) -> Self {
        let mut form = Self::default();
        for (field, message) in errors.messages() {
            // The key the form's field is looked up by, and the words the list says.
            let (key, label) = match field {
                "tagList" => ("tags", "tags"),
                "currentPassword" => (field, "current password"),
                "publishAt" => ("publish_at", "publish time"),
                other => (other, other),
            };
            form.lines.push(format!("{label} {message}"));
            form.fields.push((key.to_owned(), message.to_owned()));
        }
        form
    }

    /// True when the form had no mistake.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Every message, one line each, as the list above the form shows them.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// What is wrong with `field`, to show beside it ("can't be blank; is too short").
    pub fn field(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .fields
            .iter()
            .filter(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }
}

/// What a visitor reads after too many failed sign-ins.
pub fn too_many_attempts(seconds: u64) -> String {
    format!(
        "too many failed sign-ins for this account; please wait {seconds} seconds and try again"
    )
}

/// The form-level messages of an error that a form can show, or the error back when it
/// is not about the input.
pub fn form_errors(err: AppError) -> Result<FormErrors, AppError> {
    match err {
        AppError::Validation(errors) | AppError::Conflict(errors) => Ok(FormErrors::of(&errors)),
        AppError::InvalidCredentials => Ok(FormErrors::form("email or password is invalid")),
        AppError::TooManyAttempts(seconds) => Ok(FormErrors::form(too_many_attempts(seconds))),
        AppError::Suspended(message) => Ok(FormErrors::form(message)),
        AppError::EmailUnverified => Ok(FormErrors::form(format!(
            "your email {}",
            crate::error::EMAIL_UNVERIFIED
        ))),
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_chrono_would_write_them() {
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
            .and_then(|d| d.and_hms_opt(13, 5, 0))
            .expect("a date");
        for days in (0..400).step_by(13) {
            let at = start + chrono::Duration::days(days);
            assert_eq!(date(at), at.format("%B %-d, %Y").to_string());
        }
    }

    #[test]
    fn pagination_marks_the_current_page() {
        let bar = Pagination::new("/tag/rust", 2, 25);
        assert_eq!(bar.links.len(), 3);
        assert!(bar.links[1].active);
        assert_eq!(bar.action, "/tag/rust");
        assert!(bar.hidden.is_empty());
        let feed = Pagination::new("/?feed=following&q=a%20b", 1, 11);
        assert_eq!(feed.action, "/");
        let hidden: Vec<(&str, &str)> = feed
            .hidden
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(hidden, vec![("feed", "following"), ("q", "a b")]);
        assert!(Pagination::new("/", 1, 10).links.is_empty());
        let long: Vec<(i64, bool)> = Pagination::new("/", 10, 500)
            .links
            .iter()
            .map(|l| (l.number, l.gap_before))
            .collect();
        assert_eq!(
            long,
            vec![
                (1, false),
                (8, true),
                (9, false),
                (10, false),
                (11, false),
                (12, false),
                (50, true)
            ]
        );
        let numbers = |current, total| -> Vec<i64> {
            Pagination::new("/", current, total)
                .links
                .iter()
                .map(|l| l.number)
                .collect()
        };
        assert_eq!(numbers(1, 10_000_000), vec![1, 2, 3, 1_000_000]);
        assert_eq!(numbers(50, 500), vec![1, 48, 49, 50]);
        // A page past the end still links the first and the last.
        assert_eq!(numbers(90, 500), vec![1, 50]);
    }

    #[test]
    fn page_numbers_fall_back_to_one() {
        assert_eq!(page_number(Some("3")), 3);
        for bad in [None, Some("0"), Some("-1"), Some("x"), Some("99999999999")] {
            assert_eq!(page_number(bad), 1);
        }
    }
}
