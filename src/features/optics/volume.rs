//! The sample volume (`_create_volume`, `_pad_volume` and the crop to the padded output region):
//! every scatterer volume placed with DeepTrack2's exact rules (centre of mass on the position,
//! culling against the bare output region, the first scatterer seeding the limits even when culled,
//! pad by 2, bilinear 3×3 kernel), but kept as a list of placed items, each stored plane by plane with
//! the extent of its non-zero values, so that the optics draw a plane's rows straight from the items
//! and never hold a dense volume.

use std::borrow::Cow;
use std::ops::Range;

use super::com::Runs;
use super::params::{MAX_COORDINATE, num};
use super::{Mode, Params};
use crate::error::{Error, ErrorKind, Result};
use crate::features::scatterers::{Multiplier, ScattererData};
use crate::image::{Image, element_count};

/// The most z-planes (simulation pixels) a sample may span. DeepTrack2 allocates every plane of the
/// padded FFT grid, so deeper samples would not fit in memory there either.
pub const MAX_PLANES: usize = 1 << 16;

/// A scatterer placed in the volume: its sub-pixel-shifted array (the padded array's non-zero part)
/// and where it goes.
pub(super) struct Placed {
    /// The simulation-pixel coordinates (row, column, z) of element `(0, 0, 0)`.
    pub corner: [i64; 3],
    /// Rows, columns and planes.
    pub shape: [usize; 3],
    /// Plane by plane: element `(i, j, k)` is `data[(k·shape[0] + i)·shape[1] + j]`.
    pub data: Vec<f64>,
    /// The imaginary part, laid out as `data`, for an absorbing scatterer (a complex
    /// `refractive_index` imaged by brightfield); `None` when the scatterer's value is real.
    pub imag: Option<Vec<f64>>,
    /// For each plane, the rows `[i0, i1)` that hold non-zero values (`i0 == i1`: none).
    pub rows: Vec<[usize; 2]>,
    /// For each plane and row (`k·shape[0] + i`), the columns `[j0, j1)` that hold non-zero values.
    pub cols: Vec<[usize; 2]>,
}

/// The sample volume inside the padded output region (the window).
pub(super) struct Volume {
    /// The z (simulation pixels) of plane 0.
    pub z0: i64,
    /// How many planes the sample spans (DeepTrack2's volume depth, empty planes included).
    pub planes: usize,
    /// The window's corner in simulation pixels, and its size (rows, columns).
    pub origin: [i64; 2],
    pub window: [usize; 2],
    /// The placed scatterers that reach into the window, in sample order.
    pub items: Vec<Placed>,
    /// The planes that items reach (ascending), each with its items and their own plane index.
    pub by_plane: Vec<(usize, Vec<(usize, usize)>)>,
    /// The scatterer with the largest multiplier: its feature, the property the multiplier comes
    /// from, and the multiplier.
    pub loudest: Option<(String, &'static str, f64)>,
    /// The extent of the sample in simulation pixels, as DeepTrack2 2.0.1's `_create_volume`
    /// returns it (see `record.rs`); `None` without scatterers.
    pub limits: super::record::Limits,
}

impl Volume {
    /// The window rows where item `item`'s plane `k` holds non-zero values.
    pub fn rows(&self, item: usize, k: usize) -> Range<usize> {
        let it = &self.items[item];
        let [i0, i1] = it.rows[k];
        let top = it.corner[0] - self.origin[0];
        clip(top, i0, i1, self.window[0])
    }

    /// Adds row `r` of the window from item `item`'s plane `k` into `out`, whose element 0 is window
    /// column `first`; returns the window columns it touched (empty when none). `r` must be one of
    /// [`Volume::rows`], and `out` must cover the touched columns. The real part only: see
    /// [`Volume::add_row_imag`].
    pub fn add_row(&self, item: usize, k: usize, r: usize, out: &mut [f64], first: usize) -> Range<usize> {
        let it = &self.items[item];
        self.add_row_of(it, &it.data, k, r, out, first)
    }

