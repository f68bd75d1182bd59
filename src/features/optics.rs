//! Optics: `Fluorescence` (incoherent imaging, a per-plane convolution with the point-spread function)
//! and `Brightfield` (coherent multislice propagation), as DeepTrack2 2.0.1 renders them
//! (docs/deeptrack2-rendering.md §2, §4–§6).
//!
//! An optics feature images a sample through a microscope (`optics(sample)`, [`Feature::microscope`]):
//! the microscope resolves the sample at the simulation voxel size `resolution / magnification /
//! upscale` (see [`OpticsContext`]), and the optics then
//! 1. place each scatterer volume at its `position` (sub-pixel, bilinear in rows and columns) and `z`,
//!    multiplied by `intensity · scale₀·scale₁/scale₂`, `refractive_index − refractive_index_medium` or
//!    `value` (`_create_volume`);
//! 2. render the padded output region (`output_region` rows `[x0, x1)`, columns `[y0, y1)`, plus
//!    `padding`) on an FFT grid of DeepTrack2's sizes (`2^a·3^b`, `a + b <= 8`, at most 6561);
//! 3. crop the padding and average `upscale × upscale` blocks back to camera pixels.
//!
//! The result is an `(H, W, 1)` image. `Brightfield(return_field=true)` returns the complex field as an
//! `(H, W, 1, 2)` image instead: real and imaginary parts along the trailing axis (an `Image` holds
//! real numbers only). With stored properties, the image carries every scatterer's dict, then the
//! optics' dict (then the microscope's).
//!
//! Properties (DeepTrack2's names and defaults): `NA` (0.7), `wavelength` (0.66e-6 m),
//! `refractive_index_medium` (1.33), `magnification` (10), `resolution` (1e-6 m, the camera pixel),
//! `padding` ((10, 10, 10, 10): rows before, columns before, rows after, columns after),
//! `output_region` ((0, 0, 128, 128)), `upscale` (1, or one per axis), and for `Brightfield`
//! `return_field` (false).
//!
//! [`Feature::microscope`]: crate::Feature::microscope

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::f64::consts::PI;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rustfft::num_complex::Complex64;

use super::FeatureKind;
use super::augmentations::move_positions;
use super::scatterers::{finite, finite_vec, position, positive};
use crate::error::{Error, ErrorKind, Result};
use crate::fft::{self, Fft2, Mat, RealFft2};
use crate::graph::{OpticsContext, ReplicaId, Resolver};
use crate::image::{Image, element_count};
use crate::properties::{PropertyDict, Rule};
use crate::sync::{Lock, LockGuard, Recover, overwrite};
use crate::value::Value;

/// Names registered by this family.
pub const NAMES: &[&str] = &["Fluorescence", "Brightfield"];

/// The kind registered under `name`, if this family has it.
pub fn builtin(name: &str) -> Option<Box<dyn FeatureKind>> {
    let mode = match name {
        "Fluorescence" => Mode::Fluorescence,
        "Brightfield" => Mode::Brightfield,
        _ => return None,
    };
    Some(Box::new(Optics { mode, otfs: Arc::new(Lock::new(OtfCache::default())) }))
}

/// The most z-planes (simulation pixels) a sample may span. DeepTrack2 allocates every plane of the
/// padded FFT grid, so deeper samples would not fit in memory there either.
pub const MAX_PLANES: usize = 1 << 16;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Fluorescence,
    Brightfield,
}

#[derive(Clone)]
struct Optics {
    mode: Mode,
    /// The optical transfer functions of the z-planes imaged so far (fluorescence) and the pupil's
    /// band (brightfield), kept between resolves while the optics' properties stay the same.
    otfs: Arc<Lock<OtfCache>>,
}

/// What an OTF depends on besides its plane's z: the grid and the optics' numbers (as bits).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct OtfKey {
    grid: [usize; 2],
    numbers: [u64; 6],
}

impl OtfKey {
    fn of(p: &Params) -> OtfKey {
        let v = p.voxel;
        OtfKey { grid: p.grid, numbers: [p.na, p.wavelength, p.n_medium, v[0], v[1], v[2]].map(f64::to_bits) }
    }
}

/// For one [`OtfKey`]: OTFs by z-plane (fluorescence), the pupil's band and the back-propagators by
/// the sample's far z (brightfield); at most [`OTF_CACHE_PLANES`] of each are kept.
#[derive(Default)]
struct OtfCache {
    key: OtfKey,
    planes: HashMap<i64, Arc<Vec<Complex64>>>,
    band: Option<Arc<Band>>,
    backs: HashMap<i64, Arc<Vec<Complex64>>>,
}

impl Recover for OtfCache {
    fn recover(&mut self) {
        // A thread gone with a fork was filling it: start empty (fork safety, see `crate::sync`).
        overwrite(self, OtfCache::default());
    }
}

/// The pupil on its band (see [`Pupil::band`]) and the one-z-pixel propagation step on it.
struct Band {
    us: Vec<usize>,
    vs: Vec<usize>,
    pupil: Pupil,
    step: Vec<Complex64>,
}

/// How many z-planes' OTFs an optics feature keeps (a sphere spans about 2 radius / voxel planes).
const OTF_CACHE_PLANES: usize = 256;

impl OtfCache {
    /// The OTF of plane `z`, `fft2(|ifft2(pupil defocused to z)|²)`, as the half spectrum `real`
    /// works with; computed once per key and plane.
    fn get(
        cache: &Lock<OtfCache>,
        p: &Params,
        pupil: &OnceCell<Pupil>,
        real: &RealFft2,
        z: i64,
    ) -> Result<Arc<Vec<Complex64>>> {
        let key = OtfKey::of(p);
        if let Some(otf) = OtfCache::lock(cache, key).planes.get(&z) {
            return Ok(Arc::clone(otf));
        }
        let pupil = match pupil.get() {
            Some(pupil) => pupil,
            None => {
                let _ = pupil.set(Pupil::new(p)?);
                pupil.get().expect("just set")
            }
        };
        let [n0, n1] = p.grid;
        let mut otf = fft::zeros(n0 * n1)?;
        pupil.fill(z as f64, &mut otf);
        // Computed once per plane and cached: a transform planned for it is fine.
        let mut fft = Fft2::new(n0, n1)?;
        fft.inverse(&mut otf);
        for v in otf.iter_mut() {
            let a = v.re.hypot(v.im);
            *v = Complex64::new(a * a, 0.0);
        }
        fft.forward(&mut otf);
        let otf = real.half_of(&otf)?;
        let otf = Arc::new(otf);
        let mut c = OtfCache::lock(cache, key);
        if c.planes.len() >= OTF_CACHE_PLANES {
            c.planes.clear();
        }
        c.planes.insert(z, Arc::clone(&otf));
        Ok(otf)
    }

