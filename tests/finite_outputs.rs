//! Finite inputs that cannot give a finite image are an error naming the property responsible, in
//! the feature where the user set it (issue 12): a scatterer's multiplier near f64::MAX, a noise
//! sigma whose draws overflow, a rescale factor, equal quantiles, an explicit Mie `L`, the optics'
//! wavelength or ISCAT's `amp_factor` handed to a Mie scatterer. And where DeepTrack2 2.0.1's
//! libraries give a finite result for a tiny sigma (scipy's Gaussian filter, OpenCV's bilateral
//! filter), the same result, never NaN with status OK.

mod common;

use common::kind_of;
use deeptrack::features::registry;
use deeptrack::{Feature, Image, Rule, Value};

fn optics(name: &str, props: &[(&str, Value)]) -> Feature {
    let o = kind_of(name, props);
    o.set_property("output_region", Rule::constant(Value::vector(&[0.0, 0.0, 16.0, 16.0]))).unwrap();
    o.set_property("padding", Rule::constant(Value::vector(&[4.0, 4.0, 4.0, 4.0]))).unwrap();
    o
}

fn microscope(sample: Feature, objective: Feature) -> Feature {
    registry::build("Microscope", vec![sample, objective]).unwrap()
}

fn error(pipeline: &Feature, input: Option<&Image>) -> String {
    pipeline.resolve(input).unwrap_err().to_string()
}

fn image(shape: &[usize], values: impl Fn(usize) -> f64) -> Image {
    let n: usize = shape.iter().product();
    Image::from_slice(shape, &(0..n).map(values).collect::<Vec<_>>()).unwrap()
}

/// A point particle whose multiplier is near f64::MAX makes the sums of its centre of mass overflow:
/// an error naming that property of the particle (it was a panic: "attempt to subtract with
/// overflow"), under Fluorescence and Brightfield; 1e300 still images.
#[test]
fn a_multiplier_near_the_largest_float_names_the_scatterers_property() {
    for (optics_kind, key, v) in [
        ("Fluorescence", "intensity", 1e308),
        ("Fluorescence", "intensity", -1e308),
        ("Fluorescence", "value", 1e308),
        ("Fluorescence", "intensity", f64::MAX),
        ("Brightfield", "intensity", 1e308),
        ("Brightfield", "refractive_index", 1e308),
    ] {
        let p = kind_of("PointParticle", &[("position", Value::vector(&[8.0, 8.0])), (key, Value::Float(v))]);
        let err = error(&microscope(p, optics(optics_kind, &[])), None);
        let shown = Value::Float(v).to_string();
        assert_eq!(
            err,
            format!(
                "property '{key}' of feature 'PointParticle': the centre of mass of the scatterer's volume times its \
                 {key} ({shown}) is not finite: its sums of |volume · {key}| · index overflow"
            ),
            "{optics_kind} {key} = {v}"
        );
    }
    let p = kind_of("PointParticle", &[("position", Value::vector(&[8.0, 8.0])), ("intensity", Value::Float(1e300))]);
    let out = microscope(p, optics("Fluorescence", &[])).resolve(None).unwrap();
    assert!(out[0].as_slice().iter().all(|v| v.is_finite()));
    assert!(out[0].as_slice().iter().any(|v| v.abs() > 1e290));
}

/// scipy's `gaussian_filter` leaves the axes whose sigma is at most 1e-15 as they are: the input, for
/// every sigma down to the smallest float (the kernel was NaN once σ² underflowed).
#[test]
fn a_gaussian_blur_of_tiny_sigma_is_the_input() {
    let x = image(&[4, 4], |i| i as f64);
    for sigma in [1e-15, 1e-160, 1e-300, 5e-324, f64::MIN_POSITIVE] {
        let out = kind_of("GaussianBlur", &[("sigma", Value::Float(sigma))]).resolve_one(Some(&x)).unwrap().unwrap();
        assert_eq!(out.as_slice(), x.as_slice(), "sigma {sigma}");
    }
    // Just above scipy's threshold the kernel has one tap (radius int(4σ + 0.5) = 0), weight 1.
    let out = kind_of("GaussianBlur", &[("sigma", Value::Float(2e-15))]).resolve_one(Some(&x)).unwrap().unwrap();
    assert_eq!(out.as_slice(), x.as_slice());
    // A real sigma still blurs.
    let out = kind_of("GaussianBlur", &[("sigma", Value::Float(1.0))]).resolve_one(Some(&x)).unwrap().unwrap();
    assert_ne!(out.as_slice(), x.as_slice());
}

