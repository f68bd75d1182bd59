//! Shape and type features of DeepTrack2's `features` module: `Transpose` (`Permute`), `MoveAxis`,
//! `Squeeze`, `Unsqueeze` (`ExpandDims`), `ChannelFirst2d`, `AsType` and `OneHot`, as numpy computes
//! them. `AsType` rounds, truncates or wraps the values as numpy's cast would and tags the image with
//! the type ([`Dtype`]; the samples stay float64 in the engine, and callers convert them). None moves
//! positions (DeepTrack2's do not either).

use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use super::FeatureKind;
use super::pixelwise;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::buffer;
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::graph::Resolver;
use crate::image::{Image, element_count};
use crate::properties::PropertyDict;
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
    doc: "Permutes the axes (`numpy.transpose`): reversed when `axes` is None.",
    params: &[axis("axes", ParamDefault::Value(Const::None), "the new order of the axes (None: reversed)")],
    positional: &["axes"],
    make: |_| Box::new(Shape::Transpose),
};

const MOVE_AXIS: KindSpec = KindSpec {
    name: "MoveAxis",
    aliases: &[],
    module: "features",
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
    doc: "Removes axes of length one (`numpy.squeeze`): all of them when `axis` is None.",
    params: &[axis("axis", ParamDefault::Value(Const::None), "the axis (or axes) to remove; each must have length 1")],
    positional: &["axis"],
    make: |_| Box::new(Shape::Squeeze),
};

const UNSQUEEZE: KindSpec = KindSpec {
    name: "Unsqueeze",
    aliases: &["ExpandDims"],
    module: "features",
    doc: "Inserts axes of length one (`numpy.expand_dims`).",
    params: &[axis("axis", ParamDefault::Value(Const::Int(-1)), "where the new axis (or axes) go in the output")],
    positional: &["axis"],
    make: |_| Box::new(Shape::Unsqueeze),
};

const CHANNEL_FIRST_2D: KindSpec = KindSpec {
    name: "ChannelFirst2d",
    aliases: &[],
    module: "features",
    doc: "A 2-d image gets a leading axis of one; a 3-d image has `axis` moved to the front.",
    params: &[ParamSpec::new(
        "axis",
        ParamKind::Integer,
        ParamDefault::Value(Const::Int(-1)),
        "the channel axis of a 3-d image",
    )],
    positional: &["axis"],
    make: |_| Box::new(Shape::ChannelFirst2d),
};

/// numpy's names of the types `AsType` casts to.
const DTYPES: &[&str] = &[
    "float64", "float", "double", "float32", "single", "float16", "half", "int64", "int", "int32", "int16", "int8",
    "uint64", "uint", "uint32", "uint16", "uint8", "bool",
];

const AS_TYPE: KindSpec = KindSpec {
    name: "AsType",
    aliases: &[],
    module: "features",
    doc: "numpy's `astype(dtype)`: the values cast (rounded, truncated or wrapped), the image tagged with the type.",
    params: &[ParamSpec::new(
        "dtype",
        ParamKind::Str { choices: DTYPES },
        ParamDefault::Value(Const::Str("float64")),
        "numpy's name of the type cast to",
    )],
    positional: &["dtype"],
    make: |_| Box::new(Shape::AsType),
};

