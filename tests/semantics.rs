//! Structural semantics that DeepTrack2 2.0.1 shows (values from `target/dt2-venv`, quoted in each
//! test): `Combine` on a list of inputs, the dicts of a feature given as a property, an arithmetic
//! feature whose value gives no image, `Crop` with a corner shorter than the axes and its random
//! corner within one update, `Pool` of complex images, and the order of properties.

mod common;

use common::kind_of;
use deeptrack::features::registry;
use deeptrack::{ErrorKind, Feature, Image, Rule, Value};

fn dicts(image: &Image) -> Vec<String> {
    image.properties().iter().map(|d| d.to_string()).collect()
}

fn ints(v: &[i64]) -> Value {
    Value::List(v.iter().map(|&x| Value::Int(x)).collect())
}

#[test]
fn combine_gives_one_image_per_feature_stacking_a_list_inputs_outputs() {
    // 2.0.1: Combine([Add(value=1), Multiply(value=3)])([zeros(2), ones(2)]) gives
    // [[f1(x0), f1(x1)], [f2(x0), f2(x1)]]; with stored properties two Images of the stacked lists,
    // each with the dict [{'name': 'Combine'}] alone.
    let add = kind_of("Add", &[("value", Value::Int(1))]);
    let mul = kind_of("Multiply", &[("value", Value::Int(3))]);
    let combine = registry::build("Combine", vec![add, mul]).unwrap();
    let inputs = [Image::zeros(&[2]), Image::from_slice(&[2], &[1.0, 1.0]).unwrap()];
    let out = combine.resolve_list(&inputs).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].shape(), [2, 2]);
    assert_eq!(out[0].as_slice(), [1.0, 1.0, 2.0, 2.0]);
    assert_eq!(out[1].as_slice(), [0.0, 0.0, 3.0, 3.0]);
    combine.store_properties(true);
    let out = combine.resolve_list(&inputs).unwrap();
    assert_eq!(dicts(&out[0]), ["{'name': 'Combine'}"]);
    assert_eq!(dicts(&out[1]), ["{'name': 'Combine'}"]);
    // One input: one image per feature, with its dicts (as before).
    let out = combine.resolve_list(&inputs[..1]).unwrap();
    assert_eq!(out.iter().map(|i| i.shape().to_vec()).collect::<Vec<_>>(), [[2], [2]]);
    assert_eq!(dicts(&out[0]), ["{'value': 1, 'name': 'Add'}", "{'name': 'Combine'}"]);
    // No input (a new Combine: one resolved before keeps its input): 2.0.1's Image([]) per feature,
    // of shape (0,).
    let fresh = registry::build(
        "Combine",
        vec![kind_of("Add", &[("value", Value::Int(1))]), kind_of("Multiply", &[("value", Value::Int(3))])],
    )
    .unwrap();
    let out = fresh.resolve_list(&[]).unwrap();
    assert_eq!(out.iter().map(|i| i.shape().to_vec()).collect::<Vec<_>>(), [[0], [0]]);
    // Images of different shapes cannot be one image.
    let ragged = [Image::zeros(&[2]), Image::zeros(&[3])];
    let err = combine.resolve_list(&ragged).unwrap_err();
    assert!(err.to_string().contains("stacked into one image"), "{err}");
    assert!(err.to_string().contains("needs one shape: got [2] and [3]"), "{err}");
}