    /// The cache, emptied first if it holds another key's.
    fn lock(cache: &Lock<OtfCache>, key: OtfKey) -> LockGuard<'_, OtfCache> {
        let mut c = cache.lock();
        if c.key != key {
            *c = OtfCache { key, ..OtfCache::default() };
        }
        c
    }

    /// The pupil's band and step for `p`, computed once per key.
    fn band(cache: &Lock<OtfCache>, p: &Params) -> Result<Arc<Band>> {
        let key = OtfKey::of(p);
        if let Some(band) = &OtfCache::lock(cache, key).band {
            return Ok(Arc::clone(band));
        }
        let (us, vs, pupil) = Pupil::band(p)?;
        let mut step = fft::zeros(us.len() * vs.len())?;
        pupil.fill(1.0, &mut step);
        let band = Arc::new(Band { us, vs, pupil, step });
        OtfCache::lock(cache, key).band = Some(Arc::clone(&band));
        Ok(band)
    }

    /// The pupil defocused by `-z1` z-pixels on `band` (the propagation back to the focal plane from
    /// `z1`, filtered by the pupil), computed once per key and `z1`.
    fn back(cache: &Lock<OtfCache>, p: &Params, band: &Band, z1: i64) -> Result<Arc<Vec<Complex64>>> {
        let key = OtfKey::of(p);
        if let Some(back) = OtfCache::lock(cache, key).backs.get(&z1) {
            return Ok(Arc::clone(back));
        }
        let mut back = fft::zeros(band.step.len())?;
        band.pupil.fill(-z1 as f64, &mut back);
        let back = Arc::new(back);
        let mut c = OtfCache::lock(cache, key);
        if c.backs.len() >= OTF_CACHE_PLANES {
            c.backs.clear();
        }
        c.backs.insert(z1, Arc::clone(&back));
        Ok(back)
    }
}

fn alloc_f64(n: usize) -> Result<Vec<f64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} numbers")))?;
    v.resize(n, 0.0);
    Ok(v)
}

/// `upscale`: a positive integer, or one per axis (3).
fn upscale(value: &Value) -> Result<[usize; 3]> {
    let v = finite_vec(value, 1..=3)?;
    if v.len() == 2 {
        return Err(Error::invalid("expected 1 or 3 factors (one per axis), got 2"));
    }
    let mut out = [0usize; 3];
    for (i, slot) in out.iter_mut().enumerate() {
        let u = if v.len() == 1 { v[0] } else { v[i] };
        if !(u >= 1.0 && u.fract() == 0.0 && u <= 1e6) {
            return Err(Error::invalid(format!("expected positive integer factors, got {u}")));
        }
        *slot = u as usize;
    }
    Ok(out)
}

/// `padding`: four non-negative numbers.
fn padding(value: &Value) -> Result<[f64; 4]> {
    let v = finite_vec(value, 4..=4)?;
    if let Some(x) = v.iter().find(|&&x| x < 0.0) {
        return Err(Error::invalid(format!("expected non-negative paddings, got {x}")));
    }
    Ok([v[0], v[1], v[2], v[3]])
}

/// `output_region`: `(x0, y0, x1, y1)` with `x1 > x0` and `y1 > y0`.
fn region(value: &Value) -> Result<[f64; 4]> {
    let v = finite_vec(value, 4..=4)?;
    if v[2] <= v[0] || v[3] <= v[1] {
        return Err(Error::invalid(format!(
            "expected (x0, y0, x1, y1) with x1 > x0 and y1 > y0, got ({}, {}, {}, {})",
            v[0], v[1], v[2], v[3]
        )));
    }
    Ok([v[0], v[1], v[2], v[3]])
}

/// `int(x)` (truncation toward zero) for coordinates in simulation pixels.
fn truncate(x: f64) -> Result<i64> {
    if x.is_finite() && x.abs() < 1e15 {
        Ok(x.trunc() as i64)
    } else {
        Err(Error::invalid(format!("{x} simulation pixels is out of range")))
    }
}

/// The validated properties, in simulation units.
struct Params {
    na: f64,
    wavelength: f64,
    n_medium: f64,
    voxel: [f64; 3],
    scale: [f64; 3],
    upscale: [usize; 3],
    /// `output_region` in simulation pixels.
    region: [i64; 4],
    /// `padding` in simulation pixels.
    padding: [i64; 4],
    return_field: bool,
    /// The padded output region (rows, columns) and its FFT grid.
    window: [usize; 2],
    grid: [usize; 2],
}

impl Params {
    fn new(props: &PropertyDict, mode: Mode) -> Result<Params> {
        let get = |key: &str, parse: fn(&Value) -> Result<f64>| -> Result<f64> {
            parse(props.require(key)?).map_err(|e| e.in_property(key))
        };
        let na = get("NA", positive)?;
        let wavelength = get("wavelength", positive)?;
        let n_medium = get("refractive_index_medium", positive)?;
        let magnification = get("magnification", positive)?;
        let resolution = get("resolution", positive)?;
        let upscale = upscale(props.require("upscale")?).map_err(|e| e.in_property("upscale"))?;
        let pad = padding(props.require("padding")?).map_err(|e| e.in_property("padding"))?;
        let out = region(props.require("output_region")?).map_err(|e| e.in_property("output_region"))?;
        let return_field = match (mode, props.get("return_field")) {
            (Mode::Brightfield, Some(v)) => v.as_bool().map_err(|e| e.in_property("return_field"))?,
            _ => false,
        };

        // DeepTrack2's unit context: the camera pixel in sample space, the simulation voxel, and the
        // scale as pint computes it (not always an exact integer).
        let pixel = resolution / magnification;
        let voxel = upscale.map(|u| pixel / u as f64);
        if !(pixel.is_finite() && pixel > 0.0 && voxel.iter().all(|v| v.is_finite() && *v > 0.0)) {
            return Err(Error::invalid(format!(
                "resolution / magnification = {resolution} / {magnification} is not a usable pixel size"
            ))
            .in_property("resolution"));
        }
        let scale = voxel.map(|v| if v == pixel { 1.0 } else { pixel * (1.0 / v) });
        let rounded = scale.map(f64::round_ties_even);
        let per_axis = [rounded[0], rounded[1], rounded[0], rounded[1]];
        let scaled = |v: [f64; 4], key: &str| -> Result<[i64; 4]> {
            let mut out = [0i64; 4];
            for i in 0..4 {
                out[i] = truncate(v[i] * per_axis[i]).map_err(|e| e.in_property(key))?;
            }
            Ok(out)
        };
        let region = scaled(out, "output_region")?;
        let padding = scaled(pad, "padding")?;
        if region[2] <= region[0] || region[3] <= region[1] {
            return Err(Error::invalid(format!("the region {region:?} in simulation pixels is empty"))
                .in_property("output_region"));
        }
        let mut window = [0usize; 2];
        let mut grid = [0usize; 2];
        for axis in 0..2 {
            let n = (region[axis + 2] - region[axis]) + padding[axis] + padding[axis + 2];
            let size = usize::try_from(n).ok().and_then(fft::fast_size).ok_or_else(|| {
                Error::invalid(format!(
                    "the padded output region spans {n} simulation pixels along axis {axis}, more than the largest \
                     FFT size ({}): reduce output_region, padding or upscale",
                    fft::MAX_SIZE
                ))
                .in_property("output_region")
            })?;
            window[axis] = n as usize;
            grid[axis] = size;
        }
        Ok(Params { na, wavelength, n_medium, voxel, scale, upscale, region, padding, return_field, window, grid })
    }