const ONE_HOT: KindSpec = KindSpec {
    name: "OneHot",
    aliases: &[],
    module: "features",
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
    match value {
        Value::None => Ok(None),
        Value::List(items) | Value::Tuple(items) => {
            items.iter().map(Value::as_i64).collect::<Result<Vec<_>>>().map(Some)
        }
        other => Ok(Some(vec![other.as_i64()?])),
    }
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
fn reshaped(x: &ArrayViewD<'_, f64>, shape: &[usize]) -> ArrayD<f64> {
    x.as_standard_layout().into_owned().into_shape_with_order(IxDyn(shape)).expect("the same number of samples")
}

/// numpy's float64 → float16 rounding (to nearest, ties to even; overflow to infinity).
fn to_f16(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let a = x.abs();
    // The spacing of float16 numbers near `a`: 2^(e - 10) in the binade [2^e, 2^(e+1)), and 2^-24
    // below 2^-14 (subnormal numbers); `e` from the bits, exactly.
    let e = (((a.to_bits() >> 52) & 0x7ff) as i32 - 1023).max(-14);
    let step = f64::from(e - 10).exp2();
    let r = (a / step).round_ties_even() * step;
    if r > 65504.0 { f64::INFINITY.copysign(x) } else { r.copysign(x) }
}

/// numpy's cast of `x` to an integer type of `bits` bits, as a float: truncation toward zero, then
/// wrapping modulo 2^bits. Values numpy's C cast leaves undefined (NaN, infinities, beyond the
/// 64-bit range) become the type's minimum (0 for unsigned types).
#[inline(always)]
fn to_int(x: f64, bits: u32, signed: bool) -> f64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    let t = x.trunc();
    if bits == 64 {
        if !signed && (0.0..2.0 * LIMIT).contains(&t) {
            return t;
        }
        if t.abs() < LIMIT {
            return if signed { t } else { (t as i64) as u64 as f64 };
        }
        return if signed { -LIMIT } else { 0.0 };
    }
    // t - m * floor(t / m) is exact for every whole float (the division and the product by a power
    // of two are, and the difference is below m), and the comparisons keep the loop free of branches.
    // 2^bits and its reciprocal, exactly (a product by the reciprocal of a power of two is the
    // quotient, exactly, and costs a fraction of a division).
    let m = f64::from_bits((1023 + u64::from(bits)) << 52);
    let inverse = f64::from_bits((1023 - u64::from(bits)) << 52);
    let r = t - (t * inverse).floor() * m;
    let r = if signed && r >= m / 2.0 { r - m } else { r };
    let undefined = if signed { -m / 2.0 } else { 0.0 };
    if t.abs() < LIMIT { r } else { undefined }
}

/// The cast of `dtype` (one of [`DTYPES`]), one sample at a time.
#[cfg(test)]
fn cast(dtype: &str) -> fn(f64) -> f64 {
    match dtype {
        "float32" | "single" => |x| x as f32 as f64,
        "float16" | "half" => to_f16,
        "int64" | "int" => |x| to_int(x, 64, true),
        "int32" => |x| to_int(x, 32, true),
        "int16" => |x| to_int(x, 16, true),
        "int8" => |x| to_int(x, 8, true),
        "uint64" | "uint" => |x| to_int(x, 64, false),
        "uint32" => |x| to_int(x, 32, false),
        "uint16" => |x| to_int(x, 16, false),
        "uint8" => |x| to_int(x, 8, false),
        "bool" => |x| f64::from(u8::from(x != 0.0)),
        _ => |x| x,
    }
}

