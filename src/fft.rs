//! 2-D discrete Fourier transforms for the optics, with numpy's conventions: `forward` is `fft2`
//! (unnormalised), `inverse` is `ifft2` (including the `1/(rows·cols)` factor). Built from 1-D
//! transforms along rows, then along columns (through a transpose). Plans come from one process-wide
//! planner, so each transform length is planned once.

use std::sync::Arc;

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

use crate::error::{Error, ErrorKind, Result};
use crate::sync::{Lock, LockGuard, Recover, overwrite};

/// The largest transform size along one axis: the largest of DeepTrack2's FFT sizes (3^8).
pub(crate) const MAX_SIZE: usize = 6561;

/// DeepTrack2's `_FASTEST_SIZES`: 0 and every `2^a·3^b` with `a + b <= 8`, in increasing order
/// (512 = 2^9 is deliberately absent, as in DeepTrack2).
/// A constant table: nothing to initialise at run time (a lazy initialisation under way in a
/// thread that a fork leaves behind would block the child).
fn fast_sizes() -> &'static [usize] {
    const SIZES: [usize; 46] = {
        let mut sizes = [0usize; 46];
        let mut count = 1;
        let mut n = 1u32;
        while n < 10 {
            let mut a = 0;
            while a < n {
                sizes[count] = 2usize.pow(a) * 3usize.pow(n - a - 1);
                count += 1;
                a += 1;
            }
            n += 1;
        }
        // Insertion sort (const context).
        let mut i = 1;
        while i < sizes.len() {
            let mut j = i;
            while j > 0 && sizes[j - 1] > sizes[j] {
                let t = sizes[j];
                sizes[j] = sizes[j - 1];
                sizes[j - 1] = t;
                j -= 1;
            }
            i += 1;
        }
        sizes
    };
    &SIZES
}

/// The smallest of DeepTrack2's FFT sizes that is at least `n` (`pad_image_to_fft`), or `None` when
/// `n` exceeds [`MAX_SIZE`].
pub(crate) fn fast_size(n: usize) -> Option<usize> {
    fast_sizes().iter().copied().find(|&s| s >= n)
}

/// A zero-filled buffer of `n` complex numbers, or an out-of-memory error.
pub(crate) fn zeros(n: usize) -> Result<Vec<Complex64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} complex numbers")))?;
    v.resize(n, Complex64::new(0.0, 0.0));
    Ok(v)
}

impl Recover for Option<FftPlanner<f64>> {
    fn recover(&mut self) {
        // A thread gone with a fork was planning: start a new planner (plans already made stay valid).
        overwrite(self, None);
    }
}

impl Recover for Option<RealFftPlanner<f64>> {
    fn recover(&mut self) {
        overwrite(self, None);
    }
}

/// The process-wide planner of complex transforms, locked (fork-safe: see `crate::sync`).
pub(crate) fn planner() -> LockGuard<'static, Option<FftPlanner<f64>>> {
    static PLANNER: Lock<Option<FftPlanner<f64>>> = Lock::new(None);
    PLANNER.lock()
}

/// Planned 2-D transforms of a `rows × cols` grid stored in C order (row-major).
pub(crate) struct Fft2 {
    rows: usize,
    cols: usize,
    row_forward: Arc<dyn Fft<f64>>,
    row_inverse: Arc<dyn Fft<f64>>,
    col_forward: Arc<dyn Fft<f64>>,
    col_inverse: Arc<dyn Fft<f64>>,
    scratch: Vec<Complex64>,
    transposed: Vec<Complex64>,
}

