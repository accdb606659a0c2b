//! Answers shared by every reader, with the places where one reader's own marks go.
//!
//! An API answer differs between readers only in two booleans per article: whether
//! the reader favorited it and whether they follow its author. The shared answer is
//! serialized once, as an anonymous reader gets it (both `false`), with the offset of
//! each of those `false`s; a signed-in reader's answer is the same bytes with `true`
//! written where their marks say so. That costs a copy, not a serialization.

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::web::Bytes;

use crate::domain::visibility::ViewerMarks;

/// One place where a reader's mark goes: the offset of a `false` literal in the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Whether the reader favorited this article.
    Favorited {
        /// Offset of the literal.
        at: usize,
        /// The article.
        article: i32,
    },
    /// Whether the reader follows this user.
    Following {
        /// Offset of the literal.
        at: usize,
        /// The user.
        user: i32,
    },
}

impl Mark {
    fn at(&self) -> usize {
        match self {
            Mark::Favorited { at, .. } | Mark::Following { at, .. } => *at,
        }
    }

    /// The same mark in bytes that begin `by` bytes earlier.
    fn moved_by(self, by: usize) -> Self {
        match self {
            Mark::Favorited { at, article } => Mark::Favorited {
                at: at + by,
                article,
            },
            Mark::Following { at, user } => Mark::Following { at: at + by, user },
        }
    }

    fn holds(&self, marks: &ViewerMarks) -> bool {
        match self {
            Mark::Favorited { article, .. } => marks.favorited(*article).unwrap_or(false),
            Mark::Following { user, .. } => marks.follows(*user),
        }
    }
}

const FALSE: &[u8] = b"false";
const TRUE: &[u8] = b"true";

/// Shared bytes, their ETag, and where each reader's marks go.
#[derive(Debug)]
pub struct Marked(Fields);

#[derive(Debug)]
struct Fields {
    bytes: Bytes,
    etag: String,
    marks: Box<[Mark]>,
}

/// The reference counts an `Arc<Marked>` keeps beside the fields.
const ARC_COUNTS: u64 = 16;

impl Marked {
    /// `bytes` with `marks` (ascending offsets, each at a `false`).
    pub fn new(bytes: Vec<u8>, marks: Vec<Mark>) -> Arc<Self> {
        debug_assert!(
            marks
                .iter()
                .all(|m| bytes.get(m.at()..m.at() + FALSE.len()) == Some(FALSE))
        );
        let etag = super::etag_for(&bytes);
        Self::with_etag(Bytes::from(bytes), etag, marks)
    }

    /// `parts` joined by commas into one fragment, with their marks: the entries of a
    /// list page, kept together (see [`super::packed`]). Its ETag is made of the parts'
    /// own, so the same entries give the same ETag on every instance.
    pub fn join(parts: &[Arc<Marked>]) -> Arc<Self> {
        let size = parts.iter().map(|p| p.0.bytes.len() + 1).sum::<usize>();
        let mut bytes = Vec::with_capacity(size);
        let mut tags = Vec::with_capacity(parts.iter().map(|p| p.0.etag.len()).sum());
        let mut marks = Vec::with_capacity(parts.iter().map(|p| p.0.marks.len()).sum());
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                bytes.push(b',');
            }
            let start = bytes.len();
            bytes.extend_from_slice(&part.0.bytes);
            tags.extend_from_slice(part.0.etag.as_bytes());
            marks.extend(part.0.marks.iter().map(|mark| mark.moved_by(start)));
        }
        Self::with_etag(Bytes::from(bytes), super::etag_for(&tags), marks)
    }

    /// `bytes` with `marks` and an ETag already known.
    fn with_etag(bytes: Bytes, etag: String, marks: Vec<Mark>) -> Arc<Self> {
        Arc::new(Self(Fields {
            bytes,
            etag,
            marks: marks.into_boxed_slice(),
        }))
    }

    /// The ETag of the bytes as an anonymous reader gets them.
    pub(super) fn etag(&self) -> &str {
        &self.0.etag
    }

    /// Where a reader's marks go, by ascending offset.
    pub(super) fn marks(&self) -> &[Mark] {
        &self.0.marks
    }

    /// The bytes as an anonymous reader gets them.
    pub fn bytes(&self) -> &Bytes {
        &self.0.bytes
    }

    /// Their weight, for the caches' byte budget.
    pub fn weight(&self) -> u64 {
        let fields = self.0.bytes.len() + self.0.etag.len() + size_of::<Fields>();
        (fields + self.0.marks.len() * size_of::<Mark>()) as u64 + ARC_COUNTS
    }

    /// Appends these bytes to `out` with `reader`'s marks written in, and to `tag` this
    /// answer's ETag and which of its marks were set: together they name the bytes
    /// written, so the ETag of the result is a hash of `tag` (a few dozen bytes), not
    /// of the whole answer.
    pub fn write_for(&self, out: &mut Vec<u8>, tag: &mut Vec<u8>, reader: &ViewerMarks) {
        let start = out.len();
        out.extend_from_slice(&self.0.bytes);
        set_marks(
            out,
            start,
            tag,
            self.0.etag.as_bytes(),
            self.0.marks.iter().copied(),
            reader,
        );
    }

    /// A 200 of these bytes as `content_type`: as they are for an anonymous reader,
    /// with `reader`'s marks otherwise (and an ETag of its own).
    pub fn response(
        &self,
        content_type: &'static str,
        reader: Option<&ViewerMarks>,
    ) -> HttpResponse {
        match reader {
            None => Self::respond(content_type, &self.0.etag, self.0.bytes.clone()),
            Some(reader) => {
                let mut out = Vec::with_capacity(self.0.bytes.len() + 8);
                let mut tag = Vec::with_capacity(64);
                self.write_for(&mut out, &mut tag, reader);
                Self::respond(content_type, &super::etag_for(&tag), Bytes::from(out))
            }
        }
    }

    pub(super) fn respond(content_type: &'static str, etag: &str, body: Bytes) -> HttpResponse {
        HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((actix_web::http::header::ETAG, etag))
            .body(body)
    }
}

