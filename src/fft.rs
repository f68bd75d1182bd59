//! 2-D discrete Fourier transforms for the optics, with numpy's conventions: `forward` is `fft2`
//! (unnormalised), `inverse` is `ifft2` (including the `1/(rows·cols)` factor). Built from 1-D
//! transforms along rows, then along columns (through a transpose). Plans come from one process-wide
//! planner, so each transform length is planned once.

use std::sync::{Arc, Mutex, OnceLock};

use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

use crate::error::{Error, ErrorKind, Result};

/// The largest transform size along one axis: the largest of DeepTrack2's FFT sizes (3^8).
pub(crate) const MAX_SIZE: usize = 6561;

/// DeepTrack2's `_FASTEST_SIZES`: 0 and every `2^a·3^b` with `a + b <= 8`, in increasing order
/// (512 = 2^9 is deliberately absent, as in DeepTrack2).
fn fast_sizes() -> &'static [usize] {
    static SIZES: OnceLock<Vec<usize>> = OnceLock::new();
    SIZES.get_or_init(|| {
        let mut sizes = vec![0];
        for n in 1..10u32 {
            sizes.extend((0..n).map(|a| 2usize.pow(a) * 3usize.pow(n - a - 1)));
        }
        sizes.sort_unstable();
        sizes
    })
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

fn planner() -> &'static Mutex<FftPlanner<f64>> {
    static PLANNER: OnceLock<Mutex<FftPlanner<f64>>> = OnceLock::new();
    PLANNER.get_or_init(|| Mutex::new(FftPlanner::new()))
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

thread_local! {
    /// The 2-D transforms this thread planned, by grid size, with their work buffers: reused between
    /// resolves without taking the process-wide planner lock (batch workers would contend on it).
    static FFT2: std::cell::RefCell<Vec<Fft2>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How many grid sizes a thread keeps planned.
const FFT2_PER_THREAD: usize = 8;

/// Runs `f` with a `rows × cols` transform kept by the calling thread (planned on first use).
pub(crate) fn with_fft2<R>(rows: usize, cols: usize, f: impl FnOnce(&mut Fft2) -> R) -> Result<R> {
    let cached = FFT2.with(|c| {
        let mut c = c.borrow_mut();
        c.iter().position(|t| t.rows == rows && t.cols == cols).map(|i| c.swap_remove(i))
    });
    let mut fft = match cached {
        Some(fft) => fft,
        None => Fft2::new(rows, cols)?,
    };
    let result = f(&mut fft);
    FFT2.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= FFT2_PER_THREAD {
            c.remove(0);
        }
        c.push(fft);
    });
    Ok(result)
}

impl Fft2 {
    /// Plans the transforms of a `rows × cols` grid (both at least 1) and allocates its work buffers.
    pub(crate) fn new(rows: usize, cols: usize) -> Result<Fft2> {
        let (row_forward, row_inverse, col_forward, col_inverse) = {
            let mut p = planner().lock().unwrap_or_else(|e| e.into_inner());
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

    /// `numpy.fft.fft2` of data whose non-zero values all lie in `rows` (a range of row indices): the
    /// transforms of the other rows, all zero, are skipped. The same result as [`Fft2::forward`].
    pub(crate) fn forward_rows(&mut self, data: &mut [Complex64], rows: std::ops::Range<usize>) {
        let cols = self.cols;
        let rows = rows.start.min(self.rows)..rows.end.min(self.rows);
        self.run_rows(data, false, rows.start * cols..rows.end * cols);
    }

    fn run(&mut self, data: &mut [Complex64], inverse: bool) {
        let n = data.len();
        self.run_rows(data, inverse, 0..n);
    }

    /// The 2-D transform, with the row pass limited to `span` of `data` (the rest being zero).
    fn run_rows(&mut self, data: &mut [Complex64], inverse: bool, span: std::ops::Range<usize>) {
        let (rows, cols) = (self.rows, self.cols);
        assert_eq!(data.len(), rows * cols, "the buffer does not match the FFT grid");
        let (row, col) =
            if inverse { (&self.row_inverse, &self.col_inverse) } else { (&self.row_forward, &self.col_forward) };
        // numpy transforms the last axis first, then the first one; each inverse scales by 1/n.
        if !span.is_empty() {
            row.process_with_scratch(&mut data[span], &mut self.scratch);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_rows_equals_forward_when_other_rows_are_zero() {
        let (rows, cols) = (12, 9);
        let mut data = zeros(rows * cols).unwrap();
        for r in 4..7 {
            for c in 0..cols {
                data[r * cols + c] = Complex64::new((r * 31 + c * 7) as f64 % 5.0 - 2.0, 0.0);
            }
        }
        let mut full = data.clone();
        let mut fft = Fft2::new(rows, cols).unwrap();
        fft.forward(&mut full);
        fft.forward_rows(&mut data, 4..7);
        assert_eq!(full, data);
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
