//! A page of one reader's feed as the `feeds` store keeps it.

use std::sync::{Arc, Weak};

use super::marked::Marked;

/// One page of a reader's feed: its article ids and the feed's length, and the shared
/// fragments of those articles once an answer was composed of them.
#[derive(Debug)]
pub struct FeedPage {
    /// Newest first.
    pub ids: Arc<Vec<i32>>,
    /// Articles in the whole feed.
    pub total: i64,
    /// The `summaries` entries of `ids`, in order, with the generation of that store
    /// they were read at: reused while it stands, so a warm feed answer costs one
    /// look-up, not one per article. Held weakly: a page must not keep a fragment alive
    /// after the `summaries` store let it go for room, or thousands of members' pages
    /// would hold far more than that store's budget outside any budget.
    parts: std::sync::Mutex<Option<(u64, WeakParts)>>,
}

/// The shared fragments a feed page is composed of.
pub type FeedParts = Arc<[Arc<Marked>]>;

/// Those fragments as a page keeps them.
type WeakParts = Box<[Weak<Marked>]>;

impl FeedPage {
    /// A page of `ids` in a feed of `total` articles.
    pub fn new(ids: Arc<Vec<i32>>, total: i64) -> Self {
        Self {
            ids,
            total,
            parts: std::sync::Mutex::new(None),
        }
    }

    /// The fragments kept at `generation` of the `summaries` store, if all of them are
    /// still alive.
    pub fn parts_at(&self, generation: u64) -> Option<FeedParts> {
        let kept = self.parts.lock().ok()?;
        let (at, parts) = kept.as_ref()?;
        if *at != generation {
            return None;
        }
        parts.iter().map(Weak::upgrade).collect()
    }

    /// Keeps `parts`, read from `summaries` after its generation was `generation`.
    pub fn keep_parts(&self, generation: u64, parts: &FeedParts) {
        if let Ok(mut kept) = self.parts.lock() {
            *kept = Some((generation, parts.iter().map(Arc::downgrade).collect()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(text: &str) -> Arc<Marked> {
        Marked::new(text.as_bytes().to_vec(), Vec::new())
    }

    /// The page must not keep a fragment alive once the `summaries` store dropped it:
    /// thousands of members' pages holding dropped fragments weighed several times
    /// that store's budget, outside every budget.
    #[test]
    fn kept_parts_hold_no_fragment_the_store_let_go() {
        let page = FeedPage::new(Arc::new(vec![1, 2]), 2);
        let (first, second) = (fragment("{}"), fragment("[]"));
        let parts: FeedParts = vec![Arc::clone(&first), Arc::clone(&second)].into();
        page.keep_parts(7, &parts);
        drop(parts);
        let again = page.parts_at(7).expect("both fragments are alive");
        assert!(Arc::ptr_eq(&again[0], &first) && Arc::ptr_eq(&again[1], &second));
        drop(again);
        assert!(page.parts_at(8).is_none(), "another generation");
        drop(second);
        assert!(page.parts_at(7).is_none(), "a fragment is gone");
        assert_eq!(Arc::strong_count(&first), 1);
    }
}
