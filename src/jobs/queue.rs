//! Queue operations on one connection: claim under a lease, complete, fail with backoff,
//! and the inspection and repair that the admin page offers.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Text, Timestamp};

use super::{Job, JobSettings};
use crate::db::schema::jobs;
use crate::db::{DbConnection, write_transaction};
use crate::domain::time;

/// Waiting for its run time or a worker.
pub const QUEUED: &str = "queued";
/// Held by a worker under a lease.
pub const RUNNING: &str = "running";
/// Finished.
pub const DONE: &str = "done";
/// Out of attempts (or failed for good); kept for inspection.
pub const DEAD: &str = "dead";

const RETURNING: &str = "RETURNING id, kind, payload, state, attempts, max_attempts, run_at, \
     lease_owner, lease_expires_at, last_error, created_at, updated_at";

fn lease_end(now: NaiveDateTime, lease: Duration) -> NaiveDateTime {
    now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60))
}

/// Claims up to `limit` due jobs of `kinds` for `owner` until `now + lease`: first
/// running jobs whose holder's lease ran out (a worker that died), then queued jobs whose
/// time has come, oldest first. Each claim counts as an attempt. Jobs whose lease ran
/// out on their last attempt are marked dead first. Every statement reads a partial
/// index of just the rows it may take (see the `job_claims` migration), so what a claim
/// costs does not grow with the finished jobs the table keeps.
pub fn claim(
    conn: &mut DbConnection,
    owner: &str,
    kinds: &[&str],
    limit: i64,
    lease: Duration,
) -> QueryResult<Vec<Job>> {
    let claim = Claim::now(owner, kinds, lease);
    let now = claim.now;
    write_transaction(conn, |conn| {
        diesel::update(
            jobs::table
                .filter(jobs::state.eq(RUNNING))
                .filter(jobs::lease_expires_at.lt(now))
                .filter(jobs::attempts.ge(jobs::max_attempts)),
        )
        .set((
            jobs::state.eq(DEAD),
            jobs::lease_owner.eq(None::<String>),
            jobs::last_error.eq("the worker running the last attempt stopped (lease expired)"),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
        let mut taken = claim.take(conn, Due::LeaseExpired, limit)?;
        let left = limit - i64::try_from(taken.len()).unwrap_or(limit);
        if left > 0 {
            taken.extend(claim.take(conn, Due::Queued, left)?);
        }
        taken.sort_by_key(|job| (job.run_at, job.id));
        Ok(taken)
    })
}

/// [`claim`] without its upkeep: takes up to `limit` queued jobs whose time has come,
/// and leaves expired leases for the next full claim. One statement, so on PostgreSQL
/// it needs no transaction of its own (three fewer round trips a claim); on SQLite it
/// still runs under `BEGIN IMMEDIATE`, which costs no round trip there.
pub fn claim_queued(
    conn: &mut DbConnection,
    owner: &str,
    kinds: &[&str],
    limit: i64,
    lease: Duration,
) -> QueryResult<Vec<Job>> {
    let claim = Claim::now(owner, kinds, lease);
    let mut taken = match conn {
        DbConnection::Pg(_) => claim.take(conn, Due::Queued, limit)?,
        DbConnection::Sqlite(_) => {
            write_transaction(conn, |conn| claim.take(conn, Due::Queued, limit))?
        }
    };
    taken.sort_by_key(|job| (job.run_at, job.id));
    Ok(taken)
}

/// Whether any job of `kinds` is due (queued and its time come, or its lease run out):
/// a read, which on SQLite needs neither the write lock nor the write gate. Idle workers
/// ask before they claim, since every write wakes them all and most wake-ups are for
/// other kinds than theirs.
pub fn any_due(conn: &mut DbConnection, kinds: &[&str]) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    // The conditions of the claims (so the same partial indexes serve), now as `$1`.
    let queued = Due::Queued.sql().0.replace("$3", "$1");
    let expired = Due::LeaseExpired.sql().0.replace("$3", "$1");
    let now = time::now();
    let found: Found = match conn {
        DbConnection::Pg(pg) => diesel::sql_query(format!(
            "SELECT (EXISTS (SELECT 1 FROM jobs WHERE {queued} AND kind = ANY($2)) \
             OR EXISTS (SELECT 1 FROM jobs WHERE {expired} AND kind = ANY($2))) AS found"
        ))
        .bind::<Timestamp, _>(now)
        .bind::<Array<Text>, _>(kinds)
        .get_result(pg)?,
        DbConnection::Sqlite(sqlite) => {
            let kinds = serde_json::to_string(kinds)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
            let of_kinds = "kind IN (SELECT value FROM json_each(?2))";
            diesel::sql_query(
                format!(
                    "SELECT (EXISTS (SELECT 1 FROM jobs WHERE {queued} AND {of_kinds}) \
                     OR EXISTS (SELECT 1 FROM jobs WHERE {expired} AND {of_kinds})) AS found"
                )
                .replace("$1", "?1"),
            )
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(kinds)
            .get_result(sqlite)?
        }
    };
    Ok(found.found)
}

/// Which due jobs a claim statement takes.
#[derive(Clone, Copy)]
enum Due {
    /// Running, but the holder's lease ran out.
    LeaseExpired,
    /// Queued, and its run time has come.
    Queued,
}

impl Due {
    /// The condition and order, matching the partial indexes (`$3` is now).
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            Due::LeaseExpired => (
                "state = 'running' AND lease_expires_at < $3",
                "lease_expires_at, id",
            ),
            Due::Queued => ("state = 'queued' AND run_at <= $3", "run_at, id"),
        }
    }
}

