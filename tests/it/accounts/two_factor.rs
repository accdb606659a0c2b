//! Two-factor sign-in: enrolment by a QR code and a first code, a second step at
//! sign-in where a code works once, single-use recovery codes, slowed-down guessing,
//! turning it off, the API's refusal, and staff who must have it when the site says so.

use awc::http::StatusCode;
use serde_json::json;
use totp_rs::{Builder, Secret};

use crate::admin::{audit_total, signed_in, with_role};
use crate::cluster::Cluster;
use crate::helpers::{TestApp, emails_to};
use crate::pages::browser::{Browser, PASSWORD, Page};

crate::tests![
    enrolment_turns_it_on_and_each_code_works_once,
    recovery_codes_work_once,
    guesses_are_slowed_down,
    turning_it_off_asks_for_the_password,
    staff_need_it_when_the_site_requires_it,
    admins_can_require_it_for_staff_on_every_instance,
];

/// The code `secret`'s app shows `steps_ahead` steps of 30 s from now.
fn code(secret: &str, steps_ahead: u64) -> String {
    let totp = Builder::new()
        .with_secret(Secret::try_from_base32(secret).expect("base32 secret"))
        .build()
        .expect("totp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    totp.generate(now + 30 * steps_ahead).to_string()
}

/// The text of the first element marked `data-testid="<testid>"`.
fn marked(body: &str, testid: &str) -> String {
    let at = body
        .find(&format!("data-testid=\"{testid}\">"))
        .unwrap_or_else(|| panic!("{testid} in {body}"));
    let rest = &body[at..];
    let start = rest.find('>').expect("tag end") + 1;
    let end = rest.find('<').expect("next tag");
    rest[start..end].to_owned()
}

/// Turns two-factor sign-in on for the signed-in `browser`; its secret and recovery codes.
async fn enrol(browser: &Browser) -> (String, Vec<String>) {
    let page = browser.get("/settings/two-factor").await;
    let body = page.expect(StatusCode::OK);
    assert!(body.contains("<svg"), "a QR code drawn on the page");
    let secret = marked(body, "two-factor-secret");
    let done = browser
        .submit(
            "/settings/two-factor",
            "/settings/two-factor",
            &[("code", &code(&secret, 0))],
        )
        .await;
    let body = done.expect(StatusCode::OK);
    let codes: Vec<String> = body
        .split("<li><code>")
        .skip(1)
        .map(|part| part.split('<').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{body}");
    (secret, codes)
}

/// Signs in `username` by password in a new browser, up to the code.
async fn first_step(app: &TestApp, username: &str) -> Browser {
    let browser = Browser::new(app);
    let email = format!("{username}@example.com");
    browser
        .submit(
            "/login",
            "/login",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await
        .assert_redirect("/login/two-factor");
    browser
}

async fn second_step(browser: &Browser, code: &str) -> Page {
    browser
        .submit("/login/two-factor", "/login/two-factor", &[("code", code)])
        .await
}

async fn enrolment_turns_it_on_and_each_code_works_once(app: TestApp) {
    app.register("alice").await;
    let browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let page = browser.get("/settings/two-factor").await;
    let secret = marked(page.expect(StatusCode::OK), "two-factor-secret");
    let wrong = browser
        .submit(
            "/settings/two-factor",
            "/settings/two-factor",
            &[("code", "000000")],
        )
        .await;
    let body = wrong.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"code-error\""), "{body}");
    assert_eq!(marked(body, "two-factor-secret"), secret, "the same secret");
    let (_, codes) = enrol(&browser).await;
    assert!(codes.iter().all(|c| c.len() == 24), "{codes:?}");
    // The database holds the key sealed, and the recovery codes only hashed.
    let stored: Vec<String> = {
        use diesel::prelude::*;
        let db = crate::jobs::db_of(&app);
        let mut conn = db.conn().expect("connection");
        let key = conduit::db::schema::two_factor::table
            .select(conduit::db::schema::two_factor::secret)
            .first::<String>(&mut *conn)
            .expect("a key");
        let mut all: Vec<String> = conduit::db::schema::recovery_codes::table
            .select(conduit::db::schema::recovery_codes::code_hash)
            .load(&mut *conn)
            .expect("codes");
        all.push(key);
        all
    };
    assert!(stored.last().is_some_and(|key| key.starts_with("v1:")));
    for value in &stored {
        assert!(!value.contains(&secret), "the key in the clear");
        assert!(
            codes.iter().all(|c| !value.contains(&c.replace('-', ""))),
            "a recovery code in the clear"
        );
    }
    let status = browser.get("/settings/two-factor").await;
    assert!(
        status
            .expect(StatusCode::OK)
            .contains("is <strong>on</strong>")
    );
    let mail = emails_to(&app, "security-", "alice@example.com", 1).await;
    assert!(
        mail[0].contains("Two-factor sign-in was just turned on"),
        "{}",
        mail[0]
    );

    // The API does not take a password alone.
    let api = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "alice@example.com", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN, "{}", api.text);
    assert!(
        api.json["errors"]["twoFactor"][0]
            .as_str()
            .is_some_and(|m| m.contains("personal access token")),
        "{}",
        api.text
    );

    // The password alone does not sign in; the code enrolment used is spent.
    let other = first_step(&app, "alice").await;
    other.get("/settings").await.assert_redirect("/login");
    let reused = second_step(&other, &code(&secret, 0)).await;
    assert!(
        reused
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .contains("was used already"),
        "a code works once"
    );
    // The next step's code (within the allowed drift) signs in, once.
    let next = code(&secret, 1);
    second_step(&other, &next).await.assert_redirect("/");
    assert_eq!(other.get("/settings").await.status, StatusCode::OK);
    let third = first_step(&app, "alice").await;
    second_step(&third, &next)
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    // Without a password first, there is no second step.
    let stranger = Browser::new(&app);
    stranger
        .get("/login/two-factor")
        .await
        .assert_redirect("/login");
}

