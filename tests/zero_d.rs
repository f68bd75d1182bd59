//! 0-d images (issue 12, "0-d shapes"): every kind of the registry, at its defaults and with each
//! parameter in turn set to a few ordinary values (both bools, axes 0, -1, 1, a tuple and None, spline
//! orders, every choice of a string), resolves a 0-d image and a 1-d image of one sample to an image
//! or to an ordinary error — never a panic. Where DeepTrack2 2.0.1 (numpy's legacy rule for 0-d
//! arrays) gives a result, the library gives the same shape: `Sum`, `Prod`, `Min`, `Max` and
//! `PeakToPeak` with `axis` 0 or -1 a 0-d image, `Cumsum` one of shape (1,), `Squeeze` a 0-d one; the
//! reductions that check their axis first in numpy (`Mean`, `Median`, `Std`, …) and a tuple of axes
//! raise, as there.

use std::panic::{AssertUnwindSafe, catch_unwind};

use deeptrack::features::registry::{self, KindSpec, ParamDefault, ParamKind, ParamSpec};
use deeptrack::{ErrorKind, Feature, Image, Rule, Value, features};

fn set(f: &Feature, key: &str, v: impl Into<Value>) {
    f.set_property(key, Rule::constant(v.into())).unwrap();
}

/// The features given at construction to a new feature of `spec`: its required ones.
fn children(spec: &'static KindSpec) -> Vec<Option<Feature>> {
    spec.params
        .iter()
        .filter(|p| p.is_feature() && matches!(p.default, ParamDefault::Required))
        .map(|p| match p.kind {
            ParamKind::Callback => Some(Feature::custom("Identity", |img, _| Ok(img.cloned()))),
            _ => Some(features::builtin("DummyFeature").unwrap()),
        })
        .collect()
}

/// A few ordinary values of a parameter of `spec` (none for features and callbacks).
fn values(spec: &ParamSpec) -> Vec<Value> {
    match spec.kind {
        ParamKind::Bool => vec![Value::Bool(true), Value::Bool(false)],
        ParamKind::Axis => vec![
            Value::Int(0),
            Value::Int(-1),
            Value::Int(1),
            Value::None,
            Value::Tuple(vec![Value::Int(0)]),
            Value::Tuple(vec![Value::Int(0), Value::Int(-1)]),
        ],
        ParamKind::Integer => [0, 1, 2, 3].map(Value::Int).to_vec(),
        ParamKind::Number => [0.0, 0.5, 1.0, 3.0].map(Value::Float).to_vec(),
        ParamKind::Str { choices } => choices.iter().map(|&c| Value::from(c)).collect(),
        ParamKind::Dtype => ["float64", "float32", "float16", "int16", "uint8", "bool", "complex64", "f4", "<i8", "?"]
            .map(Value::from)
            .to_vec(),
        _ => Vec::new(),
    }
}

/// `Ok(shape)` of the first output, `Err(kind, message)` of an error; a panic fails the caller.
fn resolve(f: &Feature, input: &Image) -> std::result::Result<Result<Vec<usize>, (ErrorKind, String)>, String> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(|| f.resolve(Some(input))));
    std::panic::set_hook(previous);
    match result {
        Ok(Ok(images)) => Ok(Ok(images.first().map(|i| i.shape().to_vec()).unwrap_or_default())),
        Ok(Err(e)) => Ok(Err((e.kind(), e.to_string()))),
        Err(payload) => Err(payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()),
    }
}

fn zero_d() -> Image {
    Image::from_slice(&[], &[3.0]).unwrap()
}

fn one_of_one() -> Image {
    Image::from_slice(&[1], &[3.0]).unwrap()
}

#[test]
fn no_kind_panics_on_a_0d_image_or_one_sample() {
    let mut panics = Vec::new();
    let mut cases = 0;
    for spec in registry::kinds() {
        if spec.name == "LoadImage" {
            continue; // reads a file, not its input
        }
        let mut settings: Vec<Option<(&str, Value)>> = vec![None];
        for p in spec.params.iter().filter(|p| !p.is_feature()) {
            settings.extend(values(p).into_iter().map(|v| Some((p.name, v))));
        }
        for setting in settings {
            let Ok(f) = registry::build_optional(spec.name, children(spec)) else { continue };
            if let Some((key, v)) = &setting {
                if f.set_property(key, Rule::constant(v.clone())).is_err() {
                    continue; // refused when set, with its own error (tests/extreme_values.rs)
                }
            }
            for input in [zero_d(), one_of_one()] {
                cases += 1;
                if let Err(message) = resolve(&f, &input) {
                    panics.push(format!("{} {setting:?} on {:?}: {message}", spec.name, input.shape()));
                }
            }
        }
    }
    assert!(cases > 1900, "only {cases} cases");
    assert!(panics.is_empty(), "{} panics of {cases} cases:\n{}", panics.len(), panics.join("\n"));
}

