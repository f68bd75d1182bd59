//! `Affine`: DeepTrack2's affine augmentation (scale, translation, rotation, shear about the image's
//! centre), resampled as scipy's `affine_transform` does with spline order 0 or 1 and its border
//! modes; positions follow the inverse map, as in DeepTrack2.

use crate::features::ComplexInputs;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::FeatureKind;
use super::augmentations::move_positions;
use super::filters::reflect;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::buffer;
use crate::error::{Error, Result};
use crate::graph::Scope;
use crate::graph::{ReplicaId, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::value::Value;

/// scipy's border modes of `affine_transform` and `map_coordinates`.
pub(crate) const MODES: &[&str] =
    &["reflect", "grid-mirror", "constant", "grid-constant", "nearest", "mirror", "wrap", "grid-wrap"];

/// A (row, column) pair: one number for both, or two.
const fn pair(name: &'static str, default: ParamDefault, doc: &'static str) -> ParamSpec {
    ParamSpec {
        kind: ParamKind::Vector { min_len: 1, max_len: 2, whole: false },
        ..ParamSpec::finite(name, default, doc)
    }
}

/// The registry entry of `Affine` (listed by the augmentations family).
pub(crate) const AFFINE: KindSpec = KindSpec {
    name: "Affine",
    aliases: &[],
    module: "augmentations",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Scales, translates, rotates and shears the first two axes about the centre; positions follow.",
    params: &[
        super::augmentations::TIME_CONSISTENT,
        ParamSpec {
            min: 0.0,
            min_open: true,
            ..pair("scale", ParamDefault::Value(Const::Int(1)), "the zoom factor (one, or per axis)")
        },
        ParamSpec {
            nullable: true,
            ..pair(
                "translate",
                ParamDefault::Value(Const::None),
                "the shift in pixels (one, or per axis); None: translate_px",
            )
        },
        pair("translate_px", ParamDefault::Value(Const::Float(0.0)), "the shift in pixels when translate is None"),
        ParamSpec::finite("rotate", ParamDefault::Value(Const::Float(0.0)), "the rotation, in radians"),
        ParamSpec::finite("shear", ParamDefault::Value(Const::Float(0.0)), "the shear angle, in radians"),
        ParamSpec {
            min: 0.0,
            max: 1.0,
            ..ParamSpec::new(
                "order",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(1)),
                "the spline order: 0 (nearest) or 1 (linear)",
            )
        },
        ParamSpec::finite(
            "cval",
            ParamDefault::Value(Const::Float(0.0)),
            "the value outside the image in the constant modes",
        ),
        ParamSpec::new(
            "mode",
            ParamKind::Str { choices: MODES },
            ParamDefault::Value(Const::Str("reflect")),
            "scipy's border mode",
        ),
    ],
    positional: &["scale", "translate", "translate_px", "rotate", "shear", "order", "cval", "mode"],
    make: |_| Box::new(Affine),
};

/// A border mode: how a coordinate or a sample index outside `0..n` reads the image.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// `cval` outside `[0, n - 1]`, no interpolation across the edge.
    Constant(f64),
    /// Samples outside are `cval`, and interpolated with those inside.
    GridConstant(f64),
    /// The edge sample.
    Nearest,
    /// Half-sample symmetric (`d c b a | a b c d`).
    Reflect,
    /// Whole-sample symmetric (`d c b | a b c d`).
    Mirror,
    /// The coordinate wraps with period `n - 1` (scipy's legacy "wrap").
    Wrap,
    /// Samples repeat with period `n`.
    GridWrap,
}

impl Mode {
    fn parse(name: &str, cval: f64) -> Mode {
        match name {
            "constant" => Mode::Constant(cval),
            "grid-constant" => Mode::GridConstant(cval),
            "nearest" => Mode::Nearest,
            "mirror" => Mode::Mirror,
            "wrap" => Mode::Wrap,
            "grid-wrap" => Mode::GridWrap,
            _ => Mode::Reflect,
        }
    }

    /// The sample index read for index `i` of an axis of `n`, or `None` for `cval`.
    fn index(self, i: isize, n: usize) -> Option<usize> {
        let m = n as isize;
        if (0..m).contains(&i) {
            return Some(i as usize);
        }
        match self {
            Mode::Constant(_) | Mode::GridConstant(_) => None,
            Mode::Nearest => Some(i.clamp(0, m - 1) as usize),
            Mode::Reflect => Some(reflect(i, n)),
            Mode::Mirror if n == 1 => Some(0),
            Mode::Mirror => {
                let period = 2 * (m - 1);
                let k = i.rem_euclid(period);
                Some((if k < m { k } else { period - k }) as usize)
            }
            Mode::Wrap | Mode::GridWrap => Some(i.rem_euclid(m) as usize),
        }
    }

