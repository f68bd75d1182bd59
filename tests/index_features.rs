//! An index feature (`feature[other]`: `Slice(slices=[the output of other])`) that gives no image is
//! an error naming Slice and the index, not a new axis (DeepTrack2 2.0.1 indexes with its empty list,
//! a meaningless (0, ...) result); a `None` in the index is still a new axis.

use deeptrack::{ErrorKind, Feature, Image, Rule, Value, features};

fn slice_of(items: Vec<Rule>) -> Feature {
    let f = features::builtin("Slice").unwrap();
    f.set_property("slices", Rule::items(items, false).unwrap()).unwrap();
    f
}

fn add_one() -> Feature {
    let f = features::builtin("Add").unwrap();
    f.set_property("value", Rule::constant(1.0)).unwrap();
    f
}

#[test]
fn an_index_feature_giving_no_image_is_an_error_naming_the_item() {
    let x = Image::from_slice(&[3, 4], &(0..12).map(f64::from).collect::<Vec<_>>()).unwrap();
    for (items, item) in [
        (vec![Rule::feature_output(&add_one())], 0),
        (vec![Rule::constant(Value::str("1:")), Rule::feature_output(&add_one())], 1),
    ] {
        let err = slice_of(items).resolve_one(Some(&x)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TypeMismatch);
        let message = err.to_string();
        assert!(message.contains("feature 'Slice'") && message.contains("property 'slices'"), "{message}");
        assert!(message.contains(&format!("the feature given as item {item} of the index gave no image")), "{message}");
    }
    // The whole index a feature's output.
    let f = features::builtin("Slice").unwrap();
    f.set_property("slices", Rule::feature_output(&add_one())).unwrap();
    let message = f.resolve_one(Some(&x)).unwrap_err().to_string();
    assert!(message.contains("the feature given as the index gave no image"), "{message}");
}

#[test]
fn none_is_still_a_new_axis_and_a_feature_with_an_image_still_indexes() {
    let x = Image::from_slice(&[3, 4], &(0..12).map(f64::from).collect::<Vec<_>>()).unwrap();
    let out = slice_of(vec![Rule::constant(Value::None)]).resolve_one(Some(&x)).unwrap().unwrap();
    assert_eq!(out.shape(), &[1, 3, 4]);
    let one = features::builtin("Value").unwrap();
    one.set_property("value", Rule::constant(Value::Int(1))).unwrap();
    let out = slice_of(vec![Rule::feature_output(&one)]).resolve_one(Some(&x)).unwrap().unwrap();
    assert_eq!(out.shape(), &[4]);
    assert_eq!(out.contiguous().unwrap(), &[4.0, 5.0, 6.0, 7.0]);
}
