//! An optics' illumination (`illumination=`) may be any feature, as in DeepTrack2 2.0.1's
//! `Brightfield.get`: resolved on the complex unit field of the optics' FFT grid, its result is the
//! incoming field. Gradients keep their own path; noise on the field is drawn anew at each update and
//! reproducible under a seed; Fluorescence ignores its illumination; bad results are clear errors.

use deeptrack::{Feature, Image, Rule, Value, features};

fn feature(name: &str, props: &[(&str, Value)]) -> Feature {
    let f = features::builtin(name).unwrap_or_else(|| panic!("no feature {name}"));
    for (k, v) in props {
        f.set_property(k, Rule::constant(v.clone())).unwrap_or_else(|e| panic!("{name}.{k}: {e}"));
    }
    f
}

/// `optics_name` (a 32 × 40 region at 0.1 µm, padding 8) with `illumination` (no pupil).
fn optics(optics_name: &str, illumination: &Feature, extra: &[(&str, Value)]) -> Feature {
    let absent = None;
    let o = features::registry::build_optional(optics_name, vec![absent, Some(illumination.clone())]).unwrap();
    let mut props = vec![
        ("NA", Value::Float(0.7)),
        ("wavelength", Value::Float(532e-9)),
        ("resolution", Value::Float(1e-7)),
        ("magnification", Value::Int(1)),
        ("output_region", Value::vector(&[0.0, 0.0, 32.0, 40.0])),
        ("padding", Value::vector(&[8.0, 8.0, 8.0, 8.0])),
    ];
    props.extend(extra.iter().cloned());
    for (k, v) in props {
        o.set_property(k, Rule::constant(v)).unwrap();
    }
    o
}

fn sphere() -> Feature {
    feature(
        "Sphere",
        &[
            ("position", Value::vector(&[16.3, 19.6])),
            ("z", Value::Float(-2.0)),
            ("radius", Value::Float(4e-7)),
            ("refractive_index", Value::Float(1.45)),
            ("intensity", Value::Float(10.0)),
        ],
    )
}

fn image(scope: &Feature) -> Image {
    scope.resolve_one(None).unwrap().expect("an image")
}

fn largest_difference(a: &Image, b: &Image) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.as_slice().iter().zip(b.as_slice()).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

/// A constant illumination, `Multiply(value=c)` of the unit field or a `Value` of `c` (a number,
/// broadcast over the grid), is the gradient of constant `c − 1`: the same image, in every system
/// built on brightfield.
#[test]
fn a_constant_illumination_is_the_gradient_of_that_constant() {
    let gradient = feature("IlluminationGradient", &[("constant", Value::Float(0.5))]);
    for system in ["Brightfield", "Darkfield", "ISCAT"] {
        let expected = image(&Feature::microscope(&optics(system, &gradient, &[]), &sphere()).unwrap());
        let plain =
            image(&Feature::microscope(&optics(system, &feature("DummyFeature", &[]), &[]), &sphere()).unwrap());
        assert!(largest_difference(&expected, &plain) > 1e-2, "{system}: the constant changes the image");
        for light in
            [feature("Multiply", &[("value", Value::Float(1.5))]), feature("Value", &[("value", Value::Float(1.5))])]
        {
            let got = image(&Feature::microscope(&optics(system, &light, &[]), &sphere()).unwrap());
            let peak = expected.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(largest_difference(&got, &expected) <= 1e-12 * peak, "{system}, {}", light.label());
        }
    }
}

/// Gaussian noise on the incoming field (DeepTrack2's tutorial DTEx231I: `Gaussian(sigma=0.005) >>
/// Gaussian(sigma=0.005j)`): the image differs from the plain one, stays the same until an update,
/// changes with one, and is reproducible under a seed. The illumination's dicts are not recorded.
#[test]
fn noise_on_the_incoming_field_is_drawn_per_update_and_seeded() {
    let noise = Feature::chain(
        &feature("Gaussian", &[("sigma", Value::Float(0.005))]),
        &feature("Gaussian", &[("sigma", Value::Complex(0.0, 0.005))]),
    )
    .unwrap();
    let field = [("return_field", Value::Bool(true))];
    let plain =
        image(&Feature::microscope(&optics("Brightfield", &feature("DummyFeature", &[]), &field), &sphere()).unwrap());
    let scope = Feature::microscope(&optics("Brightfield", &noise, &field), &sphere()).unwrap();
    scope.store_properties(true);
    scope.seed(11).unwrap();
    let first = image(&scope);
    assert!(first.is_complex());
    let d = largest_difference(&first, &plain);
    assert!(d > 1e-3 && d < 0.2, "noise of 0.005 per sample on the field: {d}");
    // Both parts of the noisy field: the imaginary part gets noise too.
    let im_noise: Vec<f64> =
        first.as_slice().iter().zip(plain.as_slice()).skip(1).step_by(2).map(|(a, b)| a - b).collect();
    let rms = (im_noise.iter().map(|v| v * v).sum::<f64>() / im_noise.len() as f64).sqrt();
    assert!(rms > 1e-3 && rms < 0.05, "imaginary part's noise: {rms}");
    assert_eq!(largest_difference(&image(&scope), &first), 0.0, "the same until an update");
    scope.update().unwrap();
    let second = image(&scope);
    assert!(largest_difference(&second, &first) > 1e-3, "drawn again at an update");
    scope.seed(11).unwrap();
    assert_eq!(largest_difference(&image(&scope), &first), 0.0, "reproducible under the seed");
    let names: Vec<String> = first.properties().iter().filter_map(|d| d.get("name").map(|v| v.to_string())).collect();
    assert!(!names.iter().any(|n| n.contains("Gaussian")), "the illumination's dicts are not recorded: {names:?}");
}

