//! Separable filters with scipy's border modes ("reflect", half-sample symmetric: `d c b a | a b c d | d c b a`,
//! the default; "constant", "nearest", "mirror", "wrap" with their kernels folded by [`super::fold`]):
//! the Gaussian of `GaussianBlur` (a correlation along every axis) and the box mean of `AverageBlur`.
//!
//! Each axis has an [`AxisFilter`] that works in two layouts. When the axis is the innermost one with
//! more than one sample, its samples are contiguous: a *lane* is copied into a scratch line extended
//! by the border rule (a copy plus a border table computed once per axis), and its outputs are sums
//! over that line, many at a time. Otherwise each output *row* (the `inner` contiguous samples that
//! share an index along the axis) is a weighted sum of whole input rows, whose indices come from the
//! same kind of table. No index is computed per tap, and every inner loop runs over contiguous memory.
//! For the usual images (two axes of more than one sample, the second contiguous: `(H, W)` or
//! `(H, W, 1)`), both axes are done in one pass: each output row is summed from the input rows into a
//! scratch row and filtered along the lane from there, so the image is read and written once.
//!
//! Reflection is periodic with period `2n` on an axis of `n` samples, so a kernel longer than that
//! is folded onto one period (the taps that land on the same sample are added up): the work per
//! sample is bounded by the image, whatever the kernel's size. The box mean goes further: its sums
//! slide along the axis, so its cost does not depend on its size at all.

use super::fold;
pub(crate) use super::median::Border;
use crate::buffer;
use crate::error::Result;

/// scipy's "reflect" index for `i` on an axis of `n` samples (`d c b a | a b c d | d c b a`).
pub(crate) fn reflect(i: isize, n: usize) -> usize {
    let period = 2 * n as isize;
    let m = i.rem_euclid(period);
    if m < n as isize { m as usize } else { (period - 1 - m) as usize }
}

/// The sample index of positions `start .. start + len` of an axis of `n` samples extended by reflection.
fn reflect_table(n: usize, start: isize, len: usize) -> Vec<usize> {
    (0..len as isize).map(|j| reflect(start + j, n)).collect()
}

/// A position of an extended axis that reads `cval` ("constant" mode) rather than a sample.
const CVAL: usize = usize::MAX;

/// The sample index of positions `start .. start + len` of an axis of `n` samples extended by
/// `border` ([`CVAL`] where it reads the constant).
fn border_table(border: Border, n: usize, start: isize, len: usize) -> Vec<usize> {
    match border {
        Border::Reflect => reflect_table(n, start, len),
        _ => (0..len as isize).map(|j| border.index(start + j, n).unwrap_or(CVAL)).collect(),
    }
}

/// How one lane of `n` samples becomes a line of `len` samples that starts at position `start` of
/// the reflected axis: a plain copy of the lane where it lies whole inside the line, the border
/// table (line index, lane index) for the rest.
struct Extension {
    len: usize,
    copy_at: Option<usize>,
    border: Vec<(usize, usize)>,
    cval: f64,
}

impl Extension {
    /// The extension of a lane of `n` samples by `table` (the sample under each line position from
    /// `start`, [`CVAL`] for `cval`).
    fn new(n: usize, start: isize, table: &[usize], cval: f64) -> Extension {
        let len = table.len();
        // The lane itself sits at line index -start when the line holds all of it.
        let copy_at = usize::try_from(-start).ok().filter(|&at| at + n <= len);
        let border = table
            .iter()
            .copied()
            .enumerate()
            .filter(|&(j, _)| copy_at.is_none_or(|at| j < at || j >= at + n))
            .collect();
        Extension { len, copy_at, border, cval }
    }

    /// Fills `line` (resized to the extension's length) from `lane`.
    fn fill(&self, lane: &[f64], line: &mut Vec<f64>) {
        line.resize(self.len, 0.0);
        if let Some(at) = self.copy_at {
            line[at..at + lane.len()].copy_from_slice(lane);
        }
        for &(j, k) in &self.border {
            line[j] = if k == CVAL { self.cval } else { lane[k] };
        }
    }
}

