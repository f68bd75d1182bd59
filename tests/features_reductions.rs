//! DeepTrack2 2.0.1's `elementwise` and `statistics` features against its own outputs: every case of
//! `tests/fixtures/deeptrack-2.0.1/reductions/manifest.json` (2-d, 3-d and 0-d inputs with negative
//! values, zeros, halves, NaN and infinities; axes as None, ints, negative ints and tuples; keepdims;
//! lists of images with `distributed=False`) is built by kind name and must give DeepTrack2's shape,
//! its NaN and infinities where it has them, and its finite values to 1e-12 relative. Also: both
//! forms `Sin(feature)` and `feature >> Sin()`, the property dicts, and the errors of bad axes.

use std::path::PathBuf;

use deeptrack::features::registry;
use deeptrack::{Feature, Image, Rule, Value};
use serde_json::Value as Json;

mod npy;
use npy::read_npy;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1/reductions")
}

fn number(j: &Json) -> f64 {
    match j {
        Json::String(s) => s.parse().unwrap(),
        other => other.as_f64().unwrap(),
    }
}

fn array(j: &Json) -> Image {
    let shape: Vec<usize> = j["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> = j["data"].as_array().unwrap().iter().map(number).collect();
    Image::from_slice(&shape, &data).unwrap()
}

fn value(j: &Json) -> Value {
    match j {
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) if n.is_i64() => Value::Int(n.as_i64().unwrap()),
        Json::Number(n) => Value::Float(n.as_f64().unwrap()),
        Json::Array(items) if items.iter().all(Json::is_i64) => {
            Value::List(items.iter().map(|x| Value::Int(x.as_i64().unwrap())).collect())
        }
        Json::Array(items) => Value::vector(&items.iter().map(number).collect::<Vec<_>>()),
        _ => Value::None,
    }
}

fn build(spec: &Json) -> Feature {
    let name = spec["feature"].as_str().unwrap();
    let f = registry::build(name, Vec::new()).unwrap_or_else(|e| panic!("{name}: {e}"));
    for (k, v) in spec["properties"].as_object().into_iter().flatten() {
        f.set_property(k, Rule::constant(value(v))).unwrap_or_else(|e| panic!("{name}.{k}: {e}"));
    }
    f
}

/// Whether `got` is DeepTrack2's `want`: the same NaN and infinities, finite values to 1e-12
/// relative (1e-300 absolute for zeros).
fn close(got: f64, want: f64) -> bool {
    if want.is_nan() || want.is_infinite() {
        return got.to_bits() == want.to_bits() || (want.is_nan() && got.is_nan());
    }
    (got - want).abs() <= 1e-12 * want.abs().max(1e-288)
}

#[test]
fn every_case_matches_deeptrack2() {
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(dir().join("manifest.json")).unwrap()).unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    assert!(cases.len() >= 190, "the manifest has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let specs = case["pipeline"].as_array().unwrap();
        let mut f = build(&specs[0]);
        for spec in &specs[1..] {
            f = Feature::chain(&f, &build(spec)).unwrap();
        }
        let inputs: Vec<Image> = match case.get("inputs") {
            Some(list) => list.as_array().unwrap().iter().map(array).collect(),
            None => vec![array(&case["input"])],
        };
        let out = f.resolve_list(&inputs).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(out.len(), 1, "{id}: one image");
        let (shape, want) = read_npy(&dir().join(case["expected"].as_str().unwrap()));
        if out[0].shape() != shape.as_slice() {
            failures.push(format!("{id}: shape {:?}, DeepTrack2 {shape:?}", out[0].shape()));
            continue;
        }
        if let Some((i, (g, w))) = out[0].as_slice().iter().zip(&want).enumerate().find(|(_, (g, w))| !close(**g, **w))
        {
            failures.push(format!("{id}: element {i} is {g:e}, DeepTrack2 {w:e}"));
        }
    }
    assert!(failures.is_empty(), "{} cases differ from DeepTrack2:\n  {}", failures.len(), failures.join("\n  "));
}

fn image(shape: &[usize], data: &[f64]) -> Image {
    Image::from_slice(shape, data).unwrap()
}

/// `[sin(0.5), sin(-1)]`, within glibc's vector functions' few ulp.
fn assert_sines(got: &[f64]) {
    let want = [0.5f64.sin(), (-1.0f64).sin()];
    assert!(got.len() == 2 && got.iter().zip(want).all(|(g, w)| ((g - w) / w).abs() <= 1e-15), "{got:?}");
}

