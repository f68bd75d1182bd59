//! The optics and scatterers as physics and as features: where a point is imaged, what is conserved,
//! what defocus does, what an empty brightfield sample looks like; the ground truth the images carry;
//! caching under different optics; and the errors for properties that cannot be imaged.

use std::sync::Arc;

use deeptrack::{ErrorKind, Feature, Image, Rule, Value, features};

fn feature(name: &str, props: &[(&str, Value)]) -> Feature {
    let f = features::builtin(name).unwrap_or_else(|| panic!("no feature {name}"));
    for (k, v) in props {
        f.set_property(k, Rule::constant(v.clone())).unwrap_or_else(|e| panic!("{name}.{k}: {e}"));
    }
    f
}

fn vector(v: &[f64]) -> Value {
    Value::vector(v)
}

/// Fluorescence at 0.1 µm per pixel (NA 0.8, 680 nm), 64 × 64 pixels.
fn fluorescence(extra: &[(&str, Value)]) -> Feature {
    let mut props = vec![
        ("NA", Value::Float(0.8)),
        ("wavelength", Value::Float(680e-9)),
        ("resolution", Value::Float(1e-6)),
        ("magnification", Value::Int(10)),
        ("output_region", vector(&[0.0, 0.0, 64.0, 64.0])),
    ];
    props.extend(extra.iter().cloned());
    feature("Fluorescence", &props)
}

fn point(position: &[f64], extra: &[(&str, Value)]) -> Feature {
    let mut props = vec![("position", vector(position)), ("intensity", Value::Float(100.0))];
    props.extend(extra.iter().cloned());
    feature("PointParticle", &props)
}

fn image(optics: &Feature, sample: &Feature) -> Image {
    Feature::microscope(optics, sample).unwrap().resolve_one(None).unwrap().expect("an image")
}

fn sum(img: &Image) -> f64 {
    img.as_slice().iter().sum()
}

fn peak(img: &Image) -> (f64, [usize; 2]) {
    let w = img.shape()[1];
    let (i, &v) = img.as_slice().iter().enumerate().fold((0, &f64::NEG_INFINITY), |m, x| if x.1 > m.1 { x } else { m });
    (v, [i / w, i % w])
}

/// The intensity-weighted centre (row, column) and RMS radius of an (H, W, 1) image.
fn moments(img: &Image) -> ([f64; 2], f64) {
    let w = img.shape()[1];
    let total = sum(img);
    let (mut r, mut c) = (0.0, 0.0);
    for (i, v) in img.as_slice().iter().enumerate() {
        r += v * (i / w) as f64;
        c += v * (i % w) as f64;
    }
    let centre = [r / total, c / total];
    let mut spread = 0.0;
    for (i, v) in img.as_slice().iter().enumerate() {
        let (dr, dc) = ((i / w) as f64 - centre[0], (i % w) as f64 - centre[1]);
        spread += v * (dr * dr + dc * dc);
    }
    (centre, (spread / total).sqrt())
}

#[test]
fn a_point_is_imaged_at_its_sub_pixel_position() {
    for position in [[32.0, 32.0], [20.3, 40.7], [41.75, 17.4]] {
        let img = image(&fluorescence(&[]), &point(&position, &[]));
        assert_eq!(img.shape(), [64, 64, 1]);
        let (_, at) = peak(&img);
        assert_eq!(at, position.map(|p| p.round() as usize), "peak of a point at {position:?}");
        // The sub-pixel peak (a Gaussian through the brightest pixel and its neighbours).
        let w = img.shape()[1];
        let v = |r: usize, c: usize| img.as_slice()[r * w + c].ln();
        let [r, c] = at;
        let offset = |minus: f64, centre: f64, plus: f64| (minus - plus) / (2.0 * (minus - 2.0 * centre + plus));
        let found = [
            r as f64 + offset(v(r - 1, c), v(r, c), v(r + 1, c)),
            c as f64 + offset(v(r, c - 1), v(r, c), v(r, c + 1)),
        ];
        for axis in 0..2 {
            assert!((found[axis] - position[axis]).abs() < 0.05, "peak at {found:?} for a point at {position:?}");
        }
    }
}

#[test]
fn total_fluorescence_is_conserved_when_the_particle_moves() {
    let optics = fluorescence(&[]);
    let reference = sum(&image(&optics, &point(&[32.0, 32.0], &[])));
    assert!(reference > 0.0);
    for position in [[20.3, 40.7], [40.5, 25.25], [28.9, 33.1]] {
        let total = sum(&image(&optics, &point(&position, &[])));
        assert!((total / reference - 1.0).abs() < 0.01, "{total} vs {reference} at {position:?}");
    }
    // Linear in the intensity, and two points are the sum of each.
    let a = image(&optics, &point(&[20.3, 40.7], &[]));
    let b = image(&optics, &point(&[45.5, 15.25], &[("intensity", Value::Int(50))]));
    let both = image(
        &optics,
        &Feature::chain(&point(&[20.3, 40.7], &[]), &point(&[45.5, 15.25], &[("intensity", Value::Int(50))])).unwrap(),
    );
    for ((x, y), z) in a.as_slice().iter().zip(b.as_slice()).zip(both.as_slice()) {
        assert!((x + y - z).abs() < 1e-12);
    }
}