/// A 1-D filter along one axis of `n` samples, in the two layouts of the module documentation.
trait AxisFilter {
    /// Output row `i` into `out` (`inner` samples), from `src`: the axis's `n` rows of `inner`
    /// contiguous samples. Called for `i = 0, 1, …, n - 1` in order on each block.
    fn row(&mut self, src: &[f64], i: usize, out: &mut [f64]);

    /// The filtered `lane` (the axis's `n` contiguous samples) into `out`.
    fn lane(&mut self, lane: &[f64], out: &mut [f64]);
}

/// Outputs computed together in the inner loops of the baseline target: eight SSE2 registers of
/// accumulators. Each output is a chain of dependent additions, so the more of them in flight, the
/// less the loop waits for each addition.
const BLOCK: usize = 16;

/// `out[i] = Σ_t w[t] · line[i + t]`, the sum taken in tap order from 0 (`line` has
/// `out.len() + w.len() - 1` samples).
fn correlate_line(line: &[f64], w: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        return unsafe { avx2::correlate_line(line, w, out) };
    }
    correlate_line_portable::<BLOCK>(line, w, out)
}

#[inline(always)]
fn correlate_line_portable<const BLOCK: usize>(line: &[f64], w: &[f64], out: &mut [f64]) {
    let n = out.len();
    let full = n - n % BLOCK;
    for i0 in (0..full).step_by(BLOCK) {
        let mut acc = [0.0; BLOCK];
        for (t, &wt) in w.iter().enumerate() {
            let x: &[f64; BLOCK] = line[i0 + t..i0 + t + BLOCK].try_into().expect("a block");
            for l in 0..BLOCK {
                acc[l] += wt * x[l];
            }
        }
        out[i0..i0 + BLOCK].copy_from_slice(&acc);
    }
    for (i, slot) in out.iter_mut().enumerate().skip(full) {
        let mut acc = 0.0;
        for (t, &wt) in w.iter().enumerate() {
            acc += wt * line[i + t];
        }
        *slot = acc;
    }
}

/// One output row: `out[c] = Σ_t w[t] · src[rows[t] + c]`, in tap order from 0 (`rows` are the
/// offsets of the rows in `src`).
fn weighted_rows(src: &[f64], rows: &[usize], w: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the only requirement of the call.
        return unsafe { avx2::weighted_rows(src, rows, w, out) };
    }
    weighted_rows_portable::<BLOCK>(src, rows, w, out)
}

#[inline(always)]
fn weighted_rows_portable<const BLOCK: usize>(src: &[f64], rows: &[usize], w: &[f64], out: &mut [f64]) {
    let inner = out.len();
    let full = inner - inner % BLOCK;
    for c0 in (0..full).step_by(BLOCK) {
        let mut acc = [0.0; BLOCK];
        for (&row, &wt) in rows.iter().zip(w) {
            let x: &[f64; BLOCK] = src[row + c0..row + c0 + BLOCK].try_into().expect("a block");
            for l in 0..BLOCK {
                acc[l] += wt * x[l];
            }
        }
        out[c0..c0 + BLOCK].copy_from_slice(&acc);
    }
    for c in full..inner {
        let mut acc = 0.0;
        for (&row, &wt) in rows.iter().zip(w) {
            acc += wt * src[row + c];
        }
        out[c] = acc;
    }
}

/// The two inner loops compiled for AVX2: twice the vector width of the baseline x86-64 target, and
/// twice the outputs at a time (eight of its sixteen registers of accumulators). Each output is still
/// the same operations in the same order (Rust never fuses a multiply and an add into an FMA on its
/// own), so the results are identical with and without AVX2.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    const BLOCK: usize = 32;

    #[target_feature(enable = "avx2")]
    pub(super) fn correlate_line(line: &[f64], w: &[f64], out: &mut [f64]) {
        super::correlate_line_portable::<BLOCK>(line, w, out)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn weighted_rows(src: &[f64], rows: &[usize], w: &[f64], out: &mut [f64]) {
        super::weighted_rows_portable::<BLOCK>(src, rows, w, out)
    }
}

/// A correlation kernel on one axis: `out[i] = Σ_t weights[t] · x[reflect(i + start + t)]`.
#[derive(Clone)]
struct Taps {
    weights: Vec<f64>,
    start: isize,
}

