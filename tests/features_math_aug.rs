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
    let err = clip.resolve(Some(&Image::zeros(&[2]))).unwrap_err();
    assert_eq!(err.to_string(), "property 'min' of feature 'Clip': min (2) is greater than max (1)");
    let blur = features::builtin("GaussianBlur").unwrap();
    let err = blur.set_property("sigma", Rule::constant(-1.0)).unwrap_err();
    assert_eq!(err.to_string(), "property 'sigma' of feature 'GaussianBlur': expected a positive finite sigma, got -1");
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
    let bad = features::builtin("Pad").unwrap();
    bad.set_property("px", Rule::constant(Value::vector(&[1.0, 2.0, 3.0]))).unwrap();
    assert!(bad.resolve(Some(&input)).unwrap_err().to_string().starts_with("property 'px' of feature 'Pad'"));
}
