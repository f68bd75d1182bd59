//! `NonOverlapping(feature, min_distance=1, max_attempts=5, max_iters=100)` (DeepTrack2's
//! `features.NonOverlapping`): resolves `feature` (typically `particle ^ N`, a list of scatterer
//! volumes) and moves its scatterers until no two of them are within `min_distance` voxels of each
//! other.
//!
//! As DeepTrack2 2.0.1 does: each volume's footprint is its non-zero voxels dilated by
//! `min_distance / 2` (eroded when negative, allowing partial overlap), cropped tight; two footprints
//! overlap when a voxel of one is the same as, or a face neighbour of, a voxel of the other inside
//! the intersection of their boxes (`overlap.rs`). An attempt re-draws the `position` of every
//! scatterer through its rule (the other properties keep their values, so a rule that reads them sees
//! them) up to `max_iters` times, until the placement has no overlap; after an attempt fails,
//! `feature` is updated (everything drawn anew, radii too) for the next one, up to `max_attempts`.
//! When every attempt fails, the last placement is returned with a warning (the library's warnings:
//! `deeptrack_take_warnings` from C, a Python `UserWarning` through the package).
//!
//! The re-drawn position becomes the scatterer's sample at its replicate index, so the result is
//! `feature` resolved again with those samples: its volumes carry the final positions in their dicts
//! (where the optics place them), and resolving again without an update returns the same result.
//! Volumes are placed where the optics place them (their centre of mass on the position; DeepTrack2
//! 2.0.1 puts the footprint's centre of mass there, the same place for the point-symmetric volumes
//! of its scatterers), the corner of a footprint's box truncated toward zero as in 2.0.1.
//! `min_distance` is in voxels of the volumes (camera pixels at `upscale` 1).
//!
//! Work is bounded: `max_attempts` ≤ 1000 and `max_iters` ≤ 10^5, each re-draw checks the N² pairs
//! of boxes and at most the voxels where two boxes intersect; a footprint's padded grid is limited
//! to `scatterers::MAX_GRID_VOXELS`; and one search makes at most [`MAX_PLACEMENT_WORK`] re-drawn
//! positions and checked pairs in all (an error stating the limit beyond it).

use std::collections::HashMap;
use std::sync::Arc;

use super::FeatureKind;
use super::optics::OpticsContext;
use super::optics::{MAX_COORDINATE, center_of_mass, corner};
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use super::scatterers::{finite, position};
use crate::error::{Error, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::{Image, ImageList, flatten, same_list};
use crate::properties::PropertyDict;
use crate::sync::{Lock, Recover, overwrite};
use crate::value::Value;

mod overlap;

use overlap::{Footprint, Placed, footprint, overlap};

/// The largest `max_attempts`.
pub const MAX_ATTEMPTS: f64 = 1000.0;
/// The largest `max_iters`.
pub const MAX_ITERS: f64 = 1e5;
/// The largest `|min_distance|`, in voxels.
pub const MAX_MIN_DISTANCE: f64 = 1e4;
/// The most work one placement search may do: each re-draw of the `N` scatterers' positions counts
/// `N` (the re-drawn positions) plus `N (N - 1) / 2` (the pairs it checks). About 10-20 s of
/// re-draws; DeepTrack2's defaults (5 attempts of 100 re-draws) stay within it up to about 200
/// scatterers, where `max_attempts` ≤ 1000 and `max_iters` ≤ 10^5 alone would allow hours.
pub const MAX_PLACEMENT_WORK: u64 = 10_000_000;

/// The registry entry (listed with the scene kinds).
pub(crate) const NON_OVERLAPPING: KindSpec = KindSpec {
    name: "NonOverlapping",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Resolves `feature` (a list of scatterer volumes) and re-draws the scatterers' positions until no two are \
          within `min_distance` voxels (warns and returns the last placement when it cannot).",
    params: &[
        ParamSpec::new("feature", ParamKind::Feature, ParamDefault::Required, "the feature that gives the volumes"),
        ParamSpec {
            min: -MAX_MIN_DISTANCE,
            max: MAX_MIN_DISTANCE,
            ..ParamSpec::new(
                "min_distance",
                ParamKind::Number,
                ParamDefault::Value(Const::Int(1)),
                "the least distance between the volumes' edges, in voxels (negative: partial overlap allowed)",
            )
        },
        ParamSpec {
            min: 1.0,
            max: MAX_ATTEMPTS,
            ..ParamSpec::new(
                "max_attempts",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(5)),
                "how many times `feature` is drawn anew (updated) before giving up",
            )
        },
        ParamSpec {
            min: 0.0,
            max: MAX_ITERS,
            ..ParamSpec::new(
                "max_iters",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(100)),
                "how many times the positions are re-drawn in one attempt",
            )
        },
    ],
    positional: &["feature", "min_distance", "max_attempts", "max_iters"],
    make: |features| {
        let Ok([feature]) = <[Feature; 1]>::try_from(features) else { unreachable!("counted by the registry") };
        Box::new(NonOverlapping::new(feature))
    },
};

