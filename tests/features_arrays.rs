//! Array features: numpy's padding modes, `Crop(crop=0)`, `GaussianBlur(sigma=0)`, the shape and
//! type features, `NormalizeQuantile`, `MedianBlur` and `MedianPooling`, beyond the fixtures
//! (tests/conformance.rs): expected values from numpy 2.4 and scipy 1.15, and the errors users get.

mod common;

use common::kind_of;
use deeptrack::{Feature, Image, Rule, Value, features};

fn run(f: &Feature, shape: &[usize], data: &[f64]) -> Image {
    f.resolve_one(Some(&Image::from_slice(shape, data).unwrap())).unwrap().unwrap()
}

fn error(f: &Feature, shape: &[usize], data: &[f64]) -> String {
    f.resolve(Some(&Image::from_slice(shape, data).unwrap())).unwrap_err().to_string()
}

fn ints(v: &[i64]) -> Value {
    Value::List(v.iter().map(|&x| Value::Int(x)).collect())
}

/// `(np.arange(12.).reshape(3, 4) ** 2) % 7`.
const A: [f64; 12] = [0.0, 1.0, 4.0, 2.0, 2.0, 4.0, 1.0, 0.0, 1.0, 4.0, 2.0, 2.0];

#[test]
fn pad_modes_are_numpys() {
    // np.pad(A, ((1, 2), (2, 1)), mode=m) (constant_values=5, end_values=5).
    let cases: [(&str, [f64; 42]); 10] = [
        (
            "constant",
            [
                5., 5., 5., 5., 5., 5., 5., 5., 5., 0., 1., 4., 2., 5., 5., 5., 2., 4., 1., 0., 5., 5., 5., 1., 4., 2.,
                2., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5.,
            ],
        ),
        (
            "edge",
            [
                0., 0., 0., 1., 4., 2., 2., 0., 0., 0., 1., 4., 2., 2., 2., 2., 2., 4., 1., 0., 0., 1., 1., 1., 4., 2.,
                2., 2., 1., 1., 1., 4., 2., 2., 2., 1., 1., 1., 4., 2., 2., 2.,
            ],
        ),
        (
            "linear_ramp",
            [
                5., 5., 5., 5., 5., 5., 5., 5., 2.5, 0., 1., 4., 2., 5., 5., 3.5, 2., 4., 1., 0., 5., 5., 3., 1., 4.,
                2., 2., 5., 5., 4., 3., 4.5, 3.5, 3.5, 5., 5., 5., 5., 5., 5., 5., 5.,
            ],
        ),
        (
            "maximum",
            [
                4., 4., 2., 4., 4., 2., 4., 4., 4., 0., 1., 4., 2., 4., 4., 4., 2., 4., 1., 0., 4., 4., 4., 1., 4., 2.,
                2., 4., 4., 4., 2., 4., 4., 2., 4., 4., 4., 2., 4., 4., 2., 4.,
            ],
        ),
        (
            "median",
            [
                2., 2., 1., 4., 2., 2., 2., 1.5, 1.5, 0., 1., 4., 2., 1.5, 1.5, 1.5, 2., 4., 1., 0., 1.5, 2., 2., 1.,
                4., 2., 2., 2., 2., 2., 1., 4., 2., 2., 2., 2., 2., 1., 4., 2., 2., 2.,
            ],
        ),
        (
            "minimum",
            [
                0., 0., 0., 1., 1., 0., 0., 0., 0., 0., 1., 4., 2., 0., 0., 0., 2., 4., 1., 0., 0., 1., 1., 1., 4., 2.,
                2., 1., 0., 0., 0., 1., 1., 0., 0., 0., 0., 0., 1., 1., 0., 0.,
            ],
        ),
        (
            "reflect",
            [
                1., 4., 2., 4., 1., 0., 1., 4., 1., 0., 1., 4., 2., 4., 1., 4., 2., 4., 1., 0., 1., 2., 4., 1., 4., 2.,
                2., 2., 1., 4., 2., 4., 1., 0., 1., 4., 1., 0., 1., 4., 2., 4.,
            ],
        ),
        (
            "symmetric",
            [
                1., 0., 0., 1., 4., 2., 2., 1., 0., 0., 1., 4., 2., 2., 4., 2., 2., 4., 1., 0., 0., 4., 1., 1., 4., 2.,
                2., 2., 4., 1., 1., 4., 2., 2., 2., 4., 2., 2., 4., 1., 0., 0.,
            ],
        ),
        (
            "wrap",
            [
                2., 2., 1., 4., 2., 2., 1., 4., 2., 0., 1., 4., 2., 0., 1., 0., 2., 4., 1., 0., 2., 2., 2., 1., 4., 2.,
                2., 1., 4., 2., 0., 1., 4., 2., 0., 1., 0., 2., 4., 1., 0., 2.,
            ],
        ),
        (
            "empty",
            [
                5., 5., 5., 5., 5., 5., 5., 5., 5., 0., 1., 4., 2., 5., 5., 5., 2., 4., 1., 0., 5., 5., 5., 1., 4., 2.,
                2., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5., 5.,
            ],
        ),
    ];
    for (mode, expected) in cases {
        let pad = kind_of(
            "Pad",
            &[("px", Value::vector(&[1.0, 2.0, 2.0, 1.0])), ("mode", Value::str(mode)), ("cval", Value::Int(5))],
        );
        let out = run(&pad, &[3, 4], &A);
        assert_eq!(out.shape(), [6, 7], "{mode}");
        assert_eq!(out.as_slice(), expected, "{mode}");
    }
    // The mean, to the last bit of numpy's.
    let pad = kind_of("Pad", &[("px", Value::vector(&[1.0, 2.0, 2.0, 1.0])), ("mode", Value::str("mean"))]);
    let out = run(&pad, &[3, 4], &A);
    assert_eq!(
        out.as_slice()[..9],
        [
            1.9166666666666667,
            1.9166666666666667,
            1.0,
            3.0,
            2.3333333333333335,
            1.3333333333333333,
            1.9166666666666667,
            1.75,
            1.75
        ]
    );
    // A mode that copies samples cannot extend an empty axis; the error says so.
    let pad = kind_of("Pad", &[("px", Value::vector(&[1.0, 1.0])), ("mode", Value::str("edge"))]);
    let err = error(&pad, &[0, 2], &[]);
    assert!(err.starts_with("property 'px' of feature 'Pad': cannot extend the empty axis 0"), "{err}");
    let err = features::builtin("Pad").unwrap().set_property("mode", Rule::constant(Value::str("mirror"))).unwrap_err();
    assert!(err.to_string().starts_with("property 'mode' of feature 'Pad': expected one of 'constant', "), "{err}");
}

