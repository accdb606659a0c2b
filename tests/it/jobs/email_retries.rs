//! A notification email that could not be sent goes out when its job is retried: the
//! same notifications, once each, none lost. (Taking a recipient's waiting
//! notifications marks them mailed; the job keeps them for its retries.)

use std::time::Duration;

use conduit::jobs::{Job, JobHandler, queue};

use super::{app_handler, app_handler_mailing_to, db_of, notices_in, unmailed};
use crate::admin::comment;
use crate::helpers::{TestApp, emails_to};

crate::tests![a_failed_notification_email_goes_out_again_on_its_retry];

async fn a_failed_notification_email_goes_out_again_on_its_retry(app: TestApp) {
    let app = app.reconfigure(|c| c.jobs.workers = 0).await;
    let alice = app.register("alice").await;
    let slug = app.publish(&alice, "Talked about", &[]).await;
    for name in ["bob", "carol"] {
        let token = app.register(name).await;
        comment(&app, &token, &slug, &format!("{name} was here.")).await;
    }
    let db = db_of(&app);
    let owner = "retrying";
    let claim = || {
        queue::claim(
            &mut db.conn().expect("conn"),
            owner,
            &["email.notifications"],
            10,
            Duration::from_secs(60),
        )
        .expect("claim")
    };
    // Emails gather for a moment before they are due.
    actix_web::rt::time::sleep(conduit::jobs::WAKE_HORIZON).await;
    let first = claim();
    assert_eq!(first.len(), 1, "one email job for alice");

    // The mail folder cannot be made (its parent is a file): the send fails.
    let blocker = std::env::temp_dir().join(format!("conduit-no-mail-{}", rand_suffix()));
    std::fs::write(&blocker, b"not a folder").expect("blocker file");
    let failing = app_handler_mailing_to(&app, blocker.join("mail"));
    let outcomes = failing.run_together(&db, &first.iter().collect::<Vec<&Job>>());
    std::fs::remove_file(&blocker).expect("remove the blocker");
    assert!(outcomes[0].is_err(), "{outcomes:?}");

    // The worker records the failure; the job is queued again (here without a delay)
    // and claimed again.
    let mut settings = app.config.jobs.settings(1);
    settings.backoff_base = Duration::ZERO;
    let failed = queue::fail(
        &mut db.conn().expect("conn"),
        &first[0],
        owner,
        "mail folder",
        false,
        &settings,
    )
    .expect("fail");
    assert_eq!(failed, queue::Failed::Retrying);
    let again = claim();
    assert_eq!(again.len(), 1, "the same job, queued again");
    assert_eq!((again[0].id, again[0].attempts), (first[0].id, 2));
    let outcomes = app_handler(&app).run_together(&db, &again.iter().collect::<Vec<&Job>>());
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    queue::complete(&mut db.conn().expect("conn"), &again[0], owner).expect("complete");

    let sent = emails_to(&app, "notification-", "alice@example.com", 1).await;
    assert_eq!(sent.len(), 1, "one digest: {sent:?}");
    assert_eq!(notices_in(&sent[0]), 2, "{}", sent[0]);
    for name in ["bob", "carol"] {
        assert!(sent[0].contains(name), "{name}'s comment in the digest");
    }
    assert_eq!(unmailed(&db, "alice"), 0);
    assert!(claim().is_empty(), "nothing left to send");
}

fn rand_suffix() -> String {
    format!("{:016x}", rand::random::<u64>())
}
