//! A page of one reader's feed as the `feeds` store keeps it.

use std::sync::Arc;

use super::marked::Marked;
use super::packed::Packed;

/// One page of a reader's feed: its article ids and the feed's length, and once an
/// answer was composed of them, its entries, compressed.
#[derive(Debug)]
pub struct FeedPage {
    /// Newest first.
    pub ids: Arc<Vec<i32>>,
    /// Articles in the whole feed.
    pub total: i64,
    /// The `summaries` entries of `ids` joined ([`Marked::join`]) and packed, with the
    /// version of those entries they were read at ([`super::Store::version`]): reused
    /// while it stands, so a warm feed answer reads no entry, even once the shared
    /// store let them go for room.
    entries: Option<(u64, Packed)>,
}

impl FeedPage {
    /// A page of `ids` in a feed of `total` articles.
    pub fn new(ids: Arc<Vec<i32>>, total: i64) -> Self {
        Self {
            ids,
            total,
            entries: None,
        }
    }

    /// This page with `entries`, its `summaries` entries joined, read after their
    /// version was `version`; `None` if they cannot be packed.
    pub fn with_entries(&self, version: u64, entries: &Marked) -> Option<Self> {
        Some(Self {
            ids: Arc::clone(&self.ids),
            total: self.total,
            entries: Some((version, Packed::of(entries)?)),
        })
    }

    /// The entries kept, if read at `version` of the `summaries` entries of `ids`.
    pub fn entries_at(&self, version: u64) -> Option<Arc<Marked>> {
        match &self.entries {
            Some((at, packed)) if *at == version => packed.unpack(),
            _ => None,
        }
    }

    /// Bytes held besides the ids, for the caches' byte budget.
    pub fn entries_weight(&self) -> u64 {
        self.entries
            .as_ref()
            .map_or(0, |(_, packed)| packed.weight())
    }
}
