//! The fields of a new article, checked: what a create reads from its input whatever
//! path stores it ([`super::write::create`], or a batch of them on PostgreSQL).

use super::{ArticleInput, drafts};
use crate::domain::input;
use crate::error::{AppResult, FieldErrors};

/// The checked fields of a new article: 422 with every field's error when they are not
/// an article's.
pub(super) struct Fields {
    pub title: String,
    pub description: String,
    pub body: String,
    /// Distinct names.
    pub tags: Vec<String>,
    /// A draft's publication time.
    pub publish_at: Option<chrono::NaiveDateTime>,
}

impl Fields {
    pub(super) fn checked(raw: &ArticleInput) -> AppResult<Self> {
        let mut errors = FieldErrors::default();
        let title =
            input::required_text(&mut errors, "title", raw.title.as_deref(), input::TITLE_MAX);
        let description = input::required_text(
            &mut errors,
            "description",
            raw.description.as_deref(),
            input::DESCRIPTION_MAX,
        );
        let body = required_body(&mut errors, raw.body.as_deref());
        let tags = input::tag_list(&mut errors, raw.tag_list.as_deref().unwrap_or_default());
        let publish_at = raw
            .publish_at
            .as_deref()
            .and_then(|at| drafts::publish_time(&mut errors, at));
        if publish_at.is_some() && !raw.draft {
            errors.add("publishAt", "only a draft can be scheduled");
        }
        errors.into_result()?;
        Ok(Self {
            title,
            description,
            body,
            tags,
            publish_at,
        })
    }
}

/// The body is Markdown: kept as written (not trimmed inside), only checked for blank
/// and size.
pub(super) fn required_body(errors: &mut FieldErrors, raw: Option<&str>) -> String {
    let value = raw.unwrap_or_default();
    if value.trim().is_empty() {
        errors.add("body", "can't be blank");
    } else if !input::storable(value) {
        errors.add("body", "must not contain NUL characters");
    } else if value.len() > input::BODY_MAX {
        errors.add(
            "body",
            format!("is too long (maximum is {} bytes)", input::BODY_MAX),
        );
    }
    value.to_owned()
}
