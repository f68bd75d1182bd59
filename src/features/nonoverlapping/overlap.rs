//! The geometry of `NonOverlapping`: each volume's footprint (its non-zero voxels dilated by
//! `min_distance / 2`, or eroded when it is negative, cropped tight) and the test of two placed
//! footprints, as DeepTrack2 2.0.1's `_check_non_overlapping` defines them.
//!
//! Dilation and erosion are skimage's `isotropic_dilation` / `isotropic_erosion`: a voxel is in the
//! dilation when its Euclidean distance to the nearest voxel of the volume is at most the radius, and
//! in the erosion when its distance to the nearest voxel outside is more than the radius; the
//! distances are exact (the separable squared distance transform of Felzenszwalb and Huttenlocher,
//! as scipy's `distance_transform_edt`). Two footprints overlap when, inside the intersection of
//! their bounding boxes, a voxel of one is the same as or a face neighbour of a voxel of the other
//! (DeepTrack2's `cdist(...) > 1` on the shared box).

use crate::error::{Error, ErrorKind, Result};
use crate::features::croptight::{bounds, cut};
use crate::features::scatterers::MAX_GRID_VOXELS;

/// A volume's footprint: a boolean mask in the volume's voxel frame, shifted by `offset` from the
/// volume's voxel `[0, 0, 0]`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Footprint {
    pub(super) offset: [i64; 3],
    pub(super) shape: [usize; 3],
    pub(super) mask: Vec<bool>,
}

/// A stand-in for an infinite squared distance that keeps the parabola arithmetic finite.
const FAR: f64 = 1e30;

/// The exact squared Euclidean distance from every voxel of `shape` to the nearest voxel where
/// `target` is true (`FAR`-ish where there is none).
fn squared_distance(shape: [usize; 3], target: &[bool]) -> Result<Vec<f64>> {
    let mut d = crate::buffer::with_capacity(target.len())?;
    d.extend(target.iter().map(|&t| if t { 0.0 } else { FAR }));
    let longest = shape.iter().copied().max().unwrap_or(0);
    let (mut f, mut out, mut v, mut z) =
        (vec![0.0; longest], vec![0.0; longest], vec![0usize; longest], vec![0.0; longest + 1]);
    let strides = [shape[1] * shape[2], shape[2], 1];
    for axis in 0..3 {
        let n = shape[axis];
        if n == 0 {
            return Ok(d);
        }
        let stride = strides[axis];
        // Every line along `axis`: the starting indices are those with index 0 on that axis.
        for start in 0..d.len() {
            if (start / stride) % n != 0 {
                continue;
            }
            for q in 0..n {
                f[q] = d[start + q * stride];
            }
            lower_envelope(&f[..n], &mut out[..n], &mut v[..n], &mut z[..n + 1]);
            for q in 0..n {
                d[start + q * stride] = out[q];
            }
        }
    }
    Ok(d)
}

