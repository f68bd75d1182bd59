//! The feature graph: feature nodes, their per-replicate caches, property sampling with dependency
//! tracking, and `resolve` / `update` / `seed` / `store_properties`.
//!
//! Semantics follow DeepTrack2 2.0.1 (see the README for the deliberate differences):
//! * a feature samples its properties once per replicate index (`_ID`) and caches them until
//!   [`Feature::update`]; a property read at a deeper `_ID` through a link inherits the value cached at
//!   the longest prefix (so properties outside a repeat are shared by all repetitions);
//! * resolving again with the *same* input and no update returns the cached result, with the same
//!   property-dict allocations; any new computation creates new dicts;
//! * with `store_properties`, each computation appends its dict to its outputs, structural features
//!   after their children's; without it, outputs carry no properties.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::rng::{Generator, RngSlot, mix};
use rand::{Rng, RngCore};
use smallvec::SmallVec;

use crate::error::{Error, ErrorKind, Result};
use crate::features::FeatureKind;
use crate::features::registry::KindSpec;
use crate::image::{Image, ImageList, flatten, same_list};
use crate::properties::{PropertyDict, Rule, SampleContext};
use crate::sync::{self, BatchWait, Lineage, Lock, LockGuard, Recover, overwrite};
use crate::value::{Text, Value};

mod resample;
// Hook (sequences): sequential properties and the steps of a `Sequence` (src/graph/sequence.rs).
mod sequence;
pub use sequence::{MAX_SEQUENCE_LENGTH, SequenceScope};

/// A replicate index (`_ID`): empty at top level, one entry per enclosing repeat.
pub type ReplicaId = [usize];

static NEXT_UID: AtomicU64 = AtomicU64::new(1);

/// Bumped whenever a property rule is set anywhere (links and feature-valued properties are the only
/// edges added after construction): a node's kept depth bound can only go stale then, so a run
/// re-checks the true depth only when this moved since its last check.
static LINK_EPOCH: AtomicU64 = AtomicU64::new(1);

/// How deeply features may nest (chains of chains, links to links, features as property values) when
/// resolving. Deeper pipelines are reported as an error instead of overflowing the stack of the
/// calling thread; 128 levels stay inside a 1 MiB thread stack, with room to spare in release builds
/// and in this crate's dev profile (opt-level 1: the deepest mix of features as property values and
/// containment fits in 500 KiB). Unoptimised (opt-level 0) builds of the library use close to the
/// whole 1 MiB at that depth.
pub const MAX_NESTING: usize = 128;

/// How many resolves may nest on one thread through user code (a callback or a custom feature's
/// `get` resolving a pipeline whose callback resolves another, …). Their depths also add up
/// against the nesting bound ([`MAX_NESTING`]), so that no chain of them can overflow the stack.
pub const MAX_CALLBACK_NESTING: usize = 16;

thread_local! {
    /// While user code called by a resolve runs on this thread: the nesting depth of that resolve,
    /// and how many such calls are running, nested (`(0, 0)` outside any).
    static IN_USER_CODE: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Marks the calling thread as running user code called by a resolve at `depth`, until dropped.
pub(crate) struct UserCode {
    previous: (usize, usize),
}

impl UserCode {
    fn enter(depth: usize) -> UserCode {
        let previous = IN_USER_CODE.get();
        IN_USER_CODE.set((depth, previous.1 + 1));
        UserCode { previous }
    }
}

impl Drop for UserCode {
    fn drop(&mut self) {
        let _ = IN_USER_CODE.try_with(|c| c.set(self.previous));
    }
}

/// The depth a resolve starting on this thread starts at: the depth of the resolve whose user code
/// calls it (0 outside user code). Errors when resolves nest through user code more than
/// [`MAX_CALLBACK_NESTING`] times.
fn starting_depth(feature: &Feature) -> Result<usize> {
    let (depth, nested) = IN_USER_CODE.get();
    if nested > MAX_CALLBACK_NESTING {
        return Err(Error::invalid(format!(
            "resolves nest more than {MAX_CALLBACK_NESTING} deep through callbacks (a callback resolving a \
             pipeline whose callback resolves another, and so on)"
        ))
        .in_feature(&feature.label()));
    }
    Ok(depth)
}

/// A feature: a kind (what it computes) plus ordered properties (how its parameters are sampled).
/// Cloning shares the same node (reference counting); composition shares its arguments.
#[derive(Clone)]
pub struct Feature(Arc<Node>);

struct Node {
    uid: u64,
    /// 1 + the deepest contained feature or link source: bounds recursion (resolve, drop).
    depth: AtomicUsize,
    /// The [`LINK_EPOCH`] at which this feature's true depth was last checked (0: never).
    depth_checked: AtomicU64,
    kind: Box<dyn FeatureKind>,
    /// The registry entry of a built-in kind (its parameters validate constants at `set_property`).
    spec: Option<&'static KindSpec>,
    /// Whether the kind has sub-features (fixed at construction).
    has_children: bool,
    /// How many properties link to other features (links and feature values): graph walks skip the
    /// property list of features without any.
    links: AtomicUsize,
    /// A thin pointer, replaced whole: a fork never finds it half-written.
    label: Lock<Arc<String>>,
    store: AtomicBool,
    /// Bumped by every update (and seed): the caches of an older generation are stale, and the
    /// generator starts its next stream. An update is then one atomic operation per feature; the
    /// stale caches are dropped by the next look at them.
    generation: AtomicU64,
    /// The generator of the resolves that have this feature as their root.
    rng: RngSlot,
    state: Lock<State>,
}

struct State {
    /// The generation the caches below belong to (see `Node::generation`).
    generation: u64,
    /// The properties' rules, in order (shared with the runs that read them).
    props: Arc<Vec<(Text, Rule)>>,
    /// Whether every rule is drawn without reading anything else (no callbacks, links or feature
    /// values): such samples are drawn under the lock that found them missing.
    simple: bool,
    /// Sampled property values per replicate index (without `_ID`).
    samples: ByReplica<Sample>,
    /// Whether `samples` may hold a sample that read links (set when one is stored, cleared with them).
    linked: bool,
    /// Cached outputs per replicate index.
    outputs: ByReplica<Cached>,
    /// The last input given to `resolve` on this feature since the last update.
    stored_input: Option<ImageList>,
    /// Bumped whenever `stored_input` changes: outputs computed from the kept input record it.
    input_version: u64,
    /// The rules of the properties pinned to a value by [`Feature::set_value`] (which stands in their
    /// place in `props`), put back at the next update.
    pins: Vec<(Text, Rule)>,
}

impl Recover for State {
    fn recover(&mut self) {
        // A thread that did not survive a fork held the state: the caches may be half-updated, so
        // they are dropped (leaked, never read). The rules are replaced whole (one pointer), so they
        // are intact; what is derived from them is computed again.
        overwrite(&mut self.samples, ByReplica::default());
        overwrite(&mut self.outputs, ByReplica::default());
        overwrite(&mut self.stored_input, None);
        self.input_version = self.input_version.wrapping_add(1);
        self.simple = all_simple(&self.props);
    }
}

impl Recover for Arc<String> {
    fn recover(&mut self) {
        // Replaced whole: always intact.
    }
}

/// Where a new property `key` goes among `props`: a parameter of the kind's spec before the first
/// property that comes after it in the spec (so that a required parameter set after construction
/// takes its place in DeepTrack2's order), any other key before `name`.
fn new_property_position(props: &[(Text, Rule)], spec: Option<&KindSpec>, key: &str) -> usize {
    let name = props.iter().position(|(k, _)| k.as_str() == "name").unwrap_or(props.len());
    let Some(spec) = spec else { return name };
    let index = |k: &str| spec.params.iter().position(|p| p.name == k);
    match index(key) {
        Some(mine) => {
            props.iter().position(|(k, _)| index(k.as_str()).is_some_and(|j| j > mine)).unwrap_or(name).min(name)
        }
        None => name,
    }
}

/// Whether every rule of `props` draws its value on its own (see `State::simple`).
fn all_simple(props: &[(Text, Rule)]) -> bool {
    props.iter().all(|(_, rule)| {
        !matches!(rule, Rule::Callback(_) | Rule::PropertyOf { .. } | Rule::FeatureOutput(_) | Rule::Sequential(_))
    })
}

/// How many of `props` link to other features.
fn count_links(props: &[(Text, Rule)]) -> usize {
    props.iter().filter(|(_, rule)| matches!(rule, Rule::PropertyOf { .. } | Rule::FeatureOutput(_))).count()
}

/// A feature's state locked with its caches brought to the current generation. Stale samples that
/// read links are dropped after the lock is released (fields drop in order): dropping them may drop
/// the last handle of a linked feature, and with it user callbacks' data.
struct Current<'a> {
    state: LockGuard<'a, State>,
    _stale: Option<Box<ByReplica<Sample>>>,
}

impl std::ops::Deref for Current<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.state
    }
}

impl std::ops::DerefMut for Current<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.state
    }
}

