//! The cards pages show: articles, comments and the people next to them.

use crate::assets::Assets;
use crate::domain::articles::ArticleView;
use crate::domain::comments::CommentView;
use crate::domain::profiles::Profile;

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
}
