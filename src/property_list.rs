//! [`PropertyList`]: the property dicts an image carries, in order, shared by reference.
//!
//! DeepTrack2 2.0.1's `Image.properties`: one dict per computation in resolution order, `append`
//! without deduplication, and a merge that adds each dict of another image not already present *as
//! the same dict* (identity, never equality), in order. The list is a [`SharedList`]: a result's list
//! is its input's list plus its own dicts, held by reference, so that `f ^ N` keeps N dicts in all
//! rather than a copy of the growing list per repetition.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

use crate::error::{Error, ErrorKind, Result};
use crate::properties::PropertyDict;
use crate::shared_list::{Iter, SharedList};
use crate::value::Value;

/// The property dicts of an image (see the module documentation). Cloning is O(1) and keeps the same
/// dicts.
pub struct PropertyList {
    dicts: SharedList<Arc<PropertyDict>>,
    /// Whether no dict is in the list twice. Known rather than computed: `false` means "maybe", after
    /// an append of a dict that may already be there. A merge into a list that is a prefix of a list
    /// known to be duplicate-free becomes a copy of that list (O(1)).
    distinct: bool,
    /// The dicts in order, built by the first indexed read of a list of several nodes and kept until
    /// the list changes (indexed reads through the C API are then O(1)). Boxed: one word in every image.
    flat: OnceLock<Box<Flat>>,
}

/// The dicts of a list laid out in order (see `PropertyList::flat`).
struct Flat(Vec<Arc<PropertyDict>>);

impl Default for PropertyList {
    fn default() -> Self {
        PropertyList::new()
    }
}

impl Clone for PropertyList {
    fn clone(&self) -> Self {
        PropertyList { dicts: self.dicts.clone(), distinct: self.distinct, flat: OnceLock::new() }
    }
}

impl std::fmt::Debug for PropertyList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.dicts.fmt(f)
    }
}

/// The error of an allocation for a property list that could not be made.
fn out_of_memory(what: &str, n: usize) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {what} of {n} property dicts"))
}

/// A dict's identity: its address (kept alive by the lists being compared).
fn identity(dict: &Arc<PropertyDict>) -> usize {
    Arc::as_ptr(dict) as usize
}

/// Hashes identities (addresses, which differ in their upper bits) by one multiplication.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(26);
    }
}

type IdentitySet = HashSet<usize, BuildHasherDefault<AddressHasher>>;

impl PropertyList {
    /// An empty list.
    pub fn new() -> Self {
        PropertyList { dicts: SharedList::new(), distinct: true, flat: OnceLock::new() }
    }

    /// The number of dicts.
    pub fn len(&self) -> usize {
        self.dicts.len()
    }

    /// Whether there are no dicts.
    pub fn is_empty(&self) -> bool {
        self.dicts.is_empty()
    }

