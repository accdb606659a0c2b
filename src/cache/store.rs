//! One named, byte-bounded cache: moka underneath, plus hit/miss counters and a guard
//! against a slow read putting back data that a write has just invalidated.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;

use crate::error::{AppError, AppResult};

/// Invalidation generations are kept per stripe of keys, not per key, so the guard costs
/// a fixed amount of memory.
const STRIPES: usize = 64;

/// Whether the caches of an instance may be used. It is closed while the instance
/// cannot be sure to hear every invalidation (its listener lost its connection): reads
/// then go to the database and nothing is stored, so no entry that could have missed an
/// invalidation is ever served.
#[derive(Debug)]
pub struct Gate(AtomicBool);

impl Gate {
    /// A gate, open or closed.
    pub fn new(open: bool) -> Arc<Self> {
        Arc::new(Self(AtomicBool::new(open)))
    }

    /// True when the caches may be read and filled.
    pub fn is_open(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    pub(super) fn set(&self, open: bool) {
        self.0.store(open, Ordering::Release);
    }
}

/// A cached value with the stamp its load started under: a request that joins a load
/// already under way (moka shares concurrent loads of a key) compares it with its own
/// stamp, and does not take a value whose load began before an invalidation that the
/// request came after.
type Entry<V> = (Stamp, V);

/// A cache of `V` by `K`, with its own name in the metrics.
pub struct Store<K, V> {
    name: &'static str,
    cache: Option<Cache<K, Entry<V>>>,
    gate: Arc<Gate>,
    /// Bumped whenever a key of the stripe is invalidated; `epoch` on invalidate-all.
    stripes: Box<[AtomicU64]>,
    epoch: AtomicU64,
    /// The same, bumped once the stale entries are gone (see [`Store::version`]).
    settled: Box<[AtomicU64]>,
    cleared: AtomicU64,
    hasher: RandomState,
    hits: metrics::Counter,
    misses: metrics::Counter,
}

/// Where a key's generation stood before a load started.
/// When a load began, as far as invalidations go: a value loaded since then is stored
/// only if no invalidation of its key came in between (see [`Store::stamp`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Stamp(u64, u64);

impl<K, V> Store<K, V>
where
    K: Hash + Eq + Send + Sync + Clone + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A store called `name` holding at most `max_bytes` as measured by `weigh`, each
    /// entry for at most `ttl`. A zero budget stores nothing (every read loads).
    pub fn new(
        name: &'static str,
        max_bytes: u64,
        ttl: Duration,
        gate: &Arc<Gate>,
        weigh: fn(&K, &V) -> u32,
    ) -> Self {
        let cache = (max_bytes > 0).then(|| {
            Cache::builder()
                .name(name)
                .max_capacity(max_bytes)
                .weigher(move |key: &K, entry: &Entry<V>| weigh(key, &entry.1))
                .time_to_live(ttl)
                .build()
        });
        Self {
            name,
            cache,
            gate: Arc::clone(gate),
            stripes: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            epoch: AtomicU64::new(0),
            settled: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            cleared: AtomicU64::new(0),
            hasher: RandomState::new(),
            hits: metrics::counter!("cache_hits_total", "cache" => name),
            misses: metrics::counter!("cache_misses_total", "cache" => name),
        }
    }