impl Fft2 {
    /// Plans the transforms of a `rows × cols` grid (both at least 1) and allocates its work buffers.
    pub(crate) fn new(rows: usize, cols: usize) -> Result<Fft2> {
        let (row_forward, row_inverse, col_forward, col_inverse) = {
            let mut guard = planner();
            let p = guard.get_or_insert_with(FftPlanner::new);
            (p.plan_fft_forward(cols), p.plan_fft_inverse(cols), p.plan_fft_forward(rows), p.plan_fft_inverse(rows))
        };
        let n = rows
            .checked_mul(cols)
            .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("a {rows} x {cols} FFT grid is too large")))?;
        let scratch_len = [&row_forward, &row_inverse, &col_forward, &col_inverse]
            .iter()
            .map(|f| f.get_inplace_scratch_len())
            .max()
            .unwrap_or(0);
        Ok(Fft2 {
            rows,
            cols,
            row_forward,
            row_inverse,
            col_forward,
            col_inverse,
            scratch: zeros(scratch_len)?,
            transposed: zeros(n)?,
        })
    }

    /// `numpy.fft.fft2`, in place.
    pub(crate) fn forward(&mut self, data: &mut [Complex64]) {
        self.run(data, false);
    }

    /// `numpy.fft.ifft2`, in place (normalised by `1/cols` along rows and `1/rows` along columns).
    pub(crate) fn inverse(&mut self, data: &mut [Complex64]) {
        self.run(data, true);
    }

    fn run(&mut self, data: &mut [Complex64], inverse: bool) {
        let (rows, cols) = (self.rows, self.cols);
        assert_eq!(data.len(), rows * cols, "the buffer does not match the FFT grid");
        let (row, col) =
            if inverse { (&self.row_inverse, &self.col_inverse) } else { (&self.row_forward, &self.col_forward) };
        // numpy transforms the last axis first, then the first one; each inverse scales by 1/n.
        row.process_with_scratch(data, &mut self.scratch);
        if inverse {
            let f = 1.0 / cols as f64;
            data.iter_mut().for_each(|x| *x *= f);
        }
        transpose(data, &mut self.transposed, rows, cols);
        col.process_with_scratch(&mut self.transposed, &mut self.scratch);
        if inverse {
            let f = 1.0 / rows as f64;
            self.transposed.iter_mut().for_each(|x| *x *= f);
        }
        transpose(&self.transposed, data, cols, rows);
    }
}

/// Writes the transpose of the `rows × cols` matrix `src` to `dst` (`cols × rows`), in cache blocks.
fn transpose(src: &[Complex64], dst: &mut [Complex64], rows: usize, cols: usize) {
    const BLOCK: usize = 32;
    for r0 in (0..rows).step_by(BLOCK) {
        for c0 in (0..cols).step_by(BLOCK) {
            for r in r0..(r0 + BLOCK).min(rows) {
                for c in c0..(c0 + BLOCK).min(cols) {
                    dst[c * rows + r] = src[r * cols + c];
                }
            }
        }
    }
}

/// A row-major complex matrix (or a view of one, through its strides) for [`gemm`].
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    /// The elements; `data[i * row_stride + j * col_stride]` is element `(i, j)`.
    pub data: &'a [Complex64],
    /// The distance between rows.
    pub row_stride: usize,
    /// The distance between columns.
    pub col_stride: usize,
}

impl<'a> Mat<'a> {
    /// A row-major matrix with `cols` columns (or rows `cols` apart).
    pub(crate) fn rows(data: &'a [Complex64], cols: usize) -> Self {
        Mat { data, row_stride: cols, col_stride: 1 }
    }
}

/// `c ← alpha · a · b + beta · c`, with `a` of `m × k`, `b` of `k × n` and `c` of `m × n` stored
/// row-major with rows `c_stride` apart (`[m, k, n]`)
/// (BLAS's zgemm, with the SIMD kernels `matrixmultiply` picks for the processor at run time).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    [m, k, n]: [usize; 3],
    alpha: f64,
    a: Mat<'_>,
    b: Mat<'_>,
    beta: f64,
    c: &mut [Complex64],
    c_stride: usize,
) {
    // Every element the kernels read or write must be inside the slices: checked, since the kernel is
    // handed raw pointers.
    let last = |mat: &Mat<'_>, rows: usize, cols: usize| {
        (rows > 0 && cols > 0).then(|| (rows - 1) * mat.row_stride + (cols - 1) * mat.col_stride)
    };
    assert!(last(&a, m, k).is_none_or(|i| i < a.data.len()), "gemm: a is too short");
    assert!(last(&b, k, n).is_none_or(|i| i < b.data.len()), "gemm: b is too short");
    assert!(n <= c_stride || m <= 1, "gemm: c's rows overlap");
    assert!(m == 0 || n == 0 || (m - 1) * c_stride + n <= c.len(), "gemm: c is too short");
    if m == 0 || n == 0 {
        return;
    }
    let stride = |s: usize| isize::try_from(s).expect("strides of allocated matrices fit in isize");
    // SAFETY: `Complex64` is `repr(C)` {re, im}, the layout of matrixmultiply's `[f64; 2]`; the bounds
    // of every element addressed by (m, k, n) and the strides were checked above (the rows of `c` do
    // not overlap), and `c` (written through a unique borrow) does not alias `a` or `b` (shared
    // borrows).
    unsafe {
        matrixmultiply::zgemm(
            matrixmultiply::CGemmOption::Standard,
            matrixmultiply::CGemmOption::Standard,
            m,
            k,
            n,
            [alpha, 0.0],
            a.data.as_ptr().cast(),
            stride(a.row_stride),
            stride(a.col_stride),
            b.data.as_ptr().cast(),
            stride(b.row_stride),
            stride(b.col_stride),
            [beta, 0.0],
            c.as_mut_ptr().cast(),
            stride(c_stride),
            1,
        );
    }
}

