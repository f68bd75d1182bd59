//! Images holding samples of a narrow type: `AsType`'s casts and the comparisons' bools are written
//! once in numpy's type (values and dtypes as numpy gives them), shared by reshapes and permutations,
//! and read as float64 by every other kind (converted once, lazily, and kept): blurs, arithmetic,
//! reductions and optics compute on them as on the float64 image of the same values. Property lists
//! are those of float64 results.

mod common;

use std::sync::Arc;

use deeptrack::dtype::Dtype;
use deeptrack::{Feature, Image, PropertyDict, Value, features};

/// [`common::kind_of`], storing its properties on its images.
fn kind(name: &str, props: &[(&str, Value)]) -> Feature {
    let f = common::kind_of(name, props);
    f.store_properties(true);
    f
}

fn as_type(dtype: &str) -> Feature {
    kind("AsType", &[("dtype", Value::str(dtype))])
}

fn run(f: &Feature, input: &Image) -> Image {
    f.resolve_one(Some(input)).unwrap().unwrap()
}

/// A (3, 4) image of values that every cast changes differently, with a dict.
fn base() -> Image {
    let x = [1.7, -1.7, 200.0, -200.0, 300.5, 70000.0, -70000.0, 2.5, 0.1, -0.0, 0.5, 0.75];
    let mut img = Image::from_slice(&[3, 4], &x).unwrap();
    let mut d = PropertyDict::new();
    d.insert("name", Value::str("base"));
    img.append(Arc::new(d));
    img
}

/// The float64 image of `img`'s values (a copy, with no narrow samples).
fn float64_copy(img: &Image) -> Image {
    Image::from_slice(img.shape(), img.contiguous().unwrap()).unwrap()
}

/// The names of the dicts of `img`, in order.
fn names(img: &Image) -> Vec<String> {
    img.properties().iter().map(|d| d.get("name").map(|v| v.to_string()).unwrap_or_default()).collect()
}

#[test]
fn every_cast_holds_numpys_values_in_its_type() {
    // numpy 2.4 on x86-64: base().astype(t), row-major.
    let cases: [(&str, Dtype, [f64; 12]); 11] = [
        ("int8", Dtype::Int8, [1., -1., -56., 56., 44., 112., -112., 2., 0., 0., 0., 0.]),
        ("uint8", Dtype::UInt8, [1., 255., 200., 56., 44., 112., 144., 2., 0., 0., 0., 0.]),
        ("int16", Dtype::Int16, [1., -1., 200., -200., 300., 4464., -4464., 2., 0., 0., 0., 0.]),
        ("uint16", Dtype::UInt16, [1., 65535., 200., 65336., 300., 4464., 61072., 2., 0., 0., 0., 0.]),
        ("int32", Dtype::Int32, [1., -1., 200., -200., 300., 70000., -70000., 2., 0., 0., 0., 0.]),
        ("uint32", Dtype::UInt32, [1., 4294967295., 200., 4294967096., 300., 70000., 4294897296., 2., 0., 0., 0., 0.]),
        ("int64", Dtype::Int64, [1., -1., 200., -200., 300., 70000., -70000., 2., 0., 0., 0., 0.]),
        (
            "uint64",
            Dtype::UInt64,
            [
                1.,
                18446744073709551615.,
                200.,
                18446744073709551416.,
                300.,
                70000.,
                18446744073709481616.,
                2.,
                0.,
                0.,
                0.,
                0.,
            ],
        ),
        (
            "float32",
            Dtype::Float32,
            [1.7f32 as f64, -1.7f32 as f64, 200., -200., 300.5, 70000., -70000., 2.5, 0.1f32 as f64, -0.0, 0.5, 0.75],
        ),
        (
            "float16",
            Dtype::Float16,
            [
                1.7001953125,
                -1.7001953125,
                200.,
                -200.,
                300.5,
                f64::INFINITY,
                f64::NEG_INFINITY,
                2.5,
                0.0999755859375,
                -0.0,
                0.5,
                0.75,
            ],
        ),
        ("bool", Dtype::Bool, [1., 1., 1., 1., 1., 1., 1., 1., 1., 0., 1., 1.]),
    ];
    let input = base();
    for (name, dtype, expected) in cases {
        let out = run(&as_type(name), &input);
        assert_eq!(out.dtype(), dtype, "{name}");
        assert_eq!(out.shape(), [3, 4], "{name}");
        let (held, start) = out.narrow_samples().unwrap_or_else(|| panic!("{name}: narrow samples"));
        assert_eq!((held.dtype(), held.len(), start), (dtype, 12, 0), "{name}");
        assert!(held.float64_if_converted().is_none(), "{name}: converted only when read");
        assert_eq!(out.contiguous().unwrap(), expected, "{name}");
        assert_eq!(out.to_array().unwrap().as_slice().unwrap(), expected, "{name}");
        // The input's dict, then AsType's: a float64 result's list.
        assert_eq!(names(&out), ["'base'", "'AsType'"], "{name}");
    }
    // The held samples are numpy's representation: int8 bytes, bools 0 or 1.
    let out = run(&as_type("int8"), &input);
    let (held, _) = out.narrow_samples().unwrap();
    // SAFETY: 12 i8s at the address, alive with `out`.
    let bytes = unsafe { std::slice::from_raw_parts(held.as_ptr().cast::<i8>(), 12) };
    assert_eq!(bytes, [1, -1, -56, 56, 44, 112, -112, 2, 0, 0, 0, 0]);
    // float64 is no narrow type: the input itself, tagged.
    let same = run(&as_type("float64"), &input);
    assert!(same.narrow_samples().is_none() && same.shares_samples(&input) && same.dtype() == Dtype::Float64);
}

