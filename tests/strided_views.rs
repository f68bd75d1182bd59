//! Strided views (numpy's views of a reversed axis, a crop and the real or imaginary part of a complex
//! array): `FlipLR`, `FlipUD`, `Crop`, `CropToMultiplesOf`, `Real` and `Imag` share their input's
//! samples in O(1), with signed strides, and every sort of kind computes on them as on their C-order
//! copies: elementwise, math maps, statistics, pooling, blurs, resizing, arithmetic, reshapes, and
//! optics imaging a flipped volume. Positions in the property lists move as they did with copies.

mod common;

use std::sync::Arc;

use deeptrack::{Feature, Image, PropertyDict, Value};
use ndarray::{ArrayD, Axis, IxDyn, s};

/// [`common::kind_of`], storing its properties on its images.
fn kind(name: &str, props: &[(&str, Value)]) -> Feature {
    let f = common::kind_of(name, props);
    f.store_properties(true);
    f
}

fn ints(v: &[i64]) -> Value {
    Value::List(v.iter().map(|&x| Value::Int(x)).collect())
}

/// The (6, 7, 4) samples of [`base`]: distinct values in (0.05, 0.95), not symmetric in any axis.
fn samples() -> ArrayD<f64> {
    let data: Vec<f64> =
        (0..168).map(|i| 0.05 + 0.9 * ((i * 37 % 168) as f64 + 0.25 * (i % 7) as f64) / 170.0).collect();
    ArrayD::from_shape_vec(IxDyn(&[6, 7, 4]), data).unwrap()
}

/// An image of [`samples`] with a dict holding a position.
fn base() -> Image {
    let mut img = Image::new(samples());
    let mut d = PropertyDict::new();
    d.insert("name", Value::str("base"));
    d.insert("position", Value::List(vec![Value::Float(1.5), Value::Float(2.25)]));
    img.append(Arc::new(d));
    img
}

/// The same samples in C order, as a new image with the same properties.
fn c_order(img: &Image) -> Image {
    let mut out = Image::new(img.to_array().unwrap());
    out.merge_properties_from(img).unwrap();
    out
}

fn assert_close(a: &Image, b: &Image, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shape");
    let (x, y) = (a.to_array().unwrap(), b.to_array().unwrap());
    let scale = y.iter().fold(1e-300_f64, |m, v| m.max(v.abs()));
    for (i, (p, q)) in x.iter().zip(y.iter()).enumerate() {
        assert!(
            (p - q).abs() <= 1e-12 * scale || (p.is_nan() && q.is_nan()),
            "{what}: sample {i}: {p} (view) != {q} (C order)"
        );
    }
}

fn one(f: &Feature, input: &Image) -> Image {
    f.resolve_one(Some(input)).unwrap().unwrap()
}

fn position(img: &Image) -> Vec<f64> {
    img.get_property("position").unwrap().to_f64_vec().unwrap()
}

