//! An article's history (author and staff only; 404 to anyone else): the list of
//! revisions, the diff between any two, and restoring one (the author).

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::auth::EmptyForm;
use super::errors::PageError;
use super::session::{self, CsrfForm, FlashKind, MaybeUser};
use super::views::Chrome;
use super::{PageResult, ok, redirect};
use crate::app::revisions::{self, Comparison};
use crate::domain::revisions::diff::{Changed, LineKind};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/revisions.html")]
struct HistoryPage {
    chrome: Chrome,
    slug: String,
    title: String,
    lines: Vec<HistoryLine>,
}

/// One revision as the list shows it.
struct HistoryLine {
    number: i32,
    editor: String,
    when: String,
    summary: String,
    current: bool,
    /// The revision before it, to show what this one changed.
    previous: Option<i32>,
    /// The newest revision, to compare this one with.
    latest: i32,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/revision_diff.html")]
struct DiffPage {
    chrome: Chrome,
    slug: String,
    title: String,
    from: Side,
    to: Side,
    /// Every revision number, newest first, for picking another pair.
    numbers: Vec<i32>,
    title_change: Option<Changed>,
    description_change: Option<Changed>,
    tags: Vec<TagLine>,
    hunks: Vec<HunkView>,
    summary: String,
    unchanged: bool,
    /// Revisions on this page the viewer may restore (the author; never the current one).
    restorable: Vec<i32>,
}

/// One side of a diff.
struct Side {
    number: i32,
    editor: String,
    when: String,
}

/// A tag and whether it came, went or stayed.
struct TagLine {
    name: String,
    class: &'static str,
}

struct HunkView {
    header: String,
    lines: Vec<LineView>,
}

struct LineView {
    class: &'static str,
    sign: &'static str,
    old: String,
    new: String,
    text: String,
    added: bool,
    removed: bool,
}

/// Which two revisions to compare: numbers, parsed in the handler so that anything
/// else is simply a revision that does not exist (404).
#[derive(Deserialize)]
pub struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

fn when(t: chrono::NaiveDateTime) -> String {
    t.format("%B %-d, %Y at %H:%M UTC").to_string()
}

fn summary(added: i32, removed: i32) -> String {
    format!("+{added} −{removed} lines")
}

fn revision_number(raw: Option<&str>) -> Result<Option<i32>, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| AppError::NotFound("revision")),
    }
}

/// `GET /article/{slug}/history`
pub async fn history(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    slug: web::Path<String>,
) -> PageResult {
    let history = revisions::history(&state.app, viewer.id(), slug.into_inner()).await?;
    let latest = history.revisions.first().map_or(0, |r| r.number);
    let numbers: Vec<i32> = history.revisions.iter().map(|r| r.number).collect();
    let lines = history
        .revisions
        .iter()
        .enumerate()
        .map(|(i, r)| HistoryLine {
            number: r.number,
            editor: r.editor.clone(),
            when: when(r.created_at),
            summary: summary(r.added_lines, r.removed_lines),
            current: r.number == latest,
            previous: numbers.get(i + 1).copied(),
            latest,
        })
        .collect();
    let title = history.article.title;
    let chrome = Chrome::new(
        &state,
        &req,
        viewer.0.as_ref(),
        format!("History of {title}"),
        "article",
    )?;
    ok(&HistoryPage {
        chrome,
        slug: history.article.slug,
        title,
        lines,
    })
}

/// `GET /article/{slug}/history/diff?from=A&to=B`
pub async fn diff(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    slug: web::Path<String>,
    query: web::Query<DiffQuery>,
) -> PageResult {
    let from = revision_number(query.from.as_deref())?;
    let to = revision_number(query.to.as_deref())?;
    let slug = slug.into_inner();
    let comparison = revisions::compare(&state.app, viewer.id(), slug.clone(), from, to).await?;
    let history = revisions::history(&state.app, viewer.id(), slug).await?;
    let numbers = history.revisions.iter().map(|r| r.number).collect();
    let is_author = viewer.id() == Some(comparison.article.author_id);
    let chrome = Chrome::new(
        &state,
        &req,
        viewer.0.as_ref(),
        format!("Changes to {}", comparison.article.title),
        "article",
    )?;
    ok(&diff_page(chrome, comparison, numbers, is_author))
}