#[test]
fn defocus_lowers_the_peak_and_widens_the_spot() {
    let optics = fluorescence(&[]);
    let mut last: Option<(f64, f64, f64)> = None;
    for z in [0.0, 4.0, 10.0] {
        let img = image(&optics, &point(&[32.0, 32.0], &[("z", Value::Float(z))]));
        let (top, _) = peak(&img);
        let (_, width) = moments(&img);
        let total = sum(&img);
        if let Some((top0, width0, total0)) = last {
            assert!(top < top0, "peak {top} at z={z} is not below {top0}");
            assert!(width > width0, "width {width} at z={z} is not above {width0}");
            assert!((total / total0 - 1.0).abs() < 0.05, "defocus should mostly redistribute light");
        }
        last = Some((top, width, total));
    }
}

fn brightfield(extra: &[(&str, Value)]) -> Feature {
    let mut props = vec![
        ("NA", Value::Float(0.7)),
        ("wavelength", Value::Float(532e-9)),
        ("resolution", Value::Float(1e-7)),
        ("magnification", Value::Int(1)),
        ("output_region", vector(&[0.0, 0.0, 48.0, 40.0])),
    ];
    props.extend(extra.iter().cloned());
    feature("Brightfield", &props)
}

#[test]
fn the_brightfield_image_of_nothing_is_uniform() {
    let sphere = |position: &[f64], n: f64| {
        feature(
            "Sphere",
            &[("position", vector(position)), ("radius", Value::Float(4e-7)), ("refractive_index", Value::Float(n))],
        )
    };
    // A sphere matching the medium, a sphere far outside the field, and a (transparent) pair.
    for sample in [sphere(&[24.0, 20.0], 1.33), sphere(&[500.0, -300.0], 1.5)] {
        let img = image(&brightfield(&[]), &sample);
        assert_eq!(img.shape(), [48, 40, 1]);
        let (min, max) =
            img.as_slice().iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(max - min < 1e-12, "not uniform: {min}..{max}");
        assert!((max - 1.0).abs() < 1e-12, "a unit plane wave gives 1, got {max}");
    }
    // A real sphere is not uniform, and the returned field is its square root.
    let scope = Feature::microscope(&brightfield(&[]), &sphere(&[24.0, 20.0], 1.45)).unwrap();
    let intensity = scope.resolve_one(None).unwrap().unwrap();
    let (min, max) =
        intensity.as_slice().iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    assert!(max - min > 0.1);
    let field = image(&brightfield(&[("return_field", Value::Bool(true))]), &sphere(&[24.0, 20.0], 1.45));
    assert_eq!(field.shape(), [48, 40, 1, 2]);
    for (i, v) in intensity.as_slice().iter().enumerate() {
        let (re, im) = (field.as_slice()[2 * i], field.as_slice()[2 * i + 1]);
        assert!((re * re + im * im - v).abs() < 1e-12);
    }
}

#[test]
fn the_image_carries_one_position_per_particle() {
    let particle = feature("PointParticle", &[("intensity", Value::Float(100.0))]);
    particle.set_property("position", Rule::uniform_array(&[5.0, 5.0], &[59.0, 59.0]).unwrap()).unwrap();
    let sample = Feature::repeat(&particle, 5).unwrap();
    let scope = Feature::microscope(&fluorescence(&[]), &sample).unwrap();
    scope.store_properties(true);
    scope.seed(7).unwrap();
    let img = scope.resolve_one(None).unwrap().unwrap();
    let positions: Vec<Vec<f64>> =
        img.get_properties("position").unwrap().iter().map(|p| p.to_f64_vec().unwrap()).collect();
    assert_eq!(positions.len(), 5, "{positions:?}");
    for (i, p) in positions.iter().enumerate() {
        assert!(p.iter().all(|x| (5.0..59.0).contains(x)));
        assert!(positions[..i].iter().all(|q| q != p), "repetitions sample their own positions");
    }
    // Each particle is where its ground truth says: a bright pixel at every position.
    let w = img.shape()[1];
    let (top, _) = peak(&img);
    for p in &positions {
        let at = p[0].round() as usize * w + p[1].round() as usize;
        assert!(img.as_slice()[at] > 0.3 * top, "no particle at {p:?}");
    }
    // Scatterers' dicts (with `_ID`), then the optics', then the microscope's.
    let names: Vec<String> =
        img.properties().iter().map(|d| d.get("name").unwrap().as_str().unwrap().to_owned()).collect();
    assert_eq!(names.iter().filter(|n| *n == "PointParticle").count(), 5);
    assert_eq!(&names[names.len() - 2..], ["Fluorescence", "Microscope"]);
    assert_eq!(img.properties()[0].get("_ID").unwrap().to_string(), "[0]");
    assert_eq!(particle.get_property("name").unwrap().as_str().unwrap(), "PointParticle", "never renamed");
    // Re-resolving without update gives the cached result, with the same dicts.
    let again = scope.resolve_one(None).unwrap().unwrap();
    assert!(img.properties().iter().zip(again.properties()).all(|(a, b)| Arc::ptr_eq(a, b)));
    // The ground truth needs no stored properties on the outside: without them the image is the same.
    scope.store_properties(false);
    let plain = scope.resolve_one(None).unwrap().unwrap();
    assert!(plain.properties().is_empty());
    assert_eq!(plain.as_slice(), img.as_slice());
}

