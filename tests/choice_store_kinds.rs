//! OneOfDict, ConditionalSetFeature, Store, TakeProperties and Merge: values, property lists, what update
//! and caching do, the distribution of OneOfDict's random key and its reproducibility under a seed,
//! and the errors.

use deeptrack::features::registry;
use deeptrack::{ErrorKind, Feature, Image, Rule, Value};

fn kind(name: &str, features: Vec<Feature>) -> Feature {
    registry::build(name, features).unwrap()
}

fn op(name: &str, x: f64) -> Feature {
    let f = kind(name, Vec::new());
    f.set_property("value", Rule::constant(x)).unwrap();
    f
}

fn scalar(x: f64) -> Image {
    Image::from_slice(&[1], &[x]).unwrap()
}

fn first(f: &Feature, x: f64) -> f64 {
    f.resolve(Some(&scalar(x))).unwrap()[0].as_slice()[0]
}

fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::str(s)).collect())
}

#[test]
fn one_of_dict_resolves_the_feature_of_its_key() {
    let f = kind("OneOfDict", vec![op("Add", 10.0), op("Multiply", 2.0)]);
    assert_eq!(f.property_names(), ["key", "keys", "name"]);
    // Without keys, the features are named by their positions.
    assert_eq!(f.get_property("keys").unwrap().to_string(), "[0, 1]");
    f.set_property("keys", Rule::constant(strs(&["add", "multiply"]))).unwrap();
    f.set_property("key", Rule::constant(Value::str("add"))).unwrap();
    assert_eq!(first(&f, 3.0), 13.0);
    f.set_property("key", Rule::constant(Value::str("multiply"))).unwrap();
    assert_eq!(first(&f, 3.0), 6.0);
    // The key is recorded in the feature's dict, after its feature's.
    f.store_properties(true);
    let out = f.resolve(Some(&scalar(3.0))).unwrap();
    let names: Vec<String> = out[0].get_properties("name").unwrap().iter().map(|v| v.to_string()).collect();
    assert_eq!(names, ["'Multiply'", "'OneOfDict'"]);
    assert_eq!(out[0].get_property("key").unwrap().to_string(), "'multiply'");
    // Keys compare as Python's do: 1 == 1.0 == True.
    f.set_property("keys", Rule::constant(Value::List(vec![Value::Int(1), Value::str("x")]))).unwrap();
    f.set_property("key", Rule::constant(Value::Float(1.0))).unwrap();
    assert_eq!(first(&f, 3.0), 13.0);
    f.set_property("key", Rule::constant(Value::Bool(true))).unwrap();
    assert_eq!(first(&f, 3.0), 13.0);
}