/// One claim's owner, kinds and times.
struct Claim<'a> {
    owner: &'a str,
    kinds: &'a [&'a str],
    now: NaiveDateTime,
    until: NaiveDateTime,
}

impl<'a> Claim<'a> {
    /// A claim for `owner` of jobs of `kinds`, made now, leased for `lease`.
    fn now(owner: &'a str, kinds: &'a [&'a str], lease: Duration) -> Self {
        let now = time::now();
        Self {
            owner,
            kinds,
            now,
            until: lease_end(now, lease),
        }
    }

    /// Takes up to `limit` jobs of one [`Due`] kind.
    fn take(&self, conn: &mut DbConnection, due: Due, limit: i64) -> QueryResult<Vec<Job>> {
        let (condition, order) = due.sql();
        match conn {
            // SKIP LOCKED: concurrent claimers pass over each other's rows instead of
            // waiting for them or taking them twice.
            DbConnection::Pg(pg) => diesel::sql_query(format!(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, \
                 lease_expires_at = $2, updated_at = $3 WHERE id IN (SELECT id FROM jobs \
                 WHERE {condition} AND kind = ANY($4) \
                 ORDER BY {order} LIMIT $5 FOR UPDATE SKIP LOCKED) {RETURNING}"
            ))
            .bind::<Text, _>(self.owner)
            .bind::<Timestamp, _>(self.until)
            .bind::<Timestamp, _>(self.now)
            .bind::<Array<Text>, _>(self.kinds)
            .bind::<BigInt, _>(limit)
            .load(pg),
            // SQLite has one writer at a time, and this runs under BEGIN IMMEDIATE: the
            // UPDATE is atomic against every other claimer.
            DbConnection::Sqlite(sqlite) => {
                let kinds = serde_json::to_string(self.kinds)
                    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
                diesel::sql_query(format!(
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, \
                     lease_owner = ?1, lease_expires_at = ?2, updated_at = ?3 \
                     WHERE id IN (SELECT id FROM jobs WHERE {} \
                     AND kind IN (SELECT value FROM json_each(?4)) \
                     ORDER BY {order} LIMIT ?5) {RETURNING}",
                    condition.replace('$', "?")
                ))
                .bind::<Text, _>(self.owner)
                .bind::<Timestamp, _>(self.until)
                .bind::<Timestamp, _>(self.now)
                .bind::<Text, _>(kinds)
                .bind::<BigInt, _>(limit)
                .load(sqlite)
            }
        }
    }
}

/// Marks `job` done if `owner` still holds it; false when the lease was lost meanwhile
/// (another worker took the job over, and its run counts instead).
pub fn complete(conn: &mut DbConnection, job: &Job, owner: &str) -> QueryResult<bool> {
    Ok(complete_all(conn, &[job.id], owner)? == 1)
}

/// Marks the jobs `ids` done, those that `owner` still holds, in one statement; returns
/// how many it marked.
pub fn complete_all(conn: &mut DbConnection, ids: &[i32], owner: &str) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(held_all(ids, owner))
        .set((
            jobs::state.eq(DONE),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_expires_at.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(time::now()),
        ))
        .execute(conn)
}

