//! DeepTrack2's `statistics` module: numpy reductions over chosen axes (`Sum`, `Mean`, `Median`,
//! `Quantile`, …) and `Cumsum`. One kind, [`Reducer`], parameterised by its [`Reduction`]; one
//! registry entry per class. The arithmetic is in [`reduce`].
//!
//! As DeepTrack2 2.0.1's `Reducer`: with `distributed=True` (the default) every image of the input
//! list is reduced on its own; with `distributed=False` the list is stacked into one array whose
//! first axis runs over the images (numpy's `np.sum([a, b], axis=0)`), and reduced into one image.
//! `Sum(feature)` resolves `feature` (without input) for its input when it is resolved without one,
//! as DeepTrack2's `_input=feature`; a given input takes its place.

use crate::features::ComplexInputs;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::{Image, ImageList, flatten};
use crate::properties::PropertyDict;
use crate::value::Value;

pub(crate) mod complex;
mod order;
pub mod reduce;
mod rows;
mod runs;

pub use reduce::Reduction;

/// DeepTrack2's optional `feature`, the input when none is given.
const FEATURE: ParamSpec = ParamSpec::new(
    "feature",
    ParamKind::Feature,
    ParamDefault::Absent,
    "optional: the feature resolved (without input) for the input when none is given",
);

/// `distributed`.
const DISTRIBUTED: ParamSpec = ParamSpec::new(
    "distributed",
    ParamKind::Bool,
    ParamDefault::Value(Const::Bool(true)),
    "reduce each image of the list on its own; false: stack the list (first axis) and reduce it into one",
);

/// `axis`.
const AXIS: ParamSpec = ParamSpec {
    nullable: true,
    ..ParamSpec::new(
        "axis",
        ParamKind::Axis,
        ParamDefault::Value(Const::None),
        "the axis or axes reduced (negative ones count from the last); None: every axis",
    )
};

/// `keepdims`.
const KEEPDIMS: ParamSpec = ParamSpec::new(
    "keepdims",
    ParamKind::Bool,
    ParamDefault::Value(Const::Bool(false)),
    "keep the reduced axes, with length 1",
);

/// The parameters of the plain reductions, in DeepTrack2's property order.
const PARAMS: &[ParamSpec] = &[FEATURE, DISTRIBUTED, AXIS, KEEPDIMS];

/// `Cumsum`'s parameters (no `keepdims`).
const CUMSUM_PARAMS: &[ParamSpec] = &[FEATURE, DISTRIBUTED, AXIS];

/// `Quantile`'s parameters: `q` between 0 and 1.
const QUANTILE_PARAMS: &[ParamSpec] = &[
    FEATURE,
    DISTRIBUTED,
    ParamSpec {
        min: 0.0,
        max: 1.0,
        ..ParamSpec::new(
            "q",
            ParamKind::Array,
            ParamDefault::Value(Const::Float(0.95)),
            "the quantile, or an array of them, from 0 to 1 (numpy's linear interpolation)",
        )
    },
    AXIS,
    KEEPDIMS,
];

/// `Percentile`'s parameters: `q` between 0 and 100.
const PERCENTILE_PARAMS: &[ParamSpec] = &[
    FEATURE,
    DISTRIBUTED,
    ParamSpec {
        min: 0.0,
        max: 100.0,
        ..ParamSpec::new(
            "q",
            ParamKind::Array,
            ParamDefault::Value(Const::Int(95)),
            "the percentile, or an array of them, from 0 to 100 (numpy's linear interpolation)",
        )
    },
    AXIS,
    KEEPDIMS,
];

/// The registry entry of the statistics class `$name`, computing `Reduction::$name`.
macro_rules! reducer {
    ($name:ident, $params:expr, $positional:expr, $doc:literal) => {
        KindSpec {
            name: stringify!($name),
            aliases: &[],
            module: "statistics",
            base: "",
            zero_d_array: false,
            bool_output: false,
            doc: $doc,
            params: $params,
            positional: $positional,
            make: |features| Box::new(Reducer::new(stringify!($name), Reduction::$name, $params, features)),
        }
    };
}

