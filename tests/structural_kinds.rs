//! The structural kinds built from other features (Combine, Stack, Probability, OneOf, Arguments):
//! values, property lists, distributions of the random ones and their reproducibility under a seed.

use deeptrack::features::registry;
use deeptrack::{ErrorKind, Feature, Image, Rule, Value};

fn add(x: f64) -> Feature {
    let f = registry::build("Add", Vec::new()).unwrap();
    f.set_property("value", Rule::constant(x)).unwrap();
    f
}

fn scalar(x: f64) -> Image {
    Image::from_slice(&[1], &[x]).unwrap()
}

fn firsts(images: &[Image]) -> Vec<f64> {
    images.iter().map(|i| i.as_slice()[0]).collect()
}

fn names(image: &Image) -> Vec<String> {
    image.get_properties("name").unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

#[test]
fn combine_resolves_every_feature_on_the_input_and_appends_its_dict() {
    let combine = registry::build("Combine", vec![add(10.0), add(20.0), add(30.0)]).unwrap();
    assert_eq!(combine.property_names(), ["name"]);
    let out = combine.resolve(Some(&scalar(1.0))).unwrap();
    assert_eq!(firsts(&out), [11.0, 21.0, 31.0]);
    combine.store_properties(true);
    let out = combine.resolve(Some(&scalar(1.0))).unwrap();
    // Each output: its feature's dict, then Combine's (its sub-features keep their names).
    for (image, value) in out.iter().zip([10.0, 20.0, 30.0]) {
        assert_eq!(names(image), ["Add", "Combine"]);
        assert_eq!(image.get_property("value").unwrap().as_f64().unwrap(), value);
    }
    // Cached: the same dicts again.
    let again = combine.resolve(Some(&scalar(1.0))).unwrap();
    assert_eq!(firsts(&again), [11.0, 21.0, 31.0]);
    let err = registry::build("Combine", Vec::new()).unwrap_err();
    assert_eq!(err.to_string(), "Combine takes at least 1 feature (features), got 0");
}

#[test]
fn stack_appends_its_value_to_the_inputs() {
    let stack = registry::build("Stack", Vec::new()).unwrap();
    assert_eq!(stack.property_names(), ["name"], "value is required: no default");
    let err = stack.resolve(Some(&scalar(1.0))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    stack.set_property("value", Rule::constant(3.0)).unwrap();
    assert_eq!(firsts(&stack.resolve(Some(&scalar(2.0))).unwrap()), [2.0, 3.0]);
    stack.set_property("value", Rule::constant(Value::List(vec![Value::Float(4.0), Value::Int(5)]))).unwrap();
    assert_eq!(firsts(&stack.resolve(Some(&scalar(2.0))).unwrap()), [2.0, 4.0, 5.0]);
    stack.set_property("value", Rule::constant(Value::None)).unwrap();
    assert_eq!(firsts(&stack.resolve(Some(&scalar(2.0))).unwrap()), [2.0]);
    // A feature as the value is resolved without input (DeepTrack2's `value & X`).
    let value = registry::build("Value", Vec::new()).unwrap();
    value.set_property("value", Rule::constant(7.0)).unwrap();
    stack.set_property("value", Rule::feature_output(&value)).unwrap();
    let pipe = Feature::chain(&add(1.0), &stack).unwrap();
    pipe.store_properties(true);
    let out = pipe.resolve(Some(&scalar(2.0))).unwrap();
    assert_eq!(firsts(&out), [3.0, 7.0]);
    assert_eq!(names(&out[0]), ["Add", "Stack", "Chain"]);
    // The value feature's image keeps its own dict, as DeepTrack2 2.0.1's Images keep theirs.
    assert_eq!(names(&out[1]), ["Value", "Stack", "Chain"]);
    let err = stack.set_property("value", Rule::constant("seven")).unwrap_err();
    assert!(err.to_string().starts_with("property 'value' of feature 'Stack'"), "{err}");
}

#[test]
fn probability_applies_its_feature_with_its_probability_reproducibly() {
    let p = registry::build("Probability", vec![add(10.0)]).unwrap();
    assert_eq!(p.property_names(), ["random_number", "name"], "probability is required");
    p.set_property("probability", Rule::constant(0.3)).unwrap();
    assert_eq!(p.property_names(), ["probability", "random_number", "name"], "DeepTrack2's order");
    let draw = |seed: u64, n: usize| -> Vec<bool> {
        p.seed(seed).unwrap();
        (0..n)
            .map(|_| {
                p.update().unwrap();
                let x = p.resolve_one(Some(&scalar(1.0))).unwrap().unwrap().as_slice()[0];
                assert!(x == 1.0 || x == 11.0);
                let r = p.get_property("random_number").unwrap().as_f64().unwrap();
                assert!((0.0..1.0).contains(&r));
                assert_eq!(x == 11.0, r < 0.3, "applied exactly when random_number < probability");
                x == 11.0
            })
            .collect()
    };
    let a = draw(3, 4000);
    let applied = a.iter().filter(|&&b| b).count() as f64 / 4000.0;
    // 0.3 with a standard deviation of 0.0072: 5 standard deviations.
    assert!((applied - 0.3).abs() < 0.036, "applied {applied}");
    assert_eq!(draw(3, 200), a[..200], "the same seed gives the same draws");
    assert_ne!(draw(4, 200), a[..200]);
    // Without an update the draw is kept (a cached result).
    let first = p.resolve_one(Some(&scalar(1.0))).unwrap().unwrap().as_slice()[0];
    for _ in 0..20 {
        assert_eq!(p.resolve_one(Some(&scalar(1.0))).unwrap().unwrap().as_slice()[0], first);
    }
    p.set_property("probability", Rule::constant(1.0)).unwrap();
    p.update().unwrap();
    assert_eq!(p.resolve_one(Some(&scalar(1.0))).unwrap().unwrap().as_slice(), [11.0]);
    p.store_properties(true);
    let out = p.resolve_one(Some(&scalar(1.0))).unwrap().unwrap();
    assert_eq!(names(&out), ["Add", "Probability"]);
    let err = p.set_property("probability", Rule::constant(f64::NAN)).unwrap_err();
    assert!(err.to_string().starts_with("property 'probability' of feature 'Probability'"), "{err}");
    assert!(registry::build("Probability", Vec::new()).is_err());
}

#[test]
fn one_of_picks_uniformly_records_its_key_and_obeys_a_fixed_one() {
    let one = registry::build("OneOf", vec![add(10.0), add(20.0), add(30.0), add(40.0)]).unwrap();
    assert_eq!(one.property_names(), ["key", "name"]);
    one.seed(9).unwrap();
    let mut counts = [0usize; 4];
    let mut keys = Vec::new();
    for _ in 0..4000 {
        one.update().unwrap();
        let x = one.resolve_one(Some(&scalar(0.0))).unwrap().unwrap().as_slice()[0];
        let key = one.get_property("key").unwrap().as_i64().unwrap();
        assert_eq!(x, 10.0 * (key + 1) as f64, "the feature at index key");
        counts[key as usize] += 1;
        keys.push(key);
    }
    // 1000 each, standard deviation 27: 5 standard deviations.
    assert!(counts.iter().all(|&c| (865..=1135).contains(&c)), "{counts:?}");
    one.seed(9).unwrap();
    let again: Vec<i64> = (0..100)
        .map(|_| {
            one.update().unwrap();
            one.resolve_one(Some(&scalar(0.0))).unwrap();
            one.get_property("key").unwrap().as_i64().unwrap()
        })
        .collect();
    assert_eq!(again, keys[..100], "reproducible under a seed");

    one.store_properties(true);
    let out = one.resolve_one(Some(&scalar(0.0))).unwrap().unwrap();
    assert_eq!(names(&out), ["Add", "OneOf"]);
    assert_eq!(out.get_property("key").unwrap().as_i64().unwrap(), again[99], "the key drawn is recorded");

    one.set_property("key", Rule::constant(-1)).unwrap();
    assert_eq!(one.resolve_one(Some(&scalar(0.0))).unwrap().unwrap().as_slice(), [40.0]);
    one.set_property("key", Rule::constant(4)).unwrap();
    let err = one.resolve_one(Some(&scalar(0.0))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'key' of feature 'OneOf': 4 exceeds the maximum of 3 (the collection has 4 features)"
    );
    assert_eq!(err.kind(), deeptrack::error::ErrorKind::OutOfRange, "an index out of the collection");
    one.set_property("key", Rule::constant(-5)).unwrap();
    let err = one.resolve_one(Some(&scalar(0.0))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'key' of feature 'OneOf': -5 is below the minimum of -4 (the collection has 4 features)"
    );
    assert!(one.set_property("key", Rule::constant(1.5)).is_err(), "a whole number");
    // None: a new draw at every computation, still among the collection.
    one.set_property("key", Rule::constant(Value::None)).unwrap();
    let mut seen = [false; 4];
    for _ in 0..200 {
        let x = one.resolve_one(Some(&scalar(0.0))).unwrap().unwrap().as_slice()[0];
        seen[(x / 10.0) as usize - 1] = true;
    }
    assert_eq!(seen, [true; 4]);
    // Inside a repeat each repetition draws its own key (`_ID`), and the chosen feature sees it.
    let inner = registry::build("OneOf", vec![add(1.0), add(100.0)]).unwrap();
    let rep = Feature::repeat(&inner, 50).unwrap();
    rep.seed(1).unwrap();
    let total = rep.resolve_one(Some(&scalar(0.0))).unwrap().unwrap().as_slice()[0];
    let hundreds = (total / 100.0).floor();
    assert_eq!(total, hundreds * 100.0 + (50.0 - hundreds), "{total}");
    assert!((10.0..=40.0).contains(&hundreds), "{hundreds} of 50 picked the second");
    let err = registry::build("OneOf", Vec::new()).unwrap_err();
    assert_eq!(err.to_string(), "OneOf takes at least 1 feature (collection), got 0");
}

#[test]
fn arguments_pass_the_input_and_hold_linked_values() {
    let args = registry::build("Arguments", Vec::new()).unwrap();
    args.set_property("shift", Rule::constant(5.0)).unwrap();
    let offset = add(0.0);
    offset.set_property("value", Rule::property_of(&args, "shift").unwrap()).unwrap();
    let pipe = Feature::chain(&args, &offset).unwrap();
    pipe.store_properties(true);
    let out = pipe.resolve_one(Some(&scalar(2.0))).unwrap().unwrap();
    assert_eq!(out.as_slice(), [7.0]);
    assert_eq!(names(&out), ["Arguments", "Add", "Chain"]);
    assert_eq!(out.get_property("shift").unwrap().as_f64().unwrap(), 5.0);
}

#[test]
fn bind_overrides_the_properties_of_the_features_it_resolves() {
    // DeepTrack2's test: (value + 10) / value with value = input_value, bound to 1: 11.
    let value = registry::build("Value", Vec::new()).unwrap();
    value.set_property("input_value", Rule::constant(10.0)).unwrap();
    value.set_property("value", Rule::callback(|ctx| ctx.get("input_value").cloned())).unwrap();
    let plus = Feature::chain(&value, &add(10.0)).unwrap();
    let divide = registry::build("Divide", Vec::new()).unwrap();
    divide.set_property("value", Rule::feature_output(&value)).unwrap();
    let pipeline = Feature::chain(&plus, &divide).unwrap();
    let bound = registry::build("Bind", vec![pipeline.clone()]).unwrap();
    bound.set_property("input_value", Rule::constant(1.0)).unwrap();
    assert_eq!(bound.property_names(), ["input_value", "name"]);
    assert_eq!(pipeline.resolve_one(None).unwrap().unwrap().as_slice(), [2.0]);
    assert_eq!(bound.resolve_one(None).unwrap().unwrap().as_slice(), [11.0]);
    // The binding holds only inside: the pipeline alone is unchanged (its cached sample too).
    assert_eq!(pipeline.resolve_one(None).unwrap().unwrap().as_slice(), [2.0]);
    assert_eq!(value.get_property("input_value").unwrap().as_f64().unwrap(), 10.0);
    bound.update().unwrap();
    assert_eq!(bound.resolve_one(None).unwrap().unwrap().as_slice(), [11.0]);
    // Stored dicts show the bound values, and the binding's own dict; names are never bound.
    bound.store_properties(true);
    let out = bound.resolve_one(None).unwrap().unwrap();
    assert_eq!(out.get_property("input_value").unwrap().as_f64().unwrap(), 1.0);
    assert_eq!(names(&out).last().unwrap(), "Bind");
    assert!(names(&out).contains(&"Value".to_owned()));
    // The alias and the deprecated variant.
    let alias = registry::build("BindResolve", vec![add(1.0)]).unwrap();
    assert_eq!(alias.get_property("name").unwrap().as_str().unwrap(), "Bind");
    let update = registry::build("BindUpdate", vec![add(1.0)]).unwrap();
    update.set_property("value", Rule::constant(50.0)).unwrap();
    assert_eq!(update.resolve_one(Some(&scalar(1.0))).unwrap().unwrap().as_slice(), [51.0]);
}

#[test]
fn bound_random_features_draw_with_the_bound_values() {
    let noise = registry::build("Gaussian", Vec::new()).unwrap();
    let bound = registry::build("Bind", vec![noise]).unwrap();
    bound.set_property("mu", Rule::constant(-5.0)).unwrap();
    bound.set_property("sigma", Rule::constant(2.0)).unwrap();
    bound.seed(1).unwrap();
    let input = Image::new(ndarray::ArrayD::zeros(ndarray::IxDyn(&[100, 100])));
    let out = bound.resolve_one(Some(&input)).unwrap().unwrap();
    let n = out.as_slice().len() as f64;
    let mean = out.as_slice().iter().sum::<f64>() / n;
    let std = (out.as_slice().iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
    assert!((mean + 5.0).abs() < 0.1 && (std - 2.0).abs() < 0.1, "mean {mean}, std {std}");
    bound.seed(1).unwrap();
    assert_eq!(bound.resolve_one(Some(&input)).unwrap().unwrap().as_slice(), out.as_slice(), "seeded");
}

#[test]
fn conditional_set_property_binds_when_its_condition_holds() {
    let target = add(1.0);
    let cond = registry::build("ConditionalSetProperty", vec![target.clone()]).unwrap();
    assert_eq!(cond.property_names(), ["condition", "name"]);
    cond.set_property("value", Rule::constant(7.0)).unwrap();
    let run = |c: &Feature| c.resolve_one(Some(&scalar(0.0))).unwrap().unwrap().as_slice()[0];
    assert_eq!(run(&cond), 1.0, "condition None: not bound");
    cond.set_property("condition", Rule::constant(true)).unwrap();
    assert_eq!(run(&cond), 7.0);
    cond.set_property("condition", Rule::constant(0)).unwrap();
    assert_eq!(run(&cond), 1.0);
    // The name of a property: true when the feature has none, else its value.
    cond.set_property("condition", Rule::constant("is_label")).unwrap();
    assert_eq!(run(&cond), 7.0);
    cond.set_property("is_label", Rule::constant(false)).unwrap();
    assert_eq!(run(&cond), 1.0);
    cond.set_property("is_label", Rule::constant(true)).unwrap();
    assert_eq!(run(&cond), 7.0);
    cond.set_property("condition", Rule::constant(Value::vector(&[1.0, 2.0]))).unwrap();
    let err = cond.resolve_one(Some(&scalar(0.0))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'condition' of feature 'ConditionalSetProperty': expected a bool or the name of a property, got an array"
    );
}

#[test]
fn value_keeps_whole_numbers_and_bools_and_holds_any_value() {
    use deeptrack::dtype::Dtype;
    let value = registry::build("Value", Vec::new()).unwrap();
    // Whole numbers and bools are images of their numpy type (DeepTrack2 gives the int or bool).
    value.set_property("value", Rule::constant(Value::Int(3))).unwrap();
    let out = value.resolve(None).unwrap();
    assert_eq!((out[0].dtype(), out[0].shape().to_vec(), out[0].as_slice()[0]), (Dtype::Int64, vec![], 3.0));
    value.set_property("value", Rule::constant(Value::List(vec![Value::Bool(true), Value::Float(2.5)]))).unwrap();
    let out = value.resolve(None).unwrap();
    assert_eq!([out[0].dtype(), out[1].dtype()], [Dtype::Bool, Dtype::Float64]);
    assert_eq!(firsts(&out), [1.0, 2.5]);
    // A feature's output read as a value keeps them: `Value(1) & Value(2)` is two whole numbers.
    let stack = registry::build("Stack", Vec::new()).unwrap();
    let two = registry::build("Value", Vec::new()).unwrap();
    two.set_property("value", Rule::constant(Value::Int(2))).unwrap();
    stack.set_property("value", Rule::feature_output(&two)).unwrap();
    value.set_property("value", Rule::constant(Value::Int(1))).unwrap();
    let out = Feature::chain(&value, &stack).unwrap().resolve(None).unwrap();
    assert_eq!([out[0].dtype(), out[1].dtype()], [Dtype::Int64, Dtype::Int64]);
    assert_eq!(firsts(&out), [1.0, 2.0]);
    assert!(matches!(Image::of_value(&Value::Int(2)).unwrap().to_value().unwrap(), Value::Int(2)));
    assert_eq!(Image::of_value(&Value::Float(2.0)).unwrap().to_value().unwrap().kind(), deeptrack::ValueKind::Array);
    // Any value is accepted, as in DeepTrack2 (a label); it must be numbers to be resolved.
    value.set_property("value", Rule::constant("seven")).unwrap();
    assert_eq!(value.get_property("value").unwrap().as_str().unwrap(), "seven");
    let err = value.resolve(None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert!(err.to_string().starts_with("property 'value' of feature 'Value'"), "{err}");
}

#[test]
fn a_value_of_none_gives_no_image() {
    // DeepTrack2 2.0.1: `(Value(None) >> Add(1))()` is `[]` (Value.get returned None).
    let value = deeptrack::features::builtin("Value").unwrap();
    value.set_property("value", Rule::constant(Value::None)).unwrap();
    assert!(value.resolve(None).unwrap().is_empty());
    assert!(Feature::chain(&value, &add(1.0)).unwrap().resolve(None).unwrap().is_empty());
}