/// Values per replicate index: the top level (`_ID` empty, the common case) in a slot of its own, the
/// indices `[k]` of one repeat in a row indexed by `k` (a repeat resolves `0..N` in order: the row
/// fills front to back, without hashing or a key per entry), the others in a map.
struct ByReplica<T> {
    top: Option<T>,
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
    fn get(&self, id: &ReplicaId) -> Option<&T> {
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
    fn insert(&mut self, id: &ReplicaId, value: T) -> Result<Option<T>> {
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
    fn set(&mut self, id: &ReplicaId, value: T) -> Result<()> {
        if id.is_empty() {
            self.top = Some(value);
            return Ok(());
        }
        self.insert(id, value).map(drop)
    }

    /// Every value with its replicate index: the top level, the row in order, then the others in
    /// the order of their indices.
    fn entries(&self) -> Vec<(Vec<usize>, &T)> {
        let mut out: Vec<(Vec<usize>, &T)> = self.top.iter().map(|v| (Vec::new(), v)).collect();
        out.extend(self.row.iter().enumerate().filter_map(|(k, v)| v.as_ref().map(|v| (vec![k], v))));
        let mut nested: Vec<(Vec<usize>, &T)> = self.nested.iter().map(|(k, v)| (k.clone(), v)).collect();
        nested.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(nested);
        out
    }

    /// Moves every value out (so that they can be dropped after a lock is released).
    fn take(&mut self) -> ByReplica<T> {
        std::mem::take(self)
    }

    /// Drops every value. The row keeps its room, which the next resolve usually fills again, unless
    /// that is more than twice what it used.
    fn clear(&mut self) {
        self.top = None;
        if self.row.capacity() > 2 * self.row.len() + 64 {
            self.row = Vec::new();
        } else {
            self.row.clear();
        }
        self.nested.clear();
    }
}

/// The features a graph walk has reached: a few inline, a set beyond.
#[derive(Default)]
struct Seen {
    few: SmallVec<[u64; 16]>,
    many: HashSet<u64>,
}

impl Seen {
    /// Adds `uid`; false when it was already there.
    fn insert(&mut self, uid: u64) -> bool {
        if self.many.is_empty() {
            if self.few.contains(&uid) {
                return false;
            }
            if self.few.len() < self.few.inline_size() {
                self.few.push(uid);
                return true;
            }
            self.many.extend(self.few.drain(..));
        }
        self.many.insert(uid)
    }
}

/// A sample and the linked samples it read: it stays valid only while those are still current.
#[derive(Clone)]
struct Sample {
    dict: Arc<PropertyDict>,
    links: Vec<LinkUse>,
}

#[derive(Clone)]
struct LinkUse {
    source: Feature,
    id: Vec<usize>,
    dict: Arc<PropertyDict>,
    /// For a feature-valued property, the replicate index the source was resolved at and the output
    /// the value was taken from.
    output: Option<(Vec<usize>, ImageList)>,
}

struct Cached {
    /// The optics context the result was computed under (scatterers depend on it).
    optics: Option<OpticsContext>,
    /// The upscale of enclosing `Upscale` features it was computed under (optics depend on it).
    upscale: [usize; 3],
    basis: Basis,
    sample: Arc<PropertyDict>,
    /// Shared with the images returned (a copy of the list costs one pointer).
    output: ImageList,
}

/// What a cached output was computed from, besides its sample and context: one field for both
/// kinds of features keeps the entry small (it is moved into the cache at every computation).
enum Basis {
    /// A leaf's input: the feature's kept input (`State::stored_input`) at this `input_version` (a
    /// top-level computation on one image: no second reference to it is held).
    Kept(u64),
    /// A leaf's input: these images.
    Given(ImageList),
    /// A structural feature's result before its own dict was appended.
    Inner(ImageList),
}

/// The seed of item `index` of the batch stream `seed` (see [`Feature::resolve_batch`]).
pub fn batch_item_seed(seed: u64, index: u64) -> u64 {
    mix(seed ^ 0x6261_7463_685F_6974, index) // "batch_it"
}

fn too_deep(label: &str) -> Error {
    Error::invalid(format!("the pipeline nests features (or links properties) more than {MAX_NESTING} levels deep"))
        .in_feature(label)
}

fn busy(label: &str) -> Error {
    Error::new(
        ErrorKind::Busy,
        format!("feature '{label}' is being resolved; it cannot be resolved, updated or seeded from its own callbacks"),
    )
}

impl Feature {
    /// A feature of a kind of your own (no registry entry), with only the `name` property. Errors
    /// when the kind's sub-features nest more than [`MAX_NESTING`] levels deep.
    pub fn new(kind: Box<dyn FeatureKind>) -> Result<Feature> {
        Feature::with_spec(None, kind)
    }

    /// A feature of the built-in kind `spec` computed by `kind` (made by `spec.make`), with the
    /// spec's default properties followed by `name`. Errors when it would nest too deep.
    pub fn builtin(spec: &'static KindSpec, kind: Box<dyn FeatureKind>) -> Result<Feature> {
        Feature::with_spec(Some(spec), kind)
    }

    fn with_spec(spec: Option<&'static KindSpec>, kind: Box<dyn FeatureKind>) -> Result<Feature> {
        let depth = 1 + kind.children().iter().map(Feature::depth).max().unwrap_or(0);
        let name = kind.name().to_owned();
        if depth > MAX_NESTING {
            return Err(too_deep(&name));
        }
        // Built-in names are interned: the dicts of every resolve hold them without reference counts.
        let (mut props, name_value): (Vec<(Text, Rule)>, Value) = match spec {
            Some(spec) => (
                spec.defaults()
                    .into_iter()
                    .map(|(k, r)| (Text::interned(k), kind.default_rule(k).unwrap_or(r)))
                    .collect(),
                Value::Str(Text::interned(spec.name)),
            ),
            None => (Vec::new(), Value::str(&name)),
        };
        props.push((Text::interned("name"), Rule::Constant(name_value)));
        let label = Arc::new(name.clone());
        Ok(Feature::from_parts((kind, spec), props, label, depth, false, (rand::rng().random::<u64>(), 0)))
    }

    /// A new node with empty caches: `props` its rules, `label` its name for messages, `depth` its
    /// nesting bound, `store` whether it stores properties, and its generator at stream `epoch` of
    /// `seed` (`(seed, epoch)`).
    fn from_parts(
        (kind, spec): (Box<dyn FeatureKind>, Option<&'static KindSpec>),
        props: Vec<(Text, Rule)>,
        label: Arc<String>,
        depth: usize,
        store: bool,
        (seed, epoch): (u64, u64),
    ) -> Feature {
        sync::watch_forks();
        Feature(Arc::new(Node {
            uid: NEXT_UID.fetch_add(1, Ordering::Relaxed),
            depth: AtomicUsize::new(depth),
            depth_checked: AtomicU64::new(0),
            has_children: !kind.children().is_empty(),
            kind,
            spec,
            links: AtomicUsize::new(count_links(&props)),
            label: Lock::new(label),
            store: AtomicBool::new(store),
            generation: AtomicU64::new(0),
            rng: RngSlot::new(seed, epoch, 0),
            state: Lock::new(State {
                generation: 0,
                simple: all_simple(&props),
                props: Arc::new(props),
                samples: ByReplica::default(),
                linked: false,
                outputs: ByReplica::default(),
                stored_input: None,
                input_version: 0,
                pins: Vec::new(),
            }),
        }))
    }

    fn depth(&self) -> usize {
        self.0.depth.load(Ordering::Relaxed)
    }

    /// The feature's name, for messages: its `name` property when that is a constant string.
    pub fn label(&self) -> Arc<str> {
        Arc::from(self.label_text().as_str())
    }

    fn label_text(&self) -> Arc<String> {
        Arc::clone(&self.0.label.lock())
    }

    /// The kind of this feature.
    pub fn kind(&self) -> &dyn FeatureKind {
        self.0.kind.as_ref()
    }

    /// The registry entry of a built-in feature's kind (`None` for a kind of your own).
    pub fn spec(&self) -> Option<&'static KindSpec> {
        self.0.spec
    }

    /// Whether two handles are the same feature.
    pub fn ptr_eq(&self, other: &Feature) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    fn state(&self) -> LockGuard<'_, State> {
        self.0.state.lock()
    }

    fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::Acquire)
    }

    /// The state, locked, with the caches of an older generation cleared.
    fn current(&self) -> Current<'_> {
        let mut state = self.state();
        let now = self.generation();
        let mut stale = None;
        if state.generation != now {
            state.generation = now;
            state.input_version += 1;
            // Images and dicts only: dropped in place.
            state.stored_input = None;
            state.outputs.clear();
            // Samples that read links hold other features: dropped after the lock is released.
            if std::mem::take(&mut state.linked) {
                stale = Some(Box::new(state.samples.take()));
            } else {
                state.samples.clear();
            }
            if !state.pins.is_empty() {
                self.unpin(&mut state);
            }
        }
        Current { state, _stale: stale }
    }

    /// Puts back the rules of the properties pinned by [`Feature::set_value`] (an update ends a pin).
    /// The pinned constants dropped here hold no user data.
    fn unpin(&self, state: &mut State) {
        let mut props: Vec<(Text, Rule)> = state.props.iter().cloned().collect();
        for (key, rule) in std::mem::take(&mut state.pins) {
            if let Some(slot) = props.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = rule;
            }
        }
        self.0.links.store(count_links(&props), Ordering::Relaxed);
        state.simple = all_simple(&props);
        state.props = Arc::new(props);
    }

    /// The properties' rules with those pinned by [`Feature::set_value`] put back: what an update gives.
    fn unpinned_defs(&self) -> Vec<(Text, Rule)> {
        let st = self.current();
        let mut props: Vec<(Text, Rule)> = st.props.iter().cloned().collect();
        for (key, rule) in &st.pins {
            if let Some(slot) = props.iter_mut().find(|(k, _)| k == key) {
                slot.1 = rule.clone();
            }
        }
        props
    }

    fn defs(&self) -> Arc<Vec<(Text, Rule)>> {
        Arc::clone(&self.current().props)
    }

    /// The property names in order (`name` last unless set explicitly elsewhere).
    pub fn property_names(&self) -> Vec<String> {
        self.defs().iter().map(|(k, _)| k.as_str().to_owned()).collect()
    }

    /// Whether the feature has a property `key`.
    pub fn has_property(&self, key: &str) -> bool {
        self.defs().iter().any(|(k, _)| k.as_str() == key)
    }

    /// Sets the rule of property `key`: replaces an existing one in place, or adds a new property before
    /// `name` (any key is accepted and kept as metadata). Drops this feature's cached samples.
    pub fn set_property(&self, key: &str, rule: Rule) -> Result<()> {
        if key.is_empty() {
            return Err(Error::invalid("property names must not be empty").in_feature(&self.label()));
        }
        if key == "_ID" {
            return Err(Error::invalid("'_ID' is set by repeats and cannot be a property").in_feature(&self.label()));
        }
        if let Some(param) = self.0.spec.and_then(|s| s.param(key)).filter(|p| p.is_feature()) {
            // Whatever the rule (a constant, a feature's output, a random draw): never a property.
            return Err(Error::invalid(format!(
                "'{}' is a feature given at construction, not a property (deeptrack_feature_new_with)",
                param.name
            ))
            .in_property(key)
            .in_feature(&self.label()));
        }
        if let (Rule::Constant(v), Some(spec)) = (&rule, self.0.spec) {
            spec.validate(key, v).map_err(|e| e.in_property(key).in_feature(&self.label()))?;
        }
        let rule = match rule {
            // A link to one's own property is a sibling read (no ownership loop, real cycle checks).
            Rule::PropertyOf { feature, key: source } if feature.ptr_eq(self) => {
                Rule::callback(move |ctx| ctx.get(source.as_str()).cloned())
            }
            Rule::PropertyOf { feature, key } => {
                self.link_depth(&feature, key.as_str())?;
                Rule::PropertyOf { feature, key }
            }
            Rule::FeatureOutput(feature) if feature.ptr_eq(self) => {
                return Err(Error::invalid("a feature cannot be the value of its own property")
                    .in_property(key)
                    .in_feature(&self.label()));
            }
            Rule::FeatureOutput(feature) => {
                self.link_depth(&feature, key)?;
                Rule::FeatureOutput(feature)
            }
            other => other,
        };
        if key == "name" {
            if let Rule::Constant(Value::Str(s)) = &rule {
                let new = Arc::new(s.as_str().to_owned());
                // Replaced in one store, and the old one dropped after the lock is given back.
                let old = std::mem::replace(&mut *self.0.label.lock(), new);
                drop(old);
            }
        }
        // The replaced rule (and the previous property list, if shared) and the dropped caches are
        // dropped after the lock is released: dropping may run user destructors (free_userdata), which
        // may call back in.
        let stale = {
            let mut st = self.state();
            // A new list, put in place by one pointer store: a fork never finds the rules
            // half-changed (see `State::recover`).
            let mut props = Vec::with_capacity(st.props.len() + 1);
            props.extend(st.props.iter().cloned());
            let old = match props.iter_mut().find(|(k, _)| k.as_str() == key) {
                Some(slot) => Some(std::mem::replace(&mut slot.1, rule)),
                None => {
                    let at = new_property_position(&props, self.0.spec, key);
                    props.insert(at, (Text::new(key), rule));
                    None
                }
            };
            self.0.links.store(count_links(&props), Ordering::Relaxed);
            let simple = all_simple(&props);
            let previous = std::mem::replace(&mut st.props, Arc::new(props));
            st.simple = simple;
            st.linked = false;
            // A rule set now replaces a pin of the same property, for good.
            let unpinned: Vec<(Text, Rule)> = match st.pins.iter().position(|(k, _)| k.as_str() == key) {
                Some(i) => vec![st.pins.swap_remove(i)],
                None => Vec::new(),
            };
            (old, previous, st.samples.take(), st.outputs.take(), unpinned)
        };
        // After the new rule is in place: a run that checks the depth from now on sees it.
        LINK_EPOCH.fetch_add(1, Ordering::Relaxed);
        drop(stale);
        Ok(())
    }

    /// Accounts for a link from this feature to `source`: errors when it would nest too deeply, or
    /// when `source` already depends on this feature (the two would keep each other alive forever and
    /// their values would depend on each other: DeepTrack2 2.0.1 hangs on such loops).
    fn link_depth(&self, source: &Feature, key: &str) -> Result<()> {
        let mut loops = false;
        source.visit(true, &mut |f| loops |= f.ptr_eq(self));
        if loops {
            return Err(Error::new(
                ErrorKind::Cycle,
                format!(
                    "feature '{}' already depends on this feature: linking to it would make a loop",
                    source.label()
                ),
            )
            .in_property(key)
            .in_feature(&self.label()));
        }
        let depth = source.depth() + 1;
        if depth > MAX_NESTING {
            return Err(too_deep(&self.label()).in_property(key));
        }
        self.0.depth.fetch_max(depth, Ordering::Relaxed);
        Ok(())
    }

    /// The current value of property `key` at top level (`_ID` empty): the value sampled by the last
    /// resolve at top level, or a new sample drawn with this feature's generator (and kept, like any
    /// sample, until the next update).
    pub fn get_property(&self, key: &str) -> Result<Value> {
        if !self.has_property(key) {
            return Err(Error::not_found(format!("no property '{key}'")).in_feature(&self.label()));
        }
        let start = starting_depth(self)?;
        let mut guard = self.0.rng.take(self.generation()).ok_or_else(|| busy(&self.label()))?;
        self.check_depth()?;
        let mut rs = Resolver::new(guard.rng());
        rs.depth = start;
        let (_, dict) = self.sample(&[], &mut rs)?;
        dict.get(key).cloned().ok_or_else(|| Error::not_found(format!("no property '{key}'")).in_feature(&self.label()))
    }

    /// Pins property `key` to `value` until the next update (DeepTrack2's `feature.key.set_value(value)`):
    /// the value stands in place of the property's rule, the feature's cached samples and results are
    /// dropped (so the properties that read it, here and in features linking to it, are sampled again),
    /// and the next update puts the rule back. Setting the value the property already has (its
    /// constant, or its current sample at top level) changes nothing and keeps the cached results, as
    /// in DeepTrack2. Returns whether anything changed. Errors: no property `key` (`NotFound`), `name`
    /// or `_ID`, or a value the kind refuses for that parameter (the message names the property).
    pub fn set_value(&self, key: &str, value: Value) -> Result<bool> {
        self.check_settable(key, &value)?;
        let stale = {
            let mut st = self.current();
            let Some(at) = st.props.iter().position(|(k, _)| k.as_str() == key) else {
                return Err(Error::not_found(format!("no property '{key}'")).in_feature(&self.label()));
            };
            let unchanged = match &st.props[at].1 {
                Rule::Constant(v) => v.equivalent(&value),
                _ => st
                    .samples
                    .get(&[])
                    .is_some_and(|s| s.links.is_empty() && s.dict.get(key).is_some_and(|v| v.equivalent(&value))),
            };
            if unchanged {
                return Ok(false);
            }
            let mut props: Vec<(Text, Rule)> = st.props.iter().cloned().collect();
            let rule = std::mem::replace(&mut props[at].1, Rule::Constant(value));
            // The first pin keeps the rule; a later one only replaces the pinned constant.
            let replaced = if st.pins.iter().any(|(k, _)| k.as_str() == key) {
                Some(rule)
            } else {
                st.pins.push((props[at].0.clone(), rule));
                None
            };
            self.0.links.store(count_links(&props), Ordering::Relaxed);
            st.simple = all_simple(&props);
            st.linked = false;
            let previous = std::mem::replace(&mut st.props, Arc::new(props));
            (replaced, previous, st.samples.take(), st.outputs.take())
        };
        // Dropped after the lock is released (a replaced rule may hold user data).
        drop(stale);
        Ok(true)
    }

    /// [`Feature::set_value`] on every feature of this pipeline that has a property `key` (this one,
    /// the features it contains and those its properties link to), as DeepTrack2's
    /// `feature.resolve(x, key=value)` does before it resolves. The value is checked against every
    /// such feature first: on error nothing is set. Returns how many features have the property.
    pub fn set_value_everywhere(&self, key: &str, value: &Value) -> Result<usize> {
        let mut targets = Vec::new();
        self.visit(true, &mut |f| {
            if f.has_property(key) {
                targets.push(f.clone());
            }
        });
        for f in &targets {
            f.check_settable(key, value)?;
        }
        for f in &targets {
            f.set_value(key, value.clone())?;
        }
        Ok(targets.len())
    }

    /// Whether `value` may be pinned as property `key` of this feature (see [`Feature::set_value`]).
    fn check_settable(&self, key: &str, value: &Value) -> Result<()> {
        if key == "name" || key == "_ID" {
            return Err(Error::invalid(format!("'{key}' cannot be set with set_value")).in_feature(&self.label()));
        }
        if let Some(spec) = self.0.spec {
            spec.validate(key, value).map_err(|e| e.in_property(key).in_feature(&self.label()))?;
        }
        Ok(())
    }

    /// Whether this feature holds a current result at top level (DeepTrack2's `feature.is_valid()`):
    /// true after a resolve, false after an update or a change of its properties (a new rule, or a
    /// [`Feature::set_value`] that changes a value).
    pub fn is_valid(&self) -> bool {
        self.current().outputs.get(&[]).is_some()
    }

    /// The sampled values of the properties `names` (DeepTrack2's `TakeProperties`): from this
    /// feature and every feature it contains or links to that has all of them, each of its current
    /// samples at a replicate index that starts with `prefix` (in the order of the indices). One list
    /// per name, aligned. Nothing is sampled: a feature not resolved since its last update gives none.
    pub fn sampled_values(&self, names: &[&str], prefix: &[usize]) -> Vec<Vec<Value>> {
        let mut out = vec![Vec::new(); names.len()];
        self.visit(true, &mut |f| {
            let defs = f.defs();
            if !names.iter().all(|n| defs.iter().any(|(k, _)| k.as_str() == *n)) {
                return;
            }
            let st = f.current();
            for (id, sample) in st.samples.entries() {
                if !id.starts_with(prefix) {
                    continue;
                }
                for (values, name) in out.iter_mut().zip(names) {
                    values.push(sample.dict.get(name).cloned().unwrap_or(Value::None));
                }
            }
        });
        out
    }

    /// Turns storing of properties on or off for this feature and every feature it contains. With it
    /// on the outermost feature, results carry one dict per computation; without it, none. Cached
    /// results are dropped (sampled values are kept), so the next resolve reflects the new setting.
    pub fn store_properties(&self, enable: bool) {
        self.visit(false, &mut |f| {
            f.0.store.store(enable, Ordering::Relaxed);
            let stale = f.current().outputs.take();
            drop(stale);
        });
    }

    /// Whether this feature stores properties.
    pub fn stores_properties(&self) -> bool {
        self.0.store.load(Ordering::Relaxed)
    }

    /// Seeds this pipeline: every later sample drawn while resolving it (callbacks included) is
    /// reproducible. Also drops cached samples, so the next resolve draws from the new seed.
    pub fn seed(&self, seed: u64) -> Result<()> {
        self.reset(Some(seed))
    }

    /// Makes the cached samples and outputs of this feature, the features it contains and the
    /// features its properties link to stale, and forgets the stored input; the next resolve samples
    /// afresh (from the next stream of this feature's seed). One atomic store per feature: the stale
    /// values are freed by the next resolve (or read) of each feature.
    pub fn update(&self) -> Result<()> {
        self.reset(None)
    }

    fn reset(&self, seed: Option<u64>) -> Result<()> {
        if self.0.rng.is_busy() {
            return Err(busy(&self.label()));
        }
        // Every feature reached gets a new stream: the next one of its seed on update, or, on seed, a
        // seed derived from the root's and its place in the graph (so that sampling a contained
        // feature on its own is reproducible too).
        let mut index = 0;
        self.visit(true, &mut |f| {
            let next = f.generation().wrapping_add(1);
            if let Some(s) = seed {
                f.0.rng.reseed(if index == 0 { s } else { mix(s, index) }, next);
            }
            // The caches are now stale: the next look at them drops them.
            f.0.generation.store(next, Ordering::Release);
            index += 1;
        });
        Ok(())
    }

    /// Calls `f` on this feature and, once each, every contained feature (and linked sources if
    /// `links`). Iterative, so that no nesting depth can overflow the stack.
    fn visit(&self, links: bool, f: &mut dyn FnMut(&Feature)) {
        let leaf = |node: &Feature| !node.0.has_children && (!links || node.0.links.load(Ordering::Relaxed) == 0);
        if leaf(self) {
            f(self);
            return;
        }
        let mut seen = Seen::default();
        let mut stack: SmallVec<[Feature; 8]> = SmallVec::new();
        stack.push(self.clone());
        while let Some(node) = stack.pop() {
            if !seen.insert(node.0.uid) {
                continue;
            }
            f(&node);
            if node.0.has_children {
                stack.extend(node.0.kind.children());
            }
            if links && node.0.links.load(Ordering::Relaxed) > 0 {
                node.push_links(&mut stack);
            }
        }
    }

    /// The features this one reaches directly: the ones it contains, then its properties' link and
    /// feature-value sources.
    fn edges(&self) -> Vec<Feature> {
        let mut out = self.0.kind.children();
        self.push_links(&mut out);
        out
    }

    /// Appends the sources of this feature's links and feature-valued properties.
    fn push_links(&self, out: &mut impl Extend<Feature>) {
        for (_, rule) in self.defs().iter() {
            if let Rule::PropertyOf { feature, .. } | Rule::FeatureOutput(feature) = rule {
                out.extend([feature.clone()]);
            }
        }
    }

    /// Errors when the graph below this feature is now nested more than [`MAX_NESTING`] levels deep;
    /// checked before every run. The depth kept on a node is a bound taken when the node was built or
    /// linked: a link added later to a feature below it (inside a container built earlier, or at the
    /// far end of a chain of links) does not reach it, and resolving on that stale bound could nest
    /// deep enough to overflow the stack.
    fn check_depth(&self) -> Result<()> {
        let epoch = LINK_EPOCH.load(Ordering::Relaxed);
        if self.0.depth_checked.load(Ordering::Relaxed) == epoch {
            return Ok(());
        }
        if self.current_depth() > MAX_NESTING {
            return Err(too_deep(&self.label()));
        }
        self.0.depth_checked.store(epoch, Ordering::Relaxed);
        Ok(())
    }

    /// 1 + the longest chain of [`Feature::edges`] below this feature, computed afresh (iteratively, so
    /// that no depth can overflow the stack); the depths kept on the nodes visited are raised to what
    /// it finds. An edge back to a feature on the current path is not followed: such loops either read
    /// a sample that is already cached or are reported as cycles when sampled.
    fn current_depth(&self) -> usize {
        let mut found: HashMap<u64, usize> = HashMap::new();
        let mut on_path: HashSet<u64> = HashSet::from([self.0.uid]);
        let mut stack = vec![(self.clone(), self.edges(), 0)];
        while let Some((_, edges, next)) = stack.last_mut() {
            if let Some(edge) = edges.get(*next).cloned() {
                *next += 1;
                if !found.contains_key(&edge.0.uid) && on_path.insert(edge.0.uid) {
                    let below = edge.edges();
                    stack.push((edge, below, 0));
                }
                continue;
            }
            let (node, edges, _) = stack.pop().expect("not empty");
            let depth = 1 + edges.iter().filter_map(|e| found.get(&e.0.uid).copied()).max().unwrap_or(0);
            node.0.depth.fetch_max(depth, Ordering::Relaxed);
            on_path.remove(&node.0.uid);
            found.insert(node.0.uid, depth);
        }
        found[&self.0.uid]
    }

    /// A copy of this pipeline: this feature, every feature it contains and every feature its
    /// properties link to are copied, with the same kinds, rules and settings (links point to the
    /// copies) and empty caches. Callbacks are shared with the original. Used by
    /// [`Feature::resolve_batch`], whose workers each resolve a copy.
    pub fn duplicate(&self) -> Feature {
        self.duplicate_into(&mut HashMap::new())
    }

    fn duplicate_into(&self, copies: &mut HashMap<u64, Feature>) -> Feature {
        if let Some(copy) = copies.get(&self.0.uid) {
            return copy.clone();
        }
        let children = self.0.kind.children().iter().map(|c| c.duplicate_into(copies)).collect();
        let kind = self.0.kind.with_children(children);
        // Links never loop (set_property refuses it), so copying their sources terminates.
        // A fresh copy: pins (which last until an update) are not copied.
        let props: Vec<(Text, Rule)> = self
            .unpinned_defs()
            .iter()
            .map(|(k, rule)| {
                let rule = match rule {
                    Rule::PropertyOf { feature, key } => {
                        Rule::PropertyOf { feature: feature.duplicate_into(copies), key: key.clone() }
                    }
                    Rule::FeatureOutput(feature) => Rule::FeatureOutput(feature.duplicate_into(copies)),
                    other => other.clone(),
                };
                (k.clone(), rule)
            })
            .collect();
        let position = self.0.rng.position(self.generation());
        let copy = Feature::from_parts(
            (kind, self.0.spec),
            props,
            self.label_text(),
            self.depth(),
            self.stores_properties(),
            position,
        );
        copies.insert(self.0.uid, copy.clone());
        copy
    }

    /// Resolves `count` independent samples of this pipeline on `input`: items `first .. first +
    /// count` of the stream `seed`. Item `i` is the image a fresh copy of the pipeline, seeded with
    /// [`batch_item_seed`]`(seed, i)`, resolves to: a pure function of (pipeline, seed, i), the same
    /// whatever the thread count or the way a dataset is split into batches. Runs on `threads` worker
    /// threads (0: as many as the machine has cores); each resolves its own copy. The pipeline itself
    /// is not touched. Every item must produce exactly one image; the error of the lowest failing
    /// item is returned. Returns only when the worker threads have exited (their thread-local
    /// destructors have run).
    pub fn resolve_batch(
        &self,
        input: Option<&Image>,
        seed: u64,
        first: u64,
        count: usize,
        threads: usize,
    ) -> Result<Vec<Image>> {
        self.batch_with(seed, first, count, threads, &|copy, item| {
            copy.resolve_one(input)?
                .ok_or_else(|| Error::invalid(format!("batch item {item} produced no image")).in_feature(&self.label()))
        })
    }

    /// [`Feature::resolve_batch`] of items that `item(copy, i)` computes from a copy of the pipeline
    /// seeded for item `i` (one image, or a sequence's frames: `graph/sequence.rs`).
    pub(crate) fn batch_with<T: Send>(
        &self,
        seed: u64,
        first: u64,
        count: usize,
        threads: usize,
        item: &(dyn Fn(&Feature, u64) -> Result<T> + Sync),
    ) -> Result<Vec<T>> {
        self.check_depth()?;
        // A batch of a pipeline that this thread (or the thread whose batch it works for) is
        // resolving or batching: from the pipeline's own callbacks. Copies do not share the
        // pipeline's generator, so nothing would stop the recursion.
        let caller = Lineage::caller();
        if Lineage::batching(self.0.uid) || self.0.rng.held_by(sync::token()) || self.0.rng.held_by(caller) {
            return Err(Error::new(
                ErrorKind::Busy,
                format!(
                    "feature '{}' is being resolved or batched by this thread (or by the batch it works for); it \
                     cannot be batched from its own callbacks",
                    self.label()
                ),
            ));
        }
        // A batch started by a batch's worker (from a callback) runs on that worker: the outer batch
        // already has a thread per core.
        let threads = match threads {
            _ if caller != 0 => 1,
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .min(count.max(1));
        // The workers count the callbacks they run as nested in the ones that started the batch.
        let in_user_code = IN_USER_CODE.get();
        let batch = BatchWait::begin(self.0.uid, threads > 1);
        let next = AtomicUsize::new(0);
        let too_many = || {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the results of a batch of {count} images"))
                .in_feature(&self.label())
        };
        let mut slots = Vec::new();
        slots.try_reserve_exact(count).map_err(|_| too_many())?;
        slots.resize_with(count, || None);
        let results: Mutex<Vec<Option<Result<T>>>> = Mutex::new(slots);
        let work = || {
            let copy = self.duplicate();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= count {
                    break;
                }
                let index = first.wrapping_add(k as u64);
                let result = copy.seed(batch_item_seed(seed, index)).and_then(|()| item(&copy, index));
                let failed = result.is_err();
                results.lock().unwrap_or_else(|e| e.into_inner())[k] = Some(result);
                if failed {
                    // Later items are not needed: the lowest failing item decides the error.
                    next.fetch_max(count, Ordering::Relaxed);
                }
            }
        };
        if threads <= 1 {
            work();
        } else {
            // Every worker is joined explicitly: the scope's implicit join only waits for the workers'
            // closures, and detaches the threads, which then run their thread-local destructors (the
            // library's caches, a callback's C++ `thread_local`s) after the batch has returned
            // (rust-lang/rust#116179). A batch returns only when its threads are gone.
            let panicked = std::thread::scope(|scope| {
                let mut workers = Vec::new();
                for _ in 0..threads {
                    let worker = || {
                        let _lineage = batch.worker();
                        IN_USER_CODE.set((0, in_user_code.1));
                        work();
                    };
                    // A thread that cannot be started (the system's limit, or no memory for its
                    // handle) leaves the work to the others.
                    if workers.try_reserve(1).is_err() {
                        break;
                    }
                    match std::thread::Builder::new().spawn_scoped(scope, worker) {
                        Ok(handle) => workers.push(handle),
                        Err(_) => break,
                    }
                }
                if workers.is_empty() {
                    work();
                }
                // All are joined before a worker's panic is passed on.
                workers.into_iter().map(|w| w.join()).fold(None, |first, joined| first.or(joined.err()))
            });
            if let Some(payload) = panicked {
                std::panic::resume_unwind(payload);
            }
        }
        drop(batch);
        let mut images = Vec::new();
        images.try_reserve_exact(count).map_err(|_| too_many())?;
        for slot in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
            match slot {
                Some(Ok(image)) => images.push(image),
                Some(Err(e)) => return Err(e),
                None => {}
            }
        }
        if images.len() != count {
            return Err(Error::invalid("a batch worker stopped before finishing").in_feature(&self.label()));
        }
        Ok(images)
    }

    /// Resolves the pipeline on `input` (or, when `None`, on the input stored by the last resolve since
    /// the last update, or on nothing). Returns the output images (usually one).
    pub fn resolve(&self, input: Option<&Image>) -> Result<Vec<Image>> {
        self.resolve_inputs(input.map(|img| ImageList::one(img.clone())))
    }

    /// Resolves the pipeline on a list of input images, as DeepTrack2 resolves a list: distributed
    /// features compute each image on its own, others (`Sum(distributed=False)`) the list at once.
    /// An empty list is no input (as `None` in [`Feature::resolve`]).
    pub fn resolve_list(&self, inputs: &[Image]) -> Result<Vec<Image>> {
        if inputs.is_empty() {
            return self.resolve(None);
        }
        let mut list = ImageList::new();
        for img in inputs {
            list.push(img.clone());
        }
        self.resolve_inputs(Some(list))
    }

    /// [`Feature::resolve`] of `inputs`, or of the stored input when `None`.
    fn resolve_inputs(&self, input: Option<ImageList>) -> Result<Vec<Image>> {
        self.check_depth()?;
        let start = starting_depth(self)?;
        // The generator is held until this returns (also on error or panic).
        let mut hold = self.0.rng.take(self.generation()).ok_or_else(|| busy(&self.label()))?;
        // A given input is kept by the root's resolve (see `resolve_inner`); without one, the kept
        // input is resolved again.
        let stored = match input {
            Some(_) => None,
            None => self.current().stored_input.clone(),
        };
        let mut rs = Resolver::new(hold.rng());
        rs.depth = start;
        let inputs = match input {
            Some(list) => list,
            None => stored.unwrap_or_else(ImageList::new),
        };
        let images = rs.resolve(self, &inputs, &[])?;
        let n = images.len();
        images.try_into_vec().map_err(|_| {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n} images"))
                .in_feature(&self.label())
        })
    }

    /// Resolves and returns the single output image, `None` when the pipeline produced none, or an
    /// error when it produced several.
    pub fn resolve_one(&self, input: Option<&Image>) -> Result<Option<Image>> {
        let mut out = self.resolve(input)?;
        match out.len() {
            0 => Ok(None),
            1 => Ok(out.pop()),
            n => Err(Error::invalid(format!("the pipeline produced {n} images where one was expected"))
                .in_feature(&self.label())),
        }
    }

    /// Sampled properties at `id`: the valid sample cached at `id` or at its longest prefix (so a value
    /// sampled outside a repeat is shared by its repetitions, as in DeepTrack2), or a new one drawn at
    /// `id`. Returns the length of the prefix it was found at, with the dict.
    fn sample(&self, id: &ReplicaId, rs: &mut Resolver<'_>) -> Result<(usize, Arc<PropertyDict>)> {
        self.sample_then(id, rs, |_, _| ()).map(|(n, dict, ())| (n, dict))
    }

    /// [`Feature::sample`], then `then(state, dict)` under the same lock as the last look at the
    /// samples (one lock instead of two on the hot path of a resolve).
    fn sample_then<T>(
        &self,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
        then: impl FnOnce(&mut State, &Arc<PropertyDict>) -> T,
    ) -> Result<(usize, Arc<PropertyDict>, T)> {
        // Hook (sequences): inside a `Sequence`, a feature with sequential properties has a sample
        // per step (src/graph/sequence.rs).
        if rs.sequence.is_some() && sequence::is_sequential(&self.defs()) {
            return self.sample_step_then(id, rs, then);
        }
        self.sample_plain_then(id, rs, then)
    }

    /// [`Feature::sample_then`] outside a sequence's steps.
    fn sample_plain_then<T>(
        &self,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
        then: impl FnOnce(&mut State, &Arc<PropertyDict>) -> T,
    ) -> Result<(usize, Arc<PropertyDict>, T)> {
        if !rs.overrides.is_empty() {
            let defs = self.defs();
            // Bound values, or links that may read a bound feature's values: a sample of their own,
            // never kept (see `Resolver::with_overrides`).
            let links = self.0.links.load(Ordering::Relaxed) > 0;
            if links || defs.iter().any(|(k, _)| rs.bound(k.as_str()).is_some()) {
                let (dict, _) = self.draw(id, rs, &defs)?;
                let done = then(&mut self.current(), &dict);
                return Ok((id.len(), dict, done));
            }
        }
        // One lock: the sample cached at the longest prefix, and the rules in case it must be drawn.
        let (cached, defs) = {
            let mut st = self.current();
            let cached = (0..=id.len()).rev().find_map(|n| st.samples.get(&id[..n]).map(|s| (n, s.clone())));
            match cached {
                // Without links, a cached sample is current: done under this lock.
                Some((n, sample)) if sample.links.is_empty() => {
                    let done = then(&mut st, &sample.dict);
                    return Ok((n, sample.dict, done));
                }
                // Rules that read nothing else are drawn here, under this lock.
                None if st.simple => {
                    let pixel = rs.optics.map_or(OpticsContext::DEFAULT.pixel, |c| c.pixel);
                    let dict =
                        Arc::new(draw_simple(&st.props, rs.rng, id, pixel).map_err(|e| e.in_feature(&self.label()))?);
                    let sample = Sample { dict: Arc::clone(&dict), links: Vec::new() };
                    let stale = st.samples.insert(id, sample).map_err(|e| e.in_feature(&self.label()))?;
                    let done = then(&mut st, &dict);
                    drop(st);
                    drop(stale);
                    return Ok((id.len(), dict, done));
                }
                cached => (cached, Arc::clone(&st.props)),
            }
        };
        if let Some((n, sample)) = cached {
            if self.links_current(&sample, 0) && Self::feature_values_current(&sample, rs)? {
                let done = then(&mut self.current(), &sample.dict);
                return Ok((n, sample.dict, done));
            }
        }
        let (dict, links) = self.draw(id, rs, &defs)?;
        let (stale, done) = {
            let mut st = self.current();
            st.linked |= !links.is_empty();
            let stale = st.samples.insert(id, Sample { dict: Arc::clone(&dict), links });
            let stale = stale.map_err(|e| e.in_feature(&self.label()))?;
            (stale, then(&mut st, &dict))
        };
        drop(stale);
        Ok((id.len(), dict, done))
    }

    /// Draws a sample at `id` of rules that may read siblings, links and feature values (which may
    /// sample and resolve other features, recursively: kept out of the callers' stack frames).
    #[inline(never)]
    fn draw(
        &self,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
        defs: &[(Text, Rule)],
    ) -> Result<(Arc<PropertyDict>, Vec<LinkUse>)> {
        if rs.sampling.iter().any(|(uid, sid)| *uid == self.0.uid && sid.as_slice() == id) {
            return Err(Error::new(
                ErrorKind::Cycle,
                "its properties are linked to each other through other features in a cycle",
            )
            .in_feature(&self.label()));
        }
        rs.enter(self)?;
        rs.sampling.push((self.0.uid, SmallVec::from_slice(id)));
        let mut session = Session {
            feature: self,
            defs,
            id,
            slots: (0..defs.len()).map(|_| OnceCell::new()).collect(),
            active: Vec::new(),
            links: Vec::new(),
            rs: &mut *rs,
            seq: None,
        };
        let result = session.run();
        let links = std::mem::take(&mut session.links);
        rs.sampling.pop();
        rs.depth -= 1;
        Ok((Arc::new(result.map_err(|e| e.in_feature(&self.label()))?), links))
    }

    /// The sample cached at `id` or at its longest prefix, if every link it read is still current.
    fn valid_sample(&self, id: &ReplicaId, depth: usize) -> Option<(usize, Arc<PropertyDict>)> {
        let (n, sample) = {
            let st = self.current();
            (0..=id.len()).rev().find_map(|n| st.samples.get(&id[..n]).map(|s| (n, s.clone())))?
        };
        self.links_current(&sample, depth).then_some((n, sample.dict))
    }

    /// Whether the outputs that the feature-valued properties of `sample` were taken from are still
    /// the outputs of their features (resolved again, which costs a cache lookup when nothing below
    /// them changed): a feature value follows the features it is computed from, across updates of
    /// those and new inputs of the pipeline, as in DeepTrack2.
    fn feature_values_current(sample: &Sample, rs: &mut Resolver<'_>) -> Result<bool> {
        for link in &sample.links {
            let Some((id, output)) = &link.output else { continue };
            rs.feature_values += 1;
            let now = rs.resolve(&link.source, &ImageList::new(), id);
            rs.feature_values -= 1;
            if !same_list(&now?, output) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether every linked sample that `sample` read is still the current one.
    fn links_current(&self, sample: &Sample, depth: usize) -> bool {
        sample.links.is_empty()
            || (depth < MAX_NESTING
                && sample.links.iter().all(|l| {
                    l.source
                        .valid_sample(&l.id, depth + 1)
                        .is_some_and(|(m, d)| m == l.id.len() && Arc::ptr_eq(&d, &l.dict))
                }))
    }
}

impl std::fmt::Debug for Feature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Feature({})", self.label())
    }
}

