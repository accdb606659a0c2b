//! What each cached value weighs in the caches' byte budget: the heap it holds, roughly,
//! plus moka's own cost per entry. The shares of the budget are in [`super::Caches::new`].

use super::ListKey;
use crate::domain::articles::{ArticleFilter, ArticleView};
use crate::domain::profiles::Profile;
use crate::domain::users::User;

/// Per-entry overhead of moka and the map, added to every weight.
pub(super) const ENTRY_OVERHEAD: u64 = 160;

/// A slot (`super::slot`): an account has four, a verified token one. What a slot's
/// weak pointer keeps once the other store lets its entry go (the entry's shell, its
/// heap freed) is let go in turn on the member's next request, or with the holder.
pub(super) const SLOT_WEIGHT: u64 = 32;

/// Rough bytes of a string field (heap plus its header).
pub(super) fn text(s: &str) -> u64 {
    s.len() as u64 + 24
}

pub(super) fn profile_weight(p: &Profile) -> u64 {
    text(&p.username) + p.bio.as_deref().map_or(0, text) + p.image.as_deref().map_or(0, text) + 8
}

pub(super) fn article_weight(v: &ArticleView) -> u64 {
    let a = &v.article;
    96 + text(&a.slug)
        + text(&a.title)
        + text(&a.description)
        + text(&a.body)
        + v.tags.iter().map(|t| text(t)).sum::<u64>()
        + profile_weight(&v.author)
}

pub(super) fn account_weight(u: &User) -> u64 {
    let optional = |s: &Option<String>| s.as_deref().map_or(0, text);
    160 + text(&u.username)
        + text(&u.email)
        + text(&u.password_hash)
        + text(&u.role)
        + optional(&u.bio)
        + optional(&u.image)
        + optional(&u.suspension_reason)
}

pub(super) fn filter_weight(f: &ArticleFilter) -> u64 {
    48 + [&f.tag, &f.author, &f.favorited_by]
        .iter()
        .map(|o| o.as_deref().map_or(0, text))
        .sum::<u64>()
}

pub(super) fn list_key_weight(k: &ListKey) -> u64 {
    32 + filter_weight(&k.filter)
}

pub(super) fn clamp(bytes: u64) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::super::{Account, Caches, Verified};
    use crate::auth::token::Bearer;
    use crate::domain::users::User;
    use crate::domain::visibility::ViewerMarks;
    use crate::error::AppError;

    /// The README's promise: at the default budget, the overlays of 10,000 active
    /// members (each following ten writers, with twenty favorites; their accounts,
    /// marks, unread counts and verified API tokens) are all kept at once, so none of
    /// them reloads or verifies again on every request.
    #[tokio::test]
    async fn the_default_budget_keeps_ten_thousand_members() {
        const MEMBERS: i32 = 10_000;
        let caches = Caches::new(80, Duration::from_secs(600));
        for id in 1..=MEMBERS {
            let marks = ViewerMarks {
                follows: (id + 1..id + 11).collect(),
                favorites: Some((id * 20..id * 20 + 20).collect()),
                ..ViewerMarks::default()
            };
            let loaded = async {
                caches
                    .accounts
                    .get_or_load(id, || async {
                        Ok::<_, AppError>(Arc::new(Account::new(User::sample(id))))
                    })
                    .await?;
                caches
                    .marks
                    .get_or_load(id, || async { Ok::<_, AppError>(Arc::new(marks.clone())) })
                    .await?;
                caches
                    .unread
                    .get_or_load(id, || async { Ok::<_, AppError>(3) })
                    .await?;
                let mut digest = [0; 16];
                digest[..4].copy_from_slice(&id.to_le_bytes());
                caches
                    .bearers
                    .get_or_load(digest, || async {
                        Ok::<_, AppError>(Arc::new(Verified::new(Bearer {
                            user_id: id,
                            generation: 0,
                            valid_until: i64::MAX,
                        })))
                    })
                    .await
                    .map(|_| ())
            };
            assert!(loaded.await.is_ok());
        }
        let usage = caches.usage().await;
        for store in ["accounts", "marks", "unread", "bearers"] {
            let (_, entries, bytes) = usage.iter().find(|(name, ..)| *name == store).unwrap();
            assert_eq!(
                *entries, MEMBERS as u64,
                "{store}: {entries} of {MEMBERS} members kept ({bytes} bytes)"
            );
        }
    }
}
