//! Math and augmentation features beyond the fixtures: positions follow flips in copies of the dicts
//! (never in upstream cached ones), and bad parameters are errors naming the property.

use deeptrack::{ErrorKind, Feature, Image, Rule, Value, features};

fn positioned(position: &[f64]) -> Feature {
    let p = Feature::custom("P", |_, _| Ok(None));
    p.set_property("position", Rule::constant(Value::vector(position))).unwrap();
    p
}

#[test]
fn flips_move_positions_in_copies_never_upstream() {
    // DeepTrack2 2.0.1 probe flip_mutation.py: P(position=[1,2]) >> FlipLR(p=1) on a (4,10) image.
    let p = positioned(&[1.0, 2.0]);
    let flip = features::builtin("FlipLR").unwrap();
    flip.set_property("p", Rule::constant(1.0)).unwrap();
    let pipe = Feature::chain(&p, &flip).unwrap();
    pipe.store_properties(true);
    let input = Image::zeros(&[4, 10]);
    let out = pipe.resolve_one(Some(&input)).unwrap().unwrap();
    assert_eq!(out.get_property("position").unwrap().to_f64_vec().unwrap(), [1.0, 7.0]);
    let names: Vec<String> = out.properties().iter().map(|d| d.to_string()).collect();
    assert_eq!(
        names,
        [
            "{'position': array([1.0, 7.0]), 'name': 'P'}",
            "{'time_consistent': False, 'p': 1.0, 'augment': True, 'name': 'FlipLR'}",
            "{'name': 'Chain'}"
        ]
    );
    // The cached upstream result still says [1, 2] (DeepTrack2 mutates it to [1, 7]).
    let upstream = p.resolve_one(None).unwrap().unwrap();
    assert_eq!(upstream.get_property("position").unwrap().to_f64_vec().unwrap(), [1.0, 2.0]);
    assert_eq!(p.get_property("position").unwrap().to_f64_vec().unwrap(), [1.0, 2.0]);

    for (kind, expected) in [("FlipUD", [2.0, 2.0]), ("FlipDiagonal", [2.0, 1.0])] {
        let p = positioned(&[1.0, 2.0]);
        let flip = features::builtin(kind).unwrap();
        flip.set_property("p", Rule::constant(1.0)).unwrap();
        let pipe = Feature::chain(&p, &flip).unwrap();
        pipe.store_properties(true);
        let out = pipe.resolve_one(Some(&input)).unwrap().unwrap();
        assert_eq!(out.get_property("position").unwrap().to_f64_vec().unwrap(), expected, "{kind}");
    }
    let diagonal = features::builtin("FlipDiagonal").unwrap();
    diagonal.set_property("p", Rule::constant(1.0)).unwrap();
    assert_eq!(diagonal.resolve_one(Some(&input)).unwrap().unwrap().shape(), [10, 4]);
}

#[test]
fn flips_happen_with_probability_p() {
    let flip = features::builtin("FlipUD").unwrap();
    flip.seed(3).unwrap();
    let input = Image::new(ndarray::arr2(&[[0.0], [1.0]]).into_dyn());
    let mut flipped = 0;
    for _ in 0..400 {
        flipped += usize::from(flip.resolve_one(Some(&input)).unwrap().unwrap().as_slice()[0] == 1.0);
        flip.update().unwrap();
    }
    assert!((150..250).contains(&flipped), "{flipped} of 400 flips at p = 0.5");
}

