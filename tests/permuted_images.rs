//! Permuted images (`Transpose`, `MoveAxis`: numpy's views, sharing their input's samples in another
//! order) are computed on as their C-order copies are, by every sort of kind: elementwise, math
//! maps, statistics with and without an axis, pooling, blurs, resizing, cropping and padding,
//! arithmetic, reshapes, and optics imaging a permuted volume.

mod common;

use std::sync::Arc;

use deeptrack::{Feature, Image, PropertyDict, Value};

/// [`common::kind_of`], storing its properties on its images.
fn kind(name: &str, props: &[(&str, Value)]) -> Feature {
    let f = common::kind_of(name, props);
    f.store_properties(true);
    f
}

fn ints(v: &[i64]) -> Value {
    Value::List(v.iter().map(|&x| Value::Int(x)).collect())
}

/// A (4, 6, 5) image of distinct values in (0.05, 0.95), not symmetric in any axis, with a dict.
fn base() -> Image {
    let data: Vec<f64> =
        (0..120).map(|i| 0.05 + 0.9 * ((i * 37 % 120) as f64 + 0.25 * (i % 7) as f64) / 122.0).collect();
    let mut img = Image::from_slice(&[4, 6, 5], &data).unwrap();
    let mut d = PropertyDict::new();
    d.insert("name", Value::str("base"));
    img.append(Arc::new(d));
    img
}

/// The same samples in C order, as a new image with the same properties.
fn c_order(img: &Image) -> Image {
    let mut out = Image::new(img.to_array().unwrap());
    out.set_properties_from(img);
    out
}

trait SetProperties {
    fn set_properties_from(&mut self, other: &Image);
}

impl SetProperties for Image {
    fn set_properties_from(&mut self, other: &Image) {
        self.clear_properties();
        self.merge_properties_from(other).unwrap();
    }
}

fn assert_close(a: &Image, b: &Image, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shape");
    let (x, y) = (a.to_array().unwrap(), b.to_array().unwrap());
    let scale = y.iter().fold(1e-300_f64, |m, v| m.max(v.abs()));
    for (i, (p, q)) in x.iter().zip(y.iter()).enumerate() {
        assert!(
            (p - q).abs() <= 1e-12 * scale || (p.is_nan() && q.is_nan()),
            "{what}: sample {i}: {p} (permuted) != {q} (C order)"
        );
    }
}

#[test]
fn transpose_and_move_axis_share_the_samples_with_numpys_strides() {
    let x = base();
    let t = kind("Transpose", &[]).resolve_one(Some(&x)).unwrap().unwrap();
    assert!(t.is_permuted() && t.shares_samples(&x));
    assert_eq!((t.shape(), t.strides().as_slice()), (&[5, 6, 4][..], &[1, 5, 30][..]));
    assert_eq!(t.data()[[3, 2, 1]], x.data()[[1, 2, 3]]);
    assert_eq!(t.contiguous().unwrap(), x.data().t().iter().copied().collect::<Vec<_>>().as_slice());
    // The properties are the input's and the Transpose's own.
    assert_eq!(t.get_property("name").unwrap().as_str().unwrap(), "base");
    assert_eq!(t.properties().len(), 2);
    let m = kind("MoveAxis", &[("source", Value::Int(0)), ("destination", Value::Int(2))]).resolve_one(Some(&x));
    let m = m.unwrap().unwrap();
    assert!(m.is_permuted() && m.shares_samples(&x));
    assert_eq!((m.shape(), m.strides().as_slice()), (&[6, 5, 4][..], &[5, 1, 30][..]));
    // Permuting back is C order again, still sharing the samples.
    let back = kind("Transpose", &[]).resolve_one(Some(&t)).unwrap().unwrap();
    assert!(!back.is_permuted() && back.shares_samples(&x));
    assert_eq!(back.contiguous().unwrap(), x.contiguous().unwrap());
    // Squeeze and ExpandDims keep the permutation (numpy's strides for new axes of length 1).
    let e = kind("ExpandDims", &[("axis", Value::Int(0))]).resolve_one(Some(&t)).unwrap().unwrap();
    assert!(e.is_permuted() && e.shares_samples(&x));
    assert_eq!((e.shape(), e.strides().as_slice()), (&[1, 5, 6, 4][..], &[5, 1, 5, 30][..]));
    let s = kind("Squeeze", &[]).resolve_one(Some(&e)).unwrap().unwrap();
    assert!(s.is_permuted() && s.same_samples_as(&t));
    // A reshape that mixes axes copies (numpy's does too).
    let r = t.reshaped(&[30, 4]).unwrap();
    assert!(!r.is_permuted() && !r.shares_samples(&x));
    assert_eq!(r.contiguous().unwrap(), t.contiguous().unwrap());
    assert!(x.permuted_axes(&[0, 0, 1]).is_err() && x.permuted_axes(&[0, 1]).is_err());
}

trait SameSamples {
    fn same_samples_as(&self, other: &Image) -> bool;
}

impl SameSamples for Image {
    fn same_samples_as(&self, other: &Image) -> bool {
        self.shares_samples(other) && self.shape() == other.shape() && self.strides() == other.strides()
    }
}

