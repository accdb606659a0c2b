//! The job queue: the transactional outbox, lease expiry, and claims that never overlap.

pub mod email_retries;
pub mod messaging;
pub mod volume;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use awc::http::StatusCode;
use conduit::db::{Db, DbConnection, write_transaction};
use conduit::jobs::{self, Job, JobError, JobHandler, queue};
use diesel::prelude::*;
use serde_json::json;

use crate::helpers::TestApp;

crate::tests![
    outbox_commits_jobs_only_with_their_change,
    expired_lease_is_claimed_again_with_one_effect,
    concurrent_workers_never_run_the_same_job,
    a_long_batch_keeps_its_lease,
    a_long_batch_run_together_keeps_its_lease,
    a_stopping_worker_gives_back_the_rest_of_its_batch,
    readiness_and_metrics_report_the_workers,
    the_job_table_is_tidied_while_workers_run,
];

/// A second handle on the test's database, as another process would have.
pub fn db_of(app: &TestApp) -> Db {
    Db::connect(&app.config.database_url, 4).expect("connect")
}

/// Inserts `count` visible articles by `author` straight into the database, as a bulk
/// load would (slugs `bulk-1`…, titles `Bulk 1`…, each with `body`), in one statement.
pub fn insert_articles(db: &Db, author: &str, count: u32, body: &str) {
    use diesel::connection::SimpleConnection;
    let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let rows = format!(
        "'bulk-' || i, 'Bulk ' || i, 'd', {}, (SELECT id FROM users WHERE username = {}), 0, \
         '2026-01-01 00:00:00', '2026-01-01 00:00:00', FALSE",
        quote(body),
        quote(author)
    );
    let columns = "slug, title, description, body, author_id, favorites_count, created_at, updated_at, hidden";
    let mut conn = db.conn().expect("conn");
    let sql = match &*conn {
        conduit::db::DbConnection::Pg(_) => format!(
            "INSERT INTO articles ({columns}) SELECT {rows} FROM generate_series(1, {count}) AS i"
        ),
        conduit::db::DbConnection::Sqlite(_) => format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
             INSERT INTO articles ({columns}) SELECT {rows} FROM n"
        ),
    };
    conn.batch_execute(&sql).expect("bulk insert");
}

/// The id of the user named `name`.
pub fn user_id(conn: &mut DbConnection, name: &str) -> i32 {
    use conduit::db::schema::users;
    users::table
        .filter(users::username.eq(name))
        .select(users::id)
        .first(conn)
        .expect("user")
}

/// The `notify.fanout` jobs that `publications` drafts published later queue: one each
/// on PostgreSQL; none on SQLite, where each publication's own transaction tells the
/// followers (up to one batch of them). A new article tells them in its create on both.
pub fn fanout_jobs(app: &TestApp, publications: i64) -> i64 {
    match app.config.database_url.kind() {
        conduit::db::BackendKind::Postgres => publications,
        conduit::db::BackendKind::Sqlite => 0,
    }
}

/// Jobs of `kind` in `state` (any state when `None`).
pub fn count_jobs(db: &Db, kind: &str, state: Option<&str>) -> i64 {
    use conduit::db::schema::jobs;
    let mut conn = db.conn().expect("conn");
    let mut query = jobs::table.filter(jobs::kind.eq(kind)).into_boxed();
    if let Some(state) = state {
        query = query.filter(jobs::state.eq(state.to_owned()));
    }
    query.count().get_result(&mut *conn).expect("count")
}

