//! `Upscale`: a pipeline without optics is only pooled (block means of the first two axes, zero
//! padding counting), optics inside simulate at the factor times their upscale (the same image as the
//! optics' own `upscale`), cached results are not reused across upscales, and the errors.

mod common;

use common::kind_of;
use deeptrack::features::registry;
use deeptrack::{ErrorKind, Feature, Image, Rule, Value};

fn upscale(f: &Feature, factor: Value) -> Feature {
    let up = registry::build("Upscale", vec![f.clone()]).unwrap();
    up.set_property("factor", Rule::constant(factor)).unwrap();
    up
}

fn value(data: &[f64], shape: &[usize]) -> Feature {
    let f = registry::build("Value", Vec::new()).unwrap();
    f.set_property(
        "value",
        Rule::constant(Value::Array(Image::from_slice(shape, data).unwrap().to_shared_array().unwrap())),
    )
    .unwrap();
    f
}

#[test]
fn without_optics_the_output_is_pooled_by_the_factor() {
    let data: Vec<f64> = (0..16).map(f64::from).collect();
    let up = upscale(&value(&data, &[4, 4]), Value::Int(2));
    assert_eq!(up.property_names(), ["factor", "name"]);
    let out = up.resolve(None).unwrap();
    assert_eq!((out[0].shape(), out[0].as_slice()), (&[2, 2][..], &[2.5, 4.5, 10.5, 12.5][..]));
    // Three factors: rows and columns pool, z does not apply to an image; zero padding counts.
    let up = upscale(&value(&data[..15], &[5, 3]), Value::List(vec![Value::Int(2), Value::Int(3), Value::Int(1)]));
    let out = up.resolve(None).unwrap();
    assert_eq!(out[0].shape(), [3, 1]);
    assert_eq!(out[0].as_slice(), [15.0 / 6.0, 51.0 / 6.0, (12.0 + 13.0 + 14.0) / 6.0]);
    // Higher dimensions: only the first two axes.
    let up = upscale(&value(&[1.0; 8], &[2, 2, 2]), Value::Int(2));
    assert_eq!(up.resolve(None).unwrap()[0].shape(), [1, 1, 2]);
    // A factor of 1 changes nothing.
    let up = upscale(&value(&data, &[4, 4]), Value::Int(1));
    assert_eq!(up.resolve(None).unwrap()[0].as_slice(), data.as_slice());
}

