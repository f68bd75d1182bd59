//! Operands smaller than the image (an array broadcast against it: one element, 0-d, a row, a column,
//! a feature's image) are applied index by index after every view that leaves the samples out of C
//! order (`Transpose` with and without axes, `MoveAxis`, `FlipDiagonal`, the flips and crops): every
//! kind with an array-valued parameter gives on the view what it gives on the view's C-order copy
//! (applying them in the view's memory order read the operand in the wrong order), and the noise
//! kinds draw a view's noise as its copy's.

mod common;

use common::kind;
use deeptrack::{Feature, Image, Rule, Value};
use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

fn constant(v: Value) -> Rule {
    Rule::constant(v)
}

fn ints(v: &[i64]) -> Rule {
    constant(Value::List(v.iter().map(|&x| Value::Int(x)).collect()))
}

fn array(shape: &[usize], data: Vec<f64>) -> Value {
    Value::array(ArrayD::from_shape_vec(IxDyn(shape), data).unwrap())
}

/// Distinct values `offset + k · step` of a shape.
fn ramp(shape: &[usize], offset: f64, step: f64) -> Value {
    let n = shape.iter().product::<usize>();
    array(shape, (0..n).map(|k| offset + step * k as f64).collect())
}

/// A (4, 6, 5) input of distinct values, not symmetric in any axis.
fn base() -> Image {
    let data: Vec<f64> =
        (0..120).map(|i| 0.05 + 0.9 * ((i * 37 % 120) as f64 + 0.25 * (i % 7) as f64) / 122.0).collect();
    Image::from_slice(&[4, 6, 5], &data).unwrap()
}

/// The views of `x` whose samples are out of C order, each as the kind that makes it gives it.
fn views(x: &Image) -> Vec<(String, Image)> {
    let p1 = || constant(Value::Float(1.0));
    let makers: Vec<(&str, Feature)> = vec![
        ("Transpose", kind("Transpose", &[])),
        ("Transpose(axes=(2,0,1))", kind("Transpose", &[("axes", ints(&[2, 0, 1]))])),
        ("Transpose(axes=(1,0,2))", kind("Transpose", &[("axes", ints(&[1, 0, 2]))])),
        ("MoveAxis(0, -1)", kind("MoveAxis", &[("source", ints(&[0])), ("destination", ints(&[-1]))])),
        ("MoveAxis(2, 0)", kind("MoveAxis", &[("source", ints(&[2])), ("destination", ints(&[0]))])),
        ("FlipDiagonal", kind("FlipDiagonal", &[("p", p1())])),
        ("FlipLR", kind("FlipLR", &[("p", p1())])),
        ("FlipUD", kind("FlipUD", &[("p", p1())])),
        ("Crop", kind("Crop", &[("crop", ints(&[3, 4, 5])), ("corner", ints(&[1, 1, 0]))])),
    ];
    let mut out: Vec<(String, Image)> =
        makers.into_iter().map(|(name, f)| (name.to_owned(), f.resolve_one(Some(x)).unwrap().unwrap())).collect();
    // A flip of a transpose: both at once.
    let t = out[0].1.clone();
    let flip = kind("FlipLR", &[("p", p1())]).resolve_one(Some(&t)).unwrap().unwrap();
    out.push(("Transpose >> FlipLR".to_owned(), flip));
    for (name, v) in &out {
        assert!(v.is_permuted(), "{name} is a view out of C order");
    }
    out
}

/// The same samples in C order, as a new image.
fn c_order(img: &Image) -> Image {
    let mut out = Image::new(img.to_array().unwrap());
    if img.is_complex() {
        out.set_complex(true).unwrap();
    }
    out
}

/// The operands broadcast against an image of `shape`: one element, 0-d, a row, a column, a 2-d
/// block, the whole shape.
fn operands(shape: &[usize], offset: f64) -> Vec<(String, Value)> {
    let n = shape.len();
    let mut out = vec![
        ("0-d".to_owned(), array(&[], vec![offset + 0.375])),
        ("one element".to_owned(), array(&[1], vec![offset + 0.625])),
        ("a row".to_owned(), ramp(&[shape[n - 1]], offset, 0.125)),
        ("a column".to_owned(), ramp(&[shape[n - 2], 1], offset, 0.0625)),
        ("the last two axes".to_owned(), ramp(&shape[n - 2..], offset, 0.01)),
        ("the whole shape".to_owned(), ramp(shape, offset, 0.003)),
    ];
    if n == 3 {
        out.push(("the first axis".to_owned(), ramp(&[shape[0], 1, 1], offset, 0.25)));
    }
    out
}

fn assert_same(a: &Image, b: &Image, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shape");
    assert_eq!(a.dtype(), b.dtype(), "{what}: dtype");
    let (x, y) = (a.to_array().unwrap(), b.to_array().unwrap());
    for (i, (p, q)) in x.iter().zip(y.iter()).enumerate() {
        assert!(
            p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()),
            "{what}: sample {i}: {p} (view) != {q} (C order)"
        );
    }
}

/// `f` on `view` and on its C-order copy: the same result (or the same error).
fn check(f: &Feature, view: &Image, what: &str) {
    f.seed(7).unwrap();
    let a = f.resolve_one(Some(view));
    f.seed(7).unwrap();
    let b = f.resolve_one(Some(&c_order(view)));
    match (a, b) {
        (Ok(Some(a)), Ok(Some(b))) => assert_same(&a, &b, what),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}"),
        (a, b) => panic!("{what}: {a:?} (view) but {b:?} (C order)"),
    }
}