    fn context(&self) -> OpticsContext {
        OpticsContext { voxel_size: self.voxel, scale: self.scale }
    }
}

/// numpy's pairwise summation (`np.sum` of a contiguous float64 array), so that centres of mass agree
/// with scipy's to the last bit.
fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(0.0, |acc, &x| acc + x)
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        for chunk in a[8..full].chunks_exact(8) {
            for (acc, &x) in r.iter_mut().zip(chunk) {
                *acc += x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[full..] {
            res += x;
        }
        res
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
    }
}

/// `scipy.ndimage.center_of_mass(abs(a))` of a non-empty 3-D array, or the centre of the array when it
/// is all zero (DeepTrack2's `_get_position`).
fn center_of_mass(a: &[f64], shape: [usize; 3]) -> Result<[f64; 3]> {
    let abs: Vec<f64> = a.iter().map(|x| x.abs()).collect();
    let total = pairwise_sum(&abs);
    let mut weighted = alloc_f64(abs.len())?;
    let mut com = [0.0; 3];
    for (axis, slot) in com.iter_mut().enumerate() {
        for (n, w) in weighted.iter_mut().enumerate() {
            let index = match axis {
                0 => n / (shape[1] * shape[2]),
                1 => (n / shape[2]) % shape[1],
                _ => n % shape[2],
            };
            *w = abs[n] * index as f64;
        }
        *slot = pairwise_sum(&weighted) / total;
    }
    if com.iter().any(|c| c.is_nan()) {
        com = shape.map(|n| n as f64 / 2.0);
    }
    Ok(com)
}

/// Where voxel `[0, 0, 0]` of a scatterer array goes, in simulation pixels (`_get_position(mode=
/// "corner", return_z=True)`): its centre of mass lands on `position · scale + (scale − 1)/2`. A
/// 3-element position is used as is (`z` ignored) and, as in DeepTrack2, scaled twice.
fn corner(position: &[f64], z: f64, com: [f64; 3], s: [f64; 3]) -> [f64; 3] {
    if position.len() == 3 {
        std::array::from_fn(|i| (position[i] * s[i] + 0.5 * (s[i] - 1.0)) * s[i] - com[i])
    } else {
        let p = [position[0], position[1], z];
        std::array::from_fn(|i| (p[i] * s[i] - com[i]) + 0.5 * (s[i] - 1.0))
    }
}

/// A scatterer placed in the volume: its padded, sub-pixel-shifted array and the integer coordinates
/// of its voxel `[0, 0, 0]`.
struct Placed {
    corner: [i64; 3],
    shape: [usize; 3],
    data: Vec<f64>,
}

/// The sample volume inside the padded output region: the placed scatterers, drawn one z-plane at a
/// time (the optics go through the planes in order), so that only one plane is in memory at once.
struct Volume {
    /// The z (simulation pixels) of plane 0.
    z0: i64,
    /// How many planes the sample spans.
    planes: usize,
    /// The window's corner in simulation pixels.
    origin: [i64; 2],
    /// The scatterers that fall in the window, with the rows and columns of theirs that do.
    items: Vec<(Placed, std::ops::Range<usize>, std::ops::Range<usize>)>,
    /// The box `[r0, r1, c0, c1]` (window coordinates) that the items falling in a plane cover, by
    /// plane index: only these planes can be non-zero.
    boxes: BTreeMap<usize, [usize; 4]>,
}

impl Volume {
    /// Plane `k` drawn in `buf`: the scatterers' values summed in their order (DeepTrack2's), or
    /// `None` when the plane is all zero.
    fn plane<'b>(&self, k: usize, buf: &'b mut Vec<f64>) -> Result<Option<Plane<'b>>> {
        let Some(&[r0, r1, c0, c1]) = self.boxes.get(&k) else { return Ok(None) };
        let (h, w) = (r1 - r0, c1 - c0);
        buf.clear();
        buf.try_reserve(h * w).map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate a sample plane"))?;
        buf.resize(h * w, 0.0);
        let z = self.z0 + k as i64;
        for (item, ra, rb) in &self.items {
            if !(item.corner[2]..item.corner[2] + item.shape[2] as i64).contains(&z) {
                continue;
            }
            let depth = (z - item.corner[2]) as usize;
            for a in ra.clone() {
                let row = (item.corner[0] + a as i64 - self.origin[0]) as usize - r0;
                for b in rb.clone() {
                    let col = (item.corner[1] + b as i64 - self.origin[1]) as usize - c0;
                    buf[row * w + col] += item.data[(a * item.shape[1] + b) * item.shape[2] + depth];
                }
            }
        }
        Ok(buf.iter().any(|&v| v != 0.0).then_some(Plane { r0, c0, h, w, data: buf }))
    }
}

/// One z-plane of the window: the box that its scatterers cover (rows `r0..r0 + h`, columns `c0..c0 +
/// w` of the window), row-major; the window is zero outside it. Kept as a box so that a small sample
/// in a large field of view costs its own size, not the window's.
struct Plane<'a> {
    r0: usize,
    c0: usize,
    h: usize,
    w: usize,
    data: &'a [f64],
}

impl Plane<'_> {
    /// Row `r` of the window inside the box, with the window column it starts at.
    fn row(&self, r: usize) -> Option<(usize, &[f64])> {
        (self.r0..self.r0 + self.h).contains(&r).then(|| (self.c0, &self.data[(r - self.r0) * self.w..][..self.w]))
    }

    /// The smallest box `[r0, r1, c0, c1]` (window coordinates) holding every non-zero value.
    fn tight(&self) -> [usize; 4] {
        let mut b = [usize::MAX, 0, usize::MAX, 0];
        for (i, row) in self.data.chunks_exact(self.w).enumerate() {
            if let (Some(first), Some(last)) = (row.iter().position(|&v| v != 0.0), row.iter().rposition(|&v| v != 0.0))
            {
                b = [b[0].min(i), b[1].max(i + 1), b[2].min(first), b[3].max(last + 1)];
            }
        }
        [b[0] + self.r0, b[1] + self.r0, b[2] + self.c0, b[3] + self.c0]
    }
}

/// What a scatterer volume is multiplied by: `intensity` (times the upscale fudge factor), else
/// `refractive_index - refractive_index_medium`, else `value`. Properties set to None count as absent.
fn multiplier(img: &Image, index: usize, p: &Params) -> Result<f64> {
    let number = |key: &str| -> Result<Option<f64>> {
        match img.get_property(key) {
            None | Some(Value::None) => Ok(None),
            Some(v) => finite(v)
                .map(Some)
                .map_err(|e| Error::invalid(format!("sample image {index}: '{key}' must be a number ({e})"))),
        }
    };
    let s = p.scale;
    if let Some(intensity) = number("intensity")? {
        Ok(intensity * (s[0] * s[1] / s[2]))
    } else if let Some(n) = number("refractive_index")? {
        Ok(n - p.n_medium)
    } else if let Some(value) = number("value")? {
        Ok(value)
    } else {
        Err(Error::invalid(format!(
            "sample image {index} has no 'intensity', 'refractive_index' or 'value' property: the sample must be \
             made of scatterers"
        )))
    }
}