    /// [`Volume::add_row`] of the imaginary part (nothing for a real item).
    pub fn add_row_imag(&self, item: usize, k: usize, r: usize, out: &mut [f64], first: usize) -> Range<usize> {
        let it = &self.items[item];
        match &it.imag {
            Some(imag) => self.add_row_of(it, imag, k, r, out, first),
            None => 0..0,
        }
    }

    /// Whether item `item` holds an imaginary part (an absorbing scatterer in brightfield).
    pub fn is_complex(&self, item: usize) -> bool {
        self.items[item].imag.is_some()
    }

    fn add_row_of(&self, it: &Placed, data: &[f64], k: usize, r: usize, out: &mut [f64], first: usize) -> Range<usize> {
        let i = (r as i64 - (it.corner[0] - self.origin[0])) as usize;
        let [j0, j1] = it.cols[k * it.shape[0] + i];
        let left = it.corner[1] - self.origin[1];
        let cols = clip(left, j0, j1, self.window[1]);
        if !cols.is_empty() {
            let row = &data[(k * it.shape[0] + i) * it.shape[1]..][..it.shape[1]];
            let src = &row[(cols.start as i64 - left) as usize..][..cols.len()];
            for (o, v) in out[cols.start - first..cols.end - first].iter_mut().zip(src) {
                *o += v;
            }
        }
        cols
    }