#[test]
fn a_feature_given_as_a_parameter_joins_its_dicts_before_the_features_own() {
    // 2.0.1: Add(value=Value(value=2)) on x, properties stored:
    // [{'value': 2, 'name': 'Value'}, {'value': Image(array(2)), 'name': 'Add'}] (here the number).
    let value = kind_of("Value", &[("value", Value::Int(2))]);
    let add = registry::build("Add", Vec::new()).unwrap();
    add.set_property("value", Rule::feature_output(&value)).unwrap();
    add.store_properties(true);
    let out = add.resolve_one(Some(&Image::zeros(&[2, 3]))).unwrap().unwrap();
    assert_eq!(out.as_slice(), [2.0; 6]);
    assert_eq!(dicts(&out), ["{'value': 2, 'name': 'Value'}", "{'value': 2, 'name': 'Add'}"]);
    // After the input's dicts: Value(ones) >> Add(value=Value(2)) gives 2.0.1's
    // [Value(ones), Value(2), Add, Chain].
    let ones = kind_of("Value", &[("value", Value::vector(&[1.0, 1.0]))]);
    let chain = Feature::chain(&ones, &add).unwrap();
    chain.store_properties(true);
    let out = chain.resolve_one(None).unwrap().unwrap();
    let names: Vec<String> =
        out.get_properties("name").unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["Value", "Value", "Add", "Chain"]);
    // A property that is not a parameter of the kind is metadata: 2.0.1's DummyFeature(foo=Value(2))
    // records only its own dict.
    let dummy = registry::build("DummyFeature", Vec::new()).unwrap();
    dummy.set_property("foo", Rule::feature_output(&value)).unwrap();
    dummy.store_properties(true);
    let out = dummy.resolve_one(Some(&Image::zeros(&[1]))).unwrap().unwrap();
    assert_eq!(dicts(&out), ["{'foo': 2, 'name': 'DummyFeature'}"]);
    // Without stored properties nothing is recorded.
    add.store_properties(false);
    assert!(add.resolve_one(Some(&Image::zeros(&[1]))).unwrap().unwrap().properties().is_empty());
}

#[test]
fn an_arithmetic_value_giving_no_image_is_an_error_that_says_why() {
    // 2.0.1: (Add(value=1) + Multiply(value=2))(x) gives [] (Multiply resolved without input).
    let mul = kind_of("Multiply", &[("value", Value::Int(2))]);
    let add = registry::build("Add", Vec::new()).unwrap();
    add.set_property("value", Rule::feature_output(&mul)).unwrap();
    let err = add.resolve_one(Some(&Image::zeros(&[2]))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    let text = err.to_string();
    assert!(text.starts_with("property 'value' of feature 'Add': expected numbers, got no image"), "{text}");
    assert!(text.contains("resolved without input"), "{text}");
    // Without an input (a new feature: one resolved before keeps its input) there is nothing to
    // compute: no image, as in 2.0.1.
    let fresh = registry::build("Add", Vec::new()).unwrap();
    fresh.set_property("value", Rule::feature_output(&mul)).unwrap();
    assert!(fresh.resolve(None).unwrap().is_empty());
}

#[test]
fn crop_with_a_short_corner_crops_only_the_axes_it_gives() {
    // 2.0.1: CropToMultiplesOf(multiple=2, corner=(0,0))(zeros((5,5,3))) is (4,4,3);
    // Crop(crop=2, crop_mode="remove", corner=(0,0))(zeros((5,5,3))) is (3,3,3);
    // Crop(crop=2, corner=(0,0,0,0)) is (2,2,2); Crop(crop=(2,), corner=(0,0)) is (2,2,3) (one size
    // broadcasts); CropToMultiplesOf(multiple=2, corner=(1,)) is (4,5,3).
    let x = Image::zeros(&[5, 5, 3]);
    type Case = (&'static str, Vec<(&'static str, Value)>, [usize; 3]);
    let cases: [Case; 6] = [
        ("CropToMultiplesOf", vec![("multiple", Value::Int(2)), ("corner", ints(&[0, 0]))], [4, 4, 3]),
        ("CropToMultiplesOf", vec![("multiple", Value::Int(2)), ("corner", ints(&[1]))], [4, 5, 3]),
        (
            "Crop",
            vec![("crop", Value::Int(2)), ("crop_mode", Value::str("remove")), ("corner", ints(&[0, 0]))],
            [3, 3, 3],
        ),
        ("Crop", vec![("crop", Value::Int(2)), ("corner", ints(&[0, 0, 0, 0]))], [2, 2, 2]),
        ("Crop", vec![("crop", ints(&[2])), ("corner", ints(&[0, 0]))], [2, 2, 3]),
        ("Crop", vec![("crop", ints(&[2, 2, 2])), ("corner", ints(&[1, 1]))], [2, 2, 3]),
    ];
    for (name, props, shape) in cases {
        let f = kind_of(name, &props);
        assert_eq!(f.resolve_one(Some(&x)).unwrap().unwrap().shape(), shape, "{name} {props:?}");
    }
    // The corner's entries place the window on their axes.
    let ramp = Image::from_slice(&[3, 3, 2], &(0..18).map(f64::from).collect::<Vec<_>>()).unwrap();
    let f = kind_of("Crop", &[("crop", Value::Int(1)), ("corner", ints(&[2, 1]))]);
    assert_eq!(f.resolve_one(Some(&ramp)).unwrap().unwrap().as_slice(), [14.0, 15.0]);
}