fn diff_page(chrome: Chrome, c: Comparison, numbers: Vec<i32>, is_author: bool) -> DiffPage {
    let side = |(revision, editor): &(crate::domain::revisions::Revision, String)| Side {
        number: revision.number,
        editor: editor.clone(),
        when: when(revision.created_at),
    };
    let (from, to) = (side(&c.from), side(&c.to));
    let mut restorable: Vec<i32> = [from.number, to.number]
        .into_iter()
        .filter(|n| is_author && *n != c.latest)
        .collect();
    restorable.dedup();
    let d = c.diff;
    let tag = |name: &String, class| TagLine {
        name: name.clone(),
        class,
    };
    let tags = d
        .tags_removed
        .iter()
        .map(|t| tag(t, "diff-del"))
        .chain(d.tags_added.iter().map(|t| tag(t, "diff-ins")))
        .chain(d.tags_kept.iter().map(|t| tag(t, "diff-same")))
        .collect();
    let number = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    let unchanged = d.is_empty();
    let summary = format!("+{} −{} lines", d.added_lines, d.removed_lines);
    let hunks = d
        .hunks
        .into_iter()
        .map(|h| HunkView {
            header: h.header,
            lines: h
                .lines
                .into_iter()
                .map(|l| {
                    let (class, sign) = match l.kind {
                        LineKind::Added => ("diff-ins", "+"),
                        LineKind::Removed => ("diff-del", "−"),
                        LineKind::Same => ("diff-same", " "),
                    };
                    LineView {
                        class,
                        sign,
                        old: number(l.old_number),
                        new: number(l.new_number),
                        text: l.text,
                        added: l.kind == LineKind::Added,
                        removed: l.kind == LineKind::Removed,
                    }
                })
                .collect(),
        })
        .collect();
    DiffPage {
        chrome,
        slug: c.article.slug,
        title: c.article.title,
        from,
        to,
        numbers,
        title_change: d.title,
        description_change: d.description,
        tags,
        hunks,
        summary,
        unchanged,
        restorable,
    }
}

/// `POST /article/{slug}/history/{number}/restore`: the author writes revision `number`
/// back through the ordinary edit. Anyone who may not read the history gets 404 (before
/// the form is even looked at, so a stranger learns nothing from a CSRF answer).
pub async fn restore(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: MaybeUser,
    path: web::Path<(String, String)>,
    form: Result<CsrfForm<EmptyForm>, PageError>,
) -> PageResult {
    let (slug, number) = path.into_inner();
    let number = revision_number(Some(&number))?.ok_or(AppError::NotFound("revision"))?;
    let Some(user) = viewer.0 else {
        return Err(AppError::NotFound("article").into());
    };
    // Readable by this viewer (404 otherwise) before the form is judged.
    revisions::history(&state.app, Some(user.id), slug.clone()).await?;
    form?;
    let back = format!("/article/{slug}/history");
    match revisions::restore(&state.app, user.id, slug, number).await {
        Ok(done) => {
            let text = match done.recorded {
                Some(new) => format!("Revision {} is restored, as revision {new}.", done.restored),
                None => format!("Revision {} is already the current content.", done.restored),
            };
            session::flash(&req, FlashKind::Success, text);
            Ok(redirect(&format!("/article/{}", done.slug)))
        }
        Err(AppError::Validation(errors)) => {
            let reasons: Vec<String> = errors
                .messages()
                .map(|(field, message)| format!("{field} {message}"))
                .collect();
            session::flash(
                &req,
                FlashKind::Info,
                format!(
                    "Revision {number} cannot be restored: {}.",
                    reasons.join("; ")
                ),
            );
            Ok(redirect(&back))
        }
        Err(other) => Err(other.into()),
    }
}