/// Writes `true` over the `false` of each of `marks` that `reader` holds, in the bytes
/// from `start` to the end of `out` (the marks' offsets count from `start`), closing up
/// the byte each saves; and appends to `tag` the bytes' `etag`, the index of each mark
/// set and a `;`. In place, so bytes decompressed straight into `out` are not copied
/// again.
pub(super) fn set_marks(
    out: &mut Vec<u8>,
    start: usize,
    tag: &mut Vec<u8>,
    etag: &[u8],
    marks: impl Iterator<Item = Mark>,
    reader: &ViewerMarks,
) {
    tag.extend_from_slice(etag);
    let (mut read, mut write) = (start, start);
    for (i, mark) in marks.enumerate() {
        if !mark.holds(reader) {
            continue;
        }
        let at = start + mark.at();
        out.copy_within(read..at, write);
        write += at - read;
        out[write..write + TRUE.len()].copy_from_slice(TRUE);
        write += TRUE.len();
        read = at + FALSE.len();
        tag.extend_from_slice(&(i as u32).to_le_bytes());
    }
    let end = out.len();
    out.copy_within(read..end, write);
    out.truncate(write + (end - read));
    tag.push(b';');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_written_where_the_reader_has_them() {
        let json =
            br#"{"a":{"favorited":false,"author":{"following":false}},"b":{"favorited":false}}"#;
        let find = |needle: &str, nth: usize| {
            let needle = needle.as_bytes();
            json.windows(needle.len())
                .enumerate()
                .filter(|(_, w)| *w == needle)
                .nth(nth)
                .map(|(i, _)| i + needle.len())
                .expect("present")
        };
        let marks = vec![
            Mark::Favorited {
                at: find("\"favorited\":", 0),
                article: 1,
            },
            Mark::Following {
                at: find("\"following\":", 0),
                user: 9,
            },
            Mark::Favorited {
                at: find("\"favorited\":", 1),
                article: 2,
            },
        ];
        let shared = Marked::new(json.to_vec(), marks);
        let reader = ViewerMarks {
            follows: vec![9],
            favorites: Some(vec![2]),
            ..ViewerMarks::default()
        };
        let mut out = Vec::new();
        shared.write_for(&mut out, &mut Vec::new(), &reader);
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            r#"{"a":{"favorited":false,"author":{"following":true}},"b":{"favorited":true}}"#
        );
        let mut anonymous = Vec::new();
        shared.write_for(&mut anonymous, &mut Vec::new(), &ViewerMarks::default());
        assert_eq!(anonymous, json.to_vec());
    }
}
