//! The voxel masks of `Sphere`, `Ellipse` and `Ellipsoid`, as DeepTrack2 2.0.1 computes them
//! (docs/deeptrack2-rendering.md §3.2–§3.4), built as runs of voxels along the grid's last axis and
//! materialised already cropped (`crop_empty`), so that the cost follows the scatterer's surface and
//! volume, never a dense pass over its whole grid.
//!
//! Every voxel's inside test is DeepTrack2's, evaluated in its floating-point order: the runs only
//! decide which voxels to test.
//! - Sphere: `(ty[j] + tx[i]) + tz[k] <= 1` grows with `|z|` (IEEE addition is monotonic), so each
//!   row is one run, found by a binary search.
//! - Ellipsoid: along a row the quadric is `Qmin + A·(z − z*)²`; only the voxels within a voxel of
//!   where it is below `1 + 1e-4` are tested (the floating-point error of the test is far smaller
//!   unless the ellipsoid or the voxels are extremely elongated, where every voxel is tested).
//! - Ellipse: one plane, every pixel tested.

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, ErrorKind, Result};
use crate::value::Value;

/// The most voxels a scatterer's grid (`2·⌈radius / voxel size⌉` per axis, before cropping) may
/// have: 2^27 (a gibibyte of `f64`). Larger scatterers are an error naming `radius`.
pub const MAX_GRID_VOXELS: usize = 1 << 27;

/// A mask on a grid of `shape`: runs `(i, j, k0..k1)` of inside voxels, in C order.
pub(super) struct Grid {
    pub shape: [usize; 3],
    pub runs: Vec<[u32; 4]>,
}

/// The grid half-sizes (already rounded up) as integers, refusing grids beyond [`MAX_GRID_VOXELS`].
fn grid_shape(half: [f64; 3], flat: bool) -> Result<[usize; 3]> {
    let dims = half.map(|h| if h.is_finite() && h >= 0.0 { 2.0 * h } else { f64::INFINITY });
    let dims = if flat { [dims[0], dims[1], 1.0] } else { dims };
    let voxels = dims[0] * dims[1] * dims[2];
    let fits = voxels <= MAX_GRID_VOXELS as f64;
    if !fits {
        return Err(Error::new(
            ErrorKind::OutOfMemory,
            format!(
                "the scatterer's grid of {} x {} x {} voxels (radius / voxel size) exceeds the maximum of {MAX_GRID_VOXELS} \
                 voxels",
                count(dims[0]),
                count(dims[1]),
                count(dims[2])
            ),
        )
        .in_property("radius"));
    }
    Ok(dims.map(|d| d as usize))
}

/// A whole number of voxels as an integer, a larger one as Python writes floats (`inf`, `1e+300`).
fn count(x: f64) -> String {
    if x < 1e16 { format!("{}", x as u64) } else { Value::Float(x).to_string() }
}

/// `(x / r)²` for `x` in `-n..n`.
fn squares(n: usize, r: f64) -> Vec<f64> {
    let n = n as i64;
    (-n..n).map(|x| x as f64 / r).map(|q| q * q).collect()
}

/// `Sphere`: `rad` is the radius in voxels per axis (`radius · 1.0 / voxel`).
pub(super) fn sphere(rad: [f64; 3]) -> Result<Grid> {
    let shape = grid_shape(rad.map(f64::ceil), false)?;
    let [h0, h1, h2] = shape.map(|n| n / 2);
    let (tx, ty) = (squares(h0, rad[0]), squares(h1, rad[1]));
    // tz at |z| = 0..=h2 (tz is even in z: x / r and (-x) / r differ only in sign).
    let tz: Vec<f64> = (0..=h2).map(|d| d as f64 / rad[2]).map(|q| q * q).collect();
    let mut runs = Vec::new();
    for (i, &x) in tx.iter().enumerate() {
        for (j, &y) in ty.iter().enumerate() {
            let a = y + x;
            let centre_inside = a + tz[0] <= 1.0;
            if !centre_inside {
                continue;
            }
            // The largest |z| still inside.
            let reach = tz.partition_point(|&t| a + t <= 1.0) - 1;
            let (k0, k1) = (h2 - reach, (h2 + reach + 1).min(2 * h2));
            runs.push([i as u32, j as u32, k0 as u32, k1 as u32]);
        }
    }
    Ok(Grid { shape, runs })
}

