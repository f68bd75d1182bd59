//! The property lists DeepTrack2 2.0.1 records on its outputs, against the `dicts` cases of
//! `tests/fixtures/deeptrack-2.0.1/manifest.json` (tests/fixtures/generate.py): for every augmentation
//! kind, its dict's keys in DeepTrack2's order (`time_consistent` first where 2.0.1's `Augmentation`
//! base adds it, `Pad`'s `px`, `CropToMultiplesOf`'s `crop` and `crop_mode`, `PadToMultiplesOf`'s
//! `px`), and for `Stack` (`a & b`) the lists of each image: the value feature's images keep their
//! own dicts, then `Stack`'s and `Chain`'s; `Slice` whose index holds features (`f[mask_feature]`,
//! `f[index_feature, 1]`: a list rule, each feature's output indexing as numpy does). The outputs themselves match to 1e-12 relative
//! (interpolating kinds to 1e-6 of the peak).

use std::path::PathBuf;

use deeptrack::{Feature, Image, Rule, Value, features};
use serde_json::Value as Json;

mod npy;
use npy::read_npy;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1")
}

/// A constant from JSON: ints and floats apart, numeric arrays as 1-d arrays, `{"array": {"shape",
/// "data"}}` an n-d array.
fn value(j: &Json) -> Value {
    match j {
        Json::Object(o) if o.contains_key("array") => {
            let spec = &o["array"];
            let shape: Vec<usize> =
                spec["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
            let data: Vec<f64> = spec["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
            Value::array(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data).unwrap())
        }
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) if n.is_i64() => Value::Int(n.as_i64().unwrap()),
        Json::Number(n) => Value::Float(n.as_f64().unwrap()),
        Json::String(s) => Value::str(s),
        Json::Array(items) => Value::vector(&items.iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>()),
        _ => Value::None,
    }
}

/// A feature from a spec: a spec given to a feature parameter of the kind is its sub-feature; a spec
/// given to a property is that property's value (the feature's output, `Rule::feature_output`), as
/// DeepTrack2 takes a feature as a property's value.
fn feature(spec: &Json) -> Feature {
    let name = spec["feature"].as_str().unwrap();
    let kind = features::registry::find(name).unwrap_or_else(|| panic!("no kind {name}"));
    let children: Vec<Feature> =
        kind.params.iter().filter(|p| p.is_feature()).map(|p| feature(&spec["properties"][p.name])).collect();
    let f = if children.is_empty() {
        features::builtin(name).unwrap()
    } else {
        features::registry::build(name, children).unwrap()
    };
    let params = kind.params.iter().filter(|p| p.is_feature()).map(|p| p.name).collect::<Vec<_>>();
    for (k, v) in spec["properties"].as_object().into_iter().flatten().filter(|(k, _)| !params.contains(&k.as_str())) {
        let rule = property_rule(v);
        f.set_property(k, rule).unwrap_or_else(|e| panic!("{name}.{k}: {e}"));
    }
    f
}

/// The rule of a property: a feature's output for a spec (a chain for a list of specs), a list rule
/// of such rules for `{"list": [...]}` (DeepTrack2 samples the features inside a list), else a
/// constant.
fn property_rule(v: &Json) -> Rule {
    match v {
        _ if v["feature"].is_string() => Rule::feature_output(&feature(v)),
        Json::Array(specs) if !specs.is_empty() && specs.iter().all(|s| s["feature"].is_string()) => {
            let mut f = feature(&specs[0]);
            for spec in &specs[1..] {
                f = Feature::chain(&f, &feature(spec)).unwrap();
            }
            Rule::feature_output(&f)
        }
        Json::Object(o) if o.contains_key("list") => {
            Rule::items(o["list"].as_array().unwrap().iter().map(property_rule).collect(), false).unwrap()
        }
        _ => Rule::constant(value(v)),
    }
}