    /// The dicts in order.
    pub fn iter(&self) -> Iter<'_, Arc<PropertyDict>> {
        self.dicts.iter()
    }

    /// The dict at `index` (in order): O(1) for the last dicts appended, and for any index once the
    /// list has been read by index (the first such read of a list of several nodes lays the dicts out
    /// in one slice, kept with this list until it changes). Never fails for lack of memory: without
    /// room for the slice, the dict is found by walking the list.
    pub fn get(&self, index: usize) -> Option<&Arc<PropertyDict>> {
        if let Some(flat) = self.flat.get() {
            return flat.0.get(index);
        }
        if let Some(slice) = self.dicts.as_slice() {
            return slice.get(index);
        }
        if index >= self.len() {
            return None;
        }
        if self.dicts.len() - index <= 2 {
            return self.dicts.get(index);
        }
        match self.dicts.try_to_vec() {
            Ok(all) => {
                let _ = self.flat.set(Box::new(Flat(all)));
                self.flat.get().and_then(|flat| flat.0.get(index))
            }
            Err(_) => self.dicts.get(index),
        }
    }

    /// The first dict.
    pub fn first(&self) -> Option<&Arc<PropertyDict>> {
        self.dicts.first()
    }

    /// The last dict.
    pub fn last(&self) -> Option<&Arc<PropertyDict>> {
        self.dicts.last()
    }

    /// Appends `dict` (no deduplication, as in DeepTrack2's `append`). O(1): a new node shares the
    /// rest of the list when other lists share it.
    pub fn push(&mut self, dict: Arc<PropertyDict>) {
        // The caller's reference is the only one: the dict cannot be in the list yet.
        let known_new = Arc::strong_count(&dict) == 1;
        self.push_new(dict, known_new);
    }

    /// Appends `dict`, which the caller knows is not in the list yet when `known_new`.
    pub(crate) fn push_new(&mut self, dict: Arc<PropertyDict>, known_new: bool) {
        self.distinct &= known_new;
        self.flat = OnceLock::new();
        self.dicts.push(dict);
    }

    /// Drops every dict.
    pub fn clear(&mut self) {
        *self = PropertyList::new();
    }

    /// Whether the list holds `dict` itself (identity).
    pub fn contains(&self, dict: &Arc<PropertyDict>) -> bool {
        self.dicts.iter_rev().any(|d| Arc::ptr_eq(d, dict))
    }

    /// Whether the two lists hold the same dicts (identity) in the same order: O(1) when one is a copy
    /// of the other, otherwise compared from the end until they share a node.
    pub fn same(&self, other: &PropertyList) -> bool {
        self.dicts.same_by(&other.dicts, Arc::ptr_eq)
    }

    /// Whether `prefix` is this list or a list this one was built on by appends (an empty list is a
    /// prefix of every list). Structural, no dict compared: see [`SharedList::starts_with`].
    pub fn starts_with(&self, prefix: &PropertyList) -> bool {
        self.dicts.starts_with(&prefix.dicts, Arc::ptr_eq)
    }

    /// The value of `key` in the first dict that has it.
    pub fn get_property(&self, key: &str) -> Option<&Value> {
        self.iter().find_map(|d| d.get(key))
    }

    /// The values of `key` in every dict that has it, in order (empty when none has it); an
    /// `OutOfMemory` error when the result cannot be allocated.
    pub fn try_get_properties(&self, key: &str) -> Result<Vec<&Value>> {
        let mut out = Vec::new();
        for value in self.iter().filter_map(|d| d.get(key)) {
            if out.len() == out.capacity() {
                out.try_reserve(1).map_err(|_| out_of_memory("the values of a property", out.len() + 1))?;
            }
            out.push(value);
        }
        Ok(out)
    }

    /// Appends each dict of `other` that is not already in the list *as the same allocation*, in
    /// order. Equal but distinct dicts are all kept; duplicates inside `other` are merged once. Linear
    /// in the two lengths, O(1) when either list is a prefix of the other (and the longer one holds no
    /// dict twice).
    pub fn merge_from(&mut self, other: &PropertyList) -> Result<()> {
        self.merge_from_all([other])
    }

    /// [`PropertyList::merge_from`] of each list of `others` in turn, in time linear in the total
    /// length (one identity set serves every merge).
    pub fn merge_from_all<'a>(&mut self, others: impl IntoIterator<Item = &'a PropertyList>) -> Result<()> {
        let mut seen: Option<IdentitySet> = None;
        let mut added: Vec<Arc<PropertyDict>> = Vec::new();
        for other in others {
            if seen.is_none() {
                if self.starts_with(other) {
                    // Every dict of `other` is here already.
                    continue;
                }
                if other.distinct && other.starts_with(self) {
                    // Every dict of this list is in `other`, which adds only new ones, once each.
                    *self = other.clone();
                    continue;
                }
                let n = self.len().saturating_add(other.len());
                let mut set = IdentitySet::default();
                set.try_reserve(n).map_err(|_| out_of_memory("a merge", n))?;
                set.extend(self.dicts.iter_rev().map(identity));
                seen = Some(set);
            }
            let set = seen.as_mut().expect("built above");
            let n = added.len().saturating_add(other.len());
            set.try_reserve(other.len()).map_err(|_| out_of_memory("a merge", n))?;
            added.try_reserve(other.len()).map_err(|_| out_of_memory("a merge", n))?;
            for dict in other.iter() {
                if set.insert(identity(dict)) {
                    added.push(Arc::clone(dict));
                }
            }
        }
        if !added.is_empty() {
            self.flat = OnceLock::new();
            self.dicts.append_vec(added);
        }
        Ok(())
    }

    /// A copy of this list with some dicts replaced (`replace` returns the replacement, or `None` to
    /// keep the dict), sharing the part before the first replaced dict; `None` when nothing is
    /// replaced. The replacements must be new dicts (not in the list).
    pub fn try_replace(
        &self,
        replace: impl FnMut(&Arc<PropertyDict>) -> Option<Arc<PropertyDict>>,
    ) -> Result<Option<PropertyList>> {
        let dicts = self.dicts.try_replace(replace).map_err(|_| out_of_memory("a copy", self.len()))?;
        Ok(dicts.map(|dicts| PropertyList { dicts, distinct: self.distinct, flat: OnceLock::new() }))
    }
}

impl std::ops::Index<usize> for PropertyList {
    type Output = Arc<PropertyDict>;

    fn index(&self, index: usize) -> &Arc<PropertyDict> {
        self.get(index).unwrap_or_else(|| panic!("index {index} is out of range: the list has {} dicts", self.len()))
    }
}

