//! Parameters given as numpy gives them, against DeepTrack2 2.0.1's own outputs: every case of
//! `tests/fixtures/deeptrack-2.0.1/params/manifest.json` (0-d and one-element arrays where a number
//! is expected, arrays that broadcast with the image in `Offset`, `Background`, `Gaussian`, `Clip`
//! and `NormalizeMinMax`, crossed `Clip` bounds, `GaussianBlur`'s sigma per axis, `FlipUD` of a 1-d
//! image, a one-element `crop`) must give DeepTrack2's shape and its values to 1e-12 relative. Also:
//! axes as an array, and the errors of arrays that do not broadcast or where a kind needs a number.

use std::path::PathBuf;

use deeptrack::features::registry;
use deeptrack::{ErrorKind, Feature, Image, Rule, Value};
use serde_json::Value as Json;

mod npy;
use npy::read_npy;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1/params")
}

fn shape_of(j: &Json) -> Vec<usize> {
    j["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

fn data_of(j: &Json) -> Vec<f64> {
    j["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn value(j: &Json) -> Value {
    match j {
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) if n.is_i64() => Value::Int(n.as_i64().unwrap()),
        Json::Number(n) => Value::Float(n.as_f64().unwrap()),
        Json::Array(items) => Value::List(items.iter().map(value).collect()),
        Json::Object(o) if o.contains_key("array") => {
            let a = &o["array"];
            Value::array(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape_of(a)), data_of(a)).unwrap())
        }
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

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-12 * want.abs().max(1e-288)
}

#[test]
fn every_case_matches_deeptrack2() {
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(dir().join("manifest.json")).unwrap()).unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    assert!(cases.len() >= 24, "the manifest has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let specs = case["pipeline"].as_array().unwrap();
        let mut f = build(&specs[0]);
        for spec in &specs[1..] {
            f = Feature::chain(&f, &build(spec)).unwrap();
        }
        let input = Image::from_slice(&shape_of(&case["input"]), &data_of(&case["input"])).unwrap();
        let out = f.resolve_one(Some(&input)).unwrap_or_else(|e| panic!("{id}: {e}")).unwrap_or(input);
        let (shape, want) = read_npy(&dir().join(case["expected"].as_str().unwrap()));
        if out.shape() != shape.as_slice() {
            failures.push(format!("{id}: shape {:?}, DeepTrack2 {shape:?}", out.shape()));
            continue;
        }
        let got = out.as_slice();
        if let Some((i, (g, w))) = got.iter().zip(&want).enumerate().find(|(_, (g, w))| !close(**g, **w)) {
            failures.push(format!("{id}: element {i} is {g:e}, DeepTrack2 {w:e}"));
        }
    }
    assert!(failures.is_empty(), "{} cases differ from DeepTrack2:\n  {}", failures.len(), failures.join("\n  "));
}

fn with(kind: &str, props: &[(&str, Value)]) -> Feature {
    let f = registry::build(kind, Vec::new()).unwrap();
    for (k, v) in props {
        f.set_property(k, Rule::constant(v.clone())).unwrap();
    }
    f
}

fn image(shape: &[usize]) -> Image {
    let n = shape.iter().product::<usize>();
    Image::from_slice(shape, &(0..n).map(|i| i as f64).collect::<Vec<_>>()).unwrap()
}

#[test]
fn axes_may_be_an_array_of_whole_numbers() {
    let t = with("Transpose", &[("axes", Value::vector(&[1.0, 0.0]))]);
    let out = t.resolve_one(Some(&image(&[2, 3]))).unwrap().unwrap();
    assert_eq!(out.shape(), [3, 2]);
    assert_eq!(out.contiguous().unwrap(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    let err = registry::build("Transpose", Vec::new())
        .unwrap()
        .set_property("axes", Rule::constant(Value::vector(&[1.5, 0.0])))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert!(err.to_string().contains("expected an axis: None, an integer or integers, got"), "{err}");
}

#[test]
fn arrays_that_do_not_broadcast_or_do_not_fit_are_errors_naming_the_property() {
    // numpy's broadcasting error, named.
    let offset = with("Offset", &[("offset", Value::vector(&[1.0, 2.0, 3.0]))]);
    let err = offset.resolve_one(Some(&image(&[6, 5]))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.to_string(),
        "property 'offset' of feature 'Offset': cannot broadcast an image of shape [6, 5] with a value of shape [3]"
    );
    // A sigma per axis needs one per axis.
    let blur = with("GaussianBlur", &[("sigma", Value::vector(&[1.0, 1.0, 1.0]))]);
    let err = blur.resolve_one(Some(&image(&[6, 5]))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'sigma' of feature 'GaussianBlur': expected one sigma or one per axis of the image (2), got 3"
    );
    // A kind that needs one number says which shapes it takes.
    let err = registry::build("FlipLR", Vec::new())
        .unwrap()
        .set_property("p", Rule::constant(Value::vector(&[0.5, 0.5])))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert_eq!(
        err.to_string(),
        "property 'p' of feature 'FlipLR': expected a number (or an array of one number), got an array of shape (2,)"
    );
    // Bounds hold for every element of an array.
    let err = registry::build("Gaussian", Vec::new())
        .unwrap()
        .set_property("sigma", Rule::constant(Value::vector(&[1.0, -1.0])))
        .unwrap_err();
    assert_eq!(err.to_string(), "property 'sigma' of feature 'Gaussian': expected a non-negative number, got -1");
}

#[test]
fn gaussian_noise_with_an_array_sigma_has_that_deviation_per_column() {
    let g = with("Gaussian", &[("sigma", Value::vector(&[0.0, 1.0, 4.0]))]);
    g.seed(7).unwrap();
    let out = g.resolve_one(Some(&Image::zeros(&[4000, 3]))).unwrap().unwrap();
    let x = out.as_slice();
    let std = |c: usize| {
        let col: Vec<f64> = x.iter().skip(c).step_by(3).copied().collect();
        let mean = col.iter().sum::<f64>() / col.len() as f64;
        (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / col.len() as f64).sqrt()
    };
    assert_eq!(std(0), 0.0);
    assert!((std(1) - 1.0).abs() < 0.05, "{}", std(1));
    assert!((std(2) - 4.0).abs() < 0.2, "{}", std(2));
}
