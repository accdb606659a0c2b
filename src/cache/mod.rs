//! In-memory caches, owned by the application state.
//!
//! Shared content is cached once: articles as an anonymous reader sees them, comment
//! threads, profiles, list pages (as ids), counts, the tag list, rendered Markdown (by
//! content hash), the API's anonymous responses, the article pages of readers without a
//! session and the one members share ([`stencil`]). Beside it, each signed-in reader's
//! overlay is cached under their id (account, marks, unread count, live sessions, a
//! feed page's ids) and written into the shared content per request (favorited,
//! following, the navbar, the CSRF token), so no viewer can see another's. Every store
//! is bounded in bytes (see `weights`) and lives for at most the TTL.
//! Writes (all in `crate::app`) name what they make stale ([`Stale`]); it is dropped
//! here after the commit and on every other process through [`broadcast`] and
//! [`listener`], which also close the caches ([`Gate`]) while this process could be
//! missing invalidations.

mod account;
mod body;
pub mod broadcast;
mod feed_page;
pub mod invalidate;
pub mod listener;
pub mod marked;
mod packed;
pub mod signals;
mod slot;
pub mod stencil;
mod store;
mod weights;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::domain::access_tokens::Grant;
use crate::domain::articles::{ArticleFilter, ArticleView, Cursor, PageRequest};
use crate::domain::comments::CommentView;
use crate::domain::profiles::Profile;
use crate::domain::visibility::ViewerMarks;
pub use account::{Account, Verified};
pub use body::{CachedBody, accepts_gzip, etag_for};
pub use feed_page::{FeedEntries, FeedPage};
pub use invalidate::Stale;
use marked::Marked;
use stencil::ArticleStencil;
pub use store::{Gate, Store};
use weights::{
    ENTRY_OVERHEAD, SLOT_WEIGHT, account_weight, article_weight, clamp, filter_weight,
    list_key_weight, profile_weight, text,
};

/// A page of a list, as a cache key: the filter and the window.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListKey {
    /// Which articles.
    pub filter: ArticleFilter,
    /// Page size.
    pub limit: i64,
    /// Rows skipped (when no cursor).
    pub offset: i64,
    /// Keyset position.
    pub after: Option<Cursor>,
}

impl ListKey {
    /// The key of `page` of the articles `filter` matches.
    pub fn of(filter: &ArticleFilter, page: PageRequest) -> Self {
        Self {
            filter: filter.clone(),
            limit: page.limit,
            offset: page.offset,
            after: page.after,
        }
    }
}

/// A GraphQL query as one viewer sent it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GraphqlKey {
    /// The first half of the SHA-256 of the viewer's token (`None`: anonymous). The
    /// token, not the account: an answer may show the token it was asked with.
    pub viewer: Option<[u8; 16]>,
    /// The query, the operation's name and the variables.
    pub request: String,
}

/// A profile as everyone sees it, with the id needed to add the viewer's following state.
#[derive(Debug, Clone)]
pub struct SharedProfile {
    /// The user's id.
    pub id: i32,
    /// Public fields, `following` false.
    pub profile: Profile,
}

