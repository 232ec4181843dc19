//! A map with a size cap that forgets its oldest entries first, so a long-running `serve`
//! holds flat memory however many flows pass through it.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

#[derive(Debug, Clone)]
pub struct BoundedMap<K, V> {
    /// Each value carries the insertion number that `order` refers to it by.
    map: HashMap<K, (u64, V)>,
    order: VecDeque<(K, u64)>,
    inserted: u64,
    cap: usize,
}

impl<K: Eq + Hash + Clone, V> BoundedMap<K, V> {
    pub fn new(cap: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            inserted: 0,
            cap: cap.max(1),
        }
    }

    /// Inserts, returning whatever the cap pushed out (oldest first).
    pub fn insert(&mut self, key: K, value: V) -> Vec<(K, V)> {
        self.inserted += 1;
        self.map.insert(key.clone(), (self.inserted, value));
        self.order.push_back((key, self.inserted));
        let mut evicted = Vec::new();
        while self.map.len() > self.cap {
            let Some((oldest, at)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&oldest).is_some_and(|(live, _)| *live == at)
                && let Some((_, value)) = self.map.remove(&oldest)
            {
                evicted.push((oldest, value));
            }
        }
        // entries removed or replaced linger in `order`; drop them before they dominate it
        if self.order.len() > 2 * self.cap {
            let map = &self.map;
            self.order
                .retain(|(k, at)| map.get(k).is_some_and(|(live, _)| live == at));
        }
        evicted
    }

    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key).map(|(_, v)| v)
    }

    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map.get_mut(key).map(|(_, v)| v)
    }

    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map.remove(key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter().map(|(k, (_, v))| (k, v))
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_oldest_entry_past_the_cap() {
        let mut map = BoundedMap::new(2);
        assert!(map.insert("a", 1).is_empty());
        assert!(map.insert("b", 2).is_empty());
        assert_eq!(map.insert("c", 3), vec![("a", 1)]);
        assert_eq!(map.map.len(), 2);
        assert!(map.get(&"a").is_none());
    }

    #[test]
    fn a_reinserted_key_counts_from_its_newest_insertion() {
        let mut map = BoundedMap::new(2);
        map.insert("a", 1);
        map.insert("b", 2);
        map.insert("a", 3);
        assert_eq!(map.insert("c", 4), vec![("b", 2)]);
        assert_eq!(map.get(&"a"), Some(&3));
    }

    #[test]
    fn removed_keys_do_not_make_the_order_grow_without_bound() {
        let mut map = BoundedMap::new(2);
        for i in 0..100 {
            map.remove(&"c");
            map.insert("c", i);
        }
        assert!(map.order.len() <= 5, "order grew to {}", map.order.len());
    }
}
