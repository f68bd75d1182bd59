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

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, ErrorKind, Result};
use crate::features::FeatureKind;
use crate::image::{Image, same_list};
use crate::properties::{PropertyDict, Rule, SampleContext};
use crate::value::{Text, Value};

/// A replicate index (`_ID`): empty at top level, one entry per enclosing repeat.
pub type ReplicaId = [usize];

static NEXT_UID: AtomicU64 = AtomicU64::new(1);

/// Bumped whenever a property rule is set anywhere (links and feature-valued properties are the only
/// edges added after construction): a node's kept depth bound can only go stale then, so a run
/// re-checks the true depth only when this moved since its last check.
static LINK_EPOCH: AtomicU64 = AtomicU64::new(1);

/// How deeply features may nest (chains of chains, links to links, features as property values) when
/// resolving. Deeper pipelines are reported as an error instead of overflowing the stack of the
/// calling thread; 128 levels stay inside a 1 MiB thread stack even in debug builds (about 5 KiB per
/// feature being resolved or sampled; features as property values alternating with containment nest
/// up to 1.5 of those a level, about 0.9 MiB in all).
pub const MAX_NESTING: usize = 128;

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
    label: RwLock<Arc<str>>,
    props: RwLock<Arc<Vec<(Text, Rule)>>>,
    store: AtomicBool,
    state: Mutex<State>,
}

struct State {
    /// Sampled property values per replicate index (without `_ID`).
    samples: HashMap<Vec<usize>, Sample>,
    /// Cached outputs per replicate index.
    outputs: HashMap<Vec<usize>, Cached>,
    /// The last input given to `resolve` on this feature since the last update.
    stored_input: Option<Image>,
    seed: u64,
    epoch: u64,
    /// `None` while this feature is the root of a running resolve.
    rng: Option<ChaCha8Rng>,
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
}

struct Cached {
    /// The optics context the result was computed under (scatterers depend on it).
    optics: Option<OpticsContext>,
    inputs: Vec<Image>,
    sample: Arc<PropertyDict>,
    inner: Vec<Image>,
    output: Vec<Image>,
}

/// The seed of item `index` of the batch stream `seed` (see [`Feature::resolve_batch`]).
pub fn batch_item_seed(seed: u64, index: u64) -> u64 {
    mix(seed ^ 0x6261_7463_685F_6974, index) // "batch_it"
}