/// Every cache of the application. Cloning the state shares them (`Arc`).
pub struct Caches {
    /// Open while this instance hears every invalidation (see [`Gate`]).
    gate: Arc<Gate>,
    /// Article id → the article as everyone sees it (row, tags, author).
    pub articles: Store<i32, Arc<ArticleView>>,
    /// Slug → article id (slugs never change; deleted articles are dropped).
    pub slugs: Store<String, i32>,
    /// Slug → its comments, oldest first, as everyone sees them.
    pub comments: Store<String, Arc<Vec<CommentView>>>,
    /// Content hash of a Markdown body → its safe HTML.
    pub markdown: Store<u128, Arc<str>>,
    /// A published article's body version (id, `updated_at`, which every edit moves
    /// forward) → its safe HTML, the same `Arc` as in `markdown`: a warm article page
    /// looks its body up without hashing it. Versions never change, so nothing drops
    /// these but age and room.
    pub bodies: Store<(i32, chrono::NaiveDateTime), Arc<str>>,
    /// A page of a list without a `favorited` filter → article ids.
    pub lists: Store<ListKey, Arc<Vec<i32>>>,
    /// A page of a `favorited` list → article ids (dropped on every favorite change).
    pub favorite_lists: Store<ListKey, Arc<Vec<i32>>>,
    /// Filter without `favorited` → matching article count, shared by all its pages.
    pub counts: Store<ArticleFilter, i64>,
    /// `favorited` filter → matching article count.
    pub favorite_counts: Store<ArticleFilter, i64>,
    /// Username → profile.
    pub profiles: Store<String, Arc<SharedProfile>>,
    /// A page of one reader's feed (the key's `feed_of`) → its ids and length.
    pub feeds: Store<ListKey, Arc<FeedPage>>,
    /// The popular tags.
    pub tags: Store<(), Arc<Vec<String>>>,
    /// The admin area's site settings (one entry).
    pub site_settings: Store<(), Arc<crate::domain::site_settings::SiteSettings>>,
    /// Every webhook of the site, by owner and event: what each write that raises an
    /// event asks (one entry).
    pub webhooks: Store<(), Arc<crate::domain::webhooks::listeners::Directory>>,
    /// The featured articles' ids, as anonymous readers see them.
    pub featured: Store<(), Arc<Vec<i32>>>,
    /// User id → the account row, as signed-in requests check it (role, suspension, a
    /// required password reset) and show it (name, picture), with the member's marks,
    /// unread count and live sessions at hand ([`Account`]).
    pub accounts: Store<i32, Arc<Account>>,
    /// User id → the key hashes of that member's live browser sessions, which every
    /// signed-in page checks its own against (so ending a session ends it at once).
    pub sessions: Store<i32, Arc<HashSet<String>>>,
    /// The first half of the SHA-256 of a verified API token (a JWT) → whom it speaks
    /// for and until when (facts of the token's bytes: nothing drops these but age,
    /// room and the token's own expiry, see `app::bearers`), with its account at hand
    /// ([`Verified`]).
    pub bearers: Store<[u8; 16], Arc<Verified>>,
    /// SHA-256 of an access token's secret → what it grants (facts that never change;
    /// only unrevoked tokens are loaded).
    pub token_grants: Store<String, Arc<Grant>>,
    /// User id → the ids of their live access tokens: a token works only while it is
    /// here, so creating or revoking one drops its owner's entry (`Stale::Account`).
    pub live_tokens: Store<i32, Arc<Vec<i32>>>,
    /// User id → what that reader's view of shared content depends on (follows,
    /// favorites, own hidden content).
    pub marks: Store<i32, Arc<ViewerMarks>>,
    /// User id → unread notifications, for the navbar.
    pub unread: Store<i32, i64>,
    /// `GET /api/articles/{slug}` as anonymous readers get it, with where a signed-in
    /// reader's marks go.
    pub api_articles: Store<String, Arc<Marked>>,
    /// `GET /api/articles?…` likewise.
    pub api_lists: Store<ListKey, Arc<Marked>>,
    /// Article id → its API list entry (no body), with where a reader's marks go: the
    /// fragments readers' feeds are composed of.
    pub summaries: Store<i32, Arc<Marked>>,
    /// Slug → the article page as an anonymous reader without a session sees it.
    pub article_pages: Store<String, Arc<CachedBody>>,
    /// Slug → the article page as signed-in readers share it, with the places where
    /// each one's own parts go (dropped with `article_pages`).
    pub member_article_pages: Store<String, Arc<ArticleStencil>>,
    /// Path → a document made of the lists everyone sees: RSS and Atom feeds, sitemaps.
    pub documents: Store<String, Arc<CachedBody>>,
    /// A search as anonymous readers run it (engine query, filters, page) → its hits
    /// and count.
    pub searches: Store<String, Arc<crate::domain::search::Found>>,
    /// GraphQL query answers as sent, per viewer. A query may read anything, so every
    /// change drops them all: they serve the same query asked again between writes.
    pub graphql: Store<GraphqlKey, actix_web::web::Bytes>,
    /// Every change applied here, announced to this process's live connections.
    pub signals: signals::Signals,
}

/// Lists deeper than this many rows are not cached: crawlers walking every page would
/// only push the first pages out.
pub const MAX_CACHED_OFFSET: i64 = 200;

/// Longest the popular tag list is kept: new articles whose tags it already names leave
/// it in place (see [`Stale::ArticleCreated`]), so its order is refreshed this often.
pub const TAGS_TTL: Duration = Duration::from_secs(30);