/// A reduction of kind `name` with `axis` (and `keepdims`) on a 0-d image of 3.
fn reduce(name: &str, axis: Value, keepdims: bool) -> Result<Image, String> {
    let f = features::builtin(name).unwrap();
    set(&f, "axis", axis);
    if name != "Cumsum" {
        set(&f, "keepdims", keepdims);
    }
    f.resolve(Some(&zero_d())).map(|mut images| images.remove(0)).map_err(|e| e.to_string())
}

#[test]
fn reductions_follow_numpys_legacy_rule_for_0d_arrays() {
    // numpy (and 2.0.1): np.sum(np.array(3.), axis=0) == 3.0 (0-d), keepdims too; np.ptp gives 0.
    for (name, expected) in [("Sum", 3.0), ("Prod", 3.0), ("Min", 3.0), ("Max", 3.0), ("PeakToPeak", 0.0)] {
        for axis in [0, -1] {
            for keepdims in [false, true] {
                let out = reduce(name, Value::Int(axis), keepdims).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!((out.shape(), out.as_slice()), (&[][..], &[expected][..]), "{name} axis={axis}");
            }
        }
        // A tuple of axes, or another axis, raises (numpy: AxisError).
        for axis in [Value::Int(1), Value::Tuple(vec![Value::Int(0)]), Value::Tuple(vec![Value::Int(-1)])] {
            let err = reduce(name, axis.clone(), false).unwrap_err();
            assert!(err.starts_with(&format!("property 'axis' of feature '{name}': axis ")), "{name} {axis}: {err}");
            assert!(err.contains("is out of bounds for an image of 0 dimensions"), "{err}");
        }
    }
    // np.cumsum(np.array(3.), axis=0) is array([3.]).
    for axis in [0, -1] {
        let out = reduce("Cumsum", Value::Int(axis), false).unwrap();
        assert_eq!((out.shape(), out.as_slice()), (&[1][..], &[3.0][..]));
    }
    assert!(reduce("Cumsum", Value::Int(1), false).is_err());
    // np.mean, np.median, np.std, np.var, np.quantile, np.percentile check the axis: AxisError.
    for name in ["Mean", "Median", "Std", "Variance", "Quantile", "Percentile"] {
        for axis in [0, -1] {
            let err = reduce(name, Value::Int(axis), false).unwrap_err();
            assert_eq!(
                err,
                format!(
                    "property 'axis' of feature '{name}': axis {axis} is out of bounds for an image of 0 dimensions"
                )
            );
        }
    }
}

#[test]
fn squeeze_of_a_0d_image_with_axis_0_or_minus_1_is_0d() {
    for axis in [0, -1] {
        let f = features::builtin("Squeeze").unwrap();
        set(&f, "axis", Value::Int(axis));
        let out = f.resolve(Some(&zero_d())).unwrap();
        assert_eq!((out[0].shape(), out[0].as_slice()), (&[][..], &[3.0][..]));
    }
    for axis in [Value::Int(1), Value::Tuple(vec![Value::Int(0)])] {
        let f = features::builtin("Squeeze").unwrap();
        set(&f, "axis", axis);
        let err = f.resolve(Some(&zero_d())).unwrap_err();
        assert!(err.to_string().contains("is out of bounds for an image with 0 axes"), "{err}");
    }
}

#[test]
fn elastic_transformation_with_no_axis_to_displace_is_an_ordinary_error() {
    // scipy (2.0.1): "input and output rank must be > 0".
    for (ignore_last_dim, input) in [(false, zero_d()), (true, zero_d()), (true, one_of_one())] {
        for order in [0, 1, 3] {
            let f = features::builtin("ElasticTransformation").unwrap();
            set(&f, "ignore_last_dim", ignore_last_dim);
            set(&f, "order", Value::Int(order));
            let err = f.resolve(Some(&input)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert_eq!(err.feature(), Some("ElasticTransformation"));
            assert_eq!(err.property(), Some("ignore_last_dim"));
            let expected = if input.shape().is_empty() && ignore_last_dim {
                "expected an image with at least one axis (ignore_last_dim drops the last)".to_owned()
            } else {
                format!(
                    "an image of shape {:?} has no axis to displace{} (the field needs at least one)",
                    input.shape(),
                    if ignore_last_dim { " once ignore_last_dim drops the last" } else { "" }
                )
            };
            assert_eq!(
                err.to_string(),
                format!("property 'ignore_last_dim' of feature 'ElasticTransformation': {expected}")
            );
        }
    }
    // One displaced axis of one sample is warped (its sample moved away: the constant 0).
    let f = features::builtin("ElasticTransformation").unwrap();
    set(&f, "ignore_last_dim", false);
    assert_eq!(f.resolve(Some(&one_of_one())).unwrap()[0].shape(), &[1]);
}
