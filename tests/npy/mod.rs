//! Reading the fixtures' `.npy` files (little-endian float64, C order, as tests/fixtures/generate.py
//! saves every output), shared by the tests that compare with them.
// Each test binary that includes this module uses only some of its helpers.
#![allow(dead_code)]

use std::path::Path;

/// A fixture `.npy` file's shape and data.
pub fn read_npy(path: &Path) -> (Vec<usize>, Vec<f64>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{} is not a .npy file", path.display());
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).expect("ASCII header");
    assert!(header.contains("'descr': '<f8'") && header.contains("'fortran_order': False"), "{header}");
    let shape_text = header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).expect("a shape");
    let shape: Vec<usize> =
        shape_text.split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse().unwrap()).collect();
    let data: Vec<f64> =
        bytes[start + header_len..].chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(data.len(), shape.iter().product::<usize>(), "{}: data and shape disagree", path.display());
    (shape, data)
}

/// A fixture `.npy` file's data, whatever its shape.
pub fn read_npy_data(path: &Path) -> Vec<f64> {
    read_npy(path).1
}

/// The numbers of a recorded property value, flattened as tests/fixtures/generate.py's `record`
/// cases flatten DeepTrack2's (bools as 0 and 1).
pub fn numbers(v: &deeptrack::Value) -> Vec<f64> {
    use deeptrack::Value;
    match v {
        Value::Bool(b) => vec![f64::from(u8::from(*b))],
        Value::List(items) | Value::Tuple(items) => items.iter().flat_map(numbers).collect(),
        Value::Array(a) => a.iter().copied().collect(),
        _ => v.to_f64_vec().unwrap_or_else(|e| panic!("{v}: {e}")),
    }
}

/// A `record` case (`case`, fixture `id` in `dir`): the values of its recorded keys in `dict`,
/// flattened, equal DeepTrack2's to 1e-12 relative.
pub fn assert_recorded(id: &str, dict: &deeptrack::PropertyDict, case: &serde_json::Value, dir: &Path) {
    let got: Vec<f64> = case["record"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|k| numbers(dict.get(k.as_str().unwrap()).unwrap_or_else(|| panic!("{id}: no {k}"))))
        .collect();
    let want = read_npy_data(&dir.join(case["expected"].as_str().unwrap()));
    assert_eq!(got.len(), want.len(), "{id}: {got:?} against {want:?}");
    for (i, (a, b)) in got.iter().zip(&want).enumerate() {
        assert!((a - b).abs() <= 1e-12 * b.abs(), "{id}: value {i} is {a}, DeepTrack2's {b}");
    }
}