/// The 1-d squared distance transform of the sampled function `f`: `out[q] = min_p (q - p)² + f[p]`
/// (the lower envelope of parabolas; `v` and `z` are work space of `f.len()` and `f.len() + 1`).
fn lower_envelope(f: &[f64], out: &mut [f64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    let sq = |q: usize| (q * q) as f64;
    let mut k = 0;
    v[0] = 0;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    for q in 1..n {
        let mut s;
        loop {
            let p = v[k];
            s = ((f[q] + sq(q)) - (f[p] + sq(p))) / (2.0 * (q - p) as f64);
            // z[0] is -inf and s finite, so k never goes below 0.
            if s <= z[k] {
                k -= 1;
            } else {
                break;
            }
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    let mut k = 0;
    for (q, o) in out.iter_mut().enumerate() {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let dq = q as f64 - v[k] as f64;
        *o = dq * dq + f[v[k]];
    }
}

/// The footprint of a volume (C order, `shape`) at `min_distance`: its non-zero voxels dilated by
/// `min_distance / 2` (eroded by `-min_distance / 2` when negative), cropped tight. `None` when
/// nothing is left. The padded grid is limited to [`MAX_GRID_VOXELS`].
pub(super) fn footprint(volume: &[f64], shape: [usize; 3], min_distance: f64) -> Result<Option<Footprint>> {
    let radius = min_distance / 2.0;
    // Dilation grows the volume by up to ceil(radius) voxels per side (DeepTrack2 pads it first);
    // erosion takes everything outside as empty, so one voxel of padding is enough.
    let pad = if radius >= 0.0 { radius.ceil() as usize } else { 1 };
    let padded: [usize; 3] = std::array::from_fn(|i| shape[i].saturating_add(2 * pad));
    let count = padded.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n)).filter(|&c| c <= MAX_GRID_VOXELS);
    let Some(count) = count else {
        return Err(Error::new(
            ErrorKind::OutOfMemory,
            format!(
                "a volume of {shape:?} voxels padded by {pad} on every side exceeds the maximum of {MAX_GRID_VOXELS} voxels"
            ),
        )
        .in_property("min_distance"));
    };
    let mut solid = Vec::new();
    solid.try_reserve_exact(count).map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate a footprint"))?;
    solid.resize(count, false);
    let at = |i: usize, j: usize, k: usize| (i * padded[1] + j) * padded[2] + k;
    let mut any = false;
    for i in 0..shape[0] {
        for j in 0..shape[1] {
            for k in 0..shape[2] {
                if volume[(i * shape[1] + j) * shape[2] + k] != 0.0 {
                    solid[at(i + pad, j + pad, k + pad)] = true;
                    any = true;
                }
            }
        }
    }
    if !any {
        return Ok(None);
    }
    let mask: Vec<bool> = if radius >= 0.0 {
        let d = squared_distance(padded, &solid)?;
        d.iter().map(|&x| x <= radius * radius).collect()
    } else {
        let outside: Vec<bool> = solid.iter().map(|&s| !s).collect();
        let d = squared_distance(padded, &outside)?;
        d.iter().map(|&x| x > radius * radius).collect()
    };
    let Some(b) = bounds(&padded, &mask, |&x| x)? else { return Ok(None) };
    let cropped = cut(&padded, &mask, &b)?;
    Ok(Some(Footprint {
        offset: std::array::from_fn(|i| b[i].start as i64 - pad as i64),
        shape: std::array::from_fn(|i| b[i].len()),
        mask: cropped,
    }))
}

/// A footprint placed with its voxel `[0, 0, 0]` at `corner` (voxels of the sample).
pub(super) struct Placed<'a> {
    pub(super) corner: [i64; 3],
    pub(super) footprint: &'a Footprint,
}

impl Placed<'_> {
    fn start(&self, axis: usize) -> i64 {
        self.corner[axis] + self.footprint.offset[axis]
    }

    fn end(&self, axis: usize) -> i64 {
        self.start(axis) + self.footprint.shape[axis] as i64
    }

    fn at(&self, p: [i64; 3]) -> bool {
        let s = self.footprint.shape;
        let l: [i64; 3] = std::array::from_fn(|i| p[i] - self.start(i));
        self.footprint.mask[(l[0] as usize * s[1] + l[1] as usize) * s[2] + l[2] as usize]
    }
}