/// `_create_volume` followed by `_pad_volume` and the window crop: every scatterer is placed with
/// DeepTrack2's exact rules (culling against the bare output region, the first scatterer seeding the
/// limits even when culled, pad by 2, bilinear 3×3 kernel), but only the padded output region is
/// stored, and only the planes something falls in.
fn assemble(inputs: &[Image], p: &Params) -> Result<Volume> {
    let s = p.scale;
    let bounds = p.region.map(|v| v as f64);
    let mut limits: Option<[[i64; 2]; 3]> = None;
    let mut placed = Vec::new();
    for (index, img) in inputs.iter().enumerate() {
        let a = img.data();
        if a.ndim() != 3 {
            return Err(Error::invalid(format!(
                "sample image {index} has shape {:?}; the optics image 3-D scatterer volumes",
                a.shape()
            )));
        }
        let shape = [a.shape()[0], a.shape()[1], a.shape()[2]];
        let pos = img.get_property("position").ok_or_else(|| {
            Error::invalid(format!(
                "sample image {index} has no 'position' property: the sample must be made of scatterers"
            ))
        })?;
        let pos = position(pos)
            .map_err(|e| Error::invalid(format!("sample image {index}: 'position' must be 2 or 3 numbers ({e})")))?;
        let z = match img.get_property("z") {
            None | Some(Value::None) => 0.0,
            Some(v) => {
                finite(v).map_err(|e| Error::invalid(format!("sample image {index}: 'z' must be a number ({e})")))?
            }
        };
        let value = multiplier(img, index, p)?;
        let mask = img.as_slice();
        let com = if mask.is_empty() { [0.0; 3] } else { center_of_mass(mask, shape)? };
        let first = corner(&pos, z, com, s);
        if first.iter().any(|c| !(c.is_finite() && c.abs() < 2e9)) {
            return Err(Error::invalid(format!(
                "sample image {index} lies at {first:?} simulation pixels, out of range: check its properties \
                 'position' and 'z'"
            )));
        }
        if limits.is_none() {
            limits = Some(first.map(|c| [c.floor() as i64, c.floor() as i64 + 1]));
        }
        // Culled against the output region without its padding (DeepTrack2 2.0.1 passes `padding=`
        // where `_create_volume` expects `pad=`).
        if first[0] + (shape[0] as f64) < bounds[0]
            || first[0] > bounds[2]
            || first[1] + (shape[1] as f64) < bounds[1]
            || first[1] > bounds[3]
        {
            continue;
        }
        // Multiply, then pad by 2 voxels on every side.
        let pshape = shape.map(|n| n + 4);
        let mut padded = alloc_f64(element_count(&pshape)?)?;
        for i in 0..shape[0] {
            for j in 0..shape[1] {
                let src = (i * shape[1] + j) * shape[2];
                let dst = ((i + 2) * pshape[1] + j + 2) * pshape[2] + 2;
                for k in 0..shape[2] {
                    padded[dst + k] = mask[src + k] * value;
                }
            }
        }
        let c = corner(&pos, z, center_of_mass(&padded, pshape)?, s);
        let (xo, yo) = (c[0] - c[0].floor(), c[1] - c[1].floor());
        let data = spline(&padded, pshape, xo, yo)?;
        let c = c.map(|v| v.floor() as i64);
        let lim = limits.as_mut().expect("seeded above");
        for axis in 0..3 {
            lim[axis] = [lim[axis][0].min(c[axis]), lim[axis][1].max(c[axis] + pshape[axis] as i64)];
        }
        placed.push(Placed { corner: c, shape: pshape, data });
    }

    let (z0, planes) = match limits {
        Some(l) => (l[2][0], (l[2][1] - l[2][0]) as usize),
        None => (0, 0),
    };
    if planes > MAX_PLANES {
        return Err(Error::invalid(format!(
            "the sample spans {planes} z-planes (simulation pixels), more than {MAX_PLANES}: check the scatterers' z"
        )));
    }
    let [rows, cols] = p.window;
    let origin = [p.region[0] - p.padding[0], p.region[1] - p.padding[1]];
    // The part of each item inside the window, in the item's own indices.
    let spans = |item: &Placed| {
        let span = |axis: usize, len: usize| {
            let lo = (origin[axis] - item.corner[axis]).clamp(0, item.shape[axis] as i64) as usize;
            let hi = (origin[axis] + len as i64 - item.corner[axis]).clamp(0, item.shape[axis] as i64) as usize;
            lo..hi.max(lo)
        };
        (span(0, rows), span(1, cols))
    };
    // Each plane's box: the window rows and columns its items cover.
    let mut boxes: BTreeMap<usize, [usize; 4]> = BTreeMap::new();
    for item in &placed {
        let (ra, rb) = spans(item);
        if ra.is_empty() || rb.is_empty() {
            continue;
        }
        let at = |axis: usize, i: usize| (item.corner[axis] + i as i64 - origin[axis]) as usize;
        let cover = [at(0, ra.start), at(0, ra.end), at(1, rb.start), at(1, rb.end)];
        for k in 0..item.shape[2] {
            let plane = (item.corner[2] + k as i64 - z0) as usize;
            let b = boxes.entry(plane).or_insert(cover);
            *b = [b[0].min(cover[0]), b[1].max(cover[1]), b[2].min(cover[2]), b[3].max(cover[3])];
        }
    }
    let items = placed
        .into_iter()
        .filter_map(|item| {
            let (ra, rb) = spans(&item);
            (!ra.is_empty() && !rb.is_empty()).then_some((item, ra, rb))
        })
        .collect();
    Ok(Volume { z0, planes, origin, items, boxes })
}

/// The bilinear sub-pixel shift by `(xo, yo)` of every z-slice: `scipy.ndimage.convolve` with the
/// kernel `[[0,0,0],[0,(1-xo)(1-yo),(1-xo)yo],[0,xo(1-yo),xo·yo]]` and zero borders, summed in scipy's
/// order (weights within machine epsilon of zero are skipped, as scipy does).
fn spline(a: &[f64], shape: [usize; 3], xo: f64, yo: f64) -> Result<Vec<f64>> {
    let taps: Vec<(f64, usize, usize)> =
        [(xo * yo, 1, 1), (xo * (1.0 - yo), 1, 0), ((1.0 - xo) * yo, 0, 1), ((1.0 - xo) * (1.0 - yo), 0, 0)]
            .into_iter()
            .filter(|(w, _, _)| w.abs() > f64::EPSILON)
            .collect();
    let mut out = alloc_f64(a.len())?;
    for i in 0..shape[0] {
        for j in 0..shape[1] {
            for k in 0..shape[2] {
                let mut acc = 0.0;
                for &(w, di, dj) in &taps {
                    if i >= di && j >= dj {
                        acc += w * a[((i - di) * shape[1] + j - dj) * shape[2] + k];
                    }
                }
                out[(i * shape[1] + j) * shape[2] + k] = acc;
            }
        }
    }
    Ok(out)
}