#[test]
fn one_of_dict_errors_name_the_key_and_the_keys() {
    let f = kind("OneOfDict", vec![op("Add", 10.0), op("Multiply", 2.0)]);
    f.set_property("keys", Rule::constant(strs(&["add", "multiply"]))).unwrap();
    f.set_property("key", Rule::constant(Value::str("divide"))).unwrap();
    let err = f.resolve(Some(&scalar(1.0))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        err.to_string(),
        "property 'key' of feature 'OneOfDict': 'divide' is not a key of the collection (its keys: 'add', 'multiply')"
    );
    let err = f.set_property("keys", Rule::constant(strs(&["a", "a"]))).unwrap_err();
    assert_eq!(err.to_string(), "property 'keys' of feature 'OneOfDict': keys 0 and 1 are the same key ('a')");
    f.set_property("keys", Rule::constant(strs(&["a", "b", "c"]))).unwrap();
    let err = f.resolve(Some(&scalar(1.0))).unwrap_err();
    assert_eq!(err.to_string(), "property 'keys' of feature 'OneOfDict': 3 keys for a collection of 2 features");
    let err = f.set_property("keys", Rule::constant(Value::Int(3))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    let err = registry::build("OneOfDict", Vec::new()).unwrap_err();
    assert_eq!(err.to_string(), "OneOfDict takes at least 1 feature (collection), got 0");
}

#[test]
fn one_of_dict_draws_its_key_uniformly_at_every_update_and_reproducibly() {
    let values: Vec<Feature> = (1..=3).map(|v| op("Value", v as f64)).collect();
    let f = kind("OneOfDict", values);
    f.set_property("keys", Rule::constant(strs(&["1", "2", "3"]))).unwrap();
    f.seed(7).unwrap();
    let mut counts = [0usize; 3];
    let mut draws = Vec::new();
    for _ in 0..3000 {
        f.update().unwrap();
        let v = first(&f, 0.0);
        // The key drawn is kept until the next update (a cached sample).
        assert_eq!(first(&f, 0.0), v);
        assert_eq!(f.get_property("key").unwrap().to_string(), format!("'{v}'"));
        counts[v as usize - 1] += 1;
        draws.push(v);
    }
    // Uniform: each about 1000 (binomial standard deviation ~26).
    for c in counts {
        assert!((850..1150).contains(&c), "{counts:?}");
    }
    f.seed(7).unwrap();
    let again: Vec<f64> = (0..3000)
        .map(|_| {
            f.update().unwrap();
            first(&f, 0.0)
        })
        .collect();
    assert_eq!(again, draws);
}

#[test]
fn conditional_set_feature_chooses_a_branch_by_its_condition() {
    let f = kind("ConditionalSetFeature", vec![op("Add", 10.0), op("Multiply", 2.0)]);
    assert_eq!(f.property_names(), ["condition", "name"]);
    assert_eq!(f.get_property("condition").unwrap().to_string(), "True");
    assert_eq!(first(&f, 3.0), 6.0, "true by default: on_true");
    f.set_property("condition", Rule::constant(false)).unwrap();
    assert_eq!(first(&f, 3.0), 13.0);
    f.set_property("condition", Rule::constant(Value::None)).unwrap();
    assert_eq!(first(&f, 3.0), 13.0, "None is false");
    // The name of a property: true when it has none, else its truth.
    f.set_property("condition", Rule::constant(Value::str("is_label"))).unwrap();
    assert_eq!(first(&f, 3.0), 6.0);
    f.set_property("is_label", Rule::constant(false)).unwrap();
    assert_eq!(first(&f, 3.0), 13.0);
    f.set_property("is_label", Rule::constant(1)).unwrap();
    assert_eq!(first(&f, 3.0), 6.0);
    f.set_property("is_label", Rule::constant(Value::str("yes"))).unwrap();
    let err = f.resolve(Some(&scalar(3.0))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'condition' of feature 'ConditionalSetFeature': expected a bool or the name of a property, got a string"
    );
    // With stored properties: the branch's dict, then the feature's.
    f.set_property("is_label", Rule::constant(true)).unwrap();
    f.store_properties(true);
    let out = f.resolve(Some(&scalar(3.0))).unwrap();
    let names: Vec<String> = out[0].get_properties("name").unwrap().iter().map(|v| v.to_string()).collect();
    assert_eq!(names, ["'Multiply'", "'ConditionalSetFeature'"]);
}

#[test]
fn conditional_set_feature_passes_the_input_through_a_missing_branch() {
    // One feature: on_false only.
    let f = kind("ConditionalSetFeature", vec![op("Add", 10.0)]);
    assert_eq!(first(&f, 3.0), 3.0);
    f.set_property("condition", Rule::constant(false)).unwrap();
    assert_eq!(first(&f, 3.0), 13.0);
    // on_true only: a missing on_false given as nothing.
    let f = registry::build_optional("ConditionalSetFeature", vec![None, Some(op("Add", 10.0))]).unwrap();
    assert_eq!(first(&f, 3.0), 13.0);
    f.set_property("condition", Rule::constant(false)).unwrap();
    assert_eq!(first(&f, 3.0), 3.0);
    // No branch at all.
    let f = kind("ConditionalSetFeature", Vec::new());
    assert_eq!(first(&f, 3.0), 3.0);
    // A copy (as a batch's workers make) keeps the branches in place.
    let f = registry::build_optional("ConditionalSetFeature", vec![None, Some(op("Add", 10.0))]).unwrap();
    let out = f.resolve_batch(Some(&scalar(3.0)), 1, 0, 2, 1).unwrap();
    assert_eq!(out.iter().map(|i| i.as_slice()[0]).collect::<Vec<_>>(), [13.0, 13.0]);
    // Only optional feature parameters may be missing.
    let err = registry::build_optional("Combine", vec![Some(op("Add", 1.0)), None]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NullArgument);
    assert_eq!(err.to_string(), "features[1] is NULL (only an optional feature parameter may be NULL)");
    let err = registry::build("ConditionalSetFeature", vec![op("Add", 1.0); 3]).unwrap_err();
    assert_eq!(err.to_string(), "ConditionalSetFeature takes 0 to 2 features (on_false, on_true), got 3");
}

#[test]
fn store_keeps_its_features_output_by_key_across_updates() {
    let value = kind("Value", Vec::new());
    value.set_property("value", Rule::Uniform { low: 0.0, high: 1.0 }).unwrap();
    let store = kind("Store", vec![value.clone()]);
    assert_eq!(store.property_names(), ["replace", "name"], "key is required");
    assert_eq!(store.resolve(None).unwrap_err().kind(), ErrorKind::NotFound);
    store.set_property("key", Rule::constant(Value::str("example"))).unwrap();
    assert_eq!(store.property_names(), ["key", "replace", "name"]);
    let once = store.resolve(None).unwrap()[0].as_slice()[0];
    value.update().unwrap();
    assert_ne!(value.resolve(None).unwrap()[0].as_slice()[0], once);
    store.update().unwrap();
    assert_eq!(store.resolve(None).unwrap()[0].as_slice()[0], once, "kept across updates");
    // Another key computes (and keeps) anew; the first is still there.
    store.set_property("key", Rule::constant(Value::Int(2))).unwrap();
    let other = store.resolve(None).unwrap()[0].as_slice()[0];
    assert_ne!(other, once);
    store.set_property("key", Rule::constant(Value::Float(2.0))).unwrap();
    assert_eq!(store.resolve(None).unwrap()[0].as_slice()[0], other, "2 == 2.0 as Python's keys");
    store.set_property("key", Rule::constant(Value::str("example"))).unwrap();
    assert_eq!(store.resolve(None).unwrap()[0].as_slice()[0], once);
    // replace computes again and keeps the new output.
    store.set_property("replace", Rule::constant(true)).unwrap();
    store.update().unwrap();
    let replaced = store.resolve(None).unwrap()[0].as_slice()[0];
    assert_ne!(replaced, once);
    store.set_property("replace", Rule::constant(false)).unwrap();
    store.update().unwrap();
    assert_eq!(store.resolve(None).unwrap()[0].as_slice()[0], replaced);
    let err = store.set_property("replace", Rule::constant(1.5)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
}

#[test]
fn store_passes_its_input_and_keys_by_replicate_index() {
    let noise = kind("Gaussian", Vec::new());
    let store = kind("Store", vec![noise]);
    store.set_property("key", Rule::constant(0)).unwrap();
    let out = store.resolve(Some(&Image::from_slice(&[2], &[100.0, 100.0]).unwrap())).unwrap();
    assert!(out[0].as_slice().iter().all(|v| (v - 100.0).abs() < 10.0), "computed on the input");
    // Inside a repeat, each repetition keeps its own output: updates change none of them.
    let repeat = Feature::repeat(&store, 3).unwrap();
    let a = repeat.resolve(Some(&scalar(0.0))).unwrap()[0].as_slice()[0];
    repeat.update().unwrap();
    let b = repeat.resolve(Some(&scalar(0.0))).unwrap()[0].as_slice()[0];
    assert_eq!(a, b);
}

#[test]
fn take_properties_gives_the_sampled_values_of_its_feature() {
    let noise = kind("Gaussian", Vec::new());
    noise.set_property("mu", Rule::constant(7)).unwrap();
    noise.set_property("sigma", Rule::constant(12)).unwrap();
    let take = kind("TakeProperties", vec![noise.clone()]);
    assert_eq!(take.property_names(), ["names", "name"]);
    take.set_property("names", Rule::constant(strs(&["mu"]))).unwrap();
    let out = take.resolve(None).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].shape(), out[0].as_slice()), (&[1][..], &[7.0][..]));
    // Appended to the input; one image per name.
    take.set_property("names", Rule::constant(strs(&["mu", "sigma"]))).unwrap();
    let out = take.resolve(Some(&scalar(5.0))).unwrap();
    let all: Vec<Vec<f64>> = out.iter().map(|i| i.as_slice().to_vec()).collect();
    assert_eq!(all, [vec![5.0], vec![7.0], vec![12.0]]);
    // A name no feature has: nothing found, an empty vector.
    take.set_property("names", Rule::constant(Value::str("radius"))).unwrap();
    // (Resolved without input, a feature takes the input it was last given, as DeepTrack2's do.)
    let out = take.resolve(None).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].as_slice(), out[1].shape()), (&[5.0][..], &[0][..]));
}

