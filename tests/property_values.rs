//! DeepTrack2's `set_value` and `feature.resolve(x, key=value)` through the Rust API: pins that hold
//! until the next update, reach the properties that read them, keep caches when nothing changes, are
//! refused with a message naming the property, and are not copied into batches; feature values that
//! follow their features.

use deeptrack::{ErrorKind, Feature, Image, Rule, Value, features};

fn add(value: f64) -> Feature {
    let f = features::builtin("Add").unwrap();
    f.set_property("value", Rule::constant(value)).unwrap();
    f
}

fn scalar(img: &Image) -> f64 {
    img.as_slice()[0]
}

#[test]
fn a_pinned_value_holds_until_the_next_update() {
    let f = features::builtin("DummyFeature").unwrap();
    f.set_property("a", Rule::uniform(0.0, 1.0).unwrap()).unwrap();
    f.set_property("b", Rule::callback(|ctx| Ok(Value::Float(ctx.get("a")?.as_f64()? * 10.0)))).unwrap();
    assert!(f.set_value("a", Value::Float(4.0)).unwrap(), "a new value");
    assert_eq!(f.get_property("a").unwrap().as_f64().unwrap(), 4.0);
    assert_eq!(f.get_property("b").unwrap().as_f64().unwrap(), 40.0, "the property reading it follows");
    f.update().unwrap();
    let a = f.get_property("a").unwrap().as_f64().unwrap();
    assert!((0.0..1.0).contains(&a), "the rule is back after the update: {a}");
    assert_eq!(f.property_names(), ["a", "b", "name"]);
}

#[test]
fn the_same_value_keeps_the_cached_result() {
    let f = add(1.0);
    let input = Image::zeros(&[1]);
    assert!(!f.is_valid());
    assert_eq!(scalar(&f.resolve_one(Some(&input)).unwrap().unwrap()), 1.0);
    assert!(f.is_valid());
    assert!(!f.set_value("value", Value::Int(1)).unwrap(), "1 equals 1.0");
    assert!(f.is_valid());
    assert!(f.set_value("value", Value::Float(2.0)).unwrap());
    assert!(!f.is_valid());
    assert_eq!(scalar(&f.resolve_one(Some(&input)).unwrap().unwrap()), 2.0);
    assert!(Value::Float(f64::NAN).equivalent(&Value::Float(f64::NAN)));
    assert!(!Value::vector(&[1.0, 2.0]).equivalent(&Value::vector(&[1.0])));
}

#[test]
fn a_value_set_everywhere_reaches_every_feature_with_the_key() {
    let pipe = Feature::chain(&add(1.0), &add(2.0)).unwrap();
    let input = Image::zeros(&[1]);
    assert_eq!(scalar(&pipe.resolve_one(Some(&input)).unwrap().unwrap()), 3.0);
    assert_eq!(pipe.set_value_everywhere("value", &Value::Float(5.0)).unwrap(), 2);
    assert_eq!(scalar(&pipe.resolve_one(Some(&input)).unwrap().unwrap()), 10.0);
    assert_eq!(pipe.set_value_everywhere("nothing_has_it", &Value::Float(5.0)).unwrap(), 0);
    pipe.update().unwrap();
    assert_eq!(scalar(&pipe.resolve_one(Some(&input)).unwrap().unwrap()), 3.0);
}

