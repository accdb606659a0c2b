//! The editor: writing a new article and editing one's own.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::session::{self, CsrfForm, CurrentUser, FlashKind};
use super::views::{Chrome, FormErrors, form_errors};
use super::{PageResult, ok, redirect, render};
use crate::domain::articles::{self, ArticleChanges, ArticleInput};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "pages/editor.html")]
struct EditorPage {
    chrome: Chrome,
    errors: FormErrors,
    /// `None` for a new article.
    slug: Option<String>,
    form: EditorValues,
}

/// What the fields show.
#[derive(Default)]
struct EditorValues {
    title: String,
    description: String,
    body: String,
    tags: String,
}

/// The editor form as posted; `tags` is one field, separated by commas or spaces.
#[derive(Deserialize)]
pub struct EditorForm {
    title: Option<String>,
    description: Option<String>,
    body: Option<String>,
    tags: Option<String>,
}

impl EditorForm {
    fn values(&self) -> EditorValues {
        EditorValues {
            title: self.title.clone().unwrap_or_default(),
            description: self.description.clone().unwrap_or_default(),
            body: self.body.clone().unwrap_or_default(),
            tags: self.tags.clone().unwrap_or_default(),
        }
    }

    fn tag_list(&self) -> Vec<String> {
        split_tags(self.tags.as_deref().unwrap_or_default())
    }
}

/// The tags typed in the one tag field.
fn split_tags(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
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
    }
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
    let input = ArticleInput {
        title: form.title.clone(),
        description: form.description.clone(),
        body: form.body.clone(),
        tag_list: Some(form.tag_list()),
    };
    match crate::app::articles::create(&state.app, user.0.id, input).await {
        Ok(view) => {
            session::flash(&req, FlashKind::Success, "Your article is published.");
            Ok(redirect(&format!("/article/{}", view.article.slug)))
        }
        Err(err) => {
            let errors = form_errors(err)?;
            let chrome = Chrome::new(&state, &req, Some(&user.0), "New article", "editor")?;
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(chrome, None, form.values(), errors),
            )
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
    let values = EditorValues {
        title: view.article.title.clone(),
        description: view.article.description.clone(),
        body: view.article.body.clone(),
        tags: view.tags.join(", "),
    };
    let chrome = Chrome::new(&state, &req, Some(&user.0), "Edit article", "editor")?;
    ok(&page(
        chrome,
        Some(view.article.slug),
        values,
        FormErrors::default(),
    ))
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
    let changes = ArticleChanges {
        title: Some(form.title.clone()),
        description: Some(form.description.clone()),
        body: Some(form.body.clone()),
        tag_list: Some(Some(form.tag_list())),
    };
    match crate::app::articles::update(&state.app, user.0.id, slug.clone(), changes).await {
        Ok(view) => {
            session::flash(&req, FlashKind::Success, "Your changes are saved.");
            Ok(redirect(&format!("/article/{}", view.article.slug)))
        }
        Err(err) => {
            let errors = form_errors(err)?;
            let chrome = Chrome::new(&state, &req, Some(&user.0), "Edit article", "editor")?;
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(chrome, Some(slug), form.values(), errors),
            )
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
