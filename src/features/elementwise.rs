//! DeepTrack2's `elementwise` module: one numpy function applied to every sample (`Sin`, `Log`,
//! `Abs`, …). One kind, [`Elementwise`], parameterised by its [`Op`]; one registry entry per class.
//!
//! Both of DeepTrack2's forms: `feature >> Sin()` applies the function to its input, and `Sin(feature)`
//! to what `feature` resolves to (without input; an input given to `Sin(feature)` is ignored, as in
//! DeepTrack2), the result carrying `feature`'s dicts then `Sin`'s.
//!
//! On real images, `Angle`, `Conjugate`, `Imag` and `Real` give what numpy gives for
//! real arrays (`angle(x)` is π for a negative `x` or `-0.0`, else 0; `conjugate` and `real` are the
//! identity; `imag` is 0). NaN and infinities are numpy's (`Log` of a negative is NaN, of 0 `-inf`),
//! never errors.
//!
//! A complex image (see [`Image::is_complex`]: a brightfield field, complex noise) has numpy's
//! complex results for `Real`, `Imag`, `Abs`, `Angle` (real images, the last axis of parts dropped)
//! and every other function (complex: `Sign` is numpy 2's `z / |z|`, the direction of the infinite
//! part where `|z|` is infinite, `Round` rounds both parts, the transcendental functions are the C
//! library's C99 functions, which numpy's complex loops call); `Ceil` and `Floor` of a complex image
//! are an error naming the kind, as numpy has none.

use crate::features::ComplexInputs;
use std::sync::Arc;

use super::FeatureKind;
use super::pixelwise;

pub(crate) mod c99;
pub(crate) mod complex;
mod vector_math;
use super::registry::{KindSpec, ParamDefault, ParamKind, ParamSpec};
use crate::error::{Error, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::{Image, ImageList};
use crate::properties::PropertyDict;
use rustfft::num_complex::Complex64;

/// The function of an element-wise kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `np.abs`.
    Abs,
    /// `np.angle` of a real sample: π when it is negative (or `-0.0`), else 0 (NaN stays NaN).
    Angle,
    /// `np.arccos`.
    Arccos,
    /// `np.arccosh`.
    Arccosh,
    /// `np.arcsin`.
    Arcsin,
    /// `np.arcsinh`.
    Arcsinh,
    /// `np.arctan`.
    Arctan,
    /// `np.arctanh`.
    Arctanh,
    /// `np.ceil`.
    Ceil,
    /// `np.conjugate` of a real sample: the sample.
    Conjugate,
    /// `np.cos`.
    Cos,
    /// `np.cosh`.
    Cosh,
    /// `np.exp`.
    Exp,
    /// `np.floor`.
    Floor,
    /// `np.imag` of a real sample: 0.
    Imag,
    /// `np.log` (natural).
    Log,
    /// `np.log10`.
    Log10,
    /// `np.log2`.
    Log2,
    /// `np.real` of a real sample: the sample.
    Real,
    /// `np.around`: to the nearest whole number, halves to even.
    Round,
    /// `np.sign`: -1, 0 or 1 (NaN stays NaN).
    Sign,
    /// `np.sin`.
    Sin,
    /// `np.sinh`.
    Sinh,
    /// `np.sqrt`.
    Sqrt,
    /// `np.square`.
    Square,
    /// `np.tan`.
    Tan,
    /// `np.tanh`.
    Tanh,
}

/// `np.sign` of a real number.
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else if x == 0.0 {
        0.0
    } else {
        x
    }
}

/// numpy 2's `sign` of a complex number, `z / |z|`: 0 for 0, NaN where `|z|` is NaN, and where `|z|`
/// is infinite the direction of the infinite part (`inf + 1j` → 1, `nan + inf·j` → `1j`; NaN when both
/// parts are infinite), where the division would give NaN.
fn complex_sign(z: Complex64) -> Complex64 {
    let r = z.re.hypot(z.im);
    let unit = |x: f64| if x > 0.0 { 1.0 } else { -1.0 };
    if r.is_nan() {
        Complex64::new(f64::NAN, f64::NAN)
    } else if r.is_infinite() {
        match (z.re.is_infinite(), z.im.is_infinite()) {
            (true, true) => Complex64::new(f64::NAN, f64::NAN),
            (true, false) => Complex64::new(unit(z.re), 0.0),
            (false, true) => Complex64::new(0.0, unit(z.im)),
            (false, false) => Complex64::new(z.re / r, z.im / r),
        }
    } else if r == 0.0 {
        Complex64::new(0.0, 0.0)
    } else {
        Complex64::new(z.re / r, z.im / r)
    }
}

