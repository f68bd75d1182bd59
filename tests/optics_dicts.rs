//! The optics' own property dicts, as DeepTrack2 2.0.1 records them on a rendered image: its keys in
//! its order (`NA`, `wavelength`, `refractive_index_medium`, `magnification`, `resolution`,
//! `padding`, `output_region`, `voxel_size`, `pixel_size`, `upscale`, `limits`, `fields`, the kind's
//! own and other given keywords, `name`), `output_region` and `padding` as the microscope set them
//! (simulation pixels), `voxel_size` and `pixel_size` (`resolution / magnification`), `limits` the
//! sample volume's extent, `fields` the field scatterers, and `return_field` only when given. The
//! `record_of: "optics"` cases of `tests/fixtures/deeptrack-2.0.1/manifest.json` hold 2.0.1's dicts
//! (tests/fixtures/generate.py); under an optics `upscale`, where 2.0.1's pooling drops every dict,
//! the library keeps them (README, deliberate differences) and they hold what 2.0.1's optics held.

use std::path::PathBuf;

use deeptrack::{Feature, Image, Rule, Value, features};
use serde_json::Value as Json;

mod npy;
use npy::assert_recorded;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1")
}

/// A constant from JSON: ints and floats apart, numeric arrays as 1-d arrays (whole numbers as a
/// list of ints, as DeepTrack2's tuples of ints).
fn value(j: &Json) -> Value {
    match j {
        Json::Number(n) if n.is_i64() => Value::Int(n.as_i64().unwrap()),
        Json::Number(n) => Value::Float(n.as_f64().unwrap()),
        Json::String(s) => Value::str(s),
        Json::Bool(b) => Value::Bool(*b),
        Json::Array(items) if items.iter().all(|x| x.is_i64()) => {
            Value::Tuple(items.iter().map(|x| Value::Int(x.as_i64().unwrap())).collect())
        }
        Json::Array(items) => Value::vector(&items.iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>()),
        _ => Value::None,
    }
}

fn feature(spec: &Json) -> Feature {
    let f = features::builtin(spec["feature"].as_str().unwrap()).unwrap();
    for (k, v) in spec["properties"].as_object().into_iter().flatten() {
        f.set_property(k, Rule::constant(value(v))).unwrap_or_else(|e| panic!("{k}: {e}"));
    }
    f
}

/// The image of a case's sample through its optics, with stored properties.
fn image(case: &Json) -> Image {
    let sample = case["sample"].as_array().unwrap();
    let mut chain = feature(&sample[0]);
    for spec in &sample[1..] {
        chain = Feature::chain(&chain, &feature(spec)).unwrap();
    }
    let microscope = Feature::microscope(&feature(&case["optics"]), &chain).unwrap();
    microscope.store_properties(true);
    microscope.resolve_one(None).unwrap_or_else(|e| panic!("{}: {e}", case["id"])).unwrap()
}

/// Every `record_of: "optics"` case: the optics' dict (the last but one, before `{'name':
/// 'Microscope'}`) has 2.0.1's keys in order and its values; `limits` a 3 × 2 array, `fields` empty
/// (no field scatterer), `return_field` there only when given.
#[test]
fn optics_record_what_deeptrack2_records() {
    let dir = fixtures();
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let cases: Vec<&Json> =
        manifest["cases"].as_array().unwrap().iter().filter(|c| c["record_of"] == "optics").collect();
    assert!(cases.len() >= 10, "the optics' record cases are missing from the manifest");
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let image = image(case);
        let dicts = image.properties();
        assert_eq!(dicts.last().unwrap().get("name").unwrap().as_str().unwrap(), "Microscope", "{id}");
        let dict = &dicts[dicts.len() - 2];
        let keys: Vec<&str> = dict.iter().map(|(k, _)| k).collect();
        let expected: Vec<&str> = case["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(keys, expected, "{id}: the keys of the optics' dict");
        assert_eq!(dict.get("name").unwrap().as_str().unwrap(), case["optics"]["feature"].as_str().unwrap(), "{id}");
        let limits = dict.get("limits").unwrap();
        assert!(matches!(limits, Value::Array(a) if a.shape() == [3, 2]), "{id}: limits {limits}");
        assert!(matches!(dict.get("fields"), Some(Value::List(f)) if f.is_empty()), "{id}: fields");
        let given = case["optics"]["properties"].get("return_field").is_some();
        assert_eq!(dict.get("return_field").is_some(), given, "{id}: return_field only when given");
        assert_recorded(id, dict, case, &dir);
    }
}

