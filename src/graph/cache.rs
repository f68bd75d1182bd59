//! What a feature keeps between resolves: values per replicate index (`ByReplica`), the cached outputs
//! and what they were computed from, the kept input, and the property dicts a computation records.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::{ReplicaId, Scope, State};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{Image, ImageList, same_list};
use crate::properties::PropertyDict;
use crate::value::{Text, Value};

/// Values per replicate index: the top level (`_ID` empty, the common case) in a slot of its own, the
/// indices `[k]` of one repeat in a row indexed by `k` (a repeat resolves `0..N` in order: the row
/// fills front to back, without hashing or a key per entry), the others in a map.
pub(super) struct ByReplica<T> {
    pub(super) top: Option<T>,
    row: Vec<Option<T>>,
    nested: HashMap<Vec<usize>, T>,
}

impl<T> Default for ByReplica<T> {
    fn default() -> Self {
        ByReplica { top: None, row: Vec::new(), nested: HashMap::new() }
    }
}

/// The error of a cache entry that cannot be allocated.
fn cache_full(entries: usize) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the cache of {entries} replicate indices"))
}

impl<T> ByReplica<T> {
    pub(super) fn get(&self, id: &ReplicaId) -> Option<&T> {
        match id {
            [] => self.top.as_ref(),
            [k] => match self.row.get(*k).and_then(Option::as_ref) {
                Some(value) => Some(value),
                None if self.nested.is_empty() => None,
                None => self.nested.get(id),
            },
            _ => self.nested.get(id),
        }
    }

    /// Sets the value at `id`, returning the one it replaces (for the caller to drop after releasing
    /// its lock); `OutOfMemory` (nothing changed) when the entry cannot be allocated.
    pub(super) fn insert(&mut self, id: &ReplicaId, value: T) -> Result<Option<T>> {
        match id {
            [] => Ok(self.top.replace(value)),
            // In the row when `k` is in it or close after its end (a few gaps at most per entry).
            &[k] if k <= self.row.len().saturating_mul(2).saturating_add(16) => {
                if k >= self.row.len() {
                    let more = k + 1 - self.row.len();
                    self.row.try_reserve(more).map_err(|_| cache_full(k + 1))?;
                    self.row.resize_with(k + 1, || None);
                }
                let mut old = self.row[k].replace(value);
                if old.is_none() && !self.nested.is_empty() {
                    old = self.nested.remove(id);
                }
                Ok(old)
            }
            _ => {
                self.nested.try_reserve(1).map_err(|_| cache_full(self.nested.len() + 1))?;
                let mut key = Vec::new();
                key.try_reserve_exact(id.len()).map_err(|_| cache_full(self.nested.len() + 1))?;
                key.extend_from_slice(id);
                Ok(self.nested.insert(key, value))
            }
        }
    }

    /// Sets the value at `id`, dropping the one it replaces in place (for values whose drop may run
    /// under the caller's lock: images and dicts); `OutOfMemory` (nothing changed) when the entry
    /// cannot be allocated. At the top level (every update + resolve of a feature outside repeats)
    /// the value goes straight into its slot, without the moves of returning the old one.
    #[inline(always)]
    pub(super) fn set(&mut self, id: &ReplicaId, value: T) -> Result<()> {
        if id.is_empty() {
            self.top = Some(value);
            return Ok(());
        }
        self.insert(id, value).map(drop)
    }

    /// Every value with its replicate index: the top level, the row in order, then the others in
    /// the order of their indices.
    pub(super) fn entries(&self) -> Vec<(Vec<usize>, &T)> {
        let mut out: Vec<(Vec<usize>, &T)> = self.top.iter().map(|v| (Vec::new(), v)).collect();
        out.extend(self.row.iter().enumerate().filter_map(|(k, v)| v.as_ref().map(|v| (vec![k], v))));
        let mut nested: Vec<(Vec<usize>, &T)> = self.nested.iter().map(|(k, v)| (k.clone(), v)).collect();
        nested.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(nested);
        out
    }

    /// Moves every value out (so that they can be dropped after a lock is released).
    pub(super) fn take(&mut self) -> ByReplica<T> {
        std::mem::take(self)
    }

    /// Drops every value. The row keeps its room, which the next resolve usually fills again, unless
    /// that is more than twice what it used.
    pub(super) fn clear(&mut self) {
        self.top = None;
        if self.row.capacity() > 2 * self.row.len() + 64 {
            self.row = Vec::new();
        } else {
            self.row.clear();
        }
        self.nested.clear();
    }
}

pub(super) struct Cached {
    /// The scope the result was computed in: it is reused only in an equal one.
    pub(super) scope: Scope,
    pub(super) basis: Basis,
    pub(super) sample: Arc<PropertyDict>,
    /// Shared with the images returned (a copy of the list costs one pointer).
    pub(super) output: ImageList,
}

