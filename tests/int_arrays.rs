//! Integer arrays as property values (`Value::IntArray`, numpy's integer arrays): a property set to
//! one, or sampled by a function returning one, is recorded as one in the property dicts (DeepTrack2
//! 2.0.1 keeps the array itself), and wherever the library reads numbers it reads the array's values:
//! an arithmetic operand, `Pad`'s `px`, a `Slice` index, `OneOf`'s key, a `Value` of one (an int64
//! image, which reads back as an integer array).

mod common;

use common::{kind, one};
use deeptrack::dtype::Dtype;
use deeptrack::property_table::table_json;
use deeptrack::{Image, PropertyDict, Rule, Value, ValueKind};
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;

fn ints(shape: &[usize], v: &[i64]) -> Value {
    Value::int_array(ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap())
}

fn x() -> Image {
    Image::new(ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| (i[0] * 4 + i[1]) as f64))
}

#[test]
fn a_sampled_int_array_is_recorded_as_one() {
    // `pos=lambda: np.random.randint(0, 10, 2)` on an Add (an unknown keyword: kept as a property).
    let add = kind("Add", &[("value", Rule::constant(1i64)), ("pos", Rule::callback(|_| Ok(ints(&[2], &[4, 1]))))]);
    add.store_properties(true);
    let out = one(&add, Some(&Image::new(ArrayD::zeros(IxDyn(&[3])))));
    let pos = out.get_property("pos").unwrap();
    assert_eq!(pos.kind(), ValueKind::IntArray);
    assert_eq!(pos.as_int_array().unwrap().as_slice().unwrap(), [4, 1]);
    assert_eq!(pos.to_string(), "array([4, 1])");
    assert_eq!(add.get_property("pos").unwrap().kind(), ValueKind::IntArray);
    // The table gives the integers as JSON integers.
    assert_eq!(table_json(out.properties(), Some("pos")).unwrap(), r#"[{"value":1,"pos":[4,1],"name":"Add"}]"#);
}

#[test]
fn an_int_array_operand_is_its_values() {
    let input = Image::new(ArrayD::from_elem(IxDyn(&[3]), 0.5));
    let add = kind("Add", &[("value", Rule::constant(ints(&[3], &[1, 2, 3])))]);
    assert_eq!(one(&add, Some(&input)).as_slice(), [1.5, 2.5, 3.5]);
    let mul = kind("Multiply", &[("value", Rule::constant(ints(&[3], &[3, 2, -1])))]);
    assert_eq!(one(&mul, Some(&input)).as_slice(), [1.5, 1.0, -0.5]);
    // A one-element array where one number is read (OneOf's key, Gaussian's sigma).
    let key = ints(&[1], &[1]);
    assert_eq!(key.to_number().unwrap(), 1.0);
    let noise = kind("Gaussian", &[("mu", Rule::constant(0.0)), ("sigma", Rule::constant(ints(&[], &[0])))]);
    assert_eq!(one(&noise, Some(&input)).as_slice(), [0.5, 0.5, 0.5]);
}

#[test]
fn pad_px_and_crop_corner_read_int_arrays() {
    // DeepTrack2 2.0.1: Pad(px=np.array([1, 1, 2, 0])) of a 2 x 2 image is 4 x 4.
    let pad = kind("Pad", &[("px", Rule::constant(ints(&[4], &[1, 1, 2, 0])))]);
    let out = one(&pad, Some(&Image::new(ArrayD::from_elem(IxDyn(&[2, 2]), 1.0))));
    assert_eq!(out.shape(), [4, 4]);
    assert_eq!(out.as_slice()[4..8], [0.0, 0.0, 1.0, 1.0]);
    let crop = kind(
        "Crop",
        &[
            ("crop", Rule::constant(ints(&[2], &[2, 2]))),
            ("corner", Rule::constant(ints(&[2], &[1, 2]))),
            ("crop_mode", Rule::constant("remove")),
        ],
    );
    let out = one(&crop, Some(&x()));
    assert_eq!((out.shape(), out.as_slice()), (&[1, 2][..], &[6.0, 7.0][..]));
}

#[test]
fn an_int_array_index_takes_its_integers() {
    // As the whole index: its elements along the first axis (x[2, 0]).
    let out = one(&kind("Slice", &[("slices", Rule::constant(ints(&[2], &[2, 0])))]), Some(&x()));
    assert_eq!(out.as_slice(), [8.0]);
    // As an element: numpy's advanced indexing (x[[2, 0], 1:]); a 0-d one is an integer.
    let slices = Value::Tuple(vec![ints(&[2], &[2, 0]), Value::str("1:")]);
    let out = one(&kind("Slice", &[("slices", Rule::constant(slices))]), Some(&x()));
    assert_eq!(out.as_slice(), [9.0, 10.0, 11.0, 1.0, 2.0, 3.0]);
    let slices = Value::Tuple(vec![ints(&[], &[1]), ints(&[2], &[3, 0])]);
    let out = one(&kind("Slice", &[("slices", Rule::constant(slices))]), Some(&x()));
    assert_eq!(out.as_slice(), [7.0, 4.0]);
}

#[test]
fn a_value_of_an_int_array_is_an_int64_image_and_reads_back_as_one() {
    let v = kind("Value", &[("value", Rule::constant(ints(&[2, 2], &[1, 2, 3, 4])))]);
    let img = one(&v, None);
    assert_eq!((img.shape(), img.dtype(), img.as_slice()), (&[2, 2][..], Dtype::Int64, &[1.0, 2.0, 3.0, 4.0][..]));
    let back = img.to_value().unwrap();
    assert_eq!(back.as_int_array().unwrap().as_slice().unwrap(), [1, 2, 3, 4]);
    // As a property of another feature (feature output): Add(value=Value(int array)).
    let input = Image::new(ArrayD::from_elem(IxDyn(&[2, 2]), 0.5));
    let add = kind("Add", &[("value", Rule::feature_output(&v))]);
    add.store_properties(true);
    let sum = one(&add, Some(&input));
    assert_eq!(sum.as_slice(), [1.5, 2.5, 3.5, 4.5]);
    assert_eq!(add.get_property("value").unwrap().kind(), ValueKind::IntArray);
}

#[test]
fn setting_an_int_array_in_place_of_equal_floats_is_a_change() {
    let add = kind("Add", &[("value", Rule::constant(Value::vector(&[1.0, 2.0])))]);
    assert!(add.set_value("value", ints(&[2], &[1, 2])).unwrap());
    assert_eq!(add.get_property("value").unwrap().kind(), ValueKind::IntArray);
    assert!(!add.set_value("value", ints(&[2], &[1, 2])).unwrap());
}

/// A property's name and rule.
type Props = (&'static str, Rule);

/// The `position` an augmentation gives to an 8 x 10 image whose dict holds `position`.
fn moved_position(name: &str, props: &[(&str, Rule)], position: Value) -> Value {
    let mut img = Image::new(ArrayD::zeros(IxDyn(&[8, 10])));
    let mut d = PropertyDict::new();
    d.insert("position", position);
    img.append(Arc::new(d));
    let f = kind(name, props);
    f.store_properties(true);
    one(&f, Some(&img)).get_property("position").unwrap().clone()
}

#[test]
fn flips_crops_and_pads_keep_integer_positions_integers() {
    // DeepTrack2 2.0.1 (target/dt2-venv): `dt.Value(value=lambda: np.zeros((8, 10)), position=pos) >> aug`
    // gives an int64 position for an int64 array, a list or a tuple of ints, exact beyond 2^53 and
    // wrapping as numpy's int64 does; a list holding a float gives floats.
    let big = (1i64 << 62) + 1;
    let lr = [("p", Rule::constant(1.0))];
    let crop = [
        ("crop", Rule::constant(Value::Tuple(vec![Value::Int(5), Value::Int(6)]))),
        ("corner", Rule::constant(Value::Tuple(vec![Value::Int(2), Value::Int(3)]))),
    ];
    let list = |v: &[i64]| Value::List(v.iter().map(|&i| Value::Int(i)).collect());
    let pad = [("px", Rule::constant(list(&[1, 2, 3, 4])))];
    let cases: Vec<(&str, &[Props], Value, Value)> = vec![
        ("FlipLR", &lr, ints(&[2], &[3, 4]), ints(&[2], &[3, 5])),
        ("FlipLR", &lr, list(&[3, 4]), ints(&[2], &[3, 5])),
        ("FlipLR", &lr, Value::Tuple(vec![Value::Int(3), Value::Int(4)]), ints(&[2], &[3, 5])),
        ("FlipLR", &lr, ints(&[2, 2], &[1, 2, 3, 4]), ints(&[2, 2], &[1, 7, 3, 5])),
        ("FlipLR", &lr, ints(&[2], &[big, 5]), ints(&[2], &[big, 4])),
        ("FlipUD", &lr, ints(&[2], &[3, 4]), ints(&[2], &[4, 4])),
        ("FlipUD", &lr, ints(&[2, 2], &[1, 2, 3, 4]), ints(&[2, 2], &[6, 2, 4, 4])),
        ("FlipUD", &lr, ints(&[2], &[big, 5]), ints(&[2], &[-4611686018427387898, 5])),
        ("FlipDiagonal", &lr, ints(&[2], &[3, 4]), ints(&[2], &[4, 3])),
        ("FlipDiagonal", &lr, ints(&[2], &[big, 5]), ints(&[2], &[5, big])),
        ("Crop", &crop, ints(&[2], &[3, 4]), ints(&[2], &[1, 1])),
        ("Crop", &crop, list(&[3, 4]), ints(&[2], &[1, 1])),
        ("Crop", &crop, ints(&[2], &[big, 5]), ints(&[2], &[big - 2, 2])),
        ("Crop", &crop, ints(&[2, 2], &[1, 2, 3, 4]), ints(&[2, 2], &[-1, -1, 1, 1])),
        // Not in 2.0.1, whose Pad leaves positions (README): shifted by whole numbers, integers stay.
        ("Pad", &pad, ints(&[2], &[3, 4]), ints(&[2], &[4, 7])),
    ];
    for (name, props, given, expected) in cases {
        let got = moved_position(name, props, given.clone());
        assert!(got.equivalent(&expected), "{name} of {given}: {got:?}, expected {expected}");
    }
    // A float among the coordinates: floats, as np.array([3, 4.5]) is.
    let mixed = Value::List(vec![Value::Int(3), Value::Float(4.5)]);
    assert!(moved_position("FlipLR", &lr, mixed.clone()).equivalent(&Value::vector(&[3.0, 4.5])));
    assert!(moved_position("Crop", &crop, mixed).equivalent(&Value::vector(&[1.0, 1.5])));
    // Affine maps by any matrix: floats (2.0.1 truncates them into the int64 array: [5, 5] here).
    let affine = [("translate", Rule::constant(Value::Tuple(vec![Value::Int(1), Value::Int(2)])))];
    let got = moved_position("Affine", &affine, ints(&[2], &[3, 4]));
    assert!(got.equivalent(&Value::vector(&[5.0, 5.0])), "{got:?}");
}