/// What a microscope's sample is computed at: the simulation voxel size and the scale of the optics
/// imaging it (DeepTrack2's unit context, `get_active_voxel_size()` and `get_active_scale()`).
/// A `Microscope` with built-in optics sets it while it resolves its sample; scatterers read it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpticsContext {
    /// The camera pixel in sample space, meters: `resolution / magnification` (DeepTrack2's `pixel`
    /// unit, what a quantity in pixels of a length property is converted with: [`Rule::Pixels`]).
    ///
    /// [`Rule::Pixels`]: crate::properties::Rule::Pixels
    pub pixel: f64,
    /// The simulation voxel size in meters per axis: `resolution / magnification / upscale`.
    pub voxel_size: [f64; 3],
    /// Camera pixels to simulation pixels per axis (the upscale, not always an exact integer:
    /// DeepTrack2 computes it as `pixel_size * (1 / voxel_size)`).
    pub scale: [f64; 3],
    /// What the optics hand their sample besides units (DeepTrack2 propagates the optics'
    /// properties to the scatterers that have them): `None` outside a microscope.
    pub imaging: Option<Imaging>,
}

/// The optics' properties a field scatterer (`MieSphere`) reads, in simulation pixels where they are
/// pixels (upscaled, as DeepTrack2's microscope hands them to the sample).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Imaging {
    /// The wavelength in vacuum, in meters.
    pub wavelength: f64,
    /// The numerical aperture.
    pub na: f64,
    /// The refractive index of the medium.
    pub n_medium: f64,
    /// `output_region` (row and column of the first corner, then of the second) in simulation pixels.
    pub region: [i64; 4],
    /// `padding` (rows before, columns before, rows after, columns after) in simulation pixels.
    pub padding: [i64; 4],
    /// The FFT grid the optics render the padded output region on (rows, columns).
    pub grid: [usize; 2],
}