#[test]
fn scatterers_append_their_volumes_with_their_own_dict() {
    let a = point(&[20.0, 20.0], &[]);
    let b = feature("Sphere", &[("position", vector(&[40.0, 44.0])), ("intensity", Value::Int(3))]);
    let scope = Feature::microscope(&fluorescence(&[]), &Feature::chain(&a, &b).unwrap()).unwrap();
    scope.store_properties(true);
    let img = scope.resolve_one(None).unwrap().unwrap();
    let dicts: Vec<String> = img.properties().iter().map(|d| d.to_string()).collect();
    assert_eq!(
        dicts[0],
        "{'position': array([20.0, 20.0]), 'z': 0.0, 'value': 1.0, 'position_unit': 'pixel', 'upsample': 1, \
         'voxel_size': array([1e-07, 1e-07, 1e-07]), 'pixel_size': 1e-07, 'intensity': 100.0, 'name': 'PointParticle'}"
    );
    assert_eq!(dicts[1], "{'name': 'Chain'}");
    assert!(dicts[2].starts_with(
        "{'position': array([40.0, 44.0]), 'z': 0.0, 'value': 1.0, 'position_unit': 'pixel', 'upsample': 1, \
         'voxel_size': array([1e-07, 1e-07, 1e-07]), 'pixel_size': 1e-07, 'radius': 1e-06"
    ));
    assert!(dicts[3].starts_with("{'NA': 0.8, 'wavelength': 6.8e-07, 'refractive_index_medium': 1.33"));
    assert_eq!(dicts[4], "{'name': 'Microscope'}");
    assert_eq!(img.get_properties("position").unwrap().len(), 2);
}

#[test]
fn a_scatterer_imaged_by_other_optics_is_recomputed() {
    let sphere = feature("Sphere", &[("position", vector(&[32.0, 32.0])), ("intensity", Value::Int(1))]);
    let coarse = Feature::microscope(&fluorescence(&[]), &sphere).unwrap();
    let fine = Feature::microscope(&fluorescence(&[("upscale", Value::Int(2))]), &sphere).unwrap();
    let first = coarse.resolve_one(None).unwrap().unwrap();
    let upscaled = fine.resolve_one(None).unwrap().unwrap();
    assert_eq!(upscaled.shape(), [64, 64, 1]);
    assert!(first.as_slice().iter().zip(upscaled.as_slice()).any(|(a, b)| (a - b).abs() > 1e-6));
    // Same image as the first time; the upscaled one keeps the flux (DeepTrack2's bookkeeping: 8× the
    // voxels, 2× the intensity, a pupil of 1/4 the pixels, then 2 × 2 averaging).
    let again = coarse.resolve_one(None).unwrap().unwrap();
    assert_eq!(again.as_slice(), first.as_slice());
    let ratio = sum(&upscaled) / sum(&first);
    assert!((ratio - 1.0).abs() < 0.02, "{ratio}");
}

#[test]
fn zero_padding_keeps_the_whole_region() {
    let region = [("output_region", vector(&[4.0, 2.0, 36.0, 30.0]))];
    let padded = image(&fluorescence(&region), &point(&[20.0, 16.0], &[]));
    let bare = fluorescence(&[region[0].clone(), ("padding", vector(&[0.0, 0.0, 0.0, 0.0]))]);
    let img = image(&bare, &point(&[20.0, 16.0], &[]));
    assert_eq!(img.shape(), [32, 28, 1]);
    assert_eq!(padded.shape(), [32, 28, 1]);
    assert_eq!(peak(&img).1, [16, 14]);
    // Close to the padded image (the FFT grid is smaller: a coarser pupil, and the PSF wraps around).
    let ratio = peak(&img).0 / peak(&padded).0;
    assert!((ratio - 1.0).abs() < 0.1, "{ratio}");
}

#[test]
fn the_other_scatterers_render_around_their_position() {
    let optics = fluorescence(&[]);
    for (name, shape) in [
        ("Sphere", vec![("radius", Value::Float(8e-7))]),
        ("Ellipse", vec![("radius", vector(&[1.5e-6, 0.5e-6])), ("rotation", Value::Float(0.5))]),
        ("Ellipsoid", vec![("radius", Value::List(vec![Value::Float(1e-6), Value::Float(6e-7)]))]),
    ] {
        let mut props = vec![("position", vector(&[30.0, 33.0])), ("intensity", Value::Int(2))];
        props.extend(shape);
        let img = image(&optics, &feature(name, &props));
        let (centre, width) = moments(&img);
        assert!((centre[0] - 30.0).abs() < 0.1 && (centre[1] - 33.0).abs() < 0.1, "{name} centred at {centre:?}");
        assert!(width > 3.0, "{name} is extended ({width})");
    }
}

