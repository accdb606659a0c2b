//! What one live connection watches, and the difference each reload makes: the state a
//! page showed (or the client said it has, through `Last-Event-ID`), compared with what
//! the viewer may see now, read through the application layer.

use std::collections::BTreeSet;

use crate::app::{App, reads, viewer};
use crate::cache::Stale;
use crate::domain::articles::{ArticleFilter, PageRequest};
use crate::domain::comments::CommentView;
use crate::error::{AppError, AppResult};

/// Articles of the Global Feed looked at for "new articles": more than this many new
/// ones show as "this many or more".
pub const FEED_WINDOW: i64 = 50;

/// The content a stream follows, besides the viewer's unread count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    /// The comments of article `slug`; the client holds those up to comment `after`.
    Article {
        /// The article.
        slug: String,
        /// The newest comment id the client has (0: none).
        after: i32,
    },
    /// The Global Feed; the client shows it down from article `newest`.
    GlobalFeed {
        /// The newest article the client shows (`None`: the feed was empty).
        newest: Option<i32>,
    },
}

/// One thing to tell the client.
#[derive(Debug, Clone)]
pub enum Change {
    /// The ids of every comment the viewer may see now (sent on connecting, so that a
    /// client resuming after a drop removes those deleted meanwhile).
    CommentIds {
        /// Oldest first.
        ids: Vec<i32>,
        /// The newest comment id sent so far (the event id).
        cursor: i32,
    },
    /// A comment the viewer may see and the client does not have.
    Comment {
        /// The comment, as the viewer sees it.
        view: Box<CommentView>,
        /// The newest comment id sent so far, this one included.
        cursor: i32,
    },
    /// A comment the client has was deleted or hidden from the viewer.
    CommentRemoved {
        /// Its id.
        id: i32,
        /// The newest comment id sent so far.
        cursor: i32,
    },
    /// The article itself is gone from the viewer's sight.
    ArticleGone,
    /// Articles published above the one the client shows.
    NewArticles {
        /// How many (at most [`FEED_WINDOW`]).
        count: usize,
        /// There may be more than `count`.
        more: bool,
        /// The newest article the client shows (the event id).
        newest: Option<i32>,
    },
    /// The viewer's unread notifications.
    Unread(i64),
    /// Nothing happened; the stream is alive.
    Heartbeat,
}

/// What must be reloaded after a signal.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// The topic's content.
    pub topic: bool,
    /// The unread count.
    pub unread: bool,
    /// Whether the viewer may still be signed in.
    pub viewer: bool,
}

impl Due {
    /// Everything (on connecting, and when signals were missed).
    pub const ALL: Due = Due {
        topic: true,
        unread: true,
        viewer: true,
    };
}

/// A connection's view of its topic and count, as last sent.
pub struct Watch {
    viewer: Option<i32>,
    topic: Option<Topic>,
    /// Comment ids the client has (article topic).
    comments: BTreeSet<i32>,
    /// Newest comment id sent.
    cursor: i32,
    /// The last "new articles" count sent.
    new_articles: Option<(usize, bool)>,
    /// The last unread count sent.
    unread: Option<i64>,
    /// Nothing was sent yet: the first reload sends the whole state.
    fresh: bool,
}

impl Watch {
    /// Watching `topic` for `viewer`.
    pub fn new(viewer: Option<i32>, topic: Option<Topic>) -> Self {
        let cursor = match &topic {
            Some(Topic::Article { after, .. }) => *after,
            _ => 0,
        };
        Self {
            viewer,
            topic,
            comments: BTreeSet::new(),
            cursor,
            new_articles: None,
            unread: None,
            fresh: true,
        }
    }