#[test]
fn refused_values_name_the_property_and_set_nothing() {
    let inner = add(1.0);
    let repeat = Feature::repeat(&inner, 2).unwrap();
    let err = repeat.set_value_everywhere("N", &Value::Int(-1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().starts_with("property 'N' of feature 'Repeat'"), "{err}");
    assert_eq!(repeat.get_property("N").unwrap().as_i64().unwrap(), 2, "nothing was set");
    let err = inner.set_value("missing", Value::Int(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.to_string(), "feature 'Add': no property 'missing'");
    assert_eq!(inner.set_value("name", Value::str("x")).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn a_rule_set_later_replaces_the_pin_and_batches_start_from_the_rules() {
    let f = add(1.0);
    f.set_value("value", Value::Float(7.0)).unwrap();
    let batch = f.resolve_batch(Some(&Image::zeros(&[1])), 0, 0, 2, 1).unwrap();
    assert_eq!(batch.iter().map(scalar).collect::<Vec<_>>(), [1.0, 1.0], "a fresh copy has no pin");
    f.set_property("value", Rule::constant(3.0)).unwrap();
    f.update().unwrap();
    assert_eq!(f.get_property("value").unwrap().as_f64().unwrap(), 3.0, "the new rule, not the old one");
}

#[test]
fn a_feature_value_follows_its_feature() {
    // Value(value = A + 1) with A random: after A's update, the value is A's new output + 1.
    let a = features::builtin("Value").unwrap();
    a.set_property("value", Rule::uniform(0.0, 1.0).unwrap()).unwrap();
    let sum = Feature::chain(&a, &add(1.0)).unwrap();
    let v = features::builtin("Value").unwrap();
    v.set_property("value", Rule::feature_output(&sum)).unwrap();
    for _ in 0..3 {
        a.update().unwrap();
        let x = scalar(&a.resolve_one(None).unwrap().unwrap());
        assert_eq!(scalar(&v.resolve_one(None).unwrap().unwrap()), x + 1.0);
    }
}

#[test]
fn complex_arrays_are_values_of_complex_images_both_ways() {
    use ndarray::{ArrayD, IxDyn};
    use rustfft::num_complex::Complex64;
    let z: Vec<Complex64> = (0..6).map(|k| Complex64::new(k as f64, 1.0 - k as f64)).collect();
    let given = Value::complex_array(ArrayD::from_shape_vec(IxDyn(&[2, 3]), z.clone()).unwrap());
    // A Value of a complex array is a complex image: the parts along a last axis of 2.
    let v = features::builtin("Value").unwrap();
    v.set_property("value", Rule::constant(given.clone())).unwrap();
    let image = v.resolve_one(None).unwrap().unwrap();
    assert!(image.is_complex());
    assert_eq!(image.shape(), &[2, 3, 2]);
    assert_eq!(image.as_slice()[..4], [0.0, 1.0, 1.0, 0.0]);
    // A complex image read as a property value is the complex array again.
    let w = features::builtin("Value").unwrap();
    w.set_property("value", Rule::feature_output(&v)).unwrap();
    let read = w.get_property("value").unwrap();
    assert!(read.equivalent(&given), "{read}");
    assert_eq!(read.as_complex_array().unwrap().as_slice().unwrap(), z.as_slice());
    // The arithmetic kinds take it (numpy's complex arithmetic); a parameter of real numbers refuses
    // it, naming the property.
    features::builtin("Add").unwrap().set_property("value", Rule::constant(given.clone())).unwrap();
    let err = features::builtin("GaussianBlur").unwrap().set_property("sigma", Rule::constant(given)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert!(err.to_string().contains("sigma") && err.to_string().contains("complex array"), "{err}");
}

#[test]
fn an_override_leaves_a_linked_feature_outside_the_pipeline_as_it_was() {
    // DeepTrack2 2.0.1: p = Add(value=1); f = Add(value=p.value); f(x, value=5) gives 5, p keeps 1,
    // and after f.update() f reads p's 1 again.
    let p = add(1.0);
    let f = features::builtin("Add").unwrap();
    f.set_property("value", Rule::property_of(&p, "value").unwrap()).unwrap();
    let x = Image::zeros(&[1]);
    assert_eq!(f.set_value_everywhere("value", &Value::Int(5)).unwrap(), 1, "f only");
    assert_eq!(scalar(&f.resolve_one(Some(&x)).unwrap().unwrap()), 5.0);
    assert_eq!(p.get_property("value").unwrap().as_f64().unwrap(), 1.0);
    assert_eq!(scalar(&p.resolve_one(Some(&x)).unwrap().unwrap()), 1.0);
    f.update().unwrap();
    assert_eq!(scalar(&f.resolve_one(Some(&x)).unwrap().unwrap()), 1.0);
    // Inside the pipeline (p >> Add(value=p.value)) p takes the value too: 5 + 5, until the update.
    let g = features::builtin("Add").unwrap();
    g.set_property("value", Rule::property_of(&p, "value").unwrap()).unwrap();
    let chain = Feature::chain(&p, &g).unwrap();
    assert_eq!(chain.set_value_everywhere("value", &Value::Int(5)).unwrap(), 2);
    assert_eq!(scalar(&chain.resolve_one(Some(&x)).unwrap().unwrap()), 10.0);
    chain.update().unwrap();
    assert_eq!(scalar(&chain.resolve_one(Some(&x)).unwrap().unwrap()), 2.0);
}

#[test]
fn an_update_reaches_the_feature_a_pinned_value_stands_in_for() {
    // DeepTrack2 2.0.1: v = Value(value=3); f = Add(value=v); f(x, value=5) sets both; f.update()
    // puts both back (f gives 3).
    let v = features::builtin("Value").unwrap();
    v.set_property("value", Rule::constant(3.0)).unwrap();
    let f = features::builtin("Add").unwrap();
    f.set_property("value", Rule::feature_output(&v)).unwrap();
    let x = Image::zeros(&[1]);
    assert_eq!(f.set_value_everywhere("value", &Value::Int(5)).unwrap(), 2);
    assert_eq!(scalar(&f.resolve_one(Some(&x)).unwrap().unwrap()), 5.0);
    assert_eq!(v.get_property("value").unwrap().as_f64().unwrap(), 5.0);
    f.update().unwrap();
    assert_eq!(scalar(&f.resolve_one(Some(&x)).unwrap().unwrap()), 3.0);
    assert_eq!(v.get_property("value").unwrap().as_f64().unwrap(), 3.0);
}