#[test]
fn comparisons_give_numpys_bools() {
    let x = [0.2, 0.5, 0.7, f64::NAN, -1.0, 0.5];
    let input = Image::from_slice(&[2, 3], &x).unwrap();
    // The comparisons' per-kind expectations: numpy's `op(x, 0.5)`.
    let cases: [(&str, [f64; 6]); 7] = [
        ("GreaterThan", [0., 0., 1., 0., 0., 0.]),
        ("LessThan", [1., 0., 0., 0., 1., 0.]),
        ("GreaterThanOrEquals", [0., 1., 1., 0., 0., 1.]),
        ("GreaterThanOrEqual", [0., 1., 1., 0., 0., 1.]),
        ("LessThanOrEquals", [1., 1., 0., 0., 1., 1.]),
        ("LessThanOrEqual", [1., 1., 0., 0., 1., 1.]),
        ("Equals", [0., 1., 0., 0., 0., 1.]),
    ];
    for (name, expected) in cases {
        let out = run(&kind(name, &[("value", Value::Float(0.5))]), &input);
        assert_eq!(out.dtype(), Dtype::Bool, "{name}");
        let (held, _) = out.narrow_samples().unwrap_or_else(|| panic!("{name}: bools"));
        // SAFETY: 6 bytes at the address, alive with `out`.
        let bytes = unsafe { std::slice::from_raw_parts(held.as_ptr(), 6) };
        assert_eq!(bytes.iter().map(|&b| f64::from(b)).collect::<Vec<_>>(), expected, "{name}");
        assert_eq!(out.contiguous().unwrap(), expected, "{name}");
        // A broadcast array value: bools too (a row of three against each row).
        let row = Value::Array(Arc::new(ndarray::arr1(&[0.5, 0.5, 0.5]).into_dyn()));
        let out = run(&kind(name, &[("value", row)]), &input);
        assert_eq!((out.dtype(), out.shape()), (Dtype::Bool, &[2usize, 3][..]), "{name} of an array");
        assert_eq!(out.contiguous().unwrap(), expected, "{name} of an array");
    }
    assert_eq!(features::builtin("Equal").unwrap().kind().name(), "Equals");
}