    /// The window box `[r0, r1, c0, c1]` of item `item`'s non-zero values in its plane `k` (empty
    /// when they all fall outside the window).
    pub fn item_box(&self, item: usize, k: usize) -> [usize; 4] {
        let it = &self.items[item];
        let rows = self.rows(item, k);
        let left = it.corner[1] - self.origin[1];
        let top = it.corner[0] - self.origin[0];
        let (mut c0, mut c1) = (usize::MAX, 0);
        for r in rows.clone() {
            let [j0, j1] = it.cols[k * it.shape[0] + (r as i64 - top) as usize];
            let cols = clip(left, j0, j1, self.window[1]);
            if !cols.is_empty() {
                (c0, c1) = (c0.min(cols.start), c1.max(cols.end));
            }
        }
        if c0 >= c1 { [0; 4] } else { [rows.start, rows.end, c0, c1] }
    }
}

/// The window indices `[offset + a, offset + b)` clipped to `0..len`.
fn clip(offset: i64, a: usize, b: usize, len: usize) -> Range<usize> {
    let lo = (offset + a as i64).clamp(0, len as i64) as usize;
    let hi = (offset + b as i64).clamp(0, len as i64) as usize;
    lo..hi.max(lo)
}

/// What a scatterer volume is multiplied by, and the property it comes from: `intensity` (times the
/// upscale fudge factor), `refractive_index - refractive_index_medium` or `value` (the scatterer's
/// [`Multiplier`]). The multiplier is complex (real and imaginary parts) for a complex
/// `refractive_index` (an absorbing scatterer); fluorescence images its real part, as DeepTrack2's
/// `np.real` of the convolved complex volume does, so there its imaginary part is 0.
fn multiplier(m: Multiplier, p: &Params) -> ([f64; 2], &'static str) {
    let s = p.scale;
    let value = match m {
        Multiplier::Intensity(intensity) => [intensity * (s[0] * s[1] / s[2]), 0.0],
        Multiplier::RefractiveIndex(n, k) => [n - p.n_medium, if p.mode == Mode::Brightfield { k } else { 0.0 }],
        Multiplier::Value(value) => [value, 0.0],
    };
    (value, m.property())
}

/// Checks that a placed scatterer's multiplier (`value`: real and imaginary parts, from `key`) and, in
/// brightfield, its refraction phase (and absorption) per voxel are finite.
fn check_multiplier(sc: &ScattererData, index: usize, value: [f64; 2], key: &'static str, p: &Params) -> Result<()> {
    let s = p.scale;
    if !(value[0].is_finite() && value[1].is_finite()) {
        let detail = match key {
            "intensity" => format!(
                "the intensity times the upscale fudge factor (scale x · scale y / scale z = {}) overflows",
                num(s[0] * s[1] / s[2])
            ),
            _ => format!("refractive_index - refractive_index_medium ({}) overflows", num(p.n_medium)),
        };
        return Err(sc.error(index, key, detail));
    }
    let phase = p.phase_per_voxel();
    if p.mode == Mode::Brightfield && !(value[0] * phase).is_finite() {
        // The refraction phase Δn · voxel · k must be a number.
        let blame_medium = key == "refractive_index" && p.n_medium > (value[0] + p.n_medium).abs();
        let detail = format!(
            "the refraction phase per voxel ({} × {}) overflows: the scatterer's {key} is too large",
            num(value[0]),
            num(phase)
        );
        return Err(if blame_medium {
            Error::invalid(detail).in_property("refractive_index_medium")
        } else {
            sc.error(index, key, detail)
        });
    }
    if p.mode == Mode::Brightfield && !(value[1] * phase).is_finite() {
        // The absorption per voxel, Im(n) · voxel · k, must be a number too.
        let detail = format!(
            "the absorption per voxel ({} × {}) overflows: the imaginary part of the scatterer's refractive_index \
             is too large",
            num(value[1]),
            num(phase)
        );
        return Err(sc.error(index, key, detail));
    }
    Ok(())
}

/// Where voxel `[0, 0, 0]` of a scatterer array goes, in simulation pixels (`_get_position(mode=
/// "corner", return_z=True)`): its centre of mass lands on `position · scale + (scale − 1)/2`. A
/// 3-element position is used as is (`z` ignored) and, as in DeepTrack2, scaled twice.
pub(crate) fn corner(position: &[f64], z: f64, com: [f64; 3], s: [f64; 3]) -> [f64; 3] {
    if position.len() == 3 {
        std::array::from_fn(|i| (position[i] * s[i] + 0.5 * (s[i] - 1.0)) * s[i] - com[i])
    } else {
        let p = [position[0], position[1], z];
        std::array::from_fn(|i| (p[i] * s[i] - com[i]) + 0.5 * (s[i] - 1.0))
    }
}

/// The taps of the bilinear sub-pixel shift by `(xo, yo)`: `scipy.ndimage.convolve` with the kernel
/// `[[0,0,0],[0,(1-xo)(1-yo),(1-xo)yo],[0,xo(1-yo),xo·yo]]`, as `(weight, row shift, column shift)` in
/// scipy's order of summation (weights within machine epsilon of zero are skipped, as scipy does).
pub(super) fn taps(xo: f64, yo: f64) -> Vec<(f64, usize, usize)> {
    [(xo * yo, 1, 1), (xo * (1.0 - yo), 1, 0), ((1.0 - xo) * yo, 0, 1), ((1.0 - xo) * (1.0 - yo), 0, 0)]
        .into_iter()
        .filter(|(w, _, _)| w.abs() > f64::EPSILON)
        .collect()
}

fn alloc_zeros(n: usize) -> Result<Vec<f64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} numbers")))?;
    v.resize(n, 0.0);
    Ok(v)
}

/// `a · value` padded by 2 and shifted by `(xo, yo)` (see [`taps`]), keeping the padded array's
/// non-zero part: rows and columns `2..n + 3`, planes `2..n + 2` (the shift adds a row and a column;
/// the padding is zero). Summed exactly as the dense convolution, element by element; a complex
/// `value` (real and imaginary parts) is shifted part by part, as DeepTrack2 convolves `np.real` and
/// `np.imag` of a complex scatterer, and only then is there an imaginary part.
/// The result is at `corner` `[0, 0, 0]`, for the caller to set.
fn place(a: &[f64], runs: &Runs, value: [f64; 2], xo: f64, yo: f64) -> Result<Placed> {
    let [n0, n1, n2] = runs.shape;
    let (m0, m1) = (n0 + 1, n1 + 1);
    let taps = taps(xo, yo);
    let data = spread(a, runs, value[0], &taps)?;
    let imag = if value[1] != 0.0 { Some(spread(a, runs, value[1], &taps)?) } else { None };
    let mut rows = vec![[0, 0]; n2];
    let mut cols = vec![[0, 0]; n2 * m0];
    for k in 0..n2 {
        let (mut first, mut last) = (usize::MAX, 0);
        for i in 0..m0 {
            let at = (k * m0 + i) * m1;
            let row = &data[at..][..m1];
            let ends = match &imag {
                None => (row.iter().position(|&v| v != 0.0), row.iter().rposition(|&v| v != 0.0)),
                Some(im) => {
                    let nonzero = |j: usize| row[j] != 0.0 || im[at + j] != 0.0;
                    ((0..m1).position(nonzero), (0..m1).rposition(nonzero))
                }
            };
            if let (Some(j0), Some(j1)) = ends {
                cols[k * m0 + i] = [j0, j1 + 1];
                (first, last) = (first.min(i), last.max(i + 1));
            }
        }
        if first < last {
            rows[k] = [first, last];
        }
    }
    Ok(Placed { corner: [0; 3], shape: [m0, m1, n2], data, imag, rows, cols })
}

