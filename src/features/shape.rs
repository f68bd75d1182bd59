//! Shape and type features of DeepTrack2's `features` module: `Transpose` (`Permute`), `MoveAxis`,
//! `Squeeze`, `Unsqueeze` (`ExpandDims`), `ChannelFirst2d`, `AsType` and `OneHot`, as numpy computes
//! them. `AsType` rounds, truncates or wraps the values as numpy's cast would, into samples of the
//! type ([`TypedSamples`], tagged with its [`Dtype`]), which the kinds that follow read as float64.
//! None moves positions (DeepTrack2's do not either).

use crate::features::ComplexInputs;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::buffer;
use crate::dtype::{Dtype, NumpyType};
use crate::error::{Error, Result};
use crate::graph::Resolver;
use crate::image::{Image, element_count};
use crate::properties::PropertyDict;
use crate::typed_samples::TypedSamples;
use crate::value::Value;

/// The largest `num_classes` of `OneHot`; the output must also fit in memory (else `OutOfMemory`).
pub const MAX_CLASSES: f64 = 1e9;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[TRANSPOSE, MOVE_AXIS, SQUEEZE, UNSQUEEZE, CHANNEL_FIRST_2D, AS_TYPE, ONE_HOT];

const fn axis(name: &'static str, default: ParamDefault, doc: &'static str) -> ParamSpec {
    ParamSpec { nullable: true, ..ParamSpec::new(name, ParamKind::Axis, default, doc) }
}

const TRANSPOSE: KindSpec = KindSpec {
    name: "Transpose",
    aliases: &["Permute"],
    module: "features",
    base: "",
    zero_d_array: true,
    bool_output: false,
    doc: "Permutes the axes (`numpy.transpose`): reversed when `axes` is None.",
    params: &[axis("axes", ParamDefault::Value(Const::None), "the new order of the axes (None: reversed)")],
    positional: &["axes"],
    make: |_| Box::new(Shape::Transpose),
};

const MOVE_AXIS: KindSpec = KindSpec {
    name: "MoveAxis",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Moves axes to new positions, the others keeping their order (`numpy.moveaxis`).",
    params: &[
        ParamSpec { nullable: false, ..axis("source", ParamDefault::Required, "the axis (or axes) to move") },
        ParamSpec { nullable: false, ..axis("destination", ParamDefault::Required, "where it goes (or they go)") },
    ],
    positional: &["source", "destination"],
    make: |_| Box::new(Shape::MoveAxis),
};

const SQUEEZE: KindSpec = KindSpec {
    name: "Squeeze",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: true,
    bool_output: false,
    doc: "Removes axes of length one (`numpy.squeeze`): all of them when `axis` is None.",
    params: &[axis("axis", ParamDefault::Value(Const::None), "the axis (or axes) to remove; each must have length 1")],
    positional: &["axis"],
    make: |_| Box::new(Shape::Squeeze),
};

const UNSQUEEZE: KindSpec = KindSpec {
    name: "Unsqueeze",
    aliases: &["ExpandDims"],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Inserts axes of length one (`numpy.expand_dims`).",
    params: &[axis("axis", ParamDefault::Value(Const::Int(-1)), "where the new axis (or axes) go in the output")],
    positional: &["axis"],
    make: |_| Box::new(Shape::Unsqueeze),
};

const CHANNEL_FIRST_2D: KindSpec = KindSpec {
    name: "ChannelFirst2d",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "A 2-d image gets a leading axis of one; a 3-d image has `axis` moved to the front.",
    params: &[ParamSpec {
        nullable: true,
        ..ParamSpec::new(
            "axis",
            ParamKind::Integer,
            ParamDefault::Value(Const::Int(-1)),
            "the channel axis of a 3-d image (a 2-d image does not read it: None is allowed there)",
        )
    }],
    positional: &["axis"],
    make: |_| Box::new(Shape::ChannelFirst2d),
};

/// Whether each number of a complex image is nonzero (`re != 0 || im != 0`, so NaN in either part
/// counts), as 1 or 0 in a real image: numpy's cast of complex numbers to bool, without its warning.
fn nonzero(img: &Image) -> Result<Image> {
    let (re, im) = (img.complex_part(false)?, img.complex_part(true)?);
    let (a, b) = (re.data(), im.data());
    let flags = crate::fallible::collect(a.iter().zip(b.iter()).map(|(&a, &b)| f64::from(a != 0.0 || b != 0.0)))?;
    let flags = ArrayD::from_shape_vec(a.raw_dim(), flags).expect("one flag per number");
    Ok(re.with_data(flags))
}

