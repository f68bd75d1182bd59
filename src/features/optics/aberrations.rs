//! DeepTrack2's `aberrations` module: features that act on an optics' pupil function (`pupil=` of
//! `Fluorescence` and `Brightfield`). `Zernike(n, m, coefficient)` multiplies the pupil by
//! `exp(i·Σ coefficient·Zₙᵐ(ρ, θ))`, the named aberrations are Zernike terms of fixed `n` and `m`, and
//! `GaussianApodization(sigma, offset)` multiplies it by `exp(−(ρ/σ)²)`.
//!
//! As DeepTrack2's `Aberration` computes them, `ρ` is the distance of a pupil point from the grid's
//! centre in grid pixels, divided by its largest value where the pupil is non-zero, and `θ =
//! atan2(row offset, column offset)`. The optics hand the aberrations the pupil on the box of the
//! grid that holds it ([`PupilField`]); a chain (`Defocus() >> Astigmatism()`) applies its features in
//! turn, each seeing the pupil the previous one left.

use crate::features::ComplexInputs;
use std::ops::Range;
use std::sync::Arc;

use rustfft::num_complex::Complex64;

use super::custom_pupil::{Callback, PupilArray};
use crate::error::{Error, Result};
use crate::features::FeatureKind;
use crate::features::registry::{self, Const, KindSpec, ParamDefault, ParamKind, ParamSpec};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::value::Value;

/// The largest radial order `n` of a Zernike term (its radial polynomial's coefficients are then
/// exact integers below 2^127).
pub const MAX_ZERNIKE_ORDER: usize = 60;

/// The most Zernike terms one feature sums.
pub const MAX_ZERNIKE_TERMS: usize = 64;

/// A Zernike index vector: one whole number or a list of them.
const fn indices(name: &'static str, min: f64, default: ParamDefault, doc: &'static str) -> ParamSpec {
    ParamSpec {
        min,
        max: MAX_ZERNIKE_ORDER as f64,
        ..ParamSpec::new(name, ParamKind::Vector { min_len: 1, max_len: MAX_ZERNIKE_TERMS, whole: true }, default, doc)
    }
}

/// `coefficient`: one number or a list of them, finite.
const COEFFICIENT: ParamSpec = ParamSpec {
    kind: ParamKind::Vector { min_len: 1, max_len: MAX_ZERNIKE_TERMS, whole: false },
    ..ParamSpec::finite(
        "coefficient",
        ParamDefault::Value(Const::Int(1)),
        "the weight of each term, in radians of phase at the pupil's edge (over the term's normalisation)",
    )
};

const N_DOC: &str = "the radial order of each term";
const M_DOC: &str = "the azimuthal order of each term (negative: sine terms)";

/// `Zernike`'s parameters.
const ZERNIKE: &[ParamSpec] = &[
    indices("n", 0.0, ParamDefault::Required, N_DOC),
    indices("m", -(MAX_ZERNIKE_ORDER as f64), ParamDefault::Required, M_DOC),
    COEFFICIENT,
];

/// The registry entry of a named Zernike aberration of orders `n`, `m`.
macro_rules! named {
    ($name:literal, $n:literal, $m:literal, $doc:literal) => {
        KindSpec {
            name: $name,
            aliases: &[],
            module: "aberrations",
            // 2.0.1 derives the named terms from Zernike.
            base: "Zernike",
            zero_d_array: false,
            bool_output: false,
            doc: $doc,
            params: &[
                indices("n", 0.0, ParamDefault::Value(Const::Int($n)), N_DOC),
                indices("m", -(MAX_ZERNIKE_ORDER as f64), ParamDefault::Value(Const::Int($m)), M_DOC),
                COEFFICIENT,
            ],
            positional: &[],
            make: |_| Box::new(Aberration { name: $name }),
        }
    };
}