/// OpenCV's bilateral filter weighs the centre (and equal values) by 1 for any sigma: a sigma_color or
/// sigma_space whose square underflows leaves the image as it is (cv2.bilateralFilter 5.0.0 returns
/// its input for these), with or without equal neighbours, 1 or 3 channels, `d` 3 or from sigma_space.
#[test]
fn a_bilateral_blur_of_tiny_sigma_is_the_input() {
    // Columns repeat every 7 samples: rows of 7 have equal neighbours along axis 0.
    let gray = image(&[6, 7], |i| (i % 7) as f64 * 0.25);
    let colour = image(&[6, 7, 3], |i| (i % 7) as f64 * 0.25);
    let tiny = [1e-160, 1e-300, 5e-324, f64::MIN_POSITIVE];
    for x in [&gray, &colour] {
        for d in [3, 0] {
            for &t in &tiny {
                for (sc, ss) in [(t, 50.0), (50.0, t), (t, t)] {
                    let f = kind_of(
                        "BilateralBlur",
                        &[("d", Value::Int(d)), ("sigma_color", Value::Float(sc)), ("sigma_space", Value::Float(ss))],
                    );
                    let out = f.resolve_one(Some(x)).unwrap().unwrap();
                    assert_eq!(out.as_slice(), x.as_slice(), "d {d}, sigma_color {sc}, sigma_space {ss}");
                }
            }
        }
    }
}

/// A noise sigma whose draws overflow is the error of `sigma`; `mu` plus finite noise that overflows
/// is `mu`'s.
#[test]
fn noise_that_overflows_names_its_parameter() {
    // 1024 draws: sigma 1e308 overflows when a draw exceeds 1.797 in magnitude, which 64 draws all
    // miss about once in 120 runs (0.928^64); 1024 miss it with a probability of 1e-33.
    let zeros = image(&[32, 32], |_| 0.0);
    for name in ["Gaussian", "ComplexGaussian"] {
        for sigma in [1e308, f64::MAX] {
            let f = kind_of(name, &[("sigma", Value::Float(sigma))]);
            let err = error(&f, Some(&zeros));
            assert!(
                err.starts_with(&format!(
                    "property 'sigma' of feature '{name}': the noise overflows: sigma ({}) times a standard normal \
                     draw is ",
                    Value::Float(sigma)
                )),
                "{err}"
            );
            assert!(err.ends_with("not a finite number (sigma is too large for the draws' magnitude)"), "{err}");
        }
        // 1e300: every draw is finite (and so is the image).
        let f = kind_of(name, &[("sigma", Value::Float(1e300))]);
        let out = f.resolve_one(Some(&zeros)).unwrap().unwrap();
        assert!(out.as_slice().iter().all(|v| v.is_finite()));
    }
    // mu near the largest float and a sigma whose every draw is finite: mu + noise overflows.
    let f = kind_of("Gaussian", &[("mu", Value::Float(f64::MAX)), ("sigma", Value::Float(1e307))]);
    let err = error(&f, Some(&zeros));
    assert!(err.starts_with("property 'mu' of feature 'Gaussian': mu + sigma · N(0, 1) overflows: mu ("), "{err}");
}

