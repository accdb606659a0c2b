//! Pages every signed-in reader shares, cut where each reader's own parts go.
//!
//! A signed-in reader's article page differs from another's only in a few places: who
//! is signed in (the `<body>`'s attributes, the navbar), a one-shot message, the
//! article's buttons, the comment form and what they may do with each comment. The
//! page is rendered once with a mark in each of those places ([`Hole::write_mark`]);
//! [`Stencil::cut`] keeps the text between the marks, and each request writes that
//! text with the reader's own parts in between: a copy and a few small templates
//! instead of the whole page.

use std::fmt;

/// Where a reader's own part of a page goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hole {
    /// The `<body>` element's attributes: who is signed in, for scripts.
    BodyAttributes,
    /// The navbar's links: the reader's name, picture and notifications.
    NavLinks,
    /// A one-shot message from the reader's previous action.
    Flash,
    /// The article's buttons: follow and favorite, or edit and delete for its author.
    ArticleActions,
    /// The comment form, with the reader's picture and CSRF token.
    CommentForm,
    /// What the reader may do with the shown comment at this index (delete, report).
    CommentOptions(u16),
}

/// Marks begin with `<` and a control character: escaped text has no `<`, and the
/// sanitized HTML of a body has `<` only before the tag names it allows.
const MARK_START: &str = "<\u{1}";
const MARK_END: char = '>';

impl Hole {
    /// Writes this hole's mark into a page being rendered as a stencil.
    pub fn write_mark(&self, out: &mut (impl fmt::Write + ?Sized)) -> fmt::Result {
        out.write_str(MARK_START)?;
        match self {
            Hole::BodyAttributes => out.write_char('b')?,
            Hole::NavLinks => out.write_char('n')?,
            Hole::Flash => out.write_char('f')?,
            Hole::ArticleActions => out.write_char('a')?,
            Hole::CommentForm => out.write_char('c')?,
            Hole::CommentOptions(index) => write!(out, "o{index}")?,
        }
        out.write_char(MARK_END)
    }

    fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "b" => Hole::BodyAttributes,
            "n" => Hole::NavLinks,
            "f" => Hole::Flash,
            "a" => Hole::ArticleActions,
            "c" => Hole::CommentForm,
            _ => Hole::CommentOptions(code.strip_prefix('o')?.parse().ok()?),
        })
    }
}

/// A page's shared text and where, in it, each reader's parts go.
#[derive(Debug)]
pub struct Stencil {
    text: Box<str>,
    /// Ascending offsets into `text`.
    cuts: Box<[(u32, Hole)]>,
}

impl Stencil {
    /// `rendered` (a page with marks) cut at its marks: `None` unless it holds exactly
    /// `expected` well-formed marks.
    pub fn cut(rendered: &str, expected: usize) -> Option<Self> {
        let mut text = String::with_capacity(rendered.len());
        let mut cuts = Vec::with_capacity(expected);
        let mut rest = rendered;
        while let Some(start) = rest.find(MARK_START) {
            text.push_str(&rest[..start]);
            let after = &rest[start + MARK_START.len()..];
            let end = after.find(MARK_END)?;
            cuts.push((u32::try_from(text.len()).ok()?, Hole::parse(&after[..end])?));
            rest = &after[end + MARK_END.len_utf8()..];
        }
        text.push_str(rest);
        (cuts.len() == expected).then(|| Self {
            text: text.into_boxed_str(),
            cuts: cuts.into_boxed_slice(),
        })
    }

    /// Bytes of the shared text.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the shared text is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Bytes held, for the caches' weighers.
    pub fn weight(&self) -> u64 {
        (self.text.len() + self.cuts.len() * size_of::<(u32, Hole)>() + size_of::<Self>()) as u64
    }

    /// Appends the page to `out`, with `fill` writing each hole.
    pub fn fill<E>(
        &self,
        out: &mut String,
        mut fill: impl FnMut(Hole, &mut String) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut from = 0;
        for &(at, hole) in &self.cuts {
            let at = at as usize;
            out.push_str(&self.text[from..at]);
            fill(hole, out)?;
            from = at;
        }
        out.push_str(&self.text[from..]);
        Ok(())
    }
}

/// What the shared article page shows of the article and its comments, kept with its
/// stencil so that each reader's parts are written from the same version as the rest.
#[derive(Debug)]
pub struct ArticleFacts {
    /// The article's slug, for the forms' actions.
    pub slug: String,
    /// Its title, in the delete form's confirmation.
    pub title: String,
    /// Its author's name.
    pub author: String,
    /// The author's name and the slug, percent-encoded for the forms' URLs.
    pub author_url: String,
    pub slug_url: String,
    /// Favorites when the page was rendered.
    pub favorites_count: i32,
    /// The comments shown, in order: each one's id and its writer's name.
    pub comments: Box<[(i32, Box<str>)]>,
}

/// The article page as signed-in readers share it.
#[derive(Debug)]
pub struct ArticleStencil {
    /// The page, with its holes.
    pub page: Stencil,
    /// What the holes are written from.
    pub facts: ArticleFacts,
}

impl ArticleStencil {
    /// Bytes held, for the caches' weighers.
    pub fn weight(&self) -> u64 {
        let f = &self.facts;
        let comments: usize = f.comments.iter().map(|(_, a)| a.len() + 24).sum();
        self.page.weight()
            + (f.slug.len()
                + f.title.len()
                + f.author.len()
                + f.author_url.len()
                + f.slug_url.len()
                + comments
                + 144) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(holes: &[Hole]) -> String {
        let mut page = String::from("<html>");
        for (i, hole) in holes.iter().enumerate() {
            hole.write_mark(&mut page).expect("a string takes it");
            page.push_str(&format!("<p>{i}</p>"));
        }
        page
    }

    #[test]
    fn a_stencil_filled_puts_each_part_where_its_mark_was() {
        let holes = [
            Hole::BodyAttributes,
            Hole::NavLinks,
            Hole::CommentOptions(0),
            Hole::CommentOptions(12),
        ];
        let stencil = Stencil::cut(&marked(&holes), holes.len()).expect("four marks");
        assert_eq!(
            stencil.len(),
            "<html><p>0</p><p>1</p><p>2</p><p>3</p>".len()
        );
        let mut out = String::new();
        stencil
            .fill(&mut out, |hole, out| {
                out.push_str(&format!("[{hole:?}]"));
                Ok::<_, ()>(())
            })
            .expect("filled");
        assert_eq!(
            out,
            "<html>[BodyAttributes]<p>0</p>[NavLinks]<p>1</p>[CommentOptions(0)]<p>2</p>\
             [CommentOptions(12)]<p>3</p>"
        );
    }

    #[test]
    fn a_page_with_other_marks_than_expected_is_not_cut() {
        let page = marked(&[Hole::Flash, Hole::ArticleActions]);
        assert!(Stencil::cut(&page, 3).is_none());
        assert!(Stencil::cut(&page, 1).is_none());
        assert!(Stencil::cut("<\u{1}x>", 1).is_none());
        assert!(Stencil::cut("<\u{1}o", 1).is_none());
        assert!(Stencil::cut("<p>no marks</p>", 0).is_some());
    }
}