#[test]
fn kinds_compute_on_permuted_images_as_on_their_c_order_copies() {
    let x = base();
    let permuted = [x.permuted_axes(&[2, 1, 0]).unwrap(), x.permuted_axes(&[1, 0, 2]).unwrap()];
    let f = Value::Float;
    // A sample of every sort of kind, with per-kind expectations (their parameters).
    let cases: Vec<(&str, Vec<(&str, Value)>)> = vec![
        ("Abs", vec![]),
        ("Sqrt", vec![]),
        ("Arctanh", vec![]),
        ("Clip", vec![("min", f(0.2)), ("max", f(0.7))]),
        ("NormalizeMinMax", vec![]),
        ("NormalizeStandard", vec![]),
        ("NormalizeQuantile", vec![]),
        ("AsType", vec![("dtype", Value::str("float32"))]),
        ("Sum", vec![("axis", Value::None)]),
        ("Sum", vec![("axis", Value::Int(0))]),
        ("Mean", vec![("axis", Value::Int(1))]),
        ("Std", vec![("axis", Value::Int(-1))]),
        ("Prod", vec![("axis", Value::None)]),
        ("PeakToPeak", vec![("axis", Value::None)]),
        ("Quantile", vec![("q", f(0.3)), ("axis", Value::Int(0))]),
        ("AveragePooling", vec![("ksize", Value::Int(2))]),
        ("MaxPooling", vec![("ksize", Value::Int(2))]),
        ("MedianPooling", vec![("ksize", Value::Int(2))]),
        ("GaussianBlur", vec![("sigma", f(1.0))]),
        ("AverageBlur", vec![("ksize", Value::Int(3))]),
        ("MedianBlur", vec![("ksize", Value::Int(3))]),
        ("Resize", vec![("dsize", ints(&[3, 4]))]),
        ("Crop", vec![("crop", ints(&[2, 3, 1])), ("corner", ints(&[1, 2, 0]))]),
        ("Pad", vec![("px", ints(&[1, 2, 0, 1])), ("mode", Value::str("reflect"))]),
        ("CropTight", vec![("eps", f(0.5))]),
        ("Slice", vec![("slices", Value::List(vec![Value::Int(1)]))]),
        ("Add", vec![("value", f(2.5))]),
        ("Multiply", vec![("value", f(-3.0))]),
        ("Power", vec![("value", f(2.0))]),
        ("GreaterThan", vec![("value", f(0.5))]),
        ("Squeeze", vec![]),
        ("Unsqueeze", vec![("axis", Value::Int(1))]),
        ("ChannelFirst2d", vec![]),
        ("Gaussian", vec![("mu", f(0.0)), ("sigma", f(0.0))]),
        ("FlipLR", vec![]),
        ("FlipUD", vec![]),
        ("Affine", vec![("rotate", f(0.3)), ("translate", ints(&[1, 0]))]),
        ("BilateralBlur", vec![("d", Value::Int(3))]),
    ];
    let mut failed = Vec::new();
    for input in &permuted {
        assert!(input.is_permuted());
        let copy = c_order(input);
        for (name, props) in &cases {
            let f = kind(name, props);
            let on_copy = f.resolve_one(Some(&copy));
            let on_permuted = f.resolve_one(Some(input));
            let what = format!("{name}{props:?} of shape {:?}", input.shape());
            match (on_permuted, on_copy) {
                (Ok(Some(a)), Ok(Some(b))) => {
                    assert_close(&a, &b, &what);
                    assert_eq!(a.get_property("name").unwrap().as_str().unwrap(), "base", "{what}");
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{what}");
                    failed.push(format!("{name}: {a}"));
                }
                (a, b) => panic!("{what}: {a:?} (permuted) but {b:?} (C order)"),
            }
        }
    }
    // Only OpenCV's bilateral filter refuses these images (4 or 6 channels), alike.
    assert_eq!(failed.len(), 2, "{failed:#?}");
    assert!(failed.iter().all(|f| f.starts_with("BilateralBlur")), "{failed:#?}");
}

#[test]
fn elementwise_results_of_permuted_images_stay_permuted() {
    let t = base().permuted_axes(&[1, 2, 0]).unwrap();
    for name in ["Abs", "Exp", "Clip"] {
        let out = kind(name, &[]).resolve_one(Some(&t)).unwrap().unwrap();
        assert!(out.is_permuted() && !out.shares_samples(&t), "{name}");
        assert_eq!(out.strides(), t.strides(), "{name}");
        assert_close(&out, &kind(name, &[]).resolve_one(Some(&c_order(&t))).unwrap().unwrap(), name);
    }
}

#[test]
fn a_permuted_volume_is_imaged_as_its_copy() {
    // An ellipse's volume (H, W, 1) with its two image axes swapped is the volume of the ellipse with
    // its radii swapped: fluorescence optics image both alike.
    let optics = kind(
        "Fluorescence",
        &[("output_region", ints(&[0, 0, 32, 32])), ("NA", Value::Float(0.8)), ("magnification", Value::Int(1))],
    );
    let ellipse = |radius: [f64; 2]| {
        kind(
            "Ellipse",
            &[
                ("position", Value::List(vec![Value::Float(12.0), Value::Float(20.0)])),
                ("radius", Value::List(vec![Value::Float(radius[0]), Value::Float(radius[1])])),
                ("intensity", Value::Float(10.0)),
            ],
        )
    };
    let transposed = Feature::chain(&ellipse([6e-6, 3e-6]), &kind("Transpose", &[("axes", ints(&[1, 0, 2]))])).unwrap();
    let volume = transposed.resolve_one(None).unwrap().unwrap();
    assert!(volume.is_permuted());
    assert_eq!(
        volume.to_array().unwrap(),
        ellipse([3e-6, 6e-6]).resolve_one(None).unwrap().unwrap().to_array().unwrap()
    );
    let image = |sample: &Feature| Feature::microscope(&optics, sample).unwrap().resolve_one(None).unwrap().unwrap();
    let (a, b) = (image(&transposed), image(&ellipse([3e-6, 6e-6])));
    assert_close(&a, &b, "the image of a transposed ellipse");
    assert!(a.to_array().unwrap() != image(&ellipse([6e-6, 3e-6])).to_array().unwrap());
}