/// `np.angle` of a real number: the argument of `x + 0i`, `atan2(0, x)`: π for a negative `x`
/// (`-0.0` and `-inf` included), 0 for a positive one, NaN for NaN (a select, which vectorises,
/// rather than `atan2`).
fn angle(x: f64) -> f64 {
    if x.is_nan() {
        x
    } else if x.is_sign_negative() {
        std::f64::consts::PI
    } else {
        0.0
    }
}

impl Op {
    /// The function of one complex number `z` (numpy's complex loops); an error for `Ceil` and
    /// `Floor`, which numpy does not define for complex numbers.
    pub fn apply_complex(self, z: Complex64) -> Result<Complex64> {
        use c99::Function as C;
        Ok(match self {
            Op::Arccos => c99::apply(C::Acos, z),
            Op::Arccosh => c99::apply(C::Acosh, z),
            Op::Arcsin => c99::apply(C::Asin, z),
            Op::Arcsinh => c99::apply(C::Asinh, z),
            Op::Arctan => c99::apply(C::Atan, z),
            Op::Arctanh => c99::apply(C::Atanh, z),
            Op::Cos => c99::apply(C::Cos, z),
            Op::Cosh => c99::apply(C::Cosh, z),
            Op::Exp => c99::apply(C::Exp, z),
            Op::Log => c99::apply(C::Log, z),
            Op::Log10 => c99::apply(C::Log10, z),
            Op::Log2 => c99::apply(C::Log2, z),
            Op::Round => Complex64::new(z.re.round_ties_even(), z.im.round_ties_even()),
            Op::Sign => complex_sign(z),
            Op::Sin => c99::apply(C::Sin, z),
            Op::Sinh => c99::apply(C::Sinh, z),
            Op::Sqrt => c99::apply(C::Sqrt, z),
            Op::Square => c99::mul(z, z),
            Op::Tan => c99::apply(C::Tan, z),
            Op::Tanh => c99::apply(C::Tanh, z),
            Op::Conjugate => z.conj(),
            Op::Real | Op::Imag | Op::Abs | Op::Angle | Op::Ceil | Op::Floor => return Err(self.not_complex()),
        })
    }

    /// The error of a function that has no complex result of one number (numpy defines no complex
    /// `ceil` or `floor`; `real`, `imag`, `abs` and `angle` give real images, computed elsewhere).
    fn not_complex(self) -> Error {
        Error::type_mismatch(format!(
            "{self:?} does not accept complex images (numpy's {} is not defined for complex numbers)",
            format!("{self:?}").to_lowercase()
        ))
    }

    /// The function applied to every sample of `x`, into a new buffer: the transcendental
    /// functions by module `vector_math` (glibc's vector math library where it is available), the
    /// others by one monomorphic pass per function, so that each is inlined into the loop.
    pub fn apply(self, x: &[f64]) -> Result<Vec<f64>> {
        use pixelwise::map;
        use vector_math::Function as F;
        let vector = |f: F| vector_math::map(f, x);
        match self {
            Op::Abs => map(x, f64::abs),
            Op::Angle => map(x, angle),
            Op::Arccos => vector(F::Acos),
            Op::Arccosh => vector(F::Acosh),
            Op::Arcsin => vector(F::Asin),
            Op::Arcsinh => vector(F::Asinh),
            Op::Arctan => vector(F::Atan),
            Op::Arctanh => vector(F::Atanh),
            Op::Ceil => map(x, f64::ceil),
            Op::Conjugate | Op::Real => map(x, |v| v),
            Op::Cos => vector(F::Cos),
            Op::Cosh => vector(F::Cosh),
            Op::Exp => vector(F::Exp),
            Op::Floor => map(x, f64::floor),
            Op::Imag => crate::buffer::zeroed(x.len()),
            Op::Log => vector(F::Log),
            Op::Log10 => vector(F::Log10),
            Op::Log2 => vector(F::Log2),
            Op::Round => map(x, f64::round_ties_even),
            Op::Sign => map(x, sign),
            Op::Sin => vector(F::Sin),
            Op::Sinh => vector(F::Sinh),
            Op::Sqrt => map(x, f64::sqrt),
            Op::Square => map(x, |v| v * v),
            Op::Tan => vector(F::Tan),
            Op::Tanh => vector(F::Tanh),
        }
    }
}

