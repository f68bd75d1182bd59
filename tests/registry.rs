//! The registry of kinds is the single source of truth: every registered kind builds with its
//! spec's defaults, the names the library accepts are the table's, and constants are checked against
//! the spec when they are set (and sampled values when they are read).

use deeptrack::features::registry::{self, Const, ParamDefault, ParamKind, ParamSpec, Support};
use deeptrack::features::{self, builtin_names};
use deeptrack::{ErrorKind, Feature, Image, Rule, Value};

fn repr(v: &Value) -> String {
    v.to_string()
}

#[test]
fn every_registered_kind_builds_with_its_defaults() {
    let mut leaves = 0;
    for spec in registry::kinds() {
        let feature_params: Vec<&ParamSpec> = spec.params.iter().filter(|p| p.is_feature()).collect();
        if !feature_params.is_empty() {
            // Kinds built from features say which ones they take.
            let err = registry::build(spec.name, Vec::new()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{}", spec.name);
            assert!(err.to_string().starts_with(&format!("{} takes", spec.name)), "{err}");
            assert!(features::builtin(spec.name).is_none());
            let dummies = feature_params.iter().map(|_| features::builtin("DummyFeature").unwrap()).collect();
            let f = registry::build(spec.name, dummies).unwrap();
            assert_eq!(f.get_property("name").unwrap().as_str().unwrap(), spec.name);
            continue;
        }
        leaves += 1;
        let f = features::builtin(spec.name).unwrap_or_else(|| panic!("{} does not build", spec.name));
        assert!(std::ptr::eq(f.spec().unwrap(), spec));
        // The properties: the spec's default properties in order, then name.
        let expected: Vec<&str> =
            spec.params.iter().filter(|p| p.is_default_property()).map(|p| p.name).chain(["name"]).collect();
        assert_eq!(f.property_names(), expected, "{}", spec.name);
        for p in spec.params {
            match p.default {
                ParamDefault::Value(c) if p.support == Support::Full => {
                    assert_eq!(repr(&f.get_property(p.name).unwrap()), repr(&c.to_value()), "{}.{}", spec.name, p.name);
                    // The default is a valid value of its own parameter.
                    p.validate(&c.to_value()).unwrap_or_else(|e| panic!("{}.{}: {e}", spec.name, p.name));
                }
                ParamDefault::Sampled(_) => assert!(f.get_property(p.name).is_ok()),
                _ => assert!(!f.has_property(p.name), "{}.{} is not a property unless set", spec.name, p.name),
            }
        }
        assert_eq!(f.get_property("name").unwrap().as_str().unwrap(), spec.name);
        // Positional parameters are parameters (or DeepTrack2's `_input`).
        for name in spec.positional {
            assert!(*name == "_input" || spec.param(name).is_some(), "{}: positional {name}", spec.name);
        }
        assert!(!spec.doc.is_empty() && spec.params.iter().all(|p| !p.doc.is_empty()), "{}", spec.name);
    }
    assert!(leaves >= 37, "{leaves} kinds built");
}

#[test]
fn builtin_names_is_the_table() {
    let table: Vec<&str> =
        registry::kinds().flat_map(|k| std::iter::once(k.name).chain(k.aliases.iter().copied())).collect();
    assert_eq!(builtin_names(), table);
    // The kind the hand-kept lists forgot.
    assert!(builtin_names().contains(&"AverageBlur"));
    let mut sorted = table.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), table.len(), "a name is registered twice");
    // An alias builds its kind, named by its class name.
    for (alias, kind) in [("Equal", "Equals"), ("GreaterThanOrEqual", "GreaterThanOrEquals"), ("Branch", "Chain")] {
        assert_eq!(registry::find(alias).unwrap().name, kind);
    }
    let f = features::builtin("LessThanOrEqual").unwrap();
    assert_eq!(f.get_property("name").unwrap().as_str().unwrap(), "LessThanOrEquals");
    // The "known kinds" error lists the table.
    let err = registry::build("Nope", Vec::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.to_string(), format!("unknown feature kind 'Nope'; known kinds: {}", table.join(", ")));
}