#[test]
fn errors_name_the_feature_and_the_property() {
    let message = |r: deeptrack::Result<()>| r.unwrap_err().to_string();
    let f = features::builtin("Fluorescence").unwrap();
    assert_eq!(
        message(f.set_property("NA", Rule::constant(f64::NAN))),
        "property 'NA' of feature 'Fluorescence': expected a positive number, got NaN"
    );
    assert!(message(f.set_property("wavelength", Rule::constant(-5e-7))).starts_with("property 'wavelength'"));
    assert!(message(f.set_property("magnification", Rule::constant(0_i64))).starts_with("property 'magnification'"));
    assert!(message(f.set_property("resolution", Rule::constant(f64::INFINITY))).starts_with("property 'resolution'"));
    assert!(message(f.set_property("upscale", Rule::constant(1.5))).contains("positive integer"));
    assert_eq!(
        message(f.set_property("output_region", Rule::constant(vector(&[10.0, 0.0, 10.0, 64.0])))),
        "property 'output_region' of feature 'Fluorescence': expected (x0, y0, x1, y1) with x1 > x0 and y1 > y0, \
         got (10, 0, 10, 64)"
    );
    let s = features::builtin("Sphere").unwrap();
    assert!(
        message(s.set_property("radius", Rule::constant(-1e-6))).starts_with("property 'radius' of feature 'Sphere'")
    );
    assert_eq!(
        message(s.set_property("radius", Rule::constant(0_i64))),
        "property 'radius' of feature 'Sphere': expected a positive number, got 0"
    );
    assert!(message(s.set_property("position", Rule::constant(vector(&[1.0])))).contains("expected 2 or 3 numbers"));

    // Sampled values are checked when resolving.
    let optics = fluorescence(&[]);
    optics.set_property("NA", Rule::callback(|_| Ok(Value::Float(-1.0)))).unwrap();
    let err = Feature::microscope(&optics, &point(&[3.0, 3.0], &[])).unwrap().resolve(None).unwrap_err();
    assert_eq!(err.to_string(), "property 'NA' of feature 'Fluorescence': expected a positive number, got -1");

    // Outside a microscope, a scatterer is computed at DeepTrack2's default units (1 µm voxels, for
    // SampleToMasks): a sphere of radius 2.5 µm spans 5 voxels.
    let volume = point(&[3.0, 3.0], &[]).resolve_one(None).unwrap().unwrap();
    assert_eq!(volume.as_slice(), [1.0]);
    let sphere = features::builtin("Sphere").unwrap();
    sphere.set_property("radius", Rule::constant(2.5e-6)).unwrap();
    assert_eq!(sphere.resolve_one(None).unwrap().unwrap().shape(), [5, 5, 5]);
}

/// The error of imaging `sample` through `optics`, as text.
fn failure(optics: &Feature, sample: &Feature) -> String {
    match Feature::microscope(optics, sample).unwrap().resolve_one(None) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

/// The error of setting a constant, as text.
fn refused(f: &Feature, key: &str, value: Value) -> String {
    f.set_property(key, Rule::constant(value)).unwrap_err().to_string()
}

fn sphere(extra: &[(&str, Value)]) -> Feature {
    let mut props = vec![("position", vector(&[16.0, 16.0])), ("radius", Value::Float(3e-7))];
    props.extend(extra.iter().cloned());
    feature("Sphere", &props)
}

#[test]
fn sizes_too_large_are_errors_that_state_the_limit() {
    let small = ("output_region", vector(&[0.0, 0.0, 32.0, 32.0]));
    let f = fluorescence(&[]);
    assert_eq!(
        refused(&f, "upscale", Value::Int(7000)),
        "property 'upscale' of feature 'Fluorescence': 7000 exceeds the maximum of 6561"
    );
    assert_eq!(
        refused(&f, "padding", vector(&[0.0, 7000.0, 0.0, 0.0])),
        "property 'padding' of feature 'Fluorescence': 7000 exceeds the maximum of 6561"
    );
    assert_eq!(
        refused(&f, "output_region", vector(&[0.0, 0.0, 7000.0, 64.0])),
        "property 'output_region' of feature 'Fluorescence': the region spans 7000 pixels along axis 0, which \
         exceeds the maximum of 6561 (the largest FFT size)"
    );
    assert_eq!(
        refused(&f, "output_region", vector(&[1e12, 0.0, 1e12 + 64.0, 64.0])),
        "property 'output_region' of feature 'Fluorescence': the corner coordinate 1000000000000 exceeds the \
         maximum of 1000000000 in magnitude"
    );
    // Each fits alone; together they do not: the property that tips it over is named.
    let upscaled = fluorescence(&[("output_region", vector(&[0.0, 0.0, 128.0, 64.0])), ("upscale", Value::Int(60))]);
    assert_eq!(
        failure(&upscaled, &point(&[3.0, 3.0], &[])),
        "property 'upscale' of feature 'Fluorescence': the output region upscaled spans 7680 simulation pixels along \
         axis 0, which exceeds the maximum of 6561 (the largest FFT size)"
    );
    let padded = fluorescence(&[
        ("output_region", vector(&[0.0, 0.0, 64.0, 6000.0])),
        ("padding", vector(&[0.0, 600.0, 0.0, 0.0])),
    ]);
    assert_eq!(
        failure(&padded, &point(&[3.0, 3.0], &[])),
        "property 'padding' of feature 'Fluorescence': the padded output region spans 6600 simulation pixels along \
         axis 1, which exceeds the maximum of 6561 (the largest FFT size)"
    );
    // A sphere of one meter at 0.1 µm voxels.
    let err = Feature::microscope(&fluorescence(&[]), &sphere(&[("radius", Value::Float(1.0))])).unwrap().resolve(None);
    let err = err.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfMemory);
    assert_eq!(
        err.to_string(),
        "property 'radius' of feature 'Sphere': the scatterer's grid of 20000000 x 20000000 x 20000000 voxels (radius \
         / voxel size) exceeds the maximum of 134217728 voxels"
    );
    // A sample deeper than the optics allow: the far scatterer's z, or the z-upscale that makes it so deep.
    let far = point(&[3.0, 3.0], &[("z", Value::Float(1e5)), ("name", Value::str("far"))]);
    let pair = Feature::chain(&point(&[3.0, 3.0], &[]), &far).unwrap();
    assert_eq!(
        failure(&fluorescence(std::slice::from_ref(&small)), &pair),
        "property 'z' of feature 'far': the sample (this scatterer's depth against the others') spans 100005 \
         z-planes (simulation pixels), which exceeds the maximum of 65536"
    );
    let near = point(&[3.0, 3.0], &[("z", Value::Float(20.0))]);
    let pair = Feature::chain(&point(&[3.0, 3.0], &[]), &near).unwrap();
    let deep = fluorescence(&[small, ("upscale", vector(&[1.0, 1.0, 6561.0]))]);
    assert!(
        failure(&deep, &pair).starts_with(
            "property 'upscale' of feature 'Fluorescence': the sample upscaled spans 131225 z-planes (simulation \
             pixels), which exceeds the maximum of 65536"
        ),
        "{}",
        failure(&deep, &pair)
    );
}