/// numpy's `astype(complex128)` or `astype(complex64)`: a real image becomes complex (zero imaginary
/// parts), a complex one stays complex; `single` rounds every part to float32, as complex64 holds
/// it (the image stays a complex image of float64 parts: the library's complex images are complex128).
fn as_complex(img: &Image, single: bool) -> Result<Image> {
    let round = |x: f64| if single { x as f32 as f64 } else { x };
    if img.is_complex() {
        if !single {
            return Ok(img.clone());
        }
        let mut out = img.with_data(crate::fallible::map(&img.data(), round)?);
        out.set_complex(true)?;
        return Ok(out);
    }
    let samples = img.contiguous()?;
    let count = samples.len().checked_mul(2).ok_or_else(|| {
        Error::new(crate::error::ErrorKind::OutOfMemory, "the complex image's size overflows".to_string())
    })?;
    let mut data = crate::buffer::with_capacity(count)?;
    for &x in samples {
        data.push(round(x));
        data.push(0.0);
    }
    let mut shape = img.shape().to_vec();
    shape.push(2);
    let data = ArrayD::from_shape_vec(IxDyn(&shape), data).expect("sized to the shape");
    let mut out = img.with_standard_data(data);
    out.set_complex(true)?;
    Ok(out)
}

const AS_TYPE: KindSpec = KindSpec {
    name: "AsType",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: true,
    bool_output: false,
    doc: "numpy's `astype(dtype)`: the values cast (rounded, truncated or wrapped), the image tagged with the type.",
    params: &[ParamSpec::new(
        "dtype",
        ParamKind::Dtype,
        ParamDefault::Value(Const::Str("float64")),
        "numpy's type cast to: a name or type code ('float32', 'f4', '<i8', 'uint8', 'complex64')",
    )],
    positional: &["dtype"],
    make: |_| Box::new(Shape::AsType),
};

const ONE_HOT: KindSpec = KindSpec {
    name: "OneHot",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "One-hot encodes whole class numbers along a new last axis (a last axis of one is replaced).",
    params: &[ParamSpec {
        min: 1.0,
        max: MAX_CLASSES,
        ..ParamSpec::new("num_classes", ParamKind::Integer, ParamDefault::Required, "the number of classes")
    }],
    positional: &["num_classes"],
    make: |_| Box::new(Shape::OneHot),
};

#[derive(Clone, Copy)]
enum Shape {
    Transpose,
    MoveAxis,
    Squeeze,
    Unsqueeze,
    ChannelFirst2d,
    AsType,
    OneHot,
}

/// The axes of a checked `Axis` value (`None`: no list).
fn axes(value: &Value) -> Result<Option<Vec<i64>>> {
    value.to_axes()
}

/// numpy's `normalize_axis_index`: `axis` in `-ndim..ndim`.
fn normalize(axis: i64, ndim: usize) -> Result<usize> {
    let n = ndim as i64;
    if (-n..n).contains(&axis) {
        Ok(axis.rem_euclid(n.max(1)) as usize)
    } else {
        Err(Error::invalid(format!("axis {axis} is out of bounds for an image with {ndim} axes")))
    }
}

/// Normalized axes, each at most once.
fn distinct(axes: &[i64], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let a = normalize(a, ndim)?;
        if out.contains(&a) {
            return Err(Error::invalid(format!("axis {a} is repeated")));
        }
        out.push(a);
    }
    Ok(out)
}

/// `x` reshaped (same samples in C order) to `shape`: one copy of the samples.
fn reshaped(x: &ArrayViewD<'_, f64>, shape: &[usize]) -> Result<ArrayD<f64>> {
    let samples = crate::layout::to_c_order(x)?;
    Ok(ArrayD::from_shape_vec(IxDyn(shape), samples).expect("the same number of samples"))
}

/// `np.eye(n)[x]` for whole class numbers `x` in `-n..n` (negative ones count from the end).
fn one_hot(x: &ArrayViewD<'_, f64>, n: usize) -> Result<ArrayD<f64>> {
    let x = if x.ndim() > 0 && x.shape()[x.ndim() - 1] == 1 { x.index_axis(Axis(x.ndim() - 1), 0) } else { x.view() };
    let mut shape = x.shape().to_vec();
    shape.push(n);
    let count = element_count(&shape)?;
    let mut out = buffer::zeroed(count)?;
    for (i, &c) in x.iter().enumerate() {
        if c.fract() != 0.0 || !(-(n as f64)..n as f64).contains(&c) {
            return Err(Error::invalid(format!(
                "expected whole class numbers from {} to {}, got {c}",
                -(n as i64),
                n - 1
            )));
        }
        let k = if c < 0.0 { n - (-c) as usize } else { c as usize };
        out[i * n + k] = 1.0;
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), out).expect("one sample per element"))
}