/// `Ellipse`: semi-axes `r` (rows, columns, after `transpose`), rotation `theta`, voxel size `vox`.
pub(super) fn ellipse(r: [f64; 2], theta: f64, vox: [f64; 3]) -> Result<Grid> {
    let c = (r[0].max(r[1]) / vox[0].min(vox[1])).ceil();
    let shape = grid_shape([c, c, 0.0], true)?;
    let c = shape[0] / 2;
    let coords = |v: f64| -> Vec<f64> { (-(c as i64)..c as i64).map(|i| i as f64 * v).collect() };
    let (xs, ys) = (coords(vox[0]), coords(vox[1]));
    let (cos, sin) = ((-theta).cos(), (-theta).sin());
    let (r0, r1) = (r[0] * r[0], r[1] * r[1]);
    let mut runs = Vec::new();
    for (i, &x0) in xs.iter().enumerate() {
        for (j, &y0) in ys.iter().enumerate() {
            let (mut x, mut y) = (x0, y0);
            if theta != 0.0 {
                (x, y) = (x * cos + y * sin, -x * sin + y * cos);
            }
            if (x * x) / r0 + (y * y) / r1 < 1.0 {
                runs.push([i as u32, j as u32, 0, 1]);
            }
        }
    }
    Ok(Grid { shape, runs })
}

/// `Ellipsoid`: semi-axes `r` (after `transpose`), rotation angles `rot`, voxel size `vox`.
pub(super) fn ellipsoid(r: [f64; 3], rot: [f64; 3], vox: [f64; 3]) -> Result<Grid> {
    let max_r = r[0].max(r[1]).max(r[2]);
    let min_vox = vox[0].min(vox[1]).min(vox[2]);
    let rc = (max_r / min_vox).ceil();
    let shape = grid_shape([rc; 3], false)?;
    let rc = shape[0] / 2;
    let coords = |v: f64| -> Vec<f64> { (-(rc as i64)..rc as i64).map(|i| i as f64 * v).collect() };
    let (xs, ys, zs) = (coords(vox[0]), coords(vox[1]), coords(vox[2]));
    let (c, s) = (rot.map(f64::cos), rot.map(f64::sin));
    // The rows of Rz(θ0)·Ry(θ1)·Rx(θ2), with DeepTrack2's evaluation order.
    let m = [
        [c[0] * c[1], c[0] * s[1] * s[2] - s[0] * c[2], c[0] * s[1] * c[2] + s[0] * s[2]],
        [s[0] * c[1], s[0] * s[1] * s[2] + c[0] * c[2], s[0] * s[1] * c[2] - c[0] * s[2]],
        [-s[1], c[1] * s[2], c[1] * c[2]],
    ];
    let inside = |x: f64, y: f64, z: f64| {
        let q = |row: usize| {
            let v = (m[row][0] * x + m[row][1] * y + m[row][2] * z) / r[row];
            v * v
        };
        q(0) + q(1) + q(2) < 1.0
    };
    let n = 2 * rc;
    let min_r = r[0].min(r[1]).min(r[2]);
    let elongation = (max_r / min_r) * (vox[0].max(vox[1]).max(vox[2]) / min_vox);
    // Along a row, Q(z) = Σ ((α_r + β_r·z) / r_r)² = Qmin + A·(z − z*)².
    let a_coef: f64 = (0..3).map(|row| (m[row][2] / r[row]).powi(2)).sum();
    let mut runs = Vec::new();
    let mut push_row = |[i, j]: [usize; 2], [x, y]: [f64; 2], range: std::ops::Range<usize>| {
        let mut k = range.start;
        while k < range.end {
            if !inside(x, y, zs[k]) {
                k += 1;
                continue;
            }
            let k0 = k;
            while k < range.end && inside(x, y, zs[k]) {
                k += 1;
            }
            runs.push([i as u32, j as u32, k0 as u32, k as u32]);
        }
    };
    let narrowed = elongation <= 1e4 && a_coef > 0.0;
    for (i, &x) in xs.iter().enumerate() {
        for (j, &y) in ys.iter().enumerate() {
            if !narrowed {
                push_row([i, j], [x, y], 0..n);
                continue;
            }
            let alpha = [0, 1, 2].map(|row| m[row][0] * x + m[row][1] * y);
            let b_coef: f64 = (0..3).map(|row| 2.0 * alpha[row] * m[row][2] / (r[row] * r[row])).sum();
            let centre = -b_coef / (2.0 * a_coef);
            let q_min: f64 = (0..3).map(|row| ((alpha[row] + m[row][2] * centre) / r[row]).powi(2)).sum();
            let slack = 1.0 + 1e-4 - q_min;
            if slack.is_nan() || slack < 0.0 {
                continue;
            }
            let half = (slack / a_coef).sqrt();
            let lo = ((centre - half) / vox[2]).floor() + rc as f64 - 1.0;
            let hi = ((centre + half) / vox[2]).ceil() + rc as f64 + 2.0;
            let (lo, hi) = (lo.clamp(0.0, n as f64) as usize, hi.clamp(0.0, n as f64) as usize);
            push_row([i, j], [x, y], lo..hi);
        }
    }
    Ok(Grid { shape, runs })
}