/// Finite properties that cannot give a finite image are errors naming the property and its feature;
/// extreme ones that can, render.
#[test]
fn finite_inputs_that_overflow_name_their_property() {
    let small = ("output_region", vector(&[0.0, 0.0, 32.0, 32.0]));
    let fluo = |extra: &[(&str, Value)]| {
        let mut props = vec![small.clone()];
        props.extend(extra.iter().cloned());
        fluorescence(&props)
    };
    let bright = |extra: &[(&str, Value)]| {
        let mut props = vec![small.clone()];
        props.extend(extra.iter().cloned());
        brightfield(&props)
    };
    let bright_sphere = |extra: &[(&str, Value)]| {
        let mut props = vec![("refractive_index", Value::Float(1.45))];
        props.extend(extra.iter().cloned());
        sphere(&props)
    };
    let intensity = |i: f64| ("intensity", Value::Float(i));
    let starts = |err: String, prefix: &str| assert!(err.starts_with(prefix), "{err}\n  does not start with {prefix}");
    // The scatterer's contrast.
    starts(
        failure(&fluo(&[]), &sphere(&[intensity(1e308)])),
        "property 'intensity' of feature 'Sphere': the image overflows (it has non-finite values): the scatterer's \
         intensity gives it a value of 1e+308 per voxel",
    );
    starts(
        failure(&fluo(&[("upscale", Value::Int(2))]), &sphere(&[intensity(1e308)])),
        "property 'intensity' of feature 'Sphere': the intensity times the upscale fudge factor (scale x · scale y / \
         scale z = 2) overflows",
    );
    starts(failure(&fluo(&[]), &sphere(&[("value", Value::Float(-1e308))])), "property 'value' of feature 'Sphere'");
    starts(
        failure(&bright(&[]), &bright_sphere(&[("refractive_index", Value::Float(1.7e308))])),
        "property 'refractive_index' of feature 'Sphere': the refraction phase per voxel (1.7e+308 × ",
    );
    // The optics' numbers, through the quantities they make.
    for name in ["Fluorescence", "Brightfield"] {
        for (key, value, what) in [
            ("refractive_index_medium", 1e300, "the wavenumber per simulation voxel"),
            ("wavelength", 1e-308, "the wavenumber per simulation voxel"),
            ("resolution", 1e300, "the wavenumber per simulation voxel"),
            ("magnification", 1e-300, "the wavenumber per simulation voxel"),
            ("magnification", 1e308, "the simulation voxel (resolution / magnification / upscale"),
            ("resolution", 1e-320, "the simulation voxel (resolution / magnification / upscale"),
        ] {
            let extra = [(key, Value::Float(value))];
            let (optics, scatterer) = if name == "Fluorescence" {
                (fluo(&extra), sphere(&[intensity(100.0)]))
            } else {
                (bright(&extra), bright_sphere(&[]))
            };
            starts(failure(&optics, &scatterer), &format!("property '{key}' of feature '{name}': {what}"));
        }
    }
    starts(
        failure(&bright(&[]), &bright_sphere(&[("z", Value::Float(1e308))])),
        "property 'z' of feature 'Sphere': the scatterer lands 1e+308 simulation pixels from the origin along z, which \
         exceeds the maximum of 1000000000 in magnitude",
    );
    starts(
        failure(&fluo(&[]), &sphere(&[intensity(1.0), ("position", vector(&[1e12, 3.0]))])),
        "property 'position' of feature 'Sphere': the scatterer lands 999999999997",
    );
    starts(
        failure(&fluo(&[]), &sphere(&[intensity(1.0), ("position", vector(&[3.0, 3.0, -1e300]))])),
        "property 'position' of feature 'Sphere': the scatterer lands -1e+300 simulation pixels from the origin along z",
    );
    // Extreme but renderable: finite images.
    for (optics, sample) in [
        (fluo(&[("NA", Value::Float(1e308))]), sphere(&[intensity(100.0)])),
        (fluo(&[("NA", Value::Float(1e-300))]), sphere(&[intensity(100.0)])),
        (fluo(&[("wavelength", Value::Float(1e300))]), sphere(&[intensity(100.0)])),
        (fluo(&[("refractive_index_medium", Value::Float(1e-300))]), sphere(&[intensity(100.0)])),
        (fluo(&[]), sphere(&[intensity(1e300)])),
        (bright(&[]), bright_sphere(&[intensity(1e300)])),
        (bright(&[]), bright_sphere(&[("radius", Value::Float(1e-300))])),
    ] {
        let img = image(&optics, &sample);
        assert!(img.as_slice().iter().all(|v| v.is_finite()));
    }
}

