//! The named invalidation points: one function per kind of write, called by every write
//! path (API and site alike) after the write has committed. Each drops exactly the
//! entries whose content the write can change. The only per-reader entries are feed
//! pages (ids and length), which every change of articles or follows drops.

use super::Caches;

/// An article was published: every list, count and the tag list may now include it.
pub async fn article_created(c: &Caches) {
    c.lists.invalidate_all();
    c.counts.invalidate_all();
    c.tags.invalidate_all();
    c.api_lists.invalidate_all();
    c.feeds.invalidate_all();
}

/// Article `id` (`slug`) was edited: its own entries, and the lists, counts and tags
/// (its tags may have changed, and lists show its title and description).
pub async fn article_edited(c: &Caches, id: i32, slug: &str) {
    c.articles.invalidate(&id).await;
    c.api_articles.invalidate(&slug.to_owned()).await;
    c.article_pages.invalidate(&slug.to_owned()).await;
    lists_changed(c);
}

/// Article `id` (`slug`) was deleted, with its comments, tags and favorites.
pub async fn article_deleted(c: &Caches, id: i32, slug: &str) {
    let slug = slug.to_owned();
    c.slugs.invalidate(&slug).await;
    c.comments.invalidate(&slug).await;
    article_edited(c, id, &slug).await;
}

/// A comment was posted on `slug`.
pub async fn comment_added(c: &Caches, slug: &str) {
    c.comments.invalidate(&slug.to_owned()).await;
    c.article_pages.invalidate(&slug.to_owned()).await;
}

/// A comment of `slug` was deleted.
pub async fn comment_deleted(c: &Caches, slug: &str) {
    c.comments.invalidate(&slug.to_owned()).await;
    c.article_pages.invalidate(&slug.to_owned()).await;
}

/// Someone favorited or unfavorited article `id` (`slug`): its count changed, and so
/// did that user's "favorited" lists.
pub async fn favorite_changed(c: &Caches, id: i32, slug: &str) {
    c.articles.invalidate(&id).await;
    c.api_articles.invalidate(&slug.to_owned()).await;
    c.article_pages.invalidate(&slug.to_owned()).await;
    c.api_lists.invalidate_all();
    c.favorite_lists.invalidate_all();
    c.favorite_counts.invalidate_all();
}

/// A user changed their profile (name, bio, image): it shows on their articles and
/// comments everywhere, and lists are filtered by username. Rare, so all of it goes.
pub async fn profile_edited(c: &Caches) {
    c.articles.invalidate_all();
    c.comments.invalidate_all();
    c.profiles.invalidate_all();
    c.api_articles.invalidate_all();
    c.article_pages.invalidate_all();
    lists_changed(c);
}

/// Someone followed or unfollowed someone: the follower's feed changed. Following
/// state itself is per viewer and never cached. Follows are rare next to reads, so all
/// feed pages go rather than a scan for the follower's.
pub async fn follow_changed(c: &Caches) {
    c.feeds.invalidate_all();
}

/// Staff hid, showed, featured or deleted an article or a comment (or resolved a report
/// by doing so). Rare, and it changes what lists, counts, threads and the featured
/// section show for anonymous readers, so every shared entry goes.
pub async fn content_moderated(c: &Caches) {
    everything(c);
}

/// Tags were renamed or merged: tag names are part of every cached article.
pub async fn tags_changed(c: &Caches) {
    c.articles.invalidate_all();
    c.api_articles.invalidate_all();
    c.article_pages.invalidate_all();
    lists_changed(c);
}

/// A user was suspended or reinstated, or their role changed (what they may see and
/// how they are shown can change anywhere).
pub async fn user_moderated(c: &Caches) {
    everything(c);
}

/// Drops every entry of every cache.
pub fn everything(c: &Caches) {
    c.articles.invalidate_all();
    c.slugs.invalidate_all();
    c.comments.invalidate_all();
    c.markdown.invalidate_all();
    c.profiles.invalidate_all();
    c.api_articles.invalidate_all();
    c.article_pages.invalidate_all();
    lists_changed(c);
}

/// Every list page, count, the tag list and the API's list responses.
fn lists_changed(c: &Caches) {
    c.lists.invalidate_all();
    c.favorite_lists.invalidate_all();
    c.counts.invalidate_all();
    c.favorite_counts.invalidate_all();
    c.tags.invalidate_all();
    c.featured.invalidate_all();
    c.api_lists.invalidate_all();
    c.feeds.invalidate_all();
}
