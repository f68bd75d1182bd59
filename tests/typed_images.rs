//! Images made from a caller's samples of a narrow type ([`Image::from_ne_bytes`], the engine of
//! `deeptrack_image_new_typed` and of the Python package's narrow inputs): they hold the samples in
//! their type, the kinds that only move samples (flips, `Transpose`, `Slice`, `Pad`, `Resize`) keep
//! it with the same values as on the float64 image, and the kinds that compute read them as float64
//! and give float64 images.

mod common;

use common::kind_of;
use deeptrack::dtype::Dtype;
use deeptrack::error::ErrorKind;
use deeptrack::{Feature, Image, Value};

fn run(f: &Feature, input: &Image) -> Image {
    f.resolve_one(Some(input)).unwrap().unwrap()
}

/// The uint16 image (2, 3) of `VALUES`.
const VALUES: [u16; 6] = [0, 1, 2, 100, 65535, 7];

fn uint16() -> Image {
    let bytes: Vec<u8> = VALUES.iter().flat_map(|v| v.to_ne_bytes()).collect();
    Image::from_ne_bytes(&[2, 3], Dtype::UInt16, &bytes).unwrap()
}

fn doubles(img: &Image) -> Vec<f64> {
    img.to_array().unwrap().iter().copied().collect()
}

#[test]
fn samples_are_held_in_their_type() {
    let img = uint16();
    assert_eq!((img.dtype(), img.shape()), (Dtype::UInt16, &[2, 3][..]));
    let (samples, start) = img.narrow_samples().expect("held as uint16");
    assert_eq!((samples.dtype(), samples.len(), start), (Dtype::UInt16, 6, 0));
    assert_eq!(doubles(&img), [0.0, 1.0, 2.0, 100.0, 65535.0, 7.0]);
    // float64 bytes make an ordinary float64 image.
    let bytes: Vec<u8> = [1.5f64, -2.0].iter().flat_map(|v| v.to_ne_bytes()).collect();
    let f = Image::from_ne_bytes(&[2], Dtype::Float64, &bytes).unwrap();
    assert_eq!((f.dtype(), f.narrow_samples().is_none(), doubles(&f)), (Dtype::Float64, true, vec![1.5, -2.0]));
    // Bools: any byte but 0 is true.
    let b = Image::from_ne_bytes(&[3], Dtype::Bool, &[0, 7, 1]).unwrap();
    assert_eq!((b.dtype(), doubles(&b)), (Dtype::Bool, vec![0.0, 1.0, 1.0]));
}

#[test]
fn a_byte_count_that_is_not_the_shape_s_is_refused() {
    let e = Image::from_ne_bytes(&[2, 3], Dtype::Int32, &[0; 23]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("shape [2, 3] has 6 elements"), "{e}");
    assert!(Image::from_ne_bytes(&[0, 3], Dtype::Int8, &[]).unwrap().narrow_samples().is_some());
}

#[test]
fn kinds_that_move_samples_keep_the_type_and_the_others_compute_in_float64() {
    let img = uint16();
    let float = Image::from_slice(&[2, 3], &VALUES.map(f64::from)).unwrap();
    let ints = |v: &[i64]| Value::List(v.iter().map(|&i| Value::Int(i)).collect());
    let moving = [
        ("FlipLR", kind_of("FlipLR", &[("p", Value::Float(1.0))])),
        ("Transpose", kind_of("Transpose", &[])),
        ("Pad", kind_of("Pad", &[("px", ints(&[1, 0, 0, 2]))])),
        ("Slice", kind_of("Slice", &[("slices", Value::List(vec![Value::from("::-1")]))])),
        ("Resize", kind_of("Resize", &[("dsize", ints(&[6, 4]))])),
    ];
    for (name, f) in &moving {
        let (typed, wide) = (run(f, &img), run(f, &float));
        assert_eq!(typed.dtype(), Dtype::UInt16, "{name}");
        assert_eq!(typed.shape(), wide.shape(), "{name}");
        if *name != "Resize" {
            // Resize of uint16 rounds as OpenCV does in that type (tests/resize_narrow.rs).
            assert_eq!(doubles(&typed), doubles(&wide), "{name}");
        }
    }
    let add = kind_of("Add", &[("value", Value::Float(0.5))]);
    let sum = run(&add, &img);
    assert_eq!(sum.dtype(), Dtype::Float64);
    assert_eq!(doubles(&sum), [0.5, 1.5, 2.5, 100.5, 65535.5, 7.5]);
}