impl Caches {
    /// Caches sharing `max_mb` MiB between them (0 turns them all off), entries living at
    /// most `ttl`.
    pub fn new(max_mb: u32, ttl: Duration) -> Self {
        let budget = u64::from(max_mb) * 1024 * 1024;
        // Shares of the budget, per mille. Members' feed pages take the most: at the
        // default budget they keep 10,000 members' first pages at 1,000,000 articles
        // (about 3.8 KB each, their entries packed), since a member's feed is theirs alone.
        let share = |permille: u64| budget * permille / 1000;
        let gate = Gate::new(true);
        let g = &gate;
        Self {
            articles: Store::new("articles", share(36), ttl, g, |_, v| {
                clamp(ENTRY_OVERHEAD + article_weight(v))
            }),
            slugs: Store::new("slugs", share(18), ttl, g, |k, _| {
                clamp(ENTRY_OVERHEAD + text(k) + 4)
            }),
            comments: Store::new("comments", share(30), ttl, g, |k, v| {
                let each: u64 = v
                    .iter()
                    .map(|c| 64 + text(&c.comment.body) + profile_weight(&c.author))
                    .sum();
                clamp(ENTRY_OVERHEAD + text(k) + each)
            }),
            markdown: Store::new("markdown", share(12), ttl, g, |_, v| {
                clamp(ENTRY_OVERHEAD + 16 + text(v))
            }),
            // Weighed as if the HTML were its own, though it is shared with `markdown`.
            bodies: Store::new("bodies", share(12), ttl, g, |_, v| {
                clamp(ENTRY_OVERHEAD + 16 + text(v))
            }),
            lists: Store::new("lists", share(18), ttl, g, |k, v| {
                clamp(ENTRY_OVERHEAD + list_key_weight(k) + 4 * v.len() as u64)
            }),
            favorite_lists: Store::new("favorite_lists", share(6), ttl, g, |k, v| {
                clamp(ENTRY_OVERHEAD + list_key_weight(k) + 4 * v.len() as u64)
            }),
            counts: Store::new("counts", share(6), ttl, g, |k, _| {
                clamp(ENTRY_OVERHEAD + filter_weight(k) + 8)
            }),
            favorite_counts: Store::new("favorite_counts", share(6), ttl, g, |k, _| {
                clamp(ENTRY_OVERHEAD + filter_weight(k) + 8)
            }),
            profiles: Store::new("profiles", share(18), ttl, g, |k, v| {
                clamp(ENTRY_OVERHEAD + text(k) + 4 + profile_weight(&v.profile))
            }),
            feeds: Store::new("feeds", share(482), ttl, g, |k, v| {
                let ids = 24 + 4 * v.ids.len() as u64;
                let page = size_of::<PageRequest>() as u64;
                clamp(ENTRY_OVERHEAD + list_key_weight(k) + 40 + page + ids + v.entries_weight())
            }),
            tags: Store::new("tags", share(6), ttl.min(TAGS_TTL), g, |_, v| {
                clamp(ENTRY_OVERHEAD + v.iter().map(|t| text(t)).sum::<u64>())
            }),
            // One small entry: a fixed few KiB, unless caching is off altogether.
            site_settings: Store::new("site_settings", budget.min(4096), ttl, g, |_, _| {
                clamp(ENTRY_OVERHEAD + 16)
            }),
            // One entry of at most `listeners::MAX_CACHED` webhooks (under 300 KiB), in a
            // fixed 512 KiB beside the shares, unless caching is off altogether.
            webhooks: Store::new("webhooks", budget.min(512 * 1024), ttl, g, |_, v| {
                clamp(ENTRY_OVERHEAD + v.weight())
            }),
            featured: Store::new("featured", share(6), ttl, g, |_, v| {
                clamp(ENTRY_OVERHEAD + 4 * v.len() as u64)
            }),
            // 10,000 members' accounts at the default budget, with their slots.
            accounts: Store::new("accounts", share(84), ttl, g, |_, v| {
                clamp(ENTRY_OVERHEAD + 4 + account_weight(&v.user) + 4 * SLOT_WEIGHT)
            }),
            sessions: Store::new("sessions", share(12), ttl, g, |_, v| {
                clamp(ENTRY_OVERHEAD + 4 + 48 + v.iter().map(|k| 16 + text(k)).sum::<u64>())
            }),
            // 10,000 members' tokens at the default budget (224 B each).
            bearers: Store::new("bearers", share(28), ttl, g, |_, _| {
                clamp(ENTRY_OVERHEAD + 16 + 16 + SLOT_WEIGHT)
            }),
            // Six per mille between them: two thirds for the grants (~300 B each), a
            // third for the live sets (~200 B).
            token_grants: Store::new("token_grants", share(12) / 3, ttl, g, |k, _| {
                clamp(ENTRY_OVERHEAD + text(k) + 64)
            }),
            live_tokens: Store::new("live_tokens", share(6) / 3, ttl, g, |_, v| {
                clamp(ENTRY_OVERHEAD + 4 + 24 + 4 * v.len() as u64)
            }),
            marks: Store::new("marks", share(48), ttl, g, |_, v| {
                let favorites = v.favorites.as_ref().map_or(0, Vec::len);
                clamp(ENTRY_OVERHEAD + 4 + 56 + 4 * (v.follows.len() + favorites) as u64)
            }),
            unread: Store::new("unread", share(24), ttl, g, |_, _| {
                clamp(ENTRY_OVERHEAD + 4 + 8)
            }),
            api_articles: Store::new("api_articles", share(30), ttl, g, |k, v| {
                clamp(ENTRY_OVERHEAD + text(k) + v.weight())
            }),
            api_lists: Store::new("api_lists", share(30), ttl, g, |k, v| {
                clamp(ENTRY_OVERHEAD + list_key_weight(k) + v.weight())
            }),
            summaries: Store::new("summaries", share(20), ttl, g, |_, v| {
                clamp(ENTRY_OVERHEAD + 4 + v.weight())
            }),
            article_pages: Store::new("article_pages", share(24), ttl, g, |k, v| {
                clamp(ENTRY_OVERHEAD + text(k) + v.weight() as u64 + 40)
            }),
            member_article_pages: Store::new("member_article_pages", share(24), ttl, g, |k, v| {
                clamp(ENTRY_OVERHEAD + text(k) + v.weight())
            }),
            documents: Store::new("documents", share(6), ttl, g, |k, v| {
                clamp(ENTRY_OVERHEAD + text(k) + v.weight() as u64 + 40)
            }),
            searches: Store::new("searches", share(6), ttl, g, |k, v| {
                let hits: u64 = v.hits.iter().map(|h| 8 + text(&h.snippet)).sum();
                clamp(ENTRY_OVERHEAD + text(k) + 32 + hits)
            }),
            graphql: Store::new("graphql", share(6), ttl, g, |k, v| {
                clamp(ENTRY_OVERHEAD + 24 + text(&k.request) + v.len() as u64)
            }),
            gate,
            signals: signals::Signals::default(),
        }
    }

