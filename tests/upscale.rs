//! `Upscale`: a pipeline without optics is only pooled (block means of the first two axes, zero
//! padding counting), optics inside simulate at the factor times their upscale (the same image as the
//! optics' own `upscale`), cached results are not reused across upscales, and the errors.

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