/// One evaluation of a pipeline: its generator and the sampling stack. Structural kinds call
/// [`Resolver::resolve`] on their sub-features.
pub struct Resolver<'r> {
    rng: &'r mut Generator,
    /// The (feature, replicate index) pairs being sampled, outermost first.
    sampling: SmallVec<[(u64, SmallVec<[usize; 4]>); 8]>,
    depth: usize,
    optics: Option<OpticsContext>,
    /// The product of the factors of enclosing `Upscale` features (see [`Resolver::with_upscale`]).
    upscale: [usize; 3],
    /// Property values bound by enclosing `Bind`-like features, innermost last.
    overrides: Vec<Arc<PropertyDict>>,
    /// How many feature-valued properties are being computed (see [`Resolver::resolve`]).
    feature_values: usize,
    /// Hook (sequences): the step of the enclosing `Sequence` being resolved, with the earlier
    /// steps' samples (src/graph/sequence.rs); `None` outside sequences.
    sequence: Option<SequenceScope>,
}

impl OpticsContext {
    /// DeepTrack2's units outside a microscope (`get_active_voxel_size()` and `get_active_scale()`
    /// without a unit context): 1 µm voxels, scale 1.
    pub const DEFAULT: OpticsContext =
        OpticsContext { pixel: 1e-6, voxel_size: [1e-6; 3], scale: [1.0; 3], imaging: None };
}