    /// The coordinate `c` of an axis of `n` as the mode first maps it: scipy's legacy "wrap" folds
    /// it into `[0, n - 1]` with period `n - 1`; "constant" marks coordinates outside as `None`.
    ///
    /// A coordinate that no sample index can hold (`|c| >= 2^63`: a huge translation, or a scale
    /// near 0) has no fold: "nearest" reads the edge on its side, every other mode `cval`, as scipy
    /// gives there (`Affine(translate_px=1e19)` is a blank image of `cval`).
    fn coordinate(self, c: f64, n: usize) -> Option<f64> {
        let last = (n - 1) as f64;
        if c.is_nan() {
            return None;
        }
        if c.abs() >= BEYOND {
            return match self {
                Mode::Nearest => Some(c.clamp(0.0, last)),
                _ => None,
            };
        }
        match self {
            Mode::Constant(_) if !(0.0..=last).contains(&c) => None,
            Mode::Wrap if n > 1 && !(0.0..=last).contains(&c) => Some(c.rem_euclid(last)),
            Mode::Wrap if n == 1 => Some(0.0),
            _ => Some(c),
        }
    }

    fn cval(self) -> f64 {
        match self {
            Mode::Constant(c) | Mode::GridConstant(c) => c,
            _ => 0.0,
        }
    }
}

/// The linear (or nearest) interpolation weights along one axis for coordinate `c`: up to two
/// (index or cval, weight) taps.
fn taps(mode: Mode, order: usize, c: f64, n: usize) -> [(Option<usize>, f64); 2] {
    let Some(c) = mode.coordinate(c, n) else { return [(None, 1.0), (None, 0.0)] };
    if order == 0 {
        return [(mode.index(floor(c + 0.5), n), 1.0), (None, 0.0)];
    }
    let i = floor(c);
    let t = c - i as f64;
    [(mode.index(i, n), 1.0 - t), (mode.index(i + 1, n), t)]
}

/// The magnitude from which a coordinate is beyond every sample index: 2^63 (scipy converts
/// coordinates to 64-bit indices; beyond them it reads `cval`).
const BEYOND: f64 = 9_223_372_036_854_775_808.0;

/// `floor(x)` as an integer (saturating far outside the image, where the caller reads `cval` or
/// the edge: see [`Mode::coordinate`]), without the library call that `f64::floor` is on the
/// baseline x86-64 target.
#[inline(always)]
fn floor(x: f64) -> isize {
    let i = x as isize;
    if (i as f64) > x { i.saturating_sub(1) } else { i }
}

/// The affine map of DeepTrack2's `Affine`: `input = matrix · output + offset` on (row, column).
struct Map {
    matrix: [[f64; 2]; 2],
    offset: [f64; 2],
    centre: [f64; 2],
    shift: [f64; 2],
}

impl Map {
    fn new(p: &Params<'_>, rows: usize, cols: usize) -> Result<Map> {
        let both = |v: Vec<f64>| if v.len() == 1 { [v[0], v[0]] } else { [v[0], v[1]] };
        let [fx, fy] = both(p.vec("scale")?);
        let [dx, dy] = match p.optional("translate")? {
            Some(_) => both(p.vec("translate")?),
            None => both(p.vec("translate_px")?),
        };
        let (rotate, shear) = (p.f64("rotate")?, p.f64("shear")?);
        let (cr, sr, k) = (rotate.cos(), rotate.sin(), shear.tan());
        // scale · rotation · shear, as DeepTrack2 multiplies them.
        let s = [[1.0 / fx, 0.0], [0.0, 1.0 / fy]];
        let r = [[cr, sr], [-sr, cr]];
        let h = [[1.0, 0.0], [-k, 1.0]];
        let mul = |a: [[f64; 2]; 2], b: [[f64; 2]; 2]| {
            [
                [a[0][0] * b[0][0] + a[0][1] * b[1][0], a[0][0] * b[0][1] + a[0][1] * b[1][1]],
                [a[1][0] * b[0][0] + a[1][1] * b[1][0], a[1][0] * b[0][1] + a[1][1] * b[1][1]],
            ]
        };
        let m = mul(mul(s, r), h);
        let centre = [rows as f64 / 2.0, cols as f64 / 2.0];
        let shift = [dy, dx];
        let offset = [
            centre[0] - (m[0][0] * centre[0] + m[0][1] * centre[1]) - shift[0],
            centre[1] - (m[1][0] * centre[0] + m[1][1] * centre[1]) - shift[1],
        ];
        if !m.iter().flatten().chain(&offset).all(|x| x.is_finite()) {
            // The property whose number made it so: a scale whose reciprocal overflows, a translation
            // that does with the centre, else the shear (its tangent near a right angle).
            let translate = if p.optional("translate")?.is_some() { "translate" } else { "translate_px" };
            let (key, why) = if !((1.0 / fx).is_finite() && (1.0 / fy).is_finite()) {
                ("scale", format!(": 1 / scale overflows for the scale [{fx:e}, {fy:e}]"))
            } else if !m.iter().flatten().all(|v| v.is_finite()) {
                ("shear", String::new())
            } else {
                (translate, format!(": the offset overflows for the translation [{dx:e}, {dy:e}]"))
            };
            return Err(Error::invalid(format!("the transform is not finite (matrix {m:?}){why}")).in_property(key));
        }
        Ok(Map { matrix: m, offset, centre, shift })
    }