/// `x` cast to `dtype`: each cast compiled into its own loop (with AVX2 where the processor has it,
/// whose rounding instructions make `trunc` and `floor` single instructions).
fn cast_all(x: &ArrayViewD<'_, f64>, dtype: &str) -> Result<ArrayD<f64>> {
    let x = x.as_standard_layout();
    let v = x.as_slice().expect("standard layout");
    let out = match dtype {
        "float32" | "single" => pixelwise::map(v, |v| v as f32 as f64),
        "float16" | "half" => pixelwise::map(v, to_f16),
        "int64" | "int" => pixelwise::map(v, |v| to_int(v, 64, true)),
        "int32" => pixelwise::map(v, |v| to_int(v, 32, true)),
        "int16" => pixelwise::map(v, |v| to_int(v, 16, true)),
        "int8" => pixelwise::map(v, |v| to_int(v, 8, true)),
        "uint64" | "uint" => pixelwise::map(v, |v| to_int(v, 64, false)),
        "uint32" => pixelwise::map(v, |v| to_int(v, 32, false)),
        "uint16" => pixelwise::map(v, |v| to_int(v, 16, false)),
        "uint8" => pixelwise::map(v, |v| to_int(v, 8, false)),
        "bool" => pixelwise::map(v, |v| f64::from(u8::from(v != 0.0))),
        _ => pixelwise::map(v, |v| v),
    }?;
    Ok(ArrayD::from_shape_vec(x.raw_dim(), out).expect("one sample per element"))
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
                p.parse("axis", Value::as_i64)?;
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
                Ok(x.view().permuted_axes(IxDyn(&order)).as_standard_layout().into_owned())
            }
            Shape::Squeeze | Shape::Unsqueeze => {
                let shape = self.reshape(x.shape(), p)?.expect("a reshape");
                Ok(reshaped(x, &shape))
            }
            Shape::ChannelFirst2d => {
                p.parse("axis", Value::as_i64)?;
                match (ndim, self.order(ndim, p)?) {
                    (2, _) => Ok(x.to_owned().insert_axis(Axis(0))),
                    (_, Some(order)) => Ok(x.view().permuted_axes(IxDyn(&order)).as_standard_layout().into_owned()),
                    (n, None) => Err(Error::invalid(format!("ChannelFirst2d takes 2-d or 3-d images, got {n} axes"))),
                }
            }
            Shape::AsType => cast_all(x, p.str("dtype")?),
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

    fn name(&self) -> &str {
        self.spec().name
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(self.spec().params, props);
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
            let dtype = Dtype::from_name(p.str("dtype")?).unwrap_or_default();
            if dtype == Dtype::Float64 {
                return Ok(Some(img.clone().with_dtype(dtype)));
            }
            return Ok(Some(img.with_data(self.apply(&img.data(), &p)?).with_dtype(dtype)));
        }
        Ok(Some(img.with_data(self.apply(&img.data(), &p)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_of_every_sample_match_the_single_casts() {
        let x = ArrayD::from_shape_vec(IxDyn(&[37, 70]), (0..37 * 70).map(f64::from).collect()).unwrap();
        let all = cast_all(&x.mapv(|v| v * 1.37 - 900.0).view(), "int8").unwrap();
        assert_eq!(all, x.mapv(|v| cast("int8")(v * 1.37 - 900.0)));
    }

    #[test]
    fn every_registry_name_is_a_type() {
        for name in DTYPES {
            assert!(Dtype::from_name(name).is_some(), "{name}");
        }
    }

    #[test]
    fn casts_match_numpy() {
        // numpy 2.4 on x86-64: x.astype(t) for these x (in-range values; the undefined ones differ).
        let x = [1.7, -1.7, 200.0, -200.0, 300.5, 70000.0, -70000.0, 2.5, 0.1];
        let all = |f: fn(f64) -> f64| x.iter().map(|&v| f(v)).collect::<Vec<_>>();
        assert_eq!(all(cast("int8")), [1., -1., -56., 56., 44., 112., -112., 2., 0.]);
        assert_eq!(all(cast("uint8")), [1., 255., 200., 56., 44., 112., 144., 2., 0.]);
        assert_eq!(all(cast("int16")), [1., -1., 200., -200., 300., 4464., -4464., 2., 0.]);
        assert_eq!(all(cast("uint16")), [1., 65535., 200., 65336., 300., 4464., 61072., 2., 0.]);
        assert_eq!(all(cast("uint32"))[..4], [1., 4294967295., 200., 4294967096.]);
        assert_eq!(
            all(cast("float16")),
            [1.7001953125, -1.7001953125, 200., -200., 300.5, f64::INFINITY, f64::NEG_INFINITY, 2.5, 0.0999755859375]
        );
        assert_eq!(cast("float32")(0.1), 0.10000000149011612);
        assert_eq!(cast("uint64")(1e19), 1e19);
        assert_eq!(
            (to_f16(65519.0), to_f16(65520.0), to_f16(1e-8), to_f16(3e-6)),
            (65504.0, f64::INFINITY, 0.0, 50.0 * 2.0_f64.powi(-24))
        );
        assert_eq!((cast("int32")(f64::NAN), cast("int64")(1e19)), (-2147483648.0, -9.223372036854776e18));
        assert_eq!(all(cast("bool")), [1.0; 9]);
        assert_eq!(cast("bool")(0.0), 0.0);
    }
}
