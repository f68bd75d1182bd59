//! `Resize` of uint8 images against DeepTrack2 2.0.1's own outputs (`cv2.resize`, `INTER_LINEAR`):
//! every case of `tests/fixtures/deeptrack-2.0.1/resize_u8/manifest.json` (exact halvings with 1 to 5
//! channels, exact 3x and 4x shrinks, enlarging, non-integer ratios, strong shrinks, odd sizes, one
//! row or column, coordinates where single and double precision give different weights) is built by
//! kind name, `AsType(dtype="uint8") >> Resize(dsize)`, and must give OpenCV's shape, type and every
//! sample bit for bit.

use std::path::PathBuf;

use deeptrack::dtype::Dtype;
use deeptrack::{Feature, Image, Rule, Value, features};
use serde_json::Value as Json;

mod npy;
use npy::read_npy;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1/resize_u8")
}

fn kind(name: &str, property: &str, value: Value) -> Feature {
    let f = features::builtin(name).unwrap_or_else(|| panic!("{name} is a kind"));
    f.set_property(property, Rule::constant(value)).unwrap_or_else(|e| panic!("{name}.{property}: {e}"));
    f
}

#[test]
fn every_case_is_opencvs_bit_for_bit() {
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(dir().join("manifest.json")).unwrap()).unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    assert!(cases.len() >= 26, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let input = &case["input"];
        let shape: Vec<usize> =
            input["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
        let data: Vec<f64> = input["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        let steps = case["pipeline"].as_array().unwrap();
        assert_eq!(steps[0]["properties"]["dtype"], "uint8", "{id}");
        let dsize: Vec<f64> =
            steps[1]["properties"]["dsize"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        let f = Feature::chain(
            &kind("AsType", "dtype", Value::str("uint8")),
            &kind("Resize", "dsize", Value::vector(&dsize)),
        )
        .unwrap();
        let out = f.resolve_one(Some(&Image::from_slice(&shape, &data).unwrap())).unwrap().unwrap();
        let (want_shape, want) = read_npy(&dir().join(case["expected"].as_str().unwrap()));
        assert_eq!(out.dtype(), Dtype::UInt8, "{id}: OpenCV keeps uint8");
        if out.shape() != want_shape.as_slice() {
            failures.push(format!("{id}: shape {:?}, expected {want_shape:?}", out.shape()));
        } else if let Some(i) = out.as_slice().iter().zip(&want).position(|(a, b)| a != b) {
            let n = out.as_slice().iter().zip(&want).filter(|(a, b)| a != b).count();
            failures.push(format!("{id}: {n} samples differ, the first {i}: {} for {}", out.as_slice()[i], want[i]));
        }
    }
    assert!(failures.is_empty(), "cases that differ from OpenCV:\n  {}", failures.join("\n  "));
}

/// A wide image halved (whole vector steps and a tail): each output is `(a + b + c + d + 2) >> 2` of
/// its 2 x 2 block, OpenCV's rounding for one channel (its `INTER_AREA` fast path).
#[test]
fn a_halving_rounds_each_blocks_mean_as_opencv() {
    let (rows, cols) = (6usize, 1030usize);
    let data: Vec<f64> = (0..(rows * cols) as u64).map(|i| (((i * 2_654_435_761) >> 11) % 256) as f64).collect();
    let size = Value::vector(&[(cols / 2) as f64, (rows / 2) as f64]);
    let f = Feature::chain(&kind("AsType", "dtype", Value::str("uint8")), &kind("Resize", "dsize", size)).unwrap();
    let out = f.resolve_one(Some(&Image::from_slice(&[rows, cols], &data).unwrap())).unwrap().unwrap();
    assert_eq!(out.shape(), &[rows / 2, cols / 2]);
    let mut halves = 0;
    for (k, &v) in out.as_slice().iter().enumerate() {
        let (y, x) = (k / (cols / 2), k % (cols / 2));
        let at = |r: usize, c: usize| data[r * cols + c] as u32;
        let s = at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1);
        assert_eq!(v, f64::from((s + 2) >> 2), "output {k}");
        halves += usize::from(s % 4 == 2);
    }
    assert!(halves > 100, "the image has blocks whose mean is a half ({halves})");
}