#[test]
fn take_properties_collects_every_repetition() {
    let value = kind("Value", Vec::new());
    value.set_property("value", Rule::Uniform { low: 0.0, high: 1.0 }).unwrap();
    value.set_property("position", Rule::UniformArray { low: vec![0.0, 0.0], high: vec![1.0, 1.0] }).unwrap();
    let repeat = Feature::repeat(&value, 3).unwrap();
    let take = kind("TakeProperties", vec![repeat.clone()]);
    take.set_property("names", Rule::constant(strs(&["value", "position"]))).unwrap();
    take.seed(3).unwrap();
    let out = take.resolve(None).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].shape(), [3]);
    assert_eq!(out[1].shape(), [3, 2]);
    let vals = out[0].as_slice().to_vec();
    assert!(vals[0] != vals[1] && vals[1] != vals[2], "each repetition its own sample: {vals:?}");
    // The same as the repeat's own dicts record, in order.
    repeat.store_properties(true);
    let recorded: Vec<f64> =
        repeat.resolve(None).unwrap()[0].get_properties("value").unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(recorded.last(), vals.last(), "a Value's output keeps the last repetition's dict");
    // Strings cannot be stacked into an image: the error says so.
    take.set_property("names", Rule::constant(Value::str("name"))).unwrap();
    let err = take.resolve(None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'names' of feature 'TakeProperties': the values of 'name' are not numbers (one is a string)"
    );
    let err = take.set_property("names", Rule::constant(Value::Int(3))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'names' of feature 'TakeProperties': expected a string or a list of strings, got an integer"
    );
}