#[test]
fn math_parameters_are_checked() {
    let clip = features::builtin("Clip").unwrap();
    clip.set_property("min", Rule::constant(2.0)).unwrap();
    clip.set_property("max", Rule::constant(1.0)).unwrap();
    // numpy's clip where the bounds cross (DeepTrack2 2.0.1): `max` everywhere, NaN kept.
    let out = clip.resolve_one(Some(&Image::new(ndarray::arr1(&[0.0, 5.0, f64::NAN]).into_dyn()))).unwrap().unwrap();
    assert_eq!(out.as_slice()[..2], [1.0, 1.0]);
    assert!(out.as_slice()[2].is_nan());
    // None is no bound on that side, as numpy's `clip(x, None, 1)` (DeepTrack2 2.0.1).
    clip.set_property("min", Rule::constant(Value::None)).unwrap();
    let out = clip.resolve_one(Some(&Image::new(ndarray::arr1(&[-7.0, 0.5, 5.0]).into_dyn()))).unwrap().unwrap();
    assert_eq!(out.as_slice(), [-7.0, 0.5, 1.0]);
    clip.set_property("max", Rule::constant(Value::None)).unwrap();
    let out = clip.resolve_one(Some(&Image::new(ndarray::arr1(&[-7.0, 0.5, 5.0]).into_dyn()))).unwrap().unwrap();
    assert_eq!(out.as_slice(), [-7.0, 0.5, 5.0]);
    let blur = features::builtin("GaussianBlur").unwrap();
    let err = blur.set_property("sigma", Rule::constant(-1.0)).unwrap_err();
    assert_eq!(err.to_string(), "property 'sigma' of feature 'GaussianBlur': expected a non-negative number, got -1");
    let pool = features::builtin("SumPooling").unwrap();
    let err = pool.set_property("ksize", Rule::constant(Value::vector(&[2.0, 0.0]))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().starts_with("property 'ksize' of feature 'SumPooling'"), "{err}");
    // Sizes for the wrong number of axes are found when the image is known.
    pool.set_property("ksize", Rule::constant(Value::vector(&[2.0, 2.0, 2.0]))).unwrap();
    let err = pool.resolve(Some(&Image::zeros(&[2, 2]))).unwrap_err();
    assert_eq!(err.to_string(), "property 'ksize' of feature 'SumPooling': expected one size or 2 sizes, got 3");
    pool.set_property("ksize", Rule::constant(2_i64)).unwrap();
    let ones = Image::new(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[4, 4]), 1.0));
    assert_eq!(pool.resolve_one(Some(&ones)).unwrap().unwrap().as_slice(), [4.0; 4]);
    let norm = features::builtin("NormalizeStandard").unwrap();
    let out = norm.resolve_one(Some(&Image::new(ndarray::arr1(&[1.0, 3.0]).into_dyn()))).unwrap().unwrap();
    assert_eq!(out.as_slice(), [-1.0, 1.0]);
    let constant = features::builtin("NormalizeMinMax").unwrap();
    let out = constant.resolve_one(Some(&Image::new(ndarray::arr1(&[5.0, 5.0]).into_dyn()))).unwrap().unwrap();
    assert_eq!(out.as_slice(), [0.0, 0.0], "DeepTrack2 turns the NaNs of a constant image into zeros");
}

#[test]
fn pad_and_crop_keep_positions_in_the_output_frame() {
    let p = positioned(&[3.0, 4.0]);
    let pad = features::builtin("Pad").unwrap();
    pad.set_property("px", Rule::constant(Value::vector(&[1.0, 2.0, 3.0, 0.0]))).unwrap();
    let crop = features::builtin("Crop").unwrap();
    crop.set_property("crop", Rule::constant(Value::vector(&[4.0, 5.0]))).unwrap();
    crop.set_property("corner", Rule::constant(Value::vector(&[2.0, 1.0]))).unwrap();
    let pipe = Feature::chain(&Feature::chain(&p, &pad).unwrap(), &crop).unwrap();
    pipe.store_properties(true);
    let input = Image::new(ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[6, 8]), |ix| (ix[0] * 10 + ix[1]) as f64));
    let out = pipe.resolve_one(Some(&input)).unwrap().unwrap();
    assert_eq!(out.shape(), [4, 5]);
    // padded: 9x11, the input at rows 1..7, columns 3..11; cropped from (2, 1).
    assert_eq!(out.data()[[0, 2]], input.data()[[1, 0]]);
    assert_eq!(out.get_property("position").unwrap().to_f64_vec().unwrap(), [2.0, 6.0]);
    assert_eq!(p.get_property("position").unwrap().to_f64_vec().unwrap(), [3.0, 4.0]);
    // A random corner stays inside the image.
    let random = features::builtin("Crop").unwrap();
    random.set_property("crop", Rule::constant(Value::vector(&[3.0, 3.0]))).unwrap();
    for _ in 0..20 {
        assert_eq!(random.resolve_one(Some(&input)).unwrap().unwrap().shape(), [3, 3]);
        random.update().unwrap();
    }
    // A single number pads every axis by it on both sides (what DeepTrack2 2.0.1 evidently means: it
    // sets that up, then raises a TypeError on len(px); README, deliberate differences), and positions
    // move by it.
    let every = features::builtin("Pad").unwrap();
    every.set_property("px", Rule::constant(2_i64)).unwrap();
    every.set_property("mode", Rule::constant(Value::str("edge"))).unwrap();
    let pipe = Feature::chain(&positioned(&[3.0, 4.0]), &every).unwrap();
    pipe.store_properties(true);
    let out = pipe.resolve_one(Some(&input)).unwrap().unwrap();
    assert_eq!(out.shape(), [10, 12]);
    assert_eq!((out.data()[[0, 0]], out.data()[[9, 11]], out.data()[[2, 2]]), (0.0, 57.0, 0.0));
    assert_eq!(out.data()[[4, 7]], input.data()[[2, 5]]);
    assert_eq!(out.get_property("position").unwrap().to_f64_vec().unwrap(), [5.0, 6.0]);
    let err = every.set_property("px", Rule::constant(-1_i64)).unwrap_err();
    assert!(err.to_string().starts_with("property 'px' of feature 'Pad': "), "{err}");
    let err = every.set_property("px", Rule::constant(1.5)).unwrap_err();
    assert!(err.to_string().starts_with("property 'px' of feature 'Pad': "), "{err}");
    let bad = features::builtin("Pad").unwrap();
    bad.set_property("px", Rule::constant(Value::vector(&[1.0, 2.0, 3.0]))).unwrap();
    assert!(bad.resolve(Some(&input)).unwrap_err().to_string().starts_with("property 'px' of feature 'Pad'"));
}

