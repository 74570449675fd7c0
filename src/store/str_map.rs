//! A map keyed by shared text (client ids, client names) that keeps each key's hash beside it,
//! and grows a few entries at a time.
//!
//! **Speed machinery, kept by measurement** (docs/benchmarks.md, "Plain again"): with std's
//! `HashMap` the creates of `scripts/bench` (b) and (i), which grow a tenant to about 275,000
//! clients in a run, had a p99 of 13 ms, one whole rehash of the id index under the store's
//! lock; with this map 1.2 ms. std's `BTreeMap` never stalls, but costs a create a sixth more
//! instructions and a fifth of its throughput. Tenants of a few thousand clients never see the
//! difference; a load test does.
//!
//! The store looks clients up by id and by name several times a request. In an ordered map each
//! lookup compared the text with about twenty keys, each behind a pointer to memory of its own,
//! and a tenant growing by thousands of clients a second kept none of them in cache. Here a
//! lookup hashes the text once and compares it with one key.
//!
//! A hash table that doubles all at once stops the insert that fills it for as long as it takes
//! to move every entry (tens of milliseconds at half a million clients, under the store's lock):
//! the reason the store once kept B-trees. This one, when full, starts a table of twice the size
//! and moves [`STEP`] entries of the old one with each change after, by their kept hashes, so
//! that no key is read again and no change waits for more than a few moves. A lookup looks in
//! the new table, then in the old one while it still holds entries.

use std::borrow::Borrow;
use std::hash::BuildHasher as _;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

/// How many entries of the old table each change moves into the new one while the map grows.
/// The old one is empty after a quarter as many changes as it held entries, by which time the
/// new one (twice its size) is at most five eighths full: it never fills before the move ends.
const STEP: usize = 4;

/// A hash map from `K` (text, borrowed as `str`) to `V`. Its hasher is seeded per process, as the
/// rest of the store's maps are, and travels with its clones.
#[derive(Clone)]
pub(super) struct StrMap<K, V> {
    table: HashTable<Slot<K, V>>,
    /// The table being moved into `table` after it grew; empty otherwise.
    old: HashTable<Slot<K, V>>,
    /// The next bucket of `old` to move.
    cursor: usize,
    state: RandomState,
}

impl<K, V> Default for StrMap<K, V> {
    fn default() -> Self {
        Self {
            table: HashTable::new(),
            old: HashTable::new(),
            cursor: 0,
            state: RandomState::default(),
        }
    }
}

#[derive(Clone)]
struct Slot<K, V> {
    hash: u64,
    key: K,
    value: V,
}

impl<K: Borrow<str>, V> StrMap<K, V> {
    fn hash(&self, key: &str) -> u64 {
        self.state.hash_one(key)
    }

    /// The slot of `key` (hashed as `hash`), in whichever table holds it.
    fn find(&self, hash: u64, key: &str) -> Option<&Slot<K, V>> {
        let matches = |slot: &Slot<K, V>| slot.key.borrow() == key;
        self.table
            .find(hash, matches)
            .or_else(|| match self.old.is_empty() {
                true => None,
                false => self.old.find(hash, matches),
            })
    }

    /// The value of `key`.
    pub(super) fn get(&self, key: &str) -> Option<&V> {
        self.find(self.hash(key), key).map(|slot| &slot.value)
    }