/// The other parameters that alone make a finite image non-finite: holography's rescale factor, equal
/// quantiles, a NormalizeMinMax range that overflows, an Affine scale whose reciprocal overflows.
#[test]
fn parameters_that_overflow_the_image_name_themselves() {
    let x = image(&[4, 4], |i| i as f64);
    let field = image(&[4, 4, 2], |i| 2.0 + (i % 2) as f64);
    let rescale = kind_of("Rescale", &[("rescale", Value::Float(1e308))]);
    assert_eq!(
        error(&rescale, Some(&field)),
        "property 'rescale' of feature 'Rescale': the rescaled field overflows: a sample of 3.0 becomes inf with \
         rescale 1e+308 ((c0 - 1) · rescale + 1, c1 · rescale)"
    );
    // 1e300 fits.
    let rescale = kind_of("Rescale", &[("rescale", Value::Float(1e300))]);
    assert!(rescale.resolve_one(Some(&field)).unwrap().unwrap().as_slice().iter().all(|v| v.is_finite()));
    for q in [0.5, 0.0, 1.0] {
        let f = kind_of("NormalizeQuantile", &[("quantiles", Value::vector(&[q, q]))]);
        assert_eq!(
            error(&f, Some(&x)),
            format!(
                "property 'quantiles' of feature 'NormalizeQuantile': the quantiles are equal ({0} and {0}): the spread \
                 between them is 0 for any image, and the normalised image (x - median) / spread is not finite",
                Value::Float(q)
            )
        );
    }
    assert_eq!(
        error(&kind_of("NormalizeMinMax", &[("min", Value::Float(1e308))]), Some(&x)),
        "property 'min' of feature 'NormalizeMinMax': the normalised range [min, min + |max - min|] overflows for min \
         1e+308 and max 1.0: the image would not be finite"
    );
    let f = kind_of("NormalizeMinMax", &[("min", Value::Float(-1e308)), ("max", Value::Float(f64::MAX))]);
    assert!(error(&f, Some(&x)).starts_with("property 'max' of feature 'NormalizeMinMax'"));
    // A constant image: DeepTrack2's NaN become 0, a finite image.
    let flat = image(&[4, 4], |_| 3.0);
    let f = kind_of("NormalizeMinMax", &[("min", Value::Float(1e308))]);
    assert!(f.resolve_one(Some(&flat)).unwrap().unwrap().as_slice().iter().all(|v| v.is_finite()));
    assert_eq!(
        error(&kind_of("Affine", &[("scale", Value::Float(5e-324))]), Some(&x)),
        "property 'scale' of feature 'Affine': the transform is not finite (matrix [[NaN, NaN], [NaN, NaN]]): 1 / \
         scale overflows for the scale [5e-324, 5e-324]"
    );
}

/// The arithmetic kinds keep numpy's semantics on the data: an overflow of `x · value` is numpy's
/// infinity with status OK (the README's policy).
#[test]
fn arithmetic_on_the_data_keeps_numpys_infinities() {
    let x = image(&[2, 2], |i| 2.0 + i as f64);
    let out = kind_of("Multiply", &[("value", Value::Float(1e308))]).resolve_one(Some(&x)).unwrap().unwrap();
    assert!(out.as_slice().iter().all(|v| *v == f64::INFINITY));
}

/// A Zernike phase too large to be a number is the error of the aberration's coefficient, and a
/// pupil whose radius underflows names NA when NA is the cause (it named the wavelength).
#[test]
fn aberrations_and_pupils_name_their_own_property() {
    let point = || kind_of("PointParticle", &[("position", Value::vector(&[8.0, 8.0]))]);
    let defocus = kind_of("Defocus", &[("coefficient", Value::Float(1e308))]);
    let o = registry::build_optional("Fluorescence", vec![Some(defocus), None]).unwrap();
    o.set_property("output_region", Rule::constant(Value::vector(&[0.0, 0.0, 16.0, 16.0]))).unwrap();
    o.set_property("padding", Rule::constant(Value::vector(&[4.0, 4.0, 4.0, 4.0]))).unwrap();
    assert_eq!(
        error(&microscope(point(), o), None),
        "property 'coefficient' of feature 'Defocus': the pupil's phase Σ coefficient · Zₙᵐ(ρ, θ) overflows: its \
         bound on the pupil, Σ |coefficient| · √(2n + 2) (√(n + 1) for m = 0) over the terms (n, m, coefficient) \
         [(2, 0, 1e308)], is 1.7320508075688772e+308, which exceeds the maximum of 8.988465674311579e+307"
    );
    let err = error(&microscope(point(), optics("Brightfield", &[("NA", Value::Float(5e-324))])), None);
    assert!(err.starts_with("property 'NA' of feature 'Brightfield': the pupil holds no frequency"), "{err}");
}

