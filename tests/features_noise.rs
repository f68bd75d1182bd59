//! Noise features: seeded, statistically right, never modifying their input.

use deeptrack::{ErrorKind, Feature, Image, Rule, Value, features};
use ndarray::{ArrayD, IxDyn};

fn constant_image(value: f64, n: usize) -> Image {
    Image::new(ArrayD::from_elem(IxDyn(&[n, n]), value))
}

fn mean_and_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    (mean, x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n)
}

#[test]
fn gaussian_noise_has_the_requested_moments_and_is_seeded() {
    let noise = features::builtin("Gaussian").unwrap();
    noise.set_property("mu", Rule::constant(1.0)).unwrap();
    noise.set_property("sigma", Rule::constant(0.5)).unwrap();
    noise.seed(11).unwrap();
    let input = constant_image(2.0, 200);
    let a = noise.resolve_one(Some(&input)).unwrap().unwrap();
    let (mean, var) = mean_and_var(a.as_slice());
    assert!((mean - 3.0).abs() < 0.01 && (var - 0.25).abs() < 0.01, "mean {mean}, var {var}");
    noise.seed(11).unwrap();
    let b = noise.resolve_one(Some(&input)).unwrap().unwrap();
    assert_eq!(a.as_slice(), b.as_slice(), "the same seed gives the same noise");
    noise.update().unwrap();
    let c = noise.resolve_one(Some(&input)).unwrap().unwrap();
    assert_ne!(a.as_slice(), c.as_slice());
    let err = noise.set_property("sigma", Rule::constant(-1.0)).unwrap_err();
    assert_eq!(err.to_string(), "property 'sigma' of feature 'Gaussian': expected a non-negative number, got -1");
}