#[test]
fn positions_are_in_the_frame_of_the_output_image() {
    let optics = fluorescence(&[("output_region", vector(&[10.0, 20.0, 74.0, 84.0]))]);
    let particle = point(&[32.0, 40.0], &[]);
    let scope = Feature::microscope(&optics, &particle).unwrap();
    scope.store_properties(true);
    let img = scope.resolve_one(None).unwrap().unwrap();
    assert_eq!(img.shape(), [64, 64, 1]);
    assert_eq!(peak(&img).1, [22, 20], "the particle at camera (32, 40) is at image (22, 20)");
    let positions = img.get_properties("position").unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].to_f64_vec().unwrap(), [22.0, 20.0]);
    assert_eq!(particle.get_property("position").unwrap().to_f64_vec().unwrap(), [32.0, 40.0]);
}

/// Fluorescence (as [`fluorescence`], 48 × 40 with padding 8) whose pupil is `pupil`.
fn with_pupil(pupil: &Feature) -> Feature {
    let o = features::registry::build("Fluorescence", vec![pupil.clone()]).unwrap();
    for (k, v) in [
        ("NA", Value::Float(0.8)),
        ("wavelength", Value::Float(680e-9)),
        ("output_region", vector(&[0.0, 0.0, 48.0, 40.0])),
        ("padding", vector(&[8.0, 8.0, 8.0, 8.0])),
    ] {
        o.set_property(k, Rule::constant(v)).unwrap();
    }
    o
}

/// A custom feature as the pupil gets the complex pupil of the whole grid and `rho`, `theta`
/// (DeepTrack2's `Aberration.get(pupil, rho, theta)`), and what it returns is the pupil: an
/// apodization computed from `rho` gives GaussianApodization's image. It is called at every image,
/// never reused from an earlier one (it may change with its properties unchanged).
#[test]
fn a_custom_feature_as_the_pupil_gets_rho_and_theta() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let apodization = feature("GaussianApodization", &[("sigma", Value::Float(0.6))]);
    let sample = point(&[20.3, 17.6], &[("z", Value::Float(2.0))]);
    let builtin = image(&with_pupil(&apodization), &sample);
    let calls = Arc::new(AtomicU64::new(0));
    // The tilt, in radians at rho = 1, changed between images from outside.
    let tilt = Arc::new(AtomicU64::new(0f64.to_bits()));
    let (c, t) = (Arc::clone(&calls), Arc::clone(&tilt));
    let mine = Feature::custom("MyAberration", move |pupil, props| {
        c.fetch_add(1, Ordering::Relaxed);
        let pupil = pupil.expect("the pupil");
        assert!(pupil.is_complex());
        let (rho, theta) = (props.require("rho")?.as_array()?, props.require("theta")?.as_array()?);
        let (n0, n1) = (rho.shape()[0], rho.shape()[1]);
        assert_eq!(pupil.shape(), [n0, n1, 2]);
        assert_eq!(theta.shape(), [n0, n1]);
        // theta = atan2(row offset, column offset) from the centre (n0/2, n1/2).
        assert_eq!(theta[[0, n1 / 2]], -std::f64::consts::FRAC_PI_2);
        assert_eq!(theta[[n0 / 2, n1 - 1]], 0.0);
        let sigma = props.f64("sigma")?;
        let tilt = f64::from_bits(t.load(Ordering::Relaxed));
        let mut out = pupil.to_array()?;
        for i in 0..n0 {
            for j in 0..n1 {
                let (r, a) = (rho[[i, j]], theta[[i, j]]);
                let f = (-(r / sigma) * (r / sigma)).exp();
                let phase = tilt * r * a.cos();
                let (re, im) = (out[[i, j, 0]] * f, out[[i, j, 1]] * f);
                out[[i, j, 0]] = re * phase.cos() - im * phase.sin();
                out[[i, j, 1]] = re * phase.sin() + im * phase.cos();
            }
        }
        let mut out = Image::new(out);
        out.set_complex(true)?;
        Ok(Some(out))
    });
    mine.set_property("sigma", Rule::constant(Value::Float(0.6))).unwrap();
    let optics = with_pupil(&mine);
    let custom = image(&optics, &sample);
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    let scale = peak(&builtin).0;
    let largest =
        |a: &Image, b: &Image| a.as_slice().iter().zip(b.as_slice()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    assert!(largest(&builtin, &custom) < 1e-12 * scale, "{}", largest(&builtin, &custom));
    // The same properties, another pupil: a new image (no cached pupil reused).
    tilt.store(3f64.to_bits(), Ordering::Relaxed);
    let tilted = image(&optics, &sample);
    assert_eq!(calls.load(Ordering::Relaxed), 2);
    assert!(largest(&builtin, &tilted) > 0.05 * scale);
    assert!((moments(&tilted).0[1] - moments(&builtin).0[1]).abs() > 0.3, "a tilt moves the spot along the columns");
}