#[test]
fn reshapes_and_permutations_share_narrow_samples() {
    let narrow = run(&as_type("uint16"), &base());
    let (held, _) = narrow.narrow_samples().unwrap();
    // The reshapes' and permutations' per-kind expectations: shared samples.
    for (name, props) in [
        ("Unsqueeze", vec![("axis", Value::Int(0))]),
        ("Transpose", vec![]),
        ("MoveAxis", vec![("source", Value::Int(0)), ("destination", Value::Int(1))]),
    ] {
        let out = run(&kind(name, &props), &narrow);
        let (shared, _) = out.narrow_samples().unwrap_or_else(|| panic!("{name}: still uint16"));
        assert_eq!(shared.as_ptr(), held.as_ptr(), "{name}: shared, not copied");
        assert_eq!(out.dtype(), Dtype::UInt16, "{name}");
        assert_eq!(
            out.to_array().unwrap(),
            run(&kind(name, &props), &float64_copy(&narrow)).to_array().unwrap(),
            "{name}"
        );
    }
    assert!(held.float64_if_converted().is_some(), "read as float64 by to_array");
    let back = run(&kind("Squeeze", &[]), &run(&kind("Unsqueeze", &[("axis", Value::Int(0))]), &narrow));
    assert_eq!(back.narrow_samples().unwrap().0.as_ptr(), held.as_ptr());
}

#[test]
fn kinds_read_narrow_images_as_their_float64_values() {
    let input = base();
    let scaled = run(&kind("Multiply", &[("value", Value::Float(0.01))]), &input);
    // The chains' per-kind expectations: the kind on the float64 image of the cast values.
    let chains: Vec<(&str, Feature, Image)> = vec![
        ("uint8", kind("GaussianBlur", &[("sigma", Value::Float(1.0))]), input.clone()),
        ("int16", kind("Add", &[("value", Value::Float(0.5))]), input.clone()),
        ("float32", kind("Power", &[("value", Value::Float(2.0))]), scaled.clone()),
        ("bool", kind("Multiply", &[("value", Value::Float(3.0))]), input.clone()),
        ("int32", kind("Sum", &[("axis", Value::Int(0))]), input.clone()),
        ("int8", kind("Mean", &[("axis", Value::None)]), input.clone()),
        ("float16", kind("Std", &[("axis", Value::Int(1))]), scaled.clone()),
        ("uint16", kind("Abs", &[]), input.clone()),
        ("int64", kind("NormalizeMinMax", &[]), input.clone()),
        ("uint32", kind("AveragePooling", &[("ksize", Value::Int(2))]), input.clone()),
        ("int16", kind("AsType", &[("dtype", Value::str("int8"))]), input.clone()),
    ];
    for (dtype, second, x) in chains {
        let narrow = run(&as_type(dtype), &x);
        let reference = run(&second, &float64_copy(&narrow));
        let out = run(&second, &narrow);
        let what = format!("AsType({dtype}) >> {}", second.kind().name());
        assert_eq!(out.shape(), reference.shape(), "{what}");
        assert_eq!(out.dtype(), reference.dtype(), "{what}");
        let (a, b) = (out.contiguous().unwrap(), reference.contiguous().unwrap());
        assert!(a.iter().zip(b).all(|(p, q)| p == q || (p.is_nan() && q.is_nan())), "{what}: {a:?} vs {b:?}");
        // The chain's dicts: the input's, AsType's, then the kind's.
        assert_eq!(names(&out)[..narrow.properties().len()], names(&narrow)[..], "{what}");
        assert_eq!(out.properties().len(), narrow.properties().len() + 1, "{what}");
    }
    // A comparison, then arithmetic: bools read as 0 and 1.
    let mask = run(&kind("GreaterThan", &[("value", Value::Float(1.0))]), &input);
    let out = run(&kind("Add", &[("value", Value::Float(10.0))]), &mask);
    assert_eq!(out.dtype(), Dtype::Float64);
    assert_eq!(out.contiguous().unwrap(), [11., 10., 11., 10., 11., 11., 10., 11., 10., 10., 10., 10.]);
}

