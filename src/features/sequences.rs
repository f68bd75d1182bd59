//! Time-lapse sequences (DeepTrack2's `sequences` module): `Sequence(feature, sequence_length=N)`
//! resolves `feature` once per step, each step's sequential properties sampled for that step
//! (`crate::graph`'s sequence scope, src/graph/sequence.rs); the frames keep their own property
//! dicts (each frame's true positions). Built-in rules for the steps are in [`motion`].

pub mod motion;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::Result;
use crate::graph::{Feature, MAX_SEQUENCE_LENGTH, ReplicaId, Resolver, Scope};
use crate::image::{ImageList, same_list};
use crate::properties::PropertyDict;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[SEQUENCE];

/// `Sequence`, whose `sequence_length` its computation reads.
const SEQUENCE: KindSpec = KindSpec {
    name: "Sequence",
    aliases: &[],
    module: "sequences",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Resolves `feature` `sequence_length` times, one frame per step, each with the sequential properties of that step.",
    params: &[
        ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the feature resolved at every step"),
        ParamSpec {
            min: 0.0,
            max: MAX_SEQUENCE_LENGTH as f64,
            ..ParamSpec::new(
                "sequence_length",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(1)),
                "the number of steps (frames)",
            )
        },
    ],
    positional: &["feature", "sequence_length"],
    make: |features| {
        let Ok([feature]) = <[Feature; 1]>::try_from(features) else { unreachable!("counted by the registry") };
        Box::new(Sequence { feature, memo: Mutex::default() })
    },
};

/// `Sequence(feature, sequence_length)`: the input images followed by `feature`'s output at every
/// step (resolved without input, as DeepTrack2 2.0.1 does).
struct Sequence {
    feature: Feature,
    /// The frames of the last resolve at each replicate index, and what they were computed from:
    /// resolving again without a change gives the same frames (same images, same dicts).
    memo: Mutex<HashMap<Vec<usize>, Memo>>,
}

/// The frames of one resolve of a `Sequence` and what they depend on.
struct Memo {
    sample: Arc<PropertyDict>,
    stamp: u64,
    /// The resolve scope it was computed in (a microscope's units, an upscale).
    scope: Scope,
    inputs: ImageList,
    output: ImageList,
}

impl FeatureKind for Sequence {
    /// Objects of the host's in place of images: handed on, never read.
    fn takes_objects(&self) -> bool {
        true
    }
    fn name(&self) -> &str {
        "Sequence"
    }

    fn children(&self) -> Vec<Feature> {
        vec![self.feature.clone()]
    }

    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let [feature] = <[Feature; 1]>::try_from(children).expect("a sequence has one child");
        Box::new(Sequence { feature, memo: Mutex::default() })
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
        let length = Params::new(SEQUENCE.params, props).usize("sequence_length")?;
        let keep = rs.plain_scope();
        let stamp = self.feature.sequence_stamp();
        let scope = rs.scope().clone();
        if keep {
            let memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(m) = memo.get(id) {
                if Arc::ptr_eq(&m.sample, props) && m.stamp == stamp && m.scope == scope && same_list(&m.inputs, inputs)
                {
                    return Ok(m.output.clone());
                }
            }
        }
        let frames = rs.resolve_steps(&self.feature, length, id)?;
        let mut output = inputs.clone();
        for image in frames.iter().flat_map(|frame| frame.iter()) {
            output.push(image.clone());
        }
        if keep {
            let memo = Memo { sample: Arc::clone(props), stamp, scope, inputs: inputs.clone(), output: output.clone() };
            let replaced = self.memo.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_vec(), memo);
            // Images may hold the caller's memory, whose release runs outside the lock.
            drop(replaced);
        }
        Ok(output)
    }
}