/// DeepTrack2's pupil on an `n0 × n1` FFT grid: at centred index `(i, j)`, `ρ² = x² + y²` with `x = (i -
/// n0/2) / r0 + 1e-8` (and `y` alike), inside where `ρ² < 1`, with the defocus phase per z-pixel `kz =
/// k·√(1 − (NA/n)²·ρ²)` (0 where the wave is evanescent); `fftshift` moves it to FFT order.
struct PupilGrid {
    n: [usize; 2],
    r: [f64; 2],
    c: f64,
    k: f64,
}

impl PupilGrid {
    fn of(p: &Params) -> PupilGrid {
        let n = p.grid;
        let r = [0, 1].map(|axis| p.na / p.wavelength * p.voxel[axis] * n[axis] as f64);
        let na_n = p.na / p.n_medium;
        PupilGrid { n, r, c: na_n * na_n, k: 2.0 * PI * p.n_medium / p.wavelength * p.voxel[2] }
    }

    /// The pupil at centred index `(i, j)`: its FFT-order indices, whether it is inside, and `kz`.
    fn at(&self, i: usize, j: usize) -> ([usize; 2], bool, f64) {
        let [n0, n1] = self.n;
        let x = (i as f64 - n0 as f64 / 2.0) / self.r[0] + 1e-8;
        let y = (j as f64 - n1 as f64 / 2.0) / self.r[1] + 1e-8;
        let rho = y * y + x * x;
        let arg = 1.0 - self.c * rho;
        // fftshift rolls by n/2 (rounded down).
        let at = [(i + n0 / 2) % n0, (j + n1 / 2) % n1];
        (at, rho < 1.0, if arg > 0.0 { self.k * arg.sqrt() } else { 0.0 })
    }

    /// The centred indices along `axis` that can be inside: `x² < 1` needs `|i − n/2| < r (1 + 1e-8)`.
    fn candidates(&self, axis: usize) -> std::ops::Range<usize> {
        let (n, r) = (self.n[axis], self.r[axis]);
        let lo = (n as f64 / 2.0 - r - 2.0).floor().max(0.0) as usize;
        let hi = (n as f64 / 2.0 + r + 2.0).ceil().min(n as f64) as usize;
        lo.min(n)..hi.max(lo.min(n))
    }
}

/// The pupil on an FFT grid, or on the rows and columns of one where it is non-zero (see
/// [`Pupil::band`]): its support and the defocus phase per z-pixel, in FFT order.
struct Pupil {
    support: Vec<bool>,
    kz: Vec<f64>,
}

impl Pupil {
    /// The pupil on the whole grid (row-major, FFT order).
    fn new(p: &Params) -> Result<Pupil> {
        let g = PupilGrid::of(p);
        let [n0, n1] = g.n;
        let n = n0 * n1;
        let mut support = Vec::new();
        support.try_reserve_exact(n).map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate the pupil"))?;
        support.resize(n, false);
        let mut kz = alloc_f64(n)?;
        for i in 0..n0 {
            for j in 0..n1 {
                let ([si, sj], inside, z) = g.at(i, j);
                support[si * n1 + sj] = inside;
                kz[si * n1 + sj] = z;
            }
        }
        Ok(Pupil { support, kz })
    }

    /// The pupil on its band: the grid rows `us` and columns `vs` (FFT order) that hold at least one
    /// point inside it, as a dense `us.len() × vs.len()` block (every point of the grid outside the
    /// block is outside the pupil). Costs the band, not the grid.
    fn band(p: &Params) -> Result<(Vec<usize>, Vec<usize>, Pupil)> {
        let g = PupilGrid::of(p);
        let (ci, cj) = (g.candidates(0), g.candidates(1));
        let at = |i: usize, j: usize| g.at(ci.start + i, cj.start + j);
        let (ni, nj) = (ci.len(), cj.len());
        let rows: Vec<usize> = (0..ni).filter(|&i| (0..nj).any(|j| at(i, j).1)).collect();
        let cols: Vec<usize> = (0..nj).filter(|&j| (0..ni).any(|i| at(i, j).1)).collect();
        let mut support = Vec::new();
        let m = rows.len() * cols.len();
        support.try_reserve_exact(m).map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate the pupil"))?;
        let mut kz = alloc_f64(m)?;
        for (a, &i) in rows.iter().enumerate() {
            for (b, &j) in cols.iter().enumerate() {
                let (_, inside, z) = at(i, j);
                support.push(inside);
                kz[a * cols.len() + b] = z;
            }
        }
        let us = rows.iter().map(|&i| at(i, 0).0[0]).collect();
        let vs = cols.iter().map(|&j| at(0, j).0[1]).collect();
        Ok((us, vs, Pupil { support, kz }))
    }

    /// The pupil defocused by `d` z-pixels: `P · exp(i·d·kz)`.
    fn fill(&self, d: f64, out: &mut [Complex64]) {
        for ((o, &inside), &kz) in out.iter_mut().zip(&self.support).zip(&self.kz) {
            *o = if inside {
                let phase = d * kz;
                Complex64::new(phase.cos(), phase.sin())
            } else {
                Complex64::new(0.0, 0.0)
            };
        }
    }
}

/// `Fluorescence.get`: each non-empty plane convolved (circularly, on the FFT grid) with the
/// intensity point-spread function `|ifft2(pupil defocused to the plane's z)|²`, summed. The planes'
/// spectra times their OTFs (cached per z-plane between resolves) are summed in Fourier space and
/// transformed back once; the planes and the result being real, only half of each spectrum is
/// computed, and a plane's all-zero rows are skipped. Returns the window (rows × columns).
fn fluorescence(volume: &Volume, p: &Params, otfs: &Lock<OtfCache>) -> Result<Vec<f64>> {
    let [rows, cols] = p.window;
    let mut out = alloc_f64(rows * cols)?;
    fluorescence_rows(volume, p, otfs, |r, values| out[r * cols..(r + 1) * cols].copy_from_slice(&values[..cols]))?;
    Ok(out)
}

/// [`fluorescence`], passing each row `r` of the window to `row(r, values)` (values beyond the
/// window's columns are to be ignored); rows of an empty sample are not passed (they are zero).
fn fluorescence_rows(volume: &Volume, p: &Params, otfs: &Lock<OtfCache>, row: impl FnMut(usize, &[f64])) -> Result<()> {
    if volume.boxes.is_empty() {
        return Ok(());
    }
    let [n0, n1] = p.grid;
    let pupil = OnceCell::new();
    fft::with_real_fft2(n0, n1, |real| fluorescence_sum(volume, p, otfs, &pupil, real, row))?
}

/// The body of [`fluorescence_rows`], with the calling thread's real transform of the grid.
fn fluorescence_sum(
    volume: &Volume,
    p: &Params,
    otfs: &Lock<OtfCache>,
    pupil: &OnceCell<Pupil>,
    real: &mut RealFft2,
    out: impl FnMut(usize, &[f64]),
) -> Result<()> {
    let rows = p.window[0];
    // The spectra live in the thread's transform between images (no allocation per image).
    let (mut sum, mut spectrum) = real.take_work()?;
    sum.fill(Complex64::new(0.0, 0.0));
    let mut buf = Vec::new();
    for &k in volume.boxes.keys() {
        let Some(plane) = volume.plane(k, &mut buf)? else { continue };
        let otf = OtfCache::get(otfs, p, pupil, real, volume.z0 + k as i64)?;
        let row = |r: usize| plane.row(r).filter(|(_, row)| row.iter().any(|&v| v != 0.0));
        real.forward(row, &mut spectrum);
        for ((s, f), o) in sum.iter_mut().zip(&spectrum).zip(otf.iter()) {
            *s += f * o;
        }
    }
    real.inverse(&mut sum, rows, out);
    real.put_work(sum, spectrum);
    Ok(())
}