/// SplitMix64: derives the seeds of a seeded pipeline's contained features.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn stream_rng(seed: u64, epoch: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch);
    rng
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
    /// A feature of `kind`, with the kind's default properties followed by `name`. Errors when the
    /// kind's sub-features nest more than [`MAX_NESTING`] levels deep.
    pub fn new(kind: Box<dyn FeatureKind>) -> Result<Feature> {
        let depth = 1 + kind.children().iter().map(Feature::depth).max().unwrap_or(0);
        let name = kind.name().to_owned();
        if depth > MAX_NESTING {
            return Err(too_deep(&name));
        }
        let mut props: Vec<(Text, Rule)> = kind.defaults().into_iter().map(|(k, r)| (Text::new(k), r)).collect();
        props.push((Text::new("name"), Rule::Constant(Value::str(&name))));
        let seed = rand::rng().random::<u64>();
        Ok(Feature(Arc::new(Node {
            uid: NEXT_UID.fetch_add(1, Ordering::Relaxed),
            depth: AtomicUsize::new(depth),
            depth_checked: AtomicU64::new(0),
            kind,
            label: RwLock::new(Arc::from(name.as_str())),
            props: RwLock::new(Arc::new(props)),
            store: AtomicBool::new(false),
            state: Mutex::new(State {
                samples: HashMap::new(),
                outputs: HashMap::new(),
                stored_input: None,
                seed,
                epoch: 0,
                rng: Some(stream_rng(seed, 0)),
            }),
        })))
    }

    fn depth(&self) -> usize {
        self.0.depth.load(Ordering::Relaxed)
    }

    /// The feature's name, for messages: its `name` property when that is a constant string.
    pub fn label(&self) -> Arc<str> {
        Arc::clone(&self.0.label.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The kind of this feature.
    pub fn kind(&self) -> &dyn FeatureKind {
        self.0.kind.as_ref()
    }

    /// Whether two handles are the same feature.
    pub fn ptr_eq(&self, other: &Feature) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn defs(&self) -> Arc<Vec<(Text, Rule)>> {
        Arc::clone(&self.0.props.read().unwrap_or_else(|e| e.into_inner()))
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
        if let Rule::Constant(v) = &rule {
            self.0.kind.check_property(key, v).map_err(|e| e.in_property(key).in_feature(&self.label()))?;
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
                *self.0.label.write().unwrap_or_else(|e| e.into_inner()) = Arc::from(s.as_str());
            }
        }
        // The replaced rule (and the previous property list, if shared) is dropped after the lock is
        // released: dropping may run user destructors (free_userdata), which may call back in.
        let replaced = {
            let mut guard = self.0.props.write().unwrap_or_else(|e| e.into_inner());
            let previous = Arc::clone(&guard);
            let props = Arc::make_mut(&mut guard);
            let old = match props.iter_mut().find(|(k, _)| k.as_str() == key) {
                Some(slot) => Some(std::mem::replace(&mut slot.1, rule)),
                None => {
                    let at = props.iter().position(|(k, _)| k.as_str() == "name").unwrap_or(props.len());
                    props.insert(at, (Text::new(key), rule));
                    None
                }
            };
            (old, previous)
        };
        // After the new rule is in place: a run that checks the depth from now on sees it.
        LINK_EPOCH.fetch_add(1, Ordering::Relaxed);
        let (samples, outputs) = {
            let mut st = self.state();
            (std::mem::take(&mut st.samples), std::mem::take(&mut st.outputs))
        };
        drop((replaced, samples, outputs));
        Ok(())
    }

    /// Accounts for a link from this feature to `source`: errors when it would nest too deeply, or
    /// when `source` already depends on this feature (the two would keep each other alive forever and
    /// their values would depend on each other: DeepTrack2 2.0.1 hangs on such loops).
    fn link_depth(&self, source: &Feature, key: &str) -> Result<()> {
        let mut loops = false;
        source.visit(&mut HashSet::new(), true, &mut |f| loops |= f.ptr_eq(self));
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
        let mut guard = RngGuard::take(self)?;
        self.check_depth()?;
        let mut rs = Resolver::new(guard.rng());
        let (_, dict) = self.sample(&[], &mut rs)?;
        dict.get(key).cloned().ok_or_else(|| Error::not_found(format!("no property '{key}'")).in_feature(&self.label()))
    }

    /// Turns storing of properties on or off for this feature and every feature it contains. With it
    /// on the outermost feature, results carry one dict per computation; without it, none. Cached
    /// results are dropped (sampled values are kept), so the next resolve reflects the new setting.
    pub fn store_properties(&self, enable: bool) {
        self.visit(&mut HashSet::new(), false, &mut |f| {
            f.0.store.store(enable, Ordering::Relaxed);
            f.state().outputs.clear();
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

    /// Drops the cached samples and outputs of this feature, the features it contains and the features
    /// its properties link to, and forgets the stored input; the next resolve samples afresh (from the
    /// next stream of this feature's seed).
    pub fn update(&self) -> Result<()> {
        self.reset(None)
    }

    fn reset(&self, seed: Option<u64>) -> Result<()> {
        if self.state().rng.is_none() {
            return Err(busy(&self.label()));
        }
        // Every feature reached gets a new stream: the next one of its seed on update, or, on seed, a
        // seed derived from the root's and its place in the graph (so that sampling a contained
        // feature on its own is reproducible too).
        let mut index = 0;
        let mut dropped = Vec::new();
        self.visit(&mut HashSet::new(), true, &mut |f| {
            let mut st = f.state();
            match seed {
                Some(s) => {
                    st.seed = if index == 0 { s } else { mix(s, index) };
                    st.epoch = 0;
                }
                None => st.epoch += 1,
            }
            index += 1;
            if st.rng.is_some() {
                st.rng = Some(stream_rng(st.seed, st.epoch));
            }
            dropped.push((std::mem::take(&mut st.samples), std::mem::take(&mut st.outputs), st.stored_input.take()));
        });
        drop(dropped);
        Ok(())
    }

    /// Calls `f` on this feature and, once each, every contained feature (and linked sources if
    /// `links`). Iterative, so that no nesting depth can overflow the stack.
    fn visit(&self, seen: &mut HashSet<u64>, links: bool, f: &mut dyn FnMut(&Feature)) {
        let mut stack = vec![self.clone()];
        while let Some(node) = stack.pop() {
            if !seen.insert(node.0.uid) {
                continue;
            }
            f(&node);
            stack.extend(if links { node.edges() } else { node.0.kind.children() });
        }
    }

    /// The features this one reaches directly: the ones it contains, then its properties' link and
    /// feature-value sources.
    fn edges(&self) -> Vec<Feature> {
        let mut out = self.0.kind.children();
        for (_, rule) in self.defs().iter() {
            if let Rule::PropertyOf { feature, .. } | Rule::FeatureOutput(feature) = rule {
                out.push(feature.clone());
            }
        }
        out
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
        let props: Vec<(Text, Rule)> = self
            .defs()
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
        let (seed, epoch) = {
            let st = self.state();
            (st.seed, st.epoch)
        };
        let copy = Feature(Arc::new(Node {
            uid: NEXT_UID.fetch_add(1, Ordering::Relaxed),
            depth: AtomicUsize::new(self.depth()),
            depth_checked: AtomicU64::new(0),
            kind,
            label: RwLock::new(self.label()),
            props: RwLock::new(Arc::new(props)),
            store: AtomicBool::new(self.stores_properties()),
            state: Mutex::new(State {
                samples: HashMap::new(),
                outputs: HashMap::new(),
                stored_input: None,
                seed,
                epoch,
                rng: Some(stream_rng(seed, epoch)),
            }),
        }));
        copies.insert(self.0.uid, copy.clone());
        copy
    }

    /// Resolves `count` independent samples of this pipeline on `input`: items `first .. first +
    /// count` of the stream `seed`. Item `i` is the image a fresh copy of the pipeline, seeded with
    /// [`batch_item_seed`]`(seed, i)`, resolves to: a pure function of (pipeline, seed, i), the same
    /// whatever the thread count or the way a dataset is split into batches. Runs on `threads` worker
    /// threads (0: as many as the machine has cores); each resolves its own copy. The pipeline itself
    /// is not touched. Every item must produce exactly one image; the error of the lowest failing
    /// item is returned.
    pub fn resolve_batch(
        &self,
        input: Option<&Image>,
        seed: u64,
        first: u64,
        count: usize,
        threads: usize,
    ) -> Result<Vec<Image>> {
        self.check_depth()?;
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .min(count.max(1));
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<Image>>>> = Mutex::new((0..count).map(|_| None).collect());
        let work = || {
            let copy = self.duplicate();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= count {
                    break;
                }
                let item = first.wrapping_add(k as u64);
                let result =
                    copy.seed(batch_item_seed(seed, item)).and_then(|()| copy.resolve_one(input)).and_then(|image| {
                        image.ok_or_else(|| {
                            Error::invalid(format!("batch item {item} produced no image")).in_feature(&self.label())
                        })
                    });
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
            std::thread::scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(work);
                }
            });
        }
        let mut images = Vec::with_capacity(count);
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
        let mut guard = RngGuard::take(self)?;
        self.check_depth()?;
        let inputs: Vec<Image> = {
            let mut st = self.state();
            if let Some(img) = input {
                let same = st.stored_input.as_ref().is_some_and(|s| s.same(img));
                if !same {
                    st.stored_input = Some(img.clone());
                }
            }
            st.stored_input.iter().cloned().collect()
        };
        let mut rs = Resolver::new(guard.rng());
        rs.resolve(self, inputs, &[])
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
        if let Some(found) = self.valid_sample(id, 0) {
            return Ok(found);
        }
        let label = self.label();
        if rs.sampling.iter().any(|(uid, sid)| *uid == self.0.uid && sid.as_slice() == id) {
            return Err(Error::new(
                ErrorKind::Cycle,
                "its properties are linked to each other through other features in a cycle",
            )
            .in_feature(&label));
        }
        rs.enter(&label)?;
        rs.sampling.push((self.0.uid, id.to_vec()));
        let defs = self.defs();
        let mut session = Session {
            label: &label,
            defs: &defs,
            id,
            slots: (0..defs.len()).map(|_| OnceCell::new()).collect(),
            active: Vec::new(),
            links: Vec::new(),
            rs: &mut *rs,
        };
        let result = session.run();
        let links = std::mem::take(&mut session.links);
        rs.sampling.pop();
        rs.depth -= 1;
        let dict = Arc::new(result.map_err(|e| e.in_feature(&label))?);
        let stale = self.state().samples.insert(id.to_vec(), Sample { dict: Arc::clone(&dict), links });
        drop(stale);
        Ok((id.len(), dict))
    }

    /// The sample cached at `id` or at its longest prefix, if every link it read is still current.
    fn valid_sample(&self, id: &ReplicaId, depth: usize) -> Option<(usize, Arc<PropertyDict>)> {
        let (n, sample) = {
            let st = self.state();
            (0..=id.len()).rev().find_map(|n| st.samples.get(&id[..n]).map(|s| (n, s.clone())))?
        };
        let current = depth < MAX_NESTING
            && sample.links.iter().all(|l| {
                l.source
                    .valid_sample(&l.id, depth + 1)
                    .is_some_and(|(m, d)| m == l.id.len() && Arc::ptr_eq(&d, &l.dict))
            });
        current.then_some((n, sample.dict))
    }
}