impl<'r> Resolver<'r> {
    pub(crate) fn new(rng: &'r mut Generator) -> Self {
        Resolver {
            rng,
            sampling: SmallVec::new(),
            depth: 0,
            optics: None,
            upscale: [1; 3],
            overrides: Vec::new(),
            feature_values: 0,
            sequence: None,
        }
    }

    /// Runs `f` with the values of `bound` (keys other than `name`) overriding the same-named
    /// properties of every feature sampled inside (DeepTrack2's `Bind`: `feature.resolve(x,
    /// **bound)`); inner bindings win over outer ones. A feature with an overridden property, or with
    /// links to other features (which may be bound), draws a new sample (with the bound values, and
    /// its other rules drawn again) at every computation inside, which is never kept: its samples
    /// outside are unaffected.
    pub fn with_overrides<T>(&mut self, bound: Arc<PropertyDict>, f: impl FnOnce(&mut Self) -> T) -> T {
        self.overrides.push(bound);
        let result = f(self);
        self.overrides.pop();
        result
    }

    /// The value bound to property `key` by the innermost enclosing binding, if any.
    fn bound(&self, key: &str) -> Option<&Value> {
        if key == "name" {
            return None;
        }
        self.overrides.iter().rev().find_map(|d| d.get(key))
    }