/// The int64 samples of `img`, held in C order (a copy's, as `Pad` and a copied `Slice` make).
fn int64s(img: &Image) -> Vec<i64> {
    let (samples, start) = img.narrow_samples().expect("held in its type");
    assert_eq!((samples.dtype(), samples.item_size()), (Dtype::Int64, 8));
    // SAFETY: the samples are `len` int64 values at `as_ptr` (numpy's layout of the type), valid while
    // `img` is borrowed.
    let all = unsafe { std::slice::from_raw_parts(samples.as_ptr().cast::<i64>(), samples.len()) };
    all[start..start + img.len()].to_vec()
}

/// The uint64 samples of `img`, held in C order.
fn uint64s(img: &Image) -> Vec<u64> {
    let (samples, start) = img.narrow_samples().expect("held in its type");
    assert_eq!((samples.dtype(), samples.item_size()), (Dtype::UInt64, 8));
    // SAFETY: as in `int64s`, for uint64 values.
    let all = unsafe { std::slice::from_raw_parts(samples.as_ptr().cast::<u64>(), samples.len()) };
    all[start..start + img.len()].to_vec()
}

#[test]
fn pad_and_copied_slices_of_64_bit_integers_are_exact() {
    // numpy 2.4 (target/dt2-venv): np.pad and indexing of int64 / uint64 arrays keep every bit.
    let big = (1i64 << 62) + 1;
    let v = [big, -big, 3, big + 2, i64::MIN, i64::MAX];
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
    let img = Image::from_ne_bytes(&[2, 3], Dtype::Int64, &bytes).unwrap();
    let pad = |mode: &str| {
        let px = Value::List([1, 0, 0, 1].iter().map(|&i| Value::Int(i)).collect());
        run(&kind_of("Pad", &[("px", px), ("mode", Value::str(mode))]), &img)
    };
    // np.pad(x, ((1, 0), (0, 1)), mode=…)
    let out = pad("constant");
    assert_eq!((out.dtype(), out.shape()), (Dtype::Int64, &[3, 4][..]));
    assert_eq!(int64s(&out), [0, 0, 0, 0, big, -big, 3, 0, big + 2, i64::MIN, i64::MAX, 0]);
    assert_eq!(int64s(&pad("edge")), [big, -big, 3, 3, big, -big, 3, 3, big + 2, i64::MIN, i64::MAX, i64::MAX]);
    assert_eq!(int64s(&pad("maximum"))[..4], [big + 2, -big, i64::MAX, i64::MAX]);
    assert_eq!(int64s(&pad("minimum"))[..4], [big, i64::MIN, 3, i64::MIN]);
    // A copied slice (x[:, ::2]) and an index array (x[[1, 0]]).
    let sliced = |index: Value| run(&kind_of("Slice", &[("slices", index)]), &img);
    let every_other = Value::Tuple(vec![Value::str(":"), Value::str("::2")]);
    assert_eq!(int64s(&sliced(every_other)), [big, 3, big + 2, i64::MAX]);
    let rows = Value::List(vec![Value::List(vec![Value::Int(1), Value::Int(0)])]);
    assert_eq!(int64s(&sliced(rows)), [big + 2, i64::MIN, i64::MAX, big, -big, 3]);
    // uint64 beyond 2^63 too.
    let u = [u64::MAX, (1 << 62) + 1, 5];
    let bytes: Vec<u8> = u.iter().flat_map(|x| x.to_ne_bytes()).collect();
    let img = Image::from_ne_bytes(&[3], Dtype::UInt64, &bytes).unwrap();
    let px = Value::List(vec![Value::Int(2), Value::Int(1)]);
    let out = run(&kind_of("Pad", &[("px", px), ("mode", Value::str("reflect"))]), &img);
    assert_eq!(
        (out.dtype(), uint64s(&out)),
        (Dtype::UInt64, vec![5, (1 << 62) + 1, u64::MAX, (1 << 62) + 1, 5, (1 << 62) + 1])
    );
    let picked = Value::List(vec![Value::List(vec![Value::Int(2), Value::Int(0)])]);
    assert_eq!(uint64s(&run(&kind_of("Slice", &[("slices", picked)]), &img)), [5, u64::MAX]);
}
