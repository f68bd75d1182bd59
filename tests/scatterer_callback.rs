//! Scatterers whose volume a callback computes (`Feature::scatterer_with_volume`, DeepTrack2's
//! subclass of a built-in scatterer that overrides `get`): the callback receives what DeepTrack2's
//! `get` receives, the built-in volume it may start from (`builtin_volume`, DeepTrack2's uncropped
//! `super().get(...)`) images exactly as the built-in kind, whatever it returns is cropped and imaged
//! as the kind's volume, and bad volumes are errors naming the kind.

use std::sync::{Arc, Mutex};

use deeptrack::features::scatterers::builtin_volume;
use deeptrack::{ErrorKind, Feature, Image, PropertyDict, Rule, Value, features};

fn set(f: &Feature, props: &[(&str, Value)]) {
    for (k, v) in props {
        f.set_property(k, Rule::constant(v.clone())).unwrap_or_else(|e| panic!("{k}: {e}"));
    }
}

fn optics(kind: &str, upscale: i64) -> Feature {
    let f = features::builtin(kind).unwrap();
    set(&f, &[("output_region", Value::vector(&[0.0, 0.0, 40.0, 40.0])), ("upscale", Value::Int(upscale))]);
    f
}

fn image(optics: &Feature, sample: &Feature) -> Image {
    Feature::microscope(optics, sample).unwrap().resolve_one(None).unwrap().expect("an image")
}

/// Properties of each volume scatterer that exercise its processing (radii, rotations, z).
fn props(kind: &str) -> Vec<(&'static str, Value)> {
    let mut p =
        vec![("position", Value::vector(&[17.3, 22.6])), ("z", Value::Float(1.5)), ("intensity", Value::Float(4.0))];
    match kind {
        "Sphere" => p.push(("radius", Value::Float(0.7e-6))),
        "Ellipse" => p.extend([("radius", Value::vector(&[1.2e-6, 0.7e-6])), ("rotation", Value::Float(0.3))]),
        "Ellipsoid" => p.extend([("radius", Value::vector(&[0.9e-6, 0.5e-6])), ("rotation", Value::Float(0.4))]),
        _ => {}
    }
    p
}

/// The scatterer of `kind` whose callback returns the built-in volume of the properties it receives.
fn via_callback(kind: &'static str, seen: Arc<Mutex<Vec<PropertyDict>>>) -> Feature {
    Feature::scatterer_with_volume(kind, move |p| {
        seen.lock().unwrap().push((**p).clone());
        builtin_volume(kind, p).map(Some)
    })
    .unwrap()
}

#[test]
fn the_builtin_volume_through_a_callback_images_exactly_as_the_kind() {
    for kind in ["PointParticle", "Sphere", "Ellipse", "Ellipsoid"] {
        for (system, upscale) in [("Fluorescence", 1), ("Fluorescence", 2), ("Brightfield", 1)] {
            let builtin = features::builtin(kind).unwrap();
            set(&builtin, &props(kind));
            let seen = Arc::new(Mutex::new(Vec::new()));
            let custom = via_callback(kind, Arc::clone(&seen));
            set(&custom, &props(kind));
            if system == "Brightfield" {
                for f in [&builtin, &custom] {
                    set(f, &[("intensity", Value::None), ("refractive_index", Value::Float(1.4))]);
                }
            }
            let o = optics(system, upscale);
            let (a, b) = (image(&o, &builtin), image(&o, &custom));
            assert_eq!(a.shape(), b.shape(), "{kind} in {system} x{upscale}");
            assert_eq!(a.as_slice(), b.as_slice(), "{kind} in {system} x{upscale}");
            assert!(a.as_slice().iter().any(|&v| v != a.as_slice()[0]), "{kind}: an image with something in it");
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 1);
            let vox = 1e-7 / upscale as f64;
            assert_eq!(seen[0].get("voxel_size").unwrap().to_f64_vec().unwrap(), vec![vox; 3]);
            assert!(matches!(seen[0].get("voxel_size"), Some(Value::Tuple(_))));
            assert_eq!(seen[0].f64("pixel_size").unwrap(), 1e-7);
            assert_eq!(seen[0].get("position").unwrap().to_f64_vec().unwrap(), vec![17.3, 22.6]);
        }
    }
}

#[test]
fn the_callback_receives_the_kinds_processed_properties() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let e = via_callback("Ellipse", Arc::clone(&seen));
    set(&e, &[("radius", Value::Float(1e-6))]);
    let o = optics("Fluorescence", 1);
    image(&o, &e);
    let ellipsoid = via_callback("Ellipsoid", Arc::clone(&seen));
    set(&ellipsoid, &[("radius", Value::vector(&[0.9e-6, 0.5e-6])), ("rotation", Value::Float(0.4))]);
    image(&o, &ellipsoid);
    let seen = seen.lock().unwrap();
    // DeepTrack2's _process_properties: an Ellipse's radius as two numbers, an Ellipsoid's radius
    // and rotation as three (the third radius the second, the rotation padded with zeros).
    assert_eq!(seen[0].get("radius").unwrap().to_f64_vec().unwrap(), vec![1e-6, 1e-6]);
    assert_eq!(seen[1].get("radius").unwrap().to_f64_vec().unwrap(), vec![0.9e-6, 0.5e-6, 0.5e-6]);
    assert_eq!(seen[1].get("rotation").unwrap().to_f64_vec().unwrap(), vec![0.4, 0.0, 0.0]);
}

