//! No parameter value makes a built-in kind panic: every kind of the registry, every numeric
//! parameter in turn set to an extreme value (±1e300, ±1e308, ±f64::MAX, ±1e155 whose square
//! overflows, 1e-160, 5e-324 and f64::MIN_POSITIVE whose squares underflow, ±1e19, ±1e-300, 0, -1,
//! the largest and smallest integers, NaN, ±inf, …), resolves a small image to an image or to an
//! error — never a panic, and in a debug build (overflow checks on) never an integer overflow. An
//! error caused by the value names the property it was given to (or, for a kind resolved inside a
//! microscope, a property of that chain). A finite value given to a finite, well-behaved input never
//! makes the image non-finite with status OK (the policy of the README's "Limits and errors"): it is a
//! finite image or an error naming the property — except for the kinds whose documented semantics is
//! numpy's arithmetic on the data ([`NUMPY_ARITHMETIC`]).

use std::panic::{AssertUnwindSafe, catch_unwind};

use deeptrack::features::registry::{self, KindSpec, ParamDefault, ParamKind, ParamSpec};
use deeptrack::{Feature, Image, Rule, Value, features};

/// The extreme numbers tried for every numeric parameter.
fn numbers() -> Vec<Value> {
    let mut out: Vec<Value> = [1e300, -1e300, 1e19, -1e19, 1e-300, -1e-300, 0.0, -1.0, 0.5, 1e9, -1e9, 4096.5]
        .into_iter()
        .map(Value::Float)
        .collect();
    // Near the largest float; squares that overflow; squares (and reciprocals) that underflow.
    out.extend(
        [1e308, -1e308, f64::MAX, -f64::MAX, 1e155, -1e155, 1e-160, -1e-160, 5e-324, f64::MIN_POSITIVE]
            .map(Value::Float),
    );
    out.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY].map(Value::Float));
    out.extend([i64::MAX, i64::MIN, 1 << 53, -(1 << 53), 1 << 31, 0, -1, 1, 2].map(Value::Int));
    out
}