    /// The optics context of the microscope whose sample is being resolved, if any.
    pub fn optics(&self) -> Option<&OpticsContext> {
        self.optics.as_ref()
    }

    /// Runs `f` with `ctx` as the optics context (restoring the previous one afterwards, also on
    /// error). Features resolved inside see it through [`Resolver::optics`]; their cached results are
    /// reused only under the same context, and they always record their property dicts, since the
    /// optics read the scatterers' properties (position, intensity, …) from their volumes.
    pub fn with_optics<T>(&mut self, ctx: OpticsContext, f: impl FnOnce(&mut Self) -> T) -> T {
        let previous = self.optics.replace(ctx);
        let result = f(self);
        self.optics = previous;
        result
    }

    /// The factors by which enclosing `Upscale` features render (per axis: rows, columns, z; `[1, 1,
    /// 1]` outside any): optics simulate at their own `upscale` times these, and pool back by their
    /// own only, so that their images come out these times larger.
    pub fn upscale(&self) -> [usize; 3] {
        self.upscale
    }

    /// Runs `f` with the upscale multiplied by `factor` (restored afterwards, also on error): DeepTrack2's
    /// `Upscale` unit context. Results computed inside are reused only under the same upscale.
    /// `InvalidArgument` when the product overflows.
    pub fn with_upscale<T>(&mut self, factor: [usize; 3], f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let mut scaled = [1; 3];
        for axis in 0..3 {
            scaled[axis] = self.upscale[axis]
                .checked_mul(factor[axis])
                .ok_or_else(|| Error::invalid("the nested upscale factors overflow"))?;
        }
        let previous = std::mem::replace(&mut self.upscale, scaled);
        let result = f(self);
        self.upscale = previous;
        result
    }