/// DeepTrack2's constructor order of the plain reductions.
const POSITIONAL: &[&str] = &["feature", "axis", "keepdims", "distributed"];
/// DeepTrack2's constructor order of `Quantile` and `Percentile`.
const Q_POSITIONAL: &[&str] = &["feature", "q", "axis", "keepdims", "distributed"];

/// The registry entries of this family, in DeepTrack2's order.
pub(crate) static KINDS: &[KindSpec] = &[
    reducer!(Sum, PARAMS, POSITIONAL, "`np.sum` over `axis` (pairwise summation, as numpy)."),
    reducer!(Prod, PARAMS, POSITIONAL, "`np.prod` over `axis`."),
    reducer!(Mean, PARAMS, POSITIONAL, "`np.mean` over `axis` (NaN for an empty reduction)."),
    reducer!(Median, PARAMS, POSITIONAL, "`np.median` over `axis` (NaN where a sample is NaN)."),
    reducer!(Std, PARAMS, POSITIONAL, "`np.std` over `axis` (population: divided by the count)."),
    reducer!(Variance, PARAMS, POSITIONAL, "`np.var` over `axis` (population: divided by the count)."),
    reducer!(
        Cumsum,
        CUMSUM_PARAMS,
        &["feature", "axis", "distributed"],
        "`np.cumsum` along one axis (None: of the flattened image, a 1-d result)."
    ),
    reducer!(Min, PARAMS, POSITIONAL, "`np.min` over `axis` (NaN propagates; an empty reduction is an error)."),
    reducer!(Max, PARAMS, POSITIONAL, "`np.max` over `axis` (NaN propagates; an empty reduction is an error)."),
    reducer!(PeakToPeak, PARAMS, POSITIONAL, "`np.ptp` over `axis`: the maximum minus the minimum."),
    reducer!(
        Quantile,
        QUANTILE_PARAMS,
        Q_POSITIONAL,
        "`np.quantile` over `axis` (linear method); an array `q` adds its axes first."
    ),
    reducer!(
        Percentile,
        PERCENTILE_PARAMS,
        Q_POSITIONAL,
        "`np.percentile` over `axis` (linear method); an array `q` adds its axes first."
    ),
];

/// A statistics kind: `op` over the axes its properties name.
#[derive(Clone)]
pub struct Reducer {
    name: &'static str,
    op: Reduction,
    params: &'static [ParamSpec],
    feature: Option<Feature>,
}

impl Reducer {
    /// The kind `name` computing `op`, with the parameters `params` of its registry entry, and the
    /// first of `features` (if any) for its input.
    pub fn new(name: &'static str, op: Reduction, params: &'static [ParamSpec], features: Vec<Feature>) -> Reducer {
        Reducer { name, op, params, feature: features.into_iter().next() }
    }

    /// The outputs of `inputs`: one per image when distributed, else one for the stacked list.
    fn reduce_all(&self, inputs: &[Image], props: &PropertyDict) -> Result<Vec<Image>> {
        let p = Params::new(self.params, props);
        let distributed = p.bool("distributed")?;
        let axis = p.parse("axis", axes)?;
        let keepdims = if self.op == Reduction::Cumsum { false } else { p.bool("keepdims")? };
        let q = match self.op {
            Reduction::Quantile => Some(p.array("q")?),
            Reduction::Percentile => Some(Arc::new(p.array("q")?.mapv(|x| x / 100.0))),
            _ => None,
        };
        let spec = reduce::Spec { op: self.op, axis: axis.as_deref(), keepdims, q: q.as_deref() };
        // numpy's legacy rule for 0-d arrays: a single axis 0 or -1 (an int, not a tuple) reduces the
        // one number, as `axis=None` (Sum, Prod, Min, Max, PeakToPeak: a 0-d result; Cumsum: shape
        // (1,)). The other reductions check the axis as numpy's do (AxisError there).
        let legacy = reduce::legacy_scalar_axis(self.op, p.value("axis")?).then_some(reduce::Spec {
            op: self.op,
            axis: None,
            keepdims,
            q: q.as_deref(),
        });
        if distributed {
            return inputs
                .iter()
                .map(|img| {
                    // `Sum(feature)` reads its feature's outputs, which may hold narrow samples.
                    img.float64_ready()?;
                    let numbers_ndim = img.shape().len() - usize::from(img.is_complex());
                    let spec = match &legacy {
                        Some(whole) if numbers_ndim == 0 => whole,
                        _ => &spec,
                    };
                    if img.is_complex() {
                        return self.reduce_complex(img, img.data(), spec);
                    }
                    Ok(img.with_standard_data(reduce::reduce(img.data().view(), spec)?))
                })
                .collect();
        }
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let stacked = stack(inputs, "distributed=False stacks the images into one array", "distributed")?;
        let complex = inputs.iter().filter(|i| i.is_complex()).count();
        if complex > 0 && complex < inputs.len() {
            return Err(Error::type_mismatch(format!(
                "{} with distributed=False stacks the images into one array, which needs them all complex or all \
                 real",
                self.name
            ))
            .in_property("distributed"));
        }
        if complex > 0 {
            let mut out = self.reduce_complex(&Image::zeros(&[0]), stacked.view(), &spec)?;
            out.clear_properties();
            out.merge_properties_from_all(inputs)?;
            return Ok(vec![out]);
        }
        let mut out = Image::new(reduce::reduce(stacked.view(), &spec)?);
        out.merge_properties_from_all(inputs)?;
        Ok(vec![out])
    }
}