/// The registry entries of DeepTrack2's `aberrations` module.
pub(crate) static KINDS: &[KindSpec] = &[
    KindSpec {
        name: "GaussianApodization",
        aliases: &[],
        module: "aberrations",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "Multiplies the pupil by exp(-(rho/sigma)^2): a pupil that fades towards its edge.",
        params: &[
            ParamSpec {
                min: 0.0,
                min_open: true,
                max: f64::MAX,
                ..ParamSpec::new(
                    "sigma",
                    ParamKind::Number,
                    ParamDefault::Value(Const::Int(1)),
                    "the width of the Gaussian, relative to the pupil's radius",
                )
            },
            ParamSpec {
                kind: ParamKind::Vector { min_len: 2, max_len: 2, whole: false },
                ..ParamSpec::finite(
                    "offset",
                    ParamDefault::Value(Const::IntTuple(&[0, 0])),
                    "the Gaussian's centre from the pupil's, in grid pixels: (columns, rows), as DeepTrack2 \
                     applies it",
                )
            },
        ],
        positional: &["sigma", "offset"],
        make: |_| Box::new(Aberration { name: "GaussianApodization" }),
    },
    KindSpec {
        name: "Zernike",
        aliases: &[],
        module: "aberrations",
        base: "",
        zero_d_array: false,
        bool_output: false,
        doc: "Multiplies the pupil by exp(i * sum of coefficient * Zernike(n, m)(rho, theta)): a phase aberration.",
        params: ZERNIKE,
        positional: &["n", "m", "coefficient"],
        make: |_| Box::new(Aberration { name: "Zernike" }),
    },
    named!("Piston", 0, 0, "The Zernike term n=0, m=0: a uniform phase."),
    named!("VerticalTilt", 1, -1, "The Zernike term n=1, m=-1: a tilt along the rows."),
    named!("HorizontalTilt", 1, 1, "The Zernike term n=1, m=1: a tilt along the columns."),
    named!("ObliqueAstigmatism", 2, -2, "The Zernike term n=2, m=-2: oblique astigmatism."),
    named!("Defocus", 2, 0, "The Zernike term n=2, m=0: defocus."),
    named!("Astigmatism", 2, 2, "The Zernike term n=2, m=2: astigmatism."),
    named!("ObliqueTrefoil", 3, -3, "The Zernike term n=3, m=-3: oblique trefoil."),
    named!("VerticalComa", 3, -1, "The Zernike term n=3, m=-1: vertical coma."),
    named!("HorizontalComa", 3, 1, "The Zernike term n=3, m=1: horizontal coma."),
    named!("Trefoil", 3, 3, "The Zernike term n=3, m=3: trefoil."),
    named!("SphericalAberration", 4, 0, "The Zernike term n=4, m=0: spherical aberration."),
];

/// An aberration kind: it acts on an optics' pupil (see [`Step`]), not on images.
#[derive(Clone)]
struct Aberration {
    name: &'static str,
}

impl FeatureKind for Aberration {
    /// Complex images: read by the kind itself.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::Native
    }

    fn name(&self) -> &str {
        self.name
    }

    fn with_children(&self, _: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    /// Resolved as a feature of a pipeline: DeepTrack2 would take the image for a complex pupil,
    /// which an image (real numbers) cannot hold.
    fn process(&self, _: &[Image], _: &Arc<PropertyDict>, _: &ReplicaId, _: &mut Resolver<'_>) -> Result<Vec<Image>> {
        Err(Error::invalid(format!(
            "{} acts on an optics' pupil: give it as the pupil of an optics (Fluorescence(pupil={}(...))), not as a \
             feature of a pipeline",
            self.name, self.name
        )))
    }
}

