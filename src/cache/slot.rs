//! What a member's request reads besides their account (their marks, unread count,
//! live sessions and last feed page), kept on the account's cache entry: each is an
//! entry of its own store, and reading it there cost a lookup of that store per
//! request, the most expensive part of a warm signed-in read after the response's own
//! send (`docs/benchmarks.md`).
//!
//! The slot holds the value as read with the store's [`Store::version`] of its key
//! before the read, and serves it only while that version stands, which is as long as
//! no invalidation of the key (or of one sharing its stripe) has dropped the entry: so
//! a favorite, a sign-out elsewhere or a new notification shows on the very next
//! request, here and on every instance, exactly as through the store. An `Arc` is held
//! weakly, so the slot keeps no memory the store's byte budget has let go.

use std::hash::Hash;
use std::sync::{Arc, Mutex, Weak};

use super::store::Store;
use crate::error::AppResult;

/// A value that a [`Slot`] can hold without keeping its memory alive.
pub trait Keep: Sized {
    /// What the slot holds.
    type Kept: Clone;
    fn keep(&self) -> Self::Kept;
    fn take(kept: &Self::Kept) -> Option<Self>;
}

impl<T> Keep for Arc<T> {
    type Kept = Weak<T>;
    fn keep(&self) -> Weak<T> {
        Arc::downgrade(self)
    }
    fn take(kept: &Weak<T>) -> Option<Self> {
        kept.upgrade()
    }
}

impl Keep for i64 {
    type Kept = i64;
    fn keep(&self) -> i64 {
        *self
    }
    fn take(kept: &i64) -> Option<Self> {
        Some(*kept)
    }
}

/// One value of another store, as last read through this slot.
pub struct Slot<V: Keep>(Mutex<Option<(u64, V::Kept)>>);

impl<V: Keep> Default for Slot<V> {
    fn default() -> Self {
        Self(Mutex::new(None))
    }
}

impl<V: Keep> std::fmt::Debug for Slot<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Slot")
    }
}

impl<V: Keep> Slot<V> {
    fn take(&self, version: u64, fits: impl Fn(&V) -> bool) -> Option<V> {
        let mut slot = self.0.lock().ok()?;
        let value = match &*slot {
            Some((at, kept)) if *at == version => V::take(kept).filter(|value| fits(value)),
            _ => None,
        };
        if value.is_none() {
            // Let go of what the store dropped.
            *slot = None;
        }
        value
    }

    /// Lets go of the kept value: the store has a newer one for the same key (which
    /// the version does not tell, as it moves only on invalidations).
    pub fn clear(&self) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = None;
        }
    }

    fn put(&self, version: u64, value: &V) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((version, value.keep()));
        }
    }
}

impl<K, V> Store<K, V>
where
    K: Hash + Eq + Send + Sync + Clone + 'static,
    V: Keep + Clone + Send + Sync + 'static,
{
    /// The value of `key` from `slot` while it is current, else as
    /// [`Store::get_or_load`] has it (then kept in `slot`).
    pub async fn get_or_load_kept<F, Fut>(&self, key: K, slot: &Slot<V>, load: F) -> AppResult<V>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = AppResult<V>>,
    {
        self.get_or_load_kept_if(key, slot, |_| true, load).await
    }

    /// As [`Store::get_or_load_kept`], for a slot that keeps the value of whichever of
    /// several keys was read last: `fits` tells whether the kept value is `key`'s (two
    /// keys may share a stripe, and so a version).
    pub async fn get_or_load_kept_if<F, Fut>(
        &self,
        key: K,
        slot: &Slot<V>,
        fits: impl Fn(&V) -> bool,
        load: F,
    ) -> AppResult<V>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = AppResult<V>>,
    {
        if !self.caching() {
            return self.get_or_load(key, load).await;
        }
        // Before the read: an invalidation after it moves the version, and the slot
        // is not used again.
        let version = self.version(std::slice::from_ref(&key));
        if let Some(value) = slot.take(version, fits) {
            self.count_hit();
            return Ok(value);
        }
        let value = self.get_or_load(key, load).await?;
        slot.put(version, &value);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::cache::Gate;
    use crate::error::AppError;

    fn store(gate: &Arc<Gate>) -> Store<i32, Arc<String>> {
        Store::new("test", 1 << 20, Duration::from_secs(60), gate, |_, _| 1)
    }

    async fn read(
        store: &Store<i32, Arc<String>>,
        slot: &Slot<Arc<String>>,
        loaded: &'static str,
    ) -> Result<String, AppError> {
        let value = store
            .get_or_load_kept(1, slot, || async move { Ok(Arc::new(loaded.to_owned())) })
            .await?;
        Ok(value.to_string())
    }

    /// Kept while its key stands; read again, and kept anew, once a write drops it.
    #[tokio::test]
    async fn a_kept_value_stops_at_an_invalidation_of_its_key() {
        let gate = Gate::new(true);
        let (store, slot) = (store(&gate), Slot::default());
        assert_eq!(read(&store, &slot, "first").await.unwrap(), "first");
        // From the slot (or the store): no load.
        assert_eq!(read(&store, &slot, "loaded again").await.unwrap(), "first");
        store.invalidate(&2).await;
        assert_eq!(read(&store, &slot, "loaded again").await.unwrap(), "first");
        store.invalidate(&1).await;
        assert_eq!(read(&store, &slot, "second").await.unwrap(), "second");
        store.invalidate_all();
        assert_eq!(read(&store, &slot, "third").await.unwrap(), "third");
        assert_eq!(read(&store, &slot, "loaded again").await.unwrap(), "third");
    }

    /// A slot that keeps whichever key was read last serves a value only to its own
    /// key, though both keys' versions stand (no invalidation at all here).
    #[tokio::test]
    async fn a_slot_of_several_keys_serves_only_the_key_it_fits() {
        let gate = Gate::new(true);
        let (store, slot) = (store(&gate), Slot::default());
        let read_key = |key: i32, loaded: &'static str| {
            let (store, slot) = (&store, &slot);
            async move {
                let fits = |kept: &Arc<String>| kept.starts_with(&format!("{key}:"));
                let load = || async move { Ok::<_, AppError>(Arc::new(format!("{key}:{loaded}"))) };
                let value = store.get_or_load_kept_if(key, slot, fits, load).await?;
                Ok::<_, AppError>(value.to_string())
            }
        };
        assert_eq!(read_key(1, "first").await.unwrap(), "1:first");
        assert_eq!(read_key(2, "first").await.unwrap(), "2:first");
        // The slot now holds key 2's; key 1's comes from the store, as it was.
        assert_eq!(read_key(1, "again").await.unwrap(), "1:first");
        slot.clear();
        assert_eq!(read_key(2, "again").await.unwrap(), "2:first");
    }

    /// A slot holds no value the store let go, and none while the caches are closed.
    #[tokio::test]
    async fn a_slot_keeps_nothing_the_store_does_not() {
        let gate = Gate::new(true);
        let (store, slot) = (store(&gate), Slot::default());
        read(&store, &slot, "first").await.unwrap();
        let kept = store.get(&1).await.unwrap();
        store.invalidate(&1).await;
        store.usage().await; // moka lets go of a dropped entry in its upkeep
        assert_eq!(Arc::strong_count(&kept), 1, "only this test holds it");
        gate.set(false);
        assert_eq!(read(&store, &slot, "second").await.unwrap(), "second");
        assert_eq!(read(&store, &slot, "third").await.unwrap(), "third");
    }
}
