//! `Reuse(feature, uses=2, storage=1)` (DeepTrack2's `augmentations.Reuse`): a cache in front of a
//! costly feature, so that what follows it (augmentations, noise) varies while the feature is
//! computed only every so often.
//!
//! As in DeepTrack2 2.0.1, `Reuse` keeps the last `storage` outputs of `feature` and a counter of its
//! computations (each resolve after an update; resolving again without an update returns the same
//! result and counts nothing). A computation resolves `feature` anew (an update of `Reuse` updates
//! it, so it is a new sample) when fewer than `storage` outputs are kept or the counter is a multiple
//! of `uses · storage`; otherwise it hands out one of the kept outputs, drawn uniformly (from the
//! pipeline's seeded generator; DeepTrack2 uses Python's global `random`). The outputs keep the dicts
//! of the computation that made them, and `Reuse` appends its own. Each copy of a pipeline (the
//! workers of `resolve_batch`) has its own cache and counter. `uses` and `storage` are at least 1
//! (DeepTrack2 divides by their product) and at most 10^9 and 10^6 (`storage` outputs are kept in
//! memory).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use rand::Rng;

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::Result;
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::{ImageList, same_list};
use crate::properties::PropertyDict;
use crate::sync::{Lock, Recover, overwrite};

/// The largest `uses`.
pub const MAX_USES: f64 = 1e9;
/// The largest `storage`: the number of outputs kept.
pub const MAX_STORAGE: f64 = 1e6;

/// The registry entry (listed with the augmentations).
pub(crate) const REUSE: KindSpec = KindSpec {
    name: "Reuse",
    aliases: &[],
    module: "augmentations",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Keeps the last `storage` outputs of `feature` and hands each out about `uses` times (drawn at random) \
          before resolving `feature` anew.",
    params: &[
        ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the feature whose outputs are reused"),
        ParamSpec {
            min: 1.0,
            max: MAX_USES,
            ..ParamSpec::new(
                "uses",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(2)),
                "how many times each kept output is used: `feature` is resolved every uses · storage computations",
            )
        },
        ParamSpec {
            min: 1.0,
            max: MAX_STORAGE,
            ..ParamSpec::new(
                "storage",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(1)),
                "how many outputs of `feature` are kept",
            )
        },
    ],
    positional: &["feature", "uses", "storage"],
    make: |features| {
        let Ok([feature]) = <[Feature; 1]>::try_from(features) else { unreachable!("counted by the registry") };
        Box::new(Reuse::new(feature))
    },
};

/// The last computation at one replicate index: its sample and inputs, and what it gave.
struct Last {
    sample: Arc<PropertyDict>,
    inputs: ImageList,
    output: ImageList,
}

#[derive(Default)]
struct State {
    counter: u64,
    cache: VecDeque<ImageList>,
    last: HashMap<Vec<usize>, Last>,
}

impl Recover for State {
    fn recover(&mut self) {
        overwrite(self, State::default());
    }
}

/// `Reuse(feature, uses, storage)`.
struct Reuse {
    feature: Feature,
    state: Lock<State>,
}

impl Reuse {
    fn new(feature: Feature) -> Reuse {
        Reuse { feature, state: Lock::new(State::default()) }
    }
}

/// What one computation does.
enum Plan {
    Resolve,
    Hand(ImageList),
}

impl FeatureKind for Reuse {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let [feature] = <[Feature; 1]>::try_from(children).expect("a reuse has one child");
        Box::new(Reuse::new(feature))
    }

    fn name(&self) -> &str {
        "Reuse"
    }

    fn children(&self) -> Vec<Feature> {
        vec![self.feature.clone()]
    }

    fn is_structural(&self) -> bool {
        true
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn process_list(
        &self,
        inputs: &ImageList,
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        let p = Params::new(REUSE.params, props);
        let (uses, storage) = (p.usize("uses")? as u64, p.usize("storage")?);
        let plan = {
            let mut st = self.state.lock();
            // The same sample on the same inputs: the result of that computation, counted once.
            if let Some(last) = st.last.get(id) {
                if Arc::ptr_eq(&last.sample, props) && same_list(&last.inputs, inputs) {
                    return Ok(last.output.clone());
                }
            }
            while st.cache.len() > storage {
                st.cache.pop_front();
            }
            if st.cache.len() < storage || st.counter % (uses * storage as u64) == 0 {
                Plan::Resolve
            } else {
                let pick = rs.rng().random_range(0..st.cache.len());
                Plan::Hand(st.cache[pick].clone())
            }
        };
        // The feature resolves without the lock held (it may run callbacks).
        let (output, fresh) = match plan {
            Plan::Resolve => (rs.resolve(&self.feature, inputs, id)?, true),
            Plan::Hand(output) => (output, false),
        };
        let mut st = self.state.lock();
        if fresh {
            st.cache.push_back(output.clone());
        }
        st.counter += 1;
        st.last.insert(id.to_vec(), Last { sample: Arc::clone(props), inputs: inputs.clone(), output: output.clone() });
        Ok(output)
    }
}