/// The pupil function on the box of an `n[0] × n[1]` FFT grid that holds it: the centred grid rows
/// `rows` and columns `cols` (DeepTrack2's unshifted pupil, its centre at `(n/2, n/2)`), row-major.
/// Every point outside the box is zero.
pub(crate) struct PupilField {
    /// The grid's size.
    pub n: [usize; 2],
    /// The centred rows of the box.
    pub rows: Range<usize>,
    /// The centred columns of the box.
    pub cols: Range<usize>,
    /// The pupil on the box, row-major.
    pub values: Vec<Complex64>,
}

impl PupilField {
    /// `(row offset, column offset)` of the box's element `at` from the grid's centre, in grid pixels
    /// (DeepTrack2's `Y` and `X`).
    fn offsets(&self, at: usize) -> (f64, f64) {
        let w = self.cols.len();
        let (i, j) = (self.rows.start + at / w, self.cols.start + at % w);
        (i as f64 - self.n[0] as f64 / 2.0, j as f64 - self.n[1] as f64 / 2.0)
    }

    /// DeepTrack2's `rho` normaliser: the largest distance from the centre `(c0, c1)` (grid pixels
    /// from the grid's centre) where the pupil is non-zero; 1 when that is 0 (a pupil of one point
    /// at the centre, where DeepTrack2 divides 0 by 0: its `rho` is 0 there) or when the pupil is
    /// zero everywhere.
    /// The distances are multiplied by `scale` (0.5 keeps those from a centre up to `f64::MAX` away
    /// finite; the normalised `ρ` is their ratio, which an exact scale by a power of two keeps).
    pub(super) fn largest_radius(&self, c: (f64, f64), scale: f64) -> f64 {
        let mut largest = 0.0f64;
        for (at, v) in self.values.iter().enumerate() {
            if *v != Complex64::new(0.0, 0.0) {
                let (y, x) = self.offsets(at);
                let (y, x) = (y - c.0, x - c.1);
                // hypot: an offset far beyond the grid (up to f64::MAX) stays finite.
                largest = largest.max((x * scale).hypot(y * scale));
            }
        }
        if largest > 0.0 { largest } else { 1.0 }
    }
}

/// The largest bound of a Zernike phase (`Σ |coefficient| · √(2n + 2)`): half the largest float, so
/// that the phase summed at any point of the pupil (where `|Rₙᵐ| <= 1` up to rounding) is a number.
pub(crate) const MAX_PHASE: f64 = f64::MAX / 2.0;

/// One aberration, its properties parsed: what the optics apply to their pupil.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    /// Zernike terms `(n, m, coefficient)`, those with odd `n − m` or a zero coefficient left out.
    Zernike(Vec<(u32, i32, f64)>),
    /// `GaussianApodization`: its `sigma` and `offset` (columns, rows).
    Apodization { sigma: f64, offset: [f64; 2] },
    /// A custom feature's `get` (see `custom_pupil.rs`).
    Callback(Callback),
    /// An array multiplying the pupil (see `custom_pupil.rs`).
    Array(PupilArray),
}

impl Step {
    /// The aberration `feature` (its kind, its sampled properties `props`), or `None` when it is not
    /// one: an aberration kind, a custom feature (its `get` applies to the pupil) or a `Value`
    /// holding an array (it multiplies the pupil).
    pub fn of(feature: &Feature, props: &Arc<PropertyDict>) -> Option<Result<Step>> {
        let label = feature.label();
        if let Some(get) = feature.kind().function() {
            return Some(Ok(Step::Callback(Callback { label, get, props: Arc::clone(props) })));
        }
        let spec = feature.spec()?;
        if spec.name == "Value" {
            let array = match props.get("value") {
                Some(v) => v.to_complex_array().map_err(|_| {
                    Error::invalid(format!("expected an array of numbers for the pupil, got {}", v.kind_name()))
                        .in_property("value")
                        .in_feature(&label)
                }),
                None => Err(Error::invalid("expected an array for the pupil").in_property("value").in_feature(&label)),
            };
            return Some(array.map(|array| Step::Array(PupilArray { label, array })));
        }
        if spec.module != "aberrations" {
            return None;
        }
        Some(Step::parse(spec, props).map_err(|e| e.in_feature(&label)))
    }