/// An array multiplies the pupil (DeepTrack2's `pupil=ndarray`, given as a `Value` holding it),
/// broadcast over the grid as numpy does; another shape is an error naming it.
#[test]
fn an_array_pupil_multiplies_the_pupil() {
    let sample = point(&[20.3, 17.6], &[("z", Value::Float(2.0))]);
    let plain = image(&with_pupil(&feature("DummyFeature", &[])), &sample);
    // A number: the field scales by 0.5, a fluorescence image by 0.25.
    let half = image(&with_pupil(&feature("Value", &[("value", Value::Float(0.5))])), &sample);
    for (a, b) in plain.as_slice().iter().zip(half.as_slice()) {
        assert!((a * 0.25 - b).abs() <= 1e-12 * peak(&plain).0);
    }
    // A complex number: its phase does not change a fluorescence image, its modulus does.
    let turned = image(&with_pupil(&feature("Value", &[("value", Value::Complex(0.3, -0.4))])), &sample);
    for (a, b) in plain.as_slice().iter().zip(turned.as_slice()) {
        assert!((a * 0.25 - b).abs() <= 1e-12 * peak(&plain).0);
    }
    // The padded region is 64 × 56 on a 64 × 64 grid: a row of 64 numbers broadcasts; one of 56 does not.
    let row = |n: usize| Value::array(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[n]), 0.5));
    let rows = image(&with_pupil(&feature("Value", &[("value", row(64))])), &sample);
    assert_eq!(rows.as_slice(), half.as_slice());
    let optics = with_pupil(&feature("Value", &[("value", row(56))]));
    let e = Feature::microscope(&optics, &sample).unwrap().resolve_one(None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(
        e.to_string().contains("the pupil array's shape [56] does not broadcast to the pupil's grid [64, 64]"),
        "{e}"
    );
}

/// Brightfield (633 nm, NA 0.7, 0.1 µm pixels, 32 × 32, padding 8) of `sample`, its complex field.
fn mie_field(sample: &Feature) -> Image {
    let o = feature(
        "Brightfield",
        &[
            ("NA", Value::Float(0.7)),
            ("wavelength", Value::Float(633e-9)),
            ("resolution", Value::Float(1e-7)),
            ("magnification", Value::Int(1)),
            ("output_region", vector(&[0.0, 0.0, 32.0, 32.0])),
            ("padding", vector(&[8.0, 8.0, 8.0, 8.0])),
            ("return_field", Value::Bool(true)),
        ],
    );
    image(&o, sample)
}

