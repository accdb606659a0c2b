//! Who listens to which events, as one value the caches hold: every write that raises an
//! event asks which webhooks want it, and on most sites the answer is "none", so asking
//! the database each time cost every comment, article and follow a round trip.
//!
//! An application write is handed the cached [`Directory`] before it starts (see
//! [`WriteScope`]); without one, the first event of the write loads it inside the
//! transaction, in place of the per-owner query it replaces, and the write hands it back
//! to the cache. Webhooks are created and deleted through the
//! application layer, which drops the cached directory on every instance (`Stale::Webhooks`).
//! Writes outside it (jobs, the command line) ask the database per owner, as before.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use diesel::prelude::*;

use super::EVENTS;
use crate::db::DbConnection;
use crate::db::schema::webhooks;

/// Most webhooks one cached directory holds. A site with more asks the database per
/// write, as it always did (the directory then only says so).
pub const MAX_CACHED: i64 = 4_000;

/// One webhook: its id and the events it wants, one bit per entry of [`EVENTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hook {
    id: i32,
    events: u8,
}

/// Every webhook of the site, by owner, or the fact that there are too many to hold.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Directory {
    by_owner: HashMap<i32, Vec<Hook>>,
    site_wide: Vec<Hook>,
    /// More than [`MAX_CACHED`]: the maps are empty and every question goes to the
    /// database.
    too_many: bool,
}

fn event_bit(event: &str) -> Option<u8> {
    EVENTS.iter().position(|e| *e == event).map(|i| 1 << i)
}

impl Directory {
    /// Reads the whole webhooks table (at most [`MAX_CACHED`] rows of it).
    pub fn load(conn: &mut DbConnection) -> QueryResult<Self> {
        let rows: Vec<(i32, i32, String, bool)> = webhooks::table
            .select((
                webhooks::id,
                webhooks::user_id,
                webhooks::events,
                webhooks::site_wide,
            ))
            .limit(MAX_CACHED + 1)
            .load(conn)?;
        Ok(Self::of(rows))
    }

    /// The directory of `(id, owner, comma-separated events, site-wide)` rows.
    fn of(rows: Vec<(i32, i32, String, bool)>) -> Self {
        let mut directory = Self::default();
        if rows.len() as i64 > MAX_CACHED {
            directory.too_many = true;
            return directory;
        }
        for (id, owner, events, site_wide) in rows {
            let events = events
                .split(',')
                .filter_map(event_bit)
                .fold(0, |a, b| a | b);
            let hook = Hook { id, events };
            if site_wide {
                directory.site_wide.push(hook);
            } else {
                directory.by_owner.entry(owner).or_default().push(hook);
            }
        }
        directory
    }

    /// The ids of the webhooks that want `event` about `owner`'s things (the owner's own
    /// and the site-wide ones), ascending; `None` when this directory cannot tell.
    fn listening(&self, owner: i32, event: &str) -> Option<Vec<i32>> {
        if self.too_many {
            return None;
        }
        let Some(bit) = event_bit(event) else {
            return Some(Vec::new());
        };
        let own = self.by_owner.get(&owner).map_or(&[][..], Vec::as_slice);
        let mut ids: Vec<i32> = own
            .iter()
            .chain(&self.site_wide)
            .filter(|h| h.events & bit != 0)
            .map(|h| h.id)
            .collect();
        ids.sort_unstable();
        Some(ids)
    }

    /// Whether this directory can tell that no webhook wants `event` about `owner`'s
    /// things (so that raising it costs no statement).
    pub fn quiet(&self, owner: i32, event: &str) -> bool {
        self.listening(owner, event)
            .is_some_and(|ids| ids.is_empty())
    }

    /// Rough bytes held, for the cache's budget.
    pub fn weight(&self) -> u64 {
        let hooks: usize =
            self.by_owner.values().map(Vec::len).sum::<usize>() + self.site_wide.len();
        64 + 64 * self.by_owner.len() as u64 + 8 * hooks as u64
    }
}

