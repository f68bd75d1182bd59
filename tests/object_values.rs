//! Objects of the host's as property values through the Rust API (`Value::Object`): the library holds
//! any `Send + Sync` value without reading it; it travels with the property dicts of every image (a
//! batch's on worker threads too), comes back as the same object, compares equal only to itself, is
//! refused by a kind that computes with it (naming the property), and is dropped with its last copy.

use std::sync::Arc;

use deeptrack::value::Object;
use deeptrack::{ErrorKind, Image, Rule, Value, ValueKind, features};

fn object_of(v: &Value) -> &Object {
    match v {
        Value::Object(o) => o,
        other => panic!("expected an object, got {other:?}"),
    }
}

#[test]
fn an_object_travels_with_every_dict_and_is_dropped_with_its_last_copy() {
    let meta = Arc::new(String::from("meta"));
    let held = Object::new(Arc::clone(&meta));
    let add = features::builtin("Add").unwrap();
    add.set_property("value", Rule::constant(1.0)).unwrap();
    add.set_property("meta", Rule::constant(Value::Object(held.clone()))).unwrap();
    add.store_properties(true);
    let input = Image::zeros(&[3]);
    let out = add.resolve_one(Some(&input)).unwrap().unwrap();
    let recorded = out.get_property("meta").unwrap();
    assert_eq!(recorded.kind(), ValueKind::Object);
    assert!(object_of(recorded).same(&held));
    assert_eq!(object_of(recorded).downcast_ref::<Arc<String>>().map(|s| s.as_str()), Some("meta"));
    assert!(Value::Object(held.clone()).equivalent(recorded));
    assert!(!Value::Object(Object::new(Arc::clone(&meta))).equivalent(recorded), "only itself");
    assert_eq!(recorded.to_string(), "<object>");
    let batch = add.resolve_batch(Some(&input), 3, 0, 6, 2).unwrap();
    for image in &batch {
        assert!(object_of(image.get_property("meta").unwrap()).same(&held));
    }
    drop((batch, out, held));
    assert_eq!(Arc::strong_count(&meta), 2, "the feature's rule holds it");
    drop(add);
    assert_eq!(Arc::strong_count(&meta), 1, "dropped with the last copy");
}

#[test]
fn a_kind_that_computes_with_an_object_names_the_property() {
    let object = Value::Object(Object::new(7_u8));
    let mul = features::builtin("Multiply").unwrap();
    let e = mul.set_property("value", Rule::constant(object.clone())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    assert_eq!(e.to_string(), "property 'value' of feature 'Multiply': expected numbers, got an object of the host's");
    mul.set_property("value", Rule::callback(move |_| Ok(object.clone()))).unwrap();
    let e = mul.resolve_one(Some(&Image::zeros(&[2]))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    assert!(e.to_string().contains("property 'value' of feature 'Multiply'"), "{}", e.to_string());
}

#[test]
fn an_object_in_place_of_an_image_passes_dummy_and_is_refused_by_a_computing_kind() {
    let label = Object::new(String::from("label"));
    let image = Image::of_object(label.clone());
    assert!(image.object().is_some_and(|o| o.same(&label)));
    assert_eq!(image.shape(), &[] as &[usize]);
    let dummy = features::builtin("DummyFeature").unwrap();
    let out = dummy.resolve_one(Some(&image)).unwrap().unwrap();
    assert!(out.object().is_some_and(|o| o.same(&label)), "passed on as it is");
    let add = features::builtin("Add").unwrap();
    let e = add.resolve_one(Some(&image)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    assert!(e.to_string().contains("Add cannot compute with an object of the host's"), "{e}");
    assert!(Image::zeros(&[2]).object().is_none());
}
