//! Each query and mutation enforces what its REST twin enforces: a table of (REST call,
//! GraphQL twin) pairs, each run by an anonymous caller, another user, the owner, a
//! suspended owner and staff, on fresh content for each side; both must come out the
//! same (success, or the same status and the same field messages).

use awc::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::gql;
use crate::admin::{create_admin, post, signed_in, with_role};
use crate::helpers::{Reply, TestApp};

crate::tests![graphql_twins_enforce_the_same_permissions_as_rest];

/// What one side's call came to: `None` for success, else the status and field errors.
type Outcome = Option<(u16, Value)>;

fn rest_outcome(reply: &Reply) -> Outcome {
    if reply.status.is_success() {
        return None;
    }
    Some((reply.status.as_u16(), reply.json["errors"].clone()))
}

fn graphql_outcome(reply: &Reply) -> Outcome {
    // A token the API refuses is refused before any GraphQL runs, as REST does it.
    if reply.status != StatusCode::OK {
        return Some((reply.status.as_u16(), reply.json["errors"].clone()));
    }
    let first = reply.json["errors"].get(0)?;
    let status = first["extensions"]["status"].as_u64().unwrap_or(0);
    Some((
        u16::try_from(status).unwrap_or(0),
        first["extensions"]["errors"].clone(),
    ))
}

/// The content each call works on, made afresh for each side of each case.
struct Fixture {
    slug: String,
    draft: String,
    comment: i64,
}

async fn fixture(app: &TestApp, owner: &str, n: usize) -> Fixture {
    let slug = app.publish(owner, &format!("Twin {n}"), &["twin"]).await;
    let draft = app
        .post(
            "/api/articles",
            Some(owner),
            json!({"article": {"title": format!("Draft {n}"), "description": "d", "body": "b", "published": false}}),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.text);
    let comment = crate::admin::comment(app, owner, &slug, "owner's note").await;
    Fixture {
        slug,
        draft: draft.json["article"]["slug"]
            .as_str()
            .expect("slug")
            .to_owned(),
        comment,
    }
}

