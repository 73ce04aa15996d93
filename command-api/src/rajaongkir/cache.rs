//! A small bounded cache with a time to live, for destination searches (location lists
//! change rarely; the reference asks clients to cache them). Entries older than the TTL are
//! never returned; when full, expired entries go first, then the oldest one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values by key, each served for `ttl` after it was stored, at most `capacity` of them.
pub struct TtlCache<V> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V: Clone> TtlCache<V> {
    /// A cache of at most `capacity` entries (0 caches nothing), each kept for `ttl`.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value stored under `key`, unless it is older than the TTL.
    pub fn get(&self, key: &str) -> Option<V> {
        self.get_at(key, Instant::now())
    }

    /// Stores `value` under `key` as of now.
    pub fn insert(&self, key: String, value: V) {
        self.insert_at(key, value, Instant::now());
    }

    fn get_at(&self, key: &str, now: Instant) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (stored, value) = entries.get(key)?;
        (now.saturating_duration_since(*stored) < self.ttl).then(|| value.clone())
    }

    fn insert_at(&self, key: String, value: V, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, (stored, _)| now.saturating_duration_since(*stored) < self.ttl);
        }
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            let oldest = entries
                .iter()
                .min_by_key(|(_, (stored, _))| *stored)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (now, value));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_served_until_its_ttl_has_passed() {
        let cache = TtlCache::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        cache.insert_at("gambir".into(), 1, t0);

        assert_eq!(
            cache.get_at("gambir", t0 + Duration::from_secs(59)),
            Some(1)
        );
        assert_eq!(cache.get_at("gambir", t0 + Duration::from_secs(60)), None);
    }

    #[test]
    fn a_full_cache_drops_expired_entries_first_then_the_oldest() {
        let cache = TtlCache::new(Duration::from_secs(60), 2);
        let t0 = Instant::now();
        cache.insert_at("a".into(), 1, t0);
        cache.insert_at("b".into(), 2, t0 + Duration::from_secs(30));
        cache.insert_at("c".into(), 3, t0 + Duration::from_secs(40));
        let later = t0 + Duration::from_secs(41);

        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get_at("a", later), None);
        assert_eq!(cache.get_at("b", later), Some(2));
        assert_eq!(cache.get_at("c", later), Some(3));

        // "b" and "c" are expired at t0 + 100 s: both go, "d" alone remains.
        cache.insert_at("d".into(), 4, t0 + Duration::from_secs(100));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_zero_capacity_cache_keeps_nothing() {
        let cache = TtlCache::new(Duration::from_secs(60), 0);
        cache.insert("a".into(), 1);
        assert_eq!(cache.get("a"), None);
    }
}