/// The radius of scipy's Gaussian kernel of `sigma` cut at `truncate` deviations: `int(truncate·σ + 0.5)`.
pub(crate) fn gaussian_radius(sigma: f64, truncate: f64) -> isize {
    (truncate * sigma + 0.5) as isize
}

/// scipy's Gaussian kernel (radius `int(truncate·σ + 0.5)`, `exp(-k²/2σ²)` normalised by its sum) for
/// an axis of `n` samples; folded onto one reflection period when its radius reaches `n`.
fn gaussian_taps(sigma: f64, n: usize, truncate: f64) -> Taps {
    let radius = gaussian_radius(sigma, truncate);
    let raw = |k: isize| (-0.5 / (sigma * sigma) * (k * k) as f64).exp();
    if radius < n as isize {
        let raw: Vec<f64> = (-radius..=radius).map(raw).collect();
        let total: f64 = raw.iter().sum();
        return Taps { weights: raw.iter().map(|w| w / total).collect(), start: -radius };
    }
    // Each tap k and its mirror -k, added to the samples they land on; the exponentials are the
    // only work that grows with sigma.
    let period = 2 * n;
    let mut folded = vec![0.0; period];
    folded[0] = raw(0);
    let mut total = folded[0];
    let (mut up, mut down) = (0, 0);
    for k in 1..=radius {
        let w = raw(k);
        total += 2.0 * w;
        up = if up + 1 == period { 0 } else { up + 1 };
        down = if down == 0 { period - 1 } else { down - 1 };
        folded[up] += w;
        folded[down] += w;
    }
    Taps { weights: folded.iter().map(|w| w / total).collect(), start: 0 }
}

/// [`Taps`] applied along an axis of `n` samples.
struct Correlation {
    taps: Taps,
    inner: usize,
    /// The sample under each position of the extended axis from `taps.start` ([`CVAL`]: `cval`).
    table: Vec<usize>,
    ext: Extension,
    line: Vec<f64>,
    rows: Vec<usize>,
    /// Whether some position reads `cval`, and then the weights of a row's other taps.
    constant: Option<f64>,
    weights: Vec<f64>,
}

impl Correlation {
    fn new(taps: Taps, n: usize, inner: usize, border: Border) -> Correlation {
        let len = n + taps.weights.len() - 1;
        let table = border_table(border, n, taps.start, len);
        let cval = if let Border::Constant(c) = border { c } else { 0.0 };
        let ext = Extension::new(n, taps.start, &table, cval);
        Correlation {
            rows: Vec::with_capacity(taps.weights.len()),
            line: Vec::with_capacity(len),
            constant: table.contains(&CVAL).then_some(cval),
            weights: Vec::with_capacity(taps.weights.len()),
            taps,
            inner,
            table,
            ext,
        }
    }
}

impl AxisFilter for Correlation {
    fn row(&mut self, src: &[f64], i: usize, out: &mut [f64]) {
        let inner = self.inner;
        self.rows.clear();
        let table = &self.table[i..i + self.taps.weights.len()];
        let Some(cval) = self.constant else {
            self.rows.extend(table.iter().map(|&r| r * inner));
            return weighted_rows(src, &self.rows, &self.taps.weights, out);
        };
        // The taps on samples, then those on the constant all at once.
        self.weights.clear();
        let mut outside = 0.0;
        for (&r, &w) in table.iter().zip(&self.taps.weights) {
            if r == CVAL {
                outside += w;
            } else {
                self.rows.push(r * inner);
                self.weights.push(w);
            }
        }
        weighted_rows(src, &self.rows, &self.weights, out);
        if outside != 0.0 {
            let extra = outside * cval;
            out.iter_mut().for_each(|v| *v += extra);
        }
    }

    fn lane(&mut self, lane: &[f64], out: &mut [f64]) {
        self.ext.fill(lane, &mut self.line);
        correlate_line(&self.line, &self.taps.weights, out);
    }
}