    /// Whether `key` has a value.
    pub(super) fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The value of `key`, to change.
    pub(super) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let hash = self.hash(key);
        self.find_mut(hash, key)
    }

    fn find_mut(&mut self, hash: u64, key: &str) -> Option<&mut V> {
        let matches = |slot: &Slot<K, V>| slot.key.borrow() == key;
        let table = match self.table.find(hash, matches) {
            Some(_) => &mut self.table,
            None => &mut self.old,
        };
        table.find_mut(hash, matches).map(|slot| &mut slot.value)
    }

    /// Sets the value of `key`; returns the one it replaces.
    pub(super) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = self.hash(key.borrow());
        match self.find_mut(hash, key.borrow()) {
            Some(kept) => Some(std::mem::replace(kept, value)),
            None => {
                self.add(hash, key, value);
                None
            }
        }
    }

    /// The value of `key`, set to `V::default()` first if it has none.
    pub(super) fn get_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        let hash = self.hash(key.borrow());
        if self.find(hash, key.borrow()).is_none() {
            return self.add(hash, key, V::default());
        }
        let Some(value) = self.find_mut(hash, key.borrow()) else {
            unreachable!("the key was just found")
        };
        value
    }

    /// Takes `key` and its value out.
    pub(super) fn remove(&mut self, key: &str) -> Option<V> {
        self.step();
        let hash = self.hash(key);
        let matches = |slot: &Slot<K, V>| slot.key.borrow() == key;
        let found = match self.table.find_entry(hash, matches) {
            Ok(found) => found,
            Err(_) => self.old.find_entry(hash, matches).ok()?,
        };
        Some(found.remove().0.value)
    }

    /// How many keys it holds.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.table.len() + self.old.len()
    }

    /// Adds `key` (hashed as `hash`), which it does not hold, with `value`.
    fn add(&mut self, hash: u64, key: K, value: V) -> &mut V {
        self.step();
        if self.table.len() == self.table.capacity() {
            self.grow();
        }
        let slot = Slot { hash, key, value };
        // There is room: the table never grows by itself, all at once.
        &mut self
            .table
            .insert_unique(hash, slot, |slot| slot.hash)
            .into_mut()
            .value
    }

    /// Starts a table of twice the size; the full one becomes the old one, moved by [`Self::step`].
    fn grow(&mut self) {
        // Never the case with `STEP` moves a change (see there), but a map must stay whole: move
        // what is left of the old table first.
        while !self.old.is_empty() {
            self.step();
        }
        let bigger = HashTable::with_capacity((self.table.len() * 2).max(8));
        self.old = std::mem::replace(&mut self.table, bigger);
        self.cursor = 0;
    }

    /// Moves up to [`STEP`] entries of the old table into the new one.
    fn step(&mut self) {
        if self.old.is_empty() {
            return;
        }
        let mut moved = 0;
        while moved < STEP && self.cursor < self.old.num_buckets() {
            if let Ok(entry) = self.old.get_bucket_entry(self.cursor) {
                let slot = entry.remove().0;
                // Never more than the new table holds: it had room for twice the old one.
                self.table.insert_unique(slot.hash, slot, |slot| slot.hash);
                moved += 1;
            }
            self.cursor += 1;
        }
        if self.old.is_empty() {
            self.old = HashTable::new();
            self.cursor = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Step {
        Insert(u8, u32),
        Bump(u8),
        Remove(u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Step::Insert(k, v)),
            any::<u8>().prop_map(Step::Bump),
            any::<u8>().prop_map(Step::Remove),
        ]
    }

    fn key(k: u8) -> Arc<str> {
        // Keys that share a long prefix, as generated names often do.
        Arc::from(format!("bench-client-{k}"))
    }

    #[test]
    fn it_grows_a_few_entries_at_a_time_and_loses_none() {
        let mut map: StrMap<Arc<str>, usize> = StrMap::default();
        let mut removed = std::collections::HashSet::new();
        let mut growths = 0;
        for n in 0..100_000 {
            let (buckets, moving) = (map.table.num_buckets(), map.old.len());
            assert_eq!(map.insert(Arc::from(format!("client-{n}")), n), None);
            if map.table.num_buckets() != buckets {
                // Only ever by a growth of its own, once the last one's moves are over, which
                // leaves the full table to move: never by hashbrown's move of everything at once.
                assert_eq!(moving, 0, "{n}");
                assert!(buckets <= 1 || !map.old.is_empty(), "{n}");
                growths += 1;
            } else {
                // Otherwise at most STEP entries moved.
                assert!(moving.saturating_sub(STEP) <= map.old.len(), "{n}");
            }
            if n % 3 == 0 {
                // Every third change takes out an earlier key, wherever it stands.
                assert_eq!(map.remove(&format!("client-{}", n / 2)), Some(n / 2));
                removed.insert(n / 2);
            }
        }
        assert!(growths > 10, "{growths}");
        for n in 0..100_000 {
            let expected = (!removed.contains(&n)).then_some(n);
            assert_eq!(map.get(&format!("client-{n}")).copied(), expected, "{n}");
        }
        assert_eq!(map.len(), 100_000 - removed.len());
    }

    proptest! {
        /// Whatever the steps, it answers as an ordered map of the same steps does, and a clone
        /// taken halfway answers as the map did then.
        #[test]
        fn it_answers_as_an_ordered_map(steps in proptest::collection::vec(step(), 0..600)) {
            let mut map: StrMap<Arc<str>, u32> = StrMap::default();
            let mut model: BTreeMap<Arc<str>, u32> = BTreeMap::new();
            let mut halfway = None;
            for (n, step) in steps.iter().enumerate() {
                match step {
                    Step::Insert(k, v) => {
                        prop_assert_eq!(map.insert(key(*k), *v), model.insert(key(*k), *v));
                    }
                    Step::Bump(k) => {
                        *map.get_or_default(key(*k)) += 1;
                        *model.entry(key(*k)).or_default() += 1;
                    }
                    Step::Remove(k) => {
                        prop_assert_eq!(map.remove(&key(*k)), model.remove(&key(*k)));
                    }
                }
                if n == steps.len() / 2 {
                    halfway = Some((map.clone(), model.clone()));
                }
            }
            prop_assert_eq!(map.len(), model.len());
            for k in 0..=u8::MAX {
                prop_assert_eq!(map.get(&key(k)), model.get(&key(k)));
                prop_assert_eq!(map.contains_key(&key(k)), model.contains_key(&key(k)));
            }
            if let Some((mut map, model)) = halfway {
                for k in 0..=u8::MAX {
                    prop_assert_eq!(map.get_mut(&key(k)).copied(), model.get(&key(k)).copied());
                }
            }
        }
    }
}