/// `e^{2πi·k/n}` for `k` in `0..n`: the twiddle factors of a length-`n` inverse DFT (conjugate them
/// for the forward one).
pub(crate) fn roots(n: usize) -> Result<Vec<Complex64>> {
    let mut out = zeros(n)?;
    for (k, w) in out.iter_mut().enumerate() {
        let phase = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
        *w = Complex64::new(phase.cos(), phase.sin());
    }
    Ok(out)
}

/// `ifft2` of an `n0 × n1` spectrum that is zero outside rows `us` and columns `vs` (given as the
/// dense `us.len() × vs.len()` block `band`, row-major), evaluated on the grid's rows `rows` and
/// columns `cols`: `row(y, values)` receives row `y` (`values[x - cols.start]` for `x` in `cols`), for
/// each `y` in `rows` in order. Transforms the band's columns, then the rows wanted: for a narrow
/// band about half the work of a full transform.
pub(crate) fn inverse_band(
    [n0, n1]: [usize; 2],
    us: &[usize],
    vs: &[usize],
    band: &[Complex64],
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    mut row: impl FnMut(usize, &[Complex64]),
) -> Result<()> {
    /// Rows transformed together (a few tens of KiB, in cache).
    const CHUNK: usize = 16;
    let (nu, nv) = (us.len(), vs.len());
    assert_eq!(band.len(), nu * nv, "the band does not match its rows and columns");
    assert!(rows.end <= n0 && cols.end <= n1, "the pixels wanted lie outside the grid");
    let (row_inverse, col_inverse) = {
        let mut guard = planner();
        let p = guard.get_or_insert_with(FftPlanner::new);
        (p.plan_fft_inverse(n1), p.plan_fft_inverse(n0))
    };
    let mut scratch = zeros(row_inverse.get_inplace_scratch_len().max(col_inverse.get_inplace_scratch_len()))?;
    // Along the columns that hold something: each band column, spread over its grid column.
    let mut columns = zeros(nv * n0)?;
    for (b, column) in columns.chunks_exact_mut(n0).enumerate() {
        for (a, &u) in us.iter().enumerate() {
            column[u] = band[a * nv + b];
        }
    }
    if !columns.is_empty() {
        col_inverse.process_with_scratch(&mut columns, &mut scratch);
    }
    // Along the rows wanted: row y holds the band columns' values at y, at their grid columns.
    let scale = 1.0 / (n0 as f64 * n1 as f64);
    let mut lines = zeros(CHUNK.min(rows.len()) * n1)?;
    let mut out = zeros(cols.len())?;
    for y0 in rows.clone().step_by(CHUNK) {
        let len = CHUNK.min(rows.end - y0);
        let chunk = &mut lines[..len * n1];
        chunk.fill(Complex64::new(0.0, 0.0));
        for (b, &v) in vs.iter().enumerate() {
            for (dy, &value) in columns[b * n0 + y0..][..len].iter().enumerate() {
                chunk[dy * n1 + v] = value;
            }
        }
        row_inverse.process_with_scratch(chunk, &mut scratch);
        for (dy, line) in chunk.chunks_exact(n1).enumerate() {
            for (o, v) in out.iter_mut().zip(&line[cols.clone()]) {
                *o = v * scale;
            }
            row(y0 + dy, &out);
        }
    }
    Ok(())
}

