//! A page of one reader's feed as the `feeds` store keeps it.

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::web::Bytes;

use super::marked::Marked;
use super::packed::Packed;
use crate::domain::articles::PageRequest;
use crate::domain::visibility::ViewerMarks;

/// One page of a reader's feed: its article ids and the feed's length, and once an
/// answer was composed of them, its entries, compressed.
#[derive(Debug)]
pub struct FeedPage {
    /// Which page of the feed it is.
    pub page: PageRequest,
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
    /// The page `page`, of `ids`, in a feed of `total` articles.
    pub fn new(page: PageRequest, ids: Arc<Vec<i32>>, total: i64) -> Self {
        Self {
            page,
            ids,
            total,
            entries: None,
        }
    }

    /// This page with `entries`, its `summaries` entries joined, read after their
    /// version was `version`; `None` if they cannot be packed.
    pub fn with_entries(&self, version: u64, entries: &Marked) -> Option<Self> {
        Some(Self {
            page: self.page,
            ids: Arc::clone(&self.ids),
            total: self.total,
            entries: Some((version, Packed::of(entries)?)),
        })
    }

    /// Whether it keeps its entries as read at `version` of the `summaries` entries of
    /// `ids`.
    pub fn kept_at(&self, version: u64) -> bool {
        matches!(&self.entries, Some((at, _)) if *at == version)
    }

    /// Bytes held besides the ids, for the caches' byte budget.
    pub fn entries_weight(&self) -> u64 {
        self.entries
            .as_ref()
            .map_or(0, |(_, packed)| packed.weight())
    }
}

/// The entries of a feed page, as an answer is composed of them.
pub enum FeedEntries {
    /// Kept with the page (see [`FeedPage::kept_at`]).
    Kept(Arc<FeedPage>),
    /// Read for this answer, joined.
    Read(Arc<Marked>),
}

impl FeedEntries {
    /// A 200 of `open`, the entries with `reader`'s marks, then `close`, as
    /// `content_type`, with its ETag (the same whichever way the entries came); `None`
    /// if kept entries do not unpack.
    pub fn respond(
        &self,
        open: &[u8],
        close: &[u8],
        reader: &ViewerMarks,
        content_type: &'static str,
    ) -> Option<HttpResponse> {
        let len = match self {
            FeedEntries::Kept(page) => page.entries.as_ref()?.1.len(),
            FeedEntries::Read(entries) => entries.bytes().len(),
        };
        let mut out = Vec::with_capacity(open.len() + len + close.len());
        let mut tag = Vec::with_capacity(open.len() + 64 + close.len());
        out.extend_from_slice(open);
        tag.extend_from_slice(open);
        match self {
            FeedEntries::Kept(page) => {
                page.entries
                    .as_ref()?
                    .1
                    .write_for(&mut out, &mut tag, reader)?;
            }
            FeedEntries::Read(entries) => entries.write_for(&mut out, &mut tag, reader),
        }
        out.extend_from_slice(close);
        tag.extend_from_slice(close);
        Some(Marked::respond(
            content_type,
            &super::etag_for(&tag),
            Bytes::from(out),
        ))
    }
}
