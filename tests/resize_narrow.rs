//! `Resize` of float32, uint16 and int16 images against DeepTrack2 2.0.1's own outputs
//! (`cv2.resize`, `INTER_LINEAR`, which OpenCV hands to Intel IPP for 1, 3 or 4 channels and more
//! than one row and column, and computes by its own generic code otherwise): every case of
//! `tests/fixtures/deeptrack-2.0.1/resize_narrow/manifest.json` (an exact halving, shrinking,
//! enlarging by 2 and by non-integer ratios, mixed, the same size, a strong shrink, 1 to 8 channels,
//! single rows and columns, float32 edge pixels that IPP blends in pairs without a fused
//! multiply-add, fractions that round to 1, int16 border pixels whose step IPP rounds rather than the
//! sum) is built by kind name, `AsType(dtype) >> Resize(dsize)`, and must give OpenCV's shape, type
//! and every sample bit for bit.

use std::path::PathBuf;

use deeptrack::dtype::Dtype;
use deeptrack::{Feature, Image, Rule, Value, features};
use serde_json::Value as Json;

mod npy;
use npy::read_npy;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1/resize_narrow")
}

fn kind(name: &str, property: &str, value: Value) -> Feature {
    let f = features::builtin(name).unwrap_or_else(|| panic!("{name} is a kind"));
    f.set_property(property, Rule::constant(value)).unwrap_or_else(|e| panic!("{name}.{property}: {e}"));
    f
}

/// `AsType(dtype) >> Resize(dsize)` of `data` of `shape`.
fn resize(dtype: &str, shape: &[usize], data: &[f64], dsize: &[f64]) -> Image {
    let f = Feature::chain(&kind("AsType", "dtype", Value::str(dtype)), &kind("Resize", "dsize", Value::vector(dsize)))
        .unwrap();
    f.resolve_one(Some(&Image::from_slice(shape, data).unwrap())).unwrap().unwrap()
}

