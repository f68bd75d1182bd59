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