impl<'a> IntoIterator for &'a PropertyList {
    type Item = &'a Arc<PropertyDict>;
    type IntoIter = Iter<'a, Arc<PropertyDict>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(n: i64) -> Arc<PropertyDict> {
        let mut d = PropertyDict::new();
        d.insert("n", Value::Int(n));
        Arc::new(d)
    }

    fn numbers(list: &PropertyList) -> Vec<i64> {
        list.iter().map(|d| d.get("n").unwrap().as_i64().unwrap()).collect()
    }

    #[test]
    fn merge_dedupes_by_identity_in_order_also_inside_the_merged_list() {
        let (a, b, c) = (dict(1), dict(2), dict(3));
        let mut x = PropertyList::new();
        x.push(Arc::clone(&a));
        x.push(Arc::clone(&b));
        let mut y = PropertyList::new();
        for d in [&c, &a, &c, &b] {
            y.push(Arc::clone(d));
        }
        y.push(dict(1)); // equal to `a`, not the same dict
        assert!(!y.distinct);
        x.merge_from(&y).unwrap();
        assert_eq!(numbers(&x), [1, 2, 3, 1]);
        let mut empty = PropertyList::new();
        empty.merge_from(&y).unwrap();
        assert_eq!(numbers(&empty), [3, 1, 2, 1], "duplicates inside the merged list are merged once");
    }

    #[test]
    fn merge_of_a_prefix_or_an_extension_shares_the_longer_list() {
        let mut base = PropertyList::new();
        for n in 0..5 {
            base.push(dict(n));
        }
        let mut longer = base.clone();
        longer.push(dict(5));
        let mut x = base.clone();
        x.merge_from(&longer).unwrap();
        assert!(x.dicts.ptr_eq(&longer.dicts), "an extension is adopted, not copied");
        let before = x.clone();
        x.merge_from(&base).unwrap();
        assert!(x.dicts.ptr_eq(&before.dicts), "a prefix adds nothing");
        // Lists of one dict hold it directly.
        let mut one = PropertyList::new();
        one.push(dict(9));
        let mut copy = one.clone();
        copy.merge_from(&one).unwrap();
        assert_eq!(numbers(&copy), [9]);
        let mut empty = PropertyList::new();
        empty.merge_from(&one).unwrap();
        assert!(empty.same(&one));
        assert_eq!(numbers(&x), [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn merge_of_many_lists_uses_one_set() {
        let shared = dict(-1);
        let lists: Vec<PropertyList> = (0..1000)
            .map(|n| {
                let mut l = PropertyList::new();
                l.push(dict(n));
                l.push(Arc::clone(&shared));
                l
            })
            .collect();
        let mut all = PropertyList::new();
        all.merge_from_all(&lists).unwrap();
        let got = numbers(&all);
        assert_eq!(got.len(), 1001);
        assert_eq!(&got[..3], [0, -1, 1]);
        assert_eq!(got[1000], 999);
    }

    #[test]
    fn indexed_reads_lay_the_list_out_once() {
        let mut list = PropertyList::new();
        let mut keep = Vec::new();
        for n in 0..100 {
            keep.push(list.clone());
            list.push(dict(n));
        }
        assert!(list.flat.get().is_none());
        assert_eq!(list.get(99).unwrap().get("n").unwrap().as_i64().unwrap(), 99);
        assert!(list.flat.get().is_none(), "the last dicts are read without laying the list out");
        assert_eq!(list[3].get("n").unwrap().as_i64().unwrap(), 3);
        assert!(list.flat.get().is_some());
        assert!(list.get(100).is_none());
        let copy = list.clone();
        assert!(copy.flat.get().is_none(), "a clone does not copy the slice");
        list.push(dict(100));
        assert!(list.flat.get().is_none(), "a change drops it");
        assert_eq!(list[100].get("n").unwrap().as_i64().unwrap(), 100);
        assert!(list.same(&list.clone()) && !list.same(&copy));
    }

    #[test]
    fn first_match_and_all_matches() {
        let mut list = PropertyList::new();
        list.push(dict(1));
        list.push(dict(2));
        assert_eq!(list.get_property("n").unwrap().as_i64().unwrap(), 1);
        let all: Vec<i64> = list.try_get_properties("n").unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        assert_eq!(all, [1, 2]);
        assert!(list.get_property("q").is_none());
        assert!(list.try_get_properties("q").unwrap().is_empty());
    }

    #[test]
    fn replace_keeps_the_untouched_dicts_themselves() {
        let mut list = PropertyList::new();
        for n in 0..4 {
            list.push(dict(n));
        }
        let copy = list.try_replace(|d| (d.get("n")?.as_i64().ok()? == 2).then(|| dict(20))).unwrap().unwrap();
        assert_eq!(numbers(&copy), [0, 1, 20, 3]);
        for i in [0, 1, 3] {
            assert!(Arc::ptr_eq(&copy[i], &list[i]));
        }
        assert!(list.try_replace(|_| None).unwrap().is_none());
    }
}