/// `MieScatterer`'s coefficients come from its function of `L` (DeepTrack2's `A, B =
/// coefficients(L)`), called with `L` and the properties: a sphere's coefficients give MieSphere's
/// field; "auto" is computed from `radius`; a wrong shape is an error naming the property.
#[test]
fn mie_scatterer_takes_its_coefficients_from_a_function_of_l() {
    use deeptrack::mie::{Complex64, coefficients};
    let sphere = |p: &deeptrack::PropertyDict| -> deeptrack::Result<Option<Image>> {
        let order = p.require("L")?.as_f64()? as usize;
        let (wavelength, n) = (p.f64("wavelength")?, p.f64("refractive_index_medium")?);
        let radius = p.f64("radius")?;
        let (a, b) =
            coefficients(Complex64::new(1.45 / n, 0.0), radius * 2.0 * std::f64::consts::PI / wavelength * n, order)?;
        let data: Vec<f64> = a.iter().chain(&b).flat_map(|c| [c.re, c.im]).collect();
        let mut out = Image::new(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, order, 2]), data).unwrap());
        out.set_complex(true)?;
        Ok(Some(out))
    };
    let function = Feature::custom("coefficients", move |l, p| {
        assert_eq!(l.expect("L as an image").as_slice(), [p.require("L").unwrap().as_f64().unwrap()]);
        sphere(p)
    });
    let mine = features::registry::build("MieScatterer", vec![function]).unwrap();
    let common = [("position", vector(&[16.0, 15.5])), ("z", Value::Float(2.0)), ("radius", Value::Float(4e-7))];
    for (k, v) in &common {
        mine.set_property(k, Rule::constant(v.clone())).unwrap();
    }
    let reference = feature("MieSphere", &[common[0].clone(), common[1].clone(), common[2].clone()]);
    let (a, b) = (mie_field(&mine), mie_field(&reference));
    assert_eq!(a.shape(), [32, 32, 1, 2]);
    assert!(a.is_complex());
    let scale = b.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let largest = a.as_slice().iter().zip(b.as_slice()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    assert!(largest <= 1e-12 * scale, "{largest}");

    // "auto" needs a radius.
    let bare = features::registry::build("MieScatterer", vec![Feature::custom("coefficients", move |_, p| sphere(p))])
        .unwrap();
    let e = Feature::microscope(&feature("Brightfield", &[]), &bare).unwrap().resolve_one(None).unwrap_err();
    assert!(e.to_string().contains("property 'L' of feature 'MieScatterer'"), "{e}");
    assert!(e.to_string().contains("L \"auto\" is computed from the radius"), "{e}");

    // A (3, L) array.
    let three = Feature::custom("coefficients", |_, p| {
        let order = p.require("L")?.as_f64()? as usize;
        Ok(Some(Image::new(ndarray::ArrayD::zeros(ndarray::IxDyn(&[3, order])))))
    });
    let wrong = features::registry::build("MieScatterer", vec![three]).unwrap();
    wrong.set_property("L", Rule::constant(Value::Int(5))).unwrap();
    let e = Feature::microscope(&feature("Brightfield", &[]), &wrong).unwrap().resolve_one(None).unwrap_err();
    assert!(e.to_string().contains("property 'coefficients'"), "{e}");
    assert!(
        e.to_string()
            .contains("expected the coefficients as a (2, L) array (a_n, then b_n) for L = 5, got shape [3, 5]"),
        "{e}"
    );
}

/// A Mie sphere records the values it was imaged with: in ISCAT the optics' `illumination_angle`
/// (π), `amp_factor`, polarizations and `phase_shift_correction`, in Darkfield its angle (π/2), in
/// Brightfield its own (0), as DeepTrack2 2.0.1's `image.get_property` shows them; its name stays.
#[test]
fn a_mie_sphere_records_the_illumination_its_optics_imaged_it_with() {
    let sphere = feature(
        "MieSphere",
        &[("position", vector(&[16.0, 16.0])), ("radius", Value::Float(5e-7)), ("L", Value::Int(4))],
    );
    sphere.set_property("illumination_angle", Rule::constant(0.25)).unwrap();
    let region = [("output_region", vector(&[0.0, 0.0, 32.0, 32.0])), ("padding", vector(&[8.0; 4]))];
    let recorded = |optics: &str| {
        let scope = Feature::microscope(&feature(optics, &region), &sphere).unwrap();
        scope.store_properties(true);
        let img = scope.resolve_one(None).unwrap().unwrap();
        let dict = Arc::clone(&img.properties()[0]);
        assert_eq!(dict.get("name").unwrap().as_str().unwrap(), "MieSphere");
        (img, dict)
    };
    let (iscat, dict) = recorded("ISCAT");
    assert_eq!(dict.get("illumination_angle").unwrap().as_f64().unwrap(), std::f64::consts::PI);
    assert_eq!(dict.get("input_polarization").unwrap().as_str().unwrap(), "circular");
    assert_eq!(dict.get("output_polarization").unwrap().as_str().unwrap(), "circular");
    assert!(dict.get("phase_shift_correction").unwrap().as_bool().unwrap());
    assert_eq!(dict.get("amp_factor").unwrap().as_f64().unwrap(), 1.0);
    // Every dict with the key says π (the sphere's, the optics').
    let angles: Vec<f64> =
        iscat.get_properties("illumination_angle").unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(angles, [std::f64::consts::PI; 2]);
    let (_, dict) = recorded("Darkfield");
    assert_eq!(dict.get("illumination_angle").unwrap().as_f64().unwrap(), std::f64::consts::FRAC_PI_2);
    assert_eq!(dict.get("input_polarization").unwrap().as_i64().unwrap(), 0, "Darkfield hands no polarization");
    let (_, dict) = recorded("Brightfield");
    assert_eq!(dict.get("illumination_angle").unwrap().as_f64().unwrap(), 0.25, "nothing to hand: its own");
    // The sphere's own property is untouched; recording changes nothing in the image.
    assert_eq!(sphere.get_property("illumination_angle").unwrap().as_f64().unwrap(), 0.25);
    let scope = Feature::microscope(&feature("ISCAT", &region), &sphere).unwrap();
    assert_eq!(scope.resolve_one(None).unwrap().unwrap().as_slice(), iscat.as_slice());
}
