//! Page numbers and the pagination bar of the article lists.

use crate::domain::articles::ArticleView;
use crate::routes::pages::errors::PageError;

/// Articles per page on every list.
pub const PAGE_SIZE: i64 = 10;

/// One button of the pagination bar.
pub struct PageLink {
    /// Page number shown, and sent as `?page=`.
    pub number: i64,
    /// Whether it is the page shown.
    pub active: bool,
    /// Whether pages are skipped just before this one (shown as an ellipsis).
    pub gap_before: bool,
}

/// A query parameter the pagination form carries along (a feed, a filter).
pub struct HiddenField {
    pub name: String,
    pub value: String,
}

/// The pagination bar: a GET form of page buttons, so `?page=N` lands in the URL with
/// no script (as in the reference frontend); empty when everything fits on one page.
pub struct Pagination {
    /// Where the form goes: the list's path.
    pub action: String,
    /// The list's other query parameters, kept on every page.
    pub hidden: Vec<HiddenField>,
    /// Buttons, in order.
    pub links: Vec<PageLink>,
    /// "Older articles": the next page by keyset (its URL names the last article shown),
    /// so reading on page after page costs the same at any depth.
    pub older: Option<String>,
}

/// Pages shown on each side of the current one when there are many.
const PAGE_WINDOW: i64 = 2;

impl Pagination {
    /// Links for `total` items seen on page `current`, to `base` (a path that may already
    /// have a query string). With many pages, only the first, the last and those near
    /// the current one are linked.
    pub fn new(base: &str, current: i64, total: i64) -> Self {
        Self::sized(base, current, total, PAGE_SIZE)
    }

    /// As [`Pagination::new`], for lists of `size` items a page.
    pub fn sized(base: &str, current: i64, total: i64, size: i64) -> Self {
        let (action, query) = base.split_once('?').unwrap_or((base, ""));
        let hidden = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .unwrap_or_default()
            .into_iter()
            .filter(|(name, _)| name != "page" && name != "after")
            .map(|(name, value)| HiddenField { name, value })
            .collect();
        let mut bar = Self {
            action: action.to_owned(),
            hidden,
            links: Vec::new(),
            older: None,
        };
        let pages = (total + size - 1) / size;
        if pages <= 1 {
            return bar;
        }
        // The first page, the window around the current one and the last, in order:
        // never a walk over every page (a million articles make 100,000 of them).
        let window = (current - PAGE_WINDOW).max(1)..=(current + PAGE_WINDOW).min(pages);
        let mut numbers: Vec<i64> = std::iter::once(1)
            .chain(window)
            .chain(std::iter::once(pages))
            .collect();
        numbers.dedup();
        let mut previous = 0;
        for number in numbers {
            bar.links.push(PageLink {
                number,
                active: number == current,
                gap_before: number > previous + 1,
            });
            previous = number;
        }
        bar
    }

    /// Adds the keyset link to the page after `current`, which ends with `last`, when
    /// there is one.
    pub fn with_older(
        mut self,
        base: &str,
        current: i64,
        total: i64,
        last: Option<&ArticleView>,
    ) -> Self {
        let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
        if let Some(last) = last
            && current < pages
        {
            let sep = if base.contains('?') { '&' } else { '?' };
            let cursor = crate::domain::articles::Cursor::after(&last.article).encode();
            self.older = Some(format!("{base}{sep}page={}&after={cursor}", current + 1));
        }
        self
    }
}

/// The 1-based page number from `?page=`; anything unusable means page 1.
pub fn page_number(raw: Option<&str>) -> i64 {
    raw.and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1)
}

/// The domain's page window for a 1-based page number, by keyset when `after` (from an
/// "Older articles" link) names where the previous page ended; an unreadable one falls
/// back to the page number.
pub fn page_request(
    page: i64,
    after: Option<&str>,
) -> Result<crate::domain::articles::PageRequest, PageError> {
    let offset = ((page - 1) * PAGE_SIZE).to_string();
    let mut request =
        crate::domain::articles::PageRequest::parse(Some(&PAGE_SIZE.to_string()), Some(&offset))?;
    request.after = after.and_then(crate::domain::articles::Cursor::parse);
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_marks_the_current_page() {
        let bar = Pagination::new("/tag/rust", 2, 25);
        assert_eq!(bar.links.len(), 3);
        assert!(bar.links[1].active);
        assert_eq!(bar.action, "/tag/rust");
        assert!(bar.hidden.is_empty());
        let feed = Pagination::new("/?feed=following&q=a%20b", 1, 11);
        assert_eq!(feed.action, "/");
        let hidden: Vec<(&str, &str)> = feed
            .hidden
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(hidden, vec![("feed", "following"), ("q", "a b")]);
        assert!(Pagination::new("/", 1, 10).links.is_empty());
        let long: Vec<(i64, bool)> = Pagination::new("/", 10, 500)
            .links
            .iter()
            .map(|l| (l.number, l.gap_before))
            .collect();
        assert_eq!(
            long,
            vec![
                (1, false),
                (8, true),
                (9, false),
                (10, false),
                (11, false),
                (12, false),
                (50, true)
            ]
        );
        let numbers = |current, total| -> Vec<i64> {
            Pagination::new("/", current, total)
                .links
                .iter()
                .map(|l| l.number)
                .collect()
        };
        assert_eq!(numbers(1, 10_000_000), vec![1, 2, 3, 1_000_000]);
        assert_eq!(numbers(50, 500), vec![1, 48, 49, 50]);
        // A page past the end still links the first and the last.
        assert_eq!(numbers(90, 500), vec![1, 50]);
    }

    #[test]
    fn page_numbers_fall_back_to_one() {
        assert_eq!(page_number(Some("3")), 3);
        for bad in [None, Some("0"), Some("-1"), Some("x"), Some("99999999999")] {
            assert_eq!(page_number(bad), 1);
        }
    }
}