#[test]
fn optics_image_a_narrow_volume_as_its_float64_values() {
    let optics = kind(
        "Fluorescence",
        &[
            ("output_region", Value::List([0, 0, 32, 32].map(Value::Int).to_vec())),
            ("NA", Value::Float(0.8)),
            ("magnification", Value::Int(1)),
        ],
    );
    let ellipse = kind(
        "Ellipse",
        &[
            ("position", Value::List(vec![Value::Float(12.0), Value::Float(20.0)])),
            ("radius", Value::List(vec![Value::Float(4e-6), Value::Float(3e-6)])),
            ("intensity", Value::Float(10.0)),
        ],
    );
    let narrow = Feature::chain(&ellipse, &as_type("float16")).unwrap();
    let volume = narrow.resolve_one(None).unwrap().unwrap();
    assert_eq!(volume.dtype(), Dtype::Float16);
    assert!(volume.narrow_samples().is_some());
    // The same values through a float64 kind (`Add(0)` writes them as float64).
    let float64 = Feature::chain(&narrow, &kind("Add", &[("value", Value::Float(0.0))])).unwrap();
    assert_eq!(float64.resolve_one(None).unwrap().unwrap().dtype(), Dtype::Float64);
    let image = |sample: &Feature| Feature::microscope(&optics, sample).unwrap().resolve_one(None).unwrap().unwrap();
    let (a, b) = (image(&narrow), image(&float64));
    assert_eq!(a.dtype(), Dtype::Float64);
    assert_eq!(a.contiguous().unwrap(), b.contiguous().unwrap());
    assert!(a.contiguous().unwrap().iter().any(|&v| v > 0.0));
}

#[test]
fn narrow_images_convert_once_and_to_values() {
    let narrow = run(&as_type("int32"), &base());
    let (held, _) = narrow.narrow_samples().unwrap();
    narrow.float64_ready().unwrap();
    let first = held.float64_if_converted().unwrap().as_ptr();
    narrow.float64_ready().unwrap();
    assert_eq!(narrow.contiguous().unwrap().as_ptr(), first, "kept, not converted again");
    assert_eq!(narrow.memory().unwrap().as_ptr(), first);
    // A feature's narrow output read as a property value: its float64 values.
    let v = narrow.to_value().unwrap();
    assert_eq!(v.to_array().unwrap().as_slice().unwrap(), narrow.contiguous().unwrap());
    // A narrow image built directly.
    let samples = deeptrack::typed_samples::TypedSamples::cast(&[1.5, -1.5], Dtype::UInt8).unwrap().unwrap();
    assert!(Image::typed(&[3], deeptrack::typed_samples::TypedSamples::bools(&[1.0], |x| x > 0.0).unwrap()).is_err());
    let img = Image::typed(&[2, 1], samples).unwrap();
    assert_eq!((img.dtype(), img.contiguous().unwrap()), (Dtype::UInt8, &[1.0, 255.0][..]));
}

/// `x[:, ::-1]` of a (rows, cols) C-order slice.
fn flipped_lr(x: &[f64], cols: usize) -> Vec<f64> {
    x.chunks(cols).flat_map(|row| row.iter().rev().copied()).collect()
}