#[test]
fn both_forms_of_an_elementwise_feature_and_their_dicts() {
    let value = registry::build("Value", Vec::new()).unwrap();
    value.set_property("value", Rule::constant(Value::vector(&[0.5, -1.0]))).unwrap();
    // Sin(feature): the feature's output, whatever the input; its dicts then Sin's.
    let sin = registry::build("Sin", vec![value.clone()]).unwrap();
    sin.store_properties(true);
    for input in [None, Some(image(&[1], &[3.0]))] {
        let out = sin.resolve_one(input.as_ref()).unwrap().unwrap();
        assert_sines(out.as_slice());
        let names: Vec<String> =
            out.get_properties("name").unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
        assert_eq!(names, ["Value", "Sin"]);
    }
    // feature >> Sin(): the same values.
    let chained = Feature::chain(&value, &registry::build("Sin", Vec::new()).unwrap()).unwrap();
    assert_sines(chained.resolve_one(None).unwrap().unwrap().as_slice());
    // Two features are one too many.
    let err = registry::build("Sin", vec![value.clone(), value.clone()]).err().unwrap();
    assert!(err.to_string().contains("Sin takes 0 to 1 features (feature), got 2"), "{err}");
}

#[test]
fn a_reducer_of_a_feature_uses_the_input_when_given() {
    let value = registry::build("Value", Vec::new()).unwrap();
    value.set_property("value", Rule::constant(Value::vector(&[0.5, -1.0]))).unwrap();
    let sum = registry::build("Sum", vec![value]).unwrap();
    sum.store_properties(true);
    let out = sum.resolve_one(None).unwrap().unwrap();
    assert_eq!((out.shape(), out.as_slice()), (&[][..], &[-0.5][..]));
    let keys: Vec<String> = out.properties().iter().last().unwrap().iter().map(|(k, _)| k.to_owned()).collect();
    assert_eq!(keys, ["distributed", "axis", "keepdims", "name"]);
    let out = sum.resolve_one(Some(&image(&[3], &[1.0, 2.0, 3.0]))).unwrap().unwrap();
    assert_eq!(out.as_slice(), &[6.0]);
    // distributed: one result per image of a list.
    let mean = registry::build("Mean", Vec::new()).unwrap();
    let out = mean.resolve_list(&[image(&[2], &[1.0, 3.0]), image(&[1], &[5.0])]).unwrap();
    assert_eq!(out.iter().map(|i| i.as_slice()[0]).collect::<Vec<_>>(), [2.0, 5.0]);
}

#[test]
fn bad_axes_and_shapes_are_errors_naming_the_property() {
    let sum = registry::build("Sum", Vec::new()).unwrap();
    sum.set_property("axis", Rule::constant(Value::Int(2))).unwrap();
    let err = sum.resolve_one(Some(&image(&[2, 2], &[1.0; 4]))).unwrap_err().to_string();
    assert!(err.contains("'axis'") && err.contains("axis 2 is out of bounds for an image of 2 dimensions"), "{err}");
    sum.set_property("axis", Rule::constant(Value::List(vec![Value::Int(0), Value::Int(-2)]))).unwrap();
    let err = sum.resolve_one(Some(&image(&[2, 2], &[1.0; 4]))).unwrap_err().to_string();
    assert!(err.contains("axis 0 is given twice"), "{err}");
    let stacked = registry::build("Sum", Vec::new()).unwrap();
    stacked.set_property("distributed", Rule::constant(Value::Bool(false))).unwrap();
    let err = stacked.resolve_list(&[image(&[2], &[1.0, 2.0]), image(&[3], &[1.0; 3])]).unwrap_err().to_string();
    assert!(err.contains("'distributed'") && err.contains("needs one shape: got [2] and [3]"), "{err}");
    let q = registry::build("Quantile", Vec::new()).unwrap();
    let err = q.set_property("q", Rule::constant(Value::Float(1.5))).unwrap_err().to_string();
    assert!(err.contains("'q'") && err.contains("exceeds the maximum of 1"), "{err}");
    let min = registry::build("Min", Vec::new()).unwrap();
    let err = min.resolve_one(Some(&image(&[0], &[]))).unwrap_err().to_string();
    assert!(err.contains("covers no sample"), "{err}");
}