/// Polls `check` every 20 ms for up to `secs` seconds.
pub async fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn outbox_commits_jobs_only_with_their_change(app: TestApp) {
    // No workers: the jobs stay where the outbox put them.
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let db = db_of(&app);
    let mut conn = db.conn().expect("conn");
    let failed: Result<(), diesel::result::Error> = write_transaction(&mut conn, |conn| {
        jobs::enqueue(conn, "test.outbox", &json!({"n": 1}))?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(failed.is_err());
    assert_eq!(
        count_jobs(&db, "test.outbox", None),
        0,
        "rolled back, no job"
    );
    write_transaction(&mut conn, |conn: &mut DbConnection| {
        jobs::enqueue(conn, "test.outbox", &json!({"n": 2})).map(drop)
    })
    .expect("commit");
    assert_eq!(
        count_jobs(&db, "test.outbox", None),
        1,
        "committed, one job"
    );
    drop(conn);

    // Through the API: a refused publish leaves nothing, a published article has its jobs.
    let token = app.register("outboxer").await;
    let refused = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": ""}}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count_jobs(&db, "notify.fanout", None), 0);
    app.publish(&token, "Outbox", &[]).await;
    // Its followers (none) are told by the create itself, on both backends.
    assert_eq!(count_jobs(&db, "notify.fanout", None), 0);
    assert_eq!(count_jobs(&db, "email.welcome", Some("queued")), 1);
    // Nobody has a webhook: the event queues no delivery at all.
    assert_eq!(count_jobs(&db, "webhook.deliver", None), 0);
    let hooked = app
        .post(
            "/api/webhooks",
            Some(&token),
            json!({"webhook": {"url": "http://127.0.0.1:9/hook", "secret": "a-secret-of-16-chars", "events": ["article.published"]}}),
        )
        .await;
    assert_eq!(hooked.status, StatusCode::CREATED, "{}", hooked.text);
    app.publish(&token, "Outbox again", &[]).await;
    // The write queues the delivery itself, in its own commit.
    assert_eq!(count_jobs(&db, "webhook.deliver", Some("queued")), 1);
    assert_eq!(count_jobs(&db, "webhook.event", None), 0);
}

async fn expired_lease_is_claimed_again_with_one_effect(app: TestApp) {
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let db = db_of(&app);
    // A notification job as a queue may hold it from before writes made their own.
    let mut conn = db.conn().expect("conn");
    let (alice_id, bob_id) = (user_id(&mut conn, "alice"), user_id(&mut conn, "bob"));
    let follower = json!({"user_id": alice_id, "kind": "follower", "actor_id": bob_id,
                          "article_id": null, "subject": null});
    write_transaction(&mut conn, |conn| {
        jobs::enqueue(conn, "notify.one", &follower)
    })
    .expect("enqueued");

    // A worker claims the job, does its work, and dies before recording it.
    let mut claimed = queue::claim(
        &mut conn,
        "doomed",
        &["notify.one"],
        1,
        Duration::from_millis(300),
    )
    .expect("claim");
    let job = claimed.pop().expect("the follow notification job");
    let handler = app_handler(&app);
    handler.run(&db, &job).expect("first run");
    assert_eq!(notifications_of(&db, "alice"), 1);
    drop(conn);

    // Its lease runs out; a live worker takes the job over and finishes it.
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    let app = app.reconfigure(|c| c.jobs.workers = 1).await;
    eventually(10, "the job to be done", || {
        count_jobs(&db, "notify.one", Some("done")) == 1
    })
    .await;
    let mut conn = db.conn().expect("conn");
    let done = queue::find(&mut conn, job.id).expect("find").expect("job");
    assert_eq!(done.attempts, 2, "claimed twice");
    assert_eq!(notifications_of(&db, "alice"), 1, "exactly one effect");
    // The dead worker's late report changes nothing.
    assert!(!queue::complete(&mut conn, &job, "doomed").expect("complete"));
    let listed = app.get("/api/notifications", Some(&alice)).await;
    assert_eq!(
        listed.json["notifications"].as_array().map(Vec::len),
        Some(1)
    );
}

/// The application's own handler, built as the server builds it.
pub fn app_handler(app: &TestApp) -> conduit::jobs::handlers::AppHandlers {
    app_handler_mailing_to(app, app.config.jobs.mail_dir.clone())
}

/// [`app_handler`] writing its emails to `mail_dir`.
pub fn app_handler_mailing_to(
    app: &TestApp,
    mail_dir: std::path::PathBuf,
) -> conduit::jobs::handlers::AppHandlers {
    let mailer = conduit::jobs::mail::Mailer::new(None, mail_dir, &app.config.jobs.mail_from)
        .expect("mailer");
    let broadcast = conduit::cache::broadcast::Broadcast::for_db(&db_of(app)).expect("broadcast");
    conduit::jobs::handlers::AppHandlers::new(
        broadcast,
        mailer,
        true,
        &app.config.jobs.public_url,
        app.config.secret_key.clone(),
    )
}

/// Notifications held by `username`.
pub fn notifications_of(db: &Db, username: &str) -> i64 {
    use conduit::db::schema::{notifications, users};
    let mut conn = db.conn().expect("conn");
    let id: i32 = users::table
        .filter(users::username.eq(username))
        .select(users::id)
        .first(&mut *conn)
        .expect("user");
    notifications::table
        .filter(notifications::user_id.eq(id))
        .count()
        .get_result(&mut *conn)
        .expect("count")
}

/// Counts how often each job runs; each run takes `.1`, so that claims overlap.
struct Counting(Arc<Mutex<HashMap<i32, u32>>>, Duration);

impl JobHandler for Counting {
    fn kinds(&self) -> Vec<&'static str> {
        vec!["test.count"]
    }

    fn run(&self, _db: &Db, job: &Job) -> Result<(), JobError> {
        std::thread::sleep(self.1);
        let mut runs = self
            .0
            .lock()
            .map_err(|_| JobError::Retry("poisoned".into()))?;
        *runs.entry(job.id).or_default() += 1;
        Ok(())
    }
}

/// [`Counting`] whose jobs run together (the default `run_together`, one after another).
struct CountingTogether(Counting);

impl JobHandler for CountingTogether {
    fn kinds(&self) -> Vec<&'static str> {
        self.0.kinds()
    }

    fn run(&self, db: &Db, job: &Job) -> Result<(), JobError> {
        self.0.run(db, job)
    }

    fn runs_together(&self, _kind: &str) -> bool {
        true
    }
}