/// Mie scatterers blame the property responsible, where the user set it: an explicit L beyond what the
/// size supports (with complex numbers written as Python writes them), the optics' wavelength that
/// makes "auto" L huge, ISCAT's amp_factor.
#[test]
fn mie_errors_name_the_property_where_it_was_set() {
    for name in ["MieSphere", "MieStratifiedSphere"] {
        let s = kind_of(name, &[("position", Value::vector(&[16.0, 16.0])), ("L", Value::Int(300))]);
        let o = kind_of("Brightfield", &[("output_region", Value::vector(&[0.0, 0.0, 32.0, 32.0]))]);
        let err = error(&microscope(s, o), None);
        assert!(err.starts_with(&format!("property 'L' of feature '{name}': {name}'s Mie coefficients")), "{err}");
        assert!(err.contains("relative refractive indices [(1.0902255639097744+0j)])"), "{err}");
        assert!(
            err.ends_with(
                ": L = 300 expansion terms, where \"auto\" gives 18, reach orders whose coefficients overflow"
            )
        );
        assert!(!err.contains("Complex {"), "{err}");
        // L = 250 works.
        let s = kind_of(name, &[("position", Value::vector(&[16.0, 16.0])), ("L", Value::Int(250))]);
        let o = kind_of("Brightfield", &[("output_region", Value::vector(&[0.0, 0.0, 32.0, 32.0]))]);
        assert!(microscope(s, o).resolve(None).unwrap()[0].as_slice().iter().all(|v| v.is_finite()));
    }
    let mie = || kind_of("MieSphere", &[("position", Value::vector(&[8.0, 8.0]))]);
    assert_eq!(
        error(&microscope(mie(), optics("Brightfield", &[("wavelength", Value::Float(1e-12))])), None),
        "property 'wavelength' of feature 'Brightfield': \"auto\" gives 6283924 expansion terms for a radius of 1e-06 \
         m at wavelength 1e-12 m, which exceeds the maximum of 10000"
    );
    // A radius far beyond a microscope's is still the radius's.
    let big = kind_of("MieSphere", &[("position", Value::vector(&[8.0, 8.0])), ("radius", Value::Float(1e3))]);
    let err = error(&microscope(big, optics("Brightfield", &[])), None);
    assert!(err.starts_with("property 'radius' of feature 'MieSphere': \"auto\" gives 9519986216 expansion"), "{err}");
    assert_eq!(
        error(&microscope(mie(), optics("ISCAT", &[("amp_factor", Value::Float(1e-300))])), None),
        "property 'amp_factor' of feature 'ISCAT': MieSphere's field is not finite: the field divided by amp_factor \
         (1e-300) overflows"
    );
    // Set on the scatterer under optics that do not have it, it stays the scatterer's.
    let s = kind_of("MieSphere", &[("position", Value::vector(&[8.0, 8.0])), ("amp_factor", Value::Float(1e-300))]);
    let err = error(&microscope(s, optics("Brightfield", &[])), None);
    assert!(err.starts_with("property 'amp_factor' of feature 'MieSphere'"), "{err}");
    // An optics renamed: its label is named.
    let o = optics("Brightfield", &[("wavelength", Value::Float(1e-12)), ("name", Value::str("objective"))]);
    let err = error(&microscope(mie(), o), None);
    assert!(err.starts_with("property 'wavelength' of feature 'objective'"), "{err}");
}