/// `Brightfield.get`: a unit plane wave propagated through the sample one z-pixel at a time (every
/// plane, empty ones included), refracted by `exp(i·Δn·voxel_z·2π·n_medium/λ)` in each non-empty
/// plane, propagated back to the focal plane and filtered by the pupil. `column(x, field)` receives
/// the complex field of each column `x` of the window in turn.
///
/// DeepTrack2 transforms the whole grid twice per plane. Every propagation step multiplies the
/// spectrum by the pupil, so the spectrum lives on the pupil's band (a few percent of the grid at
/// usual NA and voxel sizes), and refraction changes the field only where the plane is non-zero:
/// with `T = 1 + M`, `fft2(ifft2(L)·T) = L + fft2(ifft2(L)·M)`, and `M` is zero outside the plane's
/// box. So the spectrum is kept on the band only, and each plane adds `fft2(ifft2(L)·M)` computed
/// directly between the band and the box (four complex matrix products) when that is cheaper than
/// the two full transforms, which are used otherwise. The same numbers as DeepTrack2's, up to
/// rounding.
fn brightfield(
    volume: &Volume,
    p: &Params,
    cache: &Lock<OtfCache>,
    column: impl FnMut(usize, &[Complex64]),
) -> Result<()> {
    brightfield_with(volume, p, cache, Route::Cheapest, column)
}

/// How [`brightfield_with`] refracts a plane.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Route {
    /// Whichever costs fewer operations.
    Cheapest,
    /// Always full-grid transforms (DeepTrack2's way; tests compare the routes).
    #[cfg_attr(not(test), allow(dead_code))]
    FullGrid,
    /// Always matrix products between the band and the box.
    #[cfg_attr(not(test), allow(dead_code))]
    Direct,
}

fn brightfield_with(
    volume: &Volume,
    p: &Params,
    cache: &Lock<OtfCache>,
    route: Route,
    column: impl FnMut(usize, &[Complex64]),
) -> Result<()> {
    let [n0, n1] = p.grid;
    let band = OtfCache::band(cache, p)?;
    let (us, vs) = (&band.us[..], &band.vs[..]);
    let nv = vs.len();
    // fft2 of the unit illumination: all of it at DC (outside the band, the first step removes it).
    let mut light = fft::zeros(us.len() * nv)?;
    if let (Some(a), Some(b)) = (us.iter().position(|&u| u == 0), vs.iter().position(|&v| v == 0)) {
        light[a * nv + b] = Complex64::new((n0 * n1) as f64, 0.0);
    }
    let k = 2.0 * PI / p.wavelength * p.n_medium;
    let mut refract = Refraction { us, vs, grid: p.grid, roots: None, full: None };
    let mut buf = Vec::new();
    for plane_index in 0..volume.planes {
        for (l, s) in light.iter_mut().zip(&band.step) {
            *l *= s;
        }
        let Some(plane) = volume.plane(plane_index, &mut buf)? else { continue };
        refract.plane(&mut light, &plane, p.voxel[2] * k, route)?;
    }
    // Back to the focal plane, through the pupil (the in-focus pupil is 1 inside, 0 outside).
    let back = OtfCache::back(cache, p, &band, volume.z0 + volume.planes as i64)?;
    for ((l, b), &inside) in light.iter_mut().zip(back.iter()).zip(&band.pupil.support) {
        *l = if inside { *l * b } else { Complex64::new(0.0, 0.0) };
    }
    fft::inverse_band(p.grid, us, vs, &light, p.window, column)
}

/// Refracts a band-limited spectrum through planes (see [`brightfield`]); keeps the twiddle factors
/// and the full-grid transform between planes.
struct Refraction<'a> {
    us: &'a [usize],
    vs: &'a [usize],
    grid: [usize; 2],
    roots: Option<[Vec<Complex64>; 2]>,
    full: Option<(Fft2, Vec<Complex64>)>,
}