#[test]
fn pad_modes_move_positions_by_the_padding_before() {
    let p = Feature::custom("P", |_, _| Ok(None));
    p.set_property("position", Rule::constant(Value::vector(&[1.0, 2.0]))).unwrap();
    let pad = kind_of("Pad", &[("px", Value::vector(&[3.0, 0.0, 1.0, 2.0])), ("mode", Value::str("reflect"))]);
    let pipe = Feature::chain(&p, &pad).unwrap();
    pipe.store_properties(true);
    let out = run(&pipe, &[3, 4], &A);
    assert_eq!(out.get_property("position").unwrap().to_f64_vec().unwrap(), [4.0, 3.0]);
}

#[test]
fn crop_zero_retains_one_sample_per_axis() {
    // DeepTrack2 2.0.1's test_Crop: the shapes of every crop mode on a (10, 10, 10) image.
    let image = vec![1.0; 1000];
    let cases: [(Value, &str, [usize; 3]); 6] = [
        (ints(&[3, 2, 1]), "remove", [7, 8, 9]),
        (ints(&[3, 2, 1]), "retain", [3, 2, 1]),
        (Value::Int(2), "remove", [8, 8, 8]),
        (Value::Int(2), "retain", [2, 2, 2]),
        (Value::Int(12), "remove", [1, 1, 1]),
        (Value::Int(0), "retain", [1, 1, 1]),
    ];
    for (crop, mode, shape) in cases {
        let f = kind_of("Crop", &[("crop", crop.clone()), ("crop_mode", Value::str(mode))]);
        assert_eq!(run(&f, &[10, 10, 10], &image).shape(), shape, "{crop} {mode}");
    }
    let f = kind_of("Crop", &[("crop", Value::Int(0)), ("crop_mode", Value::str("remove"))]);
    assert_eq!(run(&f, &[3, 4], &A).as_slice(), A);
    let f = kind_of("Crop", &[("crop", Value::Int(0)), ("corner", ints(&[2, 5]))]);
    assert_eq!(run(&f, &[3, 4], &A).as_slice(), [A[2 * 4 + 1]]);
}