/// The 2-D transform of real images on a `rows × cols` grid, keeping half the spectrum (columns
/// `0..cols/2 + 1`; the rest follows from Hermitian symmetry) and storing it transposed, column by
/// column (`half × rows`), so that the column transforms run on contiguous data. Half the work of
/// [`Fft2`] for real data: the fluorescence convolution uses it.
pub(crate) struct RealFft2 {
    rows: usize,
    cols: usize,
    half: usize,
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    col_forward: Arc<dyn Fft<f64>>,
    col_inverse: Arc<dyn Fft<f64>>,
    row_in: Vec<f64>,
    row_out: Vec<Complex64>,
    /// A few rows' spectra on their way into a transposed half spectrum.
    block: Vec<Complex64>,
    real_scratch: Vec<Complex64>,
    scratch: Vec<Complex64>,
    /// Two half spectra for callers to work in, kept between images (see [`RealFft2::take_work`]).
    work: Option<(Vec<Complex64>, Vec<Complex64>)>,
}

/// The process-wide real-to-complex planner, locked.
fn real_planner() -> LockGuard<'static, Option<RealFftPlanner<f64>>> {
    static PLANNER: Lock<Option<RealFftPlanner<f64>>> = Lock::new(None);
    PLANNER.lock()
}

thread_local! {
    /// The real 2-D transforms this thread planned, by grid size, with their work buffers: reused
    /// between resolves without taking the process-wide planner locks (batch workers would contend
    /// on them).
    static REAL_FFT2: std::cell::RefCell<Vec<RealFft2>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How many grid sizes a thread keeps planned.
const PLANS_PER_THREAD: usize = 8;

/// Runs `f` with a `rows × cols` real transform kept by the calling thread (planned on first use).
pub(crate) fn with_real_fft2<R>(rows: usize, cols: usize, f: impl FnOnce(&mut RealFft2) -> R) -> Result<R> {
    let cached = REAL_FFT2.with(|c| {
        let mut c = c.borrow_mut();
        c.iter().position(|t| t.rows == rows && t.cols == cols).map(|i| c.swap_remove(i))
    });
    let mut fft = match cached {
        Some(fft) => fft,
        None => RealFft2::new(rows, cols)?,
    };
    let result = f(&mut fft);
    REAL_FFT2.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= PLANS_PER_THREAD {
            c.remove(0);
        }
        c.push(fft);
    });
    Ok(result)
}

impl RealFft2 {
    /// Plans the transforms of a `rows × cols` grid (both at least 1).
    pub(crate) fn new(rows: usize, cols: usize) -> Result<RealFft2> {
        let (r2c, c2r) = {
            let mut guard = real_planner();
            let p = guard.get_or_insert_with(RealFftPlanner::new);
            (p.plan_fft_forward(cols), p.plan_fft_inverse(cols))
        };
        let (col_forward, col_inverse) = {
            let mut guard = planner();
            let p = guard.get_or_insert_with(FftPlanner::new);
            (p.plan_fft_forward(rows), p.plan_fft_inverse(rows))
        };
        let half = cols / 2 + 1;
        let scratch_len = col_forward.get_inplace_scratch_len().max(col_inverse.get_inplace_scratch_len());
        let real_scratch = r2c.get_scratch_len().max(c2r.get_scratch_len());
        Ok(RealFft2 {
            rows,
            cols,
            half,
            r2c,
            c2r,
            col_forward,
            col_inverse,
            row_in: vec![0.0; cols],
            row_out: zeros(half)?,
            block: Vec::new(),
            real_scratch: zeros(real_scratch)?,
            scratch: zeros(scratch_len)?,
            work: None,
        })
    }

    /// Two half-spectrum buffers (contents unspecified), allocated on first use; give them back with
    /// [`RealFft2::put_work`] so that the next image reuses them.
    pub(crate) fn take_work(&mut self) -> Result<(Vec<Complex64>, Vec<Complex64>)> {
        match self.work.take() {
            Some(work) => Ok(work),
            None => Ok((zeros(self.spectrum_len())?, zeros(self.spectrum_len())?)),
        }
    }

