//! scipy's `map_coordinates(input, coordinates, order, mode, cval)` (prefilter on) for spline
//! orders 0 to 5: the B-spline prefilter (`spline_filter`, with the boundary conditions scipy uses
//! for each mode, and the 12 samples of padding it adds for "nearest" and "grid-constant"), then the
//! interpolation at each coordinate, with scipy's mapping of coordinates and coefficient indices
//! outside the image. Used by `ElasticTransformation`.

use crate::buffer;
use crate::error::{Error, Result};

/// The highest spline order.
pub(crate) const MAX_ORDER: usize = 5;

/// The most axes an interpolated image may have.
pub(crate) const MAX_RANK: usize = 6;

/// scipy's modes of `map_coordinates`.
pub(crate) const MODES: &[&str] =
    &["constant", "grid-constant", "nearest", "reflect", "grid-mirror", "mirror", "wrap", "grid-wrap"];

/// A mode of `map_coordinates`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Mode {
    /// `cval` outside `[0, n - 1]`.
    Constant,
    /// Samples outside are `cval`, and interpolated with those inside.
    GridConstant,
    /// The edge sample.
    Nearest,
    /// Half-sample symmetric (also "grid-mirror").
    Reflect,
    /// Whole-sample symmetric.
    Mirror,
    /// scipy's legacy "wrap": coordinates wrap with period `n - 1`.
    Wrap,
    /// Samples repeat with period `n`.
    GridWrap,
}

impl Mode {
    /// The mode named `name` (one of [`MODES`]).
    pub(crate) fn parse(name: &str) -> Mode {
        match name {
            "constant" => Mode::Constant,
            "grid-constant" => Mode::GridConstant,
            "nearest" => Mode::Nearest,
            "mirror" => Mode::Mirror,
            "wrap" => Mode::Wrap,
            "grid-wrap" => Mode::GridWrap,
            _ => Mode::Reflect,
        }
    }

    /// The mode that maps coefficient indices outside the (padded) image.
    fn spline_mode(self) -> Mode {
        match self {
            Mode::Constant | Mode::Wrap => Mode::Mirror,
            other => other,
        }
    }
}

/// The truncation toward zero of scipy's `(npy_intp)` casts.
fn trunc(x: f64) -> f64 {
    x.trunc()
}

/// scipy's mapping of a coordinate `c` outside `[0, n - 1]` by `mode` (`-1`: `cval`).
fn map_coordinate(c: f64, n: usize, mode: Mode) -> f64 {
    let len = n as f64;
    if c < 0.0 {
        match mode {
            Mode::Mirror if n <= 1 => 0.0,
            Mode::Mirror => {
                let sz2 = 2.0 * len - 2.0;
                let c = sz2 * trunc(-c / sz2) + c;
                if c <= 1.0 - len { c + sz2 } else { -c }
            }
            Mode::Reflect if n <= 1 => 0.0,
            Mode::Reflect => {
                let sz2 = 2.0 * len;
                let c = if c < -sz2 { sz2 * trunc(-c / sz2) + c } else { c };
                if c < -len { c + sz2 } else { (if c > -1e-15 { 1e-15 } else { -c }) - 1.0 }
            }
            Mode::Wrap if n <= 1 => 0.0,
            Mode::Wrap => {
                let sz = len - 1.0;
                c + sz * (trunc(-c / sz) + 1.0)
            }
            Mode::GridWrap if n <= 1 => 0.0,
            Mode::GridWrap => c + len * (trunc((-1.0 - c) / len) + 1.0),
            Mode::Nearest => 0.0,
            Mode::Constant => -1.0,
            Mode::GridConstant => c,
        }
    } else if c > len - 1.0 {
        match mode {
            Mode::Mirror if n <= 1 => 0.0,
            Mode::Mirror => {
                let sz2 = 2.0 * len - 2.0;
                let c = c - sz2 * trunc(c / sz2);
                if c >= len { sz2 - c } else { c }
            }
            Mode::Reflect if n <= 1 => 0.0,
            Mode::Reflect => {
                let sz2 = 2.0 * len;
                let c = c - sz2 * trunc(c / sz2);
                if c >= len { sz2 - c - 1.0 } else { c }
            }
            Mode::Wrap if n <= 1 => 0.0,
            Mode::Wrap => {
                let sz = len - 1.0;
                c - sz * trunc(c / sz)
            }
            Mode::GridWrap if n <= 1 => 0.0,
            Mode::GridWrap => c - len * trunc(c / len),
            Mode::Nearest => len - 1.0,
            Mode::Constant => -1.0,
            Mode::GridConstant => c,
        }
    } else {
        c
    }
}

/// The poles of the B-spline prefilter of `order` (2 to 5).
fn poles(order: usize) -> &'static [f64] {
    match order {
        2 => &[-0.171_572_875_253_809_9],
        3 => &[-0.267_949_192_431_122_7],
        4 => &[-0.361_341_225_900_220_2, -0.013_725_429_297_339_121],
        5 => &[-0.430_575_347_099_973_8, -0.043_096_288_203_264_65],
        _ => &[],
    }
}