async fn concurrent_workers_never_run_the_same_job(app: TestApp) {
    const JOBS: usize = 150;
    let db = db_of(&app);
    {
        let mut conn = db.conn().expect("conn");
        for n in 0..JOBS {
            jobs::enqueue(&mut conn, "test.count", &json!({ "n": n })).expect("enqueue");
        }
    }
    let runs = Arc::new(Mutex::new(HashMap::new()));
    // Two "instances", each with its own pool and two threads, on one queue.
    let settings = app.config.jobs.settings(2);
    let instances: Vec<_> = (0..2)
        .map(|_| {
            jobs::WorkerPool::start(
                Db::connect(&app.config.database_url, 3).expect("pool"),
                settings.clone(),
                Arc::new(Counting(Arc::clone(&runs), Duration::from_millis(2))),
            )
            .expect("workers start")
        })
        .collect();
    for pool in &instances {
        app.pools.borrow_mut().push(Arc::clone(pool));
    }
    eventually(60, "every job to be done", || {
        count_jobs(&db, "test.count", Some("done")) == JOBS as i64
    })
    .await;
    for pool in &instances {
        assert!(pool.shutdown(Duration::from_secs(10)));
    }
    let runs = runs.lock().expect("lock");
    assert_eq!(runs.len(), JOBS, "every job ran");
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
}

/// Enqueues `n` `test.count` jobs.
fn enqueue_counted(db: &Db, n: usize) {
    let mut conn = db.conn().expect("conn");
    for i in 0..n {
        jobs::enqueue(&mut conn, "test.count", &json!({ "n": i })).expect("enqueue");
    }
}

/// A worker claims many jobs at once (these 16 in one claim). A batch that takes longer
/// than the lease (16 × 100 ms against 1 s) keeps it as it goes, so an idle worker
/// waiting beside it never takes the rest over: every job runs once.
async fn a_long_batch_keeps_its_lease(app: TestApp) {
    long_batch_keeps_its_lease(app, 16, Duration::from_millis(100), false).await;
}

/// The same for jobs that run together: the handler gets them 16 at a time, and the
/// lease is renewed between calls (48 × 40 ms in one call would outlast the 1 s lease).
async fn a_long_batch_run_together_keeps_its_lease(app: TestApp) {
    long_batch_keeps_its_lease(app, 48, Duration::from_millis(40), true).await;
}

async fn long_batch_keeps_its_lease(app: TestApp, count: usize, each: Duration, together: bool) {
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let db = db_of(&app);
    enqueue_counted(&db, count);
    let runs = Arc::new(Mutex::new(HashMap::new()));
    let mut settings = app.config.jobs.settings(1);
    settings.lease = Duration::from_secs(1);
    let handler = || -> Arc<dyn JobHandler> {
        let counting = Counting(Arc::clone(&runs), each);
        if together {
            Arc::new(CountingTogether(counting))
        } else {
            Arc::new(counting)
        }
    };
    let busy =
        jobs::WorkerPool::start(db_of(&app), settings.clone(), handler()).expect("workers start");
    app.pools.borrow_mut().push(Arc::clone(&busy));
    eventually(10, "the batch to be claimed", || {
        count_jobs(&db, "test.count", Some("queued")) == 0
    })
    .await;
    // Now a second worker polls beside it, ready to take over any expired lease.
    let idle = jobs::WorkerPool::start(db_of(&app), settings, handler()).expect("workers start");
    app.pools.borrow_mut().push(Arc::clone(&idle));
    eventually(30, "every job to be done", || {
        count_jobs(&db, "test.count", Some("done")) == count as i64
    })
    .await;
    let runs = runs.lock().expect("lock");
    assert_eq!(runs.len(), count, "every job ran");
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
}

