//! Image uploads: checking and re-encoding run on the blocking pool, a few at a time
//! (decoding is memory- and CPU-heavy), then one write stores the image within the
//! owner's quota. Nothing about images is cached, so a deletion is seen at once on every
//! instance; the URLs are content-named, so browsers cache the files themselves.

use std::sync::OnceLock;

use super::App;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::images::process::{self, Processed, Purpose, Upload};
use crate::domain::images::{self, ImageEntry, human_size, url_key};
use crate::domain::users::{Reauth, User, UserChanges};
use crate::error::{AppError, AppResult, FieldErrors};

/// The limits of uploads (`CONDUIT_IMAGE_MAX_BYTES`, `CONDUIT_IMAGE_QUOTA_BYTES`).
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Largest upload, in bytes.
    pub max_bytes: usize,
    /// Bytes each member may store.
    pub quota_bytes: u64,
}

/// How many uploads are decoded at once: one fewer than the cores, at least one, and at
/// most two. A decoded picture may take 64 MB, so this, not the number of uploads in
/// flight, bounds the memory of image work. Process-wide, like the CPUs it budgets.
fn decode_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores.saturating_sub(1).clamp(1, 2))
    })
}

async fn processed(upload: Upload, limits: ImageLimits, purpose: Purpose) -> AppResult<Processed> {
    let _permit = decode_permits()
        .acquire()
        .await
        .map_err(|e| AppError::Internal(format!("image permits: {e}")))?;
    actix_web::web::block(move || process::process(&upload, limits.max_bytes, purpose))
        .await
        .map_err(|e| AppError::Internal(format!("image work: {e}")))?
}

/// Stores `upload` for `owner` (the same file again gives back the image already
/// stored); refused when invalid or over the owner's quota, and then nothing is stored.
pub async fn upload(
    app: &App,
    limits: ImageLimits,
    owner: i32,
    upload: Upload,
    purpose: Purpose,
) -> AppResult<ImageEntry> {
    let processed = processed(upload, limits, purpose).await?;
    // An avatar of the same file is another image (a square crop).
    let key = match purpose {
        Purpose::Article => url_key(owner, &processed.sha256),
        Purpose::Avatar => url_key(owner, &format!("avatar:{}", processed.sha256)),
    };
    app.write(move |tx| {
        images::lock_owner(tx.conn, owner)?;
        if let Some(existing) = images::find_by_key(tx.conn, &key)? {
            return Ok(images::entry(tx.conn, existing)?);
        }
        let used = images::used_bytes(tx.conn, owner)?;
        let adding = processed.stored_bytes() as u64;
        if u64::try_from(used).unwrap_or(0) + adding > limits.quota_bytes {
            return Err(AppError::Validation(FieldErrors::single(
                process::FIELD,
                format!(
                    "would exceed your storage quota: {} of {} used, this image needs {}; delete some images first",
                    human_size(u64::try_from(used).unwrap_or(0)),
                    human_size(limits.quota_bytes),
                    human_size(adding)
                ),
            )));
        }
        let image = images::insert(tx.conn, owner, &key, &processed)?;
        Ok(images::entry(tx.conn, image)?)
    })
    .await
}

/// `owner`'s images, newest first, and the bytes they store together.
pub async fn mine(app: &App, owner: i32) -> AppResult<(Vec<ImageEntry>, i64)> {
    app.db()
        .run(move |conn| {
            let list = images::list_for_owner(conn, owner)?;
            let used = images::used_bytes(conn, owner)?;
            Ok::<_, AppError>((list, used))
        })
        .await
}

/// Deletes image `id` of `owner`: 404 when there is none, 403 when it is someone else's.
pub async fn delete_own(app: &App, owner: i32, id: i32) -> AppResult<()> {
    app.write(move |tx| {
        let image = images::find(tx.conn, id)?.ok_or(AppError::NotFound("image"))?;
        if image.owner_id != owner {
            return Err(AppError::Forbidden("image"));
        }
        Ok(images::delete(tx.conn, id)?)
    })
    .await
}

/// Staff remove anyone's image `id`; the audit log records it (`image.remove`).
pub async fn remove(app: &App, actor: Actor, id: i32) -> AppResult<()> {
    actor.require_staff()?;
    app.write(move |tx| {
        let image = images::find(tx.conn, id)?.ok_or(AppError::NotFound("image"))?;
        let owner = User::find(tx.conn, image.owner_id)?
            .map(|u| u.username)
            .unwrap_or_default();
        images::delete(tx.conn, id)?;
        audit::record(
            tx.conn,
            &actor,
            AuditEntry::on(
                "image.remove",
                "image",
                id,
                format!("{owner}/{}", image.url_key),
            )
            .change("stored", "removed"),
        )?;
        Ok(())
    })
    .await
}

/// The latest uploads of everyone, with their owners, for staff.
pub async fn recent(app: &App, limit: i64) -> AppResult<Vec<(ImageEntry, String)>> {
    app.db()
        .run(move |conn| Ok::<_, AppError>(images::recent(conn, limit)?))
        .await
}

/// Stores `upload` as `user`'s avatar and points their profile picture at it, through
/// the settings' own write (so every cached profile drops it). `public_url` makes the
/// picture's URL absolute, as API clients expect of `image`.
pub async fn set_avatar(
    app: &App,
    limits: ImageLimits,
    bcrypt_cost: u32,
    user: i32,
    upload: Upload,
    public_url: &str,
    ip: Option<String>,
) -> AppResult<User> {
    let image = self::upload(app, limits, user, upload, Purpose::Avatar).await?;
    let changes = UserChanges {
        username: None,
        email: None,
        password: None,
        bio: None,
        image: Some(Some(format!("{public_url}{}", image.default_url()))),
        current_password: None,
    };
    super::accounts::update(app, bcrypt_cost, user, changes, Reauth::IfGiven, ip).await
}