fn pipeline(case: &Json) -> (Feature, Image) {
    let specs = case["pipeline"].as_array().unwrap();
    let mut f = feature(&specs[0]);
    for spec in &specs[1..] {
        f = Feature::chain(&f, &feature(spec)).unwrap();
    }
    let input = &case["input"];
    let shape: Vec<usize> = input["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> = input["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    (f, Image::from_slice(&shape, &data).unwrap())
}

fn strings(j: &Json) -> Vec<Vec<Vec<String>>> {
    serde_json::from_value(j.clone()).unwrap()
}

#[test]
fn property_lists_match_deeptrack2() {
    let dir = fixtures();
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let cases: Vec<&Json> =
        manifest["cases"].as_array().unwrap().iter().filter(|c| c["dicts"].as_bool() == Some(true)).collect();
    // Every augmentation kind of the registry has a case.
    for kind in features::registry::kinds().filter(|k| k.module == "augmentations") {
        assert!(
            cases.iter().any(|c| c["pipeline"].as_array().unwrap().iter().any(|s| s["feature"] == kind.name)),
            "no dicts case for the augmentation {}",
            kind.name
        );
    }
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let (f, input) = pipeline(case);
        f.store_properties(true);
        let out = f.resolve(Some(&input)).unwrap_or_else(|e| panic!("{id}: {e}"));
        let keys: Vec<Vec<Vec<String>>> = out
            .iter()
            .map(|img| img.properties().iter().map(|d| d.iter().map(|(k, _)| k.to_owned()).collect()).collect())
            .collect();
        let names: Vec<Vec<String>> = out
            .iter()
            .map(|img| img.properties().iter().map(|d| d.get("name").unwrap().as_str().unwrap().to_owned()).collect())
            .collect();
        let expected_names: Vec<Vec<String>> = serde_json::from_value(case["names"].clone()).unwrap();
        if keys != strings(&case["keys"]) {
            failures.push(format!("{id}: keys {keys:?}, DeepTrack2 2.0.1 {}", case["keys"]));
        }
        if names != expected_names {
            failures.push(format!("{id}: names {names:?}, DeepTrack2 2.0.1 {expected_names:?}"));
        }
        // The images: one, or a list stacked on a new first axis.
        let (shape, expected) = read_npy(&dir.join(case["expected"].as_str().unwrap()));
        let mut got_shape = out[0].shape().to_vec();
        if out.len() > 1 {
            got_shape.insert(0, out.len());
        }
        let got: Vec<f64> = out.iter().flat_map(|img| img.as_slice().to_vec()).collect();
        if got_shape != shape {
            failures.push(format!("{id}: shape {got_shape:?}, DeepTrack2 2.0.1 {shape:?}"));
        } else {
            // Exact cases to 1e-12 relative, interpolating ones (Affine, ElasticTransformation) to 1e-6
            // of the peak.
            let peak = expected.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
            let exact = case["tolerance"].as_str() == Some("exact");
            let bad =
                |a: f64, b: f64| if exact { (a - b).abs() > 1e-12 * b.abs() } else { (a - b).abs() > 1e-6 * peak };
            if let Some(i) = got.iter().zip(&expected).position(|(&a, &b)| bad(a, b)) {
                failures.push(format!("{id}: sample {i} is {}, DeepTrack2 2.0.1 {}", got[i], expected[i]));
            }
        }
    }
    assert!(failures.is_empty(), "property lists that differ from DeepTrack2 2.0.1:\n  {}", failures.join("\n  "));
}