#[test]
fn builtin_volumes_are_deeptrack2s_uncropped_grids() {
    let mut p = PropertyDict::new();
    p.insert("radius", Value::Float(1.2e-6));
    p.insert("voxel_size", Value::Float(1e-7));
    let v = builtin_volume("Ellipse", &p).unwrap();
    // 2 · ceil(12) voxels a side; the first row and column are empty (x² / r² = 1 is outside).
    assert_eq!(v.shape(), [24, 24, 1]);
    assert_eq!(v.as_slice().iter().sum::<f64>(), 437.0);
    assert!(v.as_slice()[..24].iter().all(|&x| x == 0.0));
    // Outside a microscope's units: 1 µm voxels; a point is one voxel of the scale's product.
    assert_eq!(builtin_volume("Sphere", &PropertyDict::new()).unwrap().shape(), [2, 2, 2]);
    p.insert("voxel_size", Value::vector(&[5e-8, 5e-8, 5e-8]));
    p.insert("pixel_size", Value::Float(1e-7));
    assert_eq!(builtin_volume("PointParticle", &p).unwrap().as_slice(), [8.0]);
    // Errors name the kind and the property.
    let err = builtin_volume("MieSphere", &p).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("'MieSphere' is not a volume scatterer"), "{err}");
    p.insert("radius", Value::Float(-1.0));
    let err = builtin_volume("Sphere", &p).unwrap_err().to_string();
    assert!(err.contains("Sphere") && err.contains("radius"), "{err}");
    p.insert("radius", Value::Float(1e-6));
    p.insert("voxel_size", Value::Float(0.0));
    let err = builtin_volume("Sphere", &p).unwrap_err().to_string();
    assert!(err.contains("voxel_size") && err.contains("positive"), "{err}");
}

#[test]
fn whatever_the_callback_returns_is_cropped_and_imaged_as_the_kinds_volume() {
    // A volume padded with empty slices images as the volume itself (DeepTrack2 crops them).
    let plain =
        Feature::scatterer_with_volume("Sphere", |_| Ok(Some(Image::new(ndarray::ArrayD::ones(vec![3, 2, 1])))))
            .unwrap();
    let padded = Feature::scatterer_with_volume("Sphere", |_| {
        let mut a = ndarray::ArrayD::zeros(vec![7, 5, 3]);
        a.slice_mut(ndarray::s![2..5, 1..3, 1..2]).fill(1.0);
        Ok(Some(Image::new(a)))
    })
    .unwrap();
    let o = optics("Fluorescence", 1);
    for f in [&plain, &padded] {
        set(f, &[("position", Value::vector(&[20.2, 19.7])), ("intensity", Value::Float(2.0))]);
    }
    let (a, b) = (image(&o, &plain), image(&o, &padded));
    assert_eq!(a.as_slice(), b.as_slice());
    // Twice the intensity, twice the image.
    set(&plain, &[("intensity", Value::Float(4.0))]);
    let c = image(&o, &plain);
    for (x, y) in a.as_slice().iter().zip(c.as_slice()) {
        assert!((2.0 * x - y).abs() <= 1e-15 * y.abs().max(1e-300) + 1e-300, "{x} {y}");
    }
}

#[test]
fn bad_volumes_and_kinds_are_errors_naming_the_kind() {
    let o = optics("Fluorescence", 1);
    let flat =
        Feature::scatterer_with_volume("Ellipse", |_| Ok(Some(Image::new(ndarray::ArrayD::ones(vec![3, 3]))))).unwrap();
    let err = Feature::microscope(&o, &flat).unwrap().resolve_one(None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(
        err.to_string().contains("Ellipse: get returned shape [3, 3]; a scatterer's volume is a real 3-D array"),
        "{err}"
    );
    let none = Feature::scatterer_with_volume("Ellipse", |_| Ok(None)).unwrap();
    let err = Feature::microscope(&o, &none).unwrap().resolve_one(None).unwrap_err();
    assert!(err.to_string().contains("Ellipse: get returned no volume"), "{err}");
    let err = Feature::scatterer_with_volume("Gaussian", |_| Ok(None)).unwrap_err();
    assert!(err.to_string().contains("'Gaussian' is not a volume scatterer"), "{err}");
    // The kind's checks apply to the properties, as for the built-in.
    let sphere = Feature::scatterer_with_volume("Sphere", |_| Ok(None)).unwrap();
    assert!(sphere.set_property("radius", Rule::constant(Value::Float(-1.0))).is_err());
}