impl std::fmt::Debug for Feature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Feature({})", self.label())
    }
}

/// Holds a root feature's generator while it resolves; puts it back on drop (panics included).
struct RngGuard<'a> {
    feature: &'a Feature,
    rng: Option<ChaCha8Rng>,
}

impl<'a> RngGuard<'a> {
    fn take(feature: &'a Feature) -> Result<Self> {
        let rng = feature.state().rng.take().ok_or_else(|| busy(&feature.label()))?;
        Ok(RngGuard { feature, rng: Some(rng) })
    }

    fn rng(&mut self) -> &mut ChaCha8Rng {
        self.rng.as_mut().expect("held until drop")
    }
}

impl Drop for RngGuard<'_> {
    fn drop(&mut self) {
        let mut st = self.feature.state();
        if st.rng.is_none() {
            st.rng = self.rng.take();
        }
    }
}

/// What a microscope's sample is computed at: the simulation voxel size and the scale of the optics
/// imaging it (DeepTrack2's unit context, `get_active_voxel_size()` and `get_active_scale()`).
/// A `Microscope` with built-in optics sets it while it resolves its sample; scatterers read it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpticsContext {
    /// The simulation voxel size in meters per axis: `resolution / magnification / upscale`.
    pub voxel_size: [f64; 3],
    /// Camera pixels to simulation pixels per axis (the upscale, not always an exact integer:
    /// DeepTrack2 computes it as `pixel_size * (1 / voxel_size)`).
    pub scale: [f64; 3],
}