    fn parse(spec: &'static KindSpec, props: &PropertyDict) -> Result<Step> {
        let p = registry::Params::new(spec.params, props);
        if spec.name == "GaussianApodization" {
            let offset = p.vec("offset")?;
            return Ok(Step::Apodization { sigma: p.f64("sigma")?, offset: [offset[0], offset[1]] });
        }
        let (n, m, c) = (p.vec("n")?, p.vec("m")?, p.vec("coefficient")?);
        if n.len() != m.len() {
            return Err(Error::invalid(format!(
                "expected as many azimuthal orders as radial orders ({}), got {}",
                n.len(),
                m.len()
            ))
            .in_property("m"));
        }
        if c.len() != n.len() {
            return Err(Error::invalid(format!(
                "expected as many coefficients as Zernike terms ({}), got {}",
                n.len(),
                c.len()
            ))
            .in_property("coefficient"));
        }
        let terms: Vec<(u32, i32, f64)> = n
            .iter()
            .zip(&m)
            .zip(&c)
            .map(|((&n, &m), &c)| (n as u32, m as i32, c))
            .filter(|&(n, m, c)| (i64::from(n) - i64::from(m)) % 2 == 0 && c != 0.0)
            .collect();
        // |Rₙᵐ(ρ)| <= 1 on the pupil, so the phase is at most Σ |c| · √(2n + 2) (√(n + 1) for m = 0):
        // when that overflows, the phase does at some point of the pupil and exp(i·Z) is NaN there.
        let bound: f64 = terms
            .iter()
            .map(|&(n, m, c)| c.abs() * if m == 0 { f64::from(n + 1).sqrt() } else { f64::from(2 * n + 2).sqrt() })
            .sum();
        if bound.is_nan() || bound > MAX_PHASE {
            return Err(Error::invalid(format!(
                "the pupil's phase Σ coefficient · Zₙᵐ(ρ, θ) overflows: its bound on the pupil, Σ |coefficient| · \
                 √(2n + 2) (√(n + 1) for m = 0) over the terms (n, m, coefficient) {terms:?}, is {}, which exceeds \
                 the maximum of {}",
                Value::Float(bound),
                Value::Float(MAX_PHASE)
            ))
            .in_property("coefficient"));
        }
        Ok(Step::Zernike(terms))
    }

    /// The numbers the step depends on, as bits (a cache key).
    pub fn key(&self, out: &mut Vec<u64>) {
        match self {
            Step::Zernike(terms) => {
                out.push(1 + ((terms.len() as u64) << 8));
                for &(n, m, c) in terms {
                    out.extend([u64::from(n), m as i64 as u64, c.to_bits()]);
                }
            }
            Step::Apodization { sigma, offset } => {
                out.extend([2, sigma.to_bits(), offset[0].to_bits(), offset[1].to_bits()]);
            }
            Step::Callback(c) => c.key(out),
            Step::Array(a) => a.key(out),
        }
    }

    /// Applies the step to `pupil` (a callback runs user code: call it where a resolve may).
    pub fn apply(&self, pupil: &mut PupilField) -> Result<()> {
        match self {
            Step::Zernike(terms) => zernike(terms, pupil),
            Step::Apodization { sigma, offset } => apodize(*sigma, *offset, pupil),
            Step::Callback(c) => return c.apply(pupil),
            Step::Array(a) => return a.apply(pupil),
        }
        Ok(())
    }
}

