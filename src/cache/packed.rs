//! An answer fragment ([`Marked`]) kept compressed: a member's feed page keeps its
//! entries this way.
//!
//! Members' feeds are theirs alone: at 1,000,000 articles, 10,000 members reading the
//! first page of their feed read about 200,000 different entries, several times what
//! the shared `summaries` store can hold, so most feed answers were read from the
//! database again. A page's entries kept together and compressed (LZ4: a 20-entry page
//! of 8 KiB keeps in under 3 KiB, and comes back in about 2 µs) fit every such member
//! in the budget.

use super::marked::{Mark, Marked, set_marks};
use crate::domain::visibility::ViewerMarks;

/// A [`Marked`] with its bytes compressed.
#[derive(Debug)]
pub struct Packed {
    /// The bytes, as an LZ4 block.
    data: Box<[u8]>,
    /// Their length once decompressed.
    len: u32,
    etag: Box<str>,
    marks: Box<[PackedMark]>,
}

/// A [`Mark`] in 8 bytes: the offset, with the top bit set for a following mark, and
/// whose mark it is.
#[derive(Debug, Clone, Copy)]
struct PackedMark {
    at: u32,
    who: i32,
}

const FOLLOWING: u32 = 1 << 31;

impl Packed {
    /// `fragment`, compressed; `None` when it is too long to pack (2 GiB).
    pub fn of(fragment: &Marked) -> Option<Self> {
        let bytes = fragment.bytes();
        let len = u32::try_from(bytes.len())
            .ok()
            .filter(|n| n & FOLLOWING == 0)?;
        let marks = fragment
            .marks()
            .iter()
            .map(|mark| match *mark {
                Mark::Favorited { at, article } => PackedMark {
                    at: at as u32,
                    who: article,
                },
                Mark::Following { at, user } => PackedMark {
                    at: at as u32 | FOLLOWING,
                    who: user,
                },
            })
            .collect();
        Some(Self {
            data: lz4_flex::block::compress(bytes).into_boxed_slice(),
            len,
            etag: fragment.etag().into(),
            marks,
        })
    }

    /// As [`Marked::write_for`] of the fragment packed: its bytes decompressed straight
    /// into `out`, `reader`'s marks written in place. `None`, with `out` and `tag` as they
    /// were, if the data does not decompress to its length (it always does: the data
    /// never left this process).
    pub fn write_for(
        &self,
        out: &mut Vec<u8>,
        tag: &mut Vec<u8>,
        reader: &ViewerMarks,
    ) -> Option<()> {
        let start = out.len();
        let len = self.len as usize;
        out.resize(start + len, 0);
        match lz4_flex::block::decompress_into(&self.data, &mut out[start..]) {
            Ok(written) if written == len => {}
            _ => {
                out.truncate(start);
                return None;
            }
        }
        let marks = self.marks.iter().map(|mark| {
            let at = (mark.at & !FOLLOWING) as usize;
            if mark.at & FOLLOWING == 0 {
                Mark::Favorited {
                    at,
                    article: mark.who,
                }
            } else {
                Mark::Following { at, user: mark.who }
            }
        });
        set_marks(out, start, tag, self.etag.as_bytes(), marks, reader);
        Some(())
    }

    /// The bytes it writes, before marks.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// What it holds on the heap, for the caches' byte budget.
    pub fn weight(&self) -> u64 {
        let heap = self.data.len() + self.etag.len() + self.marks.len() * size_of::<PackedMark>();
        (heap + size_of::<Self>()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_fragment_unpacks_to_the_same_answer() {
        let entry = |id: i32| {
            let json = format!(
                r#"{{"slug":"entry-{id}","favorited":false,"author":{{"following":false}}}}"#
            );
            let favorited = json.find("false").expect("a mark");
            let following = json.rfind("false").expect("a mark");
            Marked::new(
                json.into_bytes(),
                vec![
                    Mark::Favorited {
                        at: favorited,
                        article: id,
                    },
                    Mark::Following {
                        at: following,
                        user: id + 100,
                    },
                ],
            )
        };
        let joined = Marked::join(&[entry(1), entry(2), entry(3)]);
        let packed = Packed::of(&joined).expect("packed");
        assert_eq!(packed.len(), joined.bytes().len());
        let reader = ViewerMarks {
            follows: vec![102],
            favorites: Some(vec![3]),
            ..ViewerMarks::default()
        };
        let (mut expected, mut expected_tag) = (b"[".to_vec(), Vec::new());
        joined.write_for(&mut expected, &mut expected_tag, &reader);
        let (mut out, mut tag) = (b"[".to_vec(), Vec::new());
        packed
            .write_for(&mut out, &mut tag, &reader)
            .expect("unpacked");
        assert_eq!((&out, &tag), (&expected, &expected_tag));
        let out = out.split_off(1);
        let text = String::from_utf8(out).expect("text");
        assert_eq!(
            text,
            r#"{"slug":"entry-1","favorited":false,"author":{"following":false}},{"slug":"entry-2","favorited":false,"author":{"following":true}},{"slug":"entry-3","favorited":true,"author":{"following":false}}"#
        );
    }
}