#[test]
fn constants_are_checked_against_the_spec_when_set() {
    let set = |kind: &str, key: &str, v: Value| {
        features::builtin(kind).unwrap().set_property(key, Rule::constant(v)).map_err(|e| (e.kind(), e.to_string()))
    };
    let err = |kind: &str, key: &str, v: Value| set(kind, key, v).unwrap_err();
    // Every bounded number of every kind: above its maximum, below its minimum, and not a number.
    let mut bounded = 0;
    for spec in registry::kinds().filter(|k| !k.params.iter().any(ParamSpec::is_feature)) {
        for p in spec.params.iter().filter(|p| p.support == Support::Full) {
            if matches!(p.kind, ParamKind::Number | ParamKind::Integer) {
                let (kind, message) = err(spec.name, p.name, Value::str("a"));
                assert_eq!(kind, ErrorKind::TypeMismatch);
                assert_eq!(
                    message,
                    format!("property '{}' of feature '{}': expected a number, got a string", p.name, spec.name)
                );
                if p.max.is_finite() && p.max < f64::MAX {
                    let (kind, message) = err(spec.name, p.name, Value::Float(p.max * 10.0));
                    assert_eq!(kind, ErrorKind::InvalidArgument);
                    assert!(message.ends_with(&format!("exceeds the maximum of {}", p.max)), "{message}");
                    bounded += 1;
                }
                if p.min == 0.0 {
                    let (_, message) = err(spec.name, p.name, Value::Float(-1.0));
                    assert!(message.contains("expected a positive") || message.contains("non-negative"), "{message}");
                }
            }
        }
    }
    assert!(bounded >= 3, "{bounded}");
    assert_eq!(
        err("GaussianBlur", "sigma", Value::Float(2e6)).1,
        "property 'sigma' of feature 'GaussianBlur': 2000000 exceeds the maximum of 1000000"
    );
    assert_eq!(
        err("AverageBlur", "ksize", Value::Int(0)).1,
        "property 'ksize' of feature 'AverageBlur': expected a positive integer, got 0"
    );
    assert_eq!(
        err("Crop", "crop_mode", Value::str("keep")).1,
        "property 'crop_mode' of feature 'Crop': expected 'retain' or 'remove', got 'keep'"
    );
    assert_eq!(
        err("Pad", "mode", Value::str("reflect")).1,
        "property 'mode' of feature 'Pad': only 'constant' is supported by libdeeptrack, got 'reflect' (numpy's \
         padding mode)"
    );
    assert!(set("Pad", "mode", Value::str("constant")).is_ok());
    assert_eq!(
        err("Sphere", "position", Value::vector(&[1.0])).1,
        "property 'position' of feature 'Sphere': expected 2 or 3 numbers, got 1"
    );
    assert_eq!(
        err("FlipLR", "augment", Value::Int(1)).1,
        "property 'augment' of feature 'FlipLR': expected a bool, got an integer"
    );
    assert_eq!(
        err("Clip", "min", Value::Float(f64::NAN)).1,
        "property 'min' of feature 'Clip': expected a number, got NaN"
    );
    assert_eq!(
        err("Gaussian", "mu", Value::Float(f64::INFINITY)).1,
        "property 'mu' of feature 'Gaussian': expected a finite number, got inf"
    );
    // Keys the kind does not declare are metadata; optional ones are checked when given.
    assert!(set("GaussianBlur", "track_me", Value::str("anything")).is_ok());
    assert!(set("Sphere", "intensity", Value::None).is_ok());
    assert!(err("Sphere", "intensity", Value::str("bright")).1.contains("expected a number, got a string"));
    // A feature of your own has no spec: nothing is checked.
    let custom = Feature::custom("GaussianBlur", |_, _| Ok(None));
    assert!(custom.set_property("sigma", Rule::constant(-1.0)).is_ok());
}

