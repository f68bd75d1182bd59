//! Draws that an augmentation makes while it computes (not through its properties), made alike for
//! every image of a sequence when its `time_consistent` asks for it (DeepTrack2's "augment all
//! images in a sequence equally").
//!
//! Properties are sampled once per evaluation, so a flip or an affine transform already treats every
//! frame of a sequence alike; a kind that draws inside its computation (`ElasticTransformation`'s
//! displacement field) would draw anew for every frame. With `time_consistent`, it draws instead from
//! a generator seeded by one draw of the resolver's generator per sample of its properties: every
//! frame computed with that sample (the frames of a `Sequence` it follows, or every step of a
//! `Sequence` it is inside) gets the same draws, and an update (a new sample) gets new ones.

use std::sync::{Arc, Mutex, Weak};

use rand::SeedableRng;

use crate::graph::Resolver;
use crate::properties::PropertyDict;
use crate::rng::Generator;

/// The seed drawn for the last sample of a feature's properties, one per feature (a copy of a
/// pipeline for a batch item gets its own: see [`ConsistentDraws::fresh`]).
#[derive(Default)]
pub(crate) struct ConsistentDraws {
    last: Mutex<Option<(Weak<PropertyDict>, u64)>>,
}

impl ConsistentDraws {
    /// A new one, remembering no sample (for a copy of the feature).
    pub(crate) fn fresh() -> Arc<ConsistentDraws> {
        Arc::new(ConsistentDraws::default())
    }

    /// The generator for a computation with the properties `props`: with `consistent`, the same
    /// stream for every computation with this sample of the properties (seeded by one draw of `rs`'s
    /// generator, made by the first of them); otherwise `None` (draw from the resolver's generator).
    pub(crate) fn generator(
        &self,
        consistent: bool,
        props: &Arc<PropertyDict>,
        rs: &mut Resolver<'_>,
    ) -> Option<Generator> {
        consistent.then(|| self.per_sample(props, rs))
    }

    /// The generator for a computation with the properties `props`: the same stream for every
    /// computation with this sample of the properties (seeded by one draw of `rs`'s generator, made
    /// by the first of them).
    pub(crate) fn per_sample(&self, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Generator {
        // A poisoned lock only means a panic elsewhere while it was held: the pair is still whole.
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let seed = match &*last {
            Some((sample, seed)) if sample.upgrade().is_some_and(|s| Arc::ptr_eq(&s, props)) => *seed,
            _ => {
                let seed = rs.rng().next_u64();
                *last = Some((Arc::downgrade(props), seed));
                seed
            }
        };
        Generator::seed_from_u64(seed)
    }
}