    /// The properties of `feature` sampled at replicate index `id` (the cached sample when still
    /// valid, the one its next resolve at `id` uses).
    pub fn properties(&mut self, feature: &Feature, id: &ReplicaId) -> Result<Arc<PropertyDict>> {
        feature.sample(id, self).map(|(_, dict)| dict)
    }

    /// Marks the calling thread as running user code for this resolve (a callback, a custom
    /// feature's `get`) until the result drops: resolves it starts count on from this one's depth.
    pub(crate) fn user_code(&self) -> UserCode {
        UserCode::enter(self.depth)
    }

    fn enter(&mut self, feature: &Feature) -> Result<()> {
        // A backstop: every run first checks the true depth (`check_depth`), so this only catches a
        // graph that a callback makes deeper while it runs, a path through a loop that the check
        // does not follow, or resolves nested in others' callbacks (they start at the depth of the
        // resolve that called them).
        if self.depth >= 2 * MAX_NESTING + 2 {
            return Err(Error::invalid(format!(
                "the pipeline nests features (or links properties) more than {MAX_NESTING} levels deep, \
                 counting the resolves it is nested in through callbacks"
            ))
            .in_feature(&feature.label()));
        }
        self.depth += 1;
        Ok(())
    }

    /// The evaluation's generator (for kinds that draw noise).
    pub fn rng(&mut self) -> &mut dyn RngCore {
        &mut *self.rng
    }

    /// Resolves `feature` on `inputs` at replicate index `id`, using and filling its caches. The result
    /// shares what it has in common with `inputs` (an appending feature's output is its inputs plus
    /// the new images).
    ///
    /// Inside a feature-valued property (`A - A * 2`: the value of `Subtract` is the feature `A * 2`,
    /// resolved without input), a feature given no input at top level computes on the input it kept
    /// from its last computation, as DeepTrack2's features do: `A` there is the `A` of the pipeline.
    pub fn resolve(&mut self, feature: &Feature, inputs: &ImageList, id: &ReplicaId) -> Result<ImageList> {
        self.enter(feature)?;
        let kept;
        let inputs = if self.feature_values > 0 && inputs.is_empty() && id.is_empty() {
            kept = feature.current().stored_input.clone();
            kept.as_ref().unwrap_or(inputs)
        } else {
            inputs
        };
        let result = self.resolve_inner(feature, inputs, id);
        self.depth -= 1;
        result
    }

    fn resolve_inner(&mut self, feature: &Feature, inputs: &ImageList, id: &ReplicaId) -> Result<ImageList> {
        // Under an optics context every computation records its dict: the optics need them.
        let store = feature.stores_properties() || self.optics.is_some();
        // Two functions, so that the frame of each level of a deep pipeline holds one kind's locals.
        if feature.kind().is_structural() {
            self.resolve_structural(feature, inputs, id, store)
        } else {
            self.resolve_leaf(feature, inputs, id, store)
        }
    }

    /// [`Resolver::resolve`] of a structural feature: its output is reused when its children's
    /// results are unchanged.
    #[inline(never)]
    fn resolve_structural(
        &mut self,
        feature: &Feature,
        inputs: &ImageList,
        id: &ReplicaId,
        store: bool,
    ) -> Result<ImageList> {
        let kind = feature.kind();
        let (optics, upscale) = (self.optics, self.upscale);
        let in_feature = |e: Error| e.in_feature(&feature.label());
        let (_, sample, _) = feature.sample_then(id, self, |st, _| keep_input(st, inputs, id))?;
        let inner = kind.process_list(inputs, &sample, id, self).map_err(in_feature)?;
        if let Some(c) = feature.current().outputs.get(id) {
            if c.optics == optics
                && c.upscale == upscale
                && Arc::ptr_eq(&c.sample, &sample)
                && matches!(&c.basis, Basis::Inner(list) if same_list(list, &inner))
            {
                return Ok(c.output.clone());
            }
        }
        let output = if store { tag_all(&inner, computation_dict(&sample, id)) } else { strip_all(&inner) };
        let output = output.map_err(in_feature)?;
        let cached = Cached { optics, upscale, basis: Basis::Inner(inner), sample, output: output.clone() };
        // The entry it replaces holds images and dicts only: dropped in place (see `Feature::current`).
        feature.current().outputs.set(id, cached).map_err(in_feature)?;
        Ok(output)
    }

    /// [`Resolver::resolve`] of a feature that computes its output itself.
    #[inline(never)]
    fn resolve_leaf(
        &mut self,
        feature: &Feature,
        inputs: &ImageList,
        id: &ReplicaId,
        store: bool,
    ) -> Result<ImageList> {
        let kind = feature.kind();
        let (optics, upscale) = (self.optics, self.upscale);
        let in_feature = |e: Error| e.in_feature(&feature.label());
        let (_, sample, (kept, hit)) = feature.sample_then(id, self, |st, sample| {
            let kept = keep_input(st, inputs, id);
            let hit = st.outputs.get(id).filter(|c| {
                let same_inputs = match (&c.basis, kept) {
                    (Basis::Kept(version), Some(now)) => *version == now,
                    (Basis::Given(list), None) => same_list(list, inputs),
                    _ => false,
                };
                same_inputs && c.optics == optics && c.upscale == upscale && Arc::ptr_eq(&c.sample, sample)
            });
            (kept, hit.map(|c| c.output.clone()))
        })?;
        if let Some(output) = hit {
            return Ok(output);
        }
        // A computation that records nothing at top level computes from the sample itself.
        let recorded = (store || !id.is_empty()).then(|| computation_dict(&sample, id));
        let dict = recorded.as_ref().unwrap_or(&sample);
        // An appending kind computes its new images from its properties alone: its inputs are only
        // carried along, never laid out in one slice (which would cost their number every time).
        let appends = kind.appends_to_inputs();
        let flat = if appends { Ok(Cow::Borrowed(&[][..])) } else { flatten(inputs) };
        let flat = flat.map_err(in_feature)?;
        let out = kind.process(&flat, dict, id, self).map_err(in_feature)?;
        let out = match recorded {
            Some(dict) if store => finish_with(out, &flat, kind.is_distributed(), dict).map_err(in_feature)?,
            _ => strip(out),
        };
        let output = if appends {
            let mut all = inputs.clone();
            all.append_vec(out);
            all
        } else {
            ImageList::from(out)
        };
        let cached = Cached {
            optics,
            upscale,
            basis: match kept {
                Some(version) => Basis::Kept(version),
                None => Basis::Given(inputs.clone()),
            },
            sample,
            output: output.clone(),
        };
        // The entry it replaces holds images and dicts only: dropped in place (see `Feature::current`).
        feature.current().outputs.set(id, cached).map_err(in_feature)?;
        Ok(output)
    }
}

