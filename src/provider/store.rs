//! A map with a cap on entries and on bytes that forgets its oldest entries first, so a
//! long-running `serve` holds flat memory however many flows pass through it and however
//! large each one is.

use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::Hash;

/// About how many heap and inline bytes a stored key or value holds (an estimate that
/// counts string contents and a fixed overhead per allocation, not the allocator's slack).
pub trait Footprint {
    fn footprint(&self) -> usize;
}

/// What a map entry costs beyond its key and value (hash slot, order queue, bookkeeping).
const ENTRY_OVERHEAD: usize = 64;

impl Footprint for String {
    fn footprint(&self) -> usize {
        std::mem::size_of::<String>() + self.len()
    }
}

impl Footprint for u64 {
    fn footprint(&self) -> usize {
        std::mem::size_of::<u64>()
    }
}

impl<T: Footprint> Footprint for Option<T> {
    fn footprint(&self) -> usize {
        self.as_ref().map_or(0, Footprint::footprint)
    }
}

impl<A: Footprint, B: Footprint> Footprint for (A, B) {
    fn footprint(&self) -> usize {
        self.0.footprint() + self.1.footprint()
    }
}

impl<T: Footprint> Footprint for Vec<T> {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>() + self.iter().map(Footprint::footprint).sum::<usize>()
    }
}

impl<T: Footprint> Footprint for BTreeSet<T> {
    fn footprint(&self) -> usize {
        // a B-tree node per few elements: count a pointer's worth per element on top
        std::mem::size_of::<Self>() + self.iter().map(|t| t.footprint() + 8).sum::<usize>()
    }
}

#[derive(Debug, Clone)]
pub struct BoundedMap<K, V> {
    /// Each value carries the insertion number that `order` refers to it by, and its
    /// footprint as counted in `bytes`.
    map: HashMap<K, (u64, usize, V)>,
    order: VecDeque<(K, u64)>,
    inserted: u64,
    cap: usize,
    bytes: usize,
    max_bytes: usize,
}

impl<K: Eq + Hash + Clone + Footprint, V: Footprint> BoundedMap<K, V> {
    /// At most `cap` entries and `max_bytes` bytes (by `Footprint`); the newest entry is
    /// always kept, whatever its size.
    pub fn new(cap: usize, max_bytes: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            inserted: 0,
            cap: cap.max(1),
            bytes: 0,
            max_bytes,
        }
    }

    /// Inserts, returning whatever the caps pushed out (oldest first).
    pub fn insert(&mut self, key: K, value: V) -> Vec<(K, V)> {
        self.inserted += 1;
        let weight = key.footprint() + value.footprint() + ENTRY_OVERHEAD;
        self.bytes += weight;
        if let Some((_, old, _)) = self.map.insert(key.clone(), (self.inserted, weight, value)) {
            self.bytes -= old;
        }
        self.order.push_back((key, self.inserted));
        self.evict()
    }

    /// Counts an entry's footprint again after it was changed through `get_mut`, and
    /// returns whatever the byte cap then pushes out (oldest first).
    pub fn reweigh<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Vec<(K, V)>
    where
        K: Borrow<Q>,
    {
        let Some((stored, (_, weight, value))) = self.map.get_key_value(key) else {
            return Vec::new();
        };
        let now = stored.footprint() + value.footprint() + ENTRY_OVERHEAD;
        let before = *weight;
        if let Some((_, weight, _)) = self.map.get_mut(key) {
            *weight = now;
        }
        self.bytes = self.bytes + now - before;
        self.evict()
    }

    fn evict(&mut self) -> Vec<(K, V)> {
        let mut evicted = Vec::new();
        while self.map.len() > self.cap || (self.bytes > self.max_bytes && self.map.len() > 1) {
            let Some((oldest, at)) = self.order.pop_front() else {
                break;
            };
            // one hash per evicted key: the entry, not a look-up and then a removal
            if let Entry::Occupied(entry) = self.map.entry(oldest)
                && entry.get().0 == at
            {
                let (oldest, (_, weight, value)) = entry.remove_entry();
                self.bytes -= weight;
                evicted.push((oldest, value));
            }
        }
        // entries removed or replaced linger in `order`; drop them before they dominate it
        if self.order.len() > 2 * self.cap {
            let map = &self.map;
            self.order
                .retain(|(k, at)| map.get(k).is_some_and(|(live, _, _)| live == at));
        }
        evicted
    }

    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key).map(|(_, _, v)| v)
    }

    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map.get_mut(key).map(|(_, _, v)| v)
    }

    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let (_, weight, value) = self.map.remove(key)?;
        self.bytes -= weight;
        Some(value)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter().map(|(k, (_, _, v))| (k, v))
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Footprint for &str {
        fn footprint(&self) -> usize {
            self.len()
        }
    }

    impl Footprint for i32 {
        fn footprint(&self) -> usize {
            4
        }
    }

    impl Footprint for usize {
        fn footprint(&self) -> usize {
            *self
        }
    }

    #[test]
    fn evicts_the_oldest_entries_past_the_byte_cap_but_keeps_the_newest() {
        let mut map: BoundedMap<&str, usize> = BoundedMap::new(100, 3 * ENTRY_OVERHEAD + 300);
        map.insert("a", 100);
        map.insert("b", 100);
        assert!(map.insert("c", 90).is_empty(), "within the byte cap");
        assert_eq!(map.insert("d", 50), vec![("a", 100)]);
        assert!(map.bytes <= map.max_bytes);
        let evicted = map.insert("huge", 10_000);
        assert_eq!(evicted.len(), 3, "everything older goes");
        assert_eq!(map.get(&"huge"), Some(&10_000), "the newest stays");
        map.remove(&"huge");
        assert_eq!(map.bytes, 0);
    }

    #[test]
    fn a_grown_entry_is_counted_again_when_reweighed() {
        let mut map: BoundedMap<&str, usize> = BoundedMap::new(100, 2 * ENTRY_OVERHEAD + 200);
        map.insert("a", 10);
        map.insert("b", 10);
        *map.get_mut(&"b").unwrap() = 500;
        assert_eq!(map.reweigh(&"b"), vec![("a", 10)]);
        assert_eq!(map.bytes, ENTRY_OVERHEAD + 1 + 500);
    }

    #[test]
    fn evicts_the_oldest_entry_past_the_cap() {
        let mut map = BoundedMap::new(2, usize::MAX);
        assert!(map.insert("a", 1).is_empty());
        assert!(map.insert("b", 2).is_empty());
        assert_eq!(map.insert("c", 3), vec![("a", 1)]);
        assert_eq!(map.map.len(), 2);
        assert!(map.get(&"a").is_none());
    }

    #[test]
    fn a_reinserted_key_counts_from_its_newest_insertion() {
        let mut map = BoundedMap::new(2, usize::MAX);
        map.insert("a", 1);
        map.insert("b", 2);
        map.insert("a", 3);
        assert_eq!(map.insert("c", 4), vec![("b", 2)]);
        assert_eq!(map.get(&"a"), Some(&3));
    }

    #[test]
    fn removed_keys_do_not_make_the_order_grow_without_bound() {
        let mut map = BoundedMap::new(2, usize::MAX);
        for i in 0..100 {
            map.remove(&"c");
            map.insert("c", i);
        }
        assert!(map.order.len() <= 5, "order grew to {}", map.order.len());
    }
}