/// The 4x5 image of the DeepTrack2 2.0.1 probe below: `(arange(20).reshape(4, 5) * 7 % 11) / 10 +
/// arange(20).reshape(4, 5) * 0.01`.
fn probe_image(channels: bool) -> Image {
    let x: Vec<f64> = (0..20).map(|i| ((i * 7) % 11) as f64 / 10.0 + i as f64 * 0.01).collect();
    Image::from_slice(if channels { &[4, 5, 1] } else { &[4, 5] }, &x).unwrap()
}

fn resolved(kind: &str, props: &[(&str, Value)], input: &Image) -> Image {
    let f = features::builtin(kind).unwrap();
    for (k, v) in props {
        f.set_property(k, Rule::constant(v.clone())).unwrap();
    }
    f.resolve_one(Some(input)).unwrap().unwrap()
}

fn assert_close(actual: &[f64], expected: &[f64], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() <= 1e-12 * e.abs().max(1.0), "{what}: {actual:?} != {expected:?}");
    }
}

#[test]
fn sizes_larger_than_the_image_give_deeptrack2s_results() {
    // DeepTrack2 2.0.1 on probe_image: kernels and blocks several times the image, which the native
    // code folds onto it (the work is bounded by the image, not by the parameter).
    let gauss1000 = [
        0.5849999663957623,
        0.5849999875851175,
        0.5850000087209215,
        0.5849999931688881,
        0.5850000144171135,
        0.5849999703627456,
        0.5849999915521017,
        0.585000012687905,
        0.5849999971358518,
        0.5850000183840963,
        0.5849999743136698,
        0.5849999955030045,
        0.585000016638828,
        0.5850000010867767,
        0.585000022335019,
        0.5849999782806523,
        0.5849999994699892,
        0.5850000206058115,
        0.5850000050537592,
        0.5850000263019822,
    ];
    let out = resolved("GaussianBlur", &[("sigma", Value::Float(1000.0))], &probe_image(false));
    assert_close(out.as_slice(), &gauss1000, "GaussianBlur(sigma=1000)");
    let gauss3 = [
        0.5568551225498128,
        0.5665999175998719,
        0.5823212579290993,
        0.5979804186850788,
        0.607623529943609,
        0.5592301390505873,
        0.5686777156847858,
        0.583917169438173,
        0.5990941041645699,
        0.6084391087376655,
        0.5625912645374137,
        0.5716176949185378,
        0.5861743273795089,
        0.6006679475323142,
        0.6095905285564448,
        0.5649667850927427,
        0.5736958114189921,
        0.5877702470855087,
        0.6017813195810796,
        0.6104055901142058,
    ];
    let out = resolved("GaussianBlur", &[("sigma", Value::Float(3.0))], &probe_image(false));
    assert_close(out.as_slice(), &gauss3, "GaussianBlur(sigma=3)");
    let mut box20 = Vec::new();
    for row in [0.5805, 0.585, 0.5895, 0.591] {
        box20.extend([row; 5]);
    }
    let out = resolved("AverageBlur", &[("ksize", Value::Int(20))], &probe_image(true));
    assert_eq!(out.shape(), [4, 5, 1]);
    assert_close(out.as_slice(), &box20, "AverageBlur(ksize=20)");
    let out = resolved("AveragePooling", &[("ksize", Value::Int(7))], &probe_image(false));
    assert_close(out.as_slice(), &[0.2387755102040816], "AveragePooling(ksize=7)");
    let negated = Image::from_slice(&[4, 5], &probe_image(false).as_slice().iter().map(|v| -v).collect::<Vec<_>>());
    let out = resolved("MaxPooling", &[("ksize", Value::Int(7))], &negated.unwrap());
    assert_eq!(out.as_slice(), [0.0], "the padding's zeros take part");
    // Crops larger than the image keep all of it; a huge corner wraps (Python's modulo).
    let big = Value::vector(&[1e18, 1e18]);
    let out = resolved("Crop", &[("crop", big), ("corner", Value::vector(&[0.0, 0.0]))], &probe_image(false));
    assert_eq!(out.shape(), [4, 5]);
    let props = [
        ("crop", Value::vector(&[1e18, 1.0])),
        ("crop_mode", Value::str("remove")),
        ("corner", Value::vector(&[3.0, 7.0])),
    ];
    let out = resolved("Crop", &props, &probe_image(false));
    assert_close(out.as_slice(), &[0.36, 1.07, 0.68, 0.29], "Crop(remove)");
}

