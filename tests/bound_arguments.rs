//! Bound arguments (`Feature::bind_arguments`, DeepTrack2's `bind_arguments`): with properties
//! stored, every computation of the bound feature records the arguments' dict (their values for that
//! resolve) right before its own, wherever it computes: resolved itself, inside a chain, a repeat, a
//! stack, under another binding. Every expected list is what deeptrack 2.0.1 gives for the same
//! pipeline (`target/dt2-venv/bin/python`), unless a comment says otherwise.

use deeptrack::features::registry;
use deeptrack::{ErrorKind, Feature, Image, Rule, Value};

fn kind(name: &str, props: &[(&str, Rule)]) -> Feature {
    let f = registry::build(name, Vec::new()).unwrap();
    for (key, rule) in props {
        f.set_property(key, rule.clone()).unwrap();
    }
    f
}

fn c(x: f64) -> Rule {
    Rule::constant(x)
}

fn link(f: &Feature, key: &str) -> Rule {
    Rule::property_of(f, key).unwrap()
}

fn chain(a: &Feature, b: &Feature) -> Feature {
    Feature::chain(a, b).unwrap()
}

fn value(x: f64) -> Feature {
    kind("Value", &[("value", Rule::constant(Value::array(ndarray::arr1(&[x]).into_dyn())))])
}