/// `GaussianBlur`: scipy's `gaussian_filter(x, sigma, mode, cval, truncate)`, axis by axis in order
/// (`x` is in C order with shape `dims`; `sigmas` holds one sigma per axis, each at most
/// [`super::math::MAX_SIGMA`], and `truncate · sigma` at most 4 [`super::math::MAX_SIGMA`], which
/// bounds the kernel's cost). As scipy's, an axis whose sigma is at most 1e-15 is not filtered; axes
/// of one sample are left as they are (their kernel sums to one).
pub(crate) fn gaussian(x: &[f64], dims: &[usize], sigmas: &[f64], border: Border, truncate: f64) -> Result<Vec<f64>> {
    debug_assert_eq!(sigmas.len(), dims.len());
    let axes: Vec<usize> = (0..dims.len()).filter(|&a| sigmas[a] > 1e-15).collect();
    if axes.is_empty() {
        return Ok(x.to_vec());
    }
    // The kernel of each distinct axis length and sigma, computed once.
    let mut kernels: Vec<(usize, u64, Taps)> = Vec::new();
    separable(x, dims, &axes, border, |axis, inner| {
        let (n, sigma) = (dims[axis], sigmas[axis]);
        let taps = match kernels.iter().find(|(m, s, _)| *m == n && *s == sigma.to_bits()) {
            Some((_, _, taps)) => taps.clone(),
            None => {
                let taps = match border {
                    Border::Reflect => gaussian_taps(sigma, n, truncate),
                    _ => {
                        let radius = gaussian_radius(sigma, truncate);
                        let raw = |k: isize| (-0.5 / (sigma * sigma) * (k * k) as f64).exp();
                        let total: f64 = raw(0) + 2.0 * (1..=radius).map(raw).sum::<f64>();
                        let (start, weights) = fold::taps(border, n, -radius, radius, |k| raw(k) / total);
                        Taps { weights, start }
                    }
                };
                kernels.push((n, sigma.to_bits(), taps.clone()));
                taps
            }
        };
        Either::Taps(Correlation::new(taps, n, inner, border))
    })
}

/// The box of `AverageBlur` on an axis of `n` samples: `k` samples, `[i - (k-1)/2, i + k/2]` for
/// output `i`. The reflected axis repeats every `2n` samples, so the window is `whole` entire
/// periods plus the `rem` samples from `i + start`.
struct BoxWindow {
    /// `1 / k`: the mean multiplies by it (a division per sample would cost more than the sums).
    scale: f64,
    whole: f64,
    rem: usize,
    start: isize,
}

/// Box windows at most this wide are summed directly, wider ones slide (two operations per sample).
const DIRECT_BOX: usize = 16;

impl BoxWindow {
    fn new(k: usize, n: usize) -> BoxWindow {
        let period = 2 * n;
        // Any start congruent modulo the period gives the same samples; this one is in (-period, 0].
        let start = (-(((k - 1) / 2) as i128)).rem_euclid(period as i128) as isize;
        let start = if start > 0 { start - period as isize } else { start };
        BoxWindow { scale: 1.0 / k as f64, whole: (k / period) as f64, rem: k % period, start }
    }
}

/// The box mean along an axis of `n` samples.
struct BoxMean {
    window: BoxWindow,
    n: usize,
    inner: usize,
    table: Vec<usize>,
    ext: Extension,
    line: Vec<f64>,
    rows: Vec<usize>,
    /// The weights of a direct sum: `1 / k` each when the window is all there is (the usual case: the
    /// mean in one pass), 1 when whole periods are added before scaling.
    weights: Vec<f64>,
    /// Per block in the row layout: `whole` periods of each column (empty without whole periods),
    /// and the sliding window's sums (empty for direct sums).
    base: Vec<f64>,
    sums: Vec<f64>,
}

impl BoxMean {
    fn new(k: usize, n: usize, inner: usize) -> BoxMean {
        let window = BoxWindow::new(k, n);
        let len = n + window.rem.max(1) - 1;
        let table = reflect_table(n, window.start, len);
        let ext = Extension::new(n, window.start, &table, 0.0);
        let base = vec![0.0; if window.whole > 0.0 { inner } else { 0 }];
        let sums = vec![0.0; if window.rem > DIRECT_BOX { inner } else { 0 }];
        let weight = if window.whole > 0.0 { 1.0 } else { window.scale };
        let weights = vec![weight; window.rem.min(DIRECT_BOX)];
        let line = Vec::with_capacity(len);
        BoxMean { window, n, inner, table, ext, line, rows: Vec::new(), weights, base, sums }
    }
}