    /// Where a point of the input lands in the output (DeepTrack2's update of positions).
    fn forward(&self, p: &mut [f64]) {
        let m = self.matrix;
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        let v = [p[0] - self.centre[0] + self.shift[0], p[1] - self.centre[1] + self.shift[1]];
        p[0] = (m[1][1] * v[0] - m[0][1] * v[1]) / det + self.centre[0];
        p[1] = (-m[1][0] * v[0] + m[0][0] * v[1]) / det + self.centre[1];
    }
}

/// Resamples every channel (the samples after the first two axes) of `x` through `map`.
///
/// An output sample whose coordinate is outside (the constant mode's outside, or beyond every index
/// in any mode but "nearest") is `cval`.
fn transform(x: &ArrayViewD<'_, f64>, map: &Map, order: usize, mode: Mode, cval: f64) -> Result<ArrayD<f64>> {
    let shape = x.shape();
    let (rows, cols) = (shape[0], shape[1]);
    let channels: usize = shape[2..].iter().product();
    let x = crate::fallible::standard(x)?;
    let src = x.as_slice().expect("standard layout");
    let mut out = buffer::with_capacity(src.len())?;
    let m = map.matrix;
    let inside = mode.cval();
    for i in 0..rows {
        for j in 0..cols {
            let (fi, fj) = (i as f64, j as f64);
            let r = m[0][0] * fi + m[0][1] * fj + map.offset[0];
            let c = m[1][0] * fi + m[1][1] * fj + map.offset[1];
            if order == 1 && channels == 1 {
                // Inside the image, linear interpolation reads four samples with no border rule.
                let (i0, j0) = (floor(r), floor(c));
                if i0 >= 0 && j0 >= 0 && (i0 as usize) + 1 < rows && (j0 as usize) + 1 < cols {
                    let (t, u) = (r - i0 as f64, c - j0 as f64);
                    let at = i0 as usize * cols + j0 as usize;
                    let (a, b) = (1.0 - t, 1.0 - u);
                    let mut acc = 0.0;
                    acc += a * b * src[at];
                    acc += a * u * src[at + 1];
                    acc += t * b * src[at + cols];
                    acc += t * u * src[at + cols + 1];
                    out.push(acc);
                    continue;
                }
            }
            let tr = taps(mode, order, r, rows);
            let tc = taps(mode, order, c, cols);
            let outside = mode.coordinate(r, rows).is_none() || mode.coordinate(c, cols).is_none();
            for ch in 0..channels {
                if outside {
                    out.push(cval);
                    continue;
                }
                let mut acc = 0.0;
                for &(ri, wr) in &tr {
                    if wr == 0.0 {
                        continue;
                    }
                    for &(ci, wc) in &tc {
                        if wc == 0.0 {
                            continue;
                        }
                        let v = match (ri, ci) {
                            (Some(a), Some(b)) => src[(a * cols + b) * channels + ch],
                            _ => inside,
                        };
                        acc += wr * wc * v;
                    }
                }
                out.push(acc);
            }
        }
    }
    Ok(ArrayD::from_shape_vec(IxDyn(shape), out).expect("one sample per element"))
}