#[test]
fn gaussian_blur_with_sigma_zero_is_the_input() {
    let f = kind_of("GaussianBlur", &[("sigma", Value::Int(0))]);
    let data = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(run(&f, &[2, 2], &data).as_slice(), data);
    let err = features::builtin("GaussianBlur").unwrap().set_property("sigma", Rule::constant(-0.5)).unwrap_err();
    assert_eq!(err.to_string(), "property 'sigma' of feature 'GaussianBlur': expected a non-negative number, got -0.5");
}

#[test]
fn axes_move_as_numpy_moves_them() {
    let x: Vec<f64> = (0..24).map(f64::from).collect();
    let t = kind_of("Transpose", &[("axes", ints(&[1, 0, 2]))]);
    let out = run(&t, &[2, 3, 4], &x);
    assert_eq!(out.shape(), [3, 2, 4]);
    assert_eq!(out.as_slice()[..8], [0., 1., 2., 3., 12., 13., 14., 15.]);
    let m = kind_of("MoveAxis", &[("source", ints(&[0, 1])), ("destination", ints(&[-1, 0]))]);
    let x120: Vec<f64> = (0..120).map(f64::from).collect();
    assert_eq!(run(&m, &[2, 3, 4, 5], &x120).shape(), [3, 4, 5, 2]);
    let u = kind_of("ExpandDims", &[("axis", ints(&[0, -1]))]);
    assert_eq!(run(&u, &[2, 3, 4], &x).shape(), [1, 2, 3, 4, 1]);
    // Errors name the property and say why.
    let t = kind_of("Transpose", &[("axes", ints(&[1, 0]))]);
    assert_eq!(
        error(&t, &[2, 3, 4], &x),
        "property 'axes' of feature 'Transpose': expected 3 axes for an image with 3 axes, got 2"
    );
    let t = kind_of("Transpose", &[("axes", ints(&[1, 1, 0]))]);
    assert_eq!(error(&t, &[2, 3, 4], &x), "property 'axes' of feature 'Transpose': axis 1 is repeated");
    let s = kind_of("Squeeze", &[("axis", Value::Int(0))]);
    assert_eq!(
        error(&s, &[2, 3, 4], &x),
        "property 'axis' of feature 'Squeeze': cannot remove axis 0 of length 2: only axes of length 1 can be"
    );
    let s = kind_of("Squeeze", &[("axis", Value::Int(3))]);
    assert_eq!(
        error(&s, &[2, 3, 4], &x),
        "property 'axis' of feature 'Squeeze': axis 3 is out of bounds for an image with 3 axes"
    );
    let c = features::builtin("ChannelFirst2d").unwrap();
    assert_eq!(
        error(&c, &[2, 3, 2, 2], &x),
        "feature 'ChannelFirst2d': ChannelFirst2d takes 2-d or 3-d images, got 4 axes"
    );
    let err = features::builtin("MoveAxis").unwrap().resolve(Some(&Image::zeros(&[2]))).unwrap_err();
    assert!(err.to_string().contains("'source'"), "{err}");
}

#[test]
fn one_hot_encodes_whole_class_numbers() {
    let f = kind_of("OneHot", &[("num_classes", Value::Int(3))]);
    // np.eye(3)[[0, 2, -1]], the last axis of one replaced.
    let out = run(&f, &[3, 1], &[0.0, 2.0, -1.0]);
    assert_eq!(out.shape(), [3, 3]);
    assert_eq!(out.as_slice(), [1., 0., 0., 0., 0., 1., 0., 0., 1.]);
    assert_eq!(run(&f, &[2], &[1.0, 0.0]).shape(), [2, 3]);
    assert_eq!(
        error(&f, &[2], &[1.0, 3.0]),
        "property 'num_classes' of feature 'OneHot': expected whole class numbers from -3 to 2, got 3"
    );
    assert_eq!(
        error(&f, &[1], &[0.5]),
        "property 'num_classes' of feature 'OneHot': expected whole class numbers from -3 to 2, got 0.5"
    );
    let err = features::builtin("OneHot").unwrap().set_property("num_classes", Rule::constant(2e9)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'num_classes' of feature 'OneHot': 2000000000 exceeds the maximum of 1000000000"
    );
}

