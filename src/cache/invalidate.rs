//! What a write makes stale, as data: each write of the application layer names its
//! [`Stale`] entries; they are applied to this instance's caches after the commit and
//! broadcast to every other instance (see [`super::broadcast`]). Each kind drops exactly
//! the entries whose content that write can change. The only per-reader entries are
//! feed pages (ids and length), which every change of articles or follows drops.

use serde::{Deserialize, Serialize};

use super::Caches;

/// One kind of change to what readers see, with the keys it touches. Small on purpose:
/// it travels in a PostgreSQL `NOTIFY` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Stale {
    /// An article was published: every list and count may now include it, and the tag
    /// list too unless all of its `tags` are in it already (then their counts moved by
    /// one, which reorders the popular list at most slightly: it is reloaded within
    /// [`TAGS_TTL`](super::TAGS_TTL) anyway). `None` (tags not known): the tag list goes.
    ArticleCreated {
        /// The new article's tags.
        #[serde(default)]
        tags: Option<Vec<String>>,
    },
    /// Article `id` (`slug`) was edited: its own entries, and the lists, counts and tags
    /// (its tags may have changed, and lists show its title and description).
    ArticleEdited {
        /// The article's id.
        id: i32,
        /// Its slug.
        slug: String,
    },
    /// Article `id` (`slug`) was deleted, with its comments, tags and favorites.
    ArticleDeleted {
        /// The article's id.
        id: i32,
        /// Its slug.
        slug: String,
    },
    /// A comment of `slug` was posted or deleted.
    Comments {
        /// The article's slug.
        slug: String,
    },
    /// `user` favorited or unfavorited article `id` (`slug`): its count changed, and so
    /// did that user's "favorited" lists and marks.
    Favorite {
        /// The article's id.
        id: i32,
        /// Its slug.
        slug: String,
        /// Who.
        user: i32,
    },
    /// A user changed their profile (name, bio, image): it shows on their articles and
    /// comments everywhere, and lists are filtered by username. Rare, so all of it goes.
    ProfileEdited,
    /// `follower` followed or unfollowed someone: their feed and their marks changed.
    /// Follows are rare next to reads, so all feed pages go rather than a scan for the
    /// follower's.
    Follow {
        /// Who.
        follower: i32,
    },
    /// The account `id` changed in a way only its own requests see (password, email, a
    /// required reset, two-factor sign-in, a session started or ended, an access token
    /// created or revoked): its cached row and its sets of live sessions and live access
    /// tokens go.
    Account {
        /// The user's id.
        id: i32,
    },
    /// New or read notifications of these users: their unread counts.
    Unread {
        /// The users.
        users: Vec<i32>,
    },
    /// Tags were renamed or merged: tag names are part of every cached article.
    Tags,
    /// An admin changed a site setting.
    SiteSettings,
    /// A webhook was added or removed: the directory every event is checked against.
    Webhooks,
    /// Anything else, or too much to name: every entry of every cache. Moderation
    /// (hiding, featuring, deleting, suspending, role changes) is rare and changes what
    /// lists, counts, threads and the featured section show, so it uses this.
    Everything,
}

/// Drops what `stale` names from `c`, then announces it to live connections (after,
/// so that a connection reloading at once, on another worker thread, cannot read the
/// entries it is about).
pub async fn apply(c: &Caches, stale: &Stale) {
    drop_entries(c, stale).await;
    if *stale != Stale::Everything {
        c.signals.send(stale);
    }
}

async fn drop_entries(c: &Caches, stale: &Stale) {
    // Any change may show in some GraphQL answer.
    c.graphql.invalidate_all();
    match stale {
        Stale::ArticleCreated { tags } => {
            c.lists.invalidate_all();
            c.counts.invalidate_all();
            popular_tags_gain(c, tags.as_deref()).await;
            c.api_lists.invalidate_all();
            c.feeds.invalidate_all();
            c.documents.invalidate_all();
            c.searches.invalidate_all();
        }
        Stale::ArticleEdited { id, slug } => article_edited(c, *id, slug).await,
        Stale::ArticleDeleted { id, slug } => {
            c.slugs.invalidate(slug).await;
            c.comments.invalidate(slug).await;
            article_edited(c, *id, slug).await;
        }
        Stale::Comments { slug } => {
            c.comments.invalidate(slug).await;
            article_pages_changed(c, slug).await;
        }
        Stale::Favorite { id, slug, user } => {
            c.marks.invalidate(user).await;
            c.articles.invalidate(id).await;
            c.summaries.invalidate(id).await;
            c.api_articles.invalidate(slug).await;
            article_pages_changed(c, slug).await;
            c.api_lists.invalidate_all();
            c.favorite_lists.invalidate_all();
            c.favorite_counts.invalidate_all();
        }
        Stale::ProfileEdited => {
            c.accounts.invalidate_all();
            c.articles.invalidate_all();
            c.summaries.invalidate_all();
            c.comments.invalidate_all();
            c.profiles.invalidate_all();
            c.api_articles.invalidate_all();
            all_article_pages_changed(c);
            lists_changed(c);
        }
        Stale::Follow { follower } => {
            c.marks.invalidate(follower).await;
            c.feeds.invalidate_all();
        }
        Stale::Account { id } => {
            c.accounts.invalidate(id).await;
            c.sessions.invalidate(id).await;
            c.live_tokens.invalidate(id).await;
        }
        Stale::Unread { users } => {
            for user in users {
                c.unread.invalidate(user).await;
            }
        }
        Stale::SiteSettings => c.site_settings.invalidate_all(),
        Stale::Webhooks => c.webhooks.invalidate_all(),
        Stale::Tags => {
            c.articles.invalidate_all();
            c.summaries.invalidate_all();
            c.api_articles.invalidate_all();
            all_article_pages_changed(c);
            lists_changed(c);
        }
        Stale::Everything => everything(c),
    }
}