/// A kind, its array-valued parameter, and its other parameters.
type Case = (&'static str, &'static str, Vec<(&'static str, Rule)>);

/// Every kind with an array-valued parameter.
fn kinds() -> Vec<Case> {
    // The per-kind expectations of this test: the kinds whose `value` broadcasts.
    let arith = [
        "Add",
        "Subtract",
        "Multiply",
        "Divide",
        "FloorDivide",
        "Power",
        "GreaterThan",
        "LessThan",
        "GreaterThanOrEquals",
        "LessThanOrEquals",
        "Equals",
    ];
    let mut out: Vec<_> = arith.iter().map(|&k| (k, "value", vec![])).collect();
    out.extend([
        ("Background", "offset", vec![]),
        ("Offset", "offset", vec![]),
        ("Gaussian", "mu", vec![("sigma", constant(Value::Float(0.0)))]),
        ("Gaussian", "sigma", vec![("mu", constant(Value::Float(0.5)))]),
        ("Clip", "min", vec![("max", constant(Value::Float(0.8)))]),
        ("Clip", "max", vec![("min", constant(Value::Float(0.1)))]),
        ("NormalizeMinMax", "min", vec![("max", constant(Value::Float(3.0)))]),
        ("NormalizeMinMax", "max", vec![("min", constant(Value::Float(-1.0)))]),
        ("ComplexGaussian", "mu", vec![("sigma", constant(Value::Float(0.5)))]),
        ("ComplexGaussian", "sigma", vec![("mu", constant(Value::Float(0.5)))]),
        ("Poisson", "snr", vec![]),
        ("Poisson", "background", vec![("snr", constant(Value::Float(30.0)))]),
    ]);
    out
}

#[test]
fn array_operands_apply_index_by_index_after_every_view_out_of_c_order() {
    let x = base();
    let mut checked = 0;
    for (view_name, view) in views(&x) {
        for (name, key, others) in kinds() {
            for (operand_name, operand) in operands(view.shape(), 0.4) {
                let mut props = others.clone();
                props.push((key, constant(operand.clone())));
                let f = kind(name, &props);
                check(&f, &view, &format!("{name}({key} = {operand_name}) after {view_name}"));
                // The same operand as a feature's image (`A + Value(...)`, `Add(value=Value(...))`).
                let source = kind("Value", &[("value", constant(operand))]);
                props.pop();
                props.push((key, Rule::feature_output(&source)));
                let f = kind(name, &props);
                check(&f, &view, &format!("{name}({key} = Value({operand_name})) after {view_name}"));
                checked += 2;
            }
        }
    }
    assert!(checked > 1000, "{checked} cases");
}

#[test]
fn complex_operands_apply_index_by_index_after_every_view_out_of_c_order() {
    let x = base();
    for (view_name, view) in views(&x) {
        let s = view.shape();
        let row: Vec<Complex64> =
            (0..s[s.len() - 1]).map(|k| Complex64::new(0.25 * k as f64, 0.5 - 0.125 * k as f64)).collect();
        let row = Value::complex_array(ArrayD::from_shape_vec(IxDyn(&[row.len()]), row).unwrap());
        for name in ["Add", "Subtract", "Multiply", "Divide", "Power", "GreaterThan", "LessThanOrEquals", "Equals"] {
            let f = kind(name, &[("value", constant(row.clone()))]);
            check(&f, &view, &format!("{name}(value = a complex row) after {view_name}"));
        }
    }
}

#[test]
fn noise_of_a_view_out_of_c_order_is_the_noise_of_its_copy() {
    // Numbers as parameters: the draws follow the samples in C order (Poisson panicked on a view).
    let x = base();
    let cases: Vec<(&str, Vec<(&str, Rule)>)> = vec![
        ("Poisson", vec![("snr", constant(Value::Float(20.0)))]),
        ("Gaussian", vec![("sigma", constant(Value::Float(0.5)))]),
        ("ComplexGaussian", vec![("sigma", constant(Value::Float(0.5)))]),
    ];
    for (view_name, view) in views(&x) {
        for (name, props) in &cases {
            check(&kind(name, props), &view, &format!("{name} after {view_name}"));
        }
    }
}

#[test]
fn a_row_added_after_a_transpose_is_numpys() {
    // numpy: np.arange(6.).reshape(2, 3).T + [10, 20] is [[10, 23], [11, 24], [12, 25]].
    let x = Image::from_slice(&[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
    let t = kind("Transpose", &[]).resolve_one(Some(&x)).unwrap().unwrap();
    let add = kind("Add", &[("value", constant(array(&[2], vec![10.0, 20.0])))]);
    let out = add.resolve_one(Some(&t)).unwrap().unwrap();
    assert_eq!(out.shape(), &[3, 2]);
    assert_eq!(out.contiguous().unwrap(), &[10.0, 23.0, 11.0, 24.0, 12.0, 25.0]);
    // numpy: x.T - 1 (a feature's 0-d image) is [[-1, 2], [0, 3], [1, 4]].
    let one = kind("Value", &[("value", constant(Value::Float(1.0)))]);
    let sub = kind("Subtract", &[("value", Rule::feature_output(&one))]);
    let out = sub.resolve_one(Some(&t)).unwrap().unwrap();
    assert_eq!(out.contiguous().unwrap(), &[-1.0, 2.0, 0.0, 3.0, 1.0, 4.0]);
}