/// `a · value` shifted by `taps`, plane by plane, `(n0 + 1) × (n1 + 1)` per plane (see [`place`]).
fn spread(a: &[f64], runs: &Runs, value: f64, taps: &[(f64, usize, usize)]) -> Result<Vec<f64>> {
    let [n0, n1, n2] = runs.shape;
    let (m0, m1) = (n0 + 1, n1 + 1);
    // `a · value`, plane by plane, and which of its rows hold something.
    let mut scaled = alloc_zeros(element_count(&[n2, n0, n1])?)?;
    let mut filled = vec![false; n2 * n0];
    for run in &runs.runs {
        let (i, j) = (run.i as usize, run.j as usize);
        for k in run.k0 as usize..run.k1 as usize {
            scaled[(k * n0 + i) * n1 + j] = a[(i * n1 + j) * n2 + k] * value;
            filled[k * n0 + i] = true;
        }
    }
    let mut data = alloc_zeros(element_count(&[n2, m0, m1])?)?;
    for k in 0..n2 {
        for i in 0..m0 {
            // Rows i - 1 and i of the plane feed row i.
            let source = |di: usize| (i >= di && i - di < n0 && filled[k * n0 + i - di]).then(|| i - di);
            if source(0).is_none() && source(1).is_none() {
                continue;
            }
            let out = &mut data[(k * m0 + i) * m1..][..m1];
            for &(w, di, dj) in taps {
                let Some(src) = source(di) else { continue };
                let src = &scaled[(k * n0 + src) * n1..][..n1];
                for (o, &v) in out[dj..dj + n1].iter_mut().zip(src) {
                    *o += w * v;
                }
            }
        }
    }
    Ok(data)
}

