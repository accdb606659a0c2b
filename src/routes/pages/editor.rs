//! The editor: writing a new article and editing one's own; saving it as a draft,
//! scheduling a draft, and previewing the body as the article page renders it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::session::{self, CsrfForm, CurrentUser, FlashKind};
use super::views::{Chrome, FormErrors, form_errors};
use super::{PageResult, ok, redirect, render};
use crate::domain::articles::{self, ArticleChanges, ArticleInput, ArticleView};
use crate::domain::markdown;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/editor.html")]
struct EditorPage {
    chrome: Chrome,
    errors: FormErrors,
    /// `None` for a new article.
    slug: Option<String>,
    form: EditorValues,
    /// Whether it is new or still a draft: then it may be saved as a draft or scheduled.
    draft: bool,
    /// When the draft is scheduled to be published, as shown (UTC).
    scheduled: Option<String>,
    /// The body rendered as the article page will show it, after "Preview".
    preview: Option<String>,
}

/// What the fields show.
#[derive(Default)]
struct EditorValues {
    title: String,
    description: String,
    body: String,
    tags: String,
    /// `datetime-local` value, read as UTC.
    publish_at: String,
}

/// The editor form as posted; `tags` is one field, separated by commas or spaces.
/// `action` is the submit button pressed (absent, as when Enter submits: publish).
#[derive(Deserialize)]
pub struct EditorForm {
    title: Option<String>,
    description: Option<String>,
    body: Option<String>,
    tags: Option<String>,
    publish_at: Option<String>,
    action: Option<String>,
}

/// The editor's submit buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// "Publish Article": publish (a new article or a draft) or save a published one.
    Publish,
    /// "Save draft": keep it unpublished (and its schedule as it is).
    Draft,
    /// "Schedule": a draft published at the "Publish at" time.
    Schedule,
    /// "Cancel schedule": stays a draft, published by nobody.
    Unschedule,
    /// "Preview": render the body, save nothing.
    Preview,
}

impl Action {
    fn of(raw: Option<&str>) -> Self {
        match raw.unwrap_or_default() {
            "draft" => Self::Draft,
            "schedule" => Self::Schedule,
            "unschedule" => Self::Unschedule,
            "preview" => Self::Preview,
            _ => Self::Publish,
        }
    }
}

impl EditorForm {
    fn values(&self) -> EditorValues {
        EditorValues {
            title: self.title.clone().unwrap_or_default(),
            description: self.description.clone().unwrap_or_default(),
            body: self.body.clone().unwrap_or_default(),
            tags: self.tags.clone().unwrap_or_default(),
            publish_at: self.publish_at.clone().unwrap_or_default(),
        }
    }

    fn tag_list(&self) -> Vec<String> {
        split_tags(self.tags.as_deref().unwrap_or_default())
    }

    /// The "Publish at" field as the domain reads it (an empty field is refused there).
    fn publish_at(&self) -> String {
        self.publish_at.clone().unwrap_or_default()
    }
}