/// The mask as an array of ones on its whole grid, nothing cropped: what DeepTrack2's `get` of the
/// scatterer returns before `_process_and_get` crops it (a Python subclass's `super().get(...)`).
pub(super) fn dense(grid: &Grid) -> Result<ArrayD<f64>> {
    let [n0, n1, n2] = grid.shape;
    let count = n0 * n1 * n2;
    let mut data = Vec::new();
    data.try_reserve_exact(count).map_err(|_| {
        Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a scatterer volume of {n0} x {n1} x {n2} voxels"))
            .in_property("radius")
    })?;
    data.resize(count, 0.0);
    for &[i, j, k0, k1] in &grid.runs {
        let row = (i as usize * n1 + j as usize) * n2;
        data[row + k0 as usize..row + k1 as usize].fill(1.0);
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&[n0, n1, n2]), data).expect("sized for this shape"))
}

/// The mask as an array of ones, with every all-zero slice removed along axis 0, then 1, then 2
/// (DeepTrack2's `crop_empty`, which drops interior empty slices too).
pub(super) fn materialise(grid: &Grid) -> Result<ArrayD<f64>> {
    let [n0, n1, n2] = grid.shape;
    let (mut keep0, mut keep1) = (vec![false; n0], vec![false; n1]);
    // Coverage along axis 2 through a difference array.
    let mut cover = vec![0i64; n2 + 1];
    for &[i, j, k0, k1] in &grid.runs {
        keep0[i as usize] = true;
        keep1[j as usize] = true;
        cover[k0 as usize] += 1;
        cover[k1 as usize] -= 1;
    }
    let rank = |keep: &[bool]| -> (Vec<usize>, usize) {
        let mut next = 0;
        let map = keep
            .iter()
            .map(|&k| {
                let rank = next;
                next += k as usize;
                rank
            })
            .collect();
        (map, next)
    };
    let mut running = 0;
    let keep2: Vec<bool> = cover[..n2]
        .iter()
        .map(|&d| {
            running += d;
            running > 0
        })
        .collect();
    let ((map0, m0), (map1, m1), (map2, m2)) = (rank(&keep0), rank(&keep1), rank(&keep2));
    let count = m0 * m1 * m2;
    let mut data = Vec::new();
    data.try_reserve_exact(count).map_err(|_| {
        Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a scatterer volume of {m0} x {m1} x {m2} voxels"))
            .in_property("radius")
    })?;
    data.resize(count, 0.0);
    for &[i, j, k0, k1] in &grid.runs {
        let row = (map0[i as usize] * m1 + map1[j as usize]) * m2;
        // Kept voxels of a run are consecutive after cropping (every voxel of a run is kept).
        let start = map2[k0 as usize];
        data[row + start..row + start + (k1 - k0) as usize].fill(1.0);
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&[m0, m1, m2]), data).expect("sized for this shape"))
}

#[cfg(test)]
pub(super) mod reference {
    //! The dense computation (every voxel of the grid tested, then cropped), kept to check the runs.

    use ndarray::{ArrayD, Axis, IxDyn};