fn names(image: &Image) -> Vec<String> {
    image.get_properties("name").unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// The dict at `index` of the image's list as (key, value) pairs, floats only (and the name).
fn dict(image: &Image, index: usize) -> Vec<(String, String)> {
    let d = image.properties().get(index).unwrap();
    d.iter()
        .map(|(k, v)| {
            (k.to_owned(), v.as_str().ok().map(str::to_owned).unwrap_or_else(|| format!("{}", v.as_f64().unwrap())))
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn one(f: &Feature) -> Image {
    let mut out = f.resolve(None).unwrap();
    assert_eq!(out.len(), 1);
    out.pop().unwrap()
}

#[test]
fn a_bound_chain_inside_a_larger_chain_records_the_arguments_before_its_own_dict() {
    let args = kind("Arguments", &[("x", c(4.0))]);
    let f = chain(&value(1.0), &kind("Add", &[("value", link(&args, "x"))]));
    f.bind_arguments(&args).unwrap();
    let p = chain(&f, &kind("Multiply", &[("value", c(2.0))]));
    p.store_properties(true);
    let out = one(&p);
    assert_eq!(names(&out), ["Value", "Add", "Arguments", "Chain", "Multiply", "Chain"]);
    assert_eq!(dict(&out, 2), pairs(&[("x", "4"), ("name", "Arguments")]));
    assert_eq!(out.as_slice(), [10.0]);
}

#[test]
fn a_bound_leaf_inside_a_chain_records_them_before_its_own_dict() {
    let args = kind("Arguments", &[("x", c(4.0))]);
    let add = kind("Add", &[("value", link(&args, "x"))]);
    add.bind_arguments(&args).unwrap();
    assert!(add.arguments().unwrap().ptr_eq(&args));
    let p = chain(&value(1.0), &add);
    p.store_properties(true);
    let out = one(&p);
    assert_eq!(names(&out), ["Value", "Arguments", "Add", "Chain"]);
    // Resolved itself, the leaf records them too.
    let out = add.resolve(Some(&Image::from_slice(&[1], &[0.0]).unwrap())).unwrap();
    assert_eq!(names(&out[0]), ["Arguments", "Add"]);
}

#[test]
fn without_stored_properties_nothing_is_recorded() {
    let args = kind("Arguments", &[("x", c(4.0))]);
    let add = kind("Add", &[("value", link(&args, "x"))]);
    add.bind_arguments(&args).unwrap();
    let p = chain(&value(1.0), &add);
    let out = one(&p);
    assert!(out.properties().is_empty());
    assert_eq!(out.as_slice(), [5.0]);
}

#[test]
fn inside_a_repeat_each_repetition_records_the_arguments_shared_by_the_repetitions() {
    // 2.0.1: ['Value', 'Arguments', 'Add'(_ID (0,)), 'Arguments', 'Add'(_ID (1,)), 'Repeat', 'Chain'],
    // both Arguments dicts with the same x (drawn once, at the top level) and without `_ID`.
    let args = kind("Arguments", &[("x", Rule::uniform(0.0, 1.0).unwrap())]);
    let add = kind("Add", &[("value", c(1.0))]);
    add.bind_arguments(&args).unwrap();
    let p = chain(&value(0.0), &Feature::repeat(&add, 2).unwrap());
    p.store_properties(true);
    p.seed(7).unwrap();
    let out = one(&p);
    assert_eq!(names(&out), ["Value", "Arguments", "Add", "Arguments", "Add", "Repeat", "Chain"]);
    let d = out.properties();
    let x1 = d.get(1).unwrap().get("x").unwrap().as_f64().unwrap();
    let x3 = d.get(3).unwrap().get("x").unwrap().as_f64().unwrap();
    assert_eq!(x1, x3);
    assert!((0.0..1.0).contains(&x1));
    assert!(!d.get(1).unwrap().contains("_ID"));
    assert!(d.get(2).unwrap().contains("_ID"));
    // Linked inside the repeat as well: the value each repetition added is the one it recorded (2.0.1
    // raises an AssertionError here).
    let add = kind("Add", &[("value", link(&args, "x"))]);
    add.bind_arguments(&args).unwrap();
    let p = chain(&value(0.0), &Feature::repeat(&add, 2).unwrap());
    p.store_properties(true);
    p.seed(8).unwrap();
    let out = one(&p);
    let d = out.properties();
    let x1 = d.get(1).unwrap().get("x").unwrap().as_f64().unwrap();
    let x3 = d.get(3).unwrap().get("x").unwrap().as_f64().unwrap();
    assert_eq!(d.get(2).unwrap().get("value").unwrap().as_f64().unwrap(), x1);
    assert_eq!(d.get(4).unwrap().get("value").unwrap().as_f64().unwrap(), x3);
    assert_eq!(out.as_slice(), [x1 + x3]);
}

#[test]
fn a_bound_stack_and_a_bound_chain_inside_a_stack() {
    let args = kind("Arguments", &[("x", c(4.0))]);
    let a = chain(&value(1.0), &kind("Add", &[("value", link(&args, "x"))]));
    a.bind_arguments(&args).unwrap();
    let b = value(0.0);
    // a & b: a >> Stack(value=b).
    let stack = kind("Stack", &[("value", Rule::feature_output(&b))]);
    let s = chain(&a, &stack);
    s.store_properties(true);
    let out = s.resolve(None).unwrap();
    assert_eq!(names(&out[0]), ["Value", "Add", "Arguments", "Chain", "Stack", "Chain"]);
    assert_eq!(names(&out[1]), ["Value", "Stack", "Chain"]);
    // b & a
    let stack = kind("Stack", &[("value", Rule::feature_output(&a))]);
    let s = chain(&b, &stack);
    s.store_properties(true);
    let out = s.resolve(None).unwrap();
    assert_eq!(names(&out[0]), ["Value", "Stack", "Chain"]);
    assert_eq!(names(&out[1]), ["Value", "Add", "Arguments", "Chain", "Stack", "Chain"]);
}

#[test]
fn nested_bindings_each_record_their_own_arguments() {
    let args1 = kind("Arguments", &[("x", c(1.0))]);
    let args2 = kind("Arguments", &[("y", c(2.0))]);
    let add = kind("Add", &[("value", link(&args1, "x"))]);
    add.bind_arguments(&args1).unwrap();
    let p = chain(&chain(&value(0.0), &add), &kind("Multiply", &[("value", link(&args2, "y"))]));
    p.bind_arguments(&args2).unwrap();
    p.store_properties(true);
    let out = one(&p);
    assert_eq!(names(&out), ["Value", "Arguments", "Add", "Chain", "Multiply", "Arguments", "Chain"]);
    assert_eq!(dict(&out, 1), pairs(&[("x", "1"), ("name", "Arguments")]));
    assert_eq!(dict(&out, 5), pairs(&[("y", "2"), ("name", "Arguments")]));
    assert_eq!(out.as_slice(), [2.0]);
    // The same arguments bound at two levels: recorded twice, as two dicts.
    let args = kind("Arguments", &[("x", c(3.0))]);
    let add = kind("Add", &[("value", link(&args, "x"))]);
    add.bind_arguments(&args).unwrap();
    let p = chain(&value(0.0), &add);
    p.bind_arguments(&args).unwrap();
    p.store_properties(true);
    let out = one(&p);
    assert_eq!(names(&out), ["Value", "Arguments", "Add", "Arguments", "Chain"]);
    assert!(!std::sync::Arc::ptr_eq(out.properties().get(1).unwrap(), out.properties().get(3).unwrap()));
}

#[test]
fn the_dict_holds_the_values_of_each_resolve_and_an_update_of_the_bound_feature_leaves_them() {
    let args = kind("Arguments", &[("x", Rule::uniform(0.0, 1.0).unwrap())]);
    let add = kind("Add", &[("value", c(1.0))]);
    add.bind_arguments(&args).unwrap();
    add.store_properties(true);
    add.seed(3).unwrap();
    let input = Image::from_slice(&[1], &[0.0]).unwrap();
    let x = |out: &[Image]| out[0].properties().get(0).unwrap().get("x").unwrap().as_f64().unwrap();
    let first = x(&add.resolve(Some(&input)).unwrap());
    // Cached: the same result.
    assert_eq!(x(&add.resolve(Some(&input)).unwrap()), first);
    // 2.0.1: updating the bound feature does not re-sample arguments it does not link to.
    add.update().unwrap();
    assert_eq!(x(&add.resolve(Some(&input)).unwrap()), first);
    // Updated themselves, they are drawn again (recorded once the bound feature computes again).
    args.update().unwrap();
    add.update().unwrap();
    assert_ne!(x(&add.resolve(Some(&input)).unwrap()), first);
    // A link to them: an update of the pipeline reaches them (2.0.1's `p.update()`).
    let add = kind("Add", &[("value", link(&args, "x"))]);
    add.bind_arguments(&args).unwrap();
    let p = chain(&value(0.0), &add);
    p.store_properties(true);
    let out = one(&p);
    let before = out.properties().get(1).unwrap().get("x").unwrap().as_f64().unwrap();
    assert_eq!(out.as_slice(), [before]);
    p.update().unwrap();
    let out = one(&p);
    let after = out.properties().get(1).unwrap().get("x").unwrap().as_f64().unwrap();
    assert_ne!(after, before);
    assert_eq!(out.as_slice(), [after]);
}

#[test]
fn a_value_set_for_one_resolve_is_recorded_then_set_back() {
    let args = kind("Arguments", &[("x", c(4.0))]);
    let p = chain(&value(1.0), &kind("Add", &[("value", link(&args, "x"))]));
    p.bind_arguments(&args).unwrap();
    p.store_properties(true);
    args.set_value("x", Value::Float(9.0)).unwrap();
    let out = one(&p);
    assert_eq!(dict(&out, 2), pairs(&[("x", "9"), ("name", "Arguments")]));
    assert_eq!(out.as_slice(), [10.0]);
    args.set_value("x", Value::Float(4.0)).unwrap();
    let out = one(&p);
    assert_eq!(dict(&out, 2), pairs(&[("x", "4"), ("name", "Arguments")]));
    assert_eq!(out.as_slice(), [5.0]);
}

#[test]
fn any_feature_can_be_the_arguments_and_batches_record_them() {
    // 2.0.1: [{'value': [[1.0]], 'name': 'Value'}, {'value': 3.0, 'name': 'Add'}, {'value': 2.0, 'name': 'Multiply'}, {'name': 'Chain'}]
    let args = kind("Add", &[("value", c(3.0))]);
    let mul = kind("Multiply", &[("value", c(2.0))]);
    mul.bind_arguments(&args).unwrap();
    let p = chain(&value(1.0), &mul);
    p.store_properties(true);
    let out = one(&p);
    assert_eq!(names(&out), ["Value", "Add", "Multiply", "Chain"]);
    assert_eq!(dict(&out, 1), pairs(&[("value", "3"), ("name", "Add")]));
    // The copies a batch resolves keep the binding.
    let batch = p.resolve_batch(None, 1, 0, 2, 1).unwrap();
    for image in &batch {
        assert_eq!(names(image), ["Value", "Add", "Multiply", "Chain"]);
    }
}

#[test]
fn binding_that_would_make_a_loop_is_refused() {
    let args = kind("Arguments", &[("x", c(1.0))]);
    let add = kind("Add", &[("value", link(&args, "x"))]);
    let err = add.bind_arguments(&add).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle);
    assert_eq!(err.to_string(), "feature 'Add': a feature cannot be bound as its own arguments");
    let p = chain(&value(0.0), &add);
    let err = add.bind_arguments(&p).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle);
    assert_eq!(
        err.to_string(),
        "feature 'Add': feature 'Chain' already depends on this feature: binding it as arguments would make a loop"
    );
    assert!(add.arguments().is_none(), "nothing changed");
    // Bound (with no link to them), then linked back: the link is refused as a loop too.
    let free = kind("Multiply", &[("value", c(2.0))]);
    free.bind_arguments(&args).unwrap();
    let err = args.set_property("y", link(&free, "value")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle);
    assert!(!args.has_property("y"));
    // Binding again replaces.
    let other = kind("Arguments", &[("z", c(2.0))]);
    add.bind_arguments(&other).unwrap();
    assert!(add.arguments().unwrap().ptr_eq(&other));
}