#[test]
fn sampled_values_are_checked_when_read() {
    let blur = features::builtin("GaussianBlur").unwrap();
    blur.set_property("sigma", Rule::uniform(2e6, 3e6).unwrap()).unwrap();
    let err = blur.resolve(Some(&Image::zeros(&[4, 4]))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().starts_with("property 'sigma' of feature 'GaussianBlur': 2"), "{err}");
    assert!(err.to_string().ends_with("exceeds the maximum of 1000000"), "{err}");
    let flip = features::builtin("FlipUD").unwrap();
    flip.set_property("p", Rule::choice(vec![Value::Float(1.5)]).unwrap()).unwrap();
    let err = flip.resolve(Some(&Image::zeros(&[2, 2]))).unwrap_err();
    assert_eq!(err.to_string(), "property 'p' of feature 'FlipUD': 1.5 exceeds the maximum of 1");
}

/// The parameter kinds that the next kinds need (axes, operands, vectors, strings, nullable values),
/// checked directly.
#[test]
fn parameter_kinds_accept_what_they_say() {
    let spec = |kind: ParamKind| ParamSpec::new("x", kind, ParamDefault::Required, "a test parameter");
    let ok = |p: &ParamSpec, v: Value| p.validate(&v).map_err(|e| e.to_string());
    let ints = |v: &[i64]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());

    let axis = spec(ParamKind::Axis);
    assert!(ok(&axis, Value::None).is_ok() && ok(&axis, Value::Int(-1)).is_ok() && ok(&axis, ints(&[0, 1])).is_ok());
    assert_eq!(
        ok(&axis, Value::Float(1.5)).unwrap_err(),
        "expected an axis: None, an integer or integers, got a float"
    );
    assert!(ok(&axis, Value::List(vec![Value::Int(0), Value::str("a")])).is_err());

    let vector = ParamSpec { min: 0.0, max: 10.0, ..spec(ParamKind::Vector { min_len: 2, max_len: 2, whole: true }) };
    assert!(ok(&vector, ints(&[1, 10])).is_ok());
    assert_eq!(ok(&vector, ints(&[1, 2, 3])).unwrap_err(), "expected 2 numbers, got 3");
    assert_eq!(ok(&vector, Value::vector(&[1.0, 11.0])).unwrap_err(), "11 exceeds the maximum of 10");
    assert_eq!(ok(&vector, Value::vector(&[1.0, 0.5])).unwrap_err(), "expected a non-negative integer, got 0.5");

    let mode = spec(ParamKind::Str { choices: &["constant", "reflect", "wrap"] });
    assert_eq!(ok(&mode, Value::str("edge")).unwrap_err(), "expected one of 'constant', 'reflect', 'wrap', got 'edge'");
    assert!(ok(&spec(ParamKind::Str { choices: &[] }), Value::str("anything")).is_ok());

    let operands = spec(ParamKind::Arrays);
    assert!(ok(&operands, Value::List(vec![Value::vector(&[1.0, 2.0]), Value::Float(f64::NAN)])).is_ok());
    assert!(ok(&operands, Value::str("a")).is_err());
    let bounded = ParamSpec { min: 0.0, max: 1.0, ..spec(ParamKind::Array) };
    assert_eq!(ok(&bounded, Value::vector(&[0.5, 2.0])).unwrap_err(), "2 exceeds the maximum of 1");

    let open = ParamSpec { min: 0.0, max: 1.0, min_open: true, max_open: true, ..spec(ParamKind::Number) };
    assert_eq!(ok(&open, Value::Float(0.0)).unwrap_err(), "expected a positive number, got 0");
    assert_eq!(ok(&open, Value::Float(1.0)).unwrap_err(), "expected a number less than 1, got 1");
    let nullable = ParamSpec { nullable: true, ..spec(ParamKind::Number) };
    assert!(ok(&nullable, Value::None).is_ok() && ok(&spec(ParamKind::Number), Value::None).is_err());

    // Feature and callback parameters are not properties: constants are refused for them.
    let chain = registry::find("Chain").unwrap();
    assert_eq!(
        chain.validate("feature_1", &Value::Int(1)).unwrap_err().to_string(),
        "property 'feature_1': 'feature_1' is a feature given at construction, not a property"
    );
    assert_eq!(Const::Ints(&[1, 2]).to_value().to_string(), ints(&[1, 2]).to_string());
}