    /// The name used in metrics.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn stripe_of(&self, key: &K) -> usize {
        (self.hasher.hash_one(key) % STRIPES as u64) as usize
    }

    fn stripe(&self, key: &K) -> &AtomicU64 {
        &self.stripes[self.stripe_of(key)]
    }

    /// Taken before loading `key` by hand, then given to [`Store::put_if_fresh`]: for
    /// loads that decide only afterwards whether their value may be cached.
    pub fn stamp(&self, key: &K) -> Stamp {
        Stamp(
            self.epoch.load(Ordering::Acquire),
            self.stripe(key).load(Ordering::Acquire),
        )
    }

    /// A number that moves whenever an entry of `keys` (or of a key sharing a stripe
    /// with one) is dropped as stale, once it is gone: what was read of `keys` after
    /// reading a version that still stands is current, so a value built from those
    /// entries (a feed page's entries, compressed) can be kept elsewhere and reused
    /// while it does. Every counter only grows, so their sum moves when any does.
    pub fn version(&self, keys: &[K]) -> u64 {
        keys.iter()
            .fold(self.cleared.load(Ordering::Acquire), |sum, key| {
                sum.wrapping_add(self.settled[self.stripe_of(key)].load(Ordering::Acquire))
            })
    }

    /// Drops `key` from `cache` and moves its version (after, see above).
    async fn drop_key(&self, cache: &Cache<K, Entry<V>>, key: &K) {
        cache.invalidate(key).await;
        self.settled[self.stripe_of(key)].fetch_add(1, Ordering::AcqRel);
    }

    /// The moka cache, unless caching is off or the gate is closed.
    fn usable(&self) -> Option<&Cache<K, Entry<V>>> {
        self.cache.as_ref().filter(|_| self.gate.is_open())
    }

    /// Whether this store keeps what it is given now (caching is on and the gate open).
    pub fn caching(&self) -> bool {
        self.usable().is_some()
    }

    /// Counts a read answered from what this store holds, without a lookup (see
    /// `slot`).
    pub(super) fn count_hit(&self) {
        self.hits.increment(1);
    }

    /// The cached value of `key`, counting the hit or miss.
    pub async fn get(&self, key: &K) -> Option<V> {
        let found = match self.usable() {
            Some(cache) => cache.get(key).await.map(|(_, value)| value),
            None => None,
        };
        match found {
            Some(_) => self.hits.increment(1),
            None => self.misses.increment(1),
        }
        found
    }

    /// The cached value of `key`, without counting a hit or miss (for decisions about
    /// invalidating it, which are not reads).
    pub async fn peek(&self, key: &K) -> Option<V> {
        self.usable()?.get(key).await.map(|(_, value)| value)
    }

    /// Stores `value` loaded for `key` since `stamp`, unless an invalidation of that key
    /// came in between (then the value may already be stale and is dropped).
    pub async fn put_if_fresh(&self, key: K, value: V, stamp: Stamp) {
        let Some(cache) = self.usable() else { return };
        cache.insert(key.clone(), (stamp, value)).await;
        // Re-check after inserting: an invalidation that ran between the load and the
        // insert would otherwise be undone.
        if self.stamp(&key) != stamp {
            self.drop_key(cache, &key).await;
        }
    }

    /// The value of `key`, loading it with `load` on a miss. Concurrent misses of the same
    /// key share one load; errors are returned and never cached.
    pub async fn get_or_load<F, Fut>(&self, key: K, load: F) -> AppResult<V>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = AppResult<V>>,
    {
        if let Some(value) = self.get(&key).await {
            return Ok(value);
        }
        let Some(cache) = self.usable() else {
            return load().await;
        };
        let stamp = self.stamp(&key);
        let failure: std::sync::Mutex<Option<AppError>> = std::sync::Mutex::new(None);
        let shared = cache
            .optionally_get_with(key.clone(), async {
                match load().await {
                    Ok(value) => Some((stamp, value)),
                    Err(e) => {
                        if let Ok(mut slot) = failure.lock() {
                            *slot = Some(e);
                        }
                        None
                    }
                }
            })
            .await;
        match shared {
            // Loaded (by this request or one it joined) since this request began: an
            // invalidation since then makes it stale for later readers, not for this one.
            Some((loaded_at, value)) if loaded_at == stamp => {
                if self.stamp(&key) != stamp {
                    self.drop_key(cache, &key).await;
                }
                Ok(value)
            }
            // Loaded by a request that began before an invalidation this one came after:
            // the loader drops it, and this request loads for itself.
            Some(_) => {
                let value = load().await?;
                self.put_if_fresh(key, value.clone(), stamp).await;
                Ok(value)
            }
            None => {
                let own = failure.lock().ok().and_then(|mut slot| slot.take());
                match own {
                    Some(e) => Err(e),
                    // Another request's load failed: try for ourselves, uncached.
                    None => load().await,
                }
            }
        }
    }

    /// Values of many keys at once: cached ones from the cache, all the others with one
    /// call to `load` (which returns them in any order; missing ones stay missing).
    pub async fn get_many<F, Fut>(&self, keys: &[K], load: F) -> AppResult<Vec<(K, V)>>
    where
        F: FnOnce(Vec<K>) -> Fut,
        Fut: Future<Output = AppResult<Vec<(K, V)>>>,
    {
        let mut found = Vec::with_capacity(keys.len());
        let mut missing = Vec::new();
        for key in keys {
            match self.get(key).await {
                Some(value) => found.push((key.clone(), value)),
                None => missing.push(key.clone()),
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let stamps: Vec<Stamp> = missing.iter().map(|k| self.stamp(k)).collect();
        let loaded = load(missing.clone()).await?;
        for (key, value) in &loaded {
            if let Some(i) = missing.iter().position(|k| k == key) {
                self.put_if_fresh(key.clone(), value.clone(), stamps[i])
                    .await;
            }
        }
        found.extend(loaded);
        Ok(found)
    }

    /// Drops `key`, now and for any load of it already under way.
    pub async fn invalidate(&self, key: &K) {
        self.stripe(key).fetch_add(1, Ordering::AcqRel);
        match &self.cache {
            Some(cache) => self.drop_key(cache, key).await,
            None => {
                self.settled[self.stripe_of(key)].fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// Drops every entry, now and for any load already under way.
    pub fn invalidate_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(cache) = &self.cache {
            cache.invalidate_all();
        }
        self.cleared.fetch_add(1, Ordering::AcqRel);
    }

    /// Entries held and their weight in bytes (as of the last maintenance run).
    pub async fn usage(&self) -> (u64, u64) {
        match &self.cache {
            Some(cache) => {
                cache.run_pending_tasks().await;
                (cache.entry_count(), cache.weighted_size())
            }
            None => (0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Arc<Store<i32, &'static str>> {
        let gate = Gate::new(true);
        Arc::new(Store::new(
            "test",
            1 << 20,
            Duration::from_secs(60),
            &gate,
            |_, _| 1,
        ))
    }

    /// A request that misses after an invalidation and finds a load of the same key
    /// already under way, begun before that invalidation, must not take its value: that
    /// is how a suspended account could pass a check right after the suspension.
    #[tokio::test]
    async fn a_load_begun_before_an_invalidation_is_not_shared_after_it() {
        let store = store();
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let wait = std::sync::Mutex::new(Some(wait));
        let slow = {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .get_or_load(1, || {
                        let wait = wait.lock().ok().and_then(|mut w| w.take());
                        async move {
                            if let Some(wait) = wait {
                                let _ = wait.await;
                            }
                            Ok("before the write")
                        }
                    })
                    .await
            })
        };
        // The slow load is under way; then a write commits and invalidates the key.
        tokio::time::sleep(Duration::from_millis(50)).await;
        store.invalidate(&1).await;
        let after = {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .get_or_load(1, || async { Ok("after the write") })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = release.send(());
        assert_eq!(
            after.await.expect("joined").expect("loaded"),
            "after the write"
        );
        assert_eq!(
            slow.await.expect("joined").expect("loaded"),
            "before the write"
        );
        assert_ne!(store.get(&1).await, Some("before the write"));
    }

    /// Requests that miss together, with no invalidation, still share one load.
    #[tokio::test]
    async fn concurrent_misses_share_one_load() {
        let store = store();
        let loads = Arc::new(AtomicU64::new(0));
        let mut handles = Vec::new();
        for _ in 0..8 {
            let (store, loads) = (Arc::clone(&store), Arc::clone(&loads));
            handles.push(tokio::spawn(async move {
                store
                    .get_or_load(1, || {
                        let loads = Arc::clone(&loads);
                        async move {
                            loads.fetch_add(1, Ordering::AcqRel);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok("value")
                        }
                    })
                    .await
            }));
        }
        for handle in handles {
            assert_eq!(handle.await.expect("joined").expect("loaded"), "value");
        }
        assert_eq!(loads.load(Ordering::Acquire), 1);
    }
}