    /// Stops serving from the caches and drops every entry: this instance may be missing
    /// invalidations (its listener lost the database). Reads go to the database meanwhile.
    pub fn suspend(&self) {
        self.gate.set(false);
        invalidate::everything(self);
    }

    /// Drops every entry again, then serves from the caches: called once the listener is
    /// back, so nothing loaded before it was listening survives.
    pub fn resume(&self) {
        invalidate::everything(self);
        self.gate.set(true);
    }

    /// True while the caches are in use (false during a listener outage).
    pub fn coherent(&self) -> bool {
        self.gate.is_open()
    }

    /// Drops everything (tests that count statements start from a cold cache).
    pub fn clear(&self) {
        invalidate::everything(self);
    }

    /// Entries and bytes held, per cache, for `/metrics`.
    pub async fn usage(&self) -> Vec<(&'static str, u64, u64)> {
        let mut out = Vec::new();
        macro_rules! each {
            ($($store:ident),*) => {$(
                let (entries, bytes) = self.$store.usage().await;
                out.push((self.$store.name(), entries, bytes));
            )*};
        }
        each!(
            articles,
            slugs,
            comments,
            markdown,
            bodies,
            lists,
            favorite_lists,
            counts,
            favorite_counts,
            profiles,
            feeds,
            accounts,
            sessions,
            bearers,
            token_grants,
            live_tokens,
            marks,
            unread,
            tags,
            webhooks,
            featured,
            api_articles,
            api_lists,
            summaries,
            article_pages,
            member_article_pages,
            documents,
            searches,
            graphql
        );
        out
    }
}

/// Publishes the entry gauges (counters are counted as they happen).
pub async fn record_usage(caches: &Caches) {
    for (name, entries, bytes) in caches.usage().await {
        metrics::gauge!("cache_entries", "cache" => name).set(entries as f64);
        metrics::gauge!("cache_weighted_bytes", "cache" => name).set(bytes as f64);
    }
}