/// A number as DeepTrack2's `(x, x)` (a tuple of two of it); `None` for any other value.
fn as_pair(value: &Value) -> Option<Value> {
    matches!(value, Value::Int(_) | Value::Float(_) | Value::Bool(_))
        .then(|| Value::Tuple(vec![value.clone(), value.clone()]))
}

/// `Affine(scale=1, translate=None, translate_px=0, rotate=0, shear=0, order=1, cval=0,
/// mode="reflect")`.
#[derive(Clone)]
struct Affine;

impl FeatureKind for Affine {
    /// Complex images: the real and imaginary parts in turn (the interpolation is linear, and the
    /// map depends on the properties alone), as scipy's and skimage's on complex arrays.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Parts
    }

    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Affine"
    }

    /// Not distributed: the output keeps the input's dicts, with moved copies of those that have a
    /// position.
    fn is_distributed(&self) -> bool {
        false
    }

    /// What DeepTrack2 2.0.1 records (its `_process_properties`): `scale` and `translate` as pairs
    /// when given as one number (`scale=1` as `(1, 1)`), `translate` None as `translate_px` (its
    /// constructor's copy, made a pair the same way); arrays and lists as they are.
    fn used_properties(&self, sample: &PropertyDict, _scope: &Scope) -> Option<PropertyDict> {
        let translate = match sample.get("translate") {
            Some(Value::None) | None => sample.get("translate_px"),
            given => given,
        };
        let translate = translate.map(|t| as_pair(t).unwrap_or_else(|| t.clone()));
        let mut used = sample.clone();
        if let Some(scale) = sample.get("scale").and_then(as_pair) {
            used.insert("scale", scale);
        }
        if let Some(translate) = translate {
            used.insert("translate", translate);
        }
        Some(used)
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        _: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let p = Params::new(AFFINE.params, props);
        p.bool("time_consistent")?;
        let order = p.usize("order")?;
        let cval = p.f64("cval")?;
        let mode = Mode::parse(p.str("mode")?, cval);
        inputs
            .iter()
            .map(|img| {
                let shape = img.shape();
                if !(2..=3).contains(&shape.len()) {
                    return Err(Error::invalid(format!("expected a 2-d or 3-d image, got shape {shape:?}")));
                }
                if shape[0] == 0 || shape[1] == 0 {
                    return Ok(img.clone());
                }
                let map = Map::new(&p, shape[0], shape[1])?;
                let out = transform(&img.data(), &map, order, mode, cval)?;
                move_positions(img.with_data(out), &|q| map.forward(q))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_as_scipys_map_coordinates() {
        // scipy 1.17: map_coordinates([1., 2., 4.], [[c]], order=1, mode=m, cval=10).
        let x = [1.0, 2.0, 4.0];
        let at = |mode: Mode, c: f64| {
            let t = taps(mode, 1, c, 3);
            if mode.coordinate(c, 3).is_none() {
                return mode.cval();
            }
            t.iter().map(|&(i, w)| if w == 0.0 { 0.0 } else { w * i.map_or(mode.cval(), |i| x[i]) }).sum::<f64>()
        };
        let cs = [-1.5, -1.0, -0.7, -0.3, 0.0, 1.5, 2.0, 2.3, 2.7, 3.0, 3.4, 4.6];
        let cases: [(Mode, [f64; 12]); 7] = [
            (Mode::Constant(10.0), [10., 10., 10., 10., 1., 3., 4., 10., 10., 10., 10., 10.]),
            (Mode::GridConstant(10.0), [10., 10., 7.3, 3.7, 1., 3., 4., 5.8, 8.2, 10., 10., 10.]),
            (Mode::Reflect, [1.5, 1., 1., 1., 1., 3., 4., 4., 4., 4., 3.2, 1.4]),
            (Mode::Mirror, [3., 2., 1.7, 1.3, 1., 3., 4., 3.4, 2.6, 2., 1.6, 1.6]),
            (Mode::Nearest, [1., 1., 1., 1., 1., 3., 4., 4., 4., 4., 4., 4.]),
            (Mode::Wrap, [1.5, 2., 2.6, 3.4, 1., 3., 4., 1.3, 1.7, 2., 2.8, 1.6]),
            (Mode::GridWrap, [3., 4., 3.1, 1.9, 1., 3., 4., 3.1, 1.9, 1., 1.4, 3.2]),
        ];
        for (mode, expected) in cases {
            for (&c, &e) in cs.iter().zip(&expected) {
                assert!((at(mode, c) - e).abs() < 1e-12, "{c}: {} vs {e}", at(mode, c));
            }
        }
    }
}