/// What the application write running on this thread knows of the directory.
#[derive(Default)]
struct Known {
    /// Inside an application write.
    active: bool,
    /// The directory, cached or loaded by this write.
    directory: Option<Arc<Directory>>,
    /// Loaded by this write: handed back to the cache.
    loaded: bool,
}

thread_local! {
    /// A write runs on one thread from start to commit (as `events::TOLD` does).
    static KNOWN: RefCell<Known> = RefCell::default();
}

/// An application write on this thread, from its start to its end (also by a panic:
/// the thread then forgets the directory, which may be another database's in tests).
pub struct WriteScope(());

impl WriteScope {
    /// Starts a write with the cached directory, if any; `caching` false (a process
    /// that caches nothing) asks the database per owner instead.
    pub fn begin(caching: bool, cached: Option<Arc<Directory>>) -> Self {
        KNOWN.with(|k| {
            *k.borrow_mut() = Known {
                active: caching,
                directory: cached,
                loaded: false,
            }
        });
        Self(())
    }

    /// Ends the write: the directory it loaded, for the cache.
    pub fn finish(self) -> Option<Arc<Directory>> {
        KNOWN.with(|k| {
            let k = k.borrow();
            k.directory.clone().filter(|_| k.loaded)
        })
    }
}

impl Drop for WriteScope {
    fn drop(&mut self) {
        KNOWN.with(|k| *k.borrow_mut() = Known::default());
    }
}

/// The ids of the webhooks that want `event` about `owner`'s things, ascending.
pub fn listening(conn: &mut DbConnection, owner: i32, event: &str) -> QueryResult<Vec<i32>> {
    let (active, known) = KNOWN.with(|k| {
        let k = k.borrow();
        (k.active, k.directory.clone())
    });
    let directory = match (active, known) {
        (_, Some(directory)) => Some(directory),
        (true, None) => {
            let loaded = Arc::new(Directory::load(conn)?);
            KNOWN.with(|k| {
                let mut k = k.borrow_mut();
                k.directory = Some(Arc::clone(&loaded));
                k.loaded = true;
            });
            Some(loaded)
        }
        (false, None) => None,
    };
    if let Some(ids) = directory.and_then(|d| d.listening(owner, event)) {
        return Ok(ids);
    }
    let mut ids: Vec<i32> = super::listening(conn, owner, event)?
        .into_iter()
        .map(|h| h.id)
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i32, owner: i32, events: &str, site_wide: bool) -> (i32, i32, String, bool) {
        (id, owner, events.to_owned(), site_wide)
    }

    #[test]
    fn owners_get_their_own_and_the_site_wide_hooks_for_the_events_they_chose() {
        let d = Directory::of(vec![
            row(1, 10, "comment.created,user.followed", false),
            row(2, 10, "article.published", false),
            row(3, 11, "comment.created", false),
            row(4, 99, "comment.created,article.deleted", true),
        ]);
        assert_eq!(d.listening(10, "comment.created"), Some(vec![1, 4]));
        assert_eq!(d.listening(10, "article.published"), Some(vec![2]));
        assert_eq!(d.listening(11, "user.followed"), Some(vec![]));
        assert_eq!(d.listening(12, "article.deleted"), Some(vec![4]));
        assert_eq!(d.listening(12, "article.updated"), Some(vec![]));
        assert_eq!(d.listening(10, "no.such.event"), Some(vec![]));
    }

    #[test]
    fn a_directory_too_large_to_hold_cannot_tell() {
        let rows = (0..=MAX_CACHED as i32)
            .map(|id| row(id, id, "comment.created", false))
            .collect();
        let d = Directory::of(rows);
        assert_eq!(d.listening(1, "comment.created"), None);
        assert_eq!(d.weight(), 64);
    }

    #[test]
    fn every_event_has_a_bit() {
        let bits: Vec<u8> = EVENTS.iter().filter_map(|e| event_bit(e)).collect();
        assert_eq!(bits.len(), EVENTS.len());
        assert!(EVENTS.len() <= 8, "the events must fit in a u8");
    }
}