/// Builds the volume of the sample images `inputs` for the optics `p`.
pub(super) fn assemble(inputs: &[Image], p: &Params) -> Result<Volume> {
    let s = p.scale;
    let bounds = p.region.map(|v| v as f64);
    let mut limits: Option<[[i64; 2]; 3]> = None;
    let mut placed = Vec::new();
    // The sample images that set the depth or add to the image: index, multiplier's magnitude (and its
    // property; 0 when culled) and z extent, for errors.
    let mut extents: Vec<Extent<'_>> = Vec::new();
    for (index, img) in inputs.iter().enumerate() {
        let a = img.data();
        if a.ndim() != 3 {
            return Err(Error::invalid(format!(
                "sample image {index} has shape {:?}; the optics image 3-D scatterer volumes",
                a.shape()
            )));
        }
        let shape = [a.shape()[0], a.shape()[1], a.shape()[2]];
        // What the scatterer handed over (or, for a volume whose dicts are not its scatterer's, what
        // they say).
        let sc = ScattererData::of(img, index)?;
        let (pos, z) = (&sc.position, sc.z);
        let (value, key) = multiplier(sc.multiplier, p);
        let mask = img.contiguous()?;
        let runs = Runs::of(mask, shape);
        let com = if mask.is_empty() { [0.0; 3] } else { runs.center_of_mass(mask, 1.0, 0) };
        let first = corner(pos, z, com, s);
        if let Some(axis) = (0..3).find(|&axis| first[axis].is_nan() || first[axis].abs() > MAX_COORDINATE) {
            // Rows and columns come from `position`, depth from `z` (or the position's third number).
            let source = if axis < 2 || pos.len() == 3 { "position" } else { "z" };
            let along = ["rows", "columns", "z"][axis];
            return Err(sc.error(
                index,
                source,
                format!(
                    "the scatterer lands {} simulation pixels from the origin along {along}, which exceeds the maximum \
                     of {} in magnitude",
                    num(first[axis]),
                    num(MAX_COORDINATE)
                ),
            ));
        }
        let seeds = limits.is_none();
        if seeds {
            limits = Some(first.map(|c| [c.floor() as i64, c.floor() as i64 + 1]));
        }
        // Culled against the output region without its padding (DeepTrack2 2.0.1 passes `padding=`
        // where `_create_volume` expects `pad=`).
        if first[0] + (shape[0] as f64) < bounds[0]
            || first[0] > bounds[2]
            || first[1] + (shape[1] as f64) < bounds[1]
            || first[1] > bounds[3]
        {
            if seeds {
                // The first scatterer sets the depth even when culled (but adds nothing to the image).
                extents.push(Extent {
                    index,
                    scatterer: sc.clone(),
                    key,
                    magnitude: 0.0,
                    z: [first[2].floor() as i64, first[2].floor() as i64 + 1],
                });
            }
            continue;
        }
        check_multiplier(&sc, index, value, key, p)?;
        // |value|: the centre of mass is that of `np.abs` of the (complex) multiplied array.
        let magnitude = if value[1] == 0.0 { value[0] } else { value[0].hypot(value[1]) };
        extents.push(Extent { index, scatterer: sc.clone(), key, magnitude, z: [0, 0] });
        // Multiplied, padded by 2 voxels on every side, placed by the padded array's centre of mass.
        let Some(com) = runs.checked_center_of_mass(mask, magnitude, 2) else {
            return Err(sc.error(
                index,
                key,
                format!(
                    "the centre of mass of the scatterer's volume times its {key} ({}) is not finite: its sums of \
                     |volume · {key}| · index overflow",
                    num(magnitude)
                ),
            ));
        };
        let c = corner(pos, z, com, s);
        let (xo, yo) = (c[0] - c[0].floor(), c[1] - c[1].floor());
        let mut item = place(mask, &runs, value, xo, yo)?;
        let c = c.map(|v| v.floor() as i64);
        let lim = limits.as_mut().expect("seeded above");
        for axis in 0..3 {
            lim[axis] = [lim[axis][0].min(c[axis]), lim[axis][1].max(c[axis] + shape[axis] as i64 + 4)];
        }
        item.corner = c.map(|v| v + 2);
        extents.last_mut().expect("pushed above").z = [c[2], c[2] + shape[2] as i64 + 4];
        placed.push(item);
    }

    let (z0, planes) = match limits {
        Some(l) => (l[2][0], (l[2][1] - l[2][0]) as usize),
        None => (0, 0),
    };
    if planes > MAX_PLANES {
        return Err(too_deep(&extents, planes, p));
    }
    let origin = [p.region[0] - p.padding[0], p.region[1] - p.padding[1]];
    // The scatterer with the largest multiplier, the likely culprit of an image that overflows.
    let loudest = extents
        .iter()
        .max_by(|a, b| a.magnitude.abs().total_cmp(&b.magnitude.abs()))
        .map(|e| (e.scatterer.label(e.index), e.key, e.magnitude));
    let mut volume =
        Volume { z0, planes, origin, window: p.window, items: Vec::new(), by_plane: Vec::new(), loudest, limits };
    // Only the items with something in the window, and the planes they have it in.
    let mut planes_of = std::collections::BTreeMap::<usize, Vec<(usize, usize)>>::new();
    for item in placed {
        let index = volume.items.len();
        volume.items.push(item);
        let mut inside = false;
        for k in 0..volume.items[index].shape[2] {
            let [r0, r1, _, _] = volume.item_box(index, k);
            if r0 < r1 {
                let plane = (volume.items[index].corner[2] + k as i64 - z0) as usize;
                planes_of.entry(plane).or_default().push((index, k));
                inside = true;
            }
        }
        if !inside {
            volume.items.pop();
        }
    }
    volume.by_plane = planes_of.into_iter().collect();
    Ok(volume)
}

