//! What we change in pulldown-cmark's event stream before it becomes HTML: highlighted
//! fenced code, table alignment as classes (its `style="text-align: …"` would be
//! stripped by the sanitizer and refused by our CSP), and heading ids with self-links.

use std::collections::HashSet;

use pulldown_cmark::{Alignment, CodeBlockKind, Event, Tag, TagEnd};

use super::highlight::{MAX_DOCUMENT_BYTES, highlight};

/// Prefix of every heading id, so an article cannot clobber the page's own ids (or the
/// globals browsers name after ids). The sanitizer adds it to ids written in raw HTML.
pub(super) const ID_PREFIX: &str = "h-";

/// Whether fenced code gets highlighted (pages) or stays plain (feeds: a feed reader
/// has none of our CSS, so the spans would only weigh).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Code {
    Highlighted,
    Plain,
}

/// `events` with our changes applied.
pub(super) fn enrich<'a>(events: impl Iterator<Item = Event<'a>>, code: Code) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut events = events;
    let mut ids = HeadingIds::default();
    let mut table = TableCells::default();
    let mut highlight_budget = MAX_DOCUMENT_BYTES;
    while let Some(event) = events.next() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if code == Code::Highlighted =>
            {
                let text = take_until(&mut events, |e| matches!(e, Event::End(TagEnd::CodeBlock)));
                let source = text_of(&text);
                out.push(Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(
                    info.clone(),
                ))));
                out.push(highlighted(&info, source, &mut highlight_budget));
                out.push(Event::End(TagEnd::CodeBlock));
            }
            Event::Start(Tag::Heading { level, .. }) => {
                let inner =
                    take_until(&mut events, |e| matches!(e, Event::End(TagEnd::Heading(_))));
                let id = ids.claim(&text_of(&inner));
                out.push(Event::Html(format!("<{level} id=\"{id}\">").into()));
                out.extend(inner);
                out.push(Event::Html(format!("{}</{level}>", self_link(&id)).into()));
            }
            Event::Start(Tag::Table(alignments)) => {
                table = TableCells {
                    alignments: alignments.clone(),
                    ..TableCells::default()
                };
                out.push(Event::Start(Tag::Table(alignments)));
            }
            Event::Start(Tag::TableHead) => {
                table.start_row(true);
                out.push(Event::Start(Tag::TableHead));
            }
            Event::Start(Tag::TableRow) => {
                table.start_row(false);
                out.push(Event::Start(Tag::TableRow));
            }
            Event::Start(Tag::TableCell) => out.push(Event::Html(table.open_cell().into())),
            Event::End(TagEnd::TableCell) => out.push(Event::Html(table.close_cell().into())),
            other => out.push(other),
        }
    }
    out
}

/// The content of a fenced block whose info string is `info`: highlighted HTML when
/// its language is known and `budget` (bytes left to highlight in this article) allows,
/// else its text. The writer puts it inside `<pre><code class="language-…">`.
fn highlighted<'a>(info: &str, source: String, budget: &mut usize) -> Event<'a> {
    let lang = info.split([' ', ',']).next().unwrap_or_default();
    let html = (source.len() <= *budget)
        .then(|| highlight(lang, &source))
        .flatten();
    match html {
        Some(html) => {
            *budget -= source.len();
            Event::Html(html.into())
        }
        None => Event::Text(source.into()),
    }
}

/// The `#` link a heading ends with: empty (the `#` is drawn by CSS), so the heading's
/// text stays its own; named for screen readers.
fn self_link(id: &str) -> String {
    format!("<a class=\"anchor\" href=\"#{id}\" aria-label=\"Link to this section\"></a>")
}

/// The events up to the one `is_end` picks (consumed, not returned).
fn take_until<'a>(
    events: &mut impl Iterator<Item = Event<'a>>,
    is_end: impl Fn(&Event<'a>) -> bool,
) -> Vec<Event<'a>> {
    events.take_while(|e| !is_end(e)).collect()
}

/// The text a reader sees in `events` (text and inline code, not markup).
fn text_of(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        if let Event::Text(t) | Event::Code(t) = event {
            text.push_str(t);
        }
    }
    text
}

/// Heading ids of one article: each the slug of its text, made unique by a number.
#[derive(Default)]
struct HeadingIds {
    taken: HashSet<String>,
}

impl HeadingIds {
    /// A new id for a heading reading `text`: `h-intro`, then `h-intro-1`, …
    fn claim(&mut self, text: &str) -> String {
        let mut base = slug::slugify(text);
        if base.is_empty() {
            base.push_str("section");
        }
        let mut id = format!("{ID_PREFIX}{base}");
        let mut n = 0;
        while !self.taken.insert(id.clone()) {
            n += 1;
            id = format!("{ID_PREFIX}{base}-{n}");
        }
        id
    }
}

/// Where we are in a table, to write each cell with its column's alignment class.
#[derive(Default)]
struct TableCells {
    alignments: Vec<Alignment>,
    in_head: bool,
    column: usize,
}

impl TableCells {
    fn start_row(&mut self, head: bool) {
        self.in_head = head;
        self.column = 0;
    }

    fn tag(&self) -> &'static str {
        if self.in_head { "th" } else { "td" }
    }

    fn open_cell(&self) -> String {
        let class = match self.alignments.get(self.column) {
            Some(Alignment::Left) => " class=\"align-left\"",
            Some(Alignment::Center) => " class=\"align-center\"",
            Some(Alignment::Right) => " class=\"align-right\"",
            Some(Alignment::None) | None => "",
        };
        format!("<{}{class}>", self.tag())
    }

    fn close_cell(&mut self) -> String {
        self.column += 1;
        format!("</{}>", self.tag())
    }
}