/// Like DeepTrack2, every feature keeps the input it was last resolved on at top level, so that
/// resolving a part of a pipeline on its own (without input) finds the pipeline's cached result.
/// Returns the kept input's version when `inputs` are the kept input.
fn keep_input(st: &mut State, inputs: &ImageList, id: &ReplicaId) -> Option<u64> {
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
fn computation_dict(sample: &PropertyDict, id: &ReplicaId) -> Arc<PropertyDict> {
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

/// `dict` appended to every image of `list` (a structural feature's result with its own dict).
fn tag_all(list: &ImageList, dict: Arc<PropertyDict>) -> Result<ImageList> {
    let mut out = list_of(list.len())?;
    // Created for this computation: no image has it yet.
    let known_new = Arc::strong_count(&dict) == 1;
    for image in list {
        let mut image = image.clone();
        image.append_new(Arc::clone(&dict), known_new);
        out.push(image);
    }
    Ok(ImageList::from(out))
}

/// The images of `list` without properties (`list` itself when none has any).
fn strip_all(list: &ImageList) -> Result<ImageList> {
    if list.iter().all(|image| image.properties().is_empty()) {
        return Ok(list.clone());
    }
    let mut out = list_of(list.len())?;
    out.extend(list.iter().cloned());
    Ok(ImageList::from(strip(out)))
}

/// `out` without properties.
fn strip(mut out: Vec<Image>) -> Vec<Image> {
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
/// kinds), then this computation's dict.
fn finish_with(
    mut out: Vec<Image>,
    inputs: &[Image],
    distributed: bool,
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
        o.append_new(Arc::clone(&dict), known_new);
    }
    Ok(out)
}

/// Draws a sample of rules that read nothing else (see `State::simple`), in order.
fn draw_simple(props: &[(Text, Rule)], rng: &mut Generator, id: &ReplicaId, pixel: f64) -> Result<PropertyDict> {
    let mut ctx = Draw { rng, id, pixel };
    let mut dict = PropertyDict::with_capacity(props.len());
    for (key, rule) in props {
        let value = rule.sample_simple(&mut ctx).map_err(|e| e.in_property(key.as_str()))?;
        dict.push_unchecked(key.clone(), value);
    }
    Ok(dict)
}

/// The context of [`draw_simple`]: a generator, the replicate index and the pixel size, no siblings.
struct Draw<'a> {
    rng: &'a mut Generator,
    id: &'a ReplicaId,
    pixel: f64,
}

impl SampleContext for Draw<'_> {
    fn get(&mut self, name: &str) -> Result<&Value> {
        Err(Error::invalid(format!("property '{name}' read by a rule that reads nothing")))
    }

    fn rng(&mut self) -> &mut dyn RngCore {
        &mut *self.rng
    }

    fn replicate_index(&self) -> &[usize] {
        self.id
    }

    fn pixel_size(&self) -> f64 {
        self.pixel
    }
}

/// Samples one feature's properties at one replicate index, resolving sibling dependencies on demand.
struct Session<'a, 'r> {
    feature: &'a Feature,
    defs: &'a [(Text, Rule)],
    id: &'a ReplicaId,
    slots: Vec<OnceCell<Value>>,
    /// The callbacks being evaluated (the only rules that read siblings), outermost first.
    active: Vec<usize>,
    /// The linked samples read, to tell later whether this sample is still current.
    links: Vec<LinkUse>,
    rs: &'a mut Resolver<'r>,
    /// Hook (sequences): the step being drawn and the feature's earlier steps, when drawn by a
    /// `Sequence` (src/graph/sequence.rs); `None` otherwise.
    seq: Option<sequence::Frame>,
}

impl Session<'_, '_> {
    fn run(&mut self) -> Result<PropertyDict> {
        for i in 0..self.defs.len() {
            self.eval(i)?;
        }
        let mut dict = PropertyDict::with_capacity(self.defs.len());
        for ((key, _), slot) in self.defs.iter().zip(&mut self.slots) {
            dict.push_unchecked(key.clone(), slot.take().expect("every slot evaluated"));
        }
        Ok(dict)
    }

    fn eval(&mut self, i: usize) -> Result<()> {
        if self.slots[i].get().is_some() {
            return Ok(());
        }
        let defs = self.defs;
        if let Some(pos) = self.active.iter().position(|&a| a == i) {
            let chain: Vec<String> =
                self.active[pos..].iter().chain([&i]).map(|&a| format!("'{}'", defs[a].0.as_str())).collect();
            return Err(Error::new(
                ErrorKind::Cycle,
                format!("properties {} depend on each other in a cycle", chain.join(" -> ")),
            )
            .in_feature(&self.feature.label()));
        }
        let (key, rule) = &defs[i];
        if let Some(value) = self.rs.bound(key.as_str()) {
            let _ = self.slots[i].set(value.clone());
            return Ok(());
        }
        // Hook (sequences): a sequential property samples the rule of the step being drawn.
        let rule = match rule {
            Rule::Sequential(s) => s.at(self.seq.as_ref().map_or(0, |frame| frame.step)),
            other => other,
        };
        let result = match rule {
            Rule::PropertyOf { feature, key: source_key } => self.link(feature, source_key),
            Rule::FeatureOutput(feature) => self.feature_output(feature),
            Rule::Callback(_) => {
                self.active.push(i);
                let user = self.rs.user_code();
                let value = rule.sample_simple(self);
                drop(user);
                self.active.pop();
                value
            }
            _ => rule.sample_simple(self),
        };
        let value = result.map_err(|e| e.in_property(key.as_str()))?;
        let _ = self.slots[i].set(value);
        Ok(())
    }

    fn link(&mut self, source: &Feature, key: &Text) -> Result<Value> {
        let (n, dict) = source.sample(self.id, self.rs)?;
        self.links.push(LinkUse {
            source: source.clone(),
            id: self.id[..n].to_vec(),
            dict: Arc::clone(&dict),
            output: None,
        });
        dict.get(key.as_str())
            .cloned()
            .ok_or_else(|| Error::not_found(format!("no property '{}'", key.as_str())).in_feature(&source.label()))
    }
}

impl Session<'_, '_> {
    /// The output of `source` resolved without input at this replicate index, as a value.
    fn feature_output(&mut self, source: &Feature) -> Result<Value> {
        let (n, dict) = source.sample(self.id, self.rs)?;
        let at = self.links.len();
        self.links.push(LinkUse { source: source.clone(), id: self.id[..n].to_vec(), dict, output: None });
        self.rs.feature_values += 1;
        let images = self.rs.resolve(source, &ImageList::new(), self.id);
        self.rs.feature_values -= 1;
        let images = images?;
        self.links[at].output = Some((self.id.to_vec(), images.clone()));
        Ok(match (images.len(), images.first()) {
            (0, _) | (_, None) => Value::None,
            (1, Some(image)) => Value::Array(image.to_shared_array()?),
            (n, _) => {
                let mut values = Vec::new();
                values
                    .try_reserve_exact(n)
                    .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n} arrays")))?;
                for img in images.iter() {
                    values.push(Value::Array(img.to_shared_array()?));
                }
                Value::List(values)
            }
        })
    }
}

impl SampleContext for Session<'_, '_> {
    fn get(&mut self, name: &str) -> Result<&Value> {
        let Some(i) = self.defs.iter().position(|(k, _)| k.as_str() == name) else {
            // Hook (sequences): `sequence_step`, `previous_value`, … of a step being drawn.
            if self.seq.is_some() {
                return self.sequence_value(name);
            }
            return Err(
                Error::not_found(format!("no property '{name}' to depend on")).in_feature(&self.feature.label())
            );
        };
        self.eval(i)?;
        Ok(self.slots[i].get().expect("just evaluated"))
    }

    fn rng(&mut self) -> &mut dyn RngCore {
        &mut *self.rs.rng
    }

    fn replicate_index(&self) -> &[usize] {
        self.id
    }

    fn pixel_size(&self) -> f64 {
        self.rs.optics.map_or(OpticsContext::DEFAULT.pixel, |c| c.pixel)
    }
}