/// `Stack`'s value feature is sampled once per update: the appended image is the feature's output,
/// the same at every resolve until an update, and its dict records the value it drew.
#[test]
fn stack_value_feature_is_sampled_once_per_update() {
    let b = features::builtin("Value").unwrap();
    b.set_property("value", Rule::uniform(0.0, 1.0).unwrap()).unwrap();
    let a = features::builtin("Value").unwrap();
    a.set_property("value", Rule::constant(Value::Float(-1.0))).unwrap();
    let stack = features::builtin("Stack").unwrap();
    stack.set_property("value", Rule::feature_output(&b)).unwrap();
    let pipe = Feature::chain(&a, &stack).unwrap();
    pipe.store_properties(true);
    pipe.seed(7).unwrap();
    let first = pipe.resolve(None).unwrap();
    assert_eq!(first.len(), 2);
    let drawn = first[1].as_slice()[0];
    assert!((0.0..1.0).contains(&drawn));
    // B's own dict records the value drawn, then Stack's (whose value is B's output), then Chain's.
    let dicts: Vec<_> = first[1].properties().iter().collect();
    assert_eq!(dicts.len(), 3);
    assert_eq!(dicts[0].get("value").unwrap().as_f64().unwrap(), drawn);
    assert_eq!(dicts[1].get("name").unwrap().as_str().unwrap(), "Stack");
    assert_eq!(dicts[1].get("value").unwrap().to_f64_vec().unwrap(), vec![drawn]);
    assert_eq!(pipe.resolve(None).unwrap()[1].as_slice()[0], drawn);
    let mut seen = vec![drawn];
    for _ in 0..5 {
        pipe.update().unwrap();
        let out = pipe.resolve(None).unwrap();
        assert_eq!(out[0].as_slice(), &[-1.0]);
        seen.push(out[1].as_slice()[0]);
    }
    seen.sort_by(f64::total_cmp);
    seen.dedup();
    assert_eq!(seen.len(), 6, "a new value at every update: {seen:?}");
}

/// `f[index_feature]`: a list rule whose item is a feature's output. The index feature is sampled
/// once per update (the row taken is the one its dict and the Slice's record), follows the
/// pipeline's seed in batches (each item's copy samples its own), and a feature inside its own
/// list rule is refused.
#[test]
fn slice_index_features_follow_updates_and_batches() {
    let a = features::builtin("Value").unwrap();
    let rows =
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3, 2]), vec![0.0, 1.0, 10.0, 11.0, 20.0, 21.0]).unwrap();
    a.set_property("value", Rule::constant(Value::array(rows))).unwrap();
    let r = features::builtin("Value").unwrap();
    r.set_property("value", Rule::randint(0, 3).unwrap()).unwrap();
    let slice = features::builtin("Slice").unwrap();
    slice.set_property("slices", Rule::items(vec![Rule::feature_output(&r)], false).unwrap()).unwrap();
    let pipe = Feature::chain(&a, &slice).unwrap();
    pipe.store_properties(true);
    pipe.seed(3).unwrap();
    let mut seen = [false; 3];
    for _ in 0..30 {
        pipe.update().unwrap();
        let out = pipe.resolve_one(None).unwrap().unwrap();
        let row = r.get_property("value").unwrap().as_f64().unwrap() as usize;
        assert_eq!(out.as_slice(), &[10.0 * row as f64, 10.0 * row as f64 + 1.0]);
        let recorded = out.properties().get_property("slices").unwrap().to_string();
        assert_eq!(recorded, format!("[{row}]"));
        // The same sample until the next update.
        assert_eq!(pipe.resolve_one(None).unwrap().unwrap().as_slice(), out.as_slice());
        seen[row] = true;
    }
    assert_eq!(seen, [true; 3], "every row drawn in 30 updates");
    let batch = pipe.resolve_batch(None, 11, 0, 40, 2).unwrap();
    let firsts: std::collections::BTreeSet<u64> = batch.iter().map(|img| img.as_slice()[0] as u64).collect();
    assert_eq!(firsts.into_iter().collect::<Vec<_>>(), [0, 10, 20]);
    assert_eq!(
        pipe.resolve_batch(None, 11, 0, 40, 1).unwrap().iter().map(|i| i.as_slice()[0]).collect::<Vec<_>>(),
        batch.iter().map(|i| i.as_slice()[0]).collect::<Vec<_>>(),
        "reproducible whatever the thread count"
    );
    let err =
        slice.set_property("slices", Rule::items(vec![Rule::feature_output(&slice)], false).unwrap()).unwrap_err();
    assert!(err.to_string().contains("cannot be the value of its own property"), "{err}");
}