    fn fill(shape: [usize; 3], inside: impl Fn(usize, usize, usize) -> bool) -> ArrayD<f64> {
        let mut data = Vec::new();
        for i in 0..shape[0] {
            for j in 0..shape[1] {
                for k in 0..shape[2] {
                    data.push(if inside(i, j, k) { 1.0 } else { 0.0 });
                }
            }
        }
        ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap()
    }

    pub fn crop_empty(mut a: ArrayD<f64>) -> ArrayD<f64> {
        for axis in 0..a.ndim() {
            let keep: Vec<usize> =
                (0..a.shape()[axis]).filter(|&i| a.index_axis(Axis(axis), i).iter().any(|&v| v != 0.0)).collect();
            if keep.len() != a.shape()[axis] {
                a = a.select(Axis(axis), &keep);
            }
        }
        a
    }

    pub fn sphere(rad: [f64; 3]) -> ArrayD<f64> {
        let half = rad.map(|r| r.ceil() as usize);
        let sq = |axis: usize| -> Vec<f64> {
            let n = half[axis] as i64;
            (-n..n).map(|x| x as f64 / rad[axis]).map(|q| q * q).collect()
        };
        let (tx, ty, tz) = (sq(0), sq(1), sq(2));
        crop_empty(fill([tx.len(), ty.len(), tz.len()], |i, j, k| (ty[j] + tx[i]) + tz[k] <= 1.0))
    }

    pub fn ellipse(r: [f64; 2], theta: f64, vox: [f64; 3]) -> ArrayD<f64> {
        let c = (r[0].max(r[1]) / vox[0].min(vox[1])).ceil() as usize;
        let coords = |v: f64| -> Vec<f64> { (-(c as i64)..c as i64).map(|i| i as f64 * v).collect() };
        let (xs, ys) = (coords(vox[0]), coords(vox[1]));
        let (cos, sin) = ((-theta).cos(), (-theta).sin());
        let (r0, r1) = (r[0] * r[0], r[1] * r[1]);
        crop_empty(fill([2 * c, 2 * c, 1], |i, j, _| {
            let (mut x, mut y) = (xs[i], ys[j]);
            if theta != 0.0 {
                (x, y) = (x * cos + y * sin, -x * sin + y * cos);
            }
            (x * x) / r0 + (y * y) / r1 < 1.0
        }))
    }

