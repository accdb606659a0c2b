//! The audit log: who did what to what, from where and when. Rows are written with the
//! same connection, inside the same transaction, as the change they describe, so a
//! rolled-back change leaves no row; the table refuses updates and deletes. Summaries
//! name states ("hidden", "role=admin"), never secrets: no passwords, hashes or tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::{Db, DbConnection};
use crate::domain::roles::Role;
use crate::domain::time;
use crate::domain::users::User;
use crate::error::{AppError, AppResult};

/// Who acts, with the request's client address.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Account id (`None` for the command line or an unknown visitor).
    pub id: Option<i32>,
    /// Username, or `cli` / `anonymous`.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// Client address, when acting over HTTP.
    pub ip: Option<String>,
}

impl Actor {
    /// `user` acting from `ip`.
    pub fn user(user: &User, ip: Option<String>) -> Self {
        Self {
            id: Some(user.id),
            name: user.username.clone(),
            role: user.role(),
            ip,
        }
    }

    /// Someone not signed in, from `ip`.
    pub fn anonymous(ip: Option<String>) -> Self {
        Self {
            id: None,
            name: "anonymous".into(),
            role: Role::User,
            ip,
        }
    }

    /// The operator at the command line (`conduit admin …`), who has every right.
    pub fn command_line() -> Self {
        Self {
            id: None,
            name: "cli".into(),
            role: Role::Admin,
            ip: None,
        }
    }

    /// 403 unless staff.
    pub fn require_staff(&self) -> AppResult<()> {
        if self.role.is_staff() {
            Ok(())
        } else {
            Err(AppError::Forbidden("admin area"))
        }
    }

    /// 403 unless admin.
    pub fn require_admin(&self) -> AppResult<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden("admin area"))
        }
    }
}

/// One event to record.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    /// Dotted name, e.g. `article.hide`.
    pub action: &'static str,
    /// `user`, `article`, `comment`, `tag` or `report`.
    pub target_kind: Option<&'static str>,
    /// Its id.
    pub target_id: Option<i32>,
    /// A readable name (username, slug, tag) that survives deletion.
    pub target_label: Option<String>,
    /// State before, in a few words.
    pub before: Option<String>,
    /// State after, in a few words.
    pub after: Option<String>,
}

impl AuditEntry {
    /// An entry for `action` on the target `kind` `id` named `label`.
    pub fn on(action: &'static str, kind: &'static str, id: i32, label: impl Into<String>) -> Self {
        Self {
            action,
            target_kind: Some(kind),
            target_id: Some(id),
            target_label: Some(label.into()),
            ..Self::default()
        }
    }

    /// With before and after summaries.
    pub fn change(mut self, before: impl Into<String>, after: impl Into<String>) -> Self {
        self.before = Some(before.into());
        self.after = Some(after.into());
        self
    }
}

/// Longest summary kept (free text such as reasons is cut).
const SUMMARY_MAX: usize = 500;

fn cut(text: Option<String>) -> Option<String> {
    text.map(|t| t.chars().take(SUMMARY_MAX).collect())
}

/// Appends `entry` by `actor` on `conn` (call it inside the change's transaction).
pub fn record(conn: &mut DbConnection, actor: &Actor, entry: AuditEntry) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(actor.id),
            audit_log::actor_name.eq(&actor.name),
            audit_log::action.eq(entry.action),
            audit_log::target_kind.eq(entry.target_kind),
            audit_log::target_id.eq(entry.target_id),
            audit_log::target_label.eq(cut(entry.target_label)),
            audit_log::before_summary.eq(cut(entry.before)),
            audit_log::after_summary.eq(cut(entry.after)),
            audit_log::ip.eq(&actor.ip),
            audit_log::created_at.eq(time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A stored audit row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    /// Primary key.
    pub id: i32,
    /// Account id of the actor.
    pub actor_id: Option<i32>,
    /// Actor's name at the time.
    pub actor_name: Option<String>,
    /// Dotted action name.
    pub action: String,
    /// Kind of target.
    pub target_kind: Option<String>,
    /// Target id.
    pub target_id: Option<i32>,
    /// Target's readable name.
    pub target_label: Option<String>,
    /// State before.
    pub before_summary: Option<String>,
    /// State after.
    pub after_summary: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Which audit rows to list; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact action, or a prefix ending in `.` (`article.`).
    pub action: Option<String>,
    /// Actor's name.
    pub actor: Option<String>,
    /// Target kind.
    pub target_kind: Option<String>,
    /// Target's readable name.
    pub target: Option<String>,
}

type Backend = <DbConnection as diesel::Connection>::Backend;

fn filtered(filter: &AuditFilter) -> audit_log::BoxedQuery<'static, Backend> {
    let mut query = audit_log::table.into_boxed();
    if let Some(action) = filter.action.clone() {
        if action.ends_with('.') {
            query = query.filter(
                audit_log::action
                    .like(format!("{}%", escape_like(&action)))
                    .escape('\\'),
            );
        } else {
            query = query.filter(audit_log::action.eq(action));
        }
    }
    if let Some(actor) = filter.actor.clone() {
        query = query.filter(audit_log::actor_name.eq(actor));
    }
    if let Some(kind) = filter.target_kind.clone() {
        query = query.filter(audit_log::target_kind.eq(kind));
    }
    if let Some(target) = filter.target.clone() {
        query = query.filter(audit_log::target_label.eq(target));
    }
    query
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub fn escape_like(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A page of rows matching `filter`, newest first, and the total.
pub async fn list(
    db: &Db,
    filter: AuditFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<AuditRow>, i64)> {
    db.run(move |conn| {
        let total: i64 = filtered(&filter).count().get_result(conn)?;
        let rows = filtered(&filter)
            .order((audit_log::created_at.desc(), audit_log::id.desc()))
            .limit(limit)
            .offset(offset)
            .select(AuditRow::as_select())
            .load(conn)?;
        Ok::<_, AppError>((rows, total))
    })
    .await
}