/// The one parameter of every element-wise kind: DeepTrack2's optional `feature`.
const FEATURE: &[ParamSpec] = &[ParamSpec::new(
    "feature",
    ParamKind::Feature,
    ParamDefault::Absent,
    "optional: the feature whose output the function is applied to (resolved without input); \
     without it, the function is applied to the input",
)];

/// The registry entry of the element-wise class `$name`, applying `Op::$name`.
/// `zero_d_array` (default false): see [`KindSpec::zero_d_array`].
macro_rules! elementwise {
    ($name:ident, $doc:literal) => {
        elementwise!($name, $doc, false)
    };
    ($name:ident, $doc:literal, $zero_d_array:literal) => {
        KindSpec {
            name: stringify!($name),
            aliases: &[],
            module: "elementwise",
            base: "",
            zero_d_array: $zero_d_array,
            bool_output: false,
            doc: $doc,
            params: FEATURE,
            positional: &["feature"],
            make: |features| Box::new(Elementwise::new(stringify!($name), Op::$name, features)),
        }
    };
}

/// The registry entries of this family, in DeepTrack2's alphabetical order.
pub(crate) static KINDS: &[KindSpec] = &[
    elementwise!(Abs, "`np.abs` of every sample."),
    elementwise!(
        Angle,
        "`np.angle` of every sample: the phase of a complex one; π for a negative real one (and -0.0), else 0."
    ),
    elementwise!(Arccos, "`np.arccos` of every sample (NaN outside [-1, 1])."),
    elementwise!(Arccosh, "`np.arccosh` of every sample (NaN below 1)."),
    elementwise!(Arcsin, "`np.arcsin` of every sample (NaN outside [-1, 1])."),
    elementwise!(Arcsinh, "`np.arcsinh` of every sample."),
    elementwise!(Arctan, "`np.arctan` of every sample."),
    elementwise!(Arctanh, "`np.arctanh` of every sample (±inf at ±1, NaN beyond)."),
    elementwise!(Ceil, "`np.ceil` of every sample."),
    elementwise!(Conjugate, "`np.conjugate` of every sample: the complex conjugate; a real sample itself."),
    elementwise!(Cos, "`np.cos` of every sample."),
    elementwise!(Cosh, "`np.cosh` of every sample."),
    elementwise!(Exp, "`np.exp` of every sample."),
    elementwise!(Floor, "`np.floor` of every sample."),
    // 2.0.1 returns numpy's 0-d array for a 0-d input.
    elementwise!(Imag, "`np.imag` of every sample: the imaginary part of a complex one; 0 for a real one.", true),
    elementwise!(Log, "`np.log` of every sample (NaN for a negative one, -inf for 0)."),
    elementwise!(Log10, "`np.log10` of every sample (NaN for a negative one, -inf for 0)."),
    elementwise!(Log2, "`np.log2` of every sample (NaN for a negative one, -inf for 0)."),
    elementwise!(Real, "`np.real` of every sample: the real part of a complex one; a real sample itself.", true),
    elementwise!(Round, "`np.around` of every sample: the nearest whole number, halves to even."),
    elementwise!(Sign, "`np.sign` of every sample: -1, 0 or 1 (NaN stays NaN)."),
    elementwise!(Sin, "`np.sin` of every sample."),
    elementwise!(Sinh, "`np.sinh` of every sample."),
    elementwise!(Sqrt, "`np.sqrt` of every sample (NaN for a negative one)."),
    elementwise!(Square, "`np.square` of every sample."),
    elementwise!(Tan, "`np.tan` of every sample."),
    elementwise!(Tanh, "`np.tanh` of every sample."),
];