/// A worker stopped part-way through its batch gives the rest back at once (queued,
/// the claim not counted as an attempt) instead of holding them until its lease ends.
async fn a_stopping_worker_gives_back_the_rest_of_its_batch(app: TestApp) {
    use conduit::db::schema::jobs as table;
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let db = db_of(&app);
    enqueue_counted(&db, 16);
    let runs = Arc::new(Mutex::new(HashMap::new()));
    let pool = jobs::WorkerPool::start(
        db_of(&app),
        app.config.jobs.settings(1),
        Arc::new(Counting(Arc::clone(&runs), Duration::from_millis(100))),
    )
    .expect("workers start");
    eventually(10, "the batch to be claimed", || {
        count_jobs(&db, "test.count", Some("queued")) == 0
    })
    .await;
    assert!(pool.shutdown(Duration::from_secs(10)));
    let ran = runs.lock().expect("lock").len() as i64;
    assert!(ran < 16, "stopped part-way ({ran} ran)");
    assert_eq!(count_jobs(&db, "test.count", Some("running")), 0);
    assert_eq!(count_jobs(&db, "test.count", Some("done")), ran);
    assert_eq!(count_jobs(&db, "test.count", Some("queued")), 16 - ran);
    let mut conn = db.conn().expect("conn");
    let attempts: Vec<i32> = table::table
        .filter(table::state.eq("queued"))
        .select(table::attempts)
        .load(&mut *conn)
        .expect("attempts");
    assert!(attempts.iter().all(|a| *a == 0), "{attempts:?}");
}

async fn readiness_and_metrics_report_the_workers(app: TestApp) {
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.json["checks"]["workers"], "running");
    let token = app.register("metered").await;
    app.publish(&token, "Counted", &[]).await;
    let db = db_of(&app);
    eventually(10, "the welcome email job", || {
        count_jobs(&db, "email.welcome", Some("done")) == 1
    })
    .await;
    let mut response = app
        .client
        .get(format!("{}/metrics", app.address))
        .insert_header((
            "Authorization",
            format!("Bearer {}", crate::helpers::METRICS_TOKEN),
        ))
        .send()
        .await
        .expect("metrics");
    let text = String::from_utf8_lossy(&response.body().await.expect("body")).into_owned();
    assert!(text.contains("jobs{state=\"done\"}"), "{text}");
    assert!(text.contains("jobs{state=\"dead\"} 0"), "{text}");
    assert!(text.contains("jobs_processed_total{"), "{text}");
    assert!(text.contains("jobs_due "), "{text}");
    assert!(text.contains("jobs_oldest_due_seconds "), "{text}");

    // Workers stopped (as after a crash of the pool): not ready.
    let pools: Vec<_> = app.pools.borrow().clone();
    for pool in pools {
        pool.shutdown(Duration::from_secs(10));
    }
    let ready = app.get("/readyz", None).await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.text
    );
    assert_eq!(ready.json["checks"]["workers"], "stopped");

    // Workers split off to `conduit worker`: the web process is ready without its own.
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.json["checks"]["workers"], "disabled");
}

/// Claims and completions leave dead row versions behind on PostgreSQL; `queue::tidy`
/// (run by a worker every few seconds while jobs run) reclaims them, outside any
/// transaction, on a connection of the pool, and is a no-op on SQLite. Afterwards the
/// queue still claims and completes as before.
async fn the_job_table_is_tidied_while_workers_run(app: TestApp) {
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let db = db_of(&app);
    enqueue_counted(&db, 40);
    let mut conn = db.conn().expect("conn");
    let kinds = ["test.count"];
    let lease = Duration::from_secs(30);
    let taken = queue::claim(&mut conn, "tidy-test", &kinds, 40, lease).expect("claimed");
    let ids: Vec<i32> = taken.iter().map(|job| job.id).collect();
    assert_eq!(
        queue::complete_all(&mut conn, &ids, "tidy-test").expect("done"),
        40
    );
    queue::tidy(&mut conn).expect("tidied");
    enqueue_counted(&db, 3);
    let again = queue::claim(&mut conn, "tidy-test", &kinds, 40, lease).expect("claimed");
    assert_eq!(again.len(), 3, "only the new jobs are due");
    assert_eq!(count_jobs(&db, "test.count", Some("done")), 40);
}

/// How many notifications an email file tells: a digest says how many, any other email
/// tells one.
pub fn notices_in(text: &str) -> usize {
    text.split("You have ")
        .nth(1)
        .and_then(|rest| rest.split(" new notifications").next())
        .and_then(|count| count.parse().ok())
        .unwrap_or(1)
}

/// Notifications of `username` whose email has not gone out (or never will).
pub fn unmailed(db: &Db, username: &str) -> i64 {
    use conduit::db::schema::{notifications, users};
    let mut conn = db.conn().expect("conn");
    notifications::table
        .inner_join(users::table.on(users::id.eq(notifications::user_id)))
        .filter(users::username.eq(username))
        .filter(notifications::emailed)
        .filter(notifications::mailed_at.is_null())
        .count()
        .get_result(&mut *conn)
        .expect("count")
}