#[test]
fn errors_name_the_factor() {
    let up = upscale(&value(&[1.0, 2.0], &[2]), Value::Int(2));
    let err = up.resolve(None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'factor' of feature 'Upscale': the image has 1 dimension: pooling by the factor needs at least 2"
    );
    let f = registry::build("Upscale", vec![value(&[1.0], &[1, 1])]).unwrap();
    let err = f.set_property("factor", Rule::constant(Value::vector(&[2.0, 2.0]))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'factor' of feature 'Upscale': expected 1 or 3 factors (one per axis), got 2"
    );
    let err = f.set_property("factor", Rule::constant(0)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = f.set_property("factor", Rule::constant(1e9)).unwrap_err();
    assert!(err.to_string().contains("exceeds the maximum of 6561"), "{err}");
    assert_eq!(
        registry::build("Upscale", Vec::new()).unwrap_err().to_string(),
        "Upscale takes 1 feature (feature), got 0"
    );
}

fn microscope(upscale_optics: i64) -> Feature {
    let particle = registry::build("PointParticle", Vec::new()).unwrap();
    particle.set_property("position", Rule::constant(Value::vector(&[16.3, 15.6]))).unwrap();
    particle.set_property("intensity", Rule::constant(100.0)).unwrap();
    let optics = registry::build("Fluorescence", Vec::new()).unwrap();
    optics.set_property("output_region", Rule::constant(Value::vector(&[0.0, 0.0, 32.0, 32.0]))).unwrap();
    optics.set_property("upscale", Rule::constant(upscale_optics)).unwrap();
    Feature::microscope(&optics, &particle).unwrap()
}

#[test]
fn optics_inside_simulate_at_the_factor_times_their_upscale() {
    let plain = microscope(1);
    let up = upscale(&plain, Value::Int(3));
    let a = up.resolve(None).unwrap()[0].clone();
    let b = microscope(3).resolve(None).unwrap()[0].clone();
    assert_eq!(a.shape(), [32, 32, 1]);
    let diff = a.as_slice().iter().zip(b.as_slice()).fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(diff <= 1e-12 * b.as_slice().iter().fold(0.0_f64, |m, x| m.max(x.abs())), "{diff}");
    // The same microscope resolved on its own afterwards is not the upscaled result (caches are
    // per upscale), and it differs from it.
    let own = plain.resolve(None).unwrap()[0].clone();
    assert_eq!(own.shape(), [32, 32, 1]);
    assert!(own.as_slice().iter().zip(a.as_slice()).any(|(x, y)| (x - y).abs() > 1e-6));
    // Resolved again under Upscale: the upscaled image again (one cache entry: computed anew).
    assert_eq!(up.resolve(None).unwrap()[0].as_slice(), a.as_slice());
    assert!(up.resolve(None).unwrap()[0].shares_samples(&up.resolve(None).unwrap()[0]));
    // The product of the upscales is bounded.
    let err = upscale(&microscope(81), Value::Int(100)).resolve(None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'upscale' of feature 'Fluorescence': the upscale [81, 81, 81] times the enclosing Upscale's factors \
         [100, 100, 100] exceeds the maximum of 6561 per axis"
    );
}

/// Two point particles at `(14, 27)` and `(29, 12)` camera pixels (`(10, 21)` and `(25, 6)` in the
/// output region from `(4, 6)`, 36 × 32 pixels), imaged with a point-spread function about a
/// pixel wide (so that the pooled pixels show where a particle is within a pixel).
fn two_particles() -> Feature {
    let particle = |x: f64, y: f64| {
        let p = registry::build("PointParticle", Vec::new()).unwrap();
        p.set_property("position", Rule::constant(Value::vector(&[x, y]))).unwrap();
        p.set_property("intensity", Rule::constant(100.0)).unwrap();
        p
    };
    let sample = Feature::chain(&particle(14.0, 27.0), &particle(29.0, 12.0)).unwrap();
    let optics = registry::build("Fluorescence", Vec::new()).unwrap();
    for (key, v) in [
        ("NA", Value::Float(0.6)),
        ("wavelength", Value::Float(700e-9)),
        ("magnification", Value::Int(1)),
        ("resolution", Value::Float(0.5e-6)),
        ("output_region", Value::vector(&[4.0, 6.0, 40.0, 38.0])),
    ] {
        optics.set_property(key, Rule::constant(v)).unwrap();
    }
    Feature::microscope(&optics, &sample).unwrap()
}

/// Checks that every recorded position of `out` is where its particle is in the image: the brightest
/// pixel within 2 pixels of it is at least half the image's brightest (both particles are equally
/// bright), and the centroid of those 5 × 5 pixels is within 0.3 pixel of it on both axes.
fn positions_follow_pixels(out: &Image, case: &str) {
    let (h, w) = (out.shape()[0] as isize, out.shape()[1] as isize);
    let data = out.data();
    let at = |r: isize, c: isize| data[[r as usize, c as usize, 0]];
    let max = out.as_slice().iter().fold(0.0_f64, |m, &x| m.max(x));
    let positions = out.get_properties("position").unwrap();
    assert_eq!(positions.len(), 2, "{case}");
    for position in positions {
        let p = position.to_f64_vec().unwrap();
        let (r0, c0) = (p[0].round() as isize, p[1].round() as isize);
        assert!(r0 >= 2 && c0 >= 2 && r0 + 2 < h && c0 + 2 < w, "{case}: {p:?} is not inside the {h}x{w} image");
        let (mut sum, mut sr, mut sc, mut peak) = (0.0, 0.0, 0.0, 0.0_f64);
        for r in r0 - 2..=r0 + 2 {
            for c in c0 - 2..=c0 + 2 {
                let v = at(r, c);
                sum += v;
                sr += v * r as f64;
                sc += v * c as f64;
                peak = peak.max(v);
            }
        }
        assert!(peak >= 0.5 * max, "{case}: no particle at {p:?} (brightest nearby {peak}, in the image {max})");
        let centroid = [sr / sum, sc / sum];
        assert!(
            (centroid[0] - p[0]).abs() < 0.3 && (centroid[1] - p[1]).abs() < 0.3,
            "{case}: recorded {p:?}, the particle's pixels are centred at {centroid:?}"
        );
    }
}

#[test]
fn positions_follow_the_pixels_of_geometric_kinds_inside_upscale() {
    let v = |x: &[f64]| Value::vector(x);
    let augmentations: Vec<(&str, Vec<(&str, Value)>)> = vec![
        ("DummyFeature", vec![]),
        ("FlipLR", vec![("p", Value::Float(1.0))]),
        ("FlipUD", vec![("p", Value::Float(1.0))]),
        ("FlipDiagonal", vec![("p", Value::Float(1.0))]),
        ("Affine", vec![("rotate", Value::Float(0.5))]),
        ("Affine", vec![("translate_px", v(&[3.0, -2.0]))]),
        ("Affine", vec![("scale", Value::Float(1.2))]),
        (
            "Crop",
            vec![("crop", v(&[5.0, 3.0, 0.0])), ("crop_mode", Value::str("remove")), ("corner", v(&[3.0, 1.0, 0.0]))],
        ),
        ("Pad", vec![("px", v(&[3.0, 1.0, 5.0, 2.0]))]),
        ("CropToMultiplesOf", vec![("multiple", v(&[7.0, 5.0, -1.0]))]),
        ("PadToMultiplesOf", vec![("multiple", v(&[7.0, 5.0, -1.0]))]),
        ("CropTight", vec![("eps", Value::Float(1e-3))]),
    ];
    let factors = [Value::Int(1), Value::Int(2), Value::Int(3), Value::vector(&[2.0, 3.0, 1.0])];
    for (name, props) in &augmentations {
        for factor in &factors {
            let case = format!("{name} {props:?} inside Upscale(factor={factor:?})");
            let up = upscale(&Feature::chain(&two_particles(), &kind_of(name, props)).unwrap(), factor.clone());
            up.store_properties(true);
            up.seed(7).unwrap();
            let out = up.resolve_one(None).unwrap().unwrap();
            positions_follow_pixels(&out, &case);
            if *name == "DummyFeature" {
                // Unmoved: the positions as given (in the output region's frame), to the rounding of
                // the way through the larger frame and back.
                let got: Vec<Vec<f64>> =
                    out.get_properties("position").unwrap().iter().map(|p| p.to_f64_vec().unwrap()).collect();
                for (g, want) in got.iter().zip([[10.0, 21.0], [25.0, 6.0]]) {
                    assert!(g.iter().zip(want).all(|(a, b)| (a - b).abs() <= 1e-13), "{case}: {got:?}");
                }
            }
        }
        // Nested: a kind inside an Upscale inside another, and one between the two poolings.
        let inner = upscale(&Feature::chain(&two_particles(), &kind_of(name, props)).unwrap(), Value::Int(2));
        let flip = kind_of("FlipUD", &[("p", Value::Float(1.0))]);
        let up = upscale(&Feature::chain(&inner, &flip).unwrap(), Value::vector(&[3.0, 2.0, 1.0]));
        up.store_properties(true);
        up.seed(7).unwrap();
        positions_follow_pixels(&up.resolve_one(None).unwrap().unwrap(), &format!("{name} inside nested Upscales"));
    }
}

#[test]
fn pooling_moves_positions_of_images_without_optics_to_the_pooled_pixels() {
    // A hand-made image with a bright 2x2 block at rows 4..6, columns 2..4 (its position, the block's
    // centre, at (4.5, 2.5)), pooled by 2: the block is pixel (2, 1).
    let mut data = vec![0.0; 8 * 8];
    for (r, c) in [(4, 2), (4, 3), (5, 2), (5, 3)] {
        data[r * 8 + c] = 1.0;
    }
    let image = Feature::chain(&value(&data, &[8, 8]), &{
        let p = deeptrack::Feature::custom("P", |_, _| Ok(None));
        p.set_property("position", Rule::constant(Value::vector(&[4.5, 2.5]))).unwrap();
        p
    })
    .unwrap();
    let up = upscale(&image, Value::Int(2));
    up.store_properties(true);
    let out = up.resolve_one(None).unwrap().unwrap();
    assert_eq!(out.data()[[2, 1]], 1.0);
    assert_eq!(out.get_property("position").unwrap().to_f64_vec().unwrap(), [2.0, 1.0]);
    // The feature's own position, and the pipeline resolved without Upscale, keep theirs.
    let plain = image.resolve_one(None).unwrap().unwrap();
    assert_eq!(plain.get_property("position").unwrap().to_f64_vec().unwrap(), [4.5, 2.5]);
}