/// An element-wise kind: `op` applied to its input, or to `feature`'s output when it has one.
#[derive(Clone)]
pub struct Elementwise {
    name: &'static str,
    op: Op,
    feature: Option<Feature>,
}

impl Elementwise {
    /// The kind `name` applying `op`, to the output of the first of `features` when there is one.
    pub fn new(name: &'static str, op: Op, features: Vec<Feature>) -> Elementwise {
        Elementwise { name, op, feature: features.into_iter().next() }
    }

    /// `img` with `op` applied to every sample (a new image with the same properties; for the
    /// identities `Real` and `Conjugate`, the image itself, its samples shared, as numpy returns
    /// the array itself).
    fn apply(&self, img: &Image) -> Result<Image> {
        if img.is_complex() {
            return self.apply_complex(img);
        }
        if matches!(self.op, Op::Conjugate) && img.dtype() == crate::dtype::Dtype::Bool {
            // numpy has no conjugate of bools: it conjugates them as int8, the same 0 and 1.
            return Ok(img.clone().with_dtype(crate::dtype::Dtype::Int8));
        }
        if matches!(self.op, Op::Real | Op::Conjugate) {
            return Ok(img.clone());
        }
        // In memory order: a permuted image's result stays permuted, as numpy's ufuncs keep the layout.
        img.with_layout_of(self.op.apply(img.memory()?)?)
    }

    /// [`Elementwise::apply`] of a complex image: numpy's `real`, `imag`, `abs`, `angle` (real
    /// images of the complex shape); every other function's complex result ([`Op::apply_complex`]).
    fn apply_complex(&self, img: &Image) -> Result<Image> {
        match self.op {
            // numpy's `.real` and `.imag` views, in O(1): every other sample of the input's.
            Op::Real => return img.complex_part(false),
            Op::Imag => return img.complex_part(true),
            // numpy has no complex floor or ceil: refused for any complex image, an empty one too.
            Op::Ceil | Op::Floor => return Err(self.op.not_complex()),
            _ => {}
        }
        let parts = img.contiguous()?;
        let shape = img.shape();
        let real_shape = &shape[..shape.len() - 1];
        // A real image of the complex shape (without the last axis of parts).
        let real = |out: Vec<f64>| -> Result<Image> {
            let data = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(real_shape), out).expect("one per number");
            Ok(img.with_standard_data(data))
        };
        match self.op {
            // sqrt(re² + im²), within an ulp of numpy's hypot, which it takes where the squares
            // would overflow or lose precision (about 20 times faster than hypot everywhere).
            Op::Abs => real(complex::abs(parts)?),
            Op::Angle => angles(img, parts, real_shape),
            Op::Conjugate => {
                let out = complex::map_parts(parts, |re| re, |im| -im)?;
                let data = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), out).expect("one per part");
                let mut image = img.with_standard_data(data);
                image.set_complex(true)?;
                Ok(image)
            }
            _ => {
                let out = complex::map_numbers(parts, |z| self.op.apply_complex(z))?;
                let data = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), out).expect("one per part");
                let mut image = img.with_standard_data(data);
                image.set_complex(true)?;
                Ok(image)
            }
        }
    }
}

impl FeatureKind for Elementwise {
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
        Box::new(Elementwise { feature: children.into_iter().next(), ..self.clone() })
    }

    /// With a feature, the kind resolves it: structural.
    fn is_structural(&self) -> bool {
        self.feature.is_some()
    }

    fn get(&self, input: Option<&Image>, _: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        input.map(|img| self.apply(img)).transpose()
    }

    /// `Sin(feature)`: the function of `feature`'s outputs (resolved without input, as DeepTrack2's
    /// `self.feature()`), whatever the input.
    fn process_list(
        &self,
        inputs: &ImageList,
        props: &Arc<PropertyDict>,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<ImageList> {
        let Some(feature) = &self.feature else {
            let slice = crate::image::flatten(inputs)?;
            return Ok(ImageList::from(self.process(&slice, props, id, rs)?));
        };
        let outputs = rs.resolve(feature, &ImageList::new(), id)?;
        let images: Result<Vec<Image>> = outputs.iter().map(|img| self.apply(img)).collect();
        Ok(ImageList::from(images?))
    }
}