#[test]
fn every_case_is_opencvs_bit_for_bit() {
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(dir().join("manifest.json")).unwrap()).unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    assert!(cases.len() >= 54, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let input = &case["input"];
        let shape: Vec<usize> =
            input["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
        let data: Vec<f64> = input["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        let steps = case["pipeline"].as_array().unwrap();
        let dtype = steps[0]["properties"]["dtype"].as_str().unwrap();
        let dsize: Vec<f64> =
            steps[1]["properties"]["dsize"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        let out = resize(dtype, &shape, &data, &dsize);
        let (want_shape, want) = read_npy(&dir().join(case["expected"].as_str().unwrap()));
        let want_type = match dtype {
            "float32" => Dtype::Float32,
            "uint16" => Dtype::UInt16,
            "int16" => Dtype::Int16,
            other => panic!("{id}: unexpected dtype {other}"),
        };
        assert_eq!(out.dtype(), want_type, "{id}: OpenCV keeps the type");
        if out.shape() != want_shape.as_slice() {
            failures.push(format!("{id}: shape {:?}, expected {want_shape:?}", out.shape()));
        } else if let Some(i) = out.as_slice().iter().zip(&want).position(|(a, b)| a.to_bits() != b.to_bits()) {
            let n = out.as_slice().iter().zip(&want).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
            failures.push(format!("{id}: {n} samples differ, the first {i}: {} for {}", out.as_slice()[i], want[i]));
        }
    }
    assert!(failures.is_empty(), "cases that differ from OpenCV:\n  {}", failures.join("\n  "));
}

/// int16 (and uint16) results are rounded to nearest with ties to even, and saturate: an image of
/// the type's extremes enlarged by 2 (weights 1/4 and 3/4, exact in single precision) gives the
/// extremes and the exact blends between them, rounded.
#[test]
fn sixteen_bit_results_round_half_to_even_and_stay_in_range() {
    // Columns alternate the extremes; enlarging by 2 makes outputs 3/4·a + 1/4·b.
    for (dtype, lo, hi, want_type) in
        [("int16", -32768.0, 32767.0, Dtype::Int16), ("uint16", 0.0, 65535.0, Dtype::UInt16)]
    {
        let data: Vec<f64> = (0..4 * 6).map(|i| if i % 2 == 0 { lo } else { hi }).collect();
        let out = resize(dtype, &[4, 6], &data, &[12.0, 8.0]);
        assert_eq!(out.dtype(), want_type);
        assert_eq!(out.shape(), &[8, 12]);
        let row: Vec<f64> = out.as_slice()[..12].to_vec();
        // fma(t, b - a, a) in single precision: t = 0.75 from `lo` toward `hi`, and back (the same
        // values as int16's border rule, `a + rint(t · (b - a))`, without ties).
        let q = |a: f64, b: f64, t: f64| ((a as f32) + (t as f32) * ((b - a) as f32)).round_ties_even() as f64;
        let want =
            [lo, q(lo, hi, 0.25), q(lo, hi, 0.75), q(hi, lo, 0.25), q(hi, lo, 0.75), q(lo, hi, 0.25), q(lo, hi, 0.75)];
        assert_eq!(&row[..7], &want, "{dtype}");
        assert!(out.as_slice().iter().all(|&v| (lo..=hi).contains(&v)), "{dtype}");
    }
    // Ties (as cv2 gives them): the mean of 1, 2, 2, 3 is 2; rows of 2.5 blended stay 2.5, rounded to 2.
    let out = resize("int16", &[2, 2], &[1.0, 2.0, 2.0, 3.0], &[1.0, 1.0]);
    assert_eq!(out.as_slice(), &[2.0]);
    let out = resize("uint16", &[2, 4], &[1.0, 2.0, 2.0, 3.0, 2.0, 3.0, 2.0, 3.0], &[2.0, 1.0]);
    assert_eq!(out.as_slice(), &[2.0, 2.0]);
}

/// int16 border pixels (clamped along one axis only) are the step from `a` toward `b` rounded and
/// added to `a`, not the sum rounded as uint16 and the inner pixels have it: a row `a = 8753, b = 6137`
/// between columns 3 and 4 of a 2 x 15 image widened to 40 gives outputs 9, 10 and 11 at fractions
/// 1/16, 7/16 and 13/16, whose exact values 8589.5, 7608.5 and 6627.5 are ties (values from
/// `cv2.resize`, opencv-python-headless 4.14 and 5.0, IPP's AVX2 code). Along the rows likewise.
#[test]
fn int16_border_pixels_round_the_step_not_the_sum() {
    let mut data = vec![0.0; 2 * 15];
    for r in 0..2 {
        (data[r * 15 + 3], data[r * 15 + 4]) = (8753.0, 6137.0);
    }
    for (dtype, want) in [("int16", [8589.0, 7609.0, 6627.0]), ("uint16", [8590.0, 7608.0, 6628.0])] {
        // Output rows 0 and 1 are clamped to source row 0; rows 2 to 5 blend the two (equal) rows.
        let out = resize(dtype, &[2, 15], &data, &[40.0, 8.0]);
        for row in [0, 1, 7] {
            assert_eq!(&out.as_slice()[row * 40 + 9..row * 40 + 12], &want, "{dtype}, row {row}");
        }
        // The inner rows round the sum (8589.5 to even) in both types.
        assert_eq!(&out.as_slice()[3 * 40 + 9..3 * 40 + 12], &[8590.0, 7608.0, 6628.0], "{dtype}");
        // Transposed: the columns clamped to the first source column, steps along the rows.
        let column: Vec<f64> = (0..15).flat_map(|r| [data[r], data[r]]).collect();
        let out = resize(dtype, &[15, 2], &column, &[8.0, 40.0]);
        let left: Vec<f64> = (9..12).map(|r| out.as_slice()[r * 8]).collect();
        assert_eq!(left, want, "{dtype}, transposed");
    }
}