/// `Zernike.get`: the pupil's non-zero points times `exp(i·Z)`, `Z` the sum of the terms at `(ρ, θ)`.
fn zernike(terms: &[(u32, i32, f64)], pupil: &mut PupilField) {
    if terms.is_empty() {
        return;
    }
    let largest = pupil.largest_radius((0.0, 0.0), 1.0);
    let radial: Vec<Vec<f64>> = terms.iter().map(|&(n, m, _)| radial_coefficients(n, m)).collect();
    for at in 0..pupil.values.len() {
        if pupil.values[at] == Complex64::new(0.0, 0.0) {
            continue;
        }
        let (y, x) = pupil.offsets(at);
        let rho = (x * x + y * y).sqrt() / largest;
        let theta = y.atan2(x);
        let mut z = 0.0;
        for (&(n, m, c), coefficients) in terms.iter().zip(&radial) {
            let mut r = 0.0;
            for (k, &ck) in coefficients.iter().enumerate() {
                r += ck * rho.powf(f64::from(n) - 2.0 * k as f64);
            }
            let n = f64::from(n);
            r = match m {
                0 => r * ((n + 1.0).sqrt() * c),
                m if m > 0 => r * (f64::from(m) * theta).cos() * ((2.0 * n + 2.0).sqrt() * c),
                m => r * (f64::from(-m) * theta).sin() * ((2.0 * n + 2.0).sqrt() * c),
            };
            z += r;
        }
        pupil.values[at] *= Complex64::new(z.cos(), z.sin());
    }
}

/// The coefficients of the radial polynomial `Rₙᵐ(ρ) = Σₖ cₖ ρ^(n−2k)`, `k = 0..=(n−|m|)/2`:
/// `cₖ = (−1)ᵏ (n−k)! / (k! ((n−m)/2−k)! ((n+m)/2−k)!)`, exact integers rounded once (as DeepTrack2's
/// integer division gives them). Empty when `|m| > n`.
fn radial_coefficients(n: u32, m: i32) -> Vec<f64> {
    let (n, m) = (i64::from(n), i64::from(m));
    if m.abs() > n {
        return Vec::new();
    }
    let binomial = |a: i64, b: i64| -> u128 {
        let mut c: u128 = 1;
        for i in 0..b {
            c = c * (a - i) as u128 / (i + 1) as u128;
        }
        c
    };
    (0..=(n - m.abs()) / 2)
        .map(|k| {
            // (n−k)! / (k! a! b!) with a + b = n − 2k: C(n−k, k) · C(n−2k, a).
            let a = (n - m) / 2 - k;
            let value = binomial(n - k, k) * binomial(n - 2 * k, a);
            if k % 2 == 0 { value as f64 } else { -(value as f64) }
        })
        .collect()
}