impl Refraction<'_> {
    /// `light ← fft2(ifft2(light) · exp(i·phase·plane))` on the band, where `light` is the band block.
    fn plane(&mut self, light: &mut [Complex64], plane: &Plane, phase: f64, route: Route) -> Result<()> {
        let [r0, r1, c0, c1] = plane.tight();
        let (nr, nc) = (r1 - r0, c1 - c0);
        // `exp(iφ) − 1` on the box, without cancellation for small φ: `−2 sin²(φ/2) + i sin φ`.
        let mut factor = fft::zeros(nr * nc)?;
        for (y, row) in factor.chunks_exact_mut(nc).enumerate() {
            let (_, values) = plane.row(r0 + y).expect("the tight box lies inside the plane's box");
            for (x, f) in row.iter_mut().enumerate() {
                let dn = values[c0 - plane.c0 + x];
                if dn != 0.0 {
                    let (sin, half) = ((dn * phase).sin(), (dn * phase / 2.0).sin());
                    *f = Complex64::new(-2.0 * half * half, sin);
                }
            }
        }
        let [n0, n1] = self.grid;
        let (nu, nv) = (self.us.len(), self.vs.len());
        // Complex multiply-adds: the four products against two full transforms (~n·log2(n) each).
        let direct = nu * nv * (nr + nc) + nr * nc * (nu + nv);
        let n = n0 * n1;
        let full = n * (usize::BITS - n.leading_zeros()) as usize;
        if route == Route::Direct || (route == Route::Cheapest && direct < full) {
            self.direct(light, [r0, c0], [nr, nc], &factor)
        } else {
            self.full_grid(light, [r0, c0], [nr, nc], &factor)
        }
    }

    /// The plane's change of the spectrum by matrix products between the band and the box:
    /// `g = W0 · (L · W1) / n` is `ifft2(L)` on the box, and `L += W0ᴴ · ((g·M) · W1ᴴ)`.
    fn direct(
        &mut self,
        light: &mut [Complex64],
        [r0, c0]: [usize; 2],
        [nr, nc]: [usize; 2],
        m: &[Complex64],
    ) -> Result<()> {
        let [n0, n1] = self.grid;
        let (us, vs) = (self.us, self.vs);
        let (nu, nv) = (us.len(), vs.len());
        if self.roots.is_none() {
            self.roots = Some([fft::roots(n0)?, fft::roots(n1)?]);
        }
        let [root0, root1] = self.roots.as_ref().expect("just set");
        // w0[y][a] = e^{2πi·us[a]·(r0+y)/n0}, w1[b][x] = e^{2πi·vs[b]·(c0+x)/n1}, and their conjugates.
        let twiddles = |root: &[Complex64], freqs: &[usize], start: usize, len: usize, freq_major: bool| {
            let n = root.len();
            let mut w = fft::zeros(freqs.len() * len)?;
            for (f, &q) in freqs.iter().enumerate() {
                for x in 0..len {
                    let at = if freq_major { f * len + x } else { x * freqs.len() + f };
                    w[at] = root[q * (start + x) % n];
                }
            }
            Ok::<_, Error>(w)
        };
        let w0 = twiddles(root0, us, r0, nr, false)?; // nr × nu
        let w1 = twiddles(root1, vs, c0, nc, true)?; // nv × nc
        let conj = |w: &[Complex64]| w.iter().map(|v| v.conj()).collect::<Vec<_>>();
        let (w0c, w1c) = (conj(&w0), conj(&w1));
        let mut h = fft::zeros(nu * nc)?;
        fft::gemm([nu, nv, nc], 1.0, Mat::rows(light, nv), Mat::rows(&w1, nc), 0.0, &mut h);
        let mut g = fft::zeros(nr * nc)?;
        fft::gemm([nr, nu, nc], 1.0 / (n0 * n1) as f64, Mat::rows(&w0, nu), Mat::rows(&h, nc), 0.0, &mut g);
        for (v, f) in g.iter_mut().zip(m) {
            *v *= f;
        }
        let mut e = fft::zeros(nr * nv)?;
        fft::gemm([nr, nc, nv], 1.0, Mat::rows(&g, nc), Mat::transposed(&w1c, nc), 0.0, &mut e);
        fft::gemm([nu, nr, nv], 1.0, Mat::transposed(&w0c, nu), Mat::rows(&e, nv), 1.0, light);
        Ok(())
    }

    /// The plane's change of the spectrum through full-grid transforms (DeepTrack2's computation).
    fn full_grid(
        &mut self,
        light: &mut [Complex64],
        [r0, c0]: [usize; 2],
        [nr, nc]: [usize; 2],
        m: &[Complex64],
    ) -> Result<()> {
        let [n0, n1] = self.grid;
        if self.full.is_none() {
            self.full = Some((Fft2::new(n0, n1)?, fft::zeros(n0 * n1)?));
        }
        let (fft, grid) = self.full.as_mut().expect("just set");
        let (us, vs) = (self.us, self.vs);
        let nv = vs.len();
        grid.fill(Complex64::new(0.0, 0.0));
        for (a, &u) in us.iter().enumerate() {
            for (b, &v) in vs.iter().enumerate() {
                grid[u * n1 + v] = light[a * nv + b];
            }
        }
        fft.inverse(grid);
        for y in 0..nr {
            for x in 0..nc {
                let at = (r0 + y) * n1 + c0 + x;
                let v = grid[at];
                grid[at] = v + v * m[y * nc + x];
            }
        }
        fft.forward(grid);
        for (a, &u) in us.iter().enumerate() {
            for (b, &v) in vs.iter().enumerate() {
                light[a * nv + b] = grid[u * n1 + v];
            }
        }
        Ok(())
    }
}

/// Crops the padding off a window image (`[PAD0 : X-PAD2, PAD1 : Y-PAD3]`, so that zero padding keeps
/// the whole region) and averages `ux × uy` blocks (zero-padded at the end, as `block_reduce` does).
fn crop_and_pool(window: &[f64], p: &Params) -> (Vec<f64>, [usize; 2]) {
    let cols = p.window[1];
    let (top, left) = (p.padding[0] as usize, p.padding[1] as usize);
    let (h, w) = ((p.region[2] - p.region[0]) as usize, (p.region[3] - p.region[1]) as usize);
    let at = |r: usize, c: usize| window[(top + r) * cols + left + c];
    let (ux, uy) = (p.upscale[0], p.upscale[1]);
    if ux == 1 && uy == 1 {
        let mut data = Vec::with_capacity(h * w);
        for r in 0..h {
            data.extend_from_slice(&window[(top + r) * cols + left..][..w]);
        }
        return (data, [h, w]);
    }
    let (ph, pw) = (h.div_ceil(ux), w.div_ceil(uy));
    let block = (ux * uy) as f64;
    let mut data = Vec::with_capacity(ph * pw);
    for br in 0..ph {
        for bc in 0..pw {
            let mut sum = 0.0;
            for r in br * ux..(br + 1) * ux {
                for c in bc * uy..(bc + 1) * uy {
                    sum += if r < h && c < w { at(r, c) } else { 0.0 };
                }
            }
            data.push(sum / block);
        }
    }
    (data, [ph, pw])
}

impl Optics {
    fn check(&self, key: &str, value: &Value) -> Result<()> {
        match key {
            "NA" | "wavelength" | "refractive_index_medium" | "magnification" | "resolution" => {
                positive(value).map(|_| ())
            }
            "upscale" => upscale(value).map(|_| ()),
            "padding" => padding(value).map(|_| ()),
            "output_region" => region(value).map(|_| ()),
            "return_field" if self.mode == Mode::Brightfield => value.as_bool().map(|_| ()),
            _ => Ok(()),
        }
    }

    /// The image of the sample volumes: `(H, W, 1)`, or `(H, W, 1, 2)` for a returned field.
    fn render(&self, inputs: &[Image], p: &Params) -> Result<ArrayD<f64>> {
        let volume = assemble(inputs, p)?;
        let (data, shape) = match self.mode {
            Mode::Fluorescence if p.upscale[0] == 1 && p.upscale[1] == 1 => {
                // The region's rows go straight into the image (no window-sized buffer).
                let (top, left) = (p.padding[0] as usize, p.padding[1] as usize);
                let (h, w) = ((p.region[2] - p.region[0]) as usize, (p.region[3] - p.region[1]) as usize);
                let mut data = alloc_f64(h * w)?;
                fluorescence_rows(&volume, p, &self.otfs, |r, values| {
                    if (top..top + h).contains(&r) {
                        data[(r - top) * w..][..w].copy_from_slice(&values[left..left + w]);
                    }
                })?;
                (data, vec![h, w, 1])
            }
            Mode::Fluorescence => {
                let (data, [h, w]) = crop_and_pool(&fluorescence(&volume, p, &self.otfs)?, p);
                (data, vec![h, w, 1])
            }
            Mode::Brightfield => {
                let [rows, cols] = p.window;
                let mut window = alloc_f64(rows * cols * if p.return_field { 2 } else { 1 })?;
                if p.return_field {
                    let (re, im) = window.split_at_mut(rows * cols);
                    brightfield(&volume, p, &self.otfs, |x, field| {
                        for (y, v) in field.iter().enumerate() {
                            re[y * cols + x] = v.re;
                            im[y * cols + x] = v.im;
                        }
                    })?;
                    let (re, [h, w]) = crop_and_pool(re, p);
                    let (im, _) = crop_and_pool(im, p);
                    (re.into_iter().zip(im).flat_map(|(a, b)| [a, b]).collect(), vec![h, w, 1, 2])
                } else {
                    // |field|², as numpy's square(abs(field)) up to rounding.
                    brightfield(&volume, p, &self.otfs, |x, field| {
                        for (y, v) in field.iter().enumerate() {
                            window[y * cols + x] = v.norm_sqr();
                        }
                    })?;
                    let (data, [h, w]) = crop_and_pool(&window, p);
                    (data, vec![h, w, 1])
                }
            }
        };
        Ok(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("shape matches the data"))
    }
}