/// Whether two placed footprints overlap: inside the intersection of their boxes, a voxel of one is
/// the same as, or a face neighbour of, a voxel of the other. Costs at most the intersection's size.
pub(super) fn overlap(a: &Placed<'_>, b: &Placed<'_>) -> bool {
    let lo: [i64; 3] = std::array::from_fn(|i| a.start(i).max(b.start(i)));
    let hi: [i64; 3] = std::array::from_fn(|i| a.end(i).min(b.end(i)));
    if (0..3).any(|i| lo[i] >= hi[i]) {
        return false;
    }
    let inside = |p: [i64; 3]| (0..3).all(|i| lo[i] <= p[i] && p[i] < hi[i]);
    for x in lo[0]..hi[0] {
        for y in lo[1]..hi[1] {
            for z in lo[2]..hi[2] {
                let p = [x, y, z];
                if !a.at(p) {
                    continue;
                }
                let near = [[0, 0, 0], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]];
                if near.iter().any(|d| {
                    let q = [x + d[0], y + d[1], z + d[2]];
                    inside(q) && b.at(q)
                }) {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The squared distance by brute force.
    fn brute(shape: [usize; 3], target: &[bool]) -> Vec<f64> {
        let idx = |n: usize| [n / (shape[1] * shape[2]), (n / shape[2]) % shape[1], n % shape[2]];
        (0..target.len())
            .map(|n| {
                let p = idx(n);
                (0..target.len())
                    .filter(|&m| target[m])
                    .map(|m| {
                        let q = idx(m);
                        (0..3).map(|i| (p[i] as f64 - q[i] as f64).powi(2)).sum::<f64>()
                    })
                    .fold(FAR, f64::min)
            })
            .collect()
    }

    #[test]
    fn distances_are_exact() {
        let shape = [5, 4, 6];
        let mut target = vec![false; 120];
        for n in [0, 17, 63, 119, 50] {
            target[n] = true;
        }
        assert_eq!(squared_distance(shape, &target).unwrap(), brute(shape, &target));
    }

    #[test]
    fn a_point_dilates_to_a_ball_and_erodes_to_nothing() {
        let f = footprint(&[1.0], [1, 1, 1], 4.0).unwrap().unwrap();
        // Radius 2: the voxels within distance 2 of the centre, in a 5³ box centred on it.
        assert_eq!((f.offset, f.shape), ([-2, -2, -2], [5, 5, 5]));
        assert_eq!(f.mask.iter().filter(|&&m| m).count(), 33);
        // Erosion: a voxel stays when its distance to the outside (1 for a lone voxel) exceeds the radius.
        assert_eq!(footprint(&[1.0], [1, 1, 1], -1.0).unwrap().map(|f| f.mask), Some(vec![true]));
        assert_eq!(footprint(&[1.0], [1, 1, 1], -2.0).unwrap(), None);
        assert_eq!(footprint(&[0.0; 8], [2, 2, 2], 2.0).unwrap(), None);
        let cube = vec![1.0; 27];
        let eroded = footprint(&cube, [3, 3, 3], -2.0).unwrap().unwrap();
        assert_eq!((eroded.offset, eroded.shape, eroded.mask), ([1, 1, 1], [1, 1, 1], vec![true]));
        let same = footprint(&cube, [3, 3, 3], 0.0).unwrap().unwrap();
        assert_eq!((same.offset, same.shape), ([0, 0, 0], [3, 3, 3]));
    }

    #[test]
    fn footprints_overlap_when_their_voxels_touch_inside_the_shared_box() {
        let one = Footprint { offset: [0; 3], shape: [1, 1, 1], mask: vec![true] };
        let two = Footprint { offset: [0; 3], shape: [2, 1, 1], mask: vec![true, true] };
        let place = |corner, footprint| Placed { corner, footprint };
        assert!(overlap(&place([0, 0, 0], &one), &place([0, 0, 0], &one)));
        // Adjacent boxes share no voxel: apart, as in DeepTrack2.
        assert!(!overlap(&place([0, 0, 0], &one), &place([1, 0, 0], &one)));
        assert!(overlap(&place([0, 0, 0], &two), &place([1, 0, 0], &one)));
        assert!(!overlap(&place([0, 0, 0], &two), &place([2, 0, 0], &two)));
        // Face neighbours inside the shared box count; voxels outside it are not looked at.
        let front = Footprint { offset: [0; 3], shape: [2, 1, 1], mask: vec![true, false] };
        let back = Footprint { offset: [0; 3], shape: [2, 1, 1], mask: vec![false, true] };
        assert!(overlap(&place([0, 0, 0], &front), &place([0, 0, 0], &back)), "a face neighbour counts");
        let hollow = Footprint { offset: [0; 3], shape: [3, 1, 1], mask: vec![true, false, true] };
        assert!(!overlap(&place([0, 0, 0], &hollow), &place([1, 0, 0], &one)), "only the shared box is compared");
        let diagonal = Footprint { offset: [0; 3], shape: [2, 2, 1], mask: vec![true, false, false, true] };
        let other = Footprint { offset: [0; 3], shape: [2, 2, 1], mask: vec![false, false, true, false] };
        assert!(overlap(&place([0, 0, 0], &diagonal), &place([0, 0, 0], &other)), "face neighbours: distance 1");
        let corner_only = Footprint { offset: [0; 3], shape: [2, 2, 1], mask: vec![false, true, false, false] };
        let opposite = Footprint { offset: [0; 3], shape: [2, 2, 1], mask: vec![false, false, true, false] };
        assert!(!overlap(&place([0, 0, 0], &corner_only), &place([0, 0, 0], &opposite)), "diagonal: distance √2");
    }
}