/// The values tried for a parameter of `spec`: numbers, and for vectors lists of them (each number
/// in every position, the others 1).
fn values(spec: &ParamSpec) -> Vec<Value> {
    let scalars = numbers();
    match spec.kind {
        ParamKind::Number | ParamKind::Integer | ParamKind::Any | ParamKind::Array | ParamKind::Arrays => scalars,
        ParamKind::Axis => [i64::MAX, i64::MIN, 1 << 40, -(1 << 40), 5, -5].map(Value::Int).to_vec(),
        ParamKind::Vector { min_len, max_len, .. } => {
            let mut out = scalars.clone();
            for len in [min_len.max(1), max_len.min(4)] {
                for v in &scalars {
                    for at in 0..len {
                        let list = (0..len).map(|i| if i == at { v.clone() } else { Value::Int(1) }).collect();
                        out.push(Value::List(list));
                    }
                    out.push(Value::List(vec![v.clone(); len]));
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

fn set(f: &Feature, key: &str, v: impl Into<Value>) {
    f.set_property(key, Rule::constant(v.into())).unwrap();
}

fn build(name: &str, features: Vec<Option<Feature>>) -> Feature {
    registry::build_optional(name, features).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A small optics of kind `name` (an 8 × 8 output, padding 2) with `pupil` and `illumination`.
fn optics(name: &str, pupil: Option<Feature>, illumination: Option<Feature>) -> Feature {
    let o = build(name, vec![pupil, illumination]);
    set(&o, "output_region", Value::vector(&[0.0, 0.0, 8.0, 8.0]));
    set(&o, "padding", Value::vector(&[2.0, 2.0, 2.0, 2.0]));
    o
}

fn point() -> Feature {
    let p = features::builtin("PointParticle").unwrap();
    set(&p, "position", Value::vector(&[4.0, 4.0]));
    p
}

fn microscope(sample: Feature, objective: Feature) -> Feature {
    build("Microscope", vec![Some(sample), Some(objective)])
}

/// A passing-through custom feature (for callback parameters).
fn identity() -> Feature {
    Feature::custom("Identity", |img, _| Ok(img.cloned()))
}

/// The features given at construction to a new feature of `spec`: its required ones.
fn children(spec: &'static KindSpec) -> Vec<Option<Feature>> {
    spec.params
        .iter()
        .filter(|p| p.is_feature())
        .filter(|p| matches!(p.default, ParamDefault::Required))
        .map(|p| match (spec.name, p.kind) {
            (_, ParamKind::Callback) => Some(identity()),
            ("NonOverlapping", _) => Some(point()),
            ("Upscale", _) => Some(microscope(point(), optics("Fluorescence", None, None))),
            _ => Some(features::builtin("DummyFeature").unwrap()),
        })
        .collect()
}

/// The feature whose parameters are set (a new one of `spec`) and the pipeline resolved, with
/// whether it is resolved on input images.
fn context(spec: &'static KindSpec) -> (Feature, Feature, bool) {
    let has = |name: &str| spec.params.iter().any(|p| p.name == name && p.is_feature());
    match spec.module {
        "optics" if has("pupil") => {
            let o = optics(spec.name, None, None);
            (o.clone(), microscope(point(), o), false)
        }
        "optics" if !spec.params.iter().any(ParamSpec::is_feature) => {
            let f = features::builtin(spec.name).unwrap();
            (f.clone(), microscope(point(), optics("Brightfield", None, Some(f))), false)
        }
        "aberrations" => {
            let f = build(spec.name, children(spec));
            (f.clone(), microscope(point(), optics("Fluorescence", Some(f), None)), false)
        }
        "scatterers" => {
            let f = build(spec.name, children(spec));
            set(&f, "position", Value::vector(&[4.0, 4.0]));
            (f.clone(), microscope(f, optics("Brightfield", None, None)), false)
        }
        _ => {
            let f = build(spec.name, children(spec));
            let on_input = !matches!(spec.name, "NonOverlapping" | "Upscale");
            (f.clone(), f, on_input)
        }
    }
}

/// The input images: a 2-d and a 3-d one of distinct values.
fn inputs() -> Vec<Image> {
    let ramp = |shape: &[usize]| {
        let n: usize = shape.iter().product();
        Image::from_slice(shape, &(0..n).map(|i| (i % 7) as f64 * 0.25).collect::<Vec<_>>()).unwrap()
    };
    vec![ramp(&[6, 7]), ramp(&[6, 7, 3])]
}

/// The kinds whose documented semantics is numpy's arithmetic on the data (the README's "Limits and
/// errors"): their value is an operand, and what numpy computes from the data and it — an overflow,
/// a division by 0, a negative power of 0 — is their result, infinities included, as in DeepTrack2
/// 2.0.1. These are per-kind expectations of the policy, not a list of the registry.
const NUMPY_ARITHMETIC: &[(&str, &str)] = &[
    ("Add", "x + value overflows for a value near f64::MAX"),
    ("Subtract", "x - value overflows for a value near -f64::MAX"),
    ("Multiply", "x · value overflows, as numpy's"),
    ("Divide", "x / value: a value of 0 or one that underflows the quotient, as numpy's"),
    ("FloorDivide", "x // value, as numpy's"),
    ("Power", "x ** value: 0 ** -1 and 2 ** 1e300 are inf, as numpy's"),
];

/// Whether every number of `v` is finite.
fn finite(v: &Value) -> bool {
    match v {
        Value::Float(x) => x.is_finite(),
        Value::List(items) => items.iter().all(finite),
        _ => true,
    }
}

#[derive(Debug)]
enum Outcome {
    Ok,
    /// An image with a non-finite value, returned with status OK (the first such value).
    NotFinite(f64),
    Error(String),
    Panic(String),
}

fn resolve(pipeline: &Feature, input: Option<&Image>) -> Outcome {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(|| pipeline.resolve(input)));
    std::panic::set_hook(previous);
    match result {
        Ok(Ok(images)) => match images.iter().flat_map(|i| i.as_slice().iter()).find(|v| !v.is_finite()) {
            Some(&v) => Outcome::NotFinite(v),
            None => Outcome::Ok,
        },
        Ok(Err(e)) => Outcome::Error(e.to_string()),
        Err(payload) => Outcome::Panic(
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default(),
        ),
    }
}

/// Every kind, every numeric parameter, every extreme value: an image or an error, never a panic.
/// Every error names the feature; outside a microscope (where the optics and the scatterers relate
/// many properties) it names the property given the value.
#[test]
fn no_parameter_value_makes_any_kind_panic() {
    let inputs = inputs();
    let mut panics = Vec::new();
    let mut unnamed = Vec::new();
    let mut not_finite = Vec::new();
    let mut cases = 0;
    for spec in registry::kinds() {
        if spec.name == "LoadImage" {
            // Reads a file: its parameters are a path and flags (tests/load_image.rs).
            continue;
        }
        // The pipeline at its defaults: an error there is not the value's.
        let baseline_ok = {
            let (_, pipeline, on_input) = context(spec);
            if on_input {
                inputs.iter().all(|i| matches!(resolve(&pipeline, Some(i)), Outcome::Ok))
            } else {
                matches!(resolve(&pipeline, None), Outcome::Ok)
            }
        };
        let in_microscope = matches!(spec.module, "optics" | "aberrations" | "scatterers");
        let arithmetic = NUMPY_ARITHMETIC.iter().any(|(name, _)| *name == spec.name);
        for p in spec.params.iter().filter(|p| !p.is_feature()) {
            for v in values(p) {
                let (target, pipeline, on_input) = context(spec);
                if let Err(e) = target.set_property(p.name, Rule::constant(v.clone())) {
                    assert!(e.to_string().starts_with(&format!("property '{}' of feature", p.name)), "{e}");
                    continue;
                }
                let runs: Vec<Option<&Image>> = if on_input { inputs.iter().map(Some).collect() } else { vec![None] };
                for input in runs {
                    cases += 1;
                    let case = format!("{}.{} = {v} on {:?}", spec.name, p.name, input.map(Image::shape));
                    match resolve(&pipeline, input) {
                        Outcome::Ok => {}
                        // Finite inputs that cannot give a finite image are errors naming the
                        // property, inside a microscope and out; outside one, numpy's arithmetic on
                        // the data keeps numpy's infinities, and a non-finite value may give them.
                        Outcome::NotFinite(x) if in_microscope || (finite(&v) && !arithmetic) => {
                            not_finite.push(format!("{case}: {x}"))
                        }
                        Outcome::NotFinite(_) => {}
                        Outcome::Panic(m) => panics.push(format!("{case}: {m}")),
                        Outcome::Error(m) => {
                            let names_property = m.contains(&format!("property '{}'", p.name));
                            if !m.contains("feature '") || (baseline_ok && !in_microscope && !names_property) {
                                unnamed.push(format!("{case}: {m}"));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(cases > 10_000, "{cases} cases");
    assert!(
        panics.is_empty() && unnamed.is_empty() && not_finite.is_empty(),
        "{} panics:\n{}\n{} errors not naming the property:\n{}\n{} non-finite images with status OK:\n{}",
        panics.len(),
        panics.join("\n"),
        unnamed.len(),
        unnamed.join("\n"),
        not_finite.len(),
        not_finite.join("\n")
    );
}

/// The pipelines of a kind attached to (or imaged by) an optics: the feature given the values and
/// the microscope resolved, under `Fluorescence` and under `Brightfield` (an illumination only under
/// the optics that read it).
fn in_microscopes(spec: &'static KindSpec) -> Vec<(Feature, Feature)> {
    let has = |name: &str| spec.params.iter().any(|p| p.name == name && p.is_feature());
    let mut out = Vec::new();
    for optics_kind in ["Fluorescence", "Brightfield"] {
        match spec.module {
            "optics" if has("pupil") && spec.name == optics_kind => {
                let o = optics(spec.name, None, None);
                out.push((o.clone(), microscope(point(), o)));
            }
            // An illumination (a kind of the module without features: not the Microscope).
            "optics" if !spec.params.iter().any(ParamSpec::is_feature) && optics_kind == "Brightfield" => {
                let f = features::builtin(spec.name).unwrap();
                out.push((f.clone(), microscope(point(), optics(optics_kind, None, Some(f)))));
            }
            "aberrations" => {
                let f = build(spec.name, children(spec));
                out.push((f.clone(), microscope(point(), optics(optics_kind, Some(f), None))));
            }
            "scatterers" => {
                let f = build(spec.name, children(spec));
                set(&f, "position", Value::vector(&[4.0, 4.0]));
                out.push((f.clone(), microscope(f, optics(optics_kind, None, None))));
            }
            _ => {}
        }
    }
    if spec.module == "optics" && has("pupil") && out.is_empty() {
        // The other optics (Darkfield, ISCAT, Holography, …): their own properties.
        let o = optics(spec.name, None, None);
        out.push((o.clone(), microscope(point(), o)));
    }
    out
}

/// Inside a microscope too, an error caused by an extreme value names the feature and the property
/// given it (not another scatterer's or the optics'), for every pupil, aberration, illumination and
/// scatterer kind under `Fluorescence` and `Brightfield`; and every image returned is finite.
#[test]
fn inside_a_microscope_errors_name_the_property_given_the_value() {
    let mut unnamed = Vec::new();
    let mut not_finite = Vec::new();
    let mut cases = 0;
    for spec in registry::kinds().filter(|k| matches!(k.module, "optics" | "aberrations" | "scatterers")) {
        for (index, (_, baseline)) in in_microscopes(spec).into_iter().enumerate() {
            // The pipeline at its defaults: an error there is not the value's.
            if !matches!(resolve(&baseline, None), Outcome::Ok) {
                continue;
            }
            for p in spec.params.iter().filter(|p| !p.is_feature()) {
                for v in values(p) {
                    let (target, pipeline) = in_microscopes(spec).swap_remove(index);
                    if target.set_property(p.name, Rule::constant(v.clone())).is_err() {
                        continue;
                    }
                    cases += 1;
                    let case = format!("{}.{} = {v} in {}", spec.name, p.name, pipeline.label());
                    match resolve(&pipeline, None) {
                        Outcome::Ok => {}
                        Outcome::NotFinite(x) => not_finite.push(format!("{case}: {x}")),
                        Outcome::Panic(m) => unnamed.push(format!("{case}: panic {m}")),
                        Outcome::Error(m) => {
                            // A list's length relates it to the feature's other lists ("4 radii for 1
                            // refractive indices"): naming one of them is naming the cause.
                            let named = match &v {
                                Value::List(_) => spec.params.iter().any(|q| {
                                    m.contains(&format!("property '{}' of feature '{}'", q.name, target.label()))
                                }),
                                _ => m.contains(&format!("property '{}' of feature '{}'", p.name, target.label())),
                            };
                            if !named {
                                unnamed.push(format!("{case}: {m}"));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(cases > 2_000, "{cases} cases");
    assert!(
        unnamed.is_empty() && not_finite.is_empty(),
        "{} errors not naming the property:\n{}\n{} non-finite images with status OK:\n{}",
        unnamed.len(),
        unnamed.join("\n"),
        not_finite.len(),
        not_finite.join("\n")
    );
}

/// `kind` with the constants `props`.
fn kind(name: &str, props: &[(&str, Value)]) -> Feature {
    let f = features::builtin(name).unwrap();
    for (key, v) in props {
        set(&f, key, v.clone());
    }
    f
}

fn ramp(shape: &[usize]) -> Image {
    let n: usize = shape.iter().product();
    Image::from_slice(shape, &(0..n).map(|i| ((i * 7919) % 1013) as f64).collect::<Vec<_>>()).unwrap()
}

/// An Affine that moves every coordinate beyond any sample index (a huge translation, a scale near
/// 0) gives DeepTrack2's image: `cval` everywhere in every mode but "nearest", which reads the edge on
/// the coordinate's side.
#[test]
fn affine_far_beyond_the_image_is_cval_or_the_edge() {
    let x = ramp(&[6, 7]);
    for (key, v) in [
        ("translate_px", Value::vector(&[1e19, 0.0])),
        ("translate", Value::vector(&[-1e300, 1e300])),
        ("translate_px", Value::Float(1e300)),
        ("scale", Value::vector(&[1e-20, 1e-300])),
    ] {
        for mode in ["reflect", "mirror", "wrap", "constant", "grid-wrap", "grid-constant"] {
            let f = kind("Affine", &[(key, v.clone()), ("mode", Value::str(mode)), ("cval", Value::Float(0.5))]);
            let out = f.resolve_one(Some(&x)).unwrap().unwrap();
            assert!(out.as_slice().iter().all(|&v| v == 0.5), "{key}={v} {mode}: {:?}", out.as_slice());
        }
    }
    // "nearest": columns far to the left (a shift right by 1e19) read column 0; far to the right, the last.
    for (shift, column) in [(1e19, 0), (-1e300, 6)] {
        let f = kind("Affine", &[("translate_px", Value::vector(&[shift, 0.0])), ("mode", Value::str("nearest"))]);
        let out = f.resolve_one(Some(&x)).unwrap().unwrap();
        let (xs, os) = (x.as_slice(), out.as_slice());
        for r in 0..6 {
            assert!(os[r * 7..(r + 1) * 7].iter().all(|&v| v == xs[r * 7 + column]), "{shift}: row {r}");
        }
    }
    // 1e18 is still within the indices: reflect folds it (DeepTrack2: the first column everywhere).
    let f = kind("Affine", &[("translate_px", Value::vector(&[1e18, 0.0]))]);
    let out = f.resolve_one(Some(&x)).unwrap().unwrap();
    assert!(out.as_slice().iter().all(|v| v.is_finite()));
}

fn error(f: &Feature, x: &Image) -> String {
    f.resolve_one(Some(x)).unwrap_err().to_string()
}

/// A `MedianBlur` reads its window at every sample: the total is at most 2^30 reads (a window larger
/// than the image reads its folded copies, so the image does not bound it).
#[test]
fn median_blur_work_is_bounded() {
    let x = ramp(&[1024, 1024]);
    assert_eq!(
        error(&kind("MedianBlur", &[("ksize", Value::Int(1024))]), &x),
        "property 'ksize' of feature 'MedianBlur': a window of 1024^2 samples over an image of 1048576 samples is \
         1099511627776 reads, which exceeds the maximum of 1073741824 (2^30)"
    );
    assert!(error(&kind("MedianBlur", &[("ksize", Value::Int(33))]), &x).contains("exceeds the maximum of 1073741824"));
    // The largest accepted: 32^2 samples at each of 2^20 (hours with a window of 1024^2).
    let out = kind("MedianBlur", &[("ksize", Value::Int(32))]).resolve_one(Some(&x)).unwrap().unwrap();
    assert_eq!(out.shape(), [1024, 1024]);
    // A small image with a window far larger than itself: its samples in the folded window.
    let small = ramp(&[4, 4]);
    let out = kind("MedianBlur", &[("ksize", Value::Int(1024))]).resolve_one(Some(&small)).unwrap().unwrap();
    assert!(out.as_slice().iter().all(|v| small.as_slice().contains(v)));
}

/// A `BilateralBlur` weighs every neighbour of its disc at every pixel: at most 2^30 weights.
#[test]
fn bilateral_blur_work_is_bounded() {
    let x = ramp(&[256, 256]);
    assert_eq!(
        error(&kind("BilateralBlur", &[("d", Value::Int(513))]), &x),
        "property 'd' of feature 'BilateralBlur': a neighbourhood of 205861 pixels (radius 256, d / 2) over an image \
         of 65536 pixels is 13491306496 weights, which exceeds the maximum of 1073741824 (2^30)"
    );
    assert_eq!(
        error(&kind("BilateralBlur", &[("d", Value::Int(0)), ("sigma_space", Value::Int(49))]), &x),
        "property 'sigma_space' of feature 'BilateralBlur': a neighbourhood of 17193 pixels (radius 74, 1.5 \
         sigma_space) over an image of 65536 pixels is 1126760448 weights, which exceeds the maximum of 1073741824 \
         (2^30)"
    );
    assert!(error(&kind("BilateralBlur", &[("d", Value::Int(146))]), &x).contains("(radius 73, d / 2)"));
    // The largest accepted diameter on 256 x 256: radius 72, 16241 taps (a minute at radius 256).
    let out = kind("BilateralBlur", &[("d", Value::Int(145))]).resolve_one(Some(&x)).unwrap().unwrap();
    assert_eq!(out.shape(), [256, 256]);
}

/// `Pool` with a function of blocks reads the zero-padded image: blocks longer than the image pad it
/// to at most 2^28 samples.
#[test]
fn pool_with_a_function_pads_at_most_2_to_the_28() {
    let x = ramp(&[4, 4]);
    let count =
        Feature::custom("Count", |img, _| Ok(Some(Image::new(ndarray::arr0(img.unwrap().len() as f64).into_dyn()))));
    let pool = registry::build("Pool", vec![count.clone()]).unwrap();
    set(&pool, "ksize", Value::Int(100_000));
    assert_eq!(
        error(&pool, &x),
        "property 'ksize' of feature 'Pool': blocks of [100000, 100000] pad the image of shape [4, 4] to 10000000000 \
         samples, which exceeds the maximum of 268435456 for blocks longer than the image"
    );
    // 2^14 x 2^14 is the largest square block.
    set(&pool, "ksize", Value::Int(16_385));
    assert!(error(&pool, &x).contains("exceeds the maximum of 268435456"));
    set(&pool, "ksize", Value::vector(&[4.0, 1024.0]));
    let out = pool.resolve_one(Some(&x)).unwrap().unwrap();
    assert_eq!(out.as_slice(), [4096.0]);
}

/// Pairs of parameters at extreme values together (a crop and its corner, a scale and a
/// translation): no panic.
#[test]
fn no_pair_of_extreme_values_makes_any_kind_panic() {
    let few = || {
        let mut v: Vec<Value> =
            [1e300, -1e300, 1e19, -1e19, 0.0, -1.0, f64::NAN, f64::INFINITY].map(Value::Float).to_vec();
        v.extend([i64::MAX, i64::MIN].map(Value::Int));
        v
    };
    let numeric = |p: &&ParamSpec| {
        matches!(p.kind, ParamKind::Number | ParamKind::Integer | ParamKind::Vector { .. } | ParamKind::Array)
    };
    let inputs = inputs();
    let mut panics = Vec::new();
    let mut cases = 0;
    for spec in registry::kinds().filter(|k| k.name != "LoadImage") {
        let params: Vec<&ParamSpec> = spec.params.iter().filter(|p| !p.is_feature()).filter(numeric).collect();
        for (i, a) in params.iter().enumerate() {
            for b in &params[i + 1..] {
                for va in few() {
                    for vb in few() {
                        let (target, pipeline, on_input) = context(spec);
                        if target.set_property(a.name, Rule::constant(va.clone())).is_err()
                            || target.set_property(b.name, Rule::constant(vb.clone())).is_err()
                        {
                            continue;
                        }
                        let runs: Vec<Option<&Image>> = if on_input { vec![Some(&inputs[1])] } else { vec![None] };
                        for input in runs {
                            cases += 1;
                            if let Outcome::Panic(m) = resolve(&pipeline, input) {
                                panics.push(format!("{}: {} = {va}, {} = {vb}: {m}", spec.name, a.name, b.name));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(cases > 10_000, "{cases} cases");
    assert!(panics.is_empty(), "{} panics:\n{}", panics.len(), panics.join("\n"));
}

/// A pupil whose radius underflows to 0 grid steps (a wavelength of 1e300 m at a magnification of
/// 1e300) holds no frequency: an error naming the numbers (it was a slice index panic in Brightfield).
#[test]
fn a_pupil_without_frequencies_is_an_error() {
    for kind in ["Brightfield", "Holography", "Darkfield", "ISCAT"] {
        let o = optics(kind, None, None);
        set(&o, "wavelength", Value::Float(1e300));
        set(&o, "magnification", Value::Float(1e300));
        let err = microscope(point(), o).resolve(None).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "property 'wavelength' of feature '{kind}': the pupil holds no frequency of the grid: its radius"
            )),
            "{err}"
        );
        assert!(err.contains("with NA 0.7, wavelength 1e300"), "{err}");
    }
}

/// The error of `microscope` resolved.
fn microscope_error(m: &Feature) -> String {
    m.resolve(None).unwrap_err().to_string()
}

/// An illumination gradient whose amplitude makes the image overflow is blamed, by its property,
/// where it used to be the point particle's `value`: `constant`, `vmin`, `vmax` (clipping it) or
/// `gradient`, with the amplitude.
#[test]
fn an_overflowing_illumination_names_its_property() {
    for (key, v, amplitude) in [
        ("constant", Value::Float(1e300), "1e+300"),
        ("vmin", Value::Float(1e300), "1e+300"),
        ("vmax", Value::Float(-1e300), "-1e+300"),
        ("gradient", Value::vector(&[1e300, 1e300]), "2.2e+301"),
    ] {
        let g = kind("IlluminationGradient", &[(key, v)]);
        let err = microscope_error(&microscope(point(), optics("Brightfield", None, Some(g))));
        assert_eq!(
            err,
            format!(
                "property '{key}' of feature 'IlluminationGradient': the image overflows (it has non-finite values): \
                 the illumination's {key} gives the incoming field an amplitude of {amplitude}, too large to image"
            )
        );
    }
}

/// A `GaussianApodization` centred far beyond the grid (where DeepTrack2's squared distances overflow
/// and its pupil is NaN everywhere) puts every point of the pupil at ρ = 1: a finite image, that of a
/// uniformly scaled pupil, so the unapodized image up to its scale.
#[test]
fn an_apodization_centred_far_away_gives_a_finite_image() {
    let peak_normalised = |images: Vec<Image>| {
        let x = images[0].as_slice().to_vec();
        let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(peak > 0.0 && x.iter().all(|v| v.is_finite()), "{x:?}");
        x.into_iter().map(|v| v / peak).collect::<Vec<_>>()
    };
    let plain = peak_normalised(microscope(point(), optics("Fluorescence", None, None)).resolve(None).unwrap());
    for offset in [[1e300, -1e300], [f64::MAX, 0.0], [1e19, 1e19]] {
        let a = kind("GaussianApodization", &[("offset", Value::vector(&offset)), ("sigma", Value::Float(2.0))]);
        let image = peak_normalised(microscope(point(), optics("Fluorescence", Some(a), None)).resolve(None).unwrap());
        for (x, y) in image.iter().zip(&plain) {
            assert!((x - y).abs() <= 1e-12, "{offset:?}: {x} vs {y}");
        }
    }
}

/// A Mie scatterer's numbers that make its field non-finite are named: the property, what overflowed.
#[test]
fn a_mie_field_that_is_not_finite_names_its_property() {
    let cases: [(&str, Value, &str); 8] = [
        (
            "position_objective",
            Value::vector(&[1e300, 0.0]),
            "the far field's plane (offset_z / (working_distance − z) · 1e300 m = ",
        ),
        ("coherence_length", Value::Float(1e-6), "a coherence_length needs a particle z other than 0"),
        ("offset_z", Value::Float(1e-300), "the far field evaluated offset_z (1e-300 m) from the particle"),
        ("offset_z", Value::Float(1e300), "the far field's plane"),
        ("working_distance", Value::Float(0.0), "working_distance (0 m) must differ from the particle's z (0 m)"),
        ("working_distance", Value::Float(1e-300), "the far field's plane"),
        ("amp_factor", Value::Float(1e-300), "the field divided by amp_factor (1e-300) overflows"),
        ("collection_angle", Value::Float(1e-300), "the far field's plane"),
    ];
    for name in ["MieSphere", "MieStratifiedSphere"] {
        for (key, v, detail) in &cases {
            let s = kind(name, &[("position", Value::vector(&[4.0, 4.0])), (key, v.clone())]);
            let err = microscope_error(&microscope(s, optics("Brightfield", None, None)));
            let start = format!("property '{key}' of feature '{name}': {name}'s field is not finite: {detail}");
            assert!(err.starts_with(&start), "{key} = {v}: {err}");
        }
    }
    // collection_angle 0: its "auto" offset_z is infinite.
    let s = kind("MieSphere", &[("position", Value::vector(&[4.0, 4.0])), ("collection_angle", Value::Float(0.0))]);
    let err = microscope_error(&microscope(s, optics("Brightfield", None, None)));
    assert!(err.starts_with("property 'collection_angle' of feature 'MieSphere': offset_z \"auto\""), "{err}");
    // z as the position's third element: the position is named.
    let s =
        kind("MieSphere", &[("position", Value::vector(&[4.0, 4.0, 0.0])), ("coherence_length", Value::Float(1e-6))]);
    let err = microscope_error(&microscope(s, optics("Brightfield", None, None)));
    assert!(err.starts_with("property 'coherence_length' of feature 'MieSphere'"), "{err}");
    let s =
        kind("MieSphere", &[("position", Value::vector(&[4.0, 4.0, 0.0])), ("working_distance", Value::Float(0.0))]);
    let err = microscope_error(&microscope(s, optics("Brightfield", None, None)));
    assert!(err.starts_with("property 'working_distance' of feature 'MieSphere'"), "{err}");
}

/// A Mie sphere imaged by each optics that hand it their properties: an error caused by an extreme
/// value of the optics' names the optics and that property (DeepTrack2 propagates it to the sphere,
/// but the user set it on the optics), or the sphere's property it was combined with.
#[test]
fn optics_properties_handed_to_a_mie_sphere_are_blamed_on_the_optics() {
    let mut unnamed = Vec::new();
    let mut not_finite = Vec::new();
    let mut cases = 0;
    for spec in registry::kinds().filter(|k| k.module == "optics" && k.params.iter().any(|p| p.name == "pupil")) {
        if spec.name == "Fluorescence" {
            // Fluorescence does not image Mie scatterers.
            continue;
        }
        for p in spec.params.iter().filter(|p| !p.is_feature()) {
            for v in values(p) {
                let o = optics(spec.name, None, None);
                if o.set_property(p.name, Rule::constant(v.clone())).is_err() {
                    continue;
                }
                let s = features::builtin("MieSphere").unwrap();
                set(&s, "position", Value::vector(&[4.0, 4.0]));
                cases += 1;
                let case = format!("{}.{} = {v}", spec.name, p.name);
                match resolve(&microscope(s, o), None) {
                    Outcome::Ok => {}
                    Outcome::NotFinite(x) => not_finite.push(format!("{case}: {x}")),
                    Outcome::Panic(m) => unnamed.push(format!("{case}: panic {m}")),
                    Outcome::Error(m) => {
                        let own = m.contains(&format!("property '{}' of feature '{}'", p.name, spec.name));
                        // A list's length, or a number the optics derive from several (the voxel size from
                        // resolution and magnification): another property of the optics.
                        let optics = m.contains(&format!("of feature '{}'", spec.name));
                        if !(own || (optics && !matches!(v, Value::Float(_) | Value::Int(_)))) {
                            unnamed.push(format!("{case}: {m}"));
                        }
                    }
                }
            }
        }
    }
    assert!(cases > 500, "{cases} cases");
    assert!(
        unnamed.is_empty() && not_finite.is_empty(),
        "{} errors not naming the optics' property:\n{}\n{} non-finite images with status OK:\n{}",
        unnamed.len(),
        unnamed.join("\n"),
        not_finite.len(),
        not_finite.join("\n")
    );
}

/// `FourierTransformTransformation` with both its matrix and its power extreme at once (the sweep
/// above varies one parameter at a time): finite matrices and powers on a finite spectrum give a
/// finite image or an error naming `i` (a power that overflows: `2 ** 2000`, `1e300 ** 2`) or the
/// matrix (a product that overflows: `10 · 1e308`), never inf or NaN with status OK (issue 12).
#[test]
fn finite_propagation_matrices_and_powers_give_finite_spectra_or_name_the_property() {
    let spectrum =
        Image::from_slice(&[3, 4], &[10.0, -1.0, 0.5, 0.0, 2.0, 3.0, -7.0, 1e-3, 1.0, 1.0, 4.0, 9.0]).unwrap();
    let matrices: Vec<Value> = numbers()
        .into_iter()
        .filter(finite)
        .flat_map(|m| {
            let x = m.as_f64().unwrap();
            // Real, and complex with the same magnitude in both parts.
            [m, Value::Complex(x, x)]
        })
        .chain([Value::Float(2.0), Value::Complex(2.0, 1.0), Value::Complex(0.6, -0.8)])
        .collect();
    let powers: Vec<f64> =
        numbers().iter().filter(|v| finite(v)).map(|v| v.as_f64().unwrap()).chain([2000.0, -2000.0, 2.5]).collect();
    let mut bad = Vec::new();
    let mut named = 0;
    for m in &matrices {
        for &i in &powers {
            let f = features::builtin("FourierTransformTransformation").unwrap();
            for key in ["Tz", "Tzinv"] {
                f.set_property(key, Rule::constant(m.clone())).unwrap();
            }
            f.set_property("i", Rule::constant(i)).unwrap();
            let key = if i < 0.0 { "Tzinv" } else { "Tz" };
            match resolve(&f, Some(&spectrum)) {
                Outcome::Ok => {}
                Outcome::Error(e)
                    if e.starts_with(&format!("property '{key}' of feature"))
                        || e.starts_with("property 'i' of feature") =>
                {
                    assert!(e.contains("cannot give a finite image"), "{e}");
                    named += 1;
                }
                other => bad.push(format!("{key} = {m}, i = {i:e}: {other:?}")),
            }
        }
    }
    assert!(bad.is_empty(), "{} cases:\n{}", bad.len(), bad.join("\n"));
    assert!(named > 10, "the overflowing cases are errors ({named})");
    // The cases of issue 12, each naming the property responsible.
    let run = |m: Value, i: f64, input: &Image| {
        let f = features::builtin("FourierTransformTransformation").unwrap();
        f.set_property("Tz", Rule::constant(m.clone())).unwrap();
        f.set_property("Tzinv", Rule::constant(m)).unwrap();
        f.set_property("i", Rule::constant(i)).unwrap();
        f.resolve(Some(input)).unwrap_err().to_string()
    };
    let ones = Image::from_slice(&[2, 2], &[1.0; 4]).unwrap();
    assert_eq!(
        run(Value::Float(2.0), 2000.0, &ones),
        "property 'i' of feature 'FourierTransformTransformation': Tz ** |i| is not finite for the finite element \
         (2+0j) of Tz and i = 2e3: a finite spectrum and Tz cannot give a finite image"
    );
    assert!(run(Value::Complex(1e300, 0.0), 2.0, &ones).starts_with("property 'i' of feature"));
    assert!(run(Value::Complex(2.0, 1.0), -2000.0, &ones).starts_with("property 'i' of feature"));
    let tens = Image::from_slice(&[2, 2], &[10.0; 4]).unwrap();
    assert_eq!(
        run(Value::Float(1e308), 1.0, &tens),
        "property 'Tz' of feature 'FourierTransformTransformation': the spectrum times Tz ** |i| (i = 1e0) \
         overflows: a finite spectrum and Tz cannot give a finite image"
    );
    // A matrix that is not finite may give a spectrum that is not (numpy's product).
    let f = features::builtin("FourierTransformTransformation").unwrap();
    f.set_property("Tz", Rule::constant(f64::INFINITY)).unwrap();
    f.set_property("Tzinv", Rule::constant(1.0)).unwrap();
    f.set_property("i", Rule::constant(1.0)).unwrap();
    assert!(matches!(resolve(&f, Some(&ones)), Outcome::NotFinite(_)));
}