/// The interpolation weights of the `order + 1` coefficients around coordinate `x`.
fn weights(x: f64, order: usize, w: &mut [f64; MAX_ORDER + 1]) {
    let x = x - if order & 1 == 1 { x.floor() } else { (x + 0.5).floor() };
    let (y, z) = (x, 1.0 - x);
    match order {
        1 => w[0] = 1.0 - x,
        2 => {
            w[1] = 0.75 - x * x;
            let y = 0.5 - x;
            w[0] = 0.5 * y * y;
        }
        3 => {
            w[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
            w[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
            w[0] = z * z * z / 6.0;
        }
        4 => {
            let t = x * x;
            w[2] = t * (t * 0.25 - 0.625) + 115.0 / 192.0;
            let y = 1.0 + x;
            w[1] = y * (y * (y * (5.0 - y) / 6.0 - 1.25) + 5.0 / 24.0) + 55.0 / 96.0;
            w[3] = z * (z * (z * (5.0 - z) / 6.0 - 1.25) + 5.0 / 24.0) + 55.0 / 96.0;
            let y = 0.5 - x;
            let t = y * y;
            w[0] = t * t / 24.0;
        }
        5 => {
            let t = y * y;
            w[2] = t * (t * (0.25 - y / 12.0) - 0.5) + 0.55;
            let t = z * z;
            w[3] = t * (t * (0.25 - z / 12.0) - 0.5) + 0.55;
            let y = y + 1.0;
            w[1] = y * (y * (y * (y * (y / 24.0 - 0.375) + 1.25) - 1.75) + 0.625) + 0.425;
            let z = z + 1.0;
            w[4] = z * (z * (z * (z * (z / 24.0 - 0.375) + 1.25) - 1.75) + 0.625) + 0.425;
            let y = 1.0 - x;
            let t = y * y;
            w[0] = y * t * t / 120.0;
        }
        _ => {}
    }
    // The weights add up to one: the last is what the others leave.
    w[order] = 1.0 - w[..order].iter().sum::<f64>();
}

/// One line of coefficients filtered in place with the boundary conditions of `mode`.
fn filter_line(c: &mut [f64], order: usize, mode: Mode) {
    let n = c.len();
    if n < 2 {
        return;
    }
    let zs = poles(order);
    let gain: f64 = zs.iter().map(|&z| (1.0 - z) * (1.0 - 1.0 / z)).product();
    c.iter_mut().for_each(|v| *v *= gain);
    for &z in zs {
        match mode {
            Mode::GridWrap => {
                let mut zi = z;
                for i in 1..n {
                    c[0] += zi * c[n - i];
                    zi *= z;
                }
                c[0] /= 1.0 - zi;
            }
            Mode::Nearest | Mode::Reflect => {
                let zn = z.powi(n as i32);
                let c0 = c[0];
                let mut zi = z;
                c[0] += zn * c[n - 1];
                for i in 1..n {
                    c[0] += zi * (c[i] + zn * c[n - 1 - i]);
                    zi *= z;
                }
                c[0] *= z / (1.0 - zn * zn);
                c[0] += c0;
            }
            _ => {
                let zn1 = z.powi(n as i32 - 1);
                let mut zi = z;
                c[0] += zn1 * c[n - 1];
                for i in 1..n - 1 {
                    c[0] += zi * (c[i] + zn1 * c[n - 1 - i]);
                    zi *= z;
                }
                c[0] /= 1.0 - zn1 * zn1;
            }
        }
        for i in 1..n {
            c[i] += z * c[i - 1];
        }
        match mode {
            Mode::GridWrap => {
                let mut zi = z;
                for i in 0..n - 1 {
                    c[n - 1] += zi * c[i];
                    zi *= z;
                }
                c[n - 1] *= z / (zi - 1.0);
            }
            Mode::Nearest | Mode::Reflect => c[n - 1] *= z / (z - 1.0),
            _ => c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1.0),
        }
        for i in (0..n - 1).rev() {
            c[i] = z * (c[i + 1] - c[i]);
        }
    }
}

/// The spline coefficients of `x` (C order, shape `dims`) for `order` and `mode`: padded by 12
/// samples on every side for "nearest" (edge) and "grid-constant" (`cval`), as scipy does; returns
/// them with their shape and the padding.
fn coefficients(
    x: &[f64],
    dims: &[usize],
    order: usize,
    mode: Mode,
    cval: f64,
) -> Result<(Vec<f64>, Vec<usize>, usize)> {
    let pad = if matches!(mode, Mode::Nearest | Mode::GridConstant) { 12 } else { 0 };
    let padded: Vec<usize> = dims.iter().map(|&n| n + 2 * pad).collect();
    let total = padded
        .iter()
        .try_fold(1usize, |acc, &n| acc.checked_mul(n))
        .ok_or_else(|| Error::new(crate::error::ErrorKind::OutOfMemory, "the padded image is too large"))?;
    let mut c = buffer::zeroed(total)?;
    if pad == 0 {
        c.copy_from_slice(x);
    } else {
        let mut index = vec![0usize; dims.len()];
        for (flat, v) in c.iter_mut().enumerate() {
            let mut rest = flat;
            let mut inside = true;
            for (axis, &n) in padded.iter().enumerate().rev() {
                let i = (rest % n) as isize - pad as isize;
                rest /= n;
                let m = dims[axis] as isize;
                if !(0..m).contains(&i) {
                    inside = false;
                }
                index[axis] = i.clamp(0, m - 1) as usize;
            }
            *v = if inside || mode == Mode::Nearest {
                x[index.iter().zip(dims).fold(0, |acc, (&i, &n)| acc * n + i)]
            } else {
                cval
            };
        }
    }
    let mut line = Vec::new();
    for axis in 0..padded.len() {
        let n = padded[axis];
        let inner: usize = padded[axis + 1..].iter().product();
        if n < 2 {
            continue;
        }
        for block in c.chunks_exact_mut(n * inner) {
            for j in 0..inner {
                line.clear();
                line.extend((0..n).map(|i| block[i * inner + j]));
                filter_line(&mut line, order, mode);
                for (i, &v) in line.iter().enumerate() {
                    block[i * inner + j] = v;
                }
            }
        }
    }
    Ok((c, padded, pad))
}

/// scipy's `map_coordinates(x, coords, order=order, mode=mode, cval=cval)` (prefilter on, as
/// DeepTrack2 calls it): `x` in C order with shape `dims`, `coords[axis][k]` the coordinate along
/// `axis` of output sample `k`. `order` is 0 to [`MAX_ORDER`]; `dims` has at most [`MAX_RANK`] axes
/// (the footprint of a sample has `(order + 1)^rank` coefficients).
pub(crate) fn map_coordinates(
    x: &[f64],
    dims: &[usize],
    coords: &[&[f64]],
    order: usize,
    mode: Mode,
    cval: f64,
) -> Result<Vec<f64>> {
    let m = coords.first().map_or(0, |c| c.len());
    let mut out = buffer::zeroed(m)?;
    if x.is_empty() {
        out.iter_mut().for_each(|v| *v = cval);
        return Ok(out);
    }
    let owned;
    let (c, cdims, pad) = if order > 1 {
        owned = coefficients(x, dims, order, mode, cval)?;
        (&owned.0[..], &owned.1[..], owned.2)
    } else {
        (x, dims, 0)
    };
    let rank = cdims.len();
    let strides: Vec<usize> = (0..rank).map(|a| cdims[a + 1..].iter().product()).collect();
    let spline_mode = mode.spline_mode();
    let taps = order + 1;
    // Per axis: the offset of each tap (None: cval, in "grid-constant") and its weight.
    let mut offsets = vec![[None::<usize>; MAX_ORDER + 1]; rank];
    let mut w = vec![[1.0; MAX_ORDER + 1]; rank];
    // The tap along each axis of every point of the footprint, the last axis fastest.
    let footprint = taps.pow(rank as u32);
    let mut tap_of = Vec::with_capacity(footprint * rank);
    for f in 0..footprint {
        let mut rest = f;
        let start = tap_of.len();
        tap_of.resize(start + rank, 0);
        for axis in (0..rank).rev() {
            tap_of[start + axis] = rest % taps;
            rest /= taps;
        }
    }
    for (k, slot) in out.iter_mut().enumerate() {
        let mut constant = false;
        for axis in 0..rank {
            let n = cdims[axis];
            let mut cc = coords[axis][k] + pad as f64;
            if !matches!(mode, Mode::GridConstant | Mode::Nearest) {
                cc = map_coordinate(cc, n, mode);
            }
            if !(cc > -1.0 || matches!(mode, Mode::GridConstant | Mode::Nearest)) || cc.is_nan() {
                constant = true;
                break;
            }
            let start = if order & 1 == 1 { cc.floor() } else { (cc + 0.5).floor() } as isize - (order / 2) as isize;
            for (t, o) in offsets[axis][..taps].iter_mut().enumerate() {
                let idx = start + t as isize;
                *o = if mode == Mode::GridConstant {
                    (0..n as isize).contains(&idx).then_some(idx as usize * strides[axis])
                } else if (0..n as isize).contains(&idx) {
                    Some(idx as usize * strides[axis])
                } else {
                    let j = map_coordinate(idx as f64, n, spline_mode) as isize;
                    Some(j.clamp(0, n as isize - 1) as usize * strides[axis])
                };
            }
            if order > 0 {
                weights(cc, order, &mut w[axis]);
            }
        }
        if constant {
            *slot = cval;
            continue;
        }
        let mut t = 0.0;
        for tp in tap_of.chunks_exact(rank) {
            let mut idx = Some(0usize);
            for (axis, &tap) in tp.iter().enumerate() {
                idx = idx.zip(offsets[axis][tap]).map(|(a, b)| a + b);
            }
            let mut coeff = idx.map_or(cval, |i| c[i]);
            if order > 0 {
                for (axis, &tap) in tp.iter().enumerate() {
                    coeff *= w[axis][tap];
                }
            }
            t += coeff;
        }
        *slot = t;
    }
    Ok(out)
}
