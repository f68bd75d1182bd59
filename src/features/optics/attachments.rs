//! What an optics' `pupil=` and `illumination=` features contribute to an image, sampled for one
//! resolve: the aberrations applied to the pupil in turn and the illumination gradients applied to
//! the incoming field in turn, with the numbers they depend on (the keys of the optics' caches, so
//! that randomly drawn coefficients give a new pupil and unchanged ones reuse it).
//!
//! The features are the optics' sub-features: an aberration (or illumination) kind, or a chain of
//! them (`Defocus() >> Astigmatism()`), whose properties are sampled with the optics' own. A pupil
//! may also hold custom features and arrays (`custom_pupil.rs`); with a custom feature, the aberrated
//! pupil is computed when sampled, on the resolving thread, since its `get` is user code. An
//! illumination other than `IlluminationGradient`s (any feature or chain) is resolved on the unit
//! field when sampled, on the resolving thread, by brightfield optics only (`illumination.rs`).

use std::sync::Arc;

use rustfft::num_complex::Complex64;

use super::aberrations::{PupilField, Step};
use super::illumination::{self, Gradient, UnitField};
use super::{Params, pupil};
use crate::error::{Error, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::properties::PropertyDict;
use crate::sync::Lock;

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
    /// The incoming field (`n0 × n1`, row-major) an illumination other than gradients gave, resolved
    /// when sampled (brightfield only).
    pub light: Option<Arc<Vec<Complex64>>>,
}

/// Where [`Attachments::sample`] resolves an illumination that is not made of gradients: the optics'
/// FFT grid and the cache of its unit field, or `None` for optics that never read their illumination
/// (`Fluorescence`, as DeepTrack2 2.0.1's).
pub(crate) type LightTarget<'a> = Option<([usize; 2], &'a Lock<UnitField>)>;

impl Attachments {
    /// Samples the optics' `pupil` and `illumination` features at replicate index `id`, for the optics
    /// of `p`; an illumination other than gradients is resolved on `light`'s unit field (and ignored
    /// without one).
    pub fn sample(
        pupil: Option<&Feature>,
        illumination: Option<&Feature>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
        p: &Params,
        light: LightTarget<'_>,
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
            let leaves = leaves(feature);
            if leaves.iter().all(|l| l.spec().is_some_and(|s| s.name == "IlluminationGradient")) {
                // Gradients: applied without a resolve, their transform cached by their numbers.
                for leaf in leaves {
                    let props = rs.properties(&leaf, id)?;
                    let gradient = Gradient::of(&leaf, &props).expect("an IlluminationGradient")?;
                    gradient.key(&mut out.light_key);
                    out.illumination.push(gradient);
                }
            } else if let Some((grid, unit)) = light {
                let field = illumination::resolved(feature, id, rs, grid, unit, &mut out.light_key)?;
                out.light = Some(Arc::new(field));
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