/// Field scatterers (Mie) are the optics' `fields`: one complex array per scatterer, of the FFT
/// grid's shape (the padded output region), as 2.0.1 hands its optics the field images; without
/// volume scatterers `limits` is None.
#[test]
fn field_scatterers_are_the_fields() {
    let mie = features::builtin("MieSphere").unwrap();
    mie.set_property("position", Rule::constant(Value::vector(&[20.0, 30.0]))).unwrap();
    mie.set_property("radius", Rule::constant(Value::Float(5e-7))).unwrap();
    mie.set_property("refractive_index", Rule::constant(Value::Float(1.45))).unwrap();
    let optics = features::builtin("Brightfield").unwrap();
    let microscope = Feature::microscope(&optics, &mie).unwrap();
    microscope.store_properties(true);
    let image = microscope.resolve_one(None).unwrap().unwrap();
    let dicts = image.properties();
    let dict = &dicts[dicts.len() - 2];
    assert!(matches!(dict.get("limits"), Some(Value::None)), "{:?}", dict.get("limits"));
    match dict.get("fields") {
        Some(Value::List(fields)) => {
            assert_eq!(fields.len(), 1);
            // DeepTrack2 2.0.1's field of a 128 × 128 region padded by 10: the FFT grid (162 × 162) and one plane.
            assert!(matches!(&fields[0], Value::ComplexArray(a) if a.shape() == [162, 162, 1]), "{}", fields[0]);
        }
        other => panic!("fields: {other:?}"),
    }
    // Not recorded, nothing is computed for it: the same image.
    let quiet = Feature::microscope(&features::builtin("Brightfield").unwrap(), &mie).unwrap();
    let plain = quiet.resolve_one(None).unwrap().unwrap();
    assert_eq!(plain.as_slice(), image.as_slice());
}

/// With a pupil or an illumination (the optics then sample those features, computed as structural
/// kinds), the optics' dict is the same as without: 2.0.1's keys (its `Fluorescence(pupil=Defocus(...))`
/// and `Brightfield(return_field=True, illumination=IlluminationGradient(...))`), the aberration's dict
/// before it for fluorescence.
#[test]
fn optics_with_a_pupil_or_an_illumination_record_the_same_dict() {
    const KEYS: [&str; 12] = [
        "NA",
        "wavelength",
        "refractive_index_medium",
        "magnification",
        "resolution",
        "padding",
        "output_region",
        "voxel_size",
        "pixel_size",
        "upscale",
        "limits",
        "fields",
    ];
    let point = features::builtin("PointParticle").unwrap();
    point.set_property("position", Rule::constant(Value::vector(&[20.0, 30.0]))).unwrap();
    point.set_property("intensity", Rule::constant(Value::Int(5))).unwrap();
    let defocus = features::builtin("Defocus").unwrap();
    defocus.set_property("coefficient", Rule::constant(Value::Int(1))).unwrap();
    let fluo = features::registry::build_optional("Fluorescence", vec![Some(defocus), None]).unwrap();
    let microscope = Feature::microscope(&fluo, &point).unwrap();
    microscope.store_properties(true);
    let image = microscope.resolve_one(None).unwrap().unwrap();
    let dicts = image.properties();
    let names: Vec<&str> = dicts.iter().map(|d| d.get("name").unwrap().as_str().unwrap()).collect();
    assert_eq!(names, ["PointParticle", "Defocus", "Fluorescence", "Microscope"]);
    let keys: Vec<&str> = dicts[2].iter().map(|(k, _)| k).collect();
    assert_eq!(keys, [&KEYS[..], &["name"]].concat());
    match dicts[2].get("limits") {
        Some(Value::Array(a)) => assert_eq!(a.iter().copied().collect::<Vec<_>>(), [18.0, 23.0, 28.0, 33.0, -2.0, 3.0]),
        other => panic!("limits: {other:?}"),
    }

    let sphere = features::builtin("Sphere").unwrap();
    sphere.set_property("position", Rule::constant(Value::vector(&[20.0, 30.0]))).unwrap();
    sphere.set_property("radius", Rule::constant(Value::Float(5e-7))).unwrap();
    sphere.set_property("refractive_index", Rule::constant(Value::Float(1.45))).unwrap();
    let gradient = features::builtin("IlluminationGradient").unwrap();
    gradient.set_property("gradient", Rule::constant(Value::vector(&[1e-3, 0.0]))).unwrap();
    let bf = features::registry::build_optional("Brightfield", vec![None, Some(gradient)]).unwrap();
    bf.set_property("return_field", Rule::constant(Value::Bool(true))).unwrap();
    let microscope = Feature::microscope(&bf, &sphere).unwrap();
    microscope.store_properties(true);
    let image = microscope.resolve_one(None).unwrap().unwrap();
    let dicts = image.properties();
    let names: Vec<&str> = dicts.iter().map(|d| d.get("name").unwrap().as_str().unwrap()).collect();
    assert_eq!(names, ["Sphere", "Brightfield", "Microscope"]);
    let keys: Vec<&str> = dicts[1].iter().map(|(k, _)| k).collect();
    assert_eq!(keys, [&KEYS[..], &["return_field", "name"]].concat());
    match dicts[1].get("limits") {
        Some(Value::Array(a)) => assert_eq!(a.iter().copied().collect::<Vec<_>>(), [13.0, 27.0, 23.0, 37.0, -7.0, 7.0]),
        other => panic!("limits: {other:?}"),
    }
}
