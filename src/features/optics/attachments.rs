//! What an optics' `pupil=` and `illumination=` features contribute to an image, sampled for one
//! resolve: the aberrations applied to the pupil in turn and the illumination gradients applied to
//! the incoming field in turn, with the numbers they depend on (the keys of the optics' caches, so
//! that randomly drawn coefficients give a new pupil and unchanged ones reuse it).
//!
//! The features are the optics' sub-features: an aberration (or illumination) kind, or a chain of
//! them (`Defocus() >> Astigmatism()`), whose properties are sampled with the optics' own. A pupil
//! may also hold custom features and arrays (`custom_pupil.rs`); with a custom feature, the aberrated
//! pupil is computed when sampled, on the resolving thread, since its `get` is user code.

use std::sync::Arc;

use super::aberrations::{PupilField, Step};
use super::illumination::Gradient;
use super::{Params, pupil};
use crate::error::{Error, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::properties::PropertyDict;

/// The sampled pupil and illumination of an optics (empty without them).
#[derive(Default)]
pub(crate) struct Attachments {
    /// The aberrations, in the order they apply.
    pub pupil: Vec<Step>,
    /// The illumination gradients, in the order they apply.
    pub illumination: Vec<Gradient>,
    /// The aberrations' numbers, as bits.
    pub pupil_key: Vec<u64>,
    /// The illumination's numbers, as bits.
    pub light_key: Vec<u64>,
    /// The aberrations' sampled properties, in order (fluorescence images carry them, as DeepTrack2's
    /// do).
    pub dicts: Vec<Arc<PropertyDict>>,
    /// The aberrated pupil, computed when sampled (with a custom feature in the pupil only).
    pub field: Option<Arc<PupilField>>,
}

impl Attachments {
    /// Samples the optics' `pupil` and `illumination` features at replicate index `id`, for the optics
    /// of `p`.
    pub fn sample(
        pupil: Option<&Feature>,
        illumination: Option<&Feature>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
        p: &Params,
    ) -> Result<Attachments> {
        let mut out = Attachments::default();
        if let Some(feature) = pupil {
            for leaf in leaves(feature) {
                let props = rs.properties(&leaf, id)?;
                let step = Step::of(&leaf, &props).ok_or_else(|| {
                    Error::invalid(format!(
                        "the pupil must be an aberration (Zernike, Defocus, …, GaussianApodization, a subclass of \
                         Aberration), an array (a Value) or a chain of them (>>), got {}",
                        leaf.label()
                    ))
                })??;
                step.key(&mut out.pupil_key);
                if !matches!(step, Step::Array(_)) {
                    out.dicts.push(props);
                }
                out.pupil.push(step);
            }
            if out.pupil.iter().any(|s| matches!(s, Step::Callback(_))) {
                let _user = rs.user_code();
                out.field = Some(Arc::new(pupil::aberrated(p, &out.pupil)?));
            }
        }
        if let Some(feature) = illumination {
            for leaf in leaves(feature) {
                let props = rs.properties(&leaf, id)?;
                let gradient = Gradient::of(&leaf, &props).ok_or_else(|| {
                    Error::invalid(format!(
                        "the illumination must be an IlluminationGradient or a chain of them (>>), got {}",
                        leaf.label()
                    ))
                })??;
                gradient.key(&mut out.light_key);
                out.illumination.push(gradient);
            }
        }
        Ok(out)
    }

    /// Applies the aberrations to `field`, in turn.
    pub fn aberrate(steps: &[Step], field: &mut PupilField) -> Result<()> {
        steps.iter().try_for_each(|step| step.apply(field))
    }
}

/// The features of `feature` in the order a chain applies them: `feature` itself, or the leaves of
/// the chains it is made of (iteratively: a deep chain cannot overflow the stack), without
/// `DummyFeature`s.
fn leaves(feature: &Feature) -> Vec<Feature> {
    let mut out = Vec::new();
    let mut stack = vec![feature.clone()];
    while let Some(f) = stack.pop() {
        match f.spec().map(|s| s.name) {
            // Pushed in reverse: the first feature is applied first.
            Some("Chain") => stack.extend(f.kind().children().into_iter().rev()),
            // DeepTrack2's stand-in for no pupil or illumination: it changes nothing.
            Some("DummyFeature") => {}
            _ => out.push(f),
        }
    }
    out
}