#[test]
fn flips_and_crops_are_views_with_numpys_strides_and_move_positions_as_before() {
    let x = base();
    let lr = one(&kind("FlipLR", &[("p", Value::Float(1.0))]), &x);
    assert!(lr.is_permuted() && lr.shares_samples(&x));
    assert_eq!((lr.shape(), lr.strides().as_slice()), (&[6, 7, 4][..], &[28, -4, 1][..]));
    let mut expected = samples();
    expected.invert_axis(Axis(1));
    assert_eq!(lr.data(), expected.view());
    assert_eq!(lr.contiguous().unwrap(), expected.iter().copied().collect::<Vec<_>>().as_slice());
    assert_eq!(position(&lr), [1.5, 7.0 - 2.25 - 1.0]);
    assert_eq!(position(&x), [1.5, 2.25], "the input's dicts are not moved");

    let ud = one(&kind("FlipUD", &[("p", Value::Float(1.0))]), &lr);
    assert!(ud.shares_samples(&x));
    assert_eq!(ud.strides(), [-28, -4, 1]);
    expected.invert_axis(Axis(0));
    assert_eq!(ud.data(), expected.view());
    assert_eq!(position(&ud), [6.0 - 1.5 - 1.0, 7.0 - 2.25 - 1.0]);

    let crop = kind("Crop", &[("crop", ints(&[3, 4, 4])), ("corner", ints(&[2, 1, 0]))]);
    let c = one(&crop, &ud);
    assert!(c.is_permuted() && c.shares_samples(&x));
    assert_eq!((c.shape(), c.strides().as_slice()), (&[3, 4, 4][..], &[-28, -4, 1][..]));
    assert_eq!(c.data(), expected.slice(s![2..5, 1..5, ..]).into_dyn());
    assert_eq!(position(&c), [6.0 - 1.5 - 1.0 - 2.0, 7.0 - 2.25 - 1.0 - 1.0]);

    let m = one(&kind("CropToMultiplesOf", &[("multiple", ints(&[4, 3, -1])), ("corner", ints(&[1, 0]))]), &x);
    assert!(m.shares_samples(&x));
    assert_eq!((m.shape(), m.strides().as_slice()), (&[4, 6, 4][..], &[28, 4, 1][..]));
    assert_eq!(m.data(), samples().slice(s![1..5, 0..6, ..]).into_dyn());
    assert_eq!(position(&m), [0.5, 2.25]);

    // A flip that does not happen is the input itself; FlipUD reverses a 1-d image (numpy's `x[::-1]`,
    // as in DeepTrack2 2.0.1), FlipLR needs 2 axes.
    let none = one(&kind("FlipLR", &[("p", Value::Float(0.0))]), &x);
    assert!(!none.is_permuted() && none.shares_samples(&x));
    let line = Image::from_slice(&[3], &[0.0, 1.0, 2.0]).unwrap();
    let up_down = kind("FlipUD", &[("p", Value::Float(1.0))]).resolve_one(Some(&line)).unwrap().unwrap();
    assert_eq!(up_down.as_slice().to_vec(), vec![2.0, 1.0, 0.0]);
    let err = kind("FlipLR", &[("p", Value::Float(1.0))]).resolve_one(Some(&Image::zeros(&[3]))).unwrap_err();
    assert!(err.to_string().contains("expected an image with at least 2 axes, got shape [3]"), "{err}");
}

#[test]
fn real_and_imag_of_a_complex_image_are_views_of_every_other_sample() {
    let mut z = Image::new(samples()).reshaped(&[6, 14, 2]).unwrap();
    z.set_complex(true).unwrap();
    let flat = samples().into_shape_with_order(IxDyn(&[6, 14, 2])).unwrap();
    for (name, part) in [("Real", 0), ("Imag", 1)] {
        let out = one(&kind(name, &[]), &z);
        assert!(out.is_permuted() && out.shares_samples(&z) && !out.is_complex(), "{name}");
        assert_eq!((out.shape(), out.strides().as_slice()), (&[6, 14][..], &[28, 2][..]), "{name}");
        assert_eq!(out.data(), flat.index_axis(Axis(2), part), "{name}");
        // Abs, Conjugate and the rest still read complex images in C order.
        let abs = one(&kind("Abs", &[]), &z);
        assert!(!abs.is_permuted() && abs.shape() == [6, 14]);
    }
    // A flipped complex image's real part: a view of a view.
    let flipped = z.reversed(1).unwrap();
    let mut flipped_complex = flipped.clone();
    flipped_complex.set_complex(true).unwrap();
    let re = one(&kind("Real", &[]), &flipped_complex);
    assert!(re.shares_samples(&z));
    let mut expected = flat.index_axis(Axis(2), 0).to_owned();
    expected.invert_axis(Axis(1));
    assert_eq!(re.data(), expected.view());
}