impl Reducer {
    /// The reduction of the complex numbers of `x` (its last axis the parts), with `like`'s
    /// properties: a complex image, or a real one for `Std` and `Variance`.
    fn reduce_complex(&self, like: &Image, x: ndarray::ArrayViewD<'_, f64>, spec: &reduce::Spec<'_>) -> Result<Image> {
        match complex::reduce(self.name, x, spec)? {
            complex::Reduced::Real(a) => Ok(like.with_standard_data(a)),
            complex::Reduced::Complex(mut shape, parts) => {
                shape.push(2);
                let mut out =
                    like.with_standard_data(ArrayD::from_shape_vec(IxDyn(&shape), parts).expect("two parts a number"));
                out.set_complex(true)?;
                Ok(out)
            }
        }
    }
}

/// An `axis` value: `None` for every axis, else the axes as given (possibly negative).
pub(crate) fn axes(value: &Value) -> Result<Option<Vec<i64>>> {
    value.to_axes()
}

/// The images of `inputs` (at least one) stacked along a new first axis (`np.array(list)`): they need
/// one shape, else an error in `property` that starts with `what` ("… which needs one shape: got …").
/// Shared by the reducers (`distributed=False`) and `Average`.
pub(crate) fn stack(inputs: &[Image], what: &str, property: &str) -> Result<ArrayD<f64>> {
    let shape = inputs[0].shape();
    if let Some(other) = inputs.iter().find(|img| img.shape() != shape) {
        return Err(Error::invalid(format!("{what}, which needs one shape: got {shape:?} and {:?}", other.shape()))
            .in_property(property));
    }
    let per = inputs[0].contiguous()?.len();
    let total = per
        .checked_mul(inputs.len())
        .ok_or_else(|| Error::new(crate::error::ErrorKind::OutOfMemory, "the stacked images are too large"))?;
    let mut data = crate::buffer::with_capacity(total)?;
    for img in inputs {
        data.extend_from_slice(img.contiguous()?);
    }
    let mut dims = vec![inputs.len()];
    dims.extend_from_slice(shape);
    Ok(ArrayD::from_shape_vec(IxDyn(&dims), data).expect("one sample per element"))
}

impl FeatureKind for Reducer {
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn name(&self) -> &str {
        self.name
    }

    fn children(&self) -> Vec<Feature> {
        self.feature.iter().cloned().collect()
    }

    fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(Reducer { feature: children.into_iter().next(), ..self.clone() })
    }

    /// With a feature, the kind may resolve it: structural.
    fn is_structural(&self) -> bool {
        self.feature.is_some()
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        _: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        self.reduce_all(inputs, props)
    }

    /// `Sum(feature)`: the input, or `feature`'s outputs when resolved without input.
    fn process_list(
        &self,
        inputs: &ImageList,
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        let inputs = match &self.feature {
            Some(feature) if inputs.is_empty() => rs.resolve(feature, inputs, id)?,
            _ => inputs.clone(),
        };
        let slice = flatten(&inputs)?;
        Ok(ImageList::from(self.reduce_all(&slice, props)?))
    }
}