#[test]
fn huge_sizes_on_tiny_images_return_at_once() {
    // Each of these ran for hours or could not allocate before (DeepTrack2 2.0.1 raises MemoryError
    // for the poolings); the work is bounded by the 2x2 image now. No timing assertion: a regression
    // would simply not finish.
    let tiny = Image::from_slice(&[2, 2], &[1.0, 2.0, 3.0, 4.0]).unwrap();
    let cases: [(&str, &str, Value, &[f64]); 6] = [
        ("MaxPooling", "ksize", Value::Int(1_000_000), &[4.0]),
        ("MinPooling", "ksize", Value::Float(9e15), &[0.0]),
        ("SumPooling", "ksize", Value::vector(&[1e15, 1.0]), &[4.0, 6.0]),
        ("AveragePooling", "ksize", Value::Int(1_000_000), &[10.0 / 1e12]),
        ("GaussianBlur", "sigma", Value::Float(features::math::MAX_SIGMA), &[2.5; 4]),
        // Rows shorter than ksize: boxed along the first axis only, as DeepTrack2 2.0.1.
        ("AverageBlur", "ksize", Value::Float(features::math::MAX_KSIZE - 1.0), &[2.0, 3.0, 2.0, 3.0]),
    ];
    for (kind, key, value, expected) in cases {
        let out = resolved(kind, &[(key, value)], &tiny);
        for (a, e) in out.as_slice().iter().zip(expected) {
            assert!((a - e).abs() < 1e-6, "{kind}: {:?} != {expected:?}", out.as_slice());
        }
    }
}