    /// Keeps two half-spectrum buffers for the next [`RealFft2::take_work`].
    pub(crate) fn put_work(&mut self, a: Vec<Complex64>, b: Vec<Complex64>) {
        self.work = Some((a, b));
    }

    /// The length of a half spectrum (`(cols/2 + 1) × rows`).
    pub(crate) fn spectrum_len(&self) -> usize {
        self.half * self.rows
    }

    /// The first `ncols` columns of the half spectrum of a real image, written transposed into `out`
    /// (`ncols × rows`). Rows outside `rows` are zero; `image(r, row)` writes row `r` into `row`
    /// (all zeros on entry) and returns whether it holds anything (a row of zeros may be skipped).
    pub(crate) fn forward(
        &mut self,
        rows: std::ops::Range<usize>,
        mut image: impl FnMut(usize, &mut [f64]) -> bool,
        out: &mut [Complex64],
        ncols: usize,
    ) {
        /// Rows transposed into `out` together (whole cache lines of each column).
        const BLOCK: usize = 8;
        let n0 = self.rows;
        assert!(ncols <= self.half && out.len() == ncols * n0, "the buffer does not match the half spectrum");
        assert!(rows.start <= rows.end && rows.end <= n0, "rows outside the grid");
        if ncols == 0 {
            return;
        }
        // Rows outside `rows` are zero; the others are written block by block below.
        for column in out.chunks_exact_mut(n0) {
            column[..rows.start].fill(Complex64::new(0.0, 0.0));
            column[rows.end..].fill(Complex64::new(0.0, 0.0));
        }
        self.block.resize(BLOCK * ncols, Complex64::new(0.0, 0.0));
        for r0 in rows.clone().step_by(BLOCK) {
            let len = BLOCK.min(rows.end - r0);
            for (b, r) in (r0..r0 + len).enumerate() {
                let slot = &mut self.block[b * ncols..(b + 1) * ncols];
                // The transform uses its input as scratch: zeroed for every row.
                self.row_in.fill(0.0);
                if !image(r, &mut self.row_in) {
                    slot.fill(Complex64::new(0.0, 0.0));
                    continue;
                }
                self.r2c
                    .process_with_scratch(&mut self.row_in, &mut self.row_out, &mut self.real_scratch)
                    .expect("buffers sized by the plan");
                slot.copy_from_slice(&self.row_out[..ncols]);
            }
            for (k, column) in out.chunks_exact_mut(n0).enumerate() {
                for (b, v) in column[r0..r0 + len].iter_mut().enumerate() {
                    *v = self.block[b * ncols + k];
                }
            }
        }
        self.col_forward.process_with_scratch(out, &mut self.scratch);
    }

    /// The real image of the half spectrum whose first `ncols` columns are `spectrum` (transposed, as
    /// [`RealFft2::forward`] writes it; the other columns are zero), with numpy's `ifft2`
    /// normalisation; `spectrum` is used as work space. Each row `r` in `rows` is passed to
    /// `row(r, values)`.
    pub(crate) fn inverse(
        &mut self,
        spectrum: &mut [Complex64],
        ncols: usize,
        rows: std::ops::Range<usize>,
        mut row: impl FnMut(usize, &[f64]),
    ) {
        let (n0, n1, half) = (self.rows, self.cols, self.half);
        assert!(ncols <= half && spectrum.len() == ncols * n0, "the buffer does not match the half spectrum");
        assert!(rows.end <= n0, "rows outside the grid");
        if ncols > 0 {
            self.col_inverse.process_with_scratch(spectrum, &mut self.scratch);
        }
        let scale = 1.0 / (n0 as f64 * n1 as f64);
        for r in rows {
            self.row_out.fill(Complex64::new(0.0, 0.0));
            for (k, v) in self.row_out[..ncols].iter_mut().enumerate() {
                *v = spectrum[k * n0 + r];
            }
            // A Hermitian spectrum has real values at frequency 0 (and cols/2 for even cols).
            self.row_out[0].im = 0.0;
            if n1 % 2 == 0 {
                self.row_out[half - 1].im = 0.0;
            }
            self.c2r
                .process_with_scratch(&mut self.row_out, &mut self.row_in, &mut self.real_scratch)
                .expect("buffers sized by the plan");
            self.row_in.iter_mut().for_each(|x| *x *= scale);
            row(r, &self.row_in);
        }
    }