/// The error for a sample deeper than [`MAX_PLANES`]: blames the z-upscale when the sample fits
/// without it, else the scatterer whose removal shrinks the depth the most (its `z`, or its
/// `position` when that has three numbers), or the one scatterer that is that deep by itself.
fn too_deep(extents: &[Extent<'_>], planes: usize, p: &Params) -> Error {
    let detail = |what: &str| {
        format!("{what} spans {planes} z-planes (simulation pixels), which exceeds the maximum of {MAX_PLANES}")
    };
    if p.upscale[2] > 1 && planes / p.upscale[2] <= MAX_PLANES {
        return Error::invalid(detail("the sample upscaled")).in_property("upscale");
    }
    // The depth without scatterer `skip`, from the two lowest starts and the two highest ends.
    let (mut lows, mut highs) = ([(i64::MAX, usize::MAX); 2], [(i64::MIN, usize::MAX); 2]);
    for (i, e) in extents.iter().enumerate() {
        if e.z[0] < lows[1].0 {
            lows[1] = (e.z[0], i);
            lows.sort_unstable();
        }
        if e.z[1] > highs[0].0 {
            highs[0] = (e.z[1], i);
            highs.sort_unstable();
        }
    }
    let span = |skip: usize| {
        let lo = if lows[0].1 == skip { lows[1].0 } else { lows[0].0 };
        let hi = if highs[1].1 == skip { highs[0].0 } else { highs[1].0 };
        hi.saturating_sub(lo)
    };
    // Ties (two scatterers) go to the one farther from the focal plane.
    let distance = |i: usize| (extents[i].z[0] + extents[i].z[1]).unsigned_abs();
    let Some(culprit) = (0..extents.len()).min_by_key(|&i| (span(i), std::cmp::Reverse(distance(i)))) else {
        return Error::invalid(detail("the sample"));
    };
    let Extent { index, scatterer, z: own, .. } = &extents[culprit];
    if (own[1] - own[0]) as usize > MAX_PLANES || extents.len() == 1 {
        let key = if scatterer.sized { "radius" } else { "position" };
        return scatterer.error(*index, key, detail("the scatterer"));
    }
    let key = if scatterer.position.len() == 3 { "position" } else { "z" };
    scatterer.error(*index, key, detail("the sample (this scatterer's depth against the others')"))
}

/// A scatterer that sets the sample's depth or adds to the image, for errors: its place among the
/// volumes, its record, its multiplier's property and magnitude (0 when culled), and its z extent.
struct Extent<'a> {
    index: usize,
    scatterer: Cow<'a, ScattererData>,
    key: &'static str,
    magnitude: f64,
    z: [i64; 2],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_shift_by_the_sub_pixel_offset() {
        let a = [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]; // the middle of a 3×3×1 array
        let runs = Runs::of(&a, [3, 3, 1]);
        let Placed { data, shape, rows, cols, imag, .. } = place(&a, &runs, [0.5, 0.0], 0.25, 0.5).unwrap();
        assert!(imag.is_none());
        assert_eq!(shape, [4, 4, 1]);
        // Element (1, 1) goes to (1, 1), (1, 2), (2, 1) and (2, 2).
        assert_eq!(data[5], 0.75 * 0.5 * 0.5);
        assert_eq!(data[6], 0.75 * 0.5 * 0.5);
        assert_eq!(data[9], 0.25 * 0.5 * 0.5);
        assert_eq!(data[10], 0.25 * 0.5 * 0.5);
        assert_eq!(data.iter().sum::<f64>(), 0.5);
        assert_eq!((rows, &cols[1..3]), (vec![[1, 3]], [[1, 3], [1, 3]].as_slice()));
    }
}