impl Shape {
    fn spec(self) -> &'static KindSpec {
        match self {
            Shape::Transpose => &TRANSPOSE,
            Shape::MoveAxis => &MOVE_AXIS,
            Shape::Squeeze => &SQUEEZE,
            Shape::Unsqueeze => &UNSQUEEZE,
            Shape::ChannelFirst2d => &CHANNEL_FIRST_2D,
            Shape::AsType => &AS_TYPE,
            Shape::OneHot => &ONE_HOT,
        }
    }

    /// The output shape of a kind that only reshapes (its samples unchanged, in the same order):
    /// `Squeeze`, `Unsqueeze`, and `ChannelFirst2d` of a 2-d image; `None` for the others.
    fn reshape(self, shape: &[usize], p: &Params<'_>) -> Result<Option<Vec<usize>>> {
        let ndim = shape.len();
        match self {
            Shape::Squeeze => {
                // numpy's legacy rule for 0-d arrays: a single int axis 0 or -1 (not a tuple) is
                // accepted and removes nothing.
                if ndim == 0 && matches!(p.value("axis")?, Value::Int(0 | -1)) {
                    return Ok(Some(Vec::new()));
                }
                let remove = match p.parse("axis", axes)? {
                    None => (0..ndim).filter(|&a| shape[a] == 1).collect(),
                    Some(a) => {
                        let remove = distinct(&a, ndim).map_err(|e| e.in_property("axis"))?;
                        if let Some(&bad) = remove.iter().find(|&&a| shape[a] != 1) {
                            return Err(Error::invalid(format!(
                                "cannot remove axis {bad} of length {}: only axes of length 1 can be",
                                shape[bad]
                            ))
                            .in_property("axis"));
                        }
                        remove
                    }
                };
                let out: Vec<usize> = (0..ndim).filter(|a| !remove.contains(a)).map(|a| shape[a]).collect();
                Ok(Some(out))
            }
            Shape::Unsqueeze => {
                let new = p.parse("axis", axes)?.unwrap_or_default();
                let out_ndim = ndim + new.len();
                let new = distinct(&new, out_ndim).map_err(|e| e.in_property("axis"))?;
                let mut dims = shape.iter();
                let out: Vec<usize> = (0..out_ndim)
                    .map(|a| if new.contains(&a) { 1 } else { *dims.next().expect("an input axis") })
                    .collect();
                Ok(Some(out))
            }
            Shape::ChannelFirst2d if ndim == 2 => {
                // Unused, as in 2.0.1 (which ignores it for 2-d images), but a number if given.
                p.optional("axis")?.map(Value::as_i64).transpose().map_err(|e| e.in_property("axis"))?;
                Ok(Some(vec![1, shape[0], shape[1]]))
            }
            _ => Ok(None),
        }
    }

    /// The order of the axes of a kind that only permutes them (its samples unchanged, in another
    /// order): `Transpose`, `MoveAxis`, and `ChannelFirst2d` of a 3-d image; `None` for the others.
    fn order(self, ndim: usize, p: &Params<'_>) -> Result<Option<Vec<usize>>> {
        let order = match self {
            Shape::Transpose => match p.parse("axes", axes)? {
                None => (0..ndim).rev().collect(),
                Some(a) => {
                    let order = distinct(&a, ndim).map_err(|e| e.in_property("axes"))?;
                    if order.len() != ndim {
                        return Err(Error::invalid(format!(
                            "expected {ndim} axes for an image with {ndim} axes, got {}",
                            order.len()
                        ))
                        .in_property("axes"));
                    }
                    order
                }
            },
            Shape::MoveAxis => {
                let source = p.parse("source", |v| distinct(&axes(v)?.unwrap_or_default(), ndim))?;
                let destination = p.parse("destination", |v| distinct(&axes(v)?.unwrap_or_default(), ndim))?;
                if source.len() != destination.len() {
                    return Err(Error::invalid(format!(
                        "expected as many destinations as sources ({}), got {}",
                        source.len(),
                        destination.len()
                    ))
                    .in_property("destination"));
                }
                let mut order: Vec<usize> = (0..ndim).filter(|a| !source.contains(a)).collect();
                let mut pairs: Vec<(usize, usize)> = destination.into_iter().zip(source).collect();
                pairs.sort_unstable();
                for (d, s) in pairs {
                    order.insert(d, s);
                }
                order
            }
            Shape::ChannelFirst2d if ndim == 3 => {
                let axis = p.parse("axis", Value::as_i64)?;
                let a = normalize(axis, 3).map_err(|e| e.in_property("axis"))?;
                let mut order: Vec<usize> = (0..3).filter(|&i| i != a).collect();
                order.insert(0, a);
                order
            }
            _ => return Ok(None),
        };
        Ok(Some(order))
    }

    fn apply(self, x: &ArrayViewD<'_, f64>, p: &Params<'_>) -> Result<ArrayD<f64>> {
        let ndim = x.ndim();
        match self {
            // `get` shares the samples of permutations; this is their copy in C order.
            Shape::Transpose | Shape::MoveAxis => {
                let order = self.order(ndim, p)?.expect("a permutation");
                crate::fallible::standard_owned(&x.view().permuted_axes(IxDyn(&order)))
            }
            Shape::Squeeze | Shape::Unsqueeze => {
                let shape = self.reshape(x.shape(), p)?.expect("a reshape");
                reshaped(x, &shape)
            }
            Shape::ChannelFirst2d => {
                match (ndim, self.order(ndim, p)?) {
                    (2, _) => {
                        self.reshape(x.shape(), p)?; // checks `axis`
                        Ok(crate::fallible::to_owned(x)?.insert_axis(Axis(0)))
                    }
                    (_, Some(order)) => crate::fallible::standard_owned(&x.view().permuted_axes(IxDyn(&order))),
                    (n, None) => Err(Error::invalid(format!("ChannelFirst2d takes 2-d or 3-d images, got {n} axes"))),
                }
            }
            // `get` casts into narrow samples.
            Shape::AsType => unreachable!("AsType is computed by get"),
            Shape::OneHot => {
                let n = p.usize("num_classes")?;
                one_hot(x, n).map_err(|e| e.in_property("num_classes"))
            }
        }
    }
}

