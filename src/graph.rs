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
//!
//! This file holds the nodes and the walks over the graph (`update`, `seed`, `store_properties`);
//! each other job has a file: `rules.rs` (setting, pinning and reading properties), `sampling.rs`
//! (drawing and caching samples), `cache.rs` (what a feature keeps per replicate index and the
//! dicts a computation records), `resolve.rs` (the `Resolver`: computing or finding each result),
//! `scope.rs` (the resolve scope structural kinds set), `nesting.rs` (depth bounds), `batch.rs`
//! (copies resolved in parallel) and `resample.rs` (one property drawn again).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use crate::rng::{RngSlot, mix};
use rand::Rng;
use smallvec::SmallVec;

use crate::error::{Error, ErrorKind, Result};
use crate::features::FeatureKind;
use crate::features::registry::KindSpec;
use crate::image::ImageList;
use crate::properties::Rule;
use crate::sync::{self, Lock, LockGuard, Recover, overwrite};
use crate::value::{Text, Value};

mod arguments;
mod batch;
mod cache;
mod nesting;
mod resample;
mod resolve;
mod rules;
mod sampling;
mod scope;
// Hook (sequences): sequential properties and the steps of a `Sequence` (src/graph/sequence.rs).
mod sequence;
pub use sequence::{MAX_SEQUENCE_LENGTH, SequenceScope};

pub use batch::{Progress, batch_item_seed};
use cache::{ByReplica, Cached};
use nesting::too_deep;
pub use nesting::{MAX_CALLBACK_NESTING, MAX_NESTING};
pub use resolve::Resolver;
use rules::{all_simple, count_links};
use sampling::{Sample, Session};
pub use scope::{Scope, ScopeValue};

/// A replicate index (`_ID`): empty at top level, one entry per enclosing repeat.
pub type ReplicaId = [usize];

static NEXT_UID: AtomicU64 = AtomicU64::new(1);

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
    /// The feature bound by [`Feature::bind_arguments`]: its dict goes before this feature's own in
    /// every computation that records one (src/graph/arguments.rs).
    arguments: Option<Feature>,
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
                arguments: None,
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

    /// Whether this feature holds a current result at top level (DeepTrack2's `feature.is_valid()`):
    /// true after a resolve, false after an update or a change of its properties (a new rule, or a
    /// [`Feature::set_value`] that changes a value).
    pub fn is_valid(&self) -> bool {
        self.current().outputs.get(&[]).is_some()
    }

    /// Turns storing of properties on or off for this feature, every feature it contains and every
    /// feature whose output is the value of one of their properties (DeepTrack2's
    /// `store_properties(recursive=True)` reaches those too, as dependencies: the images of
    /// `Stack(value=feature)` keep their dicts). With it on the outermost feature, results carry one
    /// dict per computation; without it, none. Cached results are dropped (sampled values are kept),
    /// so the next resolve reflects the new setting.
    pub fn store_properties(&self, enable: bool) {
        self.visit_by(Follow::FeatureValues, &mut |f| {
            f.0.store.store(enable, Ordering::Relaxed);
            let stale = f.current().outputs.take();
            drop(stale);
        });
    }

    /// Turns storing of properties on or off for this feature only (DeepTrack2's
    /// `store_properties(toggle, recursive=False)`): its own computations tag their outputs with their
    /// dicts (carrying their inputs' dicts on) or, off, give images without dicts, whatever the
    /// features it contains do. So only the outermost feature's setting decides whether a result
    /// carries dicts, and a result carries the dicts of the features that store from it inwards up to
    /// the first that does not (as DeepTrack2, whose features without it return bare arrays). Its
    /// cached results are dropped, so the next resolve reflects the new setting.
    pub fn store_own_properties(&self, enable: bool) {
        self.0.store.store(enable, Ordering::Relaxed);
        let stale = self.current().outputs.take();
        drop(stale);
    }

    /// Calls `f` on this feature and, once each, every feature it contains and every feature whose
    /// output is the value of one of their properties (what [`Feature::store_properties`] reaches):
    /// the features whose images can end up in this one's result (`a & b` is `Chain(a,
    /// Stack(value=b))`, whose `b` is a property's value, not a contained feature).
    pub(crate) fn visit_image_sources(&self, f: &mut dyn FnMut(&Feature)) {
        self.visit_by(Follow::FeatureValues, f);
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
        self.visit_by(if links { Follow::Links } else { Follow::Children }, f);
    }

    /// [`Feature::visit`], following the contained features and the sources that `follow` names.
    fn visit_by(&self, follow: Follow, f: &mut dyn FnMut(&Feature)) {
        let links = follow != Follow::Children;
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
                if follow == Follow::Links {
                    node.push_links(&mut stack);
                } else {
                    let (defs, pins) = node.rules_and_pins();
                    for (_, rule) in defs.iter().chain(pins.iter()) {
                        rule.for_each_source(&mut |source, output| {
                            if output {
                                stack.push(source.clone());
                            }
                        });
                    }
                }
            }
        }
    }

    /// The features this one reaches directly: the ones it contains, then its properties' link and
    /// feature-value sources, then its bound arguments (sampled while it computes).
    fn edges(&self) -> Vec<Feature> {
        let mut out = self.0.kind.children();
        self.push_links(&mut out);
        out.extend(self.arguments());
        out
    }

    /// Appends the sources of this feature's links and feature-valued properties, those of the rules
    /// that values set with [`Feature::set_value`] stand in for included (they are still the
    /// pipeline's: an update reaches them, and puts the rules back).
    fn push_links(&self, out: &mut impl Extend<Feature>) {
        let (defs, pins) = self.rules_and_pins();
        for (_, rule) in defs.iter().chain(pins.iter()) {
            rule.for_each_source(&mut |feature, _| out.extend([feature.clone()]));
        }
    }

    /// The properties' rules, and the rules that pinned values stand in for (usually none).
    fn rules_and_pins(&self) -> (Arc<Vec<Property>>, Vec<Property>) {
        let st = self.current();
        (Arc::clone(&st.props), st.pins.clone())
    }
}

/// A property's name and rule.
type Property = (Text, Rule);

/// What [`Feature::visit_by`] follows besides the contained features.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Follow {
    /// Nothing else.
    Children,
    /// The sources of links and of feature-valued properties.
    Links,
    /// The sources of feature-valued properties only.
    FeatureValues,
}

impl std::fmt::Debug for Feature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Feature({})", self.label())
    }
}