#[test]
fn limits_are_errors_that_state_the_maximum() {
    let cases: [(&str, &str, Value, &str); 6] = [
        ("GaussianBlur", "sigma", Value::Float(1e7), "10000000 exceeds the maximum of 1000000"),
        ("MaxPooling", "ksize", Value::Float(1e16), "1e16 exceeds the maximum of 9007199254740992"),
        ("AverageBlur", "ksize", Value::Int(i64::MAX), "9.223372036854776e18 exceeds the maximum"),
        ("Pad", "px", Value::vector(&[0.0, 2e9]), "2000000000 exceeds the maximum of 1000000000"),
        ("Pad", "px", Value::vector(&[0.0, -1.0]), "expected a non-negative integer, got -1"),
        ("AveragePooling", "ksize", Value::Float(2.5), "expected a positive integer, got 2.5"),
    ];
    for (kind, key, value, message) in cases {
        let f = features::builtin(kind).unwrap();
        let err = f.set_property(key, Rule::constant(value)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let expected = format!("property '{key}' of feature '{kind}': {message}");
        assert!(err.to_string().starts_with(&expected), "{err}");
    }
    let repeat = Feature::repeat(&features::builtin("DummyFeature").unwrap(), 2).unwrap();
    let err = repeat.set_property("N", Rule::constant(1_000_001_i64)).unwrap_err();
    assert_eq!(err.to_string(), "property 'N' of feature 'Repeat': 1000001 exceeds the maximum of 1000000");
    // A padding every side of which is allowed, but whose image cannot be allocated.
    let pad = features::builtin("Pad").unwrap();
    pad.set_property("px", Rule::constant(Value::vector(&[0.0, 1e9, 0.0, 1e9]))).unwrap();
    let err = pad.resolve(Some(&Image::zeros(&[2, 2]))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfMemory);
    assert_eq!(
        err.to_string(),
        "property 'px' of feature 'Pad': cannot allocate the padded image of shape [1000000002, 1000000002]"
    );
}

#[test]
fn a_broadcast_larger_than_both_operands_states_its_limit() {
    // (100000, 1) with (1, 100000): 10^10 samples, which neither operand bounds.
    let tall = Image::zeros(&[100_000, 1]);
    let wide = Value::array(ndarray::ArrayD::zeros(ndarray::IxDyn(&[1, 100_000])));
    for kind in ["Add", "Multiply", "Power", "GreaterThan"] {
        let f = features::builtin(kind).unwrap();
        f.set_property("value", Rule::constant(wide.clone())).unwrap();
        let err = f.resolve(Some(&tall)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            err.to_string(),
            format!(
                "property 'value' of feature '{kind}': broadcasting an image of shape [100000, 1] with a value of \
                 shape [1, 100000] gives 10000000000 samples, which exceeds the maximum of 268435456 for a result \
                 larger than both"
            )
        );
    }
    // Up to the limit (and whenever an operand is as large as the result) it computes.
    let f = features::builtin("Add").unwrap();
    f.set_property("value", Rule::constant(Value::vector(&[1.0, 2.0, 3.0]))).unwrap();
    let out = f.resolve_one(Some(&Image::from_slice(&[2, 1], &[10.0, 20.0]).unwrap())).unwrap().unwrap();
    assert_eq!(out.as_slice(), &[11.0, 12.0, 13.0, 21.0, 22.0, 23.0]);
    assert_eq!(features::structural::MAX_BROADCAST_SAMPLES, 1 << 28);
}

/// `ElasticTransformation` on a ramp (sample `i` holds `i`), without smoothing, linear and "nearest":
/// each output minus its index is the displacement there, `alpha · (2u - 1)` for `u` uniform.
fn elastic_displacements(seed: u64) -> Vec<f64> {
    let n = 20_000;
    let ramp: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let f = features::builtin("ElasticTransformation").unwrap();
    let props = [
        ("alpha", Value::Float(0.5)),
        ("sigma", Value::Float(0.0)),
        ("ignore_last_dim", Value::Bool(false)),
        ("order", Value::Int(1)),
        ("mode", Value::str("nearest")),
    ];
    for (k, v) in props {
        f.set_property(k, Rule::constant(v)).unwrap();
    }
    f.seed(seed).unwrap();
    f.update().unwrap();
    let out = f.resolve_one(Some(&Image::from_slice(&[n], &ramp).unwrap())).unwrap().unwrap();
    out.as_slice().iter().enumerate().skip(1).take(n - 2).map(|(i, v)| v - i as f64).collect()
}

#[test]
fn elastic_displacements_are_uniform_and_reproducible_under_seed() {
    let d = elastic_displacements(11);
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    // U[-0.5, 0.5): mean 0 (standard error 0.002), variance 1/12 (standard error 0.0005).
    assert!(mean.abs() < 0.01, "mean {mean}");
    assert!((var - 1.0 / 12.0).abs() < 0.003, "variance {var}");
    assert!(d.iter().all(|x| (-0.5..0.5).contains(x)), "a displacement outside [-0.5, 0.5)");
    let below = d.iter().filter(|&&x| x < 0.0).count() as f64 / n;
    assert!((below - 0.5).abs() < 0.015, "P(d < 0) = {below}");
    assert_eq!(d, elastic_displacements(11));
    assert_ne!(d, elastic_displacements(12));
}

/// A `Value` feature holding `data` of `shape`.
fn value_feature(shape: &[usize], data: &[f64]) -> Feature {
    let f = features::builtin("Value").unwrap();
    let array = Image::from_slice(shape, data).unwrap().to_array().unwrap();
    f.set_property("value", Rule::constant(Value::Array(std::sync::Arc::new(array)))).unwrap();
    f
}

#[test]
fn average_is_numpys_mean_of_the_stacked_outputs() {
    // DeepTrack2 2.0.1: Average([Value(arange(6).reshape(2, 3)), Value(ones((2, 3)))], axis=…).
    let a = value_feature(&[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let b = value_feature(&[2, 3], &[1.0; 6]);
    let average = |axis: Value| {
        let f = features::registry::build("Average", vec![a.clone(), b.clone()]).unwrap();
        f.set_property("axis", Rule::constant(axis)).unwrap();
        f.resolve_one(None).unwrap().unwrap()
    };
    let out = average(Value::Int(0));
    assert_eq!((out.shape(), out.as_slice()), (&[2, 3][..], &[0.5, 1.0, 1.5, 2.0, 2.5, 3.0][..]));
    let out = average(Value::Int(1));
    assert_eq!((out.shape(), out.as_slice()), (&[2, 3][..], &[1.5, 2.5, 3.5, 1.0, 1.0, 1.0][..]));
    let out = average(Value::None);
    assert_eq!((out.shape(), out.as_slice()), (&[][..], &[1.75][..]));
    let out = average(Value::List(vec![Value::Int(0), Value::Int(-1)]));
    assert_eq!((out.shape(), out.as_slice()), (&[2][..], &[1.0, 2.5][..]));
    // Outputs of different shapes cannot be stacked: an error naming the property.
    let c = value_feature(&[3], &[1.0, 2.0, 3.0]);
    let f = features::registry::build("Average", vec![a.clone(), c]).unwrap();
    let err = f.resolve_one(None).unwrap_err();
    assert!(err.to_string().contains("'features'") && err.to_string().contains("one shape"), "{err}");
    // At least one feature.
    assert!(features::registry::build("Average", vec![]).is_err());
}

#[test]
fn resize_checks_its_size_and_the_image() {
    let f = features::builtin("Resize").unwrap();
    let err = f.set_property("dsize", Rule::constant(Value::vector(&[0.0, 4.0]))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("'dsize'"), "{err}");
    let err = f.set_property("dsize", Rule::constant(Value::vector(&[3e9, 4.0]))).unwrap_err();
    assert!(err.to_string().contains("exceeds the maximum of 2147483647"), "{err}");
    f.set_property("dsize", Rule::constant(Value::vector(&[3.0, 2.0]))).unwrap();
    let err = f.resolve_one(Some(&Image::from_slice(&[2, 2, 2, 2], &[0.0; 16]).unwrap())).unwrap_err();
    assert!(err.to_string().contains("expected a 2-d or 3-d image"), "{err}");
    // (width, height) = (3, 2): a 4 x 5 image becomes 2 x 3; one channel is dropped, as OpenCV does.
    let out = f.resolve_one(Some(&Image::from_slice(&[4, 5, 1], &[1.0; 20]).unwrap())).unwrap().unwrap();
    assert_eq!((out.shape(), out.as_slice()), (&[2, 3][..], &[1.0; 6][..]));
}

#[test]
fn bilateral_blur_states_its_limits() {
    let f = features::builtin("BilateralBlur").unwrap();
    let err = f.set_property("d", Rule::constant(Value::Int(1000))).unwrap_err();
    assert!(err.to_string().contains("'d'") && err.to_string().contains("exceeds the maximum of 513"), "{err}");
    f.set_property("d", Rule::constant(Value::Int(0))).unwrap();
    f.set_property("sigma_space", Rule::constant(Value::Float(1000.0))).unwrap();
    let img = Image::from_slice(&[2, 2], &[0.0, 1.0, 2.0, 3.0]).unwrap();
    let err = f.resolve_one(Some(&img)).unwrap_err();
    assert!(err.to_string().contains("'sigma_space'") && err.to_string().contains("maximum of 256"), "{err}");
    f.set_property("sigma_space", Rule::constant(Value::Float(2.0))).unwrap();
    let err = f.resolve_one(Some(&Image::from_slice(&[2, 2, 2], &[0.0; 8]).unwrap())).unwrap_err();
    assert!(err.to_string().contains("1 or 3 channels"), "{err}");
}