impl FeatureKind for Shape {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(*self)
    }

    /// Complex images: the reshapes and permutations act on the numbers (each part in turn, the last
    /// axis of parts untouched); `AsType` casts the real parts, as numpy does (with its warning);
    /// `OneHot` refuses them (numpy indexes with whole numbers only).
    fn complex_inputs(&self) -> ComplexInputs {
        match self {
            Shape::AsType => ComplexInputs::Native,
            Shape::OneHot => ComplexInputs::Refused,
            _ => ComplexInputs::PartViews,
        }
    }

    fn name(&self) -> &str {
        self.spec().name
    }

    /// Reshapes and permutations share narrow samples as they are; `AsType` casts them.
    fn reads_narrow_samples(&self) -> bool {
        true
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        if matches!(self, Shape::AsType) {
            let p = Params::new(self.spec().params, props);
            if let Some(NumpyType::Complex { single }) = NumpyType::parse(p.str("dtype")?) {
                return as_complex(img, single).map(Some);
            }
        }
        let p = Params::new(self.spec().params, props);
        let real;
        let img = if img.is_complex() {
            // `AsType` (the one kind here that sees complex images): numpy's cast of the real parts,
            // but to bool, which is whether the number is nonzero (either part, NaN included).
            real = if NumpyType::parse(p.str("dtype")?) == Some(NumpyType::Real(Dtype::Bool)) {
                nonzero(img)?
            } else {
                crate::warnings::warn("AsType: casting complex values to real discards the imaginary part");
                img.complex_part(false)?
            };
            &real
        } else {
            img
        };
        // Reshapes, and the cast to float64, share the input's samples (numpy returns views, or the
        // array itself for `astype` to its own type with DeepTrack2's `copy=False`).
        if let Some(shape) = self.reshape(img.shape(), &p)? {
            return img.reshaped(&shape).map(Some);
        }
        // Permutations too, in O(1) with strides of their own (numpy's `transpose` is a view); the
        // result is real, as new data is.
        if let Some(order) = self.order(img.shape().len(), &p)? {
            let mut out = img.permuted_axes(&order)?;
            out.set_complex(false)?;
            return Ok(Some(out));
        }
        if matches!(self, Shape::AsType) {
            let Some(NumpyType::Real(dtype)) = NumpyType::parse(p.str("dtype")?) else {
                unreachable!("a complex type is cast above, and the spec checked the string")
            };
            // The samples written once in the type, as numpy's `astype` does (narrow inputs are cast
            // from their float64 values, which are exact but for 64-bit integers beyond 2^53).
            if dtype == Dtype::Float64 {
                return Ok(Some(img.clone().with_dtype(dtype)));
            }
            let samples = TypedSamples::cast(img.contiguous()?, dtype)?.expect("a narrow type");
            return Ok(Some(img.with_typed(img.shape(), samples)));
        }
        img.float64_ready()?;
        Ok(Some(img.with_data(self.apply(&img.data(), &p)?)))
    }
}
