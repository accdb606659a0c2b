//! Integration tests: every test runs against the real HTTP stack, once on SQLite and
//! once on PostgreSQL. Without `CONDUIT_TEST_POSTGRES_URL` the PostgreSQL runs are
//! reported as ignored (skipped), never as passed.

mod accounts;
mod admin;
mod articles;
mod bcrypt_floor;
mod caching;
mod cluster;
mod comments;
mod counted;
mod discovery;
mod drafts;
mod graphql;
mod helpers;
mod images;
mod jobs;
mod live;
mod markdown;
mod openapi;
mod ops;
mod pages;
mod process;
mod profiles;
mod restart;
mod revisions;
mod search;
mod security;
mod seed;
mod tags;
mod users;
mod writes;

use helpers::{Backend, TestApp, TestFn};
use libtest_mimic::{Arguments, Failed, Trial};

fn all_tests() -> Vec<(String, TestFn)> {
    let groups: [(&str, Vec<(&'static str, TestFn)>); 47] = [
        ("users", users::tests()),
        ("profiles", profiles::tests()),
        ("articles", articles::tests()),
        ("comments", comments::tests()),
        ("tags", tags::tests()),
        ("restart", restart::tests()),
        ("ops", ops::tests()),
        ("security", security::tests()),
        ("process", process::tests()),
        ("pages", pages::tests()),
        ("discovery", discovery::tests()),
        ("search", search::tests()),
        ("admin", admin::tests()),
        ("openapi", openapi::tests()),
        ("bcrypt_floor", bcrypt_floor::tests()),
        ("jobs", jobs::tests()),
        ("messaging", jobs::messaging::tests()),
        ("email_retries", jobs::email_retries::tests()),
        ("webhooks", jobs::webhooks::tests()),
        ("jobs_volume", jobs::volume::tests()),
        ("caching", caching::tests()),
        ("seed", seed::tests()),
        ("cluster", cluster::coherence::tests()),
        ("cluster_outage", cluster::outage::tests()),
        ("cluster_jobs", cluster::jobs::tests()),
        ("cluster_limits", cluster::limits::tests()),
        ("cluster_members", cluster::members::tests()),
        ("cluster_webhooks", cluster::webhooks::tests()),
        ("write_batches", writes::batches::tests()),
        ("write_races", writes::races::tests()),
        ("write_commits", writes::commits::tests()),
        ("write_gate", writes::gate::tests()),
        ("write_statements", writes::statements::tests()),
        ("usernames", accounts::usernames::tests()),
        ("reauth", accounts::reauth::tests()),
        ("recovery", accounts::recovery::tests()),
        ("verification", accounts::verification::tests()),
        ("two_factor", accounts::two_factor::tests()),
        ("sessions", accounts::sessions::tests()),
        ("tokens", accounts::tokens::tests()),
        ("markdown", markdown::tests()),
        ("revisions", revisions::tests()),
        ("images", images::tests()),
        ("drafts", drafts::tests()),
        ("live", live::streams::tests()),
        ("live_bounds", live::bounds::tests()),
        ("graphql", graphql::tests()),
    ];
    groups
        .into_iter()
        .flat_map(|(group, tests)| {
            tests
                .into_iter()
                .map(move |(name, f)| (format!("{group}::{name}"), f))
        })
        .collect()
}

fn run(backend: Backend, test: TestFn) -> Result<(), Failed> {
    let outcome = std::panic::catch_unwind(|| {
        actix_web::rt::System::new().block_on(async move {
            let app = TestApp::spawn(backend).await;
            let servers = app.servers.clone();
            let pools = app.pools.clone();
            let mail_dir = app.config.jobs.mail_dir.clone();
            // The test runs as a task of its own, so that a failing test still stops
            // its servers and workers below instead of leaving them running.
            let finished = actix_web::rt::spawn(test(app)).await;
            TestApp::stop_servers(&servers).await;
            TestApp::stop_pools(&pools);
            let _ = std::fs::remove_dir_all(mail_dir);
            if let Err(failure) = finished {
                match failure.try_into_panic() {
                    Ok(panic) => std::panic::resume_unwind(panic),
                    Err(e) => panic!("test task failed: {e}"),
                }
            }
        })
    });
    outcome.map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "test panicked".into());
        Failed::from(message)
    })
}

fn main() {
    // Before the first PostgreSQL connection (the harness opens its own, too).
    conduit::db::init_client_tls();
    let args = Arguments::from_args();
    let postgres = std::env::var("CONDUIT_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty());
    if postgres.is_none() {
        eprintln!(
            "note: CONDUIT_TEST_POSTGRES_URL is not set; the PostgreSQL tests are SKIPPED (shown as ignored)"
        );
    }
    let mut trials = Vec::new();
    for (name, test) in all_tests() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let trial = Trial::test(format!("{}::{name}", backend.name()), move || {
                run(backend, test)
            });
            let skipped = backend == Backend::Postgres && postgres.is_none();
            trials.push(trial.with_ignored_flag(skipped));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