/// The results accepted at each replicate index: a resolve whose `feature` gives the same list again
/// (nothing was updated) returns it without searching.
#[derive(Default)]
struct Accepted(HashMap<Vec<usize>, ImageList>);

impl Recover for Accepted {
    fn recover(&mut self) {
        overwrite(self, Accepted::default());
    }
}

/// `NonOverlapping(feature, min_distance, max_attempts, max_iters)`.
struct NonOverlapping {
    feature: Feature,
    accepted: Lock<Accepted>,
}

impl NonOverlapping {
    fn new(feature: Feature) -> NonOverlapping {
        NonOverlapping { feature, accepted: Lock::new(Accepted::default()) }
    }
}

/// One volume: the scatterer that made it (and where), when it is one of `feature`'s, and its
/// footprint.
struct Volume {
    owner: Option<(Feature, Vec<usize>)>,
    com: [f64; 3],
    footprint: Option<Footprint>,
    position: Vec<f64>,
    z: f64,
}

/// The features below `root` (itself included) that have a `position`: the scatterers that may have
/// made the volumes, whether contained (`particle ^ 6`) or the value of a property (`a & b` is
/// `Chain(a, Stack(value=b))`: `b` gives its images as `Stack`'s value). DeepTrack2 2.0.1 re-draws
/// every volume whose dicts hold a position sampler, however it joined the list.
fn scatterers_below(root: &Feature) -> Vec<Feature> {
    let mut out: Vec<Feature> = Vec::new();
    root.visit_image_sources(&mut |f| {
        if !f.kind().is_structural() && f.has_property("position") {
            out.push(f.clone());
        }
    });
    out
}

/// The replicate index recorded in a dict (`_ID`), or the top level.
fn replica_of(dict: &PropertyDict) -> Vec<usize> {
    match dict.get("_ID") {
        Some(Value::List(items) | Value::Tuple(items)) => {
            items.iter().filter_map(|v| v.as_f64().ok()).map(|x| x as usize).collect()
        }
        _ => Vec::new(),
    }
}

/// The `z` of a dict (0 when absent or None).
fn z_of(dict: &PropertyDict) -> Result<f64> {
    match dict.get("z") {
        None | Some(Value::None) => Ok(0.0),
        Some(v) => finite(v).map_err(|e| e.in_property("z")),
    }
}

impl NonOverlapping {
    /// The volumes of `images`, with their owners and footprints.
    fn volumes(&self, images: &[Image], min_distance: f64) -> Result<Vec<Volume>> {
        let candidates = scatterers_below(&self.feature);
        images
            .iter()
            .enumerate()
            .map(|(index, img)| {
                let shape: [usize; 3] = match img.shape() {
                    &[a, b, c] => [a, b, c],
                    other => {
                        return Err(Error::invalid(format!(
                            "image {index} of the feature has shape {other:?}; NonOverlapping places 3-D scatterer volumes"
                        )));
                    }
                };
                let dict = img.properties().iter().find(|d| d.contains("position")).cloned().ok_or_else(|| {
                    Error::invalid(format!(
                        "image {index} of the feature carries no 'position': NonOverlapping places scatterers \
                         (inside a microscope, or with store_properties())"
                    ))
                })?;
                let id = replica_of(&dict);
                let owner = candidates
                    .iter()
                    .find(|f| {
                        f.cached_output(&id)
                            .and_then(|out| out.last().map(|last| last.shares_samples(img)))
                            .unwrap_or(false)
                    })
                    .map(|f| (f.clone(), id));
                let position = position(dict.get("position").expect("found above")).map_err(|e| e.in_property("position"))?;
                Ok(Volume {
                    owner,
                    com: center_of_mass(img.contiguous()?, shape),
                    footprint: footprint(img.contiguous()?, shape, min_distance)?,
                    position,
                    z: z_of(&dict)?,
                })
            })
            .collect()
    }