impl AxisFilter for BoxMean {
    fn row(&mut self, src: &[f64], i: usize, out: &mut [f64]) {
        let (rem, scale, inner) = (self.window.rem, self.window.scale, self.inner);
        let row = |r: usize| &src[r * inner..(r + 1) * inner];
        if i == 0 && !self.base.is_empty() {
            // `whole` periods, each twice the column sums.
            self.base.fill(0.0);
            for r in 0..self.n {
                self.base.iter_mut().zip(row(r)).for_each(|(b, x)| *b += x);
            }
            let times = self.window.whole * 2.0;
            self.base.iter_mut().for_each(|b| *b *= times);
        }
        if rem <= DIRECT_BOX {
            self.rows.clear();
            self.rows.extend(self.table[i..i + rem].iter().map(|&r| r * inner));
            weighted_rows(src, &self.rows, &self.weights, out);
            if self.base.is_empty() {
                // Already the mean.
                return;
            }
        } else {
            if i == 0 {
                self.sums.fill(0.0);
                for &r in &self.table[..rem] {
                    self.sums.iter_mut().zip(row(r)).for_each(|(s, x)| *s += x);
                }
            } else {
                let (add, sub) = (row(self.table[i + rem - 1]), row(self.table[i - 1]));
                self.sums.iter_mut().zip(add).zip(sub).for_each(|((s, a), b)| *s += a - b);
            }
            out.copy_from_slice(&self.sums);
        }
        if self.base.is_empty() {
            out.iter_mut().for_each(|v| *v *= scale);
        } else {
            out.iter_mut().zip(&self.base).for_each(|(v, b)| *v = (b + *v) * scale);
        }
    }

    fn lane(&mut self, lane: &[f64], out: &mut [f64]) {
        let BoxWindow { scale, whole, rem, .. } = self.window;
        let base = if whole > 0.0 { whole * 2.0 * lane.iter().sum::<f64>() } else { 0.0 };
        self.ext.fill(lane, &mut self.line);
        let line = &self.line;
        if rem <= DIRECT_BOX {
            correlate_line(line, &self.weights, out);
            if whole > 0.0 {
                out.iter_mut().for_each(|v| *v = (base + *v) * scale);
            }
        } else {
            let mut sum: f64 = line[..rem].iter().sum();
            out[0] = (base + sum) * scale;
            for i in 1..out.len() {
                sum += line[i + rem - 1] - line[i - 1];
                out[i] = (base + sum) * scale;
            }
        }
    }
}

/// `AverageBlur`: the mean over a box of `k` samples along each of `axes` in turn, with "reflect"
/// borders, as scipy's `convolve` with a uniform kernel (an even box reaches one sample further
/// after than before). The cost does not depend on `k`.
pub(crate) fn box_mean(x: &[f64], dims: &[usize], axes: &[usize], k: usize, border: Border) -> Result<Vec<f64>> {
    separable(x, dims, axes, border, |axis, inner| {
        let n = dims[axis];
        match border {
            Border::Reflect => Either::Box(BoxMean::new(k, n, inner)),
            _ => {
                let (before, after) = (((k - 1) / 2) as isize, (k / 2) as isize);
                let (start, weights) = fold::uniform(border, n, -before, after, 1.0 / k as f64);
                Either::Taps(Correlation::new(Taps { weights, start }, n, inner, border))
            }
        }
    })
}

/// The filter of an axis: a kernel of taps, or the sliding box mean of "reflect" borders.
enum Either {
    Taps(Correlation),
    Box(BoxMean),
}

impl AxisFilter for Either {
    fn row(&mut self, src: &[f64], i: usize, out: &mut [f64]) {
        match self {
            Either::Taps(f) => f.row(src, i, out),
            Either::Box(f) => f.row(src, i, out),
        }
    }

    fn lane(&mut self, lane: &[f64], out: &mut [f64]) {
        match self {
            Either::Taps(f) => f.lane(lane, out),
            Either::Box(f) => f.lane(lane, out),
        }
    }
}