#[test]
fn median_blur_is_scipys_median_filter() {
    // scipy.ndimage.median_filter(A, size=k), also on A[:, :, None] for k = 3.
    let cases: [(i64, [f64; 12]); 3] = [
        (3, [1., 1., 2., 2., 1., 2., 2., 2., 2., 2., 2., 2.]),
        (2, [0., 1., 4., 4., 2., 2., 4., 2., 2., 4., 4., 2.]),
        (4, [2., 2., 2., 2., 1., 1., 2., 2., 2., 2., 2., 2.]),
    ];
    for (k, expected) in cases {
        let f = kind_of("MedianBlur", &[("ksize", Value::Int(k))]);
        assert_eq!(run(&f, &[3, 4], &A).as_slice(), expected, "ksize {k}");
    }
    let f = features::builtin("MedianBlur").unwrap();
    assert_eq!(run(&f, &[3, 4, 1], &A).as_slice(), cases[0].1);
    // scipy.ndimage.median_filter(A, size=3, mode=m, cval=5); constant also on A[:, :, None], whose
    // window then holds the constant on both sides of the axis of one.
    let modes: [(&str, [f64; 12]); 4] = [
        ("constant", [5., 4., 4., 5., 4., 2., 2., 2., 5., 4., 4., 5.]),
        ("nearest", [1., 1., 2., 2., 1., 2., 2., 2., 2., 2., 2., 2.]),
        ("mirror", [2., 2., 1., 1., 2., 2., 2., 2., 4., 2., 2., 1.]),
        ("wrap", [2.; 12]),
    ];
    for (mode, expected) in modes {
        let f = kind_of("MedianBlur", &[("mode", Value::str(mode)), ("cval", Value::Int(5))]);
        assert_eq!(run(&f, &[3, 4], &A).as_slice(), expected, "{mode}");
    }
    let f = kind_of("MedianBlur", &[("mode", Value::str("constant")), ("cval", Value::Int(5))]);
    assert_eq!(run(&f, &[3, 4, 1], &A).as_slice(), [5.0; 12]);
    let f = kind_of("MedianBlur", &[("ksize", Value::Int(1025))]);
    assert_eq!(
        error(&f, &[3, 4], &A),
        "property 'ksize' of feature 'MedianBlur': a window of 1025^2 samples exceeds the maximum of 1048576"
    );
}

#[test]
fn normalize_quantile_checks_its_quantiles() {
    let f = features::builtin("NormalizeQuantile").unwrap();
    let err = f.set_property("quantiles", Rule::constant(Value::vector(&[0.2, 1.5]))).unwrap_err();
    assert_eq!(err.to_string(), "property 'quantiles' of feature 'NormalizeQuantile': 1.5 exceeds the maximum of 1");
    // np.quantile(A, (0.25, 0.75, 0.5)) = (1, 2.5, 2): (A - 2) / 1.5.
    let out = run(&f, &[3, 4], &A);
    assert_eq!(out.as_slice(), A.map(|v| (v - 2.0) / 1.5));
}