/// One evaluation of a pipeline: its generator and the sampling stack. Structural kinds call
/// [`Resolver::resolve`] on their sub-features.
pub struct Resolver<'r> {
    rng: &'r mut ChaCha8Rng,
    sampling: Vec<(u64, Vec<usize>)>,
    depth: usize,
    optics: Option<OpticsContext>,
}

impl<'r> Resolver<'r> {
    pub(crate) fn new(rng: &'r mut ChaCha8Rng) -> Self {
        Resolver { rng, sampling: Vec::new(), depth: 0, optics: None }
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

    /// The properties of `feature` sampled at replicate index `id` (the cached sample when still
    /// valid, the one its next resolve at `id` uses).
    pub fn properties(&mut self, feature: &Feature, id: &ReplicaId) -> Result<Arc<PropertyDict>> {
        feature.sample(id, self).map(|(_, dict)| dict)
    }

    fn enter(&mut self, label: &str) -> Result<()> {
        // A backstop: every run first checks the true depth (`check_depth`), so this only catches a
        // graph that a callback makes deeper while it runs, or a path through a loop that the check
        // does not follow.
        if self.depth >= 2 * MAX_NESTING + 2 {
            return Err(Error::invalid(format!(
                "the pipeline nests features (or links properties) more than {MAX_NESTING} levels deep"
            ))
            .in_feature(label));
        }
        self.depth += 1;
        Ok(())
    }

    /// The evaluation's generator (for kinds that draw noise).
    pub fn rng(&mut self) -> &mut dyn RngCore {
        &mut *self.rng
    }

    /// Resolves `feature` on `inputs` at replicate index `id`, using and filling its caches.
    pub fn resolve(&mut self, feature: &Feature, inputs: Vec<Image>, id: &ReplicaId) -> Result<Vec<Image>> {
        self.enter(&feature.label())?;
        let result = self.resolve_inner(feature, inputs, id);
        self.depth -= 1;
        result
    }

    fn resolve_inner(&mut self, feature: &Feature, inputs: Vec<Image>, id: &ReplicaId) -> Result<Vec<Image>> {
        let label = feature.label();
        let in_feature = |e: Error| e.in_feature(&label);
        let (_, sample) = feature.sample(id, self)?;
        if id.is_empty() && !inputs.is_empty() {
            // Like DeepTrack2, every feature keeps the input it was last resolved on, so that resolving
            // a part of a pipeline on its own (without input) finds the pipeline's cached result.
            let mut st = feature.state();
            if inputs.len() == 1 && !st.stored_input.as_ref().is_some_and(|s| s.same(&inputs[0])) {
                st.stored_input = Some(inputs[0].clone());
            }
        }
        let kind = feature.kind();
        // Under an optics context every computation records its dict: the optics need them.
        let store = feature.stores_properties() || self.optics.is_some();
        if kind.is_structural() {
            let inner = kind.process(&inputs, &sample, id, self).map_err(in_feature)?;
            if let Some(c) = feature.state().outputs.get(id) {
                if c.optics == self.optics && Arc::ptr_eq(&c.sample, &sample) && same_list(&c.inner, &inner) {
                    return Ok(c.output.clone());
                }
            }
            let output = finish(store, kind.is_distributed(), inner.clone(), &[], &sample, id);
            let cached = Cached { optics: self.optics, inputs: Vec::new(), sample, inner, output: output.clone() };
            feature.state().outputs.insert(id.to_vec(), cached);
            Ok(output)
        } else {
            if let Some(c) = feature.state().outputs.get(id) {
                if c.optics == self.optics && Arc::ptr_eq(&c.sample, &sample) && same_list(&c.inputs, &inputs) {
                    return Ok(c.output.clone());
                }
            }
            let dict = computation_dict(&sample, id);
            let out = kind.process(&inputs, &dict, id, self).map_err(in_feature)?;
            let mut output = if store { finish_with(out, &inputs, kind.is_distributed(), dict) } else { strip(out) };
            if kind.appends_to_inputs() {
                output.splice(0..0, inputs.iter().cloned());
            }
            let cached = Cached { optics: self.optics, inputs, sample, inner: Vec::new(), output: output.clone() };
            feature.state().outputs.insert(id.to_vec(), cached);
            Ok(output)
        }
    }
}

/// The dict one computation records: the sampled values plus `_ID` when inside a repeat.
fn computation_dict(sample: &PropertyDict, id: &ReplicaId) -> Arc<PropertyDict> {
    let mut dict = sample.clone();
    if !id.is_empty() {
        dict.push_unchecked(Text::new("_ID"), Value::List(id.iter().map(|&n| Value::Int(n as i64)).collect()));
    }
    Arc::new(dict)
}

fn finish(
    store: bool,
    distributed: bool,
    out: Vec<Image>,
    inputs: &[Image],
    sample: &PropertyDict,
    id: &ReplicaId,
) -> Vec<Image> {
    if store { finish_with(out, inputs, distributed, computation_dict(sample, id)) } else { strip(out) }
}

fn finish_with(mut out: Vec<Image>, inputs: &[Image], distributed: bool, dict: Arc<PropertyDict>) -> Vec<Image> {
    if distributed && out.len() == inputs.len() {
        for (o, i) in out.iter_mut().zip(inputs) {
            o.merge_properties_from(i);
        }
    }
    for o in &mut out {
        o.append(Arc::clone(&dict));
    }
    out
}

fn strip(mut out: Vec<Image>) -> Vec<Image> {
    for o in &mut out {
        o.clear_properties();
    }
    out
}

/// Samples one feature's properties at one replicate index, resolving sibling dependencies on demand.
struct Session<'a, 'r> {
    label: &'a str,
    defs: &'a [(Text, Rule)],
    id: &'a ReplicaId,
    slots: Vec<OnceCell<Value>>,
    active: Vec<usize>,
    /// The linked samples read, to tell later whether this sample is still current.
    links: Vec<LinkUse>,
    rs: &'a mut Resolver<'r>,
}

impl Session<'_, '_> {
    fn run(&mut self) -> Result<PropertyDict> {
        for i in 0..self.defs.len() {
            self.eval(i)?;
        }
        let mut dict = PropertyDict::new();
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
            .in_feature(self.label));
        }
        self.active.push(i);
        let (key, rule) = &defs[i];
        let result = match rule {
            Rule::PropertyOf { feature, key: source_key } => self.link(feature, source_key),
            Rule::FeatureOutput(feature) => self.feature_output(feature),
            _ => rule.sample_simple(self),
        };
        self.active.pop();
        let value = result.map_err(|e| e.in_property(key.as_str()))?;
        let _ = self.slots[i].set(value);
        Ok(())
    }

    fn link(&mut self, source: &Feature, key: &Text) -> Result<Value> {
        let (n, dict) = source.sample(self.id, self.rs)?;
        self.links.push(LinkUse { source: source.clone(), id: self.id[..n].to_vec(), dict: Arc::clone(&dict) });
        dict.get(key.as_str())
            .cloned()
            .ok_or_else(|| Error::not_found(format!("no property '{}'", key.as_str())).in_feature(&source.label()))
    }
}

impl Session<'_, '_> {
    /// The output of `source` resolved without input at this replicate index, as a value.
    fn feature_output(&mut self, source: &Feature) -> Result<Value> {
        let (n, dict) = source.sample(self.id, self.rs)?;
        self.links.push(LinkUse { source: source.clone(), id: self.id[..n].to_vec(), dict });
        let images = self.rs.resolve(source, Vec::new(), self.id)?;
        Ok(match images.len() {
            0 => Value::None,
            1 => Value::Array(Arc::clone(images[0].data_arc())),
            _ => Value::List(images.iter().map(|img| Value::Array(Arc::clone(img.data_arc()))).collect()),
        })
    }
}

impl SampleContext for Session<'_, '_> {
    fn get(&mut self, name: &str) -> Result<&Value> {
        let i = self
            .defs
            .iter()
            .position(|(k, _)| k.as_str() == name)
            .ok_or_else(|| Error::not_found(format!("no property '{name}' to depend on")).in_feature(self.label))?;
        self.eval(i)?;
        Ok(self.slots[i].get().expect("just evaluated"))
    }

    fn rng(&mut self) -> &mut dyn RngCore {
        &mut *self.rs.rng
    }

    fn replicate_index(&self) -> &[usize] {
        self.id
    }
}