/// Runs a separable filter over `axes` (in order; those of one sample are skipped) of `x` (C order,
/// shape `dims`); `filter(axis, inner)` makes the filter of an axis with `inner` samples per row.
/// Two axes whose second is contiguous are filtered in one pass; otherwise each axis is a pass, with
/// at most two image-sized buffers and no copy of the input.
fn separable<F: AxisFilter>(
    x: &[f64],
    dims: &[usize],
    axes: &[usize],
    border: Border,
    mut filter: impl FnMut(usize, usize) -> F,
) -> Result<Vec<f64>> {
    let inner_of = |axis: usize| dims[axis + 1..].iter().product::<usize>();
    // An axis of one sample reads only that sample, except where the constant lies around it.
    let constant = matches!(border, Border::Constant(_));
    let active: Vec<usize> = axes.iter().copied().filter(|&a| dims[a] > 1 || constant).collect();
    let mut out = buffer::zeroed(x.len())?;
    if x.is_empty() {
        return Ok(out);
    }
    if let [first, second] = active[..] {
        if inner_of(second) == 1 && inner_of(first) == dims[second] {
            // Each row of the first axis is one lane of the second.
            let (n, inner) = (dims[first], inner_of(first));
            let (mut rows, mut lanes) = (filter(first, inner), filter(second, 1));
            let mut row = vec![0.0; inner];
            for (src, dst) in x.chunks_exact(n * inner).zip(out.chunks_exact_mut(n * inner)) {
                for (i, out_row) in dst.chunks_exact_mut(inner).enumerate() {
                    rows.row(src, i, &mut row);
                    lanes.lane(&row, out_row);
                }
            }
            return Ok(out);
        }
    }
    // The result so far is `out` once `filtered`; before that it is still the input.
    let mut filtered = false;
    let mut spare: Option<Vec<f64>> = None;
    let mut lane = Vec::new();
    for axis in active {
        let (n, inner) = (dims[axis], inner_of(axis));
        let mut f = filter(axis, inner);
        if inner == 1 {
            if filtered {
                for samples in out.chunks_exact_mut(n) {
                    lane.clear();
                    lane.extend_from_slice(samples);
                    f.lane(&lane, samples);
                }
            } else {
                for (samples, dst) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
                    f.lane(samples, dst);
                }
            }
        } else if !filtered {
            filter_rows(&mut f, x, &mut out, n * inner, inner);
        } else {
            let mut dst = match spare.take() {
                Some(buf) => buf,
                None => buffer::zeroed(x.len())?,
            };
            filter_rows(&mut f, &out, &mut dst, n * inner, inner);
            spare = Some(std::mem::replace(&mut out, dst));
        }
        filtered = true;
    }
    if !filtered {
        out.copy_from_slice(x);
    }
    Ok(out)
}