async fn recovery_codes_work_once(app: TestApp) {
    app.register("bob").await;
    let browser = Browser::new(&app);
    browser.sign_in("bob").await;
    let (_, codes) = enrol(&browser).await;

    let lost_phone = first_step(&app, "bob").await;
    // Typed in capitals, without dashes: still the code.
    let typed = codes[3].replace('-', "").to_uppercase();
    second_step(&lost_phone, &typed).await.assert_redirect("/");
    let mail = emails_to(&app, "security-", "bob@example.com", 3).await;
    assert!(
        mail.iter().any(|m| m.contains("9 are left")),
        "the owner is told: {mail:?}"
    );
    let again = first_step(&app, "bob").await;
    second_step(&again, &codes[3])
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let page = browser.get("/settings/two-factor").await;
    assert!(
        page.expect(StatusCode::OK)
            .contains("You have 9 recovery codes left")
    );

    // Each step is in the audit log.
    with_role(&app, "auditor", "admin").await;
    let admin = signed_in(&app, "auditor").await;
    for (query, count) in [
        ("action=two_factor.enable", 1),
        ("action=login.password", 2),
        ("action=two_factor.recovery_code", 1),
        ("action=login.failure", 1),
    ] {
        assert_eq!(audit_total(&admin, query).await, count, "{query}");
    }
}