    /// The half spectrum (transposed) of a full `rows × cols` spectrum in row-major order.
    #[cfg(test)]
    pub(crate) fn half_of(&self, full: &[Complex64]) -> Result<Vec<Complex64>> {
        let (rows, cols, half) = (self.rows, self.cols, self.half);
        let mut out = zeros(half * rows)?;
        for r in 0..rows {
            for k in 0..half {
                out[k * rows + r] = full[r * cols + k];
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_transforms_match_the_complex_ones() {
        for (rows, cols) in [(12, 9), (8, 10), (1, 6)] {
            let image: Vec<f64> = (0..rows * cols).map(|k| ((k * 37) % 11) as f64 - 5.0).collect();
            let mut full: Vec<Complex64> = image.iter().map(|&x| Complex64::new(x, 0.0)).collect();
            let mut fft = Fft2::new(rows, cols).unwrap();
            fft.forward(&mut full);
            let mut real = RealFft2::new(rows, cols).unwrap();
            let mut half = zeros(real.spectrum_len()).unwrap();
            // A skipped row (row 2, when there is one) must count as zeros.
            let skip = if rows > 2 { 2 } else { usize::MAX };
            let row = |r: usize, out: &mut [f64]| {
                out.copy_from_slice(&image[r * cols..(r + 1) * cols]);
                r != skip
            };
            let ncols = real.half;
            real.forward(0..rows, row, &mut half, ncols);
            let mut without_row_2 = image.clone();
            if rows > 2 {
                without_row_2[2 * cols..3 * cols].iter_mut().for_each(|x| *x = 0.0);
            }
            let mut expected: Vec<Complex64> = without_row_2.iter().map(|&x| Complex64::new(x, 0.0)).collect();
            fft.forward(&mut expected);
            let expected_half = real.half_of(&expected).unwrap();
            for (a, b) in half.iter().zip(&expected_half) {
                assert!((a - b).norm() < 1e-9, "{a} != {b}");
            }
            // And back: the inverse of the half spectrum is the image (numpy's normalisation).
            let mut back = vec![0.0; rows * cols];
            real.inverse(&mut half, ncols, 0..rows, |r, values| back[r * cols..(r + 1) * cols].copy_from_slice(values));
            for (a, b) in back.iter().zip(&without_row_2) {
                assert!((a - b).abs() < 1e-9, "{a} != {b}");
            }
        }
    }

    #[test]
    fn sizes_follow_deeptrack2() {
        assert_eq!(fast_sizes().len(), 46);
        assert_eq!(fast_size(0), Some(0));
        assert_eq!(fast_size(1), Some(1));
        assert_eq!(fast_size(25), Some(27));
        assert_eq!(fast_size(84), Some(96));
        assert_eq!(fast_size(100), Some(108));
        assert_eq!(fast_size(500), Some(576));
        assert_eq!(fast_size(6561), Some(6561));
        assert_eq!(fast_size(6562), None);
    }

    #[test]
    fn matches_a_direct_dft() {
        let (rows, cols) = (6, 5);
        let input: Vec<Complex64> =
            (0..rows * cols).map(|k| Complex64::new((k as f64 * 0.7).sin(), (k as f64 * 0.3).cos())).collect();
        let mut data = input.clone();
        let mut fft = Fft2::new(rows, cols).unwrap();
        fft.forward(&mut data);
        for (u, v) in [(0, 0), (1, 2), (5, 4), (3, 1)] {
            let mut expected = Complex64::new(0.0, 0.0);
            for r in 0..rows {
                for c in 0..cols {
                    let phase =
                        -2.0 * std::f64::consts::PI * ((u * r) as f64 / rows as f64 + (v * c) as f64 / cols as f64);
                    expected += input[r * cols + c] * Complex64::from_polar(1.0, phase);
                }
            }
            assert!((data[u * cols + v] - expected).norm() < 1e-12);
        }
        fft.inverse(&mut data);
        for (a, b) in data.iter().zip(&input) {
            assert!((a - b).norm() < 1e-14);
        }
    }
}