/// Every output row of `src` (blocks of `block` samples, rows of `inner`) into `dst`.
fn filter_rows(f: &mut impl AxisFilter, src: &[f64], dst: &mut [f64], block: usize, inner: usize) {
    for (src, dst) in src.chunks_exact(block).zip(dst.chunks_exact_mut(block)) {
        for (i, out_row) in dst.chunks_exact_mut(inner).enumerate() {
            f.row(src, i, out_row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, Axis, IxDyn};

    /// Deterministic samples in [-1, 1) with a few large ones.
    fn sample_image(dims: &[usize]) -> ArrayD<f64> {
        let mut state = 0x2545_F491_4F6C_DD1D_u64 ^ dims.iter().fold(7, |h, &d| h * 31 + d as u64);
        ArrayD::from_shape_simple_fn(IxDyn(dims), || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            if state % 17 == 0 { 40.0 * u } else { 2.0 * u - 1.0 }
        })
    }

    /// The straightforward correlation: every tap of every sample through `reflect`.
    fn reference_correlate(x: &ArrayD<f64>, axis: usize, weights: &[f64]) -> ArrayD<f64> {
        let radius = (weights.len() / 2) as isize;
        let n = x.shape()[axis];
        let mut out = x.clone();
        for (lane_in, mut lane_out) in x.lanes(Axis(axis)).into_iter().zip(out.lanes_mut(Axis(axis))) {
            for i in 0..n {
                let mut acc = 0.0;
                for (k, w) in weights.iter().enumerate() {
                    acc += w * lane_in[reflect(i as isize + k as isize - radius, n)];
                }
                lane_out[i] = acc;
            }
        }
        out
    }

    /// scipy's `gaussian_filter`, straightforwardly: the whole kernel on every axis.
    fn reference_gaussian(x: &ArrayD<f64>, sigma: f64) -> ArrayD<f64> {
        let radius = (4.0 * sigma + 0.5) as isize;
        let raw: Vec<f64> = (-radius..=radius).map(|k| (-0.5 / (sigma * sigma) * (k * k) as f64).exp()).collect();
        let total: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        (0..x.ndim()).fold(x.clone(), |data, axis| reference_correlate(&data, axis, &weights))
    }

    /// The straightforward box mean: the whole window of every sample through `reflect`.
    fn reference_box(x: &ArrayD<f64>, axis: usize, k: usize) -> ArrayD<f64> {
        let n = x.shape()[axis];
        let (before, after) = (((k - 1) / 2) as isize, (k / 2) as isize);
        let mut out = x.clone();
        for (lane_in, mut lane_out) in x.lanes(Axis(axis)).into_iter().zip(out.lanes_mut(Axis(axis))) {
            for i in 0..n as isize {
                let sum: f64 = (i - before..=i + after).map(|j| lane_in[reflect(j, n)]).sum();
                lane_out[i as usize] = sum / k as f64;
            }
        }
        out
    }

    /// The largest difference relative to the largest sample of `expected`.
    fn relative_error(actual: &[f64], expected: &ArrayD<f64>) -> f64 {
        let peak = expected.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        actual.iter().zip(expected.iter()).map(|(a, e)| (a - e).abs()).fold(0.0, f64::max) / peak
    }

    const SHAPES: &[&[usize]] = &[
        &[1],
        &[2],
        &[7],
        &[1, 1],
        &[1, 9],
        &[9, 1],
        &[2, 2],
        &[5, 4],
        &[12, 10],
        &[13, 17],
        &[33, 20],
        &[6, 5, 1],
        &[7, 9, 3],
        &[4, 3, 2, 2],
    ];

    #[test]
    fn reflect_is_half_sample_symmetric() {
        let idx: Vec<usize> = (-5..9).map(|i| reflect(i, 4)).collect();
        assert_eq!(idx, [3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0]);
        assert_eq!(reflect_table(3, -2, 9), [1, 0, 0, 1, 2, 2, 1, 0, 0]);
    }

    #[test]
    fn gaussian_matches_the_straightforward_filter() {
        for dims in SHAPES {
            let x = sample_image(dims);
            for sigma in [0.3, 1.0, 1.5, 2.0, 3.7, 10.0, 60.0] {
                let fast =
                    gaussian(x.as_slice().unwrap(), dims, &vec![sigma; dims.len()], Border::Reflect, 4.0).unwrap();
                let reference = reference_gaussian(&x, sigma);
                let radius = (4.0 * sigma + 0.5) as usize;
                if dims.iter().all(|&n| n > radius) {
                    // The same taps in the same order: identical, not just close.
                    assert_eq!(fast, reference.as_slice().unwrap(), "{dims:?}, sigma {sigma}");
                } else {
                    // Folded kernels or skipped single-sample axes: the same sum in another order.
                    let err = relative_error(&fast, &reference);
                    assert!(err < 1e-13, "{dims:?}, sigma {sigma}: relative error {err}");
                }
            }
        }
    }

    #[test]
    fn folded_gaussian_kernels_sum_to_one_and_keep_their_symmetry() {
        for (sigma, n) in [(2.0, 3), (10.0, 4), (1e3, 5)] {
            let taps = gaussian_taps(sigma, n, 4.0);
            assert_eq!((taps.weights.len(), taps.start), (2 * n, 0));
            assert!((taps.weights.iter().sum::<f64>() - 1.0).abs() < 1e-14);
            for m in 1..2 * n {
                assert!((taps.weights[m] - taps.weights[2 * n - m]).abs() < 1e-15, "sigma {sigma}, n {n}");
            }
        }
        // A constant image stays constant under any kernel.
        let out = gaussian(&[3.0; 6], &[2, 3], &[1e6, 1e6], Border::Reflect, 4.0).unwrap();
        assert!(out.iter().all(|v| (v - 3.0).abs() < 1e-12), "{out:?}");
    }

    #[test]
    fn box_mean_matches_the_straightforward_filter() {
        for dims in SHAPES.iter().filter(|d| d.len() >= 2) {
            let x = sample_image(dims);
            for k in [1, 2, 3, 4, 5, 8, 16, 17, 19, 24, 31, 40, 67, 100] {
                let fast = box_mean(x.as_slice().unwrap(), dims, &[0, 1], k, Border::Reflect).unwrap();
                let reference = reference_box(&reference_box(&x, 0, k), 1, k);
                // The same sums as the reference, multiplied by 1/k rather than divided by k.
                let err = relative_error(&fast, &reference);
                assert!(err < 1e-13, "{dims:?}, k {k}: relative error {err}");
            }
        }
    }

    #[test]
    fn box_mean_matches_scipy_convolve() {
        let x = ArrayD::from_shape_fn(IxDyn(&[4, 5, 1]), |ix| ((ix[0] * 5 + ix[1]) as f64).powf(1.5));
        let blur = |k| box_mean(x.as_slice().unwrap(), &[4, 5, 1], &[0, 1], k, Border::Reflect).unwrap();
        let (k2, k3) = (blur(2), blur(3));
        // scipy.ndimage.convolve(x, ones((k, k, 1)) / k², mode="reflect"), rows 0 and 3.
        let expected2 = [6.71931958605, 9.261406189724, 12.293063930719, 15.705892355169, 17.5];
        let expected3 = [51.123047407747, 54.894440037163, 60.649434962654, 66.598156137707, 70.627773095121];
        for j in 0..5 {
            assert!((k2[j] - expected2[j]).abs() < 1e-9);
            assert!((k3[15 + j] - expected3[j]).abs() < 1e-9);
        }
    }

    #[test]
    fn empty_and_scalar_images_pass_through() {
        for dims in [&[0][..], &[5, 0], &[0, 5], &[3, 0, 2], &[]] {
            let x = sample_image(dims);
            let x = x.as_slice().unwrap();
            assert_eq!(gaussian(x, dims, &vec![2.0; dims.len()], Border::Reflect, 4.0).unwrap(), x, "{dims:?}");
            if dims.len() >= 2 {
                assert_eq!(box_mean(x, dims, &[0, 1], 3, Border::Reflect).unwrap(), x, "{dims:?}");
            }
        }
    }

    #[test]
    fn portable_and_dispatched_loops_agree_exactly() {
        // On a machine with AVX2 the dispatch runs the AVX2 build; the portable one must agree to the
        // bit (the same operations in the same order), at every length around the block sizes.
        let samples = sample_image(&[200]);
        let samples = samples.as_slice().unwrap();
        let w: Vec<f64> = (0..17).map(|t| 1.0 / (1.0 + t as f64)).collect();
        for n in [1, 5, 15, 16, 17, 31, 32, 33, 64, 100, 150] {
            let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
            correlate_line(&samples[..n + 16], &w, &mut a);
            correlate_line_portable::<BLOCK>(&samples[..n + 16], &w, &mut b);
            assert_eq!(a, b, "line of {n}");
            let rows: Vec<usize> = (0..17).collect();
            weighted_rows(samples, &rows, &w, &mut a);
            weighted_rows_portable::<BLOCK>(samples, &rows, &w, &mut b);
            assert_eq!(a, b, "rows of {n}");
        }
    }

    #[test]
    fn huge_boxes_cost_no_more_than_small_ones() {
        // A box of 2^53 - 1 samples on a 3x2 image: whole periods dominate, the mean tends to the
        // image mean (each axis's reflection repeats every sample twice per period).
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let out = box_mean(&x, &[3, 2], &[0, 1], (1 << 53) - 1, Border::Reflect).unwrap();
        assert!(out.iter().all(|v| (v - 3.5).abs() < 1e-9), "{out:?}");
    }
}