/// Fluorescence ignores its illumination, whatever it is, as DeepTrack2 2.0.1 does (it never resolves it).
#[test]
fn fluorescence_ignores_any_illumination() {
    let bad = feature("Value", &[("value", Value::vector(&[1.0, 2.0, 3.0]))]);
    let lit = image(&Feature::microscope(&optics("Fluorescence", &bad, &[]), &sphere()).unwrap());
    let plain =
        image(&Feature::microscope(&optics("Fluorescence", &feature("DummyFeature", &[]), &[]), &sphere()).unwrap());
    assert_eq!(largest_difference(&lit, &plain), 0.0);
}

/// An illumination whose result is not a field of the grid (or one that broadcasts to it), or is not
/// finite, is an error naming the illumination.
#[test]
fn a_bad_illumination_result_is_an_error_naming_it() {
    let wrong = feature("Value", &[("value", Value::vector(&[1.0, 2.0, 3.0]))]);
    let scope = Feature::microscope(&optics("Brightfield", &wrong, &[]), &sphere()).unwrap();
    let e = scope.resolve_one(None).unwrap_err().to_string();
    assert!(e.contains("the illumination returned a field of shape [3], which does not broadcast"), "{e}");
    assert!(e.contains("[48, 64]") && e.contains("Value"), "{e}");
    let infinite = feature("Multiply", &[("value", Value::Float(f64::INFINITY))]);
    let scope = Feature::microscope(&optics("Brightfield", &infinite, &[]), &sphere()).unwrap();
    let e = scope.resolve_one(None).unwrap_err().to_string();
    assert!(e.contains("the illumination returned a non-finite value") && e.contains("Multiply"), "{e}");
}

/// A complex field (the noisy field above, a returned brightfield field) through the element-wise
/// kinds numpy defines on complex numbers and arithmetic with a real number, as DTEx231I's
/// `(optics(particle) >> Real()) & (optics(particle) >> Imag())` uses them.
#[test]
fn complex_fields_through_real_imag_and_arithmetic() {
    let mut field =
        Image::new(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[1, 2, 2]), vec![3.0, -4.0, -1.0, 0.0]).unwrap());
    field.set_complex(true).unwrap();
    let one = |kind: &str, props: &[(&str, Value)]| -> Image {
        feature(kind, props).resolve_one(Some(&field)).unwrap().expect("an image")
    };
    assert_eq!(one("Real", &[]).as_slice(), [3.0, -1.0]);
    assert_eq!(one("Imag", &[]).as_slice(), [-4.0, 0.0]);
    assert_eq!(one("Abs", &[]).as_slice(), [5.0, 1.0]);
    assert_eq!(one("Angle", &[]).as_slice(), [(-4f64).atan2(3.0), std::f64::consts::PI]);
    for img in [one("Real", &[]), one("Imag", &[]), one("Abs", &[])] {
        assert_eq!((img.shape(), img.is_complex()), (&[1, 2][..], false));
    }
    let conjugate = one("Conjugate", &[]);
    assert!(conjugate.is_complex());
    assert_eq!(conjugate.as_slice(), [3.0, 4.0, -1.0, -0.0]);
    let sum = one("Add", &[("value", Value::Float(1.0))]);
    assert!(sum.is_complex());
    assert_eq!(sum.as_slice(), [4.0, -4.0, 0.0, 0.0]);
    let product = one("Multiply", &[("value", Value::Float(2.0))]);
    assert!(product.is_complex());
    assert_eq!(product.as_slice(), [6.0, -8.0, -2.0, 0.0]);
    // The other element-wise functions are numpy's complex ones: sin(3 - 4i), sin(-1).
    let sine = one("Sin", &[]);
    assert!(sine.is_complex());
    let (s, c) = (3f64.sin(), 3f64.cos());
    let want = [s * 4f64.cosh(), -c * 4f64.sinh(), (-1f64).sin(), 0.0];
    for (got, want) in sine.as_slice().iter().zip(want) {
        assert!((got - want).abs() <= 1e-15 * want.abs().max(1.0), "{got} vs {want}");
    }
    // numpy has no complex floor: an error naming the kind.
    let e = feature("Floor", &[]).resolve_one(Some(&field)).unwrap_err().to_string();
    assert!(e.contains("Floor does not accept complex images"), "{e}");
}
