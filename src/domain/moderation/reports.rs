//! Reports: any signed-in user flags an article, a comment or a user with a reason;
//! staff work through the open ones and resolve each with an action and a note.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::content::{self, ContentAction};
use crate::db::schema::{articles, comments, reports, users};
use crate::db::{Db, DbConnection, write_transaction};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::comments::Comment;
use crate::domain::users::User;
use crate::domain::{input, time, visibility};
use crate::error::{AppError, AppResult, FieldErrors};

/// Longest reason or note.
pub const TEXT_MAX: usize = 1_000;

/// A report row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct Report {
    /// Primary key.
    pub id: i32,
    /// Who reported.
    pub reporter_id: i32,
    /// `article`, `comment` or `user`.
    pub target_kind: String,
    /// Id of the reported row.
    pub target_id: i32,
    /// Slug (article, and the article of a comment) or username, for links.
    pub target_label: String,
    /// The reporter's words.
    pub reason: String,
    /// `open` or `resolved`.
    pub status: String,
    /// `dismiss`, `hide` or `delete`, once resolved.
    pub resolution_action: Option<String>,
    /// Staff's note, once resolved.
    pub resolution_note: Option<String>,
    /// Who resolved it.
    pub resolved_by: Option<i32>,
    /// When it was filed.
    pub created_at: NaiveDateTime,
    /// When it was resolved.
    pub resolved_at: Option<NaiveDateTime>,
}

/// A report as a user files it (form or API).
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    /// `article`, `comment` or `user`.
    pub kind: Option<String>,
    /// Article slug, comment id or username.
    pub target: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// Files a report by `reporter`. 404 when the target does not exist (or is hidden from
/// the reporter), 422 for a bad kind, a blank reason or reporting oneself.
pub async fn file(db: &Db, reporter: &User, raw: ReportInput) -> AppResult<Report> {
    let mut errors = FieldErrors::default();
    let reason = input::required_text(&mut errors, "reason", raw.reason.as_deref(), TEXT_MAX);
    let target = input::required_text(&mut errors, "target", raw.target.as_deref(), 200);
    let kind = raw
        .kind
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if !matches!(kind.as_str(), "article" | "comment" | "user") {
        errors.add("kind", "must be article, comment or user");
    }
    errors.into_result()?;
    let reporter_id = reporter.id;
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let (target_id, label) = resolve_target(conn, reporter_id, &kind, &target)?;
            let now = time::now();
            diesel::insert_into(reports::table)
                .values((
                    reports::reporter_id.eq(reporter_id),
                    reports::target_kind.eq(&kind),
                    reports::target_id.eq(target_id),
                    reports::target_label.eq(&label),
                    reports::reason.eq(&reason),
                    reports::status.eq("open"),
                    reports::created_at.eq(now),
                ))
                .execute(conn)?;
            Ok(reports::table
                .filter(reports::reporter_id.eq(reporter_id))
                .order(reports::id.desc())
                .select(Report::as_select())
                .first(conn)?)
        })
    })
    .await
}

fn resolve_target(
    conn: &mut DbConnection,
    reporter: i32,
    kind: &str,
    target: &str,
) -> AppResult<(i32, String)> {
    match kind {
        "article" => {
            let article = visibility::visible_article(conn, Some(reporter), target)?;
            Ok((article.id, article.slug))
        }
        "comment" => {
            let id: i32 = target.parse().map_err(|_| AppError::NotFound("comment"))?;
            let comment: Comment = comments::table
                .find(id)
                .filter(visibility::comments_for(Some(reporter)))
                .select(Comment::as_select())
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound("comment"))?;
            let slug: String = articles::table
                .find(comment.article_id)
                .select(articles::slug)
                .first(conn)?;
            // The comment's article must be visible to the reporter as well.
            visibility::visible_article(conn, Some(reporter), &slug)?;
            Ok((comment.id, slug))
        }
        _ => {
            let user = User::find_by_username(conn, target)?.ok_or(AppError::NotFound("user"))?;
            if user.id == reporter {
                return Err(AppError::Validation(FieldErrors::single(
                    "target", "is you",
                )));
            }
            Ok((user.id, user.username))
        }
    }
}

/// A report with the names a list shows.
#[derive(Debug, Clone)]
pub struct ReportView {
    /// The row.
    pub report: Report,
    /// Reporter's username.
    pub reporter: String,
    /// Resolver's username.
    pub resolver: Option<String>,
}