/// What a cached output was computed from, besides its sample and context: one field for both
/// kinds of features keeps the entry small (it is moved into the cache at every computation).
pub(super) enum Basis {
    /// A leaf's input: the feature's kept input (`State::stored_input`) at this `input_version` (a
    /// top-level computation on one image: no second reference to it is held).
    Kept(u64),
    /// A leaf's input: these images.
    Given(ImageList),
    /// A structural feature's result before its own dict was appended.
    Inner(ImageList),
}

/// Like DeepTrack2, every feature keeps the input it was last resolved on at top level, so that
/// resolving a part of a pipeline on its own (without input) finds the pipeline's cached result.
/// Returns the kept input's version when `inputs` are the kept input.
pub(super) fn keep_input(st: &mut State, inputs: &ImageList, id: &ReplicaId) -> Option<u64> {
    if !id.is_empty() || inputs.is_empty() {
        return None;
    }
    if !st.stored_input.as_ref().is_some_and(|s| same_list(s, inputs)) {
        st.stored_input = Some(inputs.clone());
        st.input_version += 1;
    }
    Some(st.input_version)
}

/// The dict one computation records: the sampled values plus `_ID` when inside a repeat.
pub(super) fn computation_dict(sample: &PropertyDict, id: &ReplicaId) -> Arc<PropertyDict> {
    if id.is_empty() {
        return Arc::new(sample.clone());
    }
    // Sized once (a clone and a push would grow it), with the key interned once per process.
    static ID_KEY: OnceLock<Text> = OnceLock::new();
    let mut dict = PropertyDict::with_capacity(sample.len() + 1);
    for (key, value) in (0..sample.len()).filter_map(|i| sample.entry(i)) {
        dict.push_unchecked(key.clone(), value.clone());
    }
    let key = ID_KEY.get_or_init(|| Text::interned("_ID")).clone();
    dict.push_unchecked(key, Value::List(id.iter().map(|&n| Value::Int(n as i64)).collect()));
    Arc::new(dict)
}

/// `dict` appended to the images of `list` from index `from` on (a structural feature's result with
/// its own dict; see [`crate::features::FeatureKind::own_dict_from`]), after the bound arguments'
/// dict (`bound`) when there is one.
pub(super) fn tag_all(
    list: &ImageList,
    bound: Option<Arc<PropertyDict>>,
    dict: Arc<PropertyDict>,
    from: usize,
) -> Result<ImageList> {
    let mut out = list_of(list.len())?;
    // Created for this computation: no image has them yet.
    let known_new = Arc::strong_count(&dict) == 1;
    for (index, image) in list.iter().enumerate() {
        let mut image = image.clone();
        if index >= from {
            if let Some(bound) = &bound {
                image.append_new(Arc::clone(bound), true);
            }
            image.append_new(Arc::clone(&dict), known_new);
        }
        out.push(image);
    }
    Ok(ImageList::from(out))
}

/// The images of `list` without properties (`list` itself when none has any).
pub(super) fn strip_all(list: &ImageList) -> Result<ImageList> {
    if list.iter().all(|image| image.properties().is_empty()) {
        return Ok(list.clone());
    }
    let mut out = list_of(list.len())?;
    out.extend(list.iter().cloned());
    Ok(ImageList::from(strip(out)))
}

/// `out` without properties.
pub(super) fn strip(mut out: Vec<Image>) -> Vec<Image> {
    for o in &mut out {
        o.clear_properties();
    }
    out
}

/// An empty vector with room for `n` images, or an `OutOfMemory` error.
fn list_of(n: usize) -> Result<Vec<Image>> {
    let mut out = Vec::new();
    out.try_reserve_exact(n)
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n} images")))?;
    Ok(out)
}

/// A leaf's outputs with their properties: each input's dicts merged into its output (distributed
/// kinds), then the bound arguments' dict (`bound`) when there is one, then this computation's dict.
pub(super) fn finish_with(
    mut out: Vec<Image>,
    inputs: &[Image],
    distributed: bool,
    bound: Option<Arc<PropertyDict>>,
    dict: Arc<PropertyDict>,
) -> Result<Vec<Image>> {
    if distributed && out.len() == inputs.len() {
        for (o, i) in out.iter_mut().zip(inputs) {
            o.merge_properties_from(i)?;
        }
    }
    // Unless the kind kept a reference to it (a custom feature may append its properties to its
    // output), the dict was created for this computation and no output has it yet.
    let known_new = Arc::strong_count(&dict) == 1;
    for o in &mut out {
        if let Some(bound) = &bound {
            // Created for this computation: no output has it yet.
            o.append_new(Arc::clone(bound), true);
        }
        o.append_new(Arc::clone(&dict), known_new);
    }
    Ok(out)
}