/// The tags typed in the one tag field.
fn split_tags(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A draft's schedule as the editor shows it, and as the `datetime-local` field holds it.
fn schedule_text(at: Option<NaiveDateTime>) -> (Option<String>, String) {
    match at {
        Some(at) => (
            Some(at.format("%Y-%m-%d %H:%M UTC").to_string()),
            at.format("%Y-%m-%dT%H:%M").to_string(),
        ),
        None => (None, String::new()),
    }
}

fn page(
    chrome: Chrome,
    slug: Option<String>,
    form: EditorValues,
    errors: FormErrors,
) -> EditorPage {
    EditorPage {
        chrome,
        errors,
        slug,
        form,
        draft: true,
        scheduled: None,
        preview: None,
    }
}

/// The page for `slug` as its author posted it back (with errors or a preview): the
/// draft state and schedule come from what is saved.
async fn posted_page(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    slug: Option<String>,
    form: &EditorForm,
    errors: FormErrors,
) -> Result<EditorPage, super::PageError> {
    let title = if slug.is_some() {
        "Edit article"
    } else {
        "New article"
    };
    let chrome = Chrome::new(state, req, Some(&user.0), title, "editor")?;
    let mut editor = page(chrome, slug.clone(), form.values(), errors);
    if let Some(slug) = slug {
        let saved = articles::editable(&state.db, user.0.id, slug).await?;
        editor.draft = saved.article.draft;
        editor.scheduled = schedule_text(saved.article.publish_at).0;
    }
    Ok(editor)
}

/// Re-renders the editor with the body rendered by the article page's own function
/// (not through its cache: a preview is nobody's but its writer's). Nothing is saved.
async fn preview(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    slug: Option<String>,
    form: &EditorForm,
) -> PageResult {
    let mut editor = posted_page(state, req, user, slug, form, FormErrors::default()).await?;
    editor.preview = Some(markdown::to_safe_html(
        form.body.as_deref().unwrap_or_default(),
    ));
    ok(&editor)
}

/// Where a successful save goes: a draft back to its editor, an article to its page.
/// `published`: this save published it.
fn after_save(
    req: &HttpRequest,
    view: &ArticleView,
    action: Action,
    published: bool,
) -> PageResult {
    let slug = &view.article.slug;
    if !view.article.draft {
        let message = if published {
            "Your article is published."
        } else {
            "Your changes are saved."
        };
        session::flash(req, FlashKind::Success, message);
        return Ok(redirect(&format!("/article/{slug}")));
    }
    let message = match (action, view.article.publish_at) {
        (_, Some(at)) => format!(
            "Your draft is saved; it will be published at {}.",
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        (Action::Unschedule, None) => "Your draft is saved and no longer scheduled.".to_owned(),
        _ => "Your draft is saved. Only you can see it.".to_owned(),
    };
    session::flash(req, FlashKind::Success, message);
    Ok(redirect(&format!("/editor/{slug}")))
}

/// `GET /editor`
pub async fn new_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> PageResult {
    let chrome = Chrome::new(&state, &req, Some(&user.0), "New article", "editor")?;
    ok(&page(
        chrome,
        None,
        EditorValues::default(),
        FormErrors::default(),
    ))
}

/// `POST /editor`
pub async fn publish(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: CsrfForm<EditorForm>,
) -> PageResult {
    let form = form.0;
    let action = Action::of(form.action.as_deref());
    if action == Action::Preview {
        return preview(&state, &req, &user, None, &form).await;
    }
    let input = ArticleInput {
        title: form.title.clone(),
        description: form.description.clone(),
        body: form.body.clone(),
        tag_list: Some(form.tag_list()),
        draft: action != Action::Publish,
        publish_at: (action == Action::Schedule).then(|| form.publish_at()),
    };
    match crate::app::articles::create(&state.app, user.0.id, input).await {
        Ok(view) => after_save(&req, &view, action, true),
        Err(err) => {
            let errors = form_errors(err)?;
            let editor = posted_page(&state, &req, &user, None, &form, errors).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &editor)
        }
    }
}

/// `GET /editor/{slug}`: only the author may open it.
pub async fn edit_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    slug: web::Path<String>,
) -> PageResult {
    let view = articles::editable(&state.db, user.0.id, slug.into_inner()).await?;
    let (scheduled, publish_at) = schedule_text(view.article.publish_at);
    let values = EditorValues {
        title: view.article.title.clone(),
        description: view.article.description.clone(),
        body: view.article.body.clone(),
        tags: view.tags.join(", "),
        publish_at,
    };
    let chrome = Chrome::new(&state, &req, Some(&user.0), "Edit article", "editor")?;
    let mut editor = page(
        chrome,
        Some(view.article.slug),
        values,
        FormErrors::default(),
    );
    editor.draft = view.article.draft;
    editor.scheduled = scheduled;
    ok(&editor)
}

/// `POST /editor/{slug}`
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    slug: web::Path<String>,
    form: CsrfForm<EditorForm>,
) -> PageResult {
    let slug = slug.into_inner();
    let form = form.0;
    let action = Action::of(form.action.as_deref());
    if action == Action::Preview {
        return preview(&state, &req, &user, Some(slug), &form).await;
    }
    let changes = ArticleChanges {
        title: Some(form.title.clone()),
        description: Some(form.description.clone()),
        body: Some(form.body.clone()),
        tag_list: Some(Some(form.tag_list())),
        published: Some(action == Action::Publish),
        publish_at: match action {
            Action::Schedule => Some(Some(form.publish_at())),
            Action::Unschedule => Some(None),
            _ => None,
        },
    };
    match crate::app::articles::update(&state.app, user.0.id, slug.clone(), changes).await {
        Ok(edited) => after_save(&req, &edited.view, action, edited.published),
        Err(err) => {
            let errors = form_errors(err)?;
            let editor = posted_page(&state, &req, &user, Some(slug), &form, errors).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &editor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_tags;

    #[test]
    fn tags_split_on_commas_and_spaces() {
        assert_eq!(split_tags("rust, web  dev,,"), vec!["rust", "web", "dev"]);
        assert!(split_tags(" , ").is_empty());
    }
}