/// One twin: the REST call and the GraphQL document with its variables, for a fixture.
struct Twin {
    name: &'static str,
    rest: fn(&Fixture) -> (Method, String, Option<Value>),
    graphql: fn(&Fixture) -> (&'static str, Value),
}

fn twins() -> Vec<Twin> {
    vec![
        Twin {
            name: "article",
            rest: |f| (Method::GET, format!("/api/articles/{}", f.slug), None),
            graphql: |f| {
                (
                    "query($s:String!){article(slug:$s){slug}}",
                    json!({"s": f.slug}),
                )
            },
        },
        Twin {
            name: "draft",
            rest: |f| (Method::GET, format!("/api/articles/{}", f.draft), None),
            graphql: |f| {
                (
                    "query($s:String!){article(slug:$s){slug}}",
                    json!({"s": f.draft}),
                )
            },
        },
        Twin {
            name: "comments of a draft",
            rest: |f| {
                (
                    Method::GET,
                    format!("/api/articles/{}/comments", f.draft),
                    None,
                )
            },
            graphql: |f| {
                (
                    "query($s:String!){article(slug:$s){comments{id}}}",
                    json!({"s": f.draft}),
                )
            },
        },
        Twin {
            name: "feed",
            rest: |_| (Method::GET, "/api/articles/feed".into(), None),
            graphql: |_| ("{feed{articlesCount}}", json!({})),
        },
        Twin {
            name: "bad page",
            rest: |_| (Method::GET, "/api/articles?limit=0".into(), None),
            graphql: |_| ("{articles(limit:0){articlesCount}}", json!({})),
        },
        Twin {
            name: "current user",
            rest: |_| (Method::GET, "/api/user".into(), None),
            graphql: |_| ("{viewer{username}}", json!({})),
        },
        Twin {
            name: "notifications",
            rest: |_| (Method::GET, "/api/notifications".into(), None),
            graphql: |_| ("{notifications{unreadCount}}", json!({})),
        },
        Twin {
            name: "create article",
            rest: |_| {
                (
                    Method::POST,
                    "/api/articles".into(),
                    Some(json!({"article": {"title": "", "description": "d", "body": "b"}})),
                )
            },
            graphql: |_| {
                (
                    "mutation{createArticle(input:{title:\"\",description:\"d\",body:\"b\"}){slug}}",
                    json!({}),
                )
            },
        },
        Twin {
            name: "update article",
            rest: |f| {
                (
                    Method::PUT,
                    format!("/api/articles/{}", f.slug),
                    Some(json!({"article": {"description": "new"}})),
                )
            },
            graphql: |f| {
                (
                    "mutation($s:String!){updateArticle(slug:$s,input:{description:\"new\"}){slug}}",
                    json!({"s": f.slug}),
                )
            },
        },
        Twin {
            name: "delete article",
            rest: |f| (Method::DELETE, format!("/api/articles/{}", f.slug), None),
            graphql: |f| {
                (
                    "mutation($s:String!){deleteArticle(slug:$s)}",
                    json!({"s": f.slug}),
                )
            },
        },
        Twin {
            name: "favorite",
            rest: |f| {
                (
                    Method::POST,
                    format!("/api/articles/{}/favorite", f.slug),
                    None,
                )
            },
            graphql: |f| {
                (
                    "mutation($s:String!){favoriteArticle(slug:$s){favorited}}",
                    json!({"s": f.slug}),
                )
            },
        },
        Twin {
            name: "unfavorite",
            rest: |f| {
                (
                    Method::DELETE,
                    format!("/api/articles/{}/favorite", f.slug),
                    None,
                )
            },
            graphql: |f| {
                (
                    "mutation($s:String!){unfavoriteArticle(slug:$s){favorited}}",
                    json!({"s": f.slug}),
                )
            },
        },
        Twin {
            name: "follow",
            rest: |_| (Method::POST, "/api/profiles/owner/follow".into(), None),
            graphql: |_| {
                (
                    "mutation{followUser(username:\"owner\"){following}}",
                    json!({}),
                )
            },
        },
        Twin {
            name: "unfollow",
            rest: |_| (Method::DELETE, "/api/profiles/owner/follow".into(), None),
            graphql: |_| {
                (
                    "mutation{unfollowUser(username:\"owner\"){following}}",
                    json!({}),
                )
            },
        },
        Twin {
            name: "comment",
            rest: |f| {
                (
                    Method::POST,
                    format!("/api/articles/{}/comments", f.slug),
                    Some(json!({"comment": {"body": "hi"}})),
                )
            },
            graphql: |f| {
                (
                    "mutation($s:String!){addComment(slug:$s,body:\"hi\"){id}}",
                    json!({"s": f.slug}),
                )
            },
        },
        Twin {
            name: "blank comment",
            rest: |f| {
                (
                    Method::POST,
                    format!("/api/articles/{}/comments", f.slug),
                    Some(json!({"comment": {"body": " "}})),
                )
            },
            graphql: |f| {
                (
                    "mutation($s:String!){addComment(slug:$s,body:\" \"){id}}",
                    json!({"s": f.slug}),
                )
            },
        },
        Twin {
            name: "comment on a draft",
            rest: |f| {
                (
                    Method::POST,
                    format!("/api/articles/{}/comments", f.draft),
                    Some(json!({"comment": {"body": "hi"}})),
                )
            },
            graphql: |f| {
                (
                    "mutation($s:String!){addComment(slug:$s,body:\"hi\"){id}}",
                    json!({"s": f.draft}),
                )
            },
        },
        Twin {
            name: "delete comment",
            rest: |f| {
                (
                    Method::DELETE,
                    format!("/api/articles/{}/comments/{}", f.slug, f.comment),
                    None,
                )
            },
            graphql: |f| {
                (
                    "mutation($s:String!,$id:Int!){deleteComment(slug:$s,id:$id)}",
                    json!({"s": f.slug, "id": f.comment}),
                )
            },
        },
        Twin {
            name: "update user",
            rest: |_| {
                (
                    Method::PUT,
                    "/api/user".into(),
                    Some(json!({"user": {"bio": "new bio"}})),
                )
            },
            graphql: |_| {
                (
                    "mutation{updateUser(input:{bio:\"new bio\"}){bio}}",
                    json!({}),
                )
            },
        },
        Twin {
            name: "update user with a taken name",
            rest: |_| {
                (
                    Method::PUT,
                    "/api/user".into(),
                    Some(json!({"user": {"username": "other"}})),
                )
            },
            graphql: |_| {
                (
                    "mutation{updateUser(input:{username:\"other\"}){username}}",
                    json!({}),
                )
            },
        },
        Twin {
            name: "mark notifications read",
            rest: |_| {
                (
                    Method::POST,
                    "/api/notifications/read".into(),
                    Some(json!({})),
                )
            },
            graphql: |_| ("mutation{markNotificationsRead}", json!({})),
        },
        Twin {
            name: "login with a wrong password",
            // An address of its own per side: failures slow further attempts down.
            rest: |f| {
                (
                    Method::POST,
                    "/api/users/login".into(),
                    Some(
                        json!({"user": {"email": format!("nobody{}@example.com", f.comment), "password": "wrong-password"}}),
                    ),
                )
            },
            graphql: |f| {
                (
                    "mutation($e:String!){login(email:$e,password:\"wrong-password\"){token}}",
                    json!({"e": format!("nobody{}@example.com", f.comment)}),
                )
            },
        },
        Twin {
            name: "register a taken name",
            rest: |_| {
                (
                    Method::POST,
                    "/api/users".into(),
                    Some(
                        json!({"user": {"username": "owner", "email": "x@example.com", "password": "password123"}}),
                    ),
                )
            },
            graphql: |_| {
                (
                    "mutation{register(username:\"owner\",email:\"x@example.com\",password:\"password123\"){token}}",
                    json!({}),
                )
            },
        },
    ]
}

async fn graphql_twins_enforce_the_same_permissions_as_rest(app: TestApp) {
    // Hundreds of writes from one address: the limits are tested on their own.
    let app = app.reconfigure(|c| c.rate_limit_per_minute = 0).await;
    let owner = app.register("owner").await;
    let other = app.register("other").await;
    let staff = with_role(&app, "staffer", "moderator").await;
    let suspended = app.register("suspect").await;
    create_admin(&app, "boss");
    let admin = signed_in(&app, "boss").await;

    // The suspended account's content is made before it is suspended.
    let mut n = 0;
    let mut suspect_fixtures = Vec::new();
    for _ in twins() {
        for _ in 0..2 {
            n += 1;
            suspect_fixtures.push(fixture(&app, &suspended, n).await);
        }
    }
    for step in [
        vec![("reason", "spam")],
        vec![("reason", "spam"), ("confirm", "yes")],
    ] {
        post(&admin, "/admin/users/suspect/suspend", &step).await;
    }
    assert_eq!(
        app.get("/api/user", Some(&suspended)).await.status,
        StatusCode::FORBIDDEN
    );

    let actors: [(&str, Option<&str>, Option<&str>); 4] = [
        ("anonymous", None, Some(&owner)),
        ("other user", Some(&other), Some(&owner)),
        ("owner", Some(&owner), Some(&owner)),
        ("staff", Some(&staff), Some(&owner)),
    ];
    let mut compared = 0;
    for twin in twins() {
        for (who, token, owner_token) in actors {
            n += 1;
            let rest_side = fixture(&app, owner_token.expect("owner"), n).await;
            n += 1;
            let graphql_side = fixture(&app, owner_token.expect("owner"), n).await;
            let rest = run_rest(&app, &twin, &rest_side, token).await;
            let graphql = run_graphql(&app, &twin, &graphql_side, token).await;
            assert_eq!(
                rest_outcome(&rest),
                graphql_outcome(&graphql),
                "{} as {who}: REST {} vs GraphQL {}",
                twin.name,
                rest.text,
                graphql.text
            );
            compared += 1;
        }
    }
    let mut fixtures = suspect_fixtures.into_iter();
    for twin in twins() {
        let (rest_side, graphql_side) = (
            fixtures.next().expect("fixture"),
            fixtures.next().expect("fixture"),
        );
        let rest = run_rest(&app, &twin, &rest_side, Some(&suspended)).await;
        let graphql = run_graphql(&app, &twin, &graphql_side, Some(&suspended)).await;
        assert_eq!(
            rest_outcome(&rest),
            graphql_outcome(&graphql),
            "{} as the suspended owner: REST {} vs GraphQL {}",
            twin.name,
            rest.text,
            graphql.text
        );
        compared += 1;
    }
    // The table is not vacuous: some calls succeed and some are refused.
    assert!(compared >= 100, "{compared}");
}

async fn run_rest(app: &TestApp, twin: &Twin, fixture: &Fixture, token: Option<&str>) -> Reply {
    let (method, path, body) = (twin.rest)(fixture);
    app.call(method, &path, token, body).await
}

async fn run_graphql(app: &TestApp, twin: &Twin, fixture: &Fixture, token: Option<&str>) -> Reply {
    let (query, variables) = (twin.graphql)(fixture);
    gql(app, token, query, variables).await
}
