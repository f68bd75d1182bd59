//! Scene features of DeepTrack2's `features` module that work on a sample's scatterers:
//! `SampleToMasks`, which renders per-scatterer training targets (segmentation masks, ...) into an
//! image aligned with the optics' `output_region`.
//!
//! `SampleToMasks(transformation, number_of_masks=1, output_region, merge_method="add")` follows
//! DeepTrack2 2.0.1 (`features.SampleToMasks._process_and_get`):
//! - a list of several images (a sample's volumes, `particle ^ N`): each image is transformed, and
//!   placed by the first `position` among its dicts; a single image: transformed once per dict of
//!   it that has a `position` (that dict alone attached), e.g. once per particle of an optics' image;
//! - the transformation is a feature resolved on that image (`Lambda` in Python; any feature, a
//!   custom one from C); without one, the image itself (DeepTrack2's `lambda: lambda x: x`); several
//!   are applied in sequence;
//! - its output must be 3-D `(rows, columns, channels)` with at least `number_of_masks` channels:
//!   channel `c` is merged into mask `c`;
//! - its corner lands at `round(position · scale − centre_of_mass(|output|) + (scale − 1) / 2) −
//!   output_region[:2]` (numpy's rounding, half to even; `scale` is 1 unless resolved inside a
//!   microscope's sample), exactly where the optics put a scatterer's volume (`_get_position`), and
//!   it is cropped to the `(x1 − x0, y1 − y0, number_of_masks)` output;
//! - merged per mask by `merge_method` (one for all masks, or a list with one per mask): `"add"`
//!   (sum), `"overwrite"` (non-zero values replace), `"or"` (1 where either is non-zero, else 0),
//!   `"mul"` (product). DeepTrack2 also accepts a Python function; here a name is required.
//!
//! The mask carries the dicts of its labels: each scatterer's dict (a single image's) or the dicts
//! of each image of the list, not the transformation's (DeepTrack2's is a function, which records
//! nothing), nor `SampleToMasks`' own (DeepTrack2 2.0.1 appends it to the rows of the mask, which
//! its `action` iterates as it would a list of images, never to the mask).
//!
//! An image without a `position` is an error (DeepTrack2 fails with a `TypeError`), and so is a
//! single image without any dict (DeepTrack2: an `AttributeError`); a sample's dicts are recorded only
//! when the pipeline stores properties (`store_properties`). `scatterers >> SampleToMasks(...)` turns
//! it on for the scatterers ([`FeatureKind::reads_input_properties`]): DeepTrack2's scatterers carry
//! their properties unasked, so that one point particle gets its mask there without it.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::optics::{MAX_COORDINATE, OpticsContext, center_of_mass};
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::{Image, ImageList, flatten};
use crate::properties::PropertyDict;
use crate::value::Value;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[SAMPLE_TO_MASKS, super::nonoverlapping::NON_OVERLAPPING];

/// The merge methods of `SampleToMasks`.
const MERGE_METHODS: &[&str] = &["add", "overwrite", "or", "mul"];

const SAMPLE_TO_MASKS: KindSpec = KindSpec {
    name: "SampleToMasks",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Masks (or other targets) of a sample's scatterers, each transformed and placed at its position, merged \
          into an (H, W, number_of_masks) image of the output region.",
    params: &[
        ParamSpec::new(
            "transformation_function",
            ParamKind::Features,
            ParamDefault::Absent,
            "the feature(s) applied to each scatterer's image, in sequence (none: the image itself)",
        ),
        ParamSpec {
            min: 0.0,
            max: 1e6,
            ..ParamSpec::new(
                "number_of_masks",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(1)),
                "the number of masks (channels of the output)",
            )
        },
        ParamSpec {
            min: -MAX_COORDINATE,
            max: MAX_COORDINATE,
            nullable: true,
            check: Some(region_is_ordered),
            ..ParamSpec::new(
                "output_region",
                ParamKind::Vector { min_len: 4, max_len: 4, whole: true },
                ParamDefault::Value(Const::None),
                "(x0, y0, x1, y1): rows [x0, x1) and columns [y0, y1) of the camera, as the optics' output_region",
            )
        },
        ParamSpec {
            check: Some(merge_method),
            ..ParamSpec::new(
                "merge_method",
                ParamKind::Any,
                ParamDefault::Value(Const::Str("add")),
                "'add', 'overwrite', 'or' or 'mul', or a list with one per mask",
            )
        },
    ],
    positional: &["transformation_function", "number_of_masks", "output_region", "merge_method"],
    make: |transforms| Box::new(SampleToMasks { transforms }),
};