/// A new article with `tags`: the popular list is kept when it already names them all
/// (no other tag can enter or leave it), so that a busy site does not count every tag
/// use again after each new article.
async fn popular_tags_gain(c: &Caches, tags: Option<&[String]>) {
    let cached = c.tags.peek(&()).await;
    let known = match (tags, &cached) {
        (Some(tags), Some(list)) => tags.iter().all(|tag| list.contains(tag)),
        _ => false,
    };
    if !known {
        c.tags.invalidate_all();
    }
}

async fn article_edited(c: &Caches, id: i32, slug: &String) {
    c.articles.invalidate(&id).await;
    c.summaries.invalidate(&id).await;
    c.api_articles.invalidate(slug).await;
    article_pages_changed(c, slug).await;
    lists_changed(c);
}

/// Drops every entry of every cache, and tells live connections to reload all.
pub fn everything(c: &Caches) {
    c.accounts.invalidate_all();
    c.site_settings.invalidate_all();
    c.webhooks.invalidate_all();
    c.sessions.invalidate_all();
    c.bearers.invalidate_all();
    c.token_grants.invalidate_all();
    c.live_tokens.invalidate_all();
    c.marks.invalidate_all();
    c.unread.invalidate_all();
    c.articles.invalidate_all();
    c.summaries.invalidate_all();
    c.slugs.invalidate_all();
    c.comments.invalidate_all();
    c.markdown.invalidate_all();
    c.bodies.invalidate_all();
    c.profiles.invalidate_all();
    c.api_articles.invalidate_all();
    all_article_pages_changed(c);
    c.graphql.invalidate_all();
    lists_changed(c);
    c.signals.send(&Stale::Everything);
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
    c.documents.invalidate_all();
    c.searches.invalidate_all();
}

/// The article page of `slug`, as readers with and without a session get it.
async fn article_pages_changed(c: &Caches, slug: &String) {
    c.article_pages.invalidate(slug).await;
    c.member_article_pages.invalidate(slug).await;
}

fn all_article_pages_changed(c: &Caches) {
    c.article_pages.invalidate_all();
    c.member_article_pages.invalidate_all();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    async fn with_popular(names: &[&str]) -> Caches {
        let c = Caches::new(8, Duration::from_secs(300));
        let list: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        c.tags
            .get_or_load((), || async { Ok(Arc::new(list.clone())) })
            .await
            .expect("loaded");
        c
    }

    fn created(tags: Option<&[&str]>) -> Stale {
        Stale::ArticleCreated {
            tags: tags.map(|t| t.iter().map(|n| n.to_string()).collect()),
        }
    }

    #[tokio::test]
    async fn a_new_article_with_known_tags_keeps_the_popular_list() {
        let c = with_popular(&["rust", "web"]).await;
        apply(&c, &created(Some(&["web"]))).await;
        assert!(c.tags.peek(&()).await.is_some(), "kept");
        apply(&c, &created(Some(&[]))).await;
        assert!(c.tags.peek(&()).await.is_some(), "kept without tags");
    }

    #[tokio::test]
    async fn a_new_tag_or_unknown_tags_drop_the_popular_list() {
        let c = with_popular(&["rust", "web"]).await;
        apply(&c, &created(Some(&["web", "brand-new"]))).await;
        assert!(c.tags.peek(&()).await.is_none(), "a new tag must show");
        let c = with_popular(&["rust"]).await;
        apply(&c, &created(None)).await;
        assert!(c.tags.peek(&()).await.is_none(), "tags not known");
    }

    /// A message from an instance that did not send tags yet still drops the list.
    #[test]
    fn an_article_created_message_without_tags_reads_as_unknown() {
        let stale: Stale = serde_json::from_str(r#"{"k":"article_created"}"#).expect("parsed");
        assert_eq!(stale, Stale::ArticleCreated { tags: None });
    }
}
