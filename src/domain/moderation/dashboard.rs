//! The numbers on the admin dashboard.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::Db;
use crate::db::schema::{articles, comments, reports, users};
use crate::domain::time;
use crate::error::{AppError, AppResult};

/// Days covered by the dashboard's series.
pub const DAYS: i64 = 30;

/// Totals and the last [`DAYS`] days, day by day.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Accounts.
    pub users: i64,
    /// Articles (hidden ones included).
    pub articles: i64,
    /// Comments.
    pub comments: i64,
    /// Reports still open.
    pub open_reports: i64,
    /// Accounts suspended now or in the past without being lifted.
    pub suspended: i64,
    /// The days of the series, oldest first.
    pub days: Vec<NaiveDate>,
    /// Sign-ups per day, aligned with `days`.
    pub signups: Vec<i64>,
    /// Articles published per day, aligned with `days`.
    pub new_articles: Vec<i64>,
}

/// Counts everything (seven queries). The series are bucketed here from the creation
/// times of the window, so no date function differs between the backends.
pub async fn load(db: &Db) -> AppResult<Dashboard> {
    db.run(|conn| {
        let today = time::now().date();
        let first = today - Duration::days(DAYS - 1);
        let since: NaiveDateTime = first.and_hms_opt(0, 0, 0).unwrap_or_default();
        let signup_times: Vec<NaiveDateTime> = users::table
            .filter(users::created_at.ge(since))
            .select(users::created_at)
            .load(conn)?;
        let article_times: Vec<NaiveDateTime> = articles::table
            .filter(articles::created_at.ge(since))
            .select(articles::created_at)
            .load(conn)?;
        let days: Vec<NaiveDate> = (0..DAYS).map(|i| first + Duration::days(i)).collect();
        let bucket = |times: &[NaiveDateTime]| {
            let mut counts = vec![0_i64; days.len()];
            for t in times {
                let index = (t.date() - first).num_days();
                if let Some(slot) = usize::try_from(index).ok().and_then(|i| counts.get_mut(i)) {
                    *slot += 1;
                }
            }
            counts
        };
        let signups = bucket(&signup_times);
        let new_articles = bucket(&article_times);
        Ok::<_, AppError>(Dashboard {
            users: users::table.count().get_result(conn)?,
            articles: articles::table.count().get_result(conn)?,
            comments: comments::table.count().get_result(conn)?,
            open_reports: reports::table
                .filter(reports::status.eq("open"))
                .count()
                .get_result(conn)?,
            suspended: users::table
                .filter(users::suspended_at.is_not_null())
                .count()
                .get_result(conn)?,
            days,
            signups,
            new_articles,
        })
    })
    .await
}