#[test]
fn poisson_noise_sets_the_snr_and_leaves_its_input_alone() {
    // A Value upstream whose cached output has a negative pixel (DeepTrack2 2.0.1 clips it in place).
    let value = features::builtin("Value").unwrap();
    let mut data = vec![1.0; 400 * 400];
    data[0] = -1.0;
    value
        .set_property(
            "value",
            Rule::constant(deeptrack::Value::array(ArrayD::from_shape_vec(IxDyn(&[400, 400]), data).unwrap())),
        )
        .unwrap();
    let poisson = features::builtin("Poisson").unwrap();
    poisson.set_property("snr", Rule::constant(10.0)).unwrap();
    let pipe = Feature::chain(&value, &poisson).unwrap();
    pipe.seed(5).unwrap();
    let out = pipe.resolve_one(None).unwrap().unwrap();
    assert_eq!(out.as_slice()[0], 0.0);
    let (mean, var) = mean_and_var(&out.as_slice()[1..]);
    // DeepTrack2's scaling, rescale = snr² / peak²: at peak 1, counts of mean snr² = 100, so the image
    // keeps mean 1 with standard deviation 1 / snr.
    assert!((mean - 1.0).abs() < 0.002 && (var.sqrt() - 0.1).abs() < 0.002, "mean {mean}, std {}", var.sqrt());
    assert_eq!(value.resolve_one(None).unwrap().unwrap().as_slice()[0], -1.0, "upstream result unchanged");
    let zeros = poisson.resolve_one(Some(&constant_image(0.0, 3))).unwrap().unwrap();
    assert_eq!(zeros.as_slice(), [0.0; 9], "an all-zero image stays zero");
    assert_eq!(poisson.set_property("snr", Rule::constant(0.0)).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn background_and_offset_add_a_constant() {
    for kind in ["Background", "Offset"] {
        let f = features::builtin(kind).unwrap();
        f.set_property("offset", Rule::constant(0.25)).unwrap();
        assert_eq!(f.resolve_one(Some(&constant_image(1.0, 2))).unwrap().unwrap().as_slice(), [1.25; 4]);
    }
}

/// A peak so large that `max_val / peak` is zero (or an infinite peak) cannot be rescaled: an error
/// naming `max_val`, never a panic (the fuzzer found `clamp` panicking on it). A peak that merely
/// crosses the bounds takes the upper one, as numpy's `clip` does.
#[test]
fn poisson_of_a_peak_beyond_max_val_is_an_error_naming_max_val() {
    let poisson = features::builtin("Poisson").unwrap();
    poisson.set_property("snr", Rule::constant(10.0)).unwrap();
    for (peak, max_val) in [(1e300, 1e-30), (f64::INFINITY, 1e8)] {
        poisson.set_property("max_val", Rule::constant(max_val)).unwrap();
        let mut img = constant_image(1.0, 4);
        img = img.with_data(ArrayD::from_shape_fn(IxDyn(&[4, 4]), |i| if i[0] == 0 && i[1] == 0 { peak } else { 1.0 }));
        let err = poisson.resolve_one(Some(&img)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        let text = err.to_string();
        assert!(text.starts_with("property 'max_val' of feature 'Poisson': the input's peak"), "{text}");
        assert!(text.contains("max_val / peak is 0e0"), "{text}");
        poisson.update().unwrap();
    }
    // max_val / peak below 1e-10 but positive: numpy's clip takes the upper bound and samples.
    poisson.set_property("max_val", Rule::constant(1e-3)).unwrap();
    let big = constant_image(1e8, 3);
    let out = poisson.resolve_one(Some(&big)).unwrap().unwrap();
    assert!(out.as_slice().iter().all(|x| x.is_finite()), "{:?}", out.as_slice());
}

#[test]
fn complex_gaussian_gives_complex_images_with_the_requested_moments() {
    let noise = features::builtin("ComplexGaussian").unwrap();
    noise.set_property("mu", Rule::constant(0.5)).unwrap();
    noise.set_property("sigma", Rule::constant(2.0)).unwrap();
    noise.seed(3).unwrap();
    let input = constant_image(1.0, 300);
    let a = noise.resolve_one(Some(&input)).unwrap().unwrap();
    // A real input becomes complex: its real and imaginary parts along a new last axis of 2.
    assert_eq!(a.shape(), [300, 300, 2]);
    assert!(a.is_complex() && !input.is_complex());
    let re: Vec<f64> = a.as_slice().iter().step_by(2).copied().collect();
    let im: Vec<f64> = a.as_slice().iter().skip(1).step_by(2).copied().collect();
    let ((mr, vr), (mi, vi)) = (mean_and_var(&re), mean_and_var(&im));
    assert!((mr - 1.5).abs() < 0.03 && (vr - 4.0).abs() < 0.1, "real part: mean {mr}, var {vr}");
    assert!(mi.abs() < 0.03 && (vi - 4.0).abs() < 0.1, "imaginary part: mean {mi}, var {vi}");
    let corr = re.iter().zip(&im).map(|(r, i)| (r - mr) * (i - mi)).sum::<f64>() / re.len() as f64;
    assert!(corr.abs() < 0.1, "the parts are independent: covariance {corr}");
    noise.seed(3).unwrap();
    assert_eq!(noise.resolve_one(Some(&input)).unwrap().unwrap().as_slice(), a.as_slice(), "seeded");

    // A complex input keeps its shape; noise is added to both parts, mu to the real part only.
    let quiet = features::builtin("ComplexGaussian").unwrap();
    quiet.set_property("mu", Rule::constant(0.25)).unwrap();
    quiet.set_property("sigma", Rule::constant(0.0)).unwrap();
    let mut z = Image::new(ArrayD::from_shape_vec(IxDyn(&[1, 2, 2]), vec![1.0, 2.0, -3.0, 4.0]).unwrap());
    z.set_complex(true).unwrap();
    let out = quiet.resolve_one(Some(&z)).unwrap().unwrap();
    assert_eq!(
        (out.shape(), out.as_slice(), out.is_complex()),
        ([1, 2, 2].as_slice(), [1.25, 2.0, -2.75, 4.0].as_slice(), true)
    );
    // Adding a real number changes the real parts and keeps the image complex (numpy's result); other
    // kinds (a comparison) compute on the parts as real numbers and give real images.
    let add = features::builtin("Add").unwrap();
    add.set_property("value", Rule::constant(1.0)).unwrap();
    let sum = add.resolve_one(Some(&out)).unwrap().unwrap();
    assert_eq!((sum.as_slice(), sum.is_complex()), ([2.25, 2.0, -1.75, 4.0].as_slice(), true));
    let greater = features::builtin("GreaterThan").unwrap();
    greater.set_property("value", Rule::constant(1.0)).unwrap();
    assert!(!greater.resolve_one(Some(&out)).unwrap().unwrap().is_complex());
    let err = Image::zeros(&[2, 3]).set_complex(true).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("last axis of length 2"), "{err}");
}

/// The real and imaginary parts of a complex image.
fn parts(img: &Image) -> (Vec<f64>, Vec<f64>) {
    let re = img.as_slice().iter().step_by(2).copied().collect();
    let im = img.as_slice().iter().skip(1).step_by(2).copied().collect();
    (re, im)
}

#[test]
fn gaussian_with_a_complex_sigma_gives_complex_noise_as_deeptrack2() {
    // DeepTrack2 2.0.1: `mu + image + randn(*shape) * sigma`, complex when sigma is (0.005j).
    let noise = features::builtin("Gaussian").unwrap();
    noise.set_property("mu", Rule::constant(Value::Complex(0.5, -1.0))).unwrap();
    noise.set_property("sigma", Rule::constant(Value::Complex(0.0, 2.0))).unwrap();
    noise.seed(5).unwrap();
    let input = constant_image(1.0, 300);
    let a = noise.resolve_one(Some(&input)).unwrap().unwrap();
    assert_eq!((a.shape(), a.is_complex()), ([300, 300, 2].as_slice(), true));
    let (re, im) = parts(&a);
    assert!(re.iter().all(|&r| r == 1.5), "an imaginary sigma leaves the real part x + mu");
    let (mi, vi) = mean_and_var(&im);
    assert!((mi + 1.0).abs() < 0.03 && (vi - 4.0).abs() < 0.1, "imaginary part: mean {mi}, var {vi}");
    noise.seed(5).unwrap();
    assert_eq!(noise.resolve_one(Some(&input)).unwrap().unwrap().as_slice(), a.as_slice(), "seeded");

    // A sigma with both parts scales one draw: the parts' deviations are in the ratio of sigma's.
    noise.set_property("mu", Rule::constant(0.0)).unwrap();
    noise.set_property("sigma", Rule::constant(Value::Complex(1.0, 3.0))).unwrap();
    let (re, im) = parts(&noise.resolve_one(Some(&input)).unwrap().unwrap());
    let ((mr, vr), (mi, vi)) = (mean_and_var(&re), mean_and_var(&im));
    assert!((mr - 1.0).abs() < 0.03 && (vr - 1.0).abs() < 0.03, "real part: mean {mr}, var {vr}");
    assert!(mi.abs() < 0.06 && (vi - 9.0).abs() < 0.25, "imaginary part: mean {mi}, var {vi}");
    assert!(re.iter().zip(&im).all(|(r, i)| ((r - 1.0) * 3.0 - i).abs() < 1e-12), "one draw per sample");

    // A complex input stays complex with a real sigma: the noise goes to the real parts.
    noise.set_property("sigma", Rule::constant(0.0)).unwrap();
    noise.set_property("mu", Rule::constant(Value::Complex(0.25, 0.5))).unwrap();
    let mut z = Image::new(ArrayD::from_shape_vec(IxDyn(&[1, 2, 2]), vec![1.0, 2.0, -3.0, 4.0]).unwrap());
    z.set_complex(true).unwrap();
    let out = noise.resolve_one(Some(&z)).unwrap().unwrap();
    assert_eq!(
        (out.shape(), out.as_slice(), out.is_complex()),
        ([1, 2, 2].as_slice(), [1.25, 2.5, -2.75, 4.5].as_slice(), true)
    );
    // A real mu and sigma on a real image keep it real.
    noise.set_property("mu", Rule::constant(1.0)).unwrap();
    let out = noise.resolve_one(Some(&constant_image(2.0, 3))).unwrap().unwrap();
    assert_eq!((out.shape(), out.is_complex(), out.as_slice()[0]), ([3, 3].as_slice(), false, 3.0));
}

#[test]
fn complex_gaussian_with_a_complex_sigma_and_mu() {
    let noise = features::builtin("ComplexGaussian").unwrap();
    noise.set_property("mu", Rule::constant(Value::Complex(1.0, -2.0))).unwrap();
    noise.set_property("sigma", Rule::constant(Value::Complex(1.0, 2.0))).unwrap();
    noise.seed(11).unwrap();
    let input = constant_image(0.5, 300);
    let a = noise.resolve_one(Some(&input)).unwrap().unwrap();
    let (re, im) = parts(&a);
    // (a + ib)(1 + 2i) = (a - 2b) + i(2a + b): each part of variance 5, uncorrelated.
    let ((mr, vr), (mi, vi)) = (mean_and_var(&re), mean_and_var(&im));
    assert!((mr - 1.5).abs() < 0.05 && (vr - 5.0).abs() < 0.15, "real part: mean {mr}, var {vr}");
    assert!((mi + 2.0).abs() < 0.05 && (vi - 5.0).abs() < 0.15, "imaginary part: mean {mi}, var {vi}");
    let cov = re.iter().zip(&im).map(|(r, i)| (r - mr) * (i - mi)).sum::<f64>() / re.len() as f64;
    assert!(cov.abs() < 0.15, "covariance {cov}");
    noise.seed(11).unwrap();
    assert_eq!(noise.resolve_one(Some(&input)).unwrap().unwrap().as_slice(), a.as_slice(), "seeded");
}

#[test]
fn complex_noise_parameters_are_checked() {
    let noise = features::builtin("Gaussian").unwrap();
    let err = noise.set_property("sigma", Rule::constant(Value::Complex(f64::NAN, 1.0))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'sigma' of feature 'Gaussian': expected a complex number with finite parts, got (nan+1j)"
    );
    let err = noise.set_property("sigma", Rule::constant(-0.5)).unwrap_err();
    assert_eq!(err.to_string(), "property 'sigma' of feature 'Gaussian': expected a non-negative number, got -0.5");
    let err = noise.set_property("mu", Rule::constant(Value::str("dark"))).unwrap_err();
    assert_eq!(err.to_string(), "property 'mu' of feature 'Gaussian': expected numbers, got a string");
    let cg = features::builtin("ComplexGaussian").unwrap();
    let err = cg.set_property("mu", Rule::constant(Value::Complex(0.0, f64::INFINITY))).unwrap_err();
    assert!(err.to_string().starts_with("property 'mu' of feature 'ComplexGaussian': expected a complex"), "{err}");
}