/// A page of reports with `status` (`open`: oldest first; `resolved`: newest first) and
/// the total (three queries).
pub async fn list(
    db: &Db,
    status: &'static str,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<ReportView>, i64)> {
    db.run(move |conn| {
        let total: i64 = reports::table
            .filter(reports::status.eq(status))
            .count()
            .get_result(conn)?;
        let query = reports::table
            .filter(reports::status.eq(status))
            .select(Report::as_select())
            .limit(limit)
            .offset(offset);
        let rows = if status == "open" {
            query
                .order((reports::created_at.asc(), reports::id.asc()))
                .load(conn)?
        } else {
            query
                .order((reports::resolved_at.desc(), reports::id.desc()))
                .load(conn)?
        };
        let mut ids: Vec<i32> = rows
            .iter()
            .flat_map(|r| std::iter::once(r.reporter_id).chain(r.resolved_by))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let names: HashMap<i32, String> = users::table
            .filter(users::id.eq_any(&ids))
            .select((users::id, users::username))
            .load::<(i32, String)>(conn)?
            .into_iter()
            .collect();
        let views = rows
            .into_iter()
            .map(|report| ReportView {
                reporter: names.get(&report.reporter_id).cloned().unwrap_or_default(),
                resolver: report.resolved_by.and_then(|id| names.get(&id).cloned()),
                report,
            })
            .collect();
        Ok::<_, AppError>((views, total))
    })
    .await
}

/// One report.
pub async fn get(db: &Db, id: i32) -> AppResult<Report> {
    db.run(move |conn| {
        reports::table
            .find(id)
            .select(Report::as_select())
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound("report"))
    })
    .await
}

/// How staff close a report.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// `dismiss`, `hide` (the reported content) or `delete` (it).
    pub action: Option<String>,
    /// Why, for the record.
    pub note: Option<String>,
}

/// The resolution actions offered.
pub const ACTIONS: [&str; 3] = ["dismiss", "hide", "delete"];

/// Resolves report `id` as `actor` (staff): applies the action to the reported content
/// and closes the report, with audit rows for both, inside the caller's write
/// transaction. Returns whether the content changed (not for a dismissal).
pub fn resolve(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i32,
    raw: Resolution,
) -> AppResult<bool> {
    actor.require_staff()?;
    let mut errors = FieldErrors::default();
    let note = input::required_text(&mut errors, "note", raw.note.as_deref(), TEXT_MAX);
    let action = raw
        .action
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if !ACTIONS.contains(&action.as_str()) {
        errors.add("action", "must be dismiss, hide or delete");
    }
    errors.into_result()?;
    let report: Report = reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("report"))?;
    if report.status != "open" {
        return Err(AppError::Conflict(FieldErrors::single(
            "report",
            "is already resolved",
        )));
    }
    let change = content_action(&report, &action)?;
    if let Some(change) = &change {
        content::apply(conn, actor, change, Some(&note))?;
    }
    audit::record(
        conn,
        actor,
        AuditEntry::on(
            "report.resolve",
            "report",
            report.id,
            format!("{} {}", report.target_kind, report.target_label),
        )
        .change("open", format!("resolved ({action}): {note}")),
    )?;
    if let Some(staff_id) = actor.id {
        crate::domain::events::report_resolved(
            conn,
            report.reporter_id,
            staff_id,
            format!("{} {}", report.target_kind, report.target_label),
            &action,
            &note,
        )?;
    }
    diesel::update(reports::table.find(report.id))
        .set((
            reports::status.eq("resolved"),
            reports::resolution_action.eq(Some(&action)),
            reports::resolution_note.eq(Some(&note)),
            reports::resolved_by.eq(actor.id),
            reports::resolved_at.eq(Some(time::now())),
        ))
        .execute(conn)?;
    Ok(change.is_some())
}

fn content_action(report: &Report, action: &str) -> AppResult<Option<ContentAction>> {
    let slug = report.target_label.clone();
    Ok(match (report.target_kind.as_str(), action) {
        (_, "dismiss") => None,
        ("article", "hide") => Some(ContentAction::HideArticle(slug)),
        ("article", "delete") => Some(ContentAction::DeleteArticle(slug)),
        ("comment", "hide") => Some(ContentAction::HideComment(report.target_id)),
        ("comment", "delete") => Some(ContentAction::DeleteComment(report.target_id)),
        _ => {
            return Err(AppError::Validation(FieldErrors::single(
                "action",
                "applies to content only: suspend the user from their admin page, then dismiss",
            )));
        }
    })
}
