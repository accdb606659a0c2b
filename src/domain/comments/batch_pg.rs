//! Comments of concurrent requests stored together on PostgreSQL, one statement a
//! batch ([`crate::db::Batcher`]): the comments, the notifications they make and the
//! email jobs of those notified, as a comment alone stores them ([`super::insert_pg`]).
//!
//! Each comment's id is drawn from the sequence before its row is inserted, in a
//! materialised expression of its own, so that the answer maps every input to its id
//! exactly (an insert's `RETURNING` rows come in no promised order, and two comments of
//! one batch may be identical). Email jobs are queued once per recipient, in the order
//! of their ids: two batches that tell the same two people in turn would otherwise wait
//! on each other's job rows.

use std::sync::LazyLock;

use chrono::NaiveDateTime;
use diesel::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamp};

use super::{Inserted, NewComment, insert_pg};
use crate::db::BatchSql;
use crate::domain::notifications;
use crate::jobs::{self, kinds, queue};

/// The kind of notification a comment makes.
const KIND: &str = "comment";

/// How the comments' batcher stores them.
pub const SQL: BatchSql<NewComment, Inserted> = BatchSql {
    name: "comments",
    many: insert_many,
    one: insert_pg,
};

static INSERT_MANY: LazyLock<String> = LazyLock::new(|| {
    let wanted = notifications::wanted_pg(KIND, "i.told");
    let queued =
        notifications::email_jobs_pg("queued", "created", ["$8", "$9", "$10", "$11", "$12"]);
    format!(
        "\
WITH input AS MATERIALIZED (\
   SELECT * FROM unnest($1::text[], $2::int4[], $3::int4[], $4::timestamp[], $5::int4[], \
     $6::text[]) WITH ORDINALITY AS i(body, article_id, author_id, at, told, subject, n)), \
 ids AS MATERIALIZED (\
   SELECT n, nextval('comments_id_seq')::int4 AS id FROM input ORDER BY n), \
 comment AS (\
   INSERT INTO comments (id, body, article_id, author_id, created_at, updated_at) \
   SELECT ids.id, i.body, i.article_id, i.author_id, i.at, i.at FROM input i JOIN ids USING (n)), \
 created AS (\
   INSERT INTO notifications (user_id, kind, actor_id, article_id, subject, emailed, \
     created_at) \
   SELECT i.told, $7, i.author_id, i.article_id, i.subject, {wanted}, i.at \
   FROM input i WHERE i.told IS NOT NULL \
   RETURNING user_id, emailed), \
 {queued} \
SELECT n, id, (SELECT COUNT(*) FROM queued) AS queued FROM ids ORDER BY n"
    )
});

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = BigInt)]
    queued: i64,
}

/// Stores `batch` in one statement, a transaction of its own; answers each comment's
/// id in the batch's order, each with the number of email jobs the whole statement
/// queued.
fn insert_many(pg: &mut PgConnection, batch: &[NewComment]) -> QueryResult<Vec<Inserted>> {
    if let [one] = batch {
        return insert_pg(pg, one).map(|made| vec![made]);
    }
    let now = batch
        .iter()
        .map(|c| c.created_at)
        .max()
        .unwrap_or_else(crate::domain::time::now);
    fn notice(c: &NewComment) -> Option<&kinds::One> {
        c.notice.as_ref().filter(|one| one.kind == KIND)
    }
    debug_assert!(
        batch
            .iter()
            .all(|c| c.notice.is_none() || notice(c).is_some()),
        "comments tell of comments only"
    );
    let rows: Vec<Row> = crate::db::prepared(INSERT_MANY.as_str())
        .bind::<Array<Text>, _>(batch.iter().map(|c| c.body.as_str()).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(batch.iter().map(|c| c.article_id).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(batch.iter().map(|c| c.author_id).collect::<Vec<_>>())
        .bind::<Array<Timestamp>, _>(
            batch
                .iter()
                .map(|c| c.created_at)
                .collect::<Vec<NaiveDateTime>>(),
        )
        .bind::<Array<Nullable<Integer>>, _>(
            batch
                .iter()
                .map(|c| notice(c).map(|one| one.user_id))
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Nullable<Text>>, _>(
            batch
                .iter()
                .map(|c| notice(c).and_then(|one| one.subject.as_deref()))
                .collect::<Vec<_>>(),
        )
        .bind::<Text, _>(KIND)
        .bind::<Text, _>(kinds::EMAIL_NOTIFICATIONS)
        .bind::<Text, _>(queue::QUEUED)
        .bind::<Integer, _>(jobs::DEFAULT_MAX_ATTEMPTS)
        .bind::<Timestamp, _>(notifications::email_run_at(now))
        .bind::<Timestamp, _>(now)
        .load(pg)?;
    let in_order = rows.len() == batch.len() && rows.iter().zip(1..).all(|(row, n)| row.n == n);
    if !in_order {
        return Err(diesel::result::Error::DeserializationError(
            "a batch of comments answered other rows than it was given".into(),
        ));
    }
    Ok(rows
        .into_iter()
        .map(|row| Inserted {
            id: row.id,
            queued: row.queued,
        })
        .collect())
}
