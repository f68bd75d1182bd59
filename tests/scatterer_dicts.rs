//! The property dicts of scatterers, as DeepTrack2 2.0.1 records them: `voxel_size` and `pixel_size`
//! (None alone, as given when given, the optics' `resolution / magnification` once a microscope has
//! imaged the scatterer), the keys in DeepTrack2's order, and a Mie scatterer's optics values
//! (`wavelength`, `NA`, `refractive_index_medium`, upscaled `output_region` and `padding`,
//! `return_fft`, and the numbers its "auto" `L`, `collection_angle` and `offset_z` come to). The `record` cases of `tests/fixtures/deeptrack-2.0.1/manifest.json` hold what
//! DeepTrack2 2.0.1 sets on the scatterer and the keys of its dict (tests/fixtures/generate.py).

use std::path::PathBuf;

use deeptrack::{Feature, Image, Rule, Value, features};
use serde_json::Value as Json;

mod npy;
use npy::assert_recorded;

/// DeepTrack2's internal properties the library does not keep (README, deliberate differences): its
/// position closure, PointParticle's `upsample_axes`, the Mie scatterers' `is_field`, `crop_empty` and
/// coefficients function.
const INTERNAL: [&str; 5] = ["_position_sampler", "upsample_axes", "is_field", "crop_empty", "coefficients"];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1")
}

/// A constant from JSON: ints and floats apart, numeric arrays as 1-d arrays.
fn value(j: &Json) -> Value {
    match j {
        Json::Number(n) if n.is_i64() => Value::Int(n.as_i64().unwrap()),
        Json::Number(n) => Value::Float(n.as_f64().unwrap()),
        Json::String(s) => Value::str(s),
        Json::Bool(b) => Value::Bool(*b),
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

/// The first scatterer's recorded dict after imaging: its keys equal DeepTrack2's (without its internal
/// ones) in order, and the recorded values of the case's properties equal what DeepTrack2 set.
#[test]
fn imaged_scatterers_record_what_deeptrack2_sets_on_them() {
    let dir = fixtures();
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    // The scatterers' record cases (the optics' own are tests/optics_dicts.rs's).
    let cases: Vec<&Json> = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["record"].is_array() && c["record_of"].is_null())
        .collect();
    assert!(cases.len() >= 6, "the record cases are missing from the manifest");
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let sample = case["sample"].as_array().unwrap();
        let mut chain = feature(&sample[0]);
        for spec in &sample[1..] {
            chain = Feature::chain(&chain, &feature(spec)).unwrap();
        }
        let microscope = Feature::microscope(&feature(&case["optics"]), &chain).unwrap();
        microscope.store_properties(true);
        let image: Image = microscope.resolve_one(None).unwrap_or_else(|e| panic!("{id}: {e}")).unwrap();
        let dict = image.properties().first().unwrap_or_else(|| panic!("{id}: no dicts"));
        let keys: Vec<&str> = dict.iter().map(|(k, _)| k).collect();
        let expected: Vec<&str> = case["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .filter(|k| !INTERNAL.contains(k))
            .collect();
        assert_eq!(keys, expected, "{id}: the keys of the scatterer's dict");
        assert_eq!(dict.get("name").unwrap().as_str().unwrap(), sample[0]["feature"].as_str().unwrap(), "{id}");
        assert_recorded(id, dict, case, &dir);
    }
}

/// The scatterer kinds' parameters in DeepTrack2 2.0.1's order (`Scatterer.__init__`'s, then the
/// kind's own), `voxel_size` and `pixel_size` default None; resolved alone the dict records None,
/// or the values given, and the volume does not depend on them.
#[test]
fn voxel_and_pixel_size_are_recorded_parameters() {
    let head = ["position", "z", "value", "position_unit", "upsample", "voxel_size", "pixel_size"];
    for (kind, own) in [
        ("PointParticle", &["intensity", "refractive_index"][..]),
        ("Sphere", &["radius", "intensity", "refractive_index"][..]),
        ("Ellipse", &["radius", "rotation", "transpose", "intensity", "refractive_index"][..]),
        ("Ellipsoid", &["radius", "rotation", "transpose", "intensity", "refractive_index"][..]),
    ] {
        let spec = features::registry::find(kind).unwrap();
        let names: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
        assert_eq!(names, [&head[..], own].concat(), "{kind}");
    }
    for kind in ["MieSphere", "MieStratifiedSphere", "MieScatterer"] {
        let names: Vec<&str> = features::registry::find(kind).unwrap().params.iter().map(|p| p.name).collect();
        assert_eq!(names[..7], head, "{kind}");
    }
    for kind in ["PointParticle", "Sphere", "Ellipse", "Ellipsoid"] {
        let alone = features::builtin(kind).unwrap();
        alone.store_properties(true);
        let out = alone.resolve_one(None).unwrap().unwrap();
        let dict = out.properties().first().unwrap();
        assert!(matches!(dict.get("voxel_size"), Some(Value::None)), "{kind}");
        assert!(matches!(dict.get("pixel_size"), Some(Value::None)), "{kind}");
        let given = features::builtin(kind).unwrap();
        given.set_property("voxel_size", Rule::constant(Value::vector(&[2e-7; 3]))).unwrap();
        given.set_property("pixel_size", Rule::constant(Value::Float(3e-7))).unwrap();
        given.store_properties(true);
        let with = given.resolve_one(None).unwrap().unwrap();
        let dict = with.properties().first().unwrap();
        assert_eq!(dict.get("voxel_size").unwrap().to_f64_vec().unwrap(), [2e-7; 3], "{kind}");
        assert_eq!(dict.get("pixel_size").unwrap().as_f64().unwrap(), 3e-7, "{kind}");
        // DeepTrack2 2.0.1 computes at the active voxel size whatever they hold (1 µm alone).
        assert_eq!((with.shape(), with.as_slice()), (out.shape(), out.as_slice()), "{kind}");
    }
    // Bad values name the property and the limit.
    let sphere = features::builtin("Sphere").unwrap();
    let err = sphere.set_property("voxel_size", Rule::constant(Value::vector(&[1e-7, -1e-7]))).unwrap_err();
    assert!(err.to_string().contains("voxel_size"), "{err}");
    let err = sphere.set_property("pixel_size", Rule::constant(Value::Float(0.0))).unwrap_err();
    assert!(err.to_string().contains("pixel_size"), "{err}");
}
