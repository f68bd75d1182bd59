//! Boolean arrays as property values (`Value::BoolArray`, numpy's bool arrays): a `Value` of one
//! resolves to a bool image; as an index it is a mask (as DeepTrack2 2.0.1 indexes with a bool
//! array), whether constant, sampled by a function, or a feature's output; numbers read from it are
//! its 0s and 1s; a boolean image read as a value (a comparison's output) is a boolean array.

mod common;

use common::{kind, one};
use deeptrack::dtype::Dtype;
use deeptrack::{Feature, Image, Rule, Value};
use ndarray::{ArrayD, IxDyn};

fn x() -> Image {
    Image::new(ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| (i[0] * 4 + i[1]) as f64))
}

fn rows() -> Value {
    Value::bool_array(ArrayD::from_shape_vec(IxDyn(&[3]), vec![true, false, true]).unwrap())
}

#[test]
fn a_value_of_a_bool_array_is_a_bool_image_and_reads_back_as_bools() {
    let v = kind("Value", &[("value", Rule::constant(rows()))]);
    let img = one(&v, None);
    assert_eq!((img.shape(), img.dtype(), img.as_slice()), (&[3][..], Dtype::Bool, &[1.0, 0.0, 1.0][..]));
    let back = v.get_property("value").unwrap();
    assert!(matches!(back, Value::BoolArray(_)), "{back:?}");
    assert_eq!(back.to_string(), "array([True, False, True])");
    assert!(back.equivalent(&rows()) && !back.equivalent(&Value::vector(&[1.0, 0.0, 1.0])));
    // The image read back as a value is the same boolean array.
    assert_eq!(img.to_value().unwrap().as_bool_array().unwrap(), rows().as_bool_array().unwrap());
    // Numbers read from it are 0 and 1, as numpy computes with bools.
    assert_eq!(rows().to_f64_vec().unwrap(), [1.0, 0.0, 1.0]);
    assert_eq!(*rows().to_array().unwrap(), ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0, 0.0, 1.0]).unwrap());
    let add = kind("Add", &[("value", Rule::constant(rows()))]);
    let sum = one(&add, Some(&Image::new(ArrayD::from_elem(IxDyn(&[3]), 2.0))));
    assert_eq!(sum.as_slice(), [3.0, 2.0, 3.0]);
}

#[test]
fn a_bool_array_index_is_a_mask() {
    let expected = [0.0, 1.0, 2.0, 3.0, 8.0, 9.0, 10.0, 11.0];
    // A constant, alone or as an element; a function returning one.
    for slices in [
        Rule::constant(rows()),
        Rule::constant(Value::Tuple(vec![rows(), Value::str("1:")])),
        Rule::callback(|_| Ok(rows())),
    ] {
        let out = one(&kind("Slice", &[("slices", slices)]), Some(&x()));
        assert_eq!(out.shape()[0], 2);
        assert_eq!(out.as_slice()[..out.shape()[1]], expected[4 - out.shape()[1]..4]);
    }
    // A 2-d mask over both axes: the selected samples, in C order.
    let mask = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| (i[0] + i[1]) % 3 == 0);
    let out = one(&kind("Slice", &[("slices", Rule::constant(Value::bool_array(mask)))]), Some(&x()));
    assert_eq!(out.as_slice(), [0.0, 3.0, 6.0, 9.0]);
    // A property of another feature holding the mask, in a list rule (feature[prop]).
    let holder = kind("DummyFeature", &[("m", Rule::constant(rows()))]);
    let slices = Rule::items(vec![Rule::property_of(&holder, "m").unwrap()], false).unwrap();
    let out = one(&kind("Slice", &[("slices", slices)]), Some(&x()));
    assert_eq!(out.as_slice(), expected);
}

#[test]
fn a_comparisons_output_read_as_a_value_is_a_bool_array() {
    let gt = kind("GreaterThan", &[("value", Rule::constant(4.5))]);
    let img = one(&gt, Some(&x()));
    let v = img.to_value().unwrap();
    let mask = v.as_bool_array().unwrap();
    assert_eq!(mask.shape(), [3, 4]);
    assert_eq!(mask.iter().filter(|&&b| b).count(), 7);
    // A feature's bool output, as an item of another feature's index (feature[mask_feature]).
    let input = kind("Value", &[("value", Rule::constant(Value::array(x().data().to_owned())))]);
    let mask_feature = Feature::chain(&input, &gt).unwrap();
    let slices = Rule::items(vec![Rule::feature_output(&mask_feature)], false).unwrap();
    let out = one(&kind("Slice", &[("slices", slices)]), Some(&x()));
    assert_eq!(out.as_slice(), [5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
}