#[test]
fn kinds_compute_on_views_as_on_their_c_order_copies() {
    let x = base();
    let mut z = x.reshaped(&[6, 14, 2]).unwrap();
    z.set_complex(true).unwrap();
    let views = [
        x.reversed(1).unwrap(),
        x.reversed(0).unwrap().reversed(2).unwrap(),
        x.sub_block(&[1, 2, 0], &[4, 5, 4]).unwrap(),
        x.reversed(1).unwrap().sub_block(&[0, 1, 1], &[5, 4, 3]).unwrap(),
        z.complex_part(false).unwrap(),
        z.complex_part(true).unwrap().reshaped(&[6, 14, 1]).unwrap(),
        x.permuted_axes(&[1, 0, 2]).unwrap().reversed(0).unwrap(),
    ];
    let f = Value::Float;
    // A sample of every sort of kind, with per-kind expectations (their parameters).
    let cases: Vec<(&str, Vec<(&str, Value)>)> = vec![
        ("Abs", vec![]),
        ("Sqrt", vec![]),
        ("Clip", vec![("min", f(0.2)), ("max", f(0.7))]),
        ("NormalizeMinMax", vec![]),
        ("NormalizeStandard", vec![]),
        ("AsType", vec![("dtype", Value::str("float32"))]),
        ("Sum", vec![("axis", Value::None)]),
        ("Sum", vec![("axis", Value::Int(0))]),
        ("Mean", vec![("axis", Value::Int(1))]),
        ("Std", vec![("axis", Value::Int(-1))]),
        ("Quantile", vec![("q", f(0.3)), ("axis", Value::Int(0))]),
        ("AveragePooling", vec![("ksize", Value::Int(2))]),
        ("MaxPooling", vec![("ksize", Value::Int(2))]),
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
        ("Transpose", vec![]),
        ("FlipLR", vec![("p", f(1.0))]),
        ("FlipUD", vec![("p", f(1.0))]),
        ("FlipDiagonal", vec![("p", f(1.0))]),
        ("Affine", vec![("rotate", f(0.3)), ("translate", ints(&[1, 0]))]),
    ];
    for (v, input) in views.iter().enumerate() {
        assert!(input.is_permuted() && input.shares_samples(&x), "view {v}");
        let copy = c_order(input);
        for (name, props) in &cases {
            let f = kind(name, props);
            let what = format!("{name}{props:?} of view {v} of shape {:?}", input.shape());
            match (f.resolve_one(Some(input)), f.resolve_one(Some(&copy))) {
                (Ok(Some(a)), Ok(Some(b))) => {
                    assert_close(&a, &b, &what);
                    assert_eq!(a.get_property("name").unwrap().as_str().unwrap(), "base", "{what}");
                    assert_eq!(position(&a), position(&b), "{what}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}"),
                (a, b) => panic!("{what}: {a:?} (view) but {b:?} (C order)"),
            }
        }
    }
}

#[test]
fn elementwise_results_keep_a_flip_and_compact_a_crop() {
    let x = base();
    let flipped = x.reversed(1).unwrap();
    let out = one(&kind("Exp", &[]), &flipped);
    assert!(out.is_permuted() && !out.shares_samples(&x));
    assert_eq!(out.strides(), flipped.strides());
    assert_close(&out, &one(&kind("Exp", &[]), &c_order(&flipped)), "Exp of a flip");
    let cropped = x.sub_block(&[1, 1, 1], &[3, 3, 3]).unwrap();
    let out = one(&kind("Exp", &[]), &cropped);
    assert!(!out.is_permuted() && out.shape() == [3, 3, 3]);
    assert_close(&out, &one(&kind("Exp", &[]), &c_order(&cropped)), "Exp of a crop");
}

#[test]
fn a_flipped_volume_is_imaged_as_its_copy() {
    // An ellipse's volume (H, W, 1) flipped up-down is the volume of the ellipse mirrored: the
    // fluorescence image of the flipped volume is that of its copy.
    let optics = kind(
        "Fluorescence",
        &[("output_region", ints(&[0, 0, 32, 32])), ("NA", Value::Float(0.8)), ("magnification", Value::Int(1))],
    );
    let ellipse = kind(
        "Ellipse",
        &[
            ("position", Value::List(vec![Value::Float(12.0), Value::Float(20.0)])),
            ("radius", Value::List(vec![Value::Float(6e-6), Value::Float(3e-6)])),
            ("intensity", Value::Float(10.0)),
            ("rotation", Value::Float(0.4)),
        ],
    );
    let flipped = Feature::chain(&ellipse, &kind("FlipUD", &[("p", Value::Float(1.0))])).unwrap();
    let volume = flipped.resolve_one(None).unwrap().unwrap();
    assert!(volume.is_permuted());
    let copy = Feature::chain(&flipped, &kind("Pad", &[("px", ints(&[0, 0, 0, 0]))])).unwrap();
    let copied = copy.resolve_one(None).unwrap().unwrap();
    assert!(!copied.is_permuted());
    assert_eq!(volume.to_array().unwrap(), copied.to_array().unwrap());
    let image = |sample: &Feature| Feature::microscope(&optics, sample).unwrap().resolve_one(None).unwrap().unwrap();
    let (a, b) = (image(&flipped), image(&copy));
    assert_close(&a, &b, "the image of a flipped ellipse");
    assert!(a.to_array().unwrap() != image(&ellipse).to_array().unwrap());
}