/// `GaussianApodization.get`: the pupil times `exp(−(ρ/σ)²)`, `ρ` measured from the centre moved by
/// `offset` (columns, rows) and normalised where the pupil is non-zero (outside, `ρ = ∞`).
fn apodize(sigma: f64, offset: [f64; 2], pupil: &mut PupilField) {
    let centre = (offset[1], offset[0]);
    let largest = pupil.largest_radius(centre, 0.5);
    for at in 0..pupil.values.len() {
        let (y, x) = pupil.offsets(at);
        let (y, x) = (y - centre.0, x - centre.1);
        // hypot of the halved offsets, as the normaliser: every point of a pupil whose centre is
        // moved far beyond the grid (up to f64::MAX on both axes) is at ρ ≈ 1 (DeepTrack2's x² + y²
        // overflows there, and its pupil is NaN everywhere).
        let mut rho = (x * 0.5).hypot(y * 0.5) / largest;
        if rho > 1.0 {
            rho = f64::INFINITY;
        }
        let r = rho / sigma;
        pupil.values[at] *= (-(r * r)).exp();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radial_coefficients_are_the_zernike_polynomials() {
        // R₄⁰ = 6ρ⁴ − 6ρ² + 1, R₃¹ = 3ρ³ − 2ρ, R₂² = ρ², R₃⁻³ = ρ³.
        assert_eq!(radial_coefficients(4, 0), [6.0, -6.0, 1.0]);
        assert_eq!(radial_coefficients(3, 1), [3.0, -2.0]);
        assert_eq!(radial_coefficients(3, -1), [3.0, -2.0]);
        assert_eq!(radial_coefficients(2, 2), [1.0]);
        assert_eq!(radial_coefficients(3, -3), [1.0]);
        assert!(radial_coefficients(1, 3).is_empty());
        // The largest order: R₆₀⁰'s constant term is (−1)³⁰ C(30, 30)·… = 1, its leading one C(60, 30).
        let c = radial_coefficients(60, 0);
        assert_eq!(c.len(), 31);
        assert_eq!(c[0], 118264581564861424.0);
        assert_eq!(c[30], 1.0);
    }

    fn disc(n: usize) -> PupilField {
        let values = (0..n * n)
            .map(|at| {
                let (i, j) = ((at / n) as f64 - n as f64 / 2.0, (at % n) as f64 - n as f64 / 2.0);
                Complex64::new(f64::from(u8::from(i * i + j * j < 9.0)), 0.0)
            })
            .collect();
        PupilField { n: [n, n], rows: 0..n, cols: 0..n, values }
    }

    #[test]
    fn zernike_multiplies_the_pupil_by_its_phase() {
        let mut p = disc(8);
        Step::Zernike(vec![(2, 0, 0.5)]).apply(&mut p).unwrap();
        // ρ is normalised by the farthest point inside, (6, 6) at √8 pixels from the centre (4, 4).
        // At the centre ρ = 0: Z = √3·0.5·(2·0 − 1); at (6, 6) ρ = 1: Z = √3·0.5; at (4, 6) ρ² = 1/2: Z = 0.
        let z0 = -(3f64.sqrt()) * 0.5;
        assert!((p.values[4 * 8 + 4] - Complex64::new(z0.cos(), z0.sin())).norm() < 1e-15);
        let z1 = 3f64.sqrt() * 0.5;
        assert!((p.values[6 * 8 + 6] - Complex64::new(z1.cos(), z1.sin())).norm() < 1e-15);
        assert!((p.values[4 * 8 + 6] - Complex64::new(1.0, 0.0)).norm() < 1e-15);
        assert_eq!(p.values[0], Complex64::new(0.0, 0.0));
    }

    #[test]
    fn a_pupil_of_one_point_has_rho_zero() {
        // The point (2, 2) of a 4 × 4 grid, its centre.
        let mut values = vec![Complex64::new(0.0, 0.0); 16];
        values[10] = Complex64::new(1.0, 0.0);
        let mut p = PupilField { n: [4, 4], rows: 0..4, cols: 0..4, values };
        // n = 2, m = 0 at ρ = 0: Z = √3·(−1).
        Step::Zernike(vec![(2, 0, 1.0)]).apply(&mut p).unwrap();
        Step::Apodization { sigma: 0.5, offset: [0.0, 0.0] }.apply(&mut p).unwrap();
        let z = -(3f64.sqrt());
        assert!((p.values[10] - Complex64::new(z.cos(), z.sin())).norm() < 1e-15);
        assert!(p.values.iter().enumerate().all(|(i, v)| i == 10 || *v == Complex64::new(0.0, 0.0)));
    }

    #[test]
    fn apodization_fades_the_pupil_towards_its_edge() {
        let mut p = disc(8);
        Step::Apodization { sigma: 0.5, offset: [0.0, 0.0] }.apply(&mut p).unwrap();
        assert_eq!(p.values[4 * 8 + 4], Complex64::new(1.0, 0.0));
        // ρ = 1 at (6, 6): exp(−4); ρ² = 1/2 at (4, 6): exp(−2).
        assert!((p.values[6 * 8 + 6].re - (-4f64).exp()).abs() < 1e-15);
        assert!((p.values[4 * 8 + 6].re - (-2f64).exp()).abs() < 1e-15);
        assert_eq!(p.values[0], Complex64::new(0.0, 0.0));
    }
}