/// numpy's `angle` of a complex image (`parts` interleaved): `atan(im / re)` by the vectorised
/// arctangent, moved to its quadrant; `atan2` itself where the ratio is not a normal number or `re`
/// is zero (axes, zeros, infinities, NaN, ratios that underflow).
fn angles(img: &Image, parts: &[f64], real_shape: &[usize]) -> Result<Image> {
    let mut ratio = crate::buffer::zeroed(parts.len() / 2)?;
    for (r, z) in ratio.iter_mut().zip(parts.chunks_exact(2)) {
        *r = z[1] / z[0];
    }
    let mut out = vector_math::map(vector_math::Function::Atan, &ratio)?;
    for ((o, &r), z) in out.iter_mut().zip(&ratio).zip(parts.chunks_exact(2)) {
        let (re, im) = (z[0], z[1]);
        *o = if !r.is_normal() || re == 0.0 || !re.is_finite() {
            im.atan2(re)
        } else if re > 0.0 {
            *o
        } else {
            *o + std::f64::consts::PI.copysign(im)
        };
    }
    let data = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(real_shape), out).expect("one per number");
    Ok(img.with_standard_data(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complex_angle_and_abs_are_atan2_and_hypot() {
        let mut zs = vec![0.0, 0.0, -0.0, 0.0, 0.0, -0.0, -1.0, 0.0, -1.0, -0.0, 1.0, 1e-320, 1e300, 1e300];
        zs.extend([3.0, -4.0, -3.0, 4.0, -3.0, -4.0, 1e-300, 1e300, 1e300, 1e-300, f64::INFINITY, -1.0]);
        zs.extend([f64::NAN, 1.0, 2.0, f64::NEG_INFINITY, 0.5, 1e-200, -7.0, 1e-170, 1e160, -1e160]);
        for i in 0..1000 {
            let t = f64::from(i) * 0.0137 - 7.0;
            zs.extend([t.cos() * (1.0 + f64::from(i)), t.sin() * 3.0]);
        }
        let mut img =
            Image::new(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[zs.len() / 2, 2]), zs.clone()).unwrap());
        img.set_complex(true).unwrap();
        let kind = |op| Elementwise { name: "K", op, feature: None };
        let angle = kind(Op::Angle).apply(&img).unwrap();
        let abs = kind(Op::Abs).apply(&img).unwrap();
        for ((z, a), m) in zs.chunks_exact(2).zip(angle.as_slice()).zip(abs.as_slice()) {
            let (ea, em) = (z[1].atan2(z[0]), z[0].hypot(z[1]));
            assert!(
                ea.is_nan() && a.is_nan() || (a - ea).abs() <= 4.0 * f64::EPSILON * ea.abs(),
                "angle{z:?}: {a} {ea}"
            );
            assert!(
                em.is_nan() && m.is_nan() || *m == em || (m - em).abs() <= 2.0 * f64::EPSILON * em,
                "abs{z:?}: {m} {em}"
            );
            if ea == 0.0 {
                assert_eq!(a.to_bits(), ea.to_bits(), "signed zero of angle{z:?}");
            }
        }
    }

    #[test]
    fn angle_is_atan2_of_zero_and_the_sample() {
        let xs = [-0.0, 0.0, -1e-310, 1e-310, -2.5, 3.0, f64::INFINITY, f64::NEG_INFINITY, f64::MIN, f64::MAX];
        for x in xs {
            assert_eq!(angle(x).to_bits(), 0f64.atan2(x).to_bits(), "angle({x})");
        }
        assert!(angle(f64::NAN).is_nan() && angle(-f64::NAN).is_nan());
        let out = Op::Angle.apply(&xs).unwrap();
        assert_eq!(out, xs.map(|x| 0f64.atan2(x)));
    }
}