async fn guesses_are_slowed_down(app: TestApp) {
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    app.register("carol").await;
    let browser = Browser::new(&app);
    browser.sign_in("carol").await;
    let (secret, _) = enrol(&browser).await;

    let guesser = first_step(&app, "carol").await;
    for guess in ["111111", "222222", "333333"] {
        second_step(&guesser, guess)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The fourth try waits, even with the right code.
    let slowed = second_step(&guesser, &code(&secret, 1)).await;
    assert_eq!(
        slowed.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        slowed.body
    );
    // Typing the password again does not forgive the failures.
    let again = Browser::new(&app);
    let retry = again
        .submit(
            "/login",
            "/login",
            &[("email", "carol@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(retry.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn turning_it_off_asks_for_the_password(app: TestApp) {
    app.register("dave").await;
    let browser = Browser::new(&app);
    browser.sign_in("dave").await;
    enrol(&browser).await;
    let wrong = browser
        .submit(
            "/settings/two-factor",
            "/settings/two-factor/disable",
            &[("password", "not-the-password")],
        )
        .await;
    let body = wrong.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"password-error\""), "{body}");
    browser
        .submit(
            "/settings/two-factor",
            "/settings/two-factor/disable",
            &[("password", PASSWORD)],
        )
        .await
        .assert_redirect("/settings/two-factor");
    let mail = emails_to(&app, "security-", "dave@example.com", 2).await;
    assert!(mail.iter().any(|m| m.contains("turned off")), "{mail:?}");
    // The password alone signs in again, on the site and the API.
    Browser::new(&app).sign_in("dave").await;
    let api = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "dave@example.com", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text);
}

async fn staff_need_it_when_the_site_requires_it(app: TestApp) {
    let app = app.reconfigure(|c| c.require_staff_two_factor = true).await;
    with_role(&app, "erin", "moderator").await;
    let browser = Browser::new(&app);
    browser.sign_in("erin").await;
    let refused = browser.get("/admin").await;
    assert!(
        refused
            .expect(StatusCode::FORBIDDEN)
            .contains("turn on two-factor sign-in first"),
        "{}",
        refused.body
    );
    enrol(&browser).await;
    assert_eq!(browser.get("/admin").await.status, StatusCode::OK);
    // Members are not asked.
    app.register("frank").await;
    let member = Browser::new(&app);
    member.sign_in("frank").await;
    assert_eq!(member.get("/settings").await.status, StatusCode::OK);
}

async fn admins_can_require_it_for_staff_on_every_instance(app: TestApp) {
    with_role(&app, "root", "admin").await;
    with_role(&app, "keeper", "moderator").await;
    let admin = signed_in(&app, "root").await;
    let moderator = signed_in(&app, "keeper").await;
    let postgres = app.config.database_url.kind() == conduit::db::BackendKind::Postgres;
    let cluster = Cluster::start(&app, if postgres { 3 } else { 0 }, &[]).await;
    // The moderator uses the admin area on every instance (each has the setting cached).
    assert_eq!(moderator.get("/admin").await.status, StatusCode::OK);
    for node in &cluster.nodes {
        assert_eq!(
            moderator.at(&node.base).get("/admin").await.status,
            StatusCode::OK
        );
    }
    let require = [("staff_two_factor", "on")];
    // An admin without it would lock themselves out: refused, beside the box.
    let early = admin
        .submit("/admin/security", "/admin/security", &require)
        .await;
    let body = early.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"staffTwoFactor-error\""), "{body}");
    enrol(&admin).await;
    admin
        .submit("/admin/security", "/admin/security", &require)
        .await
        .assert_redirect("/admin/security");

    let refused = moderator.get("/admin").await;
    assert!(
        refused
            .expect(StatusCode::FORBIDDEN)
            .contains("turn on two-factor sign-in first")
    );
    for (i, node) in cluster.nodes.iter().enumerate() {
        let there = moderator.at(&node.base);
        let since = std::time::Instant::now();
        while there.get("/admin").await.status != StatusCode::FORBIDDEN {
            assert!(
                since.elapsed() < std::time::Duration::from_secs(1),
                "instance {i} still lets the moderator in"
            );
            actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    // Members' pages are not concerned; the admin (who has it) still gets in.
    assert_eq!(moderator.get("/settings").await.status, StatusCode::OK);
    assert_eq!(admin.get("/admin").await.status, StatusCode::OK);
    assert_eq!(audit_total(&admin, "action=site.staff_two_factor").await, 1);

    admin
        .submit("/admin/security", "/admin/security", &[])
        .await
        .assert_redirect("/admin/security");
    assert_eq!(moderator.get("/admin").await.status, StatusCode::OK);
}