#[test]
fn crops_and_pads_to_multiples() {
    // DeepTrack2 2.0.1's test_CropToMultiple on an (11, 11, 11) image.
    let image = vec![1.0; 11 * 11 * 11];
    let cases: [(Value, [usize; 3]); 5] = [
        (Value::Int(2), [10, 10, 10]),
        (Value::Int(-1), [11, 11, 11]),
        (ints(&[2, 3, 5]), [10, 9, 10]),
        (ints(&[2, -1, 7]), [10, 11, 7]),
        (Value::List(vec![Value::Int(2), Value::Int(3), Value::None]), [10, 9, 11]),
    ];
    for (multiple, shape) in cases {
        let f = kind_of("CropToMultiplesOf", &[("multiple", multiple.clone())]);
        assert_eq!(run(&f, &[11, 11, 11], &image).shape(), shape, "{multiple}");
    }
    // PadToMultiplesOf: -n % m samples, half of them (rounded down) before; positions follow.
    let p = Feature::custom("P", |_, _| Ok(None));
    p.set_property("position", Rule::constant(Value::vector(&[1.0, 2.0]))).unwrap();
    let pad = kind_of("PadToMultiplesOf", &[("multiple", ints(&[4, 7]))]);
    let pipe = Feature::chain(&p, &pad).unwrap();
    pipe.store_properties(true);
    let out = run(&pipe, &[3, 4], &A);
    assert_eq!(out.shape(), [4, 7]);
    // Rows: 3 -> 4, none before (1 // 2) and one after; columns: 4 -> 7, one before and two after.
    assert_eq!(out.as_slice()[..7], [0.0, 0.0, 1.0, 4.0, 2.0, 0.0, 0.0]);
    assert_eq!(out.as_slice()[21..], [0.0; 7]);
    assert_eq!(out.get_property("position").unwrap().to_f64_vec().unwrap(), [1.0, 3.0]);
    let err = features::builtin("PadToMultiplesOf").unwrap().set_property("multiple", Rule::constant(0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'multiple' of feature 'PadToMultiplesOf': expected whole numbers from 1 to 1000000000, or -1 or None \
         to keep an axis, got 0"
    );
}

/// A feature that records `position` (for the ground truth that augmentations move).
fn positioned(position: &[f64]) -> Feature {
    let p = Feature::custom("P", |_, _| Ok(None));
    p.set_property("position", Rule::constant(Value::vector(position))).unwrap();
    p
}

#[test]
fn affine_moves_positions_with_the_image() {
    // A bright pixel at the recorded position lands where the moved position says, within the
    // interpolation's reach, for every transform.
    let (rows, cols) = (40, 48);
    let mut data = vec![0.0; rows * cols];
    data[13 * cols + 29] = 1.0;
    let transforms: [(f64, f64, [f64; 2], f64); 4] = [
        (1.0, 0.5, [0.0, 0.0], 0.0),
        (1.4, -2.0, [3.0, -2.0], 0.2),
        (0.7, 2.5, [-4.5, 1.5], -0.4),
        (1.0, 0.0, [6.0, 0.0], 0.6),
    ];
    for (scale, rotate, translate, shear) in transforms {
        let affine = kind_of(
            "Affine",
            &[
                ("scale", Value::Float(scale)),
                ("rotate", Value::Float(rotate)),
                ("translate", Value::vector(&translate)),
                ("shear", Value::Float(shear)),
                ("order", Value::Int(0)),
                ("mode", Value::str("constant")),
            ],
        );
        let pipe = Feature::chain(&positioned(&[13.0, 29.0]), &affine).unwrap();
        pipe.store_properties(true);
        let out = run(&pipe, &[rows, cols], &data);
        let moved = out.get_property("position").unwrap().to_f64_vec().unwrap();
        let hits: Vec<usize> = (0..rows * cols).filter(|&i| out.as_slice()[i] == 1.0).collect();
        assert!(!hits.is_empty(), "{rotate}: the pixel left the image");
        for i in hits {
            let (r, c) = ((i / cols) as f64, (i % cols) as f64);
            let reach = scale.max(1.0 / scale) * (1.0 + shear.abs());
            assert!(
                (r - moved[0]).abs() <= reach && (c - moved[1]).abs() <= reach,
                "{rotate}: ({r}, {c}) vs {moved:?}"
            );
        }
    }
}

#[test]
fn affine_with_random_properties_is_reproducible_under_seed_and_spread_as_drawn() {
    let make = || {
        let affine = features::builtin("Affine").unwrap();
        affine
            .set_property("rotate", Rule::callback(|ctx| Ok(Value::Float(ctx.uniform() * std::f64::consts::TAU))))
            .unwrap();
        affine
            .set_property("translate", Rule::callback(|ctx| Ok(Value::vector(&[ctx.uniform() * 4.0 - 2.0, 0.0]))))
            .unwrap();
        affine
    };
    let data: Vec<f64> = (0..64).map(|i| f64::from(i % 7)).collect();
    let (a, b) = (make(), make());
    a.seed(11).unwrap();
    b.seed(11).unwrap();
    let mut rotations = Vec::new();
    for _ in 0..200 {
        let (x, y) = (run(&a, &[8, 8], &data), run(&b, &[8, 8], &data));
        assert_eq!(x.as_slice(), y.as_slice());
        rotations.push(a.get_property("rotate").unwrap().as_f64().unwrap());
        a.update().unwrap();
        b.update().unwrap();
    }
    // Uniform on [0, 2π): mean π (sd of the mean 0.13), all in range, and not all alike.
    let mean = rotations.iter().sum::<f64>() / 200.0;
    assert!((mean - std::f64::consts::PI).abs() < 0.5, "{mean}");
    assert!(rotations.iter().all(|r| (0.0..std::f64::consts::TAU).contains(r)));
    let err = features::builtin("Affine").unwrap().set_property("order", Rule::constant(3)).unwrap_err();
    assert_eq!(err.to_string(), "property 'order' of feature 'Affine': 3 exceeds the maximum of 1");
    let err = features::builtin("Affine").unwrap().resolve(Some(&Image::zeros(&[4]))).unwrap_err();
    assert_eq!(err.to_string(), "feature 'Affine': expected a 2-d or 3-d image, got shape [4]");
}