    /// Whether no two volumes overlap at their current positions.
    fn apart(volumes: &[Volume], scale: [f64; 3]) -> Result<bool> {
        let mut placed = Vec::with_capacity(volumes.len());
        for v in volumes {
            let Some(fp) = &v.footprint else { continue };
            let c = corner(&v.position, v.z, v.com, scale);
            if let Some(axis) = (0..3).find(|&i| c[i].is_nan() || c[i].abs() > MAX_COORDINATE) {
                let key = if axis < 2 || v.position.len() == 3 { "position" } else { "z" };
                return Err(Error::invalid(format!(
                    "the scatterer lands {} voxels from the origin along axis {axis}, which exceeds the maximum of {} in \
                     magnitude",
                    c[axis], MAX_COORDINATE
                ))
                .in_property(key));
            }
            // As DeepTrack2 2.0.1 places the footprint: its box's corner (the volume's corner moved by
            // the footprint's offset) truncated toward zero, so a box starting within 1 voxel of the
            // origin on either side starts at 0 (rounding down instead changes how near the top and
            // left edges scatterers may come to others, and so the placements' distribution there).
            let corner = std::array::from_fn(|i| (c[i] + fp.offset[i] as f64).trunc() as i64 - fp.offset[i]);
            placed.push(Placed { corner, footprint: fp });
        }
        for i in 0..placed.len() {
            for j in i + 1..placed.len() {
                if overlap(&placed[i], &placed[j]) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

impl FeatureKind for NonOverlapping {
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        let [feature] = <[Feature; 1]>::try_from(children).expect("NonOverlapping has one child");
        Box::new(NonOverlapping::new(feature))
    }

    fn name(&self) -> &str {
        "NonOverlapping"
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
        let p = Params::new(NON_OVERLAPPING.params, props);
        let min_distance = p.f64("min_distance")?;
        let (attempts, iters) = (p.usize("max_attempts")?, p.usize("max_iters")?);
        let mut out = rs.resolve(&self.feature, inputs, id)?;
        if self.accepted.lock().0.get(id).is_some_and(|acc| same_list(acc, &out)) {
            return Ok(out);
        }
        let scale = OpticsContext::of(rs.scope()).scale;
        let mut placed = false;
        let (mut work, mut redraws) = (0_u64, 0_u64);
        'attempts: for attempt in 0..attempts {
            if attempt > 0 {
                self.feature.update()?;
                out = rs.resolve(&self.feature, inputs, id)?;
            }
            let mut volumes = self.volumes(&flatten(&out)?, min_distance)?;
            let n = volumes.len() as u64;
            let per_redraw = n.saturating_add(n.saturating_mul(n.saturating_sub(1)) / 2);
            for _ in 0..iters {
                work = work.saturating_add(per_redraw);
                if work > MAX_PLACEMENT_WORK {
                    return Err(Error::invalid(format!(
                        "placing {n} scatterers apart took {redraws} re-draws without success (attempt {} of \
                         {attempts}, {iters} re-draws each); the next one makes {work} re-drawn positions and checked \
                         pairs, which exceeds the maximum of {MAX_PLACEMENT_WORK} (each re-draw counts N + N (N - \
                         1) / 2; use fewer max_attempts or max_iters, smaller objects or a larger field of view)",
                        attempt + 1
                    ))
                    .in_property("max_iters"));
                }
                redraws += 1;
                for v in &mut volumes {
                    let Some((f, at)) = &v.owner else { continue };
                    let dict = f.resample_property("position", at, rs)?;
                    // As the feature computes with it (a position in meters converted to pixels).
                    let processed =
                        f.kind().process_properties(&dict, rs.scope()).map_err(|e| e.in_feature(&f.label()))?;
                    let dict = processed.map_or(dict, Arc::new);
                    v.position = position(dict.get("position").expect("re-drawn"))
                        .map_err(|e| e.in_property("position").in_feature(&f.label()))?;
                    v.z = z_of(&dict).map_err(|e| e.in_feature(&f.label()))?;
                }
                if Self::apart(&volumes, scale)? {
                    placed = true;
                    break 'attempts;
                }
            }
        }
        if !placed {
            let name = props.get("name").and_then(|v| v.as_str().ok()).unwrap_or("NonOverlapping");
            crate::warnings::warn(format!(
                "{name}: non-overlapping placement could not be achieved in {attempts} attempts of {iters} re-draws; \
                 the last placement is returned (consider smaller objects, a larger field of view or a smaller \
                 min_distance)"
            ));
        }
        // The scatterers' samples hold the final positions: their volumes carry them.
        let out = rs.resolve(&self.feature, inputs, id)?;
        self.accepted.lock().0.insert(id.to_vec(), out.clone());
        Ok(out)
    }
}