impl FeatureKind for Optics {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        match self.mode {
            Mode::Fluorescence => "Fluorescence",
            Mode::Brightfield => "Brightfield",
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        let ints = |v: &[i64]| Rule::constant(Value::List(v.iter().map(|&x| Value::Int(x)).collect()));
        let mut props = vec![
            ("NA", Rule::constant(0.7)),
            ("wavelength", Rule::constant(0.66e-6)),
            ("refractive_index_medium", Rule::constant(1.33)),
            ("magnification", Rule::constant(10_i64)),
            ("resolution", Rule::constant(1e-6)),
            ("padding", ints(&[10, 10, 10, 10])),
            ("output_region", ints(&[0, 0, 128, 128])),
            ("upscale", Rule::constant(1_i64)),
        ];
        if self.mode == Mode::Brightfield {
            props.push(("return_field", Rule::constant(false)));
        }
        props
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        self.check(key, value)
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn optics_context(&self, props: &PropertyDict) -> Option<Result<OpticsContext>> {
        Some(Params::new(props, self.mode).map(|p| p.context()))
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        _: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let p = Params::new(props, self.mode)?;
        let mut image = Image::new(self.render(inputs, &p)?);
        image.merge_properties_from_all(inputs)?;
        // Ground truth in the output image's frame: positions are camera pixels, and the image starts
        // at the output region's corner (copies of the dicts; the scatterers' own keep camera pixels).
        let corner = region(props.require("output_region")?).map_err(|e| e.in_property("output_region"))?;
        if corner[0] != 0.0 || corner[1] != 0.0 {
            image = move_positions(image, &|q| {
                q[0] -= corner[0];
                q[1] -= corner[1];
            })?;
        }
        Ok(vec![image])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_matches_numpy_blocking() {
        let a: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1000) as f64 * 1e-3 + 1e10 * ((i % 3) as f64)).collect();
        let naive: f64 = a.iter().sum();
        assert!((pairwise_sum(&a) - naive).abs() <= 1e-6 * naive.abs());
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
    }

    #[test]
    fn center_of_mass_of_a_sphere_mask_is_below_its_middle() {
        // The 20³ sphere of radius 10 voxels (from -10 to 9): COM 9.9976 (docs §3.2).
        let mut a = vec![0.0; 8000];
        for i in 0..20 {
            for j in 0..20 {
                for k in 0..20 {
                    let q = |v: usize| ((v as f64 - 10.0) / 10.0).powi(2);
                    if q(j) + q(i) + q(k) <= 1.0 {
                        a[(i * 20 + j) * 20 + k] = 1.0;
                    }
                }
            }
        }
        let com = center_of_mass(&a, [20, 20, 20]).unwrap();
        assert!((com[0] - 9.9976).abs() < 1e-4, "{com:?}");
        assert_eq!(center_of_mass(&[0.0; 8], [2, 2, 2]).unwrap(), [1.0, 1.0, 1.0]);
    }

    /// Brightfield parameters for a `size`-pixel region with 5 pixels of padding.
    fn brightfield_params(size: i64, na: f64) -> Params {
        let ints = |v: &[i64]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());
        let mut props = PropertyDict::new();
        for (k, v) in [
            ("NA", Value::Float(na)),
            ("wavelength", Value::Float(532e-9)),
            ("refractive_index_medium", Value::Float(1.33)),
            ("magnification", Value::Int(1)),
            ("resolution", Value::Float(1e-7)),
            ("padding", ints(&[5, 5, 5, 5])),
            ("output_region", ints(&[0, 0, size, size])),
            ("upscale", Value::Int(1)),
            ("return_field", Value::Bool(true)),
        ] {
            props.insert(k, v);
        }
        Params::new(&props, Mode::Brightfield).unwrap()
    }

    fn field(volume: &Volume, p: &Params, route: Route) -> Vec<Complex64> {
        let [rows, cols] = p.window;
        let mut out = vec![Complex64::new(0.0, 0.0); rows * cols];
        brightfield_with(volume, p, &Lock::new(OtfCache::default()), route, |x, column| {
            for (y, v) in column.iter().enumerate() {
                out[y * cols + x] = *v;
            }
        })
        .unwrap();
        out
    }

    #[test]
    fn brightfield_routes_agree() {
        // Grids of 27 (odd: fftshift is not its own inverse) and 64, a narrow and a wide pupil, and
        // planes with boxes at the window's edges, empty planes between them.
        for (size, na) in [(17, 0.7), (54, 0.7), (54, 1.3)] {
            let p = brightfield_params(size, na);
            let [rows, cols] = p.window;
            let origin = [p.region[0] - p.padding[0], p.region[1] - p.padding[1]];
            let (mut items, mut boxes) = (Vec::new(), BTreeMap::new());
            for (plane, (r0, c0, h, w)) in [(0, (0, 0, 4, 6)), (1, (3, 5, 7, 5)), (4, (rows - 5, cols - 3, 5, 3))] {
                let values = (0..h * w).map(|i| if i % 7 == 3 { 0.0 } else { 0.02 * ((i * 13 % 11) as f64 - 3.0) });
                let corner = [origin[0] + r0 as i64, origin[1] + c0 as i64, -3 + plane as i64];
                items.push((Placed { corner, shape: [h, w, 1], data: values.collect() }, 0..h, 0..w));
                boxes.insert(plane, [r0, r0 + h, c0, c0 + w]);
            }
            let volume = Volume { z0: -3, planes: 6, origin, items, boxes };
            let full = field(&volume, &p, Route::FullGrid);
            let direct = field(&volume, &p, Route::Direct);
            let peak = full.iter().map(|v| v.norm()).fold(0.0, f64::max);
            assert!(peak > 0.5, "the field is about the unit illumination: {peak}");
            let diff = full.iter().zip(&direct).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
            assert!(diff < 1e-12 * peak, "grid {:?}, NA {na}: the routes differ by {diff:e}", p.grid);
            // The sample does something: the field is not the empty sample's.
            let nothing = Volume { z0: -3, planes: 6, origin, items: Vec::new(), boxes: BTreeMap::new() };
            let empty = field(&nothing, &p, Route::Cheapest);
            let change = full.iter().zip(&empty).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
            assert!(change > 1e-3, "grid {:?}: the sample changes the field by only {change:e}", p.grid);
        }
    }

    #[test]
    fn spline_shifts_by_the_sub_pixel_offset() {
        let mut a = vec![0.0; 9];
        a[4] = 1.0; // the middle of a 3×3×1 array
        let s = spline(&a, [3, 3, 1], 0.25, 0.5).unwrap();
        assert_eq!(s[4], 0.75 * 0.5);
        assert_eq!(s[5], 0.75 * 0.5);
        assert_eq!(s[7], 0.25 * 0.5);
        assert_eq!(s[8], 0.25 * 0.5);
        assert_eq!(s.iter().sum::<f64>(), 1.0);
    }
}