#[test]
fn merge_computes_from_the_whole_list() {
    let merge = Feature::merge("Merge", |images: &[Image], props| {
        let factor = props.get("factor").map_or(Ok(1.0), Value::as_f64)?;
        let n = images.len() as f64;
        let sum: f64 = images.iter().map(|i| i.as_slice()[0]).sum();
        Ok(vec![scalar(sum / n * factor)])
    });
    assert_eq!(merge.property_names(), ["name"]);
    merge.set_property("factor", Rule::constant(2.0)).unwrap();
    let out = merge.resolve_list(&[scalar(1.0), scalar(3.0), scalar(8.0)]).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].as_slice(), [8.0]);
    // With stored properties, the output carries Merge's dict (its inputs' are not merged in).
    merge.store_properties(true);
    let out = merge.resolve_list(&[scalar(1.0), scalar(3.0)]).unwrap();
    assert_eq!(out[0].get_properties("name").unwrap().len(), 1);
    assert_eq!(out[0].get_property("factor").unwrap().as_f64().unwrap(), 2.0);
    // Errors of the function fail the resolve, naming the feature.
    let failing = Feature::merge("Failing", |_: &[Image], _| Err(deeptrack::Error::invalid("no")));
    assert_eq!(failing.resolve(None).unwrap_err().to_string(), "feature 'Failing': no");
}

#[test]
fn take_properties_dict_goes_to_its_arrays_only() {
    // DeepTrack2 2.0.1 (`v >> TakeProperties(v, "value")`, MERGE_STRATEGY_APPEND): the input passes
    // through with ['Value', 'Chain'] (no TakeProperties dict); the array gets ['TakeProperties', 'Chain'].
    let value = kind("Value", Vec::new());
    value.set_property("value", Rule::constant(2.0)).unwrap();
    let take = kind("TakeProperties", vec![value.clone()]);
    take.set_property("names", Rule::constant(strs(&["value"]))).unwrap();
    let pipe = Feature::chain(&value, &take).unwrap();
    pipe.store_properties(true);
    let out = pipe.resolve(None).unwrap();
    let names = |i: usize| -> Vec<String> {
        out[i]
            .properties()
            .iter()
            .map(|d| d.get("name").and_then(|v| v.as_str().ok()).unwrap_or("?").to_string())
            .collect()
    };
    assert_eq!(out.len(), 2);
    assert_eq!(names(0), ["Value", "Chain"]);
    assert_eq!(names(1), ["TakeProperties", "Chain"]);
    assert_eq!(out[1].as_slice(), [2.0]);
}