#[test]
fn crops_random_corner_is_kept_until_update_for_images_of_one_shape() {
    // 2.0.1 reseeds np.random from the feature's seed before every image: the same corner for
    // every image of one shape until update(), with or without time_consistent.
    let ramp = Image::from_slice(&[6, 6], &(0..36).map(f64::from).collect::<Vec<_>>()).unwrap();
    let shifted = Image::from_slice(&[6, 6], &(0..36).map(|v| f64::from(v) + 100.0).collect::<Vec<_>>()).unwrap();
    for consistent in [false, true] {
        let crop = kind_of("Crop", &[("crop", ints(&[2, 2])), ("time_consistent", Value::Bool(consistent))]);
        crop.seed(5).unwrap();
        let mut corners = std::collections::BTreeSet::new();
        for _ in 0..20 {
            let a = crop.resolve_one(Some(&ramp)).unwrap().unwrap().as_slice()[0];
            let b = crop.resolve_one(Some(&shifted)).unwrap().unwrap().as_slice()[0];
            assert_eq!(b - 100.0, a, "a new input within one update keeps the corner");
            let list = crop.resolve_list(&[ramp.clone(), ramp.clone()]).unwrap();
            assert_eq!(list[0].as_slice(), list[1].as_slice(), "the images of a list share it");
            corners.insert(a as i64);
            crop.update().unwrap();
        }
        assert!(corners.len() > 5, "update draws new corners: {corners:?}");
    }
}

#[test]
fn pool_of_a_complex_image_reduces_complex_numbers() {
    // 2.0.1: Pool(np.median, ksize=2)(ones((2,2))*(1+2j)) is [[1+2j]]; Pool(np.mean, ksize=2) of
    // arange(9).reshape(3,3)*(1+2j) is [[2+4j, 1.75+3.5j], [3.25+6.5j, 2+4j]] (zero padding).
    let z: Vec<f64> = (0..9).flat_map(|v| [f64::from(v), 2.0 * f64::from(v)]).collect();
    let mut img = Image::from_slice(&[3, 3, 2], &z).unwrap();
    img.set_complex(true).unwrap();
    let mean = registry::build("Pool", vec![registry::build("Mean", Vec::new()).unwrap()]).unwrap();
    mean.set_property("ksize", Rule::constant(2.0)).unwrap();
    let out = mean.resolve_one(Some(&img)).unwrap().unwrap();
    assert!(out.is_complex());
    assert_eq!(out.shape(), [2, 2, 2]);
    assert_eq!(out.as_slice(), [2.0, 4.0, 1.75, 3.5, 3.25, 6.5, 2.0, 4.0]);
    let mut ones = Image::from_slice(&[2, 2, 2], &[1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0]).unwrap();
    ones.set_complex(true).unwrap();
    let median = registry::build("Pool", vec![registry::build("Median", Vec::new()).unwrap()]).unwrap();
    median.set_property("ksize", Rule::constant(2.0)).unwrap();
    let out = median.resolve_one(Some(&ones)).unwrap().unwrap();
    assert!(out.is_complex());
    assert_eq!((out.shape(), out.as_slice()), (&[1, 1, 2][..], &[1.0, 2.0][..]));
    // A function sees each block's complex numbers: the largest modulus, as a complex number.
    let largest = Feature::custom("pooling_function", |input, _| {
        let block = input.expect("a block");
        assert!(block.is_complex());
        let parts = block.as_slice().to_vec();
        let best = parts.chunks(2).max_by(|a, b| (a[0].hypot(a[1])).total_cmp(&b[0].hypot(b[1]))).unwrap();
        let mut out = Image::from_slice(&[2], best)?;
        out.set_complex(true)?;
        Ok(Some(out))
    });
    let pool = registry::build("Pool", vec![largest]).unwrap();
    pool.set_property("ksize", Rule::constant(2.0)).unwrap();
    let out = pool.resolve_one(Some(&img)).unwrap().unwrap();
    assert!(out.is_complex());
    assert_eq!(out.as_slice(), [4.0, 8.0, 5.0, 10.0, 7.0, 14.0, 8.0, 16.0]);
}