/// Extends `owner`'s lease on the jobs `ids` to `now + lease` (a worker part-way through
/// a batch keeps the rest of it).
pub fn extend(
    conn: &mut DbConnection,
    ids: &[i32],
    owner: &str,
    lease: Duration,
) -> QueryResult<usize> {
    let now = time::now();
    diesel::update(held_all(ids, owner))
        .set((
            jobs::lease_expires_at.eq(lease_end(now, lease)),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Gives back claimed jobs that `owner` will not run (it is stopping): queued again at
/// once, their claim not counted as an attempt.
pub fn release(conn: &mut DbConnection, ids: &[i32], owner: &str) -> QueryResult<usize> {
    diesel::update(held_all(ids, owner))
        .set((
            jobs::state.eq(QUEUED),
            jobs::attempts.eq(jobs::attempts - 1),
            // A fresh job of the same key may be queued by now (see
            // `crate::domain::notifications::queue_email`).
            jobs::coalesce_key.eq(None::<String>),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_expires_at.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(time::now()),
        ))
        .execute(conn)
}

/// What a failed attempt led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// Queued again for later.
    Retrying,
    /// Out of attempts, or failed for good.
    Dead,
    /// The lease had been lost; nothing changed.
    LeaseLost,
}

/// Records a failed attempt: queued again after the backoff, or dead when `permanent` or
/// out of attempts.
pub fn fail(
    conn: &mut DbConnection,
    job: &Job,
    owner: &str,
    error: &str,
    permanent: bool,
    settings: &JobSettings,
) -> QueryResult<Failed> {
    let now = time::now();
    let error: String = error.chars().take(2000).collect();
    let dead = permanent || job.attempts >= job.max_attempts;
    let (state, run_at, outcome) = if dead {
        (DEAD, job.run_at, Failed::Dead)
    } else {
        let delay = settings.backoff(job.attempts);
        (QUEUED, lease_end(now, delay), Failed::Retrying)
    };
    let changed = diesel::update(held(job.id, owner))
        .set((
            jobs::state.eq(state),
            jobs::run_at.eq(run_at),
            jobs::coalesce_key.eq(None::<String>),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_expires_at.eq(None::<NaiveDateTime>),
            jobs::last_error.eq(Some(error)),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(if changed == 1 {
        outcome
    } else {
        Failed::LeaseLost
    })
}

type Held = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<jobs::table, diesel::dsl::Eq<jobs::id, i32>>,
        diesel::dsl::Eq<jobs::lease_owner, String>,
    >,
    diesel::dsl::Eq<jobs::state, &'static str>,
>;

type HeldAll<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<jobs::table, diesel::dsl::EqAny<jobs::id, &'a [i32]>>,
        diesel::dsl::Eq<jobs::lease_owner, String>,
    >,
    diesel::dsl::Eq<jobs::state, &'static str>,
>;

fn held_all<'a>(ids: &'a [i32], owner: &str) -> HeldAll<'a> {
    jobs::table
        .filter(jobs::id.eq_any(ids))
        .filter(jobs::lease_owner.eq(owner.to_owned()))
        .filter(jobs::state.eq(RUNNING))
}

fn held(id: i32, owner: &str) -> Held {
    jobs::table
        .filter(jobs::id.eq(id))
        .filter(jobs::lease_owner.eq(owner.to_owned()))
        .filter(jobs::state.eq(RUNNING))
}

/// Job counts per (state, kind).
pub fn counts(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, i64)>> {
    jobs::table
        .group_by((jobs::state, jobs::kind))
        .select((jobs::state, jobs::kind, diesel::dsl::count_star()))
        .order((jobs::state, jobs::kind))
        .load(conn)
}

/// The most recent dead jobs, newest first.
pub fn dead(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Job>> {
    jobs::table
        .filter(jobs::state.eq(DEAD))
        .order((jobs::updated_at.desc(), jobs::id.desc()))
        .limit(limit)
        .select(Job::as_select())
        .load(conn)
}

/// Gives a dead job a fresh set of attempts, due now; false when it is not dead.
pub fn retry(conn: &mut DbConnection, id: i32) -> QueryResult<bool> {
    let now = time::now();
    let changed = diesel::update(jobs::table.find(id).filter(jobs::state.eq(DEAD)))
        .set((
            jobs::state.eq(QUEUED),
            jobs::attempts.eq(0),
            jobs::coalesce_key.eq(None::<String>),
            jobs::run_at.eq(now),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Deletes a dead job for good; false when it is not dead.
pub fn discard(conn: &mut DbConnection, id: i32) -> QueryResult<bool> {
    let changed =
        diesel::delete(jobs::table.find(id).filter(jobs::state.eq(DEAD))).execute(conn)?;
    Ok(changed == 1)
}

/// Deletes finished jobs older than `age` (the queue keeps only recent history).
pub fn prune_done(conn: &mut DbConnection, age: chrono::Duration) -> QueryResult<usize> {
    diesel::delete(
        jobs::table
            .filter(jobs::state.eq(DONE))
            .filter(jobs::updated_at.lt(time::now() - age)),
    )
    .execute(conn)
}

/// Lets PostgreSQL reclaim the row versions that claims and completions left behind
/// (each job's row is rewritten three times). Until then the queued jobs' partial index
/// still holds an entry for every job ever queued there, and a claim walks past those
/// of jobs already taken: under a sustained load that took a claim from a tenth of a
/// millisecond to 25 ms, and the queue fell behind. Skipped when another instance is
/// vacuuming it already; nothing to do on SQLite, whose indexes drop entries at once.
pub fn tidy(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(_) => conn.batch_execute("VACUUM (SKIP_LOCKED, ANALYZE) jobs"),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// One job by id.
pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Job>> {
    jobs::table
        .find(id)
        .select(Job::as_select())
        .first(conn)
        .optional()
}

/// Jobs waiting for a worker now, and when the oldest of them became due: how far the
/// workers are behind. Reads only the queued jobs' partial index.
pub fn backlog(conn: &mut DbConnection) -> QueryResult<Backlog> {
    let now = time::now();
    let (due, oldest) = jobs::table
        .filter(jobs::state.eq(QUEUED))
        .filter(jobs::run_at.le(now))
        .select((diesel::dsl::count_star(), diesel::dsl::min(jobs::run_at)))
        .first::<(i64, Option<NaiveDateTime>)>(conn)?;
    Ok(Backlog {
        due,
        oldest_wait: oldest.map_or(Duration::ZERO, |at| {
            (now - at).to_std().unwrap_or(Duration::ZERO)
        }),
    })
}

/// See [`backlog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// Queued jobs whose run time has come.
    pub due: i64,
    /// How long the oldest of them has waited past its run time.
    pub oldest_wait: Duration,
}

/// Jobs per state, for the metrics gauges.
pub fn state_totals(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    jobs::table
        .group_by(jobs::state)
        .select((jobs::state, diesel::dsl::count_star()))
        .load(conn)
}
