//! A signed-in reader's own state, cached per reader beside the shared entries: their
//! account row (role, suspension, a required reset), their marks (follows, favorites,
//! whether staff hid something of theirs) and their unread count. Every write that
//! changes one of them names it (`Stale::Account`, `Favorite`, `Follow`, `Unread`, and
//! `Everything` for moderation), here and on every other instance, so a warm signed-in
//! read runs no SQL and still sees a change at once.

use std::collections::HashSet;
use std::sync::Arc;

use super::App;
use crate::cache::{Account, Verified};
use crate::domain::articles::{ArticleView, viewer_marks};
use crate::domain::notifications;
use crate::domain::users::User;
use crate::domain::visibility::ViewerMarks;
use crate::error::{AppError, AppResult};

/// The account `id`; `None` when it no longer exists (a token or session of a deleted
/// account counts as signed out).
pub async fn account(app: &App, id: i32) -> AppResult<Option<Arc<Account>>> {
    let db = &app.db;
    let found = app
        .caches
        .accounts
        .get_or_load(id, || load_account(db, id))
        .await;
    existing(found)
}

/// As [`account`], for the account of a verified API token, from the slot the token
/// keeps it in while current (see `cache::slot`).
pub async fn account_of_token(app: &App, token: &Verified) -> AppResult<Option<Arc<Account>>> {
    let (db, id) = (&app.db, token.bearer.user_id);
    let found = app
        .caches
        .accounts
        .get_or_load_kept(id, &token.account, || load_account(db, id))
        .await;
    existing(found)
}

async fn load_account(db: &crate::db::Db, id: i32) -> AppResult<Arc<Account>> {
    db.run(move |conn| {
        User::find(conn, id)?
            .map(|user| Arc::new(Account::new(user)))
            .ok_or(AppError::NotFound("account"))
    })
    .await
}

/// An account that no longer exists as `None`.
fn existing(found: AppResult<Arc<Account>>) -> AppResult<Option<Arc<Account>>> {
    match found {
        Ok(account) => Ok(Some(account)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The marks of reader `id`.
pub async fn marks(app: &App, id: i32) -> AppResult<Arc<ViewerMarks>> {
    let db = &app.db;
    app.caches
        .marks
        .get_or_load(id, || load_marks(db, id))
        .await
}

/// The marks of the reader whose account this request authenticated, from the slot
/// their account keeps them in while current.
pub async fn marks_of(app: &App, account: &Account) -> AppResult<Arc<ViewerMarks>> {
    let (db, id) = (&app.db, account.id);
    app.caches
        .marks
        .get_or_load_kept(id, &account.marks, || load_marks(db, id))
        .await
}

async fn load_marks(db: &crate::db::Db, id: i32) -> AppResult<Arc<ViewerMarks>> {
    db.run(move |conn| Ok::<_, AppError>(Arc::new(ViewerMarks::load(conn, id)?)))
        .await
}

/// Unread notifications of `id`, for the navbar.
pub async fn unread(app: &App, id: i32) -> AppResult<i64> {
    let db = &app.db;
    app.caches
        .unread
        .get_or_load(id, || load_unread(db, id))
        .await
}

/// As [`unread`], for the reader whose account this request authenticated (see
/// [`marks_of`]).
pub async fn unread_of(app: &App, account: &Account) -> AppResult<i64> {
    let (db, id) = (&app.db, account.id);
    app.caches
        .unread
        .get_or_load_kept(id, &account.unread, || load_unread(db, id))
        .await
}

async fn load_unread(db: &crate::db::Db, id: i32) -> AppResult<i64> {
    db.run(move |conn| Ok::<_, AppError>(notifications::unread_count(conn, id)?))
        .await
}

/// Whether `viewer` is staff (moderators and admins see hidden content).
pub async fn is_staff(app: &App, viewer: i32) -> AppResult<bool> {
    Ok(account(app, viewer)
        .await?
        .is_some_and(|u| u.role().is_staff()))
}

/// Whether `viewer` sees exactly what anonymous readers see in lists (`articles`) or
/// threads (comments): true unless they are staff or staff hid something of theirs,
/// the only cases where their view includes hidden content. Then the shared cached
/// lists and threads serve them too.
pub async fn sees_shared(app: &App, viewer: Option<i32>, articles: bool) -> AppResult<bool> {
    let Some(viewer) = viewer else {
        return Ok(true);
    };
    if is_staff(app, viewer).await? {
        return Ok(false);
    }
    Ok(shares_view(&*marks(app, viewer).await?, articles))
}

/// Whether a reader who is not staff, with these marks, sees exactly what anonymous
/// readers see (see [`sees_shared`]).
pub fn shares_view(marks: &ViewerMarks, articles: bool) -> bool {
    if articles {
        !marks.hidden_articles
    } else {
        !marks.hidden_comments
    }
}

/// `reader`'s marks on `view`: whether they favorited it and follow its author.
pub async fn marks_on(app: &App, reader: &Account, view: &ArticleView) -> AppResult<(bool, bool)> {
    let (viewer, marks) = (reader.id, marks_of(app, reader).await?);
    let id = view.article.id;
    let favorited = match marks.favorited(id) {
        Some(favorited) => favorited,
        // Favorites beyond what the marks hold are looked up for this article only.
        None => app
            .db
            .run(move |conn| Ok::<_, AppError>(viewer_marks(conn, Some(viewer), &[id], &[])?))
            .await?
            .0
            .contains(&id),
    };
    Ok((favorited, marks.follows(view.article.author_id)))
}

/// Copies of the shared views with `viewer`'s favorited and following marks.
pub async fn personalise(
    app: &App,
    viewer: Option<i32>,
    shared: Vec<Arc<ArticleView>>,
) -> AppResult<Vec<ArticleView>> {
    let Some(viewer) = viewer else {
        return Ok(shared.iter().map(|v| (**v).clone()).collect());
    };
    let marks = marks(app, viewer).await?;
    // Favorites beyond what the marks hold are looked up for this page only.
    let looked_up: Option<HashSet<i32>> = match marks.favorites {
        Some(_) => None,
        None => {
            let ids: Vec<i32> = shared.iter().map(|v| v.article.id).collect();
            let (favorited, _) = app
                .db
                .run(move |conn| Ok::<_, AppError>(viewer_marks(conn, Some(viewer), &ids, &[])?))
                .await?;
            Some(favorited)
        }
    };
    Ok(shared
        .iter()
        .map(|v| {
            let mut view = (**v).clone();
            let id = view.article.id;
            view.favorited = match &looked_up {
                Some(set) => set.contains(&id),
                None => marks.favorited(id).unwrap_or(false),
            };
            view.author.following = marks.follows(view.article.author_id);
            view
        })
        .collect())
}