    /// What `stale` makes due for this connection.
    pub fn due(&self, stale: &Stale) -> Due {
        let mine =
            |slug: &str| matches!(&self.topic, Some(Topic::Article { slug: s, .. }) if s == slug);
        let feed = matches!(self.topic, Some(Topic::GlobalFeed { .. }));
        match stale {
            Stale::Everything => Due::ALL,
            Stale::Comments { slug } => Due {
                topic: mine(slug),
                ..Due::default()
            },
            Stale::ArticleDeleted { slug, .. } | Stale::ArticleEdited { slug, .. } => Due {
                topic: mine(slug) || feed,
                ..Due::default()
            },
            Stale::ArticleCreated { .. } => Due {
                topic: feed,
                ..Due::default()
            },
            Stale::Unread { users } => Due {
                unread: self.viewer.is_some_and(|v| users.contains(&v)),
                ..Due::default()
            },
            Stale::Account { id } => Due {
                viewer: self.viewer == Some(*id),
                ..Due::default()
            },
            Stale::Favorite { .. }
            | Stale::ProfileEdited
            | Stale::Follow { .. }
            | Stale::Tags
            | Stale::SiteSettings
            | Stale::Webhooks => Due::default(),
        }
    }

    /// Reloads what `due` names and returns what changed for the client.
    pub async fn reload(&mut self, app: &App, due: Due) -> AppResult<Vec<Change>> {
        let mut changes = Vec::new();
        if due.topic {
            match self.topic.clone() {
                Some(Topic::Article { slug, .. }) => self.thread(app, &slug, &mut changes).await?,
                Some(Topic::GlobalFeed { newest }) => self.feed(app, newest, &mut changes).await?,
                None => {}
            }
        }
        if due.unread
            && let Some(id) = self.viewer
        {
            let unread = viewer::unread(app, id).await?;
            if self.unread != Some(unread) {
                self.unread = Some(unread);
                changes.push(Change::Unread(unread));
            }
        }
        self.fresh = false;
        Ok(changes)
    }

    async fn thread(&mut self, app: &App, slug: &str, out: &mut Vec<Change>) -> AppResult<()> {
        // The article first: comments of an article the viewer may no longer see
        // (deleted, hidden, back to draft) are not theirs to see either.
        let visible = match reads::article(app, self.viewer, slug).await {
            Ok(_) => reads::comments(app, self.viewer, slug).await,
            Err(e) => Err(e),
        };
        let thread = match visible {
            Ok(thread) => thread,
            Err(AppError::NotFound(_)) => {
                for id in std::mem::take(&mut self.comments) {
                    out.push(Change::CommentRemoved {
                        id,
                        cursor: self.cursor,
                    });
                }
                out.push(Change::ArticleGone);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let now: BTreeSet<i32> = thread.iter().map(|c| c.comment.id).collect();
        if self.fresh {
            // The client has what it rendered (up to the cursor), less what was deleted
            // since: the full list of ids settles the deletions.
            out.push(Change::CommentIds {
                ids: now.iter().copied().collect(),
                cursor: self.cursor,
            });
            self.comments = now
                .iter()
                .copied()
                .filter(|id| *id <= self.cursor)
                .collect();
        } else {
            for id in self.comments.difference(&now) {
                out.push(Change::CommentRemoved {
                    id: *id,
                    cursor: self.cursor,
                });
            }
            self.comments.retain(|id| now.contains(id));
        }
        for view in thread {
            let id = view.comment.id;
            if self.comments.insert(id) {
                self.cursor = self.cursor.max(id);
                out.push(Change::Comment {
                    view: Box::new(view),
                    cursor: self.cursor,
                });
            }
        }
        Ok(())
    }

    async fn feed(
        &mut self,
        app: &App,
        newest: Option<i32>,
        out: &mut Vec<Change>,
    ) -> AppResult<()> {
        let page = PageRequest {
            limit: FEED_WINDOW,
            offset: 0,
            after: None,
        };
        let list = reads::article_list(app, self.viewer, ArticleFilter::default(), page).await?;
        let ids: Vec<i32> = list.articles.iter().map(|a| a.article.id).collect();
        // Articles listed above the client's newest are new to it; if that one is no
        // longer listed (deleted, hidden), everything in the window counts.
        let above = newest.and_then(|n| ids.iter().position(|id| *id == n));
        let counted = match above {
            Some(position) => (position, false),
            None => (ids.len(), ids.len() as i64 >= FEED_WINDOW),
        };
        if self.new_articles != Some(counted) && (counted.0 > 0 || self.new_articles.is_some()) {
            out.push(Change::NewArticles {
                count: counted.0,
                more: counted.1,
                newest,
            });
        }
        self.new_articles = Some(counted);
        Ok(())
    }
}