#[test]
fn flips_and_crops_of_narrow_images_share_the_narrow_samples() {
    let lr = kind("FlipLR", &[("p", Value::Float(1.0))]);
    let ud = kind("FlipUD", &[("p", Value::Float(1.0))]);
    let crop = kind(
        "Crop",
        &[
            ("crop", Value::List(vec![Value::Int(2), Value::Int(2)])),
            ("corner", Value::List(vec![Value::Int(1), Value::Int(1)])),
        ],
    );
    let cast = as_type("uint8");
    let narrow = run(&cast, &base());
    // numpy: base().astype(np.uint8).
    let u8s = [1., 255., 200., 56., 44., 112., 144., 2., 0., 0., 0., 0.];
    let (held, start) = narrow.narrow_samples().unwrap();
    assert_eq!(start, 0);
    let held_ptr = held.as_ptr();

    // FlipLR: np.fliplr(u): the same uint8 samples from u[0, 3], strides (4, -1), not converted.
    let flipped = run(&lr, &narrow);
    assert_eq!(flipped.dtype(), Dtype::UInt8);
    assert!(flipped.shares_samples(&narrow) && flipped.is_permuted());
    let (samples, origin) = flipped.narrow_samples().expect("the flip keeps the narrow samples");
    assert_eq!((samples.as_ptr(), origin, flipped.strides()), (held_ptr, 3, vec![4, -1]));
    assert!(samples.float64_if_converted().is_none(), "a view converts nothing");
    assert_eq!(names(&flipped), ["'base'", "'AsType'", "'FlipLR'"]);

    // Crop of the flip: np.fliplr(u)[1:3, 1:3], the flip's strides from u[1, 2].
    let cropped = run(&crop, &flipped);
    assert_eq!(cropped.dtype(), Dtype::UInt8);
    let (samples, origin) = cropped.narrow_samples().expect("the crop keeps the narrow samples");
    assert_eq!((samples.as_ptr(), origin, cropped.strides()), (held_ptr, 6, vec![4, -1]));
    assert!(samples.float64_if_converted().is_none());
    // FlipUD of the crop: strides (-4, -1) from u[2, 2].
    let up = run(&ud, &cropped);
    assert_eq!((up.narrow_samples().unwrap().1, up.strides(), up.dtype()), (10, vec![-4, -1], Dtype::UInt8));

    // Read as float64: the values of numpy's views, converted once (kept by the shared samples).
    assert_eq!(flipped.contiguous().unwrap(), &flipped_lr(&u8s, 4)[..]);
    let converted = held.float64_if_converted().expect("converted when read").as_ptr();
    assert_eq!(cropped.contiguous().unwrap(), &[u8s[6], u8s[5], u8s[10], u8s[9]][..]);
    assert_eq!(up.contiguous().unwrap(), &[u8s[10], u8s[9], u8s[6], u8s[5]][..]);
    assert_eq!(held.float64_if_converted().unwrap().as_ptr(), converted, "converted once");
    assert_eq!(flipped.memory().unwrap(), &u8s[..], "a flip is dense: its samples in memory order");

    // Chained into a float kind: AsType >> FlipLR >> Crop >> Multiply(2) is float64 of the values.
    let twice = kind("Multiply", &[("value", Value::Float(2.0))]);
    let chain = Feature::chain(&Feature::chain(&Feature::chain(&cast, &lr).unwrap(), &crop).unwrap(), &twice).unwrap();
    let out = run(&chain, &base());
    assert_eq!(out.dtype(), Dtype::Float64);
    assert!(out.narrow_samples().is_none());
    assert_eq!(out.contiguous().unwrap(), &[2. * u8s[6], 2. * u8s[5], 2. * u8s[10], 2. * u8s[9]][..]);
    let chained_view = run(&Feature::chain(&Feature::chain(&cast, &lr).unwrap(), &crop).unwrap(), &base());
    assert_eq!(chained_view.dtype(), Dtype::UInt8);
    assert!(chained_view.narrow_samples().is_some());

    // The comparisons' bools: FlipUD of GreaterThan(50) shares them (np.flipud(x > 50)).
    let mask = run(&kind("GreaterThan", &[("value", Value::Float(50.0))]), &base());
    let mask_up = run(&ud, &mask);
    assert_eq!(mask_up.dtype(), Dtype::Bool);
    assert!(mask_up.shares_samples(&mask));
    assert_eq!((mask_up.narrow_samples().unwrap().1, mask_up.strides()), (8, vec![-4, 1]));
    let x = base().contiguous().unwrap().to_vec();
    let expected: Vec<f64> =
        [2, 1, 0].iter().flat_map(|&r| x[r * 4..r * 4 + 4].iter().map(|&v| f64::from(u8::from(v > 50.0)))).collect();
    assert_eq!(mask_up.contiguous().unwrap(), &expected[..]);
    // And CropToMultiplesOf(3) of the bools: a view too (axis 1 cropped to 3 at corner 1).
    let multiples = kind(
        "CropToMultiplesOf",
        &[("multiple", Value::Int(3)), ("corner", Value::List(vec![Value::Int(0), Value::Int(1)]))],
    );
    let m = run(&multiples, &mask);
    assert_eq!((m.shape(), m.dtype(), m.narrow_samples().unwrap().1), (&[3, 3][..], Dtype::Bool, 1));
    assert!(m.shares_samples(&mask));
}