    pub fn ellipsoid(r: [f64; 3], rot: [f64; 3], vox: [f64; 3]) -> ArrayD<f64> {
        let max_r = r[0].max(r[1]).max(r[2]);
        let rc = (max_r / vox[0].min(vox[1]).min(vox[2])).ceil() as usize;
        let coords = |v: f64| -> Vec<f64> { (-(rc as i64)..rc as i64).map(|i| i as f64 * v).collect() };
        let (xs, ys, zs) = (coords(vox[0]), coords(vox[1]), coords(vox[2]));
        let (c, s) = (rot.map(f64::cos), rot.map(f64::sin));
        let m = [
            [c[0] * c[1], c[0] * s[1] * s[2] - s[0] * c[2], c[0] * s[1] * c[2] + s[0] * s[2]],
            [s[0] * c[1], s[0] * s[1] * s[2] + c[0] * c[2], s[0] * s[1] * c[2] - c[0] * s[2]],
            [-s[1], c[1] * s[2], c[1] * c[2]],
        ];
        let n = 2 * rc;
        crop_empty(fill([n, n, n], |i, j, k| {
            let (x, y, z) = (xs[i], ys[j], zs[k]);
            let q = |row: usize| {
                let v = (m[row][0] * x + m[row][1] * y + m[row][2] * z) / r[row];
                v * v
            };
            q(0) + q(1) + q(2) < 1.0
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn same(grid: Result<Grid>, expected: ArrayD<f64>, what: &str) {
        let got = materialise(&grid.unwrap()).unwrap();
        assert_eq!(got.shape(), expected.shape(), "{what}");
        assert!(got == expected, "{what}: the masks differ");
    }

    #[test]
    fn masks_match_the_dense_computation() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for case in 0..300 {
            let vox = if case % 3 == 0 {
                [1e-7; 3]
            } else {
                let v = rng.random_range(0.3e-7..2e-7);
                // Upscaled voxels, and now and then unequal ones.
                if case % 7 == 0 { [v, v * 1.5, v / 2.0] } else { [v; 3] }
            };
            // Radii from under a voxel to ~15 voxels, and exact multiples of the voxel.
            let radius = |rng: &mut rand_chacha::ChaCha8Rng| {
                if rng.random_bool(0.2) {
                    vox[0] * rng.random_range(1..8) as f64
                } else {
                    rng.random_range(0.3..15.0) * vox[0]
                }
            };
            let r = [radius(&mut rng), radius(&mut rng), radius(&mut rng)];
            let angle = |rng: &mut rand_chacha::ChaCha8Rng| {
                if rng.random_bool(0.25) {
                    [0.0, 0.5 * std::f64::consts::PI, 1.0][rng.random_range(0..3)]
                } else {
                    rng.random_range(-4.0..4.0)
                }
            };
            let rot = [angle(&mut rng), angle(&mut rng), angle(&mut rng)];
            let rad = [0, 1, 2].map(|a| r[a] * 1.0 / vox[a]);
            let sphere_rad = if case % 2 == 0 { [rad[0]; 3] } else { rad };
            same(sphere(sphere_rad), reference::sphere(sphere_rad), &format!("sphere {sphere_rad:?}"));
            same(ellipse([r[0], r[1]], rot[0], vox), reference::ellipse([r[0], r[1]], rot[0], vox), "ellipse");
            same(
                ellipsoid(r, rot, vox),
                reference::ellipsoid(r, rot, vox),
                &format!("ellipsoid {r:?} {rot:?} {vox:?}"),
            );
        }
        // Extremely elongated ellipsoids test every voxel.
        let (r, rot, vox) = ([3e-6, 1e-10, 2e-7], [0.3, 0.2, 0.1], [1e-7; 3]);
        same(ellipsoid(r, rot, vox), reference::ellipsoid(r, rot, vox), "needle");
    }

    #[test]
    fn masks_match_deeptrack2() {
        let g = sphere([10.0; 3]).unwrap();
        let m = materialise(&g).unwrap();
        assert_eq!((m.shape(), m.sum()), ([20, 20, 20].as_slice(), 4166.0));
        let m = materialise(&sphere([5.0; 3]).unwrap()).unwrap();
        assert_eq!((m.shape(), m.sum()), ([10, 10, 10].as_slice(), 512.0));
        // docs §3.3–3.4: the fixtures' ellipse and ellipsoid (radius[0] along columns).
        let g = ellipse([7e-7, 1.5e-6], 0.4, [1e-7; 3]).unwrap();
        assert_eq!(g.shape, [32, 32, 1]);
        let m = materialise(&g).unwrap();
        assert_eq!((m.shape(), m.sum()), ([17, 29, 1].as_slice(), 333.0));
        let g = ellipsoid([6e-7, 1.2e-6, 8e-7], [0.3, 0.0, 0.0], [1e-7; 3]).unwrap();
        assert_eq!(g.shape, [24, 24, 24]);
        let m = materialise(&g).unwrap();
        assert_eq!((m.shape(), m.sum()), ([13, 23, 15].as_slice(), 2419.0));
    }

    #[test]
    fn interior_empty_slices_are_dropped_too() {
        let g = Grid { shape: [4, 1, 3], runs: vec![[0, 0, 0, 1], [2, 0, 2, 3]] };
        let m = materialise(&g).unwrap();
        assert_eq!(m.shape(), [2, 1, 2]);
        assert_eq!(m.as_slice().unwrap(), [1.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn grids_beyond_the_limit_are_refused() {
        let err = sphere([1e4; 3]).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::OutOfMemory);
        assert_eq!(
            err.to_string(),
            "property 'radius': the scatterer's grid of 20000 x 20000 x 20000 voxels (radius / voxel size) exceeds the \
             maximum of 134217728 voxels"
        );
        assert!(ellipse([1.0, 1.0], 0.0, [1e-7; 3]).is_err());
        assert!(ellipsoid([1e300, 1.0, 1.0], [0.0; 3], [1e-7; 3]).is_err());
        assert!(sphere([10.0, 10.0, 400.0]).is_ok());
        assert!(sphere([200.0, 200.0, 430.0]).is_err());
    }
}