/// `output_region` with `x0 <= x1` and `y0 <= y1`.
fn region_is_ordered(value: &Value) -> Result<()> {
    let r = value.to_f64_vec()?;
    if r[2] < r[0] || r[3] < r[1] {
        return Err(Error::invalid(format!(
            "expected (x0, y0, x1, y1) with x0 <= x1 and y0 <= y1, got ({}, {}, {}, {})",
            r[0], r[1], r[2], r[3]
        )));
    }
    Ok(())
}

/// One merge method, or a list of them.
fn merge_method(value: &Value) -> Result<()> {
    merge_methods(value).map(|_| ())
}

/// How one mask is merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Merge {
    Add,
    Overwrite,
    Or,
    Mul,
}

fn one_merge(value: &Value) -> Result<Merge> {
    let s = value.as_str().map_err(|_| {
        Error::type_mismatch(format!(
            "expected 'add', 'overwrite', 'or' or 'mul' (a function is not supported by libdeeptrack), got {}",
            value.kind_name()
        ))
    })?;
    match s {
        "add" => Ok(Merge::Add),
        "overwrite" => Ok(Merge::Overwrite),
        "or" => Ok(Merge::Or),
        "mul" => Ok(Merge::Mul),
        other => Err(Error::invalid(format!(
            "expected one of {}, got '{other}'",
            MERGE_METHODS.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The merge methods: one for every mask, or one per mask.
fn merge_methods(value: &Value) -> Result<Vec<Merge>> {
    match value {
        Value::List(items) | Value::Tuple(items) => items.iter().map(one_merge).collect(),
        other => Ok(vec![one_merge(other)?]),
    }
}

#[derive(Clone)]
struct SampleToMasks {
    transforms: Vec<Feature>,
}

/// A scatterer's transformed image and where it goes.
struct Label {
    image: Image,
    position: Vec<f64>,
}

impl SampleToMasks {
    /// The transformation applied to `input` (a sequence of features, or none).
    fn transform(&self, input: Image, id: &ReplicaId, rs: &mut Resolver<'_>) -> Result<Image> {
        let mut image = input;
        for f in &self.transforms {
            let out = rs.resolve(f, &ImageList::from(vec![image]), id)?;
            let out = flatten(&out)?;
            image = match &out[..] {
                [one] => one.clone(),
                other => {
                    return Err(Error::invalid(format!(
                        "the transformation must give one image per scatterer, got {}",
                        other.len()
                    ))
                    .in_property("transformation_function"));
                }
            };
        }
        Ok(image)
    }

    /// The labels of the inputs, as DeepTrack2 pairs images and positions.
    fn labels(&self, inputs: &[Image], id: &ReplicaId, rs: &mut Resolver<'_>) -> Result<Vec<Label>> {
        let mut labels = Vec::new();
        if inputs.len() == 1 {
            let input = &inputs[0];
            if input.properties().is_empty() {
                // Without any dict there is nothing to place: say so rather than give empty masks.
                return Err(Error::invalid(
                    "the input image carries no properties, so no scatterer's 'position' (store the \
                     pipeline's properties, store_properties(), or give SampleToMasks the scatterers: \
                     `particles >> SampleToMasks(...)`)",
                ));
            }
            let dicts: Vec<Arc<PropertyDict>> =
                input.properties().iter().filter(|d| d.contains("position")).cloned().collect();
            for dict in dicts {
                let position = position_of(&dict)?;
                let mut one = input.clone();
                one.clear_properties();
                one.append(Arc::clone(&dict));
                // DeepTrack2 calls a function, which records nothing: the label carries its dict alone.
                let mut image = self.transform(one, id, rs)?;
                image.clear_properties();
                image.append(dict);
                labels.push(Label { image, position });
            }
        } else {
            for (index, input) in inputs.iter().enumerate() {
                let dict = input.properties().iter().find(|d| d.contains("position")).cloned().ok_or_else(|| {
                    Error::invalid(format!(
                        "sample image {index} carries no 'position' (store the pipeline's properties, \
                         store_properties(), so that scatterers' images carry their dicts)"
                    ))
                })?;
                let position = position_of(&dict)?;
                // The input's dicts, without the transformation's (see above).
                let mut image = self.transform(input.clone(), id, rs)?;
                image.clear_properties();
                image.merge_properties_from(input)?;
                labels.push(Label { image, position });
            }
        }
        Ok(labels)
    }
}

/// The `position` of a dict: 2 or 3 finite numbers.
fn position_of(dict: &PropertyDict) -> Result<Vec<f64>> {
    let v = dict.require("position")?;
    crate::features::scatterers::position(v).map_err(|e| e.in_property("position"))
}

/// numpy's `round` (half to even).
fn round_half_even(x: f64) -> f64 {
    x.round_ties_even()
}

impl FeatureKind for SampleToMasks {
    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(SampleToMasks { transforms: children })
    }

    fn name(&self) -> &str {
        "SampleToMasks"
    }

    fn children(&self) -> Vec<Feature> {
        self.transforms.clone()
    }

    fn is_structural(&self) -> bool {
        true
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn reads_input_properties(&self) -> bool {
        true
    }

    fn own_dict_from(&self, _inputs: usize) -> Option<usize> {
        // The mask carries its scatterers' dicts only, as in DeepTrack2 2.0.1 (see the trait).
        None
    }

    fn process_list(
        &self,
        inputs: &ImageList,
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        let p = Params::new(SAMPLE_TO_MASKS.params, props);
        let masks = p.usize("number_of_masks")?;
        let region = match p.optional("output_region")? {
            Some(v) => v.to_f64_vec()?,
            None => {
                return Err(Error::invalid(
                    "the output region is required (DeepTrack2's default None cannot place masks): give \
                     (x0, y0, x1, y1), e.g. the optics' output_region",
                )
                .in_property("output_region"));
            }
        };
        let merges = p.parse("merge_method", merge_methods)?;
        if merges.len() != 1 && merges.len() < masks {
            return Err(Error::invalid(format!(
                "a list of {} merge methods for {masks} masks: give one per mask, or one for all",
                merges.len()
            ))
            .in_property("merge_method"));
        }
        let (h, w) = ((region[2] - region[0]) as usize, (region[3] - region[1]) as usize);
        let scale = OpticsContext::of(rs.scope()).scale;
        let inputs = flatten(inputs)?;
        let labels = self.labels(&inputs, id, rs)?;
        let n = h.checked_mul(w).and_then(|n| n.checked_mul(masks)).ok_or_else(|| too_large(h, w, masks))?;
        let mut out = Vec::new();
        out.try_reserve_exact(n).map_err(|_| too_large(h, w, masks))?;
        out.resize(n, 0.0);
        for label in &labels {
            let merge = |c: usize| if merges.len() == 1 { merges[0] } else { merges[c] };
            paste(&mut out, [h, w, masks], label, &region, scale, merge)?;
        }
        let mut image = Image::new(ArrayD::from_shape_vec(IxDyn(&[h, w, masks]), out).expect("shape matches"));
        image.merge_properties_from_all(labels.iter().map(|l| &l.image))?;
        Ok(ImageList::from(vec![image]))
    }
}

fn too_large(h: usize, w: usize, masks: usize) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate masks of {h} x {w} x {masks} numbers"))
        .in_property("output_region")
}

/// Merges `label` into the masks `out` of `shape` (DeepTrack2's placement and cropping).
fn paste(
    out: &mut [f64],
    shape: [usize; 3],
    label: &Label,
    region: &[f64],
    scale: [f64; 3],
    merge: impl Fn(usize) -> Merge,
) -> Result<()> {
    let [h, w, masks] = shape;
    let lshape = label.image.shape();
    if lshape.len() != 3 {
        return Err(Error::invalid(format!(
            "the transformation's output must be 3-D (rows, columns, masks), got shape {lshape:?}"
        ))
        .in_property("transformation_function"));
    }
    let [l0, l1, l2] = [lshape[0], lshape[1], lshape[2]];
    if l2 < masks {
        return Err(Error::invalid(format!(
            "the transformation's output has {l2} channels (its last axis), fewer than number_of_masks ({masks})"
        ))
        .in_property("number_of_masks"));
    }
    let data = label.image.contiguous()?;
    let shift = if data.is_empty() { [0.0; 3] } else { center_of_mass(data, [l0, l1, l2]) };
    let pos = &label.position;
    // `_get_position(label)` (mode "corner", without z).
    let corner: [f64; 2] = if pos.len() == 3 {
        std::array::from_fn(|i| pos[i] * scale[i] + 0.5 * (scale[i] - 1.0) - shift[i])
    } else {
        std::array::from_fn(|i| pos[i] * scale[i] - shift[i] + 0.5 * (scale[i] - 1.0))
    };
    let p0 = [round_half_even(corner[0] - region[0]), round_half_even(corner[1] - region[1])];
    let (hf, wf) = (h as f64, w as f64);
    if p0[0] > hf || p0[1] > wf || p0[0] + (l0 as f64) < 0.0 || p0[1] + (l1 as f64) < 0.0 {
        return Ok(());
    }
    // Rows [cx, cx_end) and columns [cy, cy_end) of the label, at p0.max(0) in the output.
    let cx = (-p0[0]).max(0.0) as usize;
    let cy = (-p0[1]).max(0.0) as usize;
    let cx_end = (l0 as f64 - (p0[0] + l0 as f64 - hf).max(0.0)) as usize;
    let cy_end = (l1 as f64 - (p0[1] + l1 as f64 - wf).max(0.0)) as usize;
    let (ox, oy) = (p0[0].max(0.0) as usize, p0[1].max(0.0) as usize);
    for x in cx..cx_end.max(cx) {
        for y in cy..cy_end.max(cy) {
            let src = &data[(x * l1 + y) * l2..][..masks];
            let dst = &mut out[((ox + x - cx) * w + oy + y - cy) * masks..][..masks];
            for (c, (o, &v)) in dst.iter_mut().zip(src).enumerate() {
                match merge(c) {
                    Merge::Add => *o += v,
                    Merge::Overwrite => {
                        if v != 0.0 {
                            *o = v;
                        }
                    }
                    Merge::Or => *o = f64::from(*o != 0.0 || v != 0.0),
                    Merge::Mul => *o *= v,
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_numpys() {
        assert_eq!(round_half_even(0.5), 0.0);
        assert_eq!(round_half_even(1.5), 2.0);
        assert_eq!(round_half_even(-0.5), -0.0);
        assert_eq!(round_half_even(-1.5), -2.0);
        assert_eq!(round_half_even(2.4), 2.0);
        assert_eq!(round_half_even(-2.6), -3.0);
    }

    #[test]
    fn merge_methods_are_checked() {
        assert_eq!(merge_methods(&Value::str("or")).unwrap(), vec![Merge::Or]);
        let list = Value::List(vec![Value::str("add"), Value::str("mul")]);
        assert_eq!(merge_methods(&list).unwrap(), vec![Merge::Add, Merge::Mul]);
        let e = merge_methods(&Value::str("max")).unwrap_err();
        assert!(e.to_string().contains("expected one of 'add', 'overwrite', 'or', 'mul', got 'max'"), "{e}");
        assert!(merge_methods(&Value::Int(3)).is_err());
    }
}
